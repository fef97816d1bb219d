#!/usr/bin/env bash
# What --crud costs against a static stub (docs/crud.md, issue 16's targets), in one run:
#
#   bench/crud.sh [BIN]        (default: build/cannery; JSON_SERVER=path/to/json-server adds it)
#
# Serves a data file of 10,000 posts (and, for memory, one of 100,000) with
# `cannery serve --crud`, and two static baselines: a stub answering the same bytes as
# GET /posts/5000, and one answering the same bytes (and headers) as the list, asked with
# the list's query string; wrk (2 threads, 50 connections, keep-alive, SECONDS_PER_RUN s, ROUNDS
# alternating rounds) measures GET of one item, a filtered and paged list, and POST with
# 16 connections. Prints each run and the medians with the ratios to the static stub.
# Only 127.0.0.1; stops by itself. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cannery}
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
authors = ["ada", "bob", "carol", "dave", "eve"]
def db(n):
    return {"posts": [{"id": i, "title": f"post {i}", "author": authors[i % 5], "views": (i * 37) % 1000,
                       "meta": {"lang": ["en", "fr", "de"][i % 3]}} for i in range(1, n + 1)]}
json.dump(db(10000), open(f"{work}/db10k.json", "w"))
json.dump(db(100000), open(f"{work}/db100k.json", "w"))
item = db(10000)["posts"][4999]
body = json.dumps(item, indent=2)
open(f"{work}/stubs.yaml", "w").write("request: { method: GET, path: /static }\nresponse:\n  headers: { Content-Type: application/json; charset=utf-8 }\n  body: " + json.dumps(body) + "\n")
PY
mkdir -p "$work/stubs" && mv "$work/stubs.yaml" "$work/stubs/static.yaml"
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"bench","author":"zed","views":1}'
wrk.headers["Content-Type"] = "application/json"
LUA

start() { # $1: stub dir, $2: data file; sets port and pid
	"$bin" serve "$1" --port 0 --quiet --no-watch --crud "$2" > "$work/ready" 2>/dev/null &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 400); do grep -q serving "$work/ready" 2>/dev/null && break; sleep 0.05; done
	port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/ready")
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
rps() { wrk -t2 -c"${3:-50}" -d"${secs}s" ${4:+-s "$4"} "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print int($2)}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

query='author=ada&_sort=views&_order=desc&_page=3&_limit=10'
# the list's answer as a static stub: its body and headers as cannery sends them
start "$work/stubs" "$work/db10k.json"
python3 - "$port" "$query" "$work/stubs/list.yaml" <<'PY'
import json, sys, urllib.request
port, query, out = sys.argv[1:]
with urllib.request.urlopen(f"http://127.0.0.1:{port}/posts?{query}") as r:
    body = r.read().decode()
    keep = {k: r.headers[k] for k in ("Content-Type", "X-Total-Count", "Access-Control-Expose-Headers", "Link")}
open(out, "w").write("request: { method: GET, path: /static-list }\nresponse:\n  headers: " + json.dumps(keep) +
                     "\n  body: " + json.dumps(body) + "\n")
PY
stop

start "$work/stubs" "$work/db10k.json"
declare -A runs
for r in $(seq "$rounds"); do
	runs[static]+="$(rps "$port" /static) "
	runs[item]+="$(rps "$port" /posts/5000) "
	runs[static_list]+="$(rps "$port" "/static-list?$query") "
	runs[list]+="$(rps "$port" "/posts?$query") "
done
stop
start "$work/stubs" "$work/db10k.json"
post=$(rps "$port" /posts 16 "$work/post.lua")
stop

start "$work/stubs" "$work/db100k.json"
rss100k=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
stop
echo '{"posts": []}' > "$work/empty.json"
start "$work/stubs" "$work/empty.json"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
stop

if [ -n "${JSON_SERVER:-}" ]; then
	# json-server on the same data, for context (it writes to its file: a copy)
	cp "$work/db10k.json" "$work/js.json"
	jport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$JSON_SERVER" --host 127.0.0.1 --port "$jport" --quiet "$work/js.json" >/dev/null 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$jport") 2>/dev/null && break; sleep 0.1; done
	js_item=$(rps "$jport" /posts/5000)
	js_list=$(rps "$jport" '/posts?author=ada&_sort=views&_order=desc&_page=3&_limit=10')
	js_post=$(rps "$jport" /posts 16 "$work/post.lua")
	jrss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	stop
	echo "json-server 0.17 (context): GET /posts/5000 $js_item req/s; list $js_list req/s; POST, 16 connections $js_post req/s; RSS $((jrss / 1024)) MiB with 10,000 items and the POSTs"
fi

s=$(echo ${runs[static]} | tr ' ' '\n' | median)
i=$(echo ${runs[item]} | tr ' ' '\n' | median)
l=$(echo ${runs[list]} | tr ' ' '\n' | median)
sl=$(echo ${runs[static_list]} | tr ' ' '\n' | median)
echo "runs (req/s): static ${runs[static]}| item ${runs[item]}| static list ${runs[static_list]}| list ${runs[list]}"
awk -v s="$s" -v i="$i" -v sl="$sl" -v l="$l" -v p="$post" -v r1="$rss100k" -v r0="$rss0" 'BEGIN {
	printf "crud: static stub %d req/s; GET /posts/5000 %d (%.2f x static); static stub with the list answer %d req/s; filtered paged list over 10,000 %d (%.2f x that static stub, %.2f x the one-item stub); POST, 16 connections %d req/s; RSS with 100,000 items %.1f MiB (empty data file %.1f MiB: %.0f bytes per item)\n",
		s, i, i / s, sl, l, l / sl, l / s, p, r1 / 1024, r0 / 1024, (r1 - r0) * 1024 / 100000 }'
