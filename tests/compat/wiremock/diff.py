#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential check: serve WireMock roots with the real WireMock and with
cannery (or a second WireMock, --against-self), send both the same requests
and report every answer that differs.  A developer tool: it needs Java and
WireMock's jar (see README.md), so CI does not run it.
"""

import argparse
import base64
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse

try:  # Python 3.11 moved the regex parser; 3.10 and older only have sre_parse.
    import re._parser as sre_parse
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_ROOTS = os.path.join(REPO, "..", "shared", "wiremock-roots")
DEFAULT_JAR_GLOB = os.path.join(REPO, ".cache", "wiremock", "node_modules",
                                "wiremock", "build", "wiremock-standalone-*.jar")
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 15.0


class Skip(Exception):
    """A request this harness cannot build; the message says why."""


# --------------------------------------------------------------------------
# Loading mappings
# --------------------------------------------------------------------------

def load_mappings(root):
    """Every mapping under ROOT/mappings as (relative file, index, mapping).

    Like WireMock, only *.json files count and a file holds one mapping or
    {"mappings": [...]}.  Files come in the byte order of their paths, the
    order cannery loads them in (sort_mappings relies on it)."""
    found = []
    base = os.path.join(root, "mappings")
    for path in sorted(glob.glob(os.path.join(base, "**", "*.json"), recursive=True)):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        mappings = doc["mappings"] if "mappings" in doc else [doc]
        for index, mapping in enumerate(mappings):
            found.append((rel, index, mapping))
    return found


# --------------------------------------------------------------------------
# Synthesizing strings: regexes and WireMock string matchers
# --------------------------------------------------------------------------

def regex_example(pattern):
    """A string that fully matches PATTERN, or Skip.

    Walks Python's parse tree of the regex and takes the simplest choice at
    each node (first alternative, first class member, one repetition for
    `*` so that `/crn/(.*)` gives a non-empty segment).  Java regexes that
    Python cannot parse, or a result that does not match, are skipped."""
    try:
        tree = sre_parse.parse(pattern)
    except re.error as e:
        raise Skip("regex %r: %s" % (pattern, e))
    groups = {}
    text = _emit(tree, groups)
    if not re.fullmatch(pattern, text, re.DOTALL):
        raise Skip("could not synthesize a string for regex %r" % pattern)
    return text


def _emit(items, groups):
    return "".join(_emit_item(op, av, groups) for op, av in items)


def _class_char(members):
    """The first character a character class [..] accepts."""
    negate = any(op == sre_constants.NEGATE for op, _ in members)
    if negate:
        for c in "xyz0aA_":
            if not any(_class_has(op, av, c) for op, av in members):
                return c
        raise Skip("negated character class too wide")
    op, av = next((m for m in members if m[0] != sre_constants.NEGATE))
    if op == sre_constants.LITERAL:
        return chr(av)
    if op == sre_constants.RANGE:
        return chr(av[0])
    if op == sre_constants.CATEGORY:
        return _category_char(av)
    raise Skip("character class member %s" % op)


def _class_has(op, av, c):
    if op == sre_constants.LITERAL:
        return chr(av) == c
    if op == sre_constants.RANGE:
        return av[0] <= ord(c) <= av[1]
    if op == sre_constants.CATEGORY:
        return re.fullmatch(_CATEGORY_RE.get(av, "(?!)"), c) is not None
    return False


_CATEGORY_RE = {}
_CATEGORY_CHAR = {}
for _name, _re, _char in (("CATEGORY_DIGIT", r"\d", "1"), ("CATEGORY_NOT_DIGIT", r"\D", "x"),
                          ("CATEGORY_WORD", r"\w", "a"), ("CATEGORY_NOT_WORD", r"\W", "-"),
                          ("CATEGORY_SPACE", r"\s", " "), ("CATEGORY_NOT_SPACE", r"\S", "x")):
    _cat = getattr(sre_constants, _name)
    _CATEGORY_RE[_cat] = _re
    _CATEGORY_CHAR[_cat] = _char


def _category_char(cat):
    if cat not in _CATEGORY_CHAR:
        raise Skip("regex category %s" % cat)
    return _CATEGORY_CHAR[cat]


def _emit_item(op, av, groups):
    c = sre_constants
    if op == c.LITERAL:
        return chr(av)
    if op == c.NOT_LITERAL:
        return "x" if chr(av) != "x" else "y"
    if op == c.ANY:
        return "x"
    if op == c.IN:
        return _class_char(av)
    if op == c.CATEGORY:
        return _category_char(av)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        count = lo if lo > 0 else (1 if hi != 0 else 0)
        return "".join(_emit(sub, groups) for _ in range(count))
    if op == c.SUBPATTERN:
        group, _add, _del, sub = av
        text = _emit(sub, groups)
        if group is not None:
            groups[group] = text
        return text
    if op == getattr(c, "ATOMIC_GROUP", None):
        return _emit(av, groups)
    if op == c.BRANCH:
        return _emit(av[1][0], groups)
    if op == c.GROUPREF:
        return groups.get(av, "")
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return ""
    raise Skip("regex construct %s" % op)


def string_matches(matcher, value):
    """Does VALUE (None: absent) satisfy a WireMock string matcher?

    A Python model of WireMock's StringValuePattern, used to check the
    values this harness synthesizes (and to break them for near misses)."""
    if "absent" in matcher:
        return (value is None) == bool(matcher["absent"])
    if "and" in matcher:
        return all(string_matches(m, value) for m in matcher["and"])
    if "or" in matcher:
        return any(string_matches(m, value) for m in matcher["or"])
    if value is None:  # WireMock: an absent value satisfies only the negative matchers
        return "doesNotContain" in matcher or "doesNotMatch" in matcher
    ci = matcher.get("caseInsensitive", False)
    if "equalTo" in matcher:
        want = str(matcher["equalTo"])
        return value.lower() == want.lower() if ci else value == want
    if "contains" in matcher:
        return str(matcher["contains"]) in value
    if "doesNotContain" in matcher:
        return str(matcher["doesNotContain"]) not in value
    if "matches" in matcher:
        return re.fullmatch(matcher["matches"], value, re.DOTALL) is not None
    if "doesNotMatch" in matcher:
        return re.fullmatch(matcher["doesNotMatch"], value, re.DOTALL) is None
    raise Skip("string matcher %s" % sorted(matcher))


def string_candidates(matcher):
    """Values worth trying for a string matcher (None stands for absent)."""
    if "absent" in matcher:
        return [None] if matcher["absent"] else ["present"]
    if "and" in matcher or "or" in matcher:
        subs = matcher.get("and") or matcher.get("or")
        return [v for m in subs for v in string_candidates(m)]
    for key in ("equalTo", "contains"):
        if key in matcher:
            return [str(matcher[key])]
    if "matches" in matcher:
        return [regex_example(matcher["matches"])]
    if "doesNotContain" in matcher or "doesNotMatch" in matcher:
        return ["nearly-anything"]
    raise Skip("string matcher %s" % sorted(matcher))


def string_example(matcher, what):
    """A value satisfying MATCHER (None: leave it out), or Skip."""
    for value in string_candidates(matcher):
        if string_matches(matcher, value):
            return value
    raise Skip("no value found for %s %s" % (what, json.dumps(matcher)))


# --------------------------------------------------------------------------
# Synthesizing JSON bodies for matchesJsonPath
# --------------------------------------------------------------------------

_JSONPATH_TOKEN = re.compile(
    r"""\.(?P<key>[A-Za-z_$][\w$-]*)
      | \[\s*'(?P<qkey>[^']*)'\s*\]
      | \[\s*"(?P<dqkey>[^"]*)"\s*\]
      | \[(?P<index>\d+)\]
      | \[\*\]
      | \[\?\((?P<filter>.*?)\)\]""", re.VERBOSE)

_FILTER = re.compile(
    r"""@(?:\.\[?'?(?P<name>[\w$-]+)'?\]?)\s*
        (?:(?P<op>==|!=|=~|>=|<=|>|<)\s*(?P<value>.+))?$""", re.VERBOSE)


def jsonpath_tokens(expression):
    """`$.a['b'][0][?(@.c == 'd')]` as a list of ("key"|"index"|"filter", x)."""
    if not expression.startswith("$"):
        raise Skip("JSONPath %r does not start with $" % expression)
    rest, tokens = expression[1:], []
    while rest:
        m = _JSONPATH_TOKEN.match(rest)
        if not m or rest.startswith(".."):
            raise Skip("JSONPath %r is beyond this harness" % expression)
        if m.group("key") or m.group("qkey") is not None or m.group("dqkey") is not None:
            tokens.append(("key", m.group("key") or m.group("qkey") or m.group("dqkey")))
        elif m.group("index") is not None:
            tokens.append(("index", int(m.group("index"))))
        elif m.group("filter") is not None:
            tokens.append(("filter", m.group("filter")))
        else:
            tokens.append(("index", 0))
        rest = rest[m.end():]
    return tokens


def filter_object(condition):
    """An object that passes a JSONPath filter such as `@.age =~ /[2-9][0-9]/`."""
    m = _FILTER.match(condition.strip())
    if not m:
        raise Skip("JSONPath filter %r is beyond this harness" % condition)
    name, op, value = m.group("name"), m.group("op"), m.group("value")
    if op is None:
        return {name: "x"}
    value = value.strip()
    if op == "=~":
        rm = re.fullmatch(r"/(.*)/([a-z]*)", value)
        if not rm:
            raise Skip("JSONPath regex %r" % value)
        return {name: regex_example(rm.group(1))}
    literal = _filter_literal(value)
    if op == "==":
        return {name: literal}
    if op == "!=":
        return {name: "not-" + str(literal)}
    if isinstance(literal, (int, float)):
        step = {">": 1, ">=": 0, "<": -1, "<=": 0}[op]
        return {name: literal + step}
    raise Skip("JSONPath filter %r" % condition)


def _filter_literal(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        raise Skip("JSONPath filter value %r" % text)


def jsonpath_document(tokens, leaf, at_root=True):
    """A JSON value in which the path TOKENS leads to LEAF.

    A filter right after `$` applies to the root object itself (that is how
    WireMock evaluates `$[?(@.age ...)]` on an object body); elsewhere it
    selects elements of an array, so one passing element is produced."""
    if not tokens:
        return leaf
    (kind, arg), rest = tokens[0], tokens[1:]
    if kind == "key":
        return {arg: jsonpath_document(rest, leaf, False)}
    if kind == "index":
        return [0] * arg + [jsonpath_document(rest, leaf, False)]
    element = filter_object(arg)
    below = jsonpath_document(rest, leaf, False) if rest else None
    if isinstance(below, dict):
        element = merge_json(element, below)
    elif rest:
        raise Skip("JSONPath filter followed by a non-object path")
    return element if at_root else [element]


def merge_json(a, b):
    """Deep merge of two synthesized documents (objects merge key by key)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge_json(out[k], v) if k in out else v
        return out
    if a is None:
        return b
    raise Skip("two body patterns that build different JSON documents")


def jsonpath_leaf(pattern):
    """The value a matchesJsonPath pattern wants at the end of its path."""
    spec = pattern["matchesJsonPath"]
    if isinstance(spec, str):  # plain: any value but null, [] and {} will do
        return spec, "x"
    expression = spec["expression"]
    if "equalToJson" in spec:
        want = spec["equalToJson"]
        return expression, json.loads(want) if isinstance(want, str) else want
    sub = {k: v for k, v in spec.items() if k != "expression"}
    return expression, string_example(sub, "JSONPath value")


# --------------------------------------------------------------------------
# Building requests from mappings
# --------------------------------------------------------------------------

def request_body(patterns):
    """A body satisfying every pattern of bodyPatterns, or Skip."""
    exact, document = None, None
    for p in patterns:
        if "equalToJson" in p:
            want = p["equalToJson"]
            exact = want if isinstance(want, str) else json.dumps(want)
        elif "equalTo" in p:
            exact = p["equalTo"]
        elif "binaryEqualTo" in p:
            exact = base64.b64decode(p["binaryEqualTo"]).decode("latin-1")
        elif "matchesJsonPath" in p:
            expression, leaf = jsonpath_leaf(p)
            document = merge_json(document, jsonpath_document(jsonpath_tokens(expression), leaf))
        elif not any(k in p for k in ("contains", "matches", "doesNotMatch",
                                       "doesNotContain", "absent")):
            raise Skip("body pattern %s" % sorted(p))
    if exact is not None:
        body = exact
    elif document is not None:
        body = json.dumps(document)
    else:
        body = None
        for p in patterns:
            if any(k in p for k in ("contains", "matches")):
                body = string_example(p, "body")
                break
        if body is None:
            body = "body"
    for p in patterns:  # the text patterns must hold for the chosen body too
        if not any(k in p for k in ("equalToJson", "matchesJsonPath", "binaryEqualTo")):
            if not string_matches(p, body):
                raise Skip("body %r fails pattern %s" % (body[:60], json.dumps(p)))
    return body


def request_path(req):
    """The request target (path and query) a mapping's URL condition accepts."""
    if "url" in req:
        return req["url"]
    if "urlPath" in req:
        return quote_path(req["urlPath"])
    if "urlPattern" in req:
        return regex_example(req["urlPattern"])
    if "urlPathPattern" in req:
        path = regex_example(req["urlPathPattern"])
        return quote_path(path if path.startswith("/") else "/" + path)
    if "urlPathTemplate" in req:
        return quote_path(fill_template(req["urlPathTemplate"], req.get("pathParameters", {})))
    return "/any/url"


def fill_template(template, parameters):
    """/v1/{id} with each {name} replaced by a value its pathParameters accept."""
    def value(m):
        matcher = parameters.get(m.group(1))
        return string_example(matcher, "path parameter") if matcher else "1"
    return re.sub(r"\{([^}]+)\}", value, template)


def quote_path(path):
    """Escape only what cannot go on the wire (a space, non-ASCII): WireMock
    matches urlPath, urlPathPattern and urlPathTemplate against the raw,
    still-encoded path, so existing escapes and `+` must stay as written."""
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~%")


def hit_request(mapping):
    """The request (a dict) that should be answered by MAPPING."""
    req = mapping.get("request", {})
    method = req.get("method", "ANY")
    target = request_path(req)
    query = []
    for name, matcher in req.get("queryParameters", {}).items():
        value = string_example(matcher, "query parameter " + name)
        if value is not None:
            query.append((name, value))
    if query:
        sep = "&" if "?" in target else "?"
        target += sep + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    headers = []
    for name, matcher in req.get("headers", {}).items():
        value = string_example(matcher, "header " + name)
        if value is not None:
            headers.append([name, value])
    cookies = []
    for name, matcher in req.get("cookies", {}).items():
        value = string_example(matcher, "cookie " + name)
        if value is not None:
            cookies.append("%s=%s" % (name, value))
    if cookies:
        headers.append(["Cookie", "; ".join(cookies)])
    auth = req.get("basicAuthCredentials")
    if auth:
        token = base64.b64encode(("%s:%s" % (auth["username"], auth["password"])).encode())
        headers.append(["Authorization", "Basic " + token.decode()])
    body = request_body(req["bodyPatterns"]) if req.get("bodyPatterns") else None
    if method == "ANY":
        method = "GET"
    return {"method": method, "target": target, "headers": headers, "body": body}


def near_miss(mapping, hit):
    """HIT with one condition of MAPPING broken, and what was broken.

    The order prefers the conditions a hit had to satisfy on purpose
    (a required header, the body), then the method, then the path: every
    mapping has a path or a method, so there is always something to break."""
    req = mapping.get("request", {})
    miss = json.loads(json.dumps(hit))
    for name, matcher in req.get("headers", {}).items():
        if not string_matches(matcher, None):
            miss["headers"] = [h for h in miss["headers"] if h[0] != name]
            return miss, "header %s left out" % name
    for name, matcher in req.get("headers", {}).items():
        if "absent" in matcher:
            miss["headers"].append([name, "near-miss"])
            return miss, "header %s sent" % name
    if req.get("bodyPatterns"):
        miss["body"] = "near-miss"
        return miss, "body changed"
    method = req.get("method", "ANY")
    if method != "ANY":
        miss["method"] = "POST" if method == "GET" else "GET"
        return miss, "method %s instead of %s" % (miss["method"], method)
    if any(k.startswith("url") for k in req):
        miss["target"] = broken_target(req, hit["target"])
        return miss, "path changed"
    raise Skip("near miss: the mapping has no condition to break")


def broken_target(req, target):
    """TARGET with its first path segment changed, checked against the pattern."""
    path, sep, query = target.partition("?")
    for candidate in (re.sub(r"^/?([^/]*)", r"/nearmiss\1", path, count=1),
                      "/nearmiss" + path, "/nearmiss"):
        pattern = req.get("urlPattern") or req.get("urlPathPattern")
        if not pattern or not re.fullmatch(pattern, candidate + (sep + query if "urlPattern" in req else "")):
            return candidate + sep + query
    raise Skip("near miss: every changed path still matches %r" % pattern)


def scenario_prefix(mapping, mappings):
    """The hit requests that walk MAPPING's scenario from Started to the state
    it requires (shortest walk), or Skip when no walk reaches that state."""
    name = mapping.get("scenarioName")
    want = mapping.get("requiredScenarioState")
    if not name or want in (None, "Started"):
        return []
    steps = [m for m in mappings if m.get("scenarioName") == name and m.get("newScenarioState")]
    seen, frontier = {"Started"}, [("Started", [])]
    while frontier:
        nxt = []
        for state, walk in frontier:
            for step in steps:
                if step.get("requiredScenarioState") not in (None, state):
                    continue
                new = step["newScenarioState"]
                if new == want:
                    return walk + [step]
                if new not in seen:
                    seen.add(new)
                    nxt.append((new, walk + [step]))
        frontier = nxt
    raise Skip("scenario %r never reaches state %r" % (name, want))


def build_cases(root_name, root):
    """Two cases per mapping (a hit and a near miss); each case is a list of
    requests, the last one being the one the case is about."""
    cases = []
    loaded = load_mappings(root)
    mappings = [m for _, _, m in loaded]
    for rel, index, mapping in loaded:
        where = "%s#%d" % (rel, index) if index or _is_multi(loaded, rel) else rel
        for kind in ("hit", "near miss"):
            case = {"root": root_name, "mapping": where, "kind": kind,
                    "name": mapping.get("name"), "id": mapping.get("id") or mapping.get("uuid"),
                    "requests": [], "skip": None}
            try:
                prefix = [hit_request(m) for m in scenario_prefix(mapping, mappings)]
                hit = hit_request(mapping)
                if kind == "hit":
                    case["requests"] = prefix + [hit]
                else:
                    miss, broken = near_miss(mapping, hit)
                    case["broken"] = broken
                    case["requests"] = prefix + [miss]
            except Skip as e:
                case["skip"] = str(e)
            cases.append(case)
    return cases


def _is_multi(loaded, rel):
    return sum(1 for r, _, _ in loaded if r == rel) > 1


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

class Server:
    """A child process serving one root copy on 127.0.0.1:PORT."""

    def __init__(self, label, argv, ready_re):
        self.label, self.argv, self.ready_re = label, argv, re.compile(ready_re)
        self.proc, self.port, self.output = None, None, []

    def start(self):
        """Start and wait for the line that gives the port; raise RuntimeError
        with the server's own output when it exits or stays silent."""
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        found = threading.Event()
        threading.Thread(target=self._read, args=(found,), daemon=True).start()
        if not found.wait(START_TIMEOUT) or self.port is None:
            self.stop()
            tail = "".join(self.output[-15:]).rstrip() or "(no output)"
            raise RuntimeError("%s did not start (%s)\n    %s" % (
                self.label, " ".join(self.argv), tail.replace("\n", "\n    ")))

    def _read(self, found):
        for line in self.proc.stdout:
            self.output.append(line)
            m = self.ready_re.search(line)
            if m and self.port is None:
                self.port = int(m.group(1))
                found.set()
        found.set()  # EOF: the process ended

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def sort_mappings(root):
    """Make WireMock load ROOT's mappings in the byte order of their paths.

    WireMock lists mapping files with java.io.File.listFiles(), i.e. in the
    file system's directory order (hash order on ext4), and among mappings
    of equal priority the last one loaded wins: so its answer to a tie
    depends on the disk.  cannery loads in path order.  Putting every mapping
    into one {"mappings": [...]} file, in that order, gives WireMock the same
    load order on any file system (array order is kept)."""
    loaded = load_mappings(root)
    for rel in {rel for rel, _, _ in loaded}:
        os.remove(os.path.join(root, rel))
    with open(os.path.join(root, "mappings", "all-sorted.json"), "w", encoding="utf-8") as f:
        json.dump({"mappings": [m for _, _, m in loaded]}, f, ensure_ascii=False, indent=1)


def wiremock_server(label, jar, root):
    argv = ["java", "-jar", jar, "--port", "0", "--bind-address", "127.0.0.1",
            "--root-dir", root, "--disable-banner"]
    return Server(label, argv, r"^port:\s+(\d+)")


def cannery_server(binary, root):
    argv = [binary, "serve", "--wiremock", root, "--port", "0", "--quiet", "--no-watch"]
    return Server("cannery", argv, r"^cannery: serving \d+ stubs? on http://[^:]+:(\d+)")


# --------------------------------------------------------------------------
# Sending and comparing
# --------------------------------------------------------------------------

def send(port, request):
    """Send one request exactly as built (raw target, only its own headers
    plus Host and Content-Length) and return the answer as a dict."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.putrequest(request["method"], request["target"],
                        skip_accept_encoding=True)
        body = request["body"].encode("utf-8") if request["body"] is not None else None
        for name, value in request["headers"]:
            conn.putheader(name, value.encode("utf-8"))
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return {"status": resp.status,
                "content_type": resp.getheader("Content-Type"),
                "matched": resp.getheader("Matched-Stub-Id"),
                "body": resp.read()}
    except (OSError, http.client.HTTPException) as e:
        return {"status": None, "error": type(e).__name__}
    finally:
        conn.close()


def reset_scenarios(port):
    send(port, {"method": "POST", "target": "/__admin/scenarios/reset",
                "headers": [], "body": ""})


def is_unmatched(answer):
    """WireMock's own 404 for a request no mapping matched: it is the only
    404 without a Matched-Stub-Id header."""
    return answer.get("status") == 404 and not answer.get("matched")


def compare(expected, actual):
    """The list of differences between WireMock's answer and the other's."""
    if expected.get("error") or actual.get("error"):
        if expected.get("error") == actual.get("error"):
            return []
        return ["connection: %s vs %s" % (expected.get("error") or "answered",
                                          actual.get("error") or "answered")]
    diffs = []
    if expected["status"] != actual["status"]:
        diffs.append("status %s vs %s" % (expected["status"], actual["status"]))
    if is_unmatched(expected):
        return diffs  # unmatched 404 bodies differ by design
    if expected["content_type"] != actual["content_type"]:
        diffs.append("Content-Type %s vs %s" % (content_type(expected), content_type(actual)))
    if not same_body(expected["body"], actual["body"]):
        diffs.append("body differs")
    return diffs


def same_body(a, b):
    """JSON bodies compare as values (key order, spacing and number spelling
    are free), any other body byte for byte."""
    if a == b:
        return True
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def show_answer(answer):
    if answer.get("error"):
        return "connection error %s" % answer["error"]
    body = answer["body"]
    text = body[:300].decode("utf-8", "replace")
    more = " ... (%d bytes)" % len(body) if len(body) > 300 else ""
    return "%s, Content-Type %s, body %r%s" % (answer["status"], content_type(answer), text, more)


def content_type(answer):
    return answer["content_type"] if answer["content_type"] is not None else "(none)"


def show_request(request):
    lines = ["%s %s" % (request["method"], request["target"])]
    lines += ["%s: %s" % (n, v) for n, v in request["headers"]]
    if request["body"] is not None:
        lines.append("body %r" % request["body"][:200])
    return "\n      ".join(lines)


# --------------------------------------------------------------------------
# Running one root
# --------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.requests = self.same = self.different = self.skipped = 0
        self.unmatched_hits = []
        self.shadowed_hits = []


def run_root(root_name, cases, jar, other, order, tally):
    """Serve a fresh copy of the root with WireMock and with OTHER ("self" or
    a cannery binary), send every case to both and print the differences.
    ORDER "sorted" makes WireMock load the mappings in the byte order of
    their paths (see sort_mappings); cannery always gets the root as it is."""
    with tempfile.TemporaryDirectory(prefix="wmdiff-") as tmp:
        source = ROOTS_DIR[root_name]
        copies = [os.path.join(tmp, "wiremock"), os.path.join(tmp, "other")]
        for copy in copies:  # one copy each: WireMock may write into its root
            shutil.copytree(source, copy)
        if order == "sorted":
            sort_mappings(copies[0])
            if other == "self":
                sort_mappings(copies[1])
        servers = [wiremock_server("wiremock", jar, copies[0])]
        servers.append(wiremock_server("wiremock (self)", jar, copies[1]) if other == "self"
                       else cannery_server(other, copies[1]))
        try:
            for s in reversed(servers):  # the other first: a failing cannery costs no JVM start
                s.start()
        except (RuntimeError, OSError) as e:
            for s in servers:
                s.stop()
            count = sum(len(c["requests"]) for c in cases if not c["skip"])
            tally.requests += count
            tally.different += count
            print("FAIL %s: %s" % (root_name, e))
            if other != "self":
                print("    cannery must serve the root with `serve --wiremock ROOT` "
                      "(SPEC section 8): is that implemented in this build?")
            print("    the root's %d requests count as different" % count)
            return
        try:
            for case in cases:
                run_case(case, servers, tally)
        finally:
            for s in servers:
                s.stop()


def run_case(case, servers, tally):
    if case["skip"]:
        tally.skipped += 1
        return
    for s in servers:
        reset_scenarios(s.port)
    for step, request in enumerate(case["requests"]):
        answers = [send(s.port, request) for s in servers]
        tally.requests += 1
        if case["kind"] == "hit" and step == len(case["requests"]) - 1:
            check_hit(case, answers[0], tally)
        diffs = compare(answers[0], answers[1])
        if not diffs:
            tally.same += 1
            continue
        tally.different += 1
        report_difference(case, step, request, answers, servers, diffs)


def check_hit(case, answer, tally):
    """Note hits that WireMock did not answer from their own mapping: either
    the harness built a wrong request, or another mapping shadows this one
    (equal-priority duplicates do; that is worth knowing, not a failure)."""
    where = "%s %s" % (case["root"], case["mapping"])
    if is_unmatched(answer):
        tally.unmatched_hits.append(where)
    elif case["id"] and answer.get("matched") and answer["matched"] != case["id"]:
        tally.shadowed_hits.append(where)


def report_difference(case, step, request, answers, servers, diffs):
    role = case["kind"] if step == len(case["requests"]) - 1 else \
        "scenario step %d before the %s" % (step + 1, case["kind"])
    print("DIFF %s %s (%s%s): %s" % (
        case["root"], case["mapping"], role,
        ", " + case["broken"] if case.get("broken") and role == case["kind"] else "",
        "; ".join(diffs)))
    print("    request %s" % show_request(request))
    for server, answer in zip(servers, answers):
        print("    %-16s %s" % (server.label + ":", show_answer(answer)))


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

ROOTS_DIR = {}


def die(message):
    """Setup problems exit 2, like bad usage: 1 is kept for differences."""
    print("diff.py: " + message, file=sys.stderr)
    sys.exit(2)


def find_jar(path):
    if path:
        return path
    jars = sorted(glob.glob(DEFAULT_JAR_GLOB))
    return jars[-1] if jars else None


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Send the same generated requests to WireMock and to cannery "
                    "(or to a second WireMock) and report every difference.")
    ap.add_argument("roots", nargs="*",
                    help="WireMock roots (default: every root in %s)" % DEFAULT_ROOTS)
    ap.add_argument("--cannery", metavar="BIN", help="the cannery binary to compare")
    ap.add_argument("--against-self", action="store_true",
                    help="compare WireMock with a second WireMock (checks the harness)")
    ap.add_argument("--jar", help="WireMock's standalone jar (default: the one "
                                  "installed under .cache/wiremock/)")
    ap.add_argument("--wiremock-order", choices=("sorted", "disk"), default="sorted",
                    help="load order of WireMock's mappings: sorted by path, as cannery "
                         "(default), or the file system's directory order, which decides "
                         "equal-priority ties differently from disk to disk")
    ap.add_argument("--cases-out", metavar="FILE", help="write the generated cases as JSON")
    ap.add_argument("--show-skipped", action="store_true",
                    help="list the cases that could not be built, with the reason")
    args = ap.parse_args(argv)
    if args.cannery and args.against_self:
        ap.error("--cannery and --against-self exclude each other")
    if not (args.cannery or args.against_self or args.cases_out):
        ap.error("nothing to do: give --cannery BIN, --against-self or --cases-out FILE")
    return args


def list_roots(paths):
    if not paths:
        paths = sorted(p for p in glob.glob(os.path.join(DEFAULT_ROOTS, "*"))
                       if os.path.isdir(os.path.join(p, "mappings")))
    for p in paths:
        if not os.path.isdir(os.path.join(p, "mappings")):
            die("%s is not a WireMock root (no mappings/ folder)" % p)
        ROOTS_DIR[os.path.basename(os.path.normpath(p))] = os.path.abspath(p)
    return list(ROOTS_DIR)


def print_case_counts(all_cases):
    for name, cases in all_cases.items():
        built = [c for c in cases if not c["skip"]]
        print("cases %s: %d mappings, %d hits, %d near misses, %d skipped, %d requests" % (
            name, len(cases) // 2, sum(c["kind"] == "hit" for c in built),
            sum(c["kind"] == "near miss" for c in built), len(cases) - len(built),
            sum(len(c["requests"]) for c in built)))


def main(argv):
    args = parse_args(argv)
    roots = list_roots(args.roots)
    all_cases = {name: build_cases(name, ROOTS_DIR[name]) for name in roots}
    print_case_counts(all_cases)
    if args.show_skipped:
        for cases in all_cases.values():
            for c in cases:
                if c["skip"]:
                    print("SKIP %s %s (%s): %s" % (c["root"], c["mapping"], c["kind"], c["skip"]))
    if args.cases_out:
        with open(args.cases_out, "w", encoding="utf-8") as f:
            json.dump([c for cases in all_cases.values() for c in cases], f, indent=1)
    if not (args.cannery or args.against_self):
        return 0
    jar = find_jar(args.jar)
    if not jar or not os.path.exists(jar):
        die("WireMock's jar not found; install it with\n"
                 "    npm install --prefix .cache/wiremock wiremock@3.13.2\n"
                 "or give --jar PATH (see tests/compat/wiremock/README.md)")
    if not shutil.which("java"):
        die("java not found (apt-get install openjdk-17-jre-headless)")
    other = "self" if args.against_self else os.path.abspath(args.cannery)
    tally = Tally()
    for name in roots:
        run_root(name, all_cases[name], jar, other, args.wiremock_order, tally)
    if tally.unmatched_hits:
        print("harness: %d hit cases were not matched by WireMock itself:" %
              len(tally.unmatched_hits))
        for where in tally.unmatched_hits:
            print("    " + where)
    if tally.shadowed_hits:
        print("note: %d hit cases were answered by another mapping in WireMock (shadowed):" %
              len(tally.shadowed_hits))
        for where in tally.shadowed_hits:
            print("    " + where)
    print("wiremock diff: %d requests, %d same, %d different, %d skipped" % (
        tally.requests, tally.same, tally.different, tally.skipped))
    return 1 if tally.different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
