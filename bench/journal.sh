#!/usr/bin/env bash
# What the request journal costs: wrk against two cannery binaries, alternating runs.
#
#   bench/journal.sh BASELINE_BIN [BIN] [extra serve options for BIN...]
#
# BASELINE_BIN is a build without the journal (e.g. the commit before it:
#   git archive REV | tar -x -C /tmp/base && (cd /tmp/base && meson setup b -Dbuildtype=release
#   -Dtests=disabled && ninja -C b cannery)), BIN defaults to build/cannery. Both serve the
# same stubs on port 0 with --quiet; wrk (2 threads, 50 connections, keep-alive) runs
# ROUNDS (default 5) alternating rounds of SECONDS_PER_RUN (default 5) against each; with
# PIN=1 the server runs on CPU 0 and wrk on CPU 1 (less noise on a busy machine).
# Prints each run's requests/s and server CPU time per request, and their medians. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/journal.sh BASELINE_BIN [BIN] [serve options...]}
bin=${2:-build/cannery}
shift $(( $# >= 2 ? 2 : 1 ))
rounds=${ROUNDS:-5}
secs=${SECONDS_PER_RUN:-5}
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
cat > "$stubs/bench.yaml" <<'YAML'
- name: users
  request:
    method: GET
    path: /api/users/{id}
    headers: { accept: { present: true } }
  response:
    json: { id: 1, name: Ada Lovelace }
YAML

# run BIN [options...]: one wrk run against a fresh server; prints "REQ_PER_S CPU_US_PER_REQ"
# (the server's user+system CPU time over the requests wrk completed: on a shared machine
# this moves much less than throughput does)
run() {
	local out pid url res reqs rps ticks
	out=$(mktemp)
	local pin_server=() pin_wrk=()
	if [ "${PIN:-0}" = 1 ]; then
		pin_server=(taskset -c 0)
		pin_wrk=(taskset -c 1)
	fi
	"${pin_server[@]}" "$@" serve "$stubs" --port 0 --quiet > "$out" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
	url=$(sed -n 's/^cannery: serving .* on //p' "$out")
	[ -n "$url" ] || { echo "bench: $1 did not start" >&2; exit 1; }
	res=$("${pin_wrk[@]}" wrk -t2 -c50 -d"${secs}s" -H 'Accept: application/json' "$url/api/users/42?page=2")
	reqs=$(awk '/requests in/ { print $1 }' <<< "$res")
	rps=$(awk '/Requests\/sec/ { print $2 }' <<< "$res")
	ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	kill "$pid"
	wait "$pid" || true
	rm -f "$out"
	awk -v r="$rps" -v t="$ticks" -v n="$reqs" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f %.2f\n", r, t / hz * 1e6 / n }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

br=() bc=() nr=() nc=()
for i in $(seq "$rounds"); do
	read -r r c < <(run "$base")
	br+=("$r") bc+=("$c")
	read -r r c < <(run "$bin" "$@")
	nr+=("$r") nc+=("$c")
	echo "round $i: baseline ${br[-1]} req/s ${bc[-1]} us/req, journal ${nr[-1]} req/s ${nc[-1]} us/req"
done
mbr=$(printf '%s\n' "${br[@]}" | median) mbc=$(printf '%s\n' "${bc[@]}" | median)
mnr=$(printf '%s\n' "${nr[@]}" | median) mnc=$(printf '%s\n' "${nc[@]}" | median)
awk -v br="$mbr" -v nr="$mnr" -v bc="$mbc" -v nc="$mnc" 'BEGIN {
	printf "median throughput: baseline %.0f req/s, journal %.0f req/s (%+.1f%%)\n", br, nr, (nr - br) / br * 100
	printf "median server CPU: baseline %.2f us/req, journal %.2f us/req (%+.1f%%)\n", bc, nc, (nc - bc) / bc * 100
}'
