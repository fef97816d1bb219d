#!/bin/sh
# meson's example-node test: run the example as a user who did `npm install` would, with
# cannery-client linked into node_modules (what npm does for a file: dependency), in a
# copy under the build directory so that the source tree stays untouched.
# usage: run-example.sh EXAMPLE_DIR CLIENT_DIR WORK_DIR; "skipped" (77) without Node 18+.
command -v node >/dev/null 2>&1 || { echo "skipped: no node on PATH (the example needs Node 18 or later)"; exit 77; }
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	echo "skipped: node $(node --version) is older than 18 (no node --test, no fetch)"
	exit 77
fi
set -e
example=$1 client=$2 work=$3
rm -rf "$work"
mkdir -p "$work/node_modules"
cp -R "$example/client.mjs" "$example/client.test.mjs" "$example/package.json" "$example/stubs" "$work/"
ln -s "$client" "$work/node_modules/cannery-client"
cd "$work"
exec node --test client.test.mjs
