#!/usr/bin/env bash
# What the OpenAPI mock mode (SPEC.md section 9) costs, in one run:
#
#   bench/openapi.sh [BIN]     (default: $CANNERY or build-bench/cannery, a
#                               `meson setup build-bench --buildtype=debugoptimized` build)
#
# (i)   GET of an operation answered from its example, against a YAML stub answering the
#       same bytes with the same headers, in the same server (target >= 0.9x);
# (ii)  POST of a typical 20-field JSON body that is validated, against the same server
#       started with --no-validate (target: validation costs <= 10%);
# (iii) start to ready line with a generated 500-operation spec and, when installed,
#       GitHub's REST spec (@octokit/openapi, 1,223 operations): median of STARTS starts
#       (target < 200 ms);
# (iv)  Stoplight Prism on the same spec and requests, for context, when installed
#       (PRISM=path; default: .cache/prism/node_modules/.bin/prism of this checkout or
#       of the main one).
# wrk (2 threads, 50 connections, keep-alive, SECONDS_PER_RUN s, ROUNDS alternating
# rounds); each answer is checked once before it is measured. Prints a markdown table.
# Only 127.0.0.1; stops by itself. Needs wrk and python3; Prism needs node.
# A cannery without the OpenAPI mode is reported as such, and the Prism side still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CANNERY:-build-bench/cannery}}
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-3}
starts=${STARTS:-7}
prism_starts=${PRISM_STARTS:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# the tools' cache: this checkout's .cache, else the main checkout's (worktrees share it)
cache=.cache
common=$(git rev-parse --git-common-dir 2>/dev/null || true)
if [ -n "$common" ] && [ ! -d "$cache/prism" ] && [ -d "$(dirname "$(realpath "$common")")/.cache" ]; then
	cache="$(dirname "$(realpath "$common")")/.cache"
fi
prism=${PRISM:-$cache/prism/node_modules/.bin/prism}
github=${GITHUB_SPEC:-$cache/openapi-specs/node_modules/@octokit/openapi/generated/api.github.com.json}

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]

def yaml(v, indent=0):
    """Block YAML, scalars as JSON (a JSON string is a YAML double-quoted scalar)."""
    pad = "  " * indent
    if isinstance(v, dict) and v:
        out = []
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:\n%s" % (pad, json.dumps(k), yaml(x, indent + 1)))
            else:
                out.append("%s%s: %s" % (pad, json.dumps(k), json.dumps(x)))
        return "\n".join(out)
    if isinstance(v, list) and v:
        out = []
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = yaml(x, indent + 1)
                out.append("%s- %s" % (pad, inner.lstrip()))
            else:
                out.append("%s- %s" % (pad, json.dumps(x)))
        return "\n".join(out)
    return pad + json.dumps(v)

user = {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com", "active": True,
        "roles": ["admin", "dev"], "created": "2024-01-02T03:04:05Z", "team": {"id": 7, "name": "core"}}
order_props = {
    "id": {"type": "string", "format": "uuid"},
    "customer": {"type": "string", "minLength": 1, "maxLength": 80},
    "email": {"type": "string", "format": "email"},
    "status": {"type": "string", "enum": ["new", "paid", "shipped", "cancelled"]},
    "total": {"type": "number", "minimum": 0},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "items": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"$ref": "#/components/schemas/Line"}},
    "note": {"type": "string", "nullable": True, "maxLength": 500},
    "created": {"type": "string", "format": "date-time"},
    "due": {"type": "string", "format": "date"},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "gift": {"type": "boolean"},
    "coupon": {"type": "string", "nullable": True},
    "address": {"$ref": "#/components/schemas/Address"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    "channel": {"type": "string", "enum": ["web", "app", "phone"]},
    "weight": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
    "discount": {"type": "number", "minimum": 0, "maximum": 100},
    "referrer": {"type": "string", "format": "uri"},
    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
}
order = {"id": "7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1", "customer": "Ada Lovelace", "email": "ada@example.com",
         "status": "new", "total": 59.9, "currency": "EUR",
         "items": [{"sku": "BK-001", "qty": 2, "price": 19.95}, {"sku": "BK-002", "qty": 1, "price": 20.0}],
         "note": None, "created": "2024-01-02T03:04:05Z", "due": "2024-01-09", "priority": 3, "gift": False,
         "coupon": None, "address": {"street": "12 Analytical Row", "city": "London", "zip": "N1 9GU", "country": "GB"},
         "tags": ["books", "priority"], "channel": "web", "weight": 1.25, "discount": 0, "referrer": "https://example.com/r",
         "metadata": {"campaign": "winter"}}
assert len(order) == 20
spec = {
    "openapi": "3.0.3",
    "info": {"title": "cannery bench", "version": "1"},
    "paths": {
        "/users/{id}": {"get": {
            "operationId": "getUser",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "a user", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/User"}, "example": user}}}}}},
        "/orders": {"post": {
            "operationId": "createOrder",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
            "responses": {"201": {"description": "created", "content": {"application/json": {
                "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                "example": {"id": "7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1"}}}},
                          "422": {"description": "invalid"}}}},
    },
    "components": {"schemas": {
        "User": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string", "format": "email"},
            "active": {"type": "boolean"}, "roles": {"type": "array", "items": {"type": "string"}},
            "created": {"type": "string", "format": "date-time"},
            "team": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}},
        "Order": {"type": "object", "required": ["customer", "email", "status", "total", "currency", "items"],
                  "properties": order_props},
        "Line": {"type": "object", "required": ["sku", "qty", "price"], "additionalProperties": False, "properties": {
            "sku": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"}, "qty": {"type": "integer", "minimum": 1},
            "price": {"type": "number", "minimum": 0}}},
        "Address": {"type": "object", "required": ["street", "city", "country"], "properties": {
            "street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"},
            "country": {"type": "string", "minLength": 2, "maxLength": 2}}},
    }},
}
open(os.path.join(work, "bench.yaml"), "w").write(yaml(spec) + "\n")
open(os.path.join(work, "order.json"), "w").write(json.dumps(order))

# 500 operations: 125 resources x (list, create, get, delete), with shared schemas,
# parameters, examples on half of the answers and security on the writes
paths, schemas = {}, {"Error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "integer"}, "message": {"type": "string"}}}}
for n in range(125):
    name = "Thing%d" % n
    schemas[name] = {"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer", "minimum": 1}, "name": {"type": "string", "maxLength": 64},
        "kind": {"type": "string", "enum": ["a", "b", "c"]}, "created": {"type": "string", "format": "date-time"},
        "owner": {"type": "string", "format": "email"}, "tags": {"type": "array", "items": {"type": "string"}}}}
    ref = {"$ref": "#/components/schemas/%s" % name}
    example = {"id": n + 1, "name": "thing %d" % n, "kind": "a", "created": "2024-01-02T03:04:05Z",
               "owner": "ada@example.com", "tags": ["x"]}
    def ok(schema, ex):
        media = {"schema": schema}
        if n % 2 == 0:
            media["example"] = ex
        return {"description": "ok", "content": {"application/json": media}}
    err = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths["/r%d/things" % n] = {
        "get": {"operationId": "list%d" % n, "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": ok({"type": "array", "items": ref}, [example]), "default": err}},
        "post": {"operationId": "create%d" % n, "security": [{"token": []}],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                 "responses": {"201": ok(ref, example), "422": err}}}
    paths["/r%d/things/{id}" % n] = {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}],
        "get": {"operationId": "get%d" % n, "responses": {"200": ok(ref, example), "404": err}},
        "delete": {"operationId": "delete%d" % n, "security": [{"token": []}],
                   "responses": {"204": {"description": "gone"}, "404": err}}}
big = {"openapi": "3.0.3", "info": {"title": "500 operations", "version": "1"},
       "servers": [{"url": "http://localhost"}], "paths": paths,
       "components": {"schemas": schemas, "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}}}
assert sum(len([m for m in p if m != "parameters"]) for p in paths.values()) == 500
open(os.path.join(work, "ops500.yaml"), "w").write(yaml(big) + "\n")
PY
mkdir -p "$work/stubs"
echo 'request: { method: GET, path: /placeholder }' > "$work/stubs/placeholder.yaml"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$(cat "$work/order.json")]]
wrk.headers["Content-Type"] = "application/json"
LUA

rps() { wrk -t2 -c50 -d"${secs}s" ${3:+-s "$3"} "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print int($2)}'; }
median() { tr ' ' '\n' | awk NF | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print ""}'; }
minmax() { tr ' ' '\n' | awk NF | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {if (NR) printf "%s–%s", lo, hi}'; }
status_of() { # $1 port, $2 path, [$3 "post"]: the status code of one request
	if [ "${3:-}" = post ]; then
		curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$work/order.json" "http://127.0.0.1:$1$2"
	else
		curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"
	fi
}

start_cannery() { # args: serve arguments; sets port and pid (port empty when it did not start)
	"$bin" serve --port 0 --quiet --no-watch "$@" > "$work/ready" 2> "$work/errors" &
	pid=$!
	pids+=("$pid")
	port=
	for _ in $(seq 200); do
		grep -q serving "$work/ready" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/ready")
	[ -n "$port" ] || echo "bench/openapi.sh: cannery serve $* did not start: $(head -c 600 "$work/errors")" >&2
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
start_prism() { # $1 spec; sets pport and ppid
	pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	setsid "$prism" mock "$1" -h 127.0.0.1 -p "$pport" -v error > "$work/prism.log" 2>&1 &
	ppid=$!
	pids+=("$ppid")
	for _ in $(seq 1800); do (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null && return 0; kill -0 "$ppid" 2>/dev/null || break; sleep 0.1; done
	pport=
}
stop_prism() { kill -- "-$ppid" 2>/dev/null || kill "$ppid" 2>/dev/null || true; wait "$ppid" 2>/dev/null || true; }

# start to ready line: median, min and max in ms of N starts; the ready line is cannery's
# `cannery: serving` or Prism's `Prism is listening`
cat > "$work/ready.py" <<'PY'
import os, re, signal, subprocess, sys, time
n, pattern, argv = int(sys.argv[1]), re.compile(sys.argv[2]), sys.argv[3:]
times = []
for _ in range(n):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    ok = False
    for line in p.stdout:
        if pattern.search(line):
            times.append((time.monotonic() - t0) * 1e3)
            ok = True
            break
    os.killpg(p.pid, signal.SIGTERM)
    p.wait()
    if not ok:
        sys.exit(1)
times.sort()
print("%.1f %.1f %.1f" % (times[len(times) // 2], times[0], times[-1]))
PY
ready_ms() { python3 "$work/ready.py" "$@" 2>/dev/null || true; }

declare -A runs
notes=()
prism_version=$([ -x "$prism" ] && "$prism" --version 2>/dev/null || true)

# --- cannery: (i) and (ii) -------------------------------------------------------------
cannery_ok=
if [ -x "$bin" ]; then
	start_cannery "$work/stubs" "$work/bench.yaml"
	if [ -n "$port" ] && [ "$(status_of "$port" /users/42)" = 200 ]; then
		cannery_ok=1
		# the YAML stub: the operation's answer as cannery sends it, bytes and headers
		python3 - "$port" "$work/stubs/user.yaml" <<'PY'
import json, sys, urllib.request
port, out = sys.argv[1:]
with urllib.request.urlopen("http://127.0.0.1:%s/users/42" % port) as r:
    body = r.read().decode()
    keep = {k: v for k, v in r.headers.items() if k.lower() not in (
        "content-length", "date", "connection", "keep-alive", "transfer-encoding")}
open(out, "w").write("request: { method: GET, path: '/stub/users/{id}' }\nresponse:\n  headers: "
                     + json.dumps(keep) + "\n  body: " + json.dumps(body) + "\n")
PY
	else
		notes+=("cannery ($bin) does not serve an OpenAPI spec given as an argument: $(head -c 300 "$work/errors" | tr '\n' ' ')")
	fi
	stop
else
	notes+=("no cannery binary at $bin (build one: meson setup build-bench --buildtype=debugoptimized && ninja -C build-bench)")
fi

if [ -n "$cannery_ok" ]; then
	start_cannery "$work/stubs" "$work/bench.yaml"
	vport=$port; vpid=$pid
	start_cannery --no-validate "$work/stubs" "$work/bench.yaml"
	nport=$port; npid=$pid
	for check in "$vport /stub/users/42 200" "$vport /users/42 200" "$vport /orders 201 post" "$nport /orders 201 post"; do
		set -- $check
		got=$(status_of "$1" "$2" "${4:-}")
		[ "$got" = "$3" ] || { echo "bench/openapi.sh: ${4:+POST }$2 answered $got, not $3" >&2; exit 1; }
	done
	a=$(curl -s "http://127.0.0.1:$vport/stub/users/42"); b=$(curl -s "http://127.0.0.1:$vport/users/42")
	[ "$a" = "$b" ] || { echo "bench/openapi.sh: the stub and the operation answer different bytes" >&2; exit 1; }
	for _ in $(seq "$rounds"); do
		runs[stub]+="$(rps "$vport" /stub/users/42) "
		runs[op]+="$(rps "$vport" /users/42) "
		runs[post_novalidate]+="$(rps "$nport" /orders "$work/post.lua") "
		runs[post_validate]+="$(rps "$vport" /orders "$work/post.lua") "
	done
	pid=$vpid; stop; pid=$npid; stop
	read -r c500 c500lo c500hi <<< "$(ready_ms "$starts" '^cannery: serving' "$bin" serve --port 0 --quiet --no-watch "$work/ops500.yaml")"
	if [ -f "$github" ]; then
		read -r cgh cghlo cghhi <<< "$(ready_ms "$starts" '^cannery: serving' "$bin" serve --port 0 --quiet --no-watch "$github")"
	fi
fi

# --- Prism, for context ------------------------------------------------------------------
if [ -x "$prism" ]; then
	start_prism "$work/bench.yaml"
	if [ -n "$pport" ]; then
		for check in "/users/42 200" "/orders 201 post"; do
			set -- $check
			got=$(status_of "$pport" "$1" "${3:-}")
			[ "$got" = "$2" ] || { echo "bench/openapi.sh: Prism: ${3:+POST }$1 answered $got, not $2" >&2; exit 1; }
		done
		wrk -t2 -c50 -d1s "http://127.0.0.1:$pport/users/42" > /dev/null   # warm-up (V8's JIT)
		for _ in $(seq "$rounds"); do
			runs[prism_op]+="$(rps "$pport" /users/42) "
			runs[prism_post]+="$(rps "$pport" /orders "$work/post.lua") "
		done
		stop_prism
	else
		notes+=("Prism did not start: $(tail -c 300 "$work/prism.log" | tr '\n' ' ')")
	fi
	read -r p500 p500lo p500hi <<< "$(ready_ms "$prism_starts" 'Prism is listening' "$prism" mock "$work/ops500.yaml" -h 127.0.0.1 -p 0 -v info)"
	if [ -f "$github" ] && [ "${PRISM_GITHUB:-1}" != 0 ]; then
		read -r pgh pghlo pghhi <<< "$(ready_ms 1 'Prism is listening' "$prism" mock "$github" -h 127.0.0.1 -p 0)"
	fi
else
	notes+=("Prism not installed at $prism (npm install --prefix .cache/prism @stoplight/prism-cli): no context rows")
fi

# --- the report ----------------------------------------------------------------------------
med() { echo "${runs[$1]:-}" | median; }
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
row() { # $1 label, $2 key, $3 baseline key, $4 target text
	local m base
	m=$(med "$2")
	if [ -z "$m" ]; then printf '| %s | — | — | — | %s |\n' "$1" "${4:-}"; return; fi
	base=$(med "$3")
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$(echo "$m" | thousands)" "$(echo "${runs[$2]}" | minmax | thousands)" \
		"$(if [ -n "$base" ]; then awk -v m="$m" -v b="$base" 'BEGIN {printf "%.2f", m / b}'; else echo —; fi)" "${4:-}"
}
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v < t; printf "%s", ok ? "**holds**" : "**misses**" }'; }
ratio() { local a b; a=$(med "$1"); b=$(med "$2"); if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}'; fi; }
ms() { if [ -n "${1:-}" ]; then printf '%s ms | %s–%s ms' "$1" "$2" "$3"; else printf '— | —'; fi; }

ops_github=$([ -f "$github" ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["paths"].values() for m in p if m in ("get","put","post","delete","patch","head","options","trace")))' "$github" || echo 0)
echo "## bench/openapi.sh"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); cannery: $bin; wrk -t2 -c50, ${secs} s per run, ${rounds} alternating rounds, medians${prism_version:+; Prism $prism_version}."
echo
echo "| case | req/s (median) | min–max | × its baseline | target |"
echo "|---|---:|---:|---:|---|"
r1=$(ratio op stub); r2=$(ratio post_validate post_novalidate)
row "YAML stub \`GET /stub/users/{id}\`, the operation's bytes and headers" stub stub ""
row "OpenAPI \`GET /users/{id}\` answered from its example" op stub "≥ 0.90 × the stub${r1:+: $r1 $(verdict "$r1" ">=" 0.9)}"
row "OpenAPI \`POST /orders\`, 20-field JSON body, \`--no-validate\`" post_novalidate post_novalidate ""
row "OpenAPI \`POST /orders\`, 20-field JSON body, validated" post_validate post_novalidate "≤ 10 % cost (≥ 0.90)${r2:+: $r2 $(verdict "$r2" ">=" 0.9)}"
row "Prism, \`GET /users/{id}\` (context)" prism_op stub ""
row "Prism, \`POST /orders\` validated (context)" prism_post post_novalidate ""
echo
echo "| start to ready line | median | min–max | target |"
echo "|---|---:|---:|---|"
echo "| cannery, 500 operations (generated YAML, 250 paths) | $(ms "${c500:-}" "${c500lo:-}" "${c500hi:-}") | < 200 ms${c500:+: $(verdict "$c500" "<" 200)} |"
[ ! -f "$github" ] || echo "| cannery, GitHub REST ($(echo "$ops_github" | thousands) operations, $(( $(stat -c %s "$github") / 1048576 )) MiB JSON) | $(ms "${cgh:-}" "${cghlo:-}" "${cghhi:-}") | < 200 ms${cgh:+: $(verdict "$cgh" "<" 200)} |"
echo "| Prism, 500 operations (median of $prism_starts) | $(ms "${p500:-}" "${p500lo:-}" "${p500hi:-}") | context |"
if [ -f "$github" ] && [ "${PRISM_GITHUB:-1}" != 0 ]; then echo "| Prism, GitHub REST (one start) | $(ms "${pgh:-}" "${pghlo:-}" "${pghhi:-}") | context |"; fi
echo
for k in stub op post_novalidate post_validate prism_op prism_post; do
	[ -z "${runs[$k]:-}" ] || echo "runs $k: ${runs[$k]}"
done
for n in "${notes[@]}"; do echo "- $n"; done
exit 0
