#!/bin/sh
# run-fuzzer.sh FUZZER NAME SRCDIR WORKDIR: replays every checked-in input of fuzz target
# NAME (SRCDIR/corpus/NAME, SRCDIR/regression/NAME) through the libFuzzer executable
# FUZZER, then fuzzes for FUZZ_SECONDS (default 30). New inputs go to WORKDIR/NAME/corpus;
# a crash leaves its input in WORKDIR/NAME/ and fails with instructions. Exit 0 when clean.
set -eu
fuzzer=$1 name=$2 src=$3 work=$4/$2
seconds=${FUZZ_SECONDS:-30}
mkdir -p "$work/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1"

inputs=$(find "$src/corpus/$name" "$src/regression/$name" -type f ! -name '.*' | sort)
echo "$name: replaying $(echo "$inputs" | wc -l) checked-in inputs"
# shellcheck disable=SC2086 # one argument per file; the names have no spaces
if ! "$fuzzer" $inputs >"$work/replay.log" 2>&1; then
	tail -n 60 "$work/replay.log"
	echo "$name: a checked-in input fails (full log: $work/replay.log)"
	exit 1
fi

dict=
[ -f "$src/$name.dict" ] && dict="-dict=$src/$name.dict"
echo "$name: fuzzing for ${seconds}s"
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
if ! "$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 $dict \
	-artifact_prefix="$work/" "$work/corpus" "$src/corpus/$name" "$src/regression/$name" \
	>"$work/fuzz.log" 2>&1; then
	tail -n 80 "$work/fuzz.log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -e "$f" ] && echo "$name: reproducer: $f (fix the bug, then add it to fuzz/regression/$name/)"
	done
	exit 1
fi
grep -E '^(stat::|Done|INFO: (Loaded|seed))' "$work/fuzz.log" || true
tail -n 3 "$work/fuzz.log"
