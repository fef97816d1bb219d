#!/usr/bin/env bash
# What a WireMock mapping costs against the same answer from a YAML stub, in one run:
#
#   bench/wiremock.sh [BIN]      (default: build/cannery; WIREMOCK_JAR=path adds WireMock 3.13.2)
#
# One server holds a YAML stub and a WireMock root; wrk (2 threads, 50 connections,
# keep-alive, SECONDS_PER_RUN s, ROUNDS alternating rounds) asks for: the YAML stub, a
# mapping with the same url and body, a mapping matched by urlPathPattern and a header
# pattern, a response-template mapping, and an unmatched GET answered from __files. With
# WIREMOCK_JAR the real WireMock serves the same root, for context. Prints each run and the
# medians with the ratios to the YAML stub. Only 127.0.0.1; stops by itself. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cannery}
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/stubs" "$work/root/mappings" "$work/root/__files"
body='{"id":42,"name":"Ada Lovelace","roles":["admin","dev"]}'
cat > "$work/stubs/user.yaml" <<YAML
request: { method: GET, path: /yaml/users/42 }
response:
  headers: { Content-Type: application/json }
  body: '$body'
YAML
cat > "$work/root/mappings/users.json" <<JSON
{"mappings": [
  {"request": {"method": "GET", "url": "/wm/users/42"},
   "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": "$(printf '%s' "$body" | sed 's/"/\\"/g')"}},
  {"request": {"method": "GET", "urlPathPattern": "/wm/pattern/[0-9]+", "headers": {"Accept": {"contains": "json"}}},
   "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": "$(printf '%s' "$body" | sed 's/"/\\"/g')"}},
  {"request": {"method": "GET", "urlPathPattern": "/wm/template/.*"},
   "response": {"status": 200, "transformers": ["response-template"], "headers": {"Content-Type": "application/json"},
                "body": "{\"path\":\"{{request.path}}\",\"segment\":\"{{request.pathSegments.[2]}}\"}"}}
]}
JSON
printf '%s' "$body" > "$work/root/__files/static.json"

rps() { wrk -t2 -c50 -d"${secs}s" -H 'Accept: application/json' "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print int($2)}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$bin" serve "$work/stubs" --wiremock "$work/root" --port 0 --quiet --no-watch > "$work/ready" 2> "$work/errors" &
pids+=("$!")
for _ in $(seq 400); do grep -q serving "$work/ready" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/ready")
[ -n "$port" ] || { cat "$work/errors" >&2; exit 1; }

cases=(yaml:/yaml/users/42 url:/wm/users/42 pattern:/wm/pattern/42 template:/wm/template/a/b files:/static.json)
declare -A runs
for _ in $(seq "$rounds"); do
	for c in "${cases[@]}"; do
		runs[${c%%:*}]+="$(rps "$port" "${c#*:}") "
	done
done

if [ -n "${WIREMOCK_JAR:-}" ]; then
	jport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	java -jar "$WIREMOCK_JAR" --port "$jport" --bind-address 127.0.0.1 --root-dir "$work/root" --disable-banner >/dev/null 2>&1 &
	pids+=("$!")
	for _ in $(seq 300); do curl -sf "http://127.0.0.1:$jport/__admin/health" >/dev/null 2>&1 && break; sleep 0.1; done
	wrk -t2 -c50 -d2s "http://127.0.0.1:$jport/wm/users/42" >/dev/null   # the JIT's warm-up
	for _ in $(seq "$rounds"); do runs[wiremock]+="$(rps "$jport" /wm/users/42) "; done
fi

y=$(echo ${runs[yaml]} | tr ' ' '\n' | median)
for c in yaml url pattern template files wiremock; do
	[ -n "${runs[$c]:-}" ] || continue
	m=$(echo ${runs[$c]} | tr ' ' '\n' | median)
	awk -v c="$c" -v m="$m" -v y="$y" -v r="${runs[$c]}" 'BEGIN { printf "%-9s %8d req/s (median; runs: %s) %5.2f x the YAML stub\n", c, m, r, m / y }'
done
