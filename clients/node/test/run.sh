#!/bin/sh
# meson's client-node test: node --test over the given files, or "skipped" (exit 77)
# where Node 18 or later (whose test runner and fetch the client needs) is missing.
command -v node >/dev/null 2>&1 || { echo "skipped: no node on PATH (the tests need Node 18 or later)"; exit 77; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	echo "skipped: node $(node --version) is older than 18 (no node --test, no fetch)"
	exit 77
fi
exec node --test "$@"
