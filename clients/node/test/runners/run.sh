#!/bin/sh
# meson's client-node-jest and client-node-vitest tests: cannery.runner.test.mjs under
# jest (ESM mode) or vitest, with cannery-client linked into a work directory's
# node_modules as npm links it; then the server the test forgot must be gone once the
# runner has exited. "skipped" (77) without Node 18+ or the runner, which scripts/dev.sh
# test installs with npm into RUNNERS_DIR.
# usage: run.sh jest|vitest RUNNERS_DIR WORK_DIR
runner=$1 runners=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "skipped: no node on PATH (Node 18 or later)"; exit 77; }
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	echo "skipped: node $(node --version) is older than 18"
	exit 77
fi
bin=$runners/node_modules/.bin/$runner
[ -x "$bin" ] || { echo "skipped: no $runner in $runners (scripts/dev.sh test installs it with npm)"; exit 77; }
set -e
rm -rf "$work"
mkdir -p "$work/node_modules"
cp "$here/cannery.runner.test.mjs" "$work/"
printf '{ "private": true, "type": "module" }\n' >"$work/package.json"
ln -s "$here/../.." "$work/node_modules/cannery-client"
CANNERY_PID_FILE=$work/forgotten.pid
export CANNERY_PID_FILE
cd "$work"
set +e
case $runner in
jest) NODE_OPTIONS=--experimental-vm-modules "$bin" --ci --no-watchman --rootDir "$work" --testMatch '**/*.test.mjs' ;;
vitest) "$bin" run --root "$work" --globals ;;
*) echo "unknown runner $runner"; exit 1 ;;
esac
status=$?
[ $status -eq 0 ] || exit $status
# the forgotten server: gone, or a zombie its adopter has not reaped yet (20 s at most)
pid=$(cat "$CANNERY_PID_FILE") || exit 1
i=0
while kill -0 "$pid" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 400 ]; then
		echo "FAIL: the server the test did not stop (pid $pid) outlived $runner"
		exit 1
	fi
	sleep 0.05
done
echo "ok: the server the test did not stop (pid $pid) ended with $runner"
