#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh [--quick] [--readme] [bench.py options]: builds cannery (build-bench/, the
# default buildtype users get) and the bare-MHD ceiling, then runs bench/bench.py.
# The report goes to stdout and bench/out/latest.md. See bench/README.md.
# CANNERY=/path/to/cannery skips the build and benchmarks that binary instead.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk python3 cc pkg-config; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (apt-get install $tool)" >&2; exit 1; }
done

mkdir -p bench/out
if [ -z "${CANNERY:-}" ]; then
	[ -f build-bench/build.ninja ] || meson setup build-bench >/dev/null
	ninja -C build-bench cannery >/dev/null
	CANNERY=build-bench/cannery
fi

# the ceiling is built like a user would build a small MHD program: -O2, no sanitizers
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -pthread \
	-o bench/out/mhd_baseline bench/mhd_baseline.c $(pkg-config --cflags --libs libmicrohttpd)

exec python3 bench/bench.py --cannery "$CANNERY" --baseline bench/out/mhd_baseline "$@"
