#!/usr/bin/env bash
# bench/scale.sh [CANNERY ...]   100,000-stub benchmark (issue 19; not a test, see bench/README.md)
#
# Start-to-ready (median of STARTS starts) and VmRSS/VmHWM with 10,000 and 100,000
# one-line stubs over 100 and 1,000 files, and the time of POST /__cannery/reload after
# one of the 1,000 files changed (median of EDITS edits back to back, then of IDLE_EDITS
# edits each after an 11 s pause, once the server has trimmed its heap). Several binaries
# are measured in one run, their starts alternating (e.g. the parent commit's build for a
# before/after).
# No load generator; 127.0.0.1 only; stops by itself. Needs python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- "${CANNERY:-$here/../build-bench/cannery}"
exec python3 "$here/scale.py" --starts "${STARTS:-5}" --edits "${EDITS:-7}" --idle-edits "${IDLE_EDITS:-3}" "$@"
