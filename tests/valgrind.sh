#!/bin/sh
# valgrind.sh PROGRAM [ARGS...]: runs PROGRAM under memcheck, its child processes too, and
# fails when any of them had a memory error or a definite leak. Criterion's workers
# report a result of their own and their exit code is lost, so valgrind's
# --error-exitcode cannot fail a test: each process logs to a file and this script reads
# the logs. Used by `meson test --setup valgrind` (tests/meson.build).
#
# One kind of report is ignored: errors whose every stack frame is unknown ("???").
# That is code PCRE2 compiled at run time (JIT), which valgrind cannot see into and
# reports as conditional jumps on uninitialised values (PCRE2's own documentation: only
# a PCRE2 built with --enable-valgrind avoids them). A report with any known frame counts.
logs=$(mktemp -d "${TMPDIR:-/tmp}/cannery-valgrind.XXXXXX") || exit 1
valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--trace-children=yes --child-silent-after-fork=no --log-file="$logs/%p.log" "$@"
rc=$?
bad=0
for f in "$logs"/*.log; do
	[ -s "$f" ] || continue
	# a report is a block of lines between empty "==PID== " lines; frames are "at"/"by" lines
	if ! awk '
		/^==[0-9]+== *$/ { if (frames && known) { printf "%s", block; bad = 1 } block = ""; frames = known = 0; next }
		{ block = block $0 "\n" }
		/^==[0-9]+== +(at|by) 0x/ { frames++; if ($0 !~ /: \?\?\?$/) known = 1 }
		END { if (frames && known) { printf "%s", block; bad = 1 } exit bad }
	' "$f" >"$f.errors"; then
		echo "valgrind: memory errors in process ${f##*/}:" >&2
		cat "$f.errors" >&2
		bad=1
	fi
done
rm -rf "$logs"
[ $bad = 0 ] || exit 1
exit $rc
