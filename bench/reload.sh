#!/usr/bin/env bash
# bench/reload.sh [CANNERY_BINARY]   hot-reload benchmark (not a test; see bench/README.md)
#
# For 1, 1,000 and 10,000 stub files (generated in a temporary directory, 100 per
# subdirectory): how long POST /__cannery/reload takes (median and max of RELOADS runs),
# and how long from a stub file write to the first request that sees it (median and max
# of EDITS edits, with the watcher on). Needs a C compiler and libcurl's headers.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-./build/cannery}
SIZES=${SIZES:-"1 1000 10000"}
RELOADS=${RELOADS:-10}
EDITS=${EDITS:-20}
[ -x "$BIN" ] || { echo "reload.sh: no binary at $BIN (build first: meson setup build && ninja -C build)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/cannery-bench-reload.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/reload_probe" bench/reload_probe.c $(pkg-config --cflags --libs libcurl)

# gen DIR N: N stub files, one stub each, plus the file the latency probe rewrites
gen() {
	local dir=$1 n=$2 i sub
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		sub=$dir/d$((i / 100))
		[ -d "$sub" ] || mkdir -p "$sub"
		printf 'name: s%d\nrequest:\n  method: GET\n  path: /items/%d\n  headers: { Accept: { contains: json } }\nresponse:\n  status: 200\n  json: { id: %d, name: "item %d", tags: [a, b] }\n' \
			"$i" "$i" "$i" "$i" > "$sub/stub-$i.yaml"
	done
}

# start DIR ARGS...: runs the server in the background; sets pid and url
start() {
	local dir=$1
	shift
	# a fresh file each time: the child truncates it only once it runs
	rm -f "$tmp/ready"
	"$BIN" serve "$dir" --port 0 --quiet "$@" > "$tmp/ready" 2> "$tmp/stderr" &
	pid=$!
	for _ in $(seq 1 600); do
		grep -q '^cannery: serving' "$tmp/ready" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/stderr" >&2; exit 1; }
		sleep 0.05
	done
	url=$(sed -n 's/^cannery: serving .* on //p' "$tmp/ready")
	[ -n "$url" ] || { echo "reload.sh: the server did not start" >&2; exit 1; }
}

stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

echo "cannery hot-reload benchmark: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
for n in $SIZES; do
	dir=$tmp/stubs-$n
	gen "$dir" "$n"
	echo "== $n stub file(s)"
	start "$dir" --no-watch
	"$tmp/reload_probe" reload "$url" "$RELOADS"
	stop
	start "$dir"
	"$tmp/reload_probe" latency "$url" "$dir/latency.yaml" "$EDITS"
	stop
done
