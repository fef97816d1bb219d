#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/profile.sh [callgrind|perf] [CASE]: profiles cannery on one of bench/run.sh's cases.
#   callgrind (default): instructions per request (start-up excluded) and the top functions;
#                        deterministic, so it tells small changes apart on a noisy machine
#   perf:                where the CPU time goes, kernel included (perf record -e cpu-clock)
# CASE: one (default), first, last, template, miss, miss_big, baseline (the bare MHD program).
# CANNERY=/path/to/cannery profiles that binary instead of build-bench/cannery.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-callgrind}
case_=${2:-one}
out=bench/out/profile
mkdir -p "$out"

if [ -z "${CANNERY:-}" ]; then
	[ -f build-bench/build.ninja ] || meson setup build-bench >/dev/null
	ninja -C build-bench cannery >/dev/null
	CANNERY=build-bench/cannery
fi
cc -std=c11 -O2 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -pthread \
	-o bench/out/mhd_baseline bench/mhd_baseline.c $(pkg-config --cflags --libs libmicrohttpd)
[ -d "$out/sets/s10000" ] || python3 bench/bench.py --write-sets "$out/sets"

sets=$out/sets
case "$case_" in
one) cmd=("$CANNERY" serve "$sets/one" --port 0 --quiet); path=/api/users/42 ;;
first) cmd=("$CANNERY" serve "$sets/s10000" --port 0 --quiet); path=/api/r0/users/42 ;;
last) cmd=("$CANNERY" serve "$sets/s10000" --port 0 --quiet); path=/api/r9999/users/42 ;;
template) cmd=("$CANNERY" serve "$sets/s10000" --port 0 --quiet); path=/api/t5005/users/42 ;;
miss) cmd=("$CANNERY" serve "$sets/one" --port 0 --quiet); path=/api/users/43 ;;
miss_big) cmd=("$CANNERY" serve "$sets/s10000" --port 0 --quiet); path=/api/r5000/users/43 ;;
baseline) cmd=(bench/out/mhd_baseline "$sets/body.json" --memory-limit 16384); path=/api/users/42 ;;
*) echo "profile.sh: unknown case '$case_'" >&2; exit 2 ;;
esac

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; true; }
trap cleanup EXIT

# start_server PREFIX...: runs PREFIX + cmd in the background, waits for its port
start_server() {
	"$@" "${cmd[@]}" >"$out/stdout" 2>"$out/stderr" &
	pid=$!
	for _ in $(seq 300); do
		grep -qE "serving|listening" "$out/stdout" 2>/dev/null && break
		sleep 0.1
	done
	port=$(grep -oE '[0-9]+$' "$out/stdout" | head -1)
	[ -n "$port" ] || { echo "profile.sh: the server did not start" >&2; cat "$out/stderr" >&2; exit 1; }
	url=http://127.0.0.1:$port$path
}

case "$tool" in
callgrind)
	rm -f "$out"/callgrind.out*
	# instrumentation starts once the server is ready, so start-up is left out
	start_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out"
	callgrind_control -i on "$pid" >/dev/null
	n=$(wrk -t1 -c10 -d4s "$url" | awk '/requests in/ {print $1}')
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	total=$(callgrind_annotate "$out/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	echo "$case_: $n requests, $((total / n)) instructions per request (callgrind)"
	callgrind_annotate "$out/callgrind.out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 6,30p
	;;
perf)
	start_server
	perf record -q -e cpu-clock -F 2000 -g -p "$pid" -o "$out/perf.data" -- sleep 4 >/dev/null 2>&1 &
	rec=$!
	sleep 0.3
	wrk -t2 -c50 -d3s "$url" | grep Requests/sec
	wait "$rec" || true
	perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep '%' | head -30
	;;
*)
	echo "usage: bench/profile.sh [callgrind|perf] [one|first|last|template|miss|miss_big|baseline]" >&2
	exit 2
	;;
esac
