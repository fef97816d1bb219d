#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential check of the OpenAPI mock mode: serve the same spec with
Stoplight Prism (`prism mock SPEC`) and with cannery (`cannery serve SPEC`),
send both the same generated requests for every operation, and compare the
status codes and whether each response body validates against the schema the
operation declares for that status (SPEC.md section 9).

A developer tool: it needs Node.js and Prism from the npm registry (see
README.md), so CI does not run it.  Python's standard library only; YAML
specs are read with the js-yaml that Prism installs.
"""

import argparse
import base64
import copy
import datetime
import fnmatch
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

try:  # Python 3.11 moved the regex parser; 3.10 and older only have sre_parse.
    import re._parser as sre_parse
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
START_TIMEOUT = 180.0      # Prism takes tens of seconds on the GitHub spec
REQUEST_TIMEOUT = 30.0
EXCERPT = 200


class Skip(Exception):
    """A request this harness cannot build; the message says why."""


def cache_dirs():
    """The git-ignored .cache folders where the tools are installed: this
    checkout's, then the main checkout's (worktrees share it)."""
    dirs = [os.path.join(REPO, ".cache")]
    try:
        common = subprocess.run(["git", "-C", REPO, "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirs.append(os.path.join(os.path.dirname(os.path.abspath(os.path.join(REPO, common))),
                                 ".cache"))
    except (OSError, subprocess.CalledProcessError):
        pass
    return [d for i, d in enumerate(dirs) if d not in dirs[:i]]


def default_prism():
    for d in cache_dirs():
        p = os.path.join(d, "prism", "node_modules", ".bin", "prism")
        if os.path.exists(p):
            return p
    return os.path.join(cache_dirs()[0], "prism", "node_modules", ".bin", "prism")


# --------------------------------------------------------------------------
# Reading documents: JSON natively, YAML through Prism's own js-yaml
# --------------------------------------------------------------------------

YAML_TO_JSON = r"""
const fs = require('fs');
const y = require(process.argv[2]);
const v = parseInt(require(process.argv[2] + '/package.json').version, 10);
const load = v >= 4 ? y.load : y.safeLoad;
// CORE_SCHEMA: no timestamps, so that `2024-01-02` stays a string as in JSON
process.stdout.write(JSON.stringify(load(fs.readFileSync(process.argv[1], 'utf8'),
                                         {schema: y.CORE_SCHEMA})));
"""


class Documents:
    """Every file of a spec, loaded once, and $ref resolution between them.

    A location is (file, node): a reference is resolved from the file it was
    read in, so that `common.yaml#/Problem` inside `specs/a.yaml` means
    `specs/common.yaml`."""

    def __init__(self, js_yaml):
        self.js_yaml = js_yaml
        self.files = {}

    def load(self, path):
        path = os.path.abspath(path)
        if path not in self.files:
            with open(path, "rb") as f:
                raw = f.read()
            text = raw.decode("utf-8-sig")
            try:
                self.files[path] = json.loads(text)
            except ValueError:
                self.files[path] = self._yaml(path)
        return self.files[path]

    def _yaml(self, path):
        if not self.js_yaml:
            raise RuntimeError("%s is YAML and js-yaml was not found (it comes with Prism: "
                               "give --prism or install it, see README.md)" % path)
        r = subprocess.run(["node", "-e", YAML_TO_JSON, path, self.js_yaml],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (path, r.stderr.strip().splitlines()[-1:]))
        return json.loads(r.stdout)

    def resolve(self, ref, base):
        """The node REF points at, read from file BASE, and its file."""
        target, _, pointer = ref.partition("#")
        path = base if not target else os.path.normpath(
            os.path.join(os.path.dirname(base), urllib.parse.unquote(target)))
        node = self.load(path)
        for token in urllib.parse.unquote(pointer).split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                raise Skip("broken $ref %s (from %s)" % (ref, os.path.basename(base)))
        return node, path

    def deref(self, node, base, depth=0):
        """Follow a chain of $ref objects (parameters, responses, bodies)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node, base = self.resolve(node["$ref"], base)
            depth += 1
            if depth > 50:
                raise Skip("$ref loop")
        return node, base


# --------------------------------------------------------------------------
# JSON Schema, the OpenAPI subset: validation
# --------------------------------------------------------------------------

def ecma_to_python(pattern):
    """ECMAScript regex syntax Python's re does not share: named groups, \\d
    as ASCII, `/` escapes.  Unsupported (\\p{...}) raises re.error."""
    p = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    return p


_REGEX_CACHE = {}


def compile_pattern(pattern):
    if pattern not in _REGEX_CACHE:
        try:
            _REGEX_CACHE[pattern] = re.compile(ecma_to_python(pattern), re.ASCII)
        except (re.error, OverflowError):
            _REGEX_CACHE[pattern] = None   # not checkable here: treated as a match
    return _REGEX_CACHE[pattern]


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def format_ok(fmt, s):
    if fmt == "date-time":
        if not _DATE_TIME.match(s):
            return False
        try:
            datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
        except ValueError:
            return False
        return int(s[11:13]) < 24 and int(s[14:16]) < 60 and int(s[17:19]) < 61
    if fmt == "date":
        if not _DATE.match(s):
            return False
        try:
            datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
            return True
        except ValueError:
            return False
    if fmt == "email":
        return bool(_EMAIL.match(s))
    if fmt == "uuid":
        return bool(_UUID.match(s))
    return True   # other formats are annotations here


def type_of(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def type_ok(t, v):
    actual = type_of(v)
    if t == actual:
        return True
    if t == "number" and actual == "integer":
        return True
    if t == "integer" and actual == "number":
        return float(v).is_integer()
    return False


def show(v):
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


class Validator:
    """validate(schema, value) -> list of "location: message" strings.

    Keywords: type (3.0 `nullable`, 3.1 type lists), enum, const, required,
    properties, additionalProperties, patternProperties, items (and 3.1
    prefixItems), min/maxItems, uniqueItems, min/maxProperties, minimum,
    maximum, exclusiveMinimum/Maximum (3.0 booleans, 3.1 numbers),
    multipleOf, min/maxLength, pattern, format (date-time, date, email, uuid),
    allOf, oneOf, anyOf, not, and $ref to the same or a relative file.
    Keywords beside a $ref apply too, in 3.0 documents as well: 3.0 says to
    ignore them, but specs rely on them (DigitalOcean's
    `{$ref: ..., required: [droplet_ids]}`) and Prism applies them."""

    def __init__(self, docs, openapi31):
        self.docs = docs
        self.v31 = openapi31

    def validate(self, schema, value, base, where="body", limit=5):
        errors = []
        self._check(schema, value, base, where, errors, 0)
        return errors[:limit]

    def valid(self, schema, value, base):
        return not self.validate(schema, value, base, limit=1)

    def _check(self, schema, value, base, where, errors, depth):
        if depth > 200:
            errors.append("%s: schema nesting too deep" % where)
            return
        if schema is True or schema is None or schema == {}:
            return
        if schema is False:
            errors.append("%s: no value is allowed here" % where)
            return
        if not isinstance(schema, dict):
            return
        if isinstance(schema.get("$ref"), str):
            target, tbase = self.docs.resolve(schema["$ref"], base)
            self._check(target, value, tbase, where, errors, depth + 1)
        if value is None and not self.v31 and schema.get("nullable") is True:
            return
        t = schema.get("type")
        if t is not None:
            types = t if isinstance(t, list) else [t]
            if not any(type_ok(x, value) for x in types):
                errors.append("%s: expected %s, got %s" % (where, " or ".join(types), show(value)))
                return
        if "enum" in schema and isinstance(schema["enum"], list):
            if not any(same_json(value, e) for e in schema["enum"]):
                errors.append("%s: %s is not one of %s" % (where, show(value), show(schema["enum"])))
        if "const" in schema and not same_json(value, schema["const"]):
            errors.append("%s: expected %s" % (where, show(schema["const"])))
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                self._combine(key, schema[key], value, base, where, errors, depth)
        if isinstance(schema.get("not"), (dict, bool)):
            sub = []
            self._check(schema["not"], value, base, where, sub, depth + 1)
            if not sub:
                errors.append("%s: must not match the `not` schema" % where)
        if isinstance(value, dict):
            self._object(schema, value, base, where, errors, depth)
        elif isinstance(value, list):
            self._array(schema, value, base, where, errors, depth)
        elif isinstance(value, str):
            self._string(schema, value, where, errors)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(schema, value, where, errors)

    def _combine(self, key, branches, value, base, where, errors, depth):
        results = []
        for b in branches:
            sub = []
            self._check(b, value, base, where, sub, depth + 1)
            results.append(sub)
            if key == "anyOf" and not sub:
                return
        passed = sum(1 for r in results if not r)
        if key == "allOf":
            for r in results:
                errors.extend(r)
        elif key == "anyOf" and passed == 0:
            first = next((r[0] for r in results if r), "")
            errors.append("%s: matches none of anyOf (%s)" % (where, first))
        elif key == "oneOf" and passed != 1:
            if passed == 0:
                first = next((r[0] for r in results if r), "")
                errors.append("%s: matches none of oneOf (%s)" % (where, first))
            else:
                errors.append("%s: matches %d of oneOf, must match exactly one" % (where, passed))

    def _object(self, s, value, base, where, errors, depth):
        props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
        for name in s.get("required") or []:
            if isinstance(name, str) and name not in value:
                errors.append("%s: missing required property %s" % (where, name))
        patterns = s.get("patternProperties") if isinstance(s.get("patternProperties"), dict) else {}
        extra = s.get("additionalProperties", True)
        for name, v in value.items():
            sub_where = "%s.%s" % (where, name)
            matched = False
            if name in props:
                matched = True
                self._check(props[name], v, base, sub_where, errors, depth + 1)
            for pat, sub in patterns.items():
                rx = compile_pattern(pat)
                if rx is None or rx.search(name):
                    matched = True
                    self._check(sub, v, base, sub_where, errors, depth + 1)
            if not matched:
                if extra is False:
                    errors.append("%s: property %s is not allowed" % (where, name))
                elif isinstance(extra, dict):
                    self._check(extra, v, base, sub_where, errors, depth + 1)
        if isinstance(s.get("minProperties"), int) and len(value) < s["minProperties"]:
            errors.append("%s: fewer than %d properties" % (where, s["minProperties"]))
        if isinstance(s.get("maxProperties"), int) and len(value) > s["maxProperties"]:
            errors.append("%s: more than %d properties" % (where, s["maxProperties"]))

    def _array(self, s, value, base, where, errors, depth):
        prefix = s.get("prefixItems") if self.v31 and isinstance(s.get("prefixItems"), list) else []
        items = s.get("items")
        for i, v in enumerate(value):
            sub_where = "%s.%d" % (where, i)
            if i < len(prefix):
                self._check(prefix[i], v, base, sub_where, errors, depth + 1)
            elif isinstance(items, (dict, bool)):
                self._check(items, v, base, sub_where, errors, depth + 1)
        if isinstance(s.get("minItems"), int) and len(value) < s["minItems"]:
            errors.append("%s: fewer than %d items" % (where, s["minItems"]))
        if isinstance(s.get("maxItems"), int) and len(value) > s["maxItems"]:
            errors.append("%s: more than %d items" % (where, s["maxItems"]))
        if s.get("uniqueItems") is True:
            seen = [json.dumps(v, sort_keys=True) for v in value]
            if len(set(seen)) != len(seen):
                errors.append("%s: items are not unique" % where)

    def _string(self, s, value, where, errors):
        n = len(value)  # code points, as JSON Schema counts
        if isinstance(s.get("minLength"), int) and n < s["minLength"]:
            errors.append("%s: shorter than %d characters" % (where, s["minLength"]))
        if isinstance(s.get("maxLength"), int) and n > s["maxLength"]:
            errors.append("%s: longer than %d characters" % (where, s["maxLength"]))
        if isinstance(s.get("pattern"), str):
            rx = compile_pattern(s["pattern"])
            if rx is not None and not rx.search(value):
                errors.append("%s: %s does not match %s" % (where, show(value), s["pattern"]))
        if isinstance(s.get("format"), str) and not format_ok(s["format"], value):
            errors.append("%s: %s is not a valid %s" % (where, show(value), s["format"]))

    def _number(self, s, value, where, errors):
        lo, hi = s.get("minimum"), s.get("maximum")
        xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        if isinstance(lo, (int, float)) and not isinstance(lo, bool):
            if value < lo or (xlo is True and value == lo):
                errors.append("%s: %s is below the minimum %s" % (where, value, lo))
        if isinstance(hi, (int, float)) and not isinstance(hi, bool):
            if value > hi or (xhi is True and value == hi):
                errors.append("%s: %s is above the maximum %s" % (where, value, hi))
        if isinstance(xlo, (int, float)) and not isinstance(xlo, bool) and value <= xlo:
            errors.append("%s: %s is not above %s" % (where, value, xlo))
        if isinstance(xhi, (int, float)) and not isinstance(xhi, bool) and value >= xhi:
            errors.append("%s: %s is not below %s" % (where, value, xhi))
        m = s.get("multipleOf")
        if isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0:
            q = value / m
            if abs(q - round(q)) > 1e-9:
                errors.append("%s: %s is not a multiple of %s" % (where, value, m))


def same_json(a, b):
    if type_of(a) in ("integer", "number") and type_of(b) in ("integer", "number"):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


# --------------------------------------------------------------------------
# JSON Schema: building values that validate
# --------------------------------------------------------------------------

def regex_example(pattern, min_len=0, max_len=None):
    """A string that JSON Schema's (unanchored) PATTERN matches, or Skip.

    Walks Python's parse tree of the regex and takes the simplest choice at
    each node (first alternative, first class member, the least repetitions
    that are not zero)."""
    try:
        tree = sre_parse.parse(ecma_to_python(pattern))
    except (re.error, OverflowError) as e:
        raise Skip("pattern %r: %s" % (pattern, e))
    text = _emit(tree)
    rx = compile_pattern(pattern)
    if rx is None or not rx.search(text):
        raise Skip("no string found for pattern %r" % pattern)
    if len(text) < min_len:  # lengthen where the pattern allows it
        for pad in (text + "a" * (min_len - len(text)), "a" * (min_len - len(text)) + text):
            if rx.search(pad):
                text = pad
                break
    if len(text) < min_len or (max_len is not None and len(text) > max_len):
        raise Skip("no string of the right length for pattern %r" % pattern)
    return text


def _emit(items):
    return "".join(_emit_item(op, av) for op, av in items)


_CAT_CHAR = {}
for _name, _char in (("CATEGORY_DIGIT", "1"), ("CATEGORY_NOT_DIGIT", "x"), ("CATEGORY_WORD", "a"),
                     ("CATEGORY_NOT_WORD", "-"), ("CATEGORY_SPACE", " "),
                     ("CATEGORY_NOT_SPACE", "x")):
    _CAT_CHAR[getattr(sre_constants, _name)] = _char


def _emit_item(op, av):
    c = sre_constants
    if op == c.LITERAL:
        return chr(av)
    if op == c.NOT_LITERAL:
        return "x" if chr(av) != "x" else "y"
    if op == c.ANY:
        return "x"
    if op == c.IN:
        members = av
        if any(m[0] == c.NEGATE for m in members):
            for ch in "xyzaA0_-":
                if not any(_class_has(m, ch) for m in members if m[0] != c.NEGATE):
                    return ch
            raise Skip("negated character class too wide")
        mop, mav = members[0]
        if mop == c.LITERAL:
            return chr(mav)
        if mop == c.RANGE:
            return chr(mav[0])
        if mop == c.CATEGORY:
            return _CAT_CHAR.get(mav, "a")
        raise Skip("character class member %s" % mop)
    if op == c.CATEGORY:
        return _CAT_CHAR.get(av, "")
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        count = lo if lo > 0 else (1 if hi != 0 else 0)
        return "".join(_emit(sub) for _ in range(min(count, 64)))
    if op == c.SUBPATTERN:
        return _emit(av[-1])
    if op == getattr(c, "ATOMIC_GROUP", None):
        return _emit(av)
    if op == c.BRANCH:
        return _emit(av[1][0])
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return ""
    raise Skip("regex construct %s" % op)


def _class_has(member, ch):
    c = sre_constants
    op, av = member
    if op == c.LITERAL:
        return chr(av) == ch
    if op == c.RANGE:
        return av[0] <= ord(ch) <= av[1]
    if op == c.CATEGORY:
        return _CAT_CHAR.get(av) == ch or (av == c.CATEGORY_WORD and (ch.isalnum() or ch == "_"))
    return False


FORMAT_VALUES = {
    "date-time": "2024-01-02T03:04:05Z", "date": "2024-01-02", "time": "03:04:05",
    "email": "user@example.com", "uuid": "7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1",
    "uri": "https://example.com/cannery", "url": "https://example.com/cannery",
    "uri-reference": "/cannery", "hostname": "example.com", "ipv4": "127.0.0.1",
    "ipv6": "::1", "byte": "Y2FubmVyeQ==", "binary": "cannery", "password": "secret",
    "int32": "1", "int64": "1",
}


class Builder:
    """build(schema) -> a value that validates against schema, or Skip.

    Takes the schema's own example, else default, const, the first enum
    value, else builds one: required properties only (readOnly ones left out
    of requests), minItems items (at least one), the lower bound of numbers,
    strings from format or pattern.  Every result is checked with the
    Validator; a branch that fails is replaced by the next one."""

    MAX_DEPTH = 12

    def __init__(self, docs, validator, for_request=True):
        self.docs, self.validator, self.for_request = docs, validator, for_request

    def build(self, schema, base, depth=0):
        if depth > self.MAX_DEPTH:
            raise Skip("schema nesting too deep (recursive schema)")
        if schema is True or schema is None or schema == {}:
            return "cannery"
        if not isinstance(schema, dict):
            raise Skip("schema is %r" % schema)
        if isinstance(schema.get("$ref"), str):
            target, tbase = self.docs.resolve(schema["$ref"], base)
            rest = {k: v for k, v in schema.items() if k not in ("$ref", "description", "summary")}
            if not rest:
                return self.build(target, tbase, depth + 1)
            value = self.build(target, tbase, depth + 1)
            if self.validator.valid(schema, value, base):
                return value
            if isinstance(value, dict) and isinstance(rest.get("required"), list):
                props = collect_properties(self.docs, target, tbase)
                for name in rest["required"]:
                    if name not in value:
                        sub = next((x for n, x in props if n == name), {})
                        value[name] = self.build(sub, tbase, depth + 1)
                if self.validator.valid(schema, value, base):
                    return value
        for candidate in self._given(schema):
            if self.validator.valid(schema, candidate, base):
                return copy.deepcopy(candidate)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._branches(schema, key, base, depth)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            return self._all_of(schema, base, depth)
        value = self._typed(schema, base, depth)
        errors = self.validator.validate(schema, value, base, limit=1)
        if errors:
            raise Skip("built value does not validate: %s" % errors[0])
        return value

    def _given(self, schema):
        if "example" in schema:
            yield schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            yield schema["examples"][0]
        if "const" in schema:
            yield schema["const"]
        if "default" in schema:
            yield schema["default"]
        for e in schema.get("enum") or []:
            if e is not None:
                yield e

    def _branches(self, schema, key, base, depth):
        last = None
        own = {k: v for k, v in schema.items() if k != key}
        for branch in schema[key]:
            try:
                if own.get("type") or own.get("properties"):
                    value = self.build({"allOf": [own, branch]}, base, depth + 1)
                else:
                    value = self.build(branch, base, depth + 1)
            except Skip as e:
                last = e
                continue
            if self.validator.valid(schema, value, base):
                return value
            last = Skip("%s branch value does not validate against the whole schema" % key)
        raise last or Skip("no %s branch could be built" % key)

    def _all_of(self, schema, base, depth):
        """Build an allOf from its parts merged (properties and required of
        every part, each property checked against all its schemas); if that
        fails, build each part and merge the objects."""
        try:
            value = self._merged_object(schema, base, depth)
            if value is not None and self.validator.valid(schema, value, base):
                return value
        except Skip:
            pass
        own = {k: v for k, v in schema.items() if k != "allOf"}
        parts = list(schema["allOf"]) + ([own] if own.get("type") or own.get("properties") else [])
        values = [self.build(part, base, depth + 1) for part in parts]
        last = None
        for order in (values, values[::-1]):
            merged = None
            for value in order:
                if isinstance(merged, dict) and isinstance(value, dict):
                    merged = {**merged, **value}
                elif merged is None:
                    merged = value
            errors = self.validator.validate(schema, merged, base, limit=1)
            if not errors:
                return merged
            last = errors[0]
        raise Skip("allOf parts do not combine: %s" % last)

    def _flatten(self, schema, base, out, depth=0):
        """The parts of an allOf, $refs and nested allOfs followed."""
        if depth > 20 or not isinstance(schema, dict):
            return
        if isinstance(schema.get("$ref"), str):
            target, tbase = self.docs.resolve(schema["$ref"], base)
            self._flatten(target, tbase, out, depth + 1)
        out.append((schema, base))
        for part in schema.get("allOf") or []:
            self._flatten(part, base, out, depth + 1)

    def _merged_object(self, schema, base, depth):
        parts = []
        self._flatten(schema, base, parts)
        if not any("properties" in s or "required" in s or s.get("type") == "object"
                   for s, _ in parts):
            return None
        props, required = {}, []
        for s, b in parts:
            for name, sub in (s.get("properties") or {}).items():
                props.setdefault(name, []).append((sub, b))
            for name in s.get("required") or []:
                if name not in required:
                    required.append(name)
        out = {}
        for name in required:
            candidates = props.get(name) or [({}, base)]
            for sub, b in candidates:
                try:
                    v = self.build(sub, b, depth + 1)
                except Skip:
                    continue
                if all(self.validator.valid(s2, v, b2) for s2, b2 in candidates):
                    out[name] = v
                    break
            else:
                raise Skip("no value for %s satisfies all its allOf schemas" % name)
        return out

    def _type(self, schema):
        t = schema.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t:
            return t
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
            return "number"
        return "string"

    def _typed(self, schema, base, depth):
        t = self._type(schema)
        if t == "object":
            return self._object(schema, base, depth)
        if t == "array":
            n = schema.get("minItems") or 0
            if n == 0 and depth < 6 and schema.get("maxItems", 1) != 0:
                n = 1
            items = schema.get("items", {})
            out = []
            for i in range(min(n, 50)):
                v = self.build(items, base, depth + 1)
                if schema.get("uniqueItems") and any(same_json(v, o) for o in out):
                    v = self._vary(v)
                out.append(v)
            return out
        if t == "string":
            return self._string(schema)
        if t in ("integer", "number"):
            return self._number(schema, t)
        if t == "boolean":
            return True
        if t == "null":
            return None
        raise Skip("unknown type %r" % t)

    def _object(self, schema, base, depth):
        props = schema.get("properties") or {}
        out = {}
        for name in schema.get("required") or []:
            sub = props.get(name)
            if sub is None:
                extra = schema.get("additionalProperties")
                sub = extra if isinstance(extra, dict) else {}
            out[name] = self.build(sub, base, depth + 1)
        want = schema.get("minProperties") or 0
        for name, sub in props.items():
            if len(out) >= want:
                break
            if name in out or (self.for_request and self._read_only(sub, base)):
                continue
            out[name] = self.build(sub, base, depth + 1)
        return out

    def _read_only(self, sub, base):
        try:
            node, _ = self.docs.deref(sub, base)
        except Skip:
            return False
        return isinstance(node, dict) and node.get("readOnly") is True

    def _string(self, s):
        lo, hi = s.get("minLength") or 0, s.get("maxLength")
        if isinstance(s.get("pattern"), str):
            return regex_example(s["pattern"], lo, hi)
        text = FORMAT_VALUES.get(s.get("format"), "cannery")
        if len(text) < lo:
            text += "x" * (lo - len(text))
        if hi is not None and len(text) > hi:
            text = text[:hi]
        return text

    def _number(self, s, t):
        lo, hi = s.get("minimum"), s.get("maximum")
        xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        step = 1 if t == "integer" else 0.5
        low = None
        if isinstance(lo, (int, float)) and not isinstance(lo, bool):
            low = lo + (step if xlo is True else 0)
        if isinstance(xlo, (int, float)) and not isinstance(xlo, bool):
            low = max(low if low is not None else xlo + step, xlo + step)
        high = None
        if isinstance(hi, (int, float)) and not isinstance(hi, bool):
            high = hi - (step if xhi is True else 0)
        if isinstance(xhi, (int, float)) and not isinstance(xhi, bool):
            high = min(high if high is not None else xhi - step, xhi - step)
        v = low if low is not None else (min(1, high) if high is not None else 1)
        m = s.get("multipleOf")
        if isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0:
            v = math.ceil(v / m) * m
        if t == "integer":
            v = int(math.ceil(v))
        return v

    def _vary(self, v):
        if isinstance(v, str):
            return v + "2"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v + 1
        return v


# --------------------------------------------------------------------------
# Operations and the requests built for them
# --------------------------------------------------------------------------

class Spec:
    """One OpenAPI document: its operations, path templates and servers."""

    def __init__(self, path, docs):
        self.path = os.path.abspath(path)
        self.name = os.path.basename(path)
        self.docs = docs
        self.doc = docs.load(self.path)
        version = str(self.doc.get("openapi", ""))
        if not version.startswith("3."):
            raise RuntimeError("%s is not an OpenAPI 3.x document (openapi: %r)" % (path, version))
        self.v31 = version.startswith("3.1")
        self.validator = Validator(docs, self.v31)
        self.builder = Builder(docs, self.validator)
        self.prefix = server_prefix(self.doc)
        self.operations = []
        paths = self.doc.get("paths") or {}
        for template, item in paths.items():
            try:
                item, ibase = docs.deref(item, self.path)
            except Skip:
                continue
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    self.operations.append(Operation(self, template, method, item, ibase))
        self.templates = [(t, template_regex(t), t.count("{")) for t in paths]

    def route(self, path):
        """The template Prism would pick for PATH: among matches, the one with
        the fewest parameters."""
        best = None
        for t, rx, params in self.templates:
            if rx.match(path) and (best is None or params < best[1]):
                best = (t, params)
        return best[0] if best else None


def template_regex(template):
    out, pos = "", 0
    for m in re.finditer(r"\{[^}/]+\}", template):
        out += re.escape(template[pos:m.start()]) + "[^/]+"
        pos = m.end()
    return re.compile("^" + out + re.escape(template[pos:]) + "$")


def server_prefix(doc):
    """The path part of servers[0].url (variables at their defaults)."""
    servers = doc.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url", ""))
    for name, var in (servers[0].get("variables") or {}).items():
        url = url.replace("{%s}" % name, str(var.get("default", "")))
    if "://" not in url:
        url = "http://host" + (url if url.startswith("/") else "/" + url)
    return urllib.parse.urlsplit(url).path.rstrip("/")


JSON_TYPE = re.compile(r"^application/(.+\+)?json$", re.I)


def is_json(media):
    return bool(JSON_TYPE.match(media.split(";")[0].strip()))


class Operation:
    def __init__(self, spec, template, method, item, ibase):
        self.spec, self.template, self.method = spec, template, method
        self.op = item[method]
        self.base = ibase
        self.id = self.op.get("operationId") or "%s %s" % (method.upper(), template)
        self.label = "%s %s" % (method.upper(), template)
        params = {}
        for raw in list(item.get("parameters") or []) + list(self.op.get("parameters") or []):
            try:
                p, pbase = spec.docs.deref(raw, ibase)
            except Skip:
                continue
            if isinstance(p, dict) and isinstance(p.get("name"), str) and "in" in p:
                params[(p["in"], p["name"].lower() if p["in"] == "header" else p["name"])] = (p, pbase)
        self.params = list(params.values())
        sec = self.op["security"] if "security" in self.op else spec.doc.get("security")
        self.security = sec if isinstance(sec, list) else []
        self.responses = {}
        for code, raw in (self.op.get("responses") or {}).items():
            try:
                self.responses[str(code)] = spec.docs.deref(raw, ibase)
            except Skip:
                pass

    def response_for(self, status):
        """The declared response object for STATUS: exact code, then 4XX
        ranges, then default."""
        for key in (str(status), "%dXX" % (status // 100), "%dxx" % (status // 100), "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def numeric_codes(self):
        return sorted(int(c) for c in self.responses if c.isdigit())

    def success_response(self):
        codes = [c for c in self.numeric_codes() if 200 <= c < 300]
        if codes:
            return self.responses[str(codes[0])]
        if "default" in self.responses:
            return self.responses["default"]
        codes = self.numeric_codes()
        return self.responses[str(codes[0])] if codes else None


def param_schema(p):
    """(schema, serialize-as-JSON) of a parameter: `schema`, or `content`."""
    if isinstance(p.get("schema"), (dict, bool)):
        return p["schema"], False
    for media in (p.get("content") or {}).values():
        return media.get("schema", {}), True
    return {}, False


def media_example(media, docs, base):
    """The example a media type (or parameter) declares: `example`, else the
    first entry of `examples`."""
    if "example" in media:
        return [media["example"]]
    for ex in (media.get("examples") or {}).values():
        try:
            ex, _ = docs.deref(ex, base)
        except Skip:
            continue
        if isinstance(ex, dict) and "value" in ex:
            return [ex["value"]]
    return []


def serialize_simple(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(serialize_simple(v) for v in value)
    if isinstance(value, dict):
        return ",".join("%s,%s" % (k, serialize_simple(v)) for k, v in value.items())
    if value is None:
        return ""
    return str(value)


def query_pairs(p, value, as_json):
    name = p["name"]
    if as_json:
        return [(name, json.dumps(value))]
    style = p.get("style", "form")
    explode = p.get("explode", style == "form")
    if isinstance(value, dict):
        if style == "deepObject":
            return [("%s[%s]" % (name, k), serialize_simple(v)) for k, v in value.items()]
        if explode:
            return [(k, serialize_simple(v)) for k, v in value.items()]
        return [(name, serialize_simple(value))]
    if isinstance(value, list):
        if explode:
            return [(name, serialize_simple(v)) for v in value]
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, sep.join(serialize_simple(v) for v in value))]
    return [(name, serialize_simple(value))]


class Request:
    """One request as sent.  PATH is the operation's path (no server
    prefix); cannery gets the prefix in front of it unless SAME_TARGET."""

    def __init__(self, op, category, method, path, query=None, headers=None, body=None,
                 note="", same_target=False):
        self.op, self.category, self.method, self.path = op, category, method, path
        self.query = list(query or [])
        self.headers = list(headers or [])
        self.body = body
        self.note = note
        self.same_target = same_target
        self.wrong_type = None      # wrong-type-body: the declared type of the broken field
        #                             ("string!": a string whose schema refuses "12345" too)
        self.prism_blind = False    # the body schema has `nullable` without `type` (3.0)
        self.form_array = False     # a form body with an array field, which Prism cannot read

    def target(self, prefix):
        p = self.path if self.same_target else prefix + self.path
        if self.query:
            p += "?" + "&".join("%s=%s" % (urllib.parse.quote(k, safe="[]"),
                                           urllib.parse.quote(v, safe=""))
                                for k, v in self.query)
        return p

    def copy(self, category, note="", **changes):
        r = Request(self.op, category, self.method, self.path, self.query, self.headers,
                    self.body, note, self.same_target)
        r.prism_blind = self.prism_blind
        r.form_array = self.form_array
        for k, v in changes.items():
            setattr(r, k, v)
        return r

    def header(self, name):
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def without_header(self, name):
        return [(n, v) for n, v in self.headers if n.lower() != name.lower()]


class ValidParts:
    """The pieces of an operation's valid request, kept apart so that the
    invalid variants can drop or break one of them."""

    def __init__(self):
        self.path_values = {}     # name -> string
        self.query = []           # (name, value, required)
        self.headers = []         # (name, value, required)
        self.cookies = []         # (name, value, required)
        self.cred_query, self.cred_headers, self.cred_cookies = [], [], []
        self.body = None          # (media type, bytes, value or None, schema, base)
        self.body_required = False


def param_value(spec, p, pbase):
    """A value for parameter P: its example, else one built from its schema.
    With oneOf/anyOf branches, a value whose text reads as a number too
    (`1` for oneOf [integer, string]) is avoided: a validator that coerces
    parameters (Prism's does) finds it matches both branches."""
    schema, as_json = param_schema(p)
    candidates = list(media_example(p, spec.docs, pbase))
    node, nbase = spec.docs.deref(schema, pbase)
    branches = (node.get("oneOf") or node.get("anyOf") or []) if isinstance(node, dict) else []
    first_error = None
    for attempt in [None] + list(branches):
        try:
            candidates.append(spec.builder.build(schema if attempt is None else attempt,
                                                 pbase if attempt is None else nbase))
        except Skip as e:
            first_error = first_error or e
    fallback = None
    for v in candidates:
        if not spec.validator.valid(schema, v, pbase):
            continue
        if branches and not as_json and looks_numeric(serialize_simple(v)):
            fallback = fallback if fallback is not None else v
            continue
        return v, as_json
    if fallback is not None:
        return fallback, as_json
    raise first_error or Skip("no valid value for parameter %s" % p.get("name"))


def looks_numeric(text):
    try:
        float(text)
        return True
    except ValueError:
        return text in ("true", "false")


def credentials(op):
    """Headers, query pairs and cookies that satisfy the operation's first
    security requirement, or None when a requirement is empty (anonymous
    access allowed)."""
    if not op.security or any(isinstance(r, dict) and not r for r in op.security):
        return None
    schemes = (op.spec.doc.get("components") or {}).get("securitySchemes") or {}
    headers, query, cookies = [], [], []
    for name in op.security[0]:
        s, _ = op.spec.docs.deref(schemes.get(name, {}), op.spec.path)
        kind = s.get("type")
        if kind == "apiKey":
            where = {"header": headers, "query": query, "cookie": cookies}.get(s.get("in"))
            if where is None:
                raise Skip("apiKey in %r" % s.get("in"))
            where.append((s.get("name", "api_key"), "cannery-diff-key"))
        elif kind == "http":
            scheme = str(s.get("scheme", "")).lower()
            if scheme == "basic":
                headers.append(("Authorization", "Basic " + base64.b64encode(b"user:pass").decode()))
            elif scheme == "bearer":
                headers.append(("Authorization", "Bearer cannery-diff-token"))
            else:
                headers.append(("Authorization", "%s cannery-diff" % s.get("scheme")))
        elif kind in ("oauth2", "openIdConnect"):
            headers.append(("Authorization", "Bearer cannery-diff-token"))
        else:
            raise Skip("security scheme type %r" % kind)
    merged = {}
    for n, v in headers:   # two schemes on Authorization: keep the first
        merged.setdefault(n, v)
    return list(merged.items()), query, cookies


def choose_body_media(content):
    medias = list(content)
    for pred in (is_json, lambda m: m.startswith("application/x-www-form-urlencoded"),
                 lambda m: m.startswith("multipart/form-data"), lambda m: m.startswith("text/"),
                 lambda m: True):
        for m in medias:
            if pred(m.lower()):
                return m
    return None


def encode_body(media, value):
    m = media.lower()
    if is_json(m):
        return json.dumps(value).encode(), "application/json" if m == "application/json" else media
    if m.startswith("application/x-www-form-urlencoded"):
        if not isinstance(value, dict):
            raise Skip("form body that is not an object")
        pairs = []
        for k, v in value.items():
            if isinstance(v, list):
                pairs += [(k, serialize_simple(x)) for x in v]
            elif isinstance(v, dict):
                pairs.append((k, json.dumps(v)))
            else:
                pairs.append((k, serialize_simple(v)))
        return urllib.parse.urlencode(pairs).encode(), media
    if m.startswith("multipart/form-data"):
        if not isinstance(value, dict):
            raise Skip("multipart body that is not an object")
        boundary = "cannerydiffboundary"
        out = []
        for k, v in value.items():
            text = json.dumps(v) if isinstance(v, (dict, list)) else serialize_simple(v)
            out.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                       % (boundary, k, text))
        out.append("--%s--\r\n" % boundary)
        return "".join(out).encode(), "multipart/form-data; boundary=" + boundary
    if isinstance(value, str):
        return value.encode(), media
    if m.startswith("text/"):
        return json.dumps(value).encode(), media
    return b"cannery", media


def build_valid(op):
    """The parts of a valid request for OP, or Skip."""
    spec = op.spec
    parts = ValidParts()
    for p, pbase in op.params:
        where, name, required = p["in"], p["name"], p.get("required", False) or p["in"] == "path"
        if where == "header" and name.lower() in ("accept", "content-type"):
            continue   # OpenAPI says to ignore these (Authorization too, but Prism checks it)
        if where == "header" and name.lower() in ("content-length", "host", "transfer-encoding", "connection"):
            continue   # the transport's own: a second Content-Length is ambiguous framing (400 from both)
        if not required:
            continue
        value, as_json = param_value(spec, p, pbase)
        if where == "path":
            text = json.dumps(value) if as_json else serialize_simple(value)
            if text == "":
                raise Skip("empty value for path parameter %s" % name)
            parts.path_values[name] = text
        elif where == "query":
            parts.query += [(k, v, True) for k, v in query_pairs(p, value, as_json)]
        elif where == "header":
            parts.headers.append((name, json.dumps(value) if as_json else serialize_simple(value), True))
        elif where == "cookie":
            parts.cookies.append((name, json.dumps(value) if as_json else serialize_simple(value), True))
    creds = credentials(op)
    if creds:
        parts.cred_headers, parts.cred_query, parts.cred_cookies = creds
        if any(n.lower() == "authorization" for n, _ in parts.cred_headers):
            parts.headers = [h for h in parts.headers if h[0].lower() != "authorization"]
    rb = op.op.get("requestBody")
    if rb is not None:
        rb, rbase = spec.docs.deref(rb, op.base)
        content = rb.get("content") or {}
        parts.body_required = bool(rb.get("required"))
        media = choose_body_media(content)
        if media is not None:
            mt = content[media] or {}
            schema = mt.get("schema", {})
            value = None
            for ex in media_example(mt, spec.docs, rbase):
                if spec.validator.valid(schema, ex, rbase):
                    value = ex
                    break
            if value is None:
                value = spec.builder.build(schema, rbase)
            data, ctype = encode_body(media, value)
            parts.body = (ctype, data, value, schema, rbase, media)
    return parts


def other_path_values(op, values):
    """Path values that route to OP's own template when the first ones hit a
    literal path beside it (`/services/asana` beside `/services/{slug}`):
    another enum value, or a built value with a suffix, one parameter at a
    time."""
    for p, pbase in op.params:
        if p["in"] != "path":
            continue
        schema, _ = param_schema(p)
        node, nbase = op.spec.docs.deref(schema, pbase)
        options = [serialize_simple(e) for e in (node.get("enum") or [])] if isinstance(node, dict) else []
        options += [values.get(p["name"], "") + "-cannery", "cannery-diff", "12345"]
        for text in options:
            if text == values.get(p["name"]) or not text:
                continue
            if not op.spec.validator.valid(schema, coerce_param(node, text), nbase):
                continue
            trial = dict(values, **{p["name"]: text})
            if op.spec.route(fill_path(op, trial)) == op.template:
                return trial
    return None


def fill_path(op, values):
    def sub(m):
        name = m.group(1)
        if name not in values:
            raise Skip("path parameter {%s} is not declared" % name)
        return urllib.parse.quote(values[name], safe="-._~!$&'()*+,;=:@")
    return re.sub(r"\{([^}/]+)\}", sub, op.template)


def assemble(op, parts, category="valid", drop=None, path_values=None, body=None):
    """A request from PARTS; DROP names one piece to leave out:
    ('query', name), ('header', name), ('cookie', name), 'credentials',
    'body'."""
    path = fill_path(op, path_values or parts.path_values)
    query = [(k, v) for k, v, _ in parts.query if drop != ("query", k)]
    headers = [(k, v) for k, v, _ in parts.headers if drop != ("header", k)]
    cookies = [(k, v) for k, v, _ in parts.cookies if drop != ("cookie", k)]
    if drop != "credentials":
        query += parts.cred_query
        headers += parts.cred_headers
        cookies += parts.cred_cookies
    if cookies:
        headers.append(("Cookie", "; ".join("%s=%s" % kv for kv in cookies)))
    data = None
    if body is not None:
        ctype, data = body
        if ctype:
            headers.append(("Content-Type", ctype))
    elif parts.body is not None and drop != "body":
        headers.append(("Content-Type", parts.body[0]))
        data = parts.body[1]
    return Request(op, category, op.method.upper(), path, query, headers, data)


WRONG_VALUES = {"string": 12345, "integer": "not-a-number", "number": "not-a-number",
                "boolean": "not-a-boolean", "array": "not-an-array", "object": "not-an-object"}


def wrong_body(op, parts):
    """The body with one field of the wrong type (the first property whose
    schema has a type), checked to be invalid; or None."""
    ctype, _, value, schema, sbase, media = parts.body
    if not is_json(media.lower()):
        return None
    v = op.spec.validator
    node, nbase = op.spec.docs.deref(schema, sbase)
    candidates = []
    if isinstance(value, dict):
        props = collect_properties(op.spec.docs, node, nbase)
        required = set(collect_required(op.spec.docs, node, nbase))
        props.sort(key=lambda np: np[0] not in required)
        for name, sub in props:
            try:
                sub, _ = op.spec.docs.deref(sub, nbase)
            except Skip:
                continue
            if not isinstance(sub, dict) or sub.get("readOnly") is True:
                continue   # readOnly properties do not belong in requests; validators skip them
            t = sub.get("type") if isinstance(sub, dict) else None
            t = t[0] if isinstance(t, list) and t else t
            if t in WRONG_VALUES:
                bad = dict(value)
                bad[name] = WRONG_VALUES[t]
                candidates.append((bad, name, t))
    t = node.get("type") if isinstance(node, dict) else None
    if isinstance(t, str) and t in WRONG_VALUES:
        candidates.append((WRONG_VALUES[t], "the whole body", t))
    for bad, name, t in candidates:
        if not v.valid(schema, bad, sbase):
            coercible = False
            if t == "string" and isinstance(bad, dict):
                # would "12345" pass? then a validator that coerces accepts 12345
                coercible = v.valid(schema, dict(bad, **{name: str(bad[name])}), sbase)
            return json.dumps(bad).encode(), ctype, name, t if t != "string" or coercible else "string!"
    return None


def nullable_without_type(docs, schema, base, seen=None, depth=0):
    """Does SCHEMA (a 3.0 one) hold `nullable: true` without `type` anywhere?
    Prism's validator cannot compile such a schema and then checks nothing."""
    seen = set() if seen is None else seen
    if depth > 60 or not isinstance(schema, dict):
        return False
    if isinstance(schema.get("$ref"), str):
        key = (base, schema["$ref"])
        if key in seen:
            return False
        seen.add(key)
        try:
            target, tbase = docs.resolve(schema["$ref"], base)
        except Skip:
            return False
        return nullable_without_type(docs, target, tbase, seen, depth + 1)
    if schema.get("nullable") is True and "type" not in schema:
        return True
    subs = list((schema.get("properties") or {}).values())
    for key in ("allOf", "oneOf", "anyOf"):
        subs += schema.get(key) or []
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            subs.append(schema[key])
    return any(nullable_without_type(docs, x, base, seen, depth + 1) for x in subs)


def collect_properties(docs, node, base, depth=0):
    """(name, schema) of an object schema's properties, through allOf."""
    out = []
    if not isinstance(node, dict) or depth > 10:
        return out
    if isinstance(node.get("$ref"), str):
        try:
            target, tbase = docs.resolve(node["$ref"], base)
            out += collect_properties(docs, target, tbase, depth + 1)
        except Skip:
            pass
    for name, sub in (node.get("properties") or {}).items():
        out.append((name, sub))
    for part in node.get("allOf") or []:
        try:
            pnode, _ = docs.deref(part, base)
        except Skip:
            continue
        out += collect_properties(docs, pnode, base, depth + 1)
    return out


def collect_required(docs, node, base, depth=0):
    """The required property names of an object schema, through allOf and $ref."""
    out = []
    if not isinstance(node, dict) or depth > 10:
        return out
    if isinstance(node.get("$ref"), str):
        try:
            target, tbase = docs.resolve(node["$ref"], base)
            out += collect_required(docs, target, tbase, depth + 1)
        except Skip:
            pass
    out += [n for n in node.get("required") or [] if isinstance(n, str)]
    for part in node.get("allOf") or []:
        out += collect_required(docs, part, base, depth + 1)
    return out


def break_path_param(op, parts):
    """Path values with one parameter given a value its schema refuses."""
    for p, pbase in op.params:
        if p["in"] != "path":
            continue
        schema, _ = param_schema(p)
        node, nbase = op.spec.docs.deref(schema, pbase)
        if not isinstance(node, dict):
            continue
        for bad in ("not-a-number", "0", "x"):
            if not op.spec.validator.valid(schema, coerce_param(node, bad), nbase):
                values = dict(parts.path_values)
                values[p["name"]] = bad
                return values, p["name"], bad
    return None


def coerce_param(schema, text):
    """A path text as a server would read it against SCHEMA's type."""
    t = schema.get("type")
    t = t[0] if isinstance(t, list) and t else t
    if t in ("integer", "number"):
        try:
            return int(text) if t == "integer" else float(text)
        except ValueError:
            return text
    return text


def build_requests(op):
    """Every request for OP: (requests, skip reasons)."""
    reqs, skips = [], []
    spec = op.spec
    try:
        parts = build_valid(op)
    except Skip as e:
        return [], ["%s: no valid request: %s" % (op.label, e)]
    # the filled path must route to this operation's own template
    try:
        valid = assemble(op, parts)
    except Skip as e:
        return [], ["%s: %s" % (op.label, e)]
    routed = spec.route(valid.path)
    if routed != op.template:
        parts.path_values = other_path_values(op, parts.path_values) or parts.path_values
        valid = assemble(op, parts)
        if spec.route(valid.path) != op.template:
            return [], ["%s: the built path %s routes to %s" % (op.label, valid.path, routed)]
    reqs.append(valid)
    for code in op.numeric_codes():
        r = valid.copy("prefer", "code=%d" % code)
        r.headers = r.headers + [("Prefer", "code=%d" % code)]
        reqs.append(r)
    for k, v, req in parts.query:
        if req:
            reqs.append(assemble(op, parts, "missing-query", drop=("query", k)))
            reqs[-1].note = "query %s left out" % k
            break
    for k, v, req in parts.headers:
        if req:
            reqs.append(assemble(op, parts, "missing-header", drop=("header", k)))
            reqs[-1].note = "header %s left out" % k
            break
    for k, v, req in parts.cookies:
        if req:
            reqs.append(assemble(op, parts, "missing-cookie", drop=("cookie", k)))
            reqs[-1].note = "cookie %s left out" % k
            break
    broken = break_path_param(op, parts)
    if broken:
        values, name, bad = broken
        r = assemble(op, parts, "bad-path-param", path_values=values)
        if spec.route(r.path) == op.template:
            r.note = "path %s=%s" % (name, bad)
            reqs.append(r)
    if parts.body is not None:
        media = parts.body[5].lower()
        wrong = wrong_body(op, parts)
        if wrong:
            data, ctype, name, declared_type = wrong
            r = assemble(op, parts, "wrong-type-body", body=(ctype, data))
            r.note = "wrong type in %s" % name
            r.wrong_type = declared_type
            reqs.append(r)
        if parts.body_required:
            r = assemble(op, parts, "missing-body", drop="body")
            r.note = "required body left out"
            reqs.append(r)
        if is_json(media):
            r = assemble(op, parts, "malformed-json", body=(parts.body[0], b'{"cannery": '))
            r.note = "body is not well-formed JSON"
            reqs.append(r)
        declared = [m.split(";")[0].strip().lower() for m in
                    (spec.docs.deref(op.op["requestBody"], op.base)[0].get("content") or {})]
        other = next((m for m in ("text/plain", "application/x-cannery-diff") if m not in declared
                      and not any(d in ("*/*", "text/*") for d in declared)), None)
        if other:
            # a non-empty body: with none, there is no Content-Type to refuse
            r = assemble(op, parts, "wrong-content-type", body=(other, parts.body[1] or b"cannery=1"))
            r.note = "Content-Type %s" % other
            reqs.append(r)
    if parts.cred_headers or parts.cred_query or parts.cred_cookies:
        r = assemble(op, parts, "missing-credentials", drop="credentials")
        r.note = "credentials left out"
        reqs.append(r)
    resp = op.success_response()
    if resp is not None:
        content = resp[0].get("content") or {}
        if content and all(is_json(m.lower()) for m in content):
            r = valid.copy("accept-mismatch", "Accept: application/xml")
            r.headers = r.without_header("Accept") + [("Accept", "application/xml")]
            reqs.append(r)
    if parts.body is not None and not spec.v31:
        blind = nullable_without_type(spec.docs, parts.body[3], parts.body[4])
        for r in reqs:
            r.prism_blind = blind
    if parts.body is not None and parts.body[5].lower().startswith("application/x-www-form-urlencoded") \
            and isinstance(parts.body[2], dict) and any(isinstance(v, list) for v in parts.body[2].values()):
        for r in reqs:
            if r.header("Content-Type") == parts.body[0]:
                r.form_array = True
    return reqs, skips


def path_requests(spec, ops_by_template, valid_by_template):
    """Per path: a method it does not declare (405).  Per spec: unknown
    paths (404), an undeclared Prefer code, and the servers[0].url prefix."""
    reqs = []
    for template, valid in valid_by_template.items():
        declared = {o.method for o in ops_by_template[template]}
        method = next((m for m in ("delete", "patch", "put", "post", "get") if m not in declared), None)
        if method:
            reqs.append(Request(valid.op, "wrong-method", method.upper(), valid.path,
                                valid.query, [h for h in valid.headers if h[0] != "Content-Type"],
                                None, "%s on a path that has only %s" % (
                                    method.upper(), ", ".join(sorted(m.upper() for m in declared)))))
    anchor = next(iter(valid_by_template.values()), None)
    if anchor is None:
        return reqs
    for path in ("/cannery-diff-no-such-path", "/cannery-diff/no/such/path/at/all/x/y/z",
                 "/%s-cannery-diff" % anchor.path.rstrip("/").rsplit("/", 1)[-1]):
        if spec.route(path) is None:
            reqs.append(Request(anchor.op, "unknown-path", "GET", path, [], [], None,
                                "no template matches"))
    r = Request(anchor.op, "prefer-unknown", anchor.method, anchor.path, anchor.query,
                anchor.headers + [("Prefer", "code=599")], anchor.body, "Prefer: code=599 (not declared)")
    reqs.append(r)
    if spec.prefix:
        get = next((v for v in valid_by_template.values() if v.method == "GET"), anchor)
        reqs.append(get.copy("prefix", "the path without the servers[0].url prefix %s" % spec.prefix,
                             same_target=True))
        reqs.append(get.copy("prefix", "the path with the servers[0].url prefix %s" % spec.prefix,
                             path=spec.prefix + get.path, same_target=True))
    return reqs


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A child process serving one spec on 127.0.0.1:PORT.  KIND is "prism"
    (the port is chosen here and polled) or "cannery" (the port comes from
    the ready line)."""

    def __init__(self, label, kind, argv_for_port, timeout):
        self.label, self.kind, self.argv_for_port, self.timeout = label, kind, argv_for_port, timeout
        self.proc, self.port, self.output, self.log = None, None, [], None
        self.conn = None
        self.crashes = []

    def start(self):
        if self.kind == "prism":
            self._start_prism()
        else:
            self._start_cannery()

    def _start_prism(self):
        port = free_port()
        self.log = tempfile.TemporaryFile(mode="w+")   # Prism logs every request
        self.proc = subprocess.Popen(self.argv_for_port(port), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self.port = port
                return
            except OSError:
                time.sleep(0.2)
        self.log.seek(0)
        tail = "".join(self.log.readlines()[-15:]).rstrip() or "(no output)"
        self.stop()
        raise RuntimeError("%s did not start within %.0f s (%s)\n    %s" % (
            self.label, self.timeout, " ".join(self.argv_for_port(port)),
            tail.replace("\n", "\n    ")))

    def _start_cannery(self):
        argv = self.argv_for_port(0)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        found = threading.Event()
        ready = re.compile(r"^cannery: serving \d+ stubs? on http://[^\s:]+:(\d+)")

        def read():
            for line in self.proc.stdout:
                self.output.append(line)
                m = ready.search(line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    found.set()
            found.set()
        threading.Thread(target=read, daemon=True).start()
        if not found.wait(self.timeout) or self.port is None:
            self.stop()
            tail = "".join(self.output[-15:]).rstrip() or "(no output)"
            raise RuntimeError("%s did not start (%s)\n    %s" % (
                self.label, " ".join(argv), tail.replace("\n", "\n    ")))

    def stop(self):
        if self.conn:
            self.conn.close()
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if self.log:
            self.log.close()
            self.log = None

    def send(self, method, target, headers, body):
        """Send one request on a kept-alive connection (a new one after an
        error) and return the answer as a dict."""
        if self.port is None:
            return {"status": None, "error": "not running", "headers": {}, "body": b""}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=REQUEST_TIMEOUT)
            try:
                self.conn.putrequest(method, target, skip_accept_encoding=True)
                for name, value in headers:
                    self.conn.putheader(name, value.encode("utf-8"))
                if body is not None or method in ("POST", "PUT", "PATCH"):
                    self.conn.putheader("Content-Length", str(len(body or b"")))
                self.conn.endheaders(body)
                resp = self.conn.getresponse()
                data = resp.read()
                answer = {"status": resp.status, "headers": {k.lower(): v for k, v in resp.getheaders()},
                          "body": data}
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                return answer
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = None
                try:
                    self.proc.wait(timeout=1)   # a reset connection may be a process dying
                except subprocess.TimeoutExpired:
                    pass
                if self.proc.poll() is not None:
                    return self._crashed(method, target)
                if attempt == 1:
                    return {"status": None, "error": type(e).__name__, "headers": {}, "body": b""}
        return None

    def _crashed(self, method, target):
        """The server exited on this request: keep what it said, start it
        again for the requests that follow, and answer with the crash."""
        if self.log:
            self.log.seek(0)
            tail = self.log.readlines()[-60:]
            self.log.close()
            self.log = None
        else:
            tail = self.output[-60:]
        errors = [line.strip() for line in tail if re.match(r"^\w*(Error|Exception)\b.*:", line.strip())]
        said = errors[0] if errors else " | ".join(line.strip() for line in tail[-5:] if line.strip())
        said = said[:400]
        self.crashes.append("%s %s: exited (%s): %s" % (method, target, self.proc.returncode, said))
        self.proc, self.port = None, None
        try:
            self.start()
        except (RuntimeError, OSError) as e:
            self.crashes.append("could not start again: %s" % e)
        return {"status": None, "error": "exited", "headers": {}, "body": b""}


def prism_server(label, prism, spec_path, timeout):
    def argv(port):
        return [prism, "mock", spec_path, "-h", "127.0.0.1", "-p", str(port)]
    return Server(label, "prism", argv, timeout)


def cannery_server(binary, spec_path, flag, extra, timeout):
    def argv(_port):
        spec_args = ["--openapi", spec_path] if flag else [spec_path]
        return [binary, "serve", "--port", "0", "--quiet", "--no-watch"] + extra + spec_args
    return Server("cannery", "cannery", argv, timeout)


# --------------------------------------------------------------------------
# Judging answers
# --------------------------------------------------------------------------

def body_validity(req, answer):
    """('valid' | 'invalid: why' | 'n/a', the body is a declared example).

    n/a: no schema for this status and media type, a body where none is
    declared, or a body that is not JSON."""
    if answer.get("error"):
        return "n/a", False
    op = req.op
    routing = req.category in ("unknown-path", "wrong-method") or (
        req.category == "prefix" and answer["status"] == 404)
    resp = None if routing else op.response_for(answer["status"])
    if resp is None:
        return "n/a", False
    if answer["status"] in (204, 304) or req.method == "HEAD":
        return "n/a", False   # no body allowed, whatever the spec declares
    resp, rbase = resp
    content = resp.get("content") or {}
    ctype = answer["headers"].get("content-type", "").split(";")[0].strip().lower()
    if not content:
        return ("n/a" if answer["body"] else "valid"), False
    media = None
    for m in content:
        if m.split(";")[0].strip().lower() == ctype:
            media = m
            break
    if media is None:
        for m in content:
            ml = m.lower()
            if ml in ("*/*", "application/*") or (ml.endswith("/*") and ctype.startswith(ml[:-1])):
                media = m
                break
    if media is None or not is_json(ctype):
        return "n/a", False
    mt = content[media] or {}
    schema = mt.get("schema")
    if schema is None:
        return "n/a", False
    if not answer["body"]:
        return "invalid: empty body", False
    try:
        value = json.loads(answer["body"])
    except ValueError:
        return "invalid: not JSON", False
    examples = declared_examples(mt, op.spec.docs, rbase)
    from_example = any(same_json(value, e) for e in examples)
    errors = op.spec.validator.validate(schema, value, rbase, "body", limit=1)
    return ("invalid: " + errors[0] if errors else "valid"), from_example


def declared_examples(media, docs, base):
    out = [media["example"]] if "example" in media else []
    for ex in (media.get("examples") or {}).values():
        try:
            ex, _ = docs.deref(ex, base)
        except Skip:
            continue
        if isinstance(ex, dict) and "value" in ex:
            out.append(ex["value"])
            v = ex["value"]
            if isinstance(v, dict) and isinstance(v.get("$ref"), str) and len(v) == 1:
                # a $ref inside `value` is literal JSON by the spec; some specs
                # (GitHub's) mean a reference, and tools differ: take both readings
                try:
                    target, _ = docs.resolve(v["$ref"], base)
                except Skip:
                    continue
                out.append(target)
                if isinstance(target, dict) and "value" in target:
                    out.append(target["value"])
    return out


def expected_status(op):
    """The status section 9 says a valid request gets: the lowest 2xx, else
    200 for `default`, else the lowest code."""
    codes = op.numeric_codes()
    ok = [c for c in codes if 200 <= c < 300]
    if ok:
        return ok[0]
    if "default" in op.responses:
        return 200
    return codes[0] if codes else 200


# What section 9 says cannery answers to each kind of invalid request.
SPEC_STATUS = {"missing-query": 422, "missing-header": 422, "missing-cookie": 422,
               "bad-path-param": 422, "wrong-type-body": 422, "missing-body": 422,
               "malformed-json": 400, "wrong-content-type": 415, "missing-credentials": 401}
INVALID_422 = tuple(k for k, v in SPEC_STATUS.items() if v == 422)


class Rule:
    def __init__(self, name, spec_says, applies):
        self.name, self.spec_says, self.applies = name, spec_says, applies


def _status(a):
    return a.get("status") or 0


def _problem(a):
    return a["headers"].get("content-type", "").startswith("application/problem+json")


# The deliberate differences of SPEC.md section 9, as rules over one pair of
# answers (R = the request, P = Prism's answer, C = cannery's, D = what
# differs).  A pair that differs and that one of them explains is
# "deliberately different"; any other difference is "different".  Response
# body *contents* are never compared (generated data differs by design, and
# --seed changes it): only their validity against the declared schema.
RULES = [
    Rule("prefix",
         "the servers[0].url path prefix is honoured (Prism ignores it)",
         lambda r, p, c, d: r.category == "prefix" and 404 in (_status(p), _status(c))
         and _status(p) != _status(c)),
    Rule("405-allow",
         "405 carries Allow (Prism's has none)",
         lambda r, p, c, d: d == {"allow"} and _status(p) == _status(c) == 405
         and "allow" in c["headers"] and "allow" not in p["headers"]),
    Rule("concrete-405",
         "a known path asked with another method is 405 with Allow, also when a template path "
         "has that method (OpenAPI matches the concrete path first): Prism routes "
         "DELETE /pet/findByStatus to DELETE /pet/{petId} and refuses its petId",
         lambda r, p, c, d: r.category == "wrong-method" and _status(c) == 405
         and "allow" in c["headers"] and _status(p) != 405),
    Rule("invalid-422",
         "an invalid request is always cannery's 422 with errors (not the operation's "
         "declared 4xx example): Prism answers the declared 400/422/default instead",
         lambda r, p, c, d: r.category in INVALID_422 and _status(c) == 422
         and 400 <= _status(p) < 500 and d <= {"status", "body"}),
    Rule("declared-4xx",
         "Content-Type is 415, missing credentials 401, a body that is not well-formed "
         "JSON 400 (and never the operation's declared 4xx example): Prism answers "
         "with a declared 4xx response instead (e.g. its 422 for a wrong Content-Type)",
         lambda r, p, c, d: r.category in SPEC_STATUS and _status(c) == SPEC_STATUS[r.category]
         and _status(p) != _status(c) and str(_status(p)) in r.op.responses
         and 400 <= _status(p) < 500),
    Rule("problem-document",
         "an invalid request gets cannery's own problem document, not the operation's "
         "declared 4xx example (so its body need not match the declared schema)",
         lambda r, p, c, d: d == {"body"} and r.category in SPEC_STATUS
         and _status(c) == SPEC_STATUS[r.category] and _problem(c)),
    Rule("cookie",
         "cookie parameters are validated (Prism does not)",
         lambda r, p, c, d: r.category == "missing-cookie" and _status(c) == 422
         and 200 <= _status(p) < 300),
    Rule("no-coercion",
         "the body is validated as sent, e.g. {\"location\":\"body.name\",\"message\":"
         "\"expected string, got 12\"} (Prism's validator turns 12 into \"12\")",
         lambda r, p, c, d: r.category == "wrong-type-body" and _status(c) == 422
         and 200 <= _status(p) < 300 and r.wrong_type == "string"),
    Rule("valid-bodies",
         "bodies are always valid against the schema (section 9: 'always valid against "
         "the schema'; 'bodies built for recursive schemas are valid')",
         lambda r, p, c, d: d == {"body"} and c["validity"] == "valid"
         and p["validity"].startswith("invalid")),
]


def _prism_blind(r, p, c):
    return r.prism_blind and r.category in INVALID_422 and 200 <= _status(p) < 300 \
        and _status(c) == 422


# Cases known to differ on purpose that no rule above covers, each with why:
# "spec", "op" (operationId or "METHOD /template") and "category" are
# fnmatch patterns (default "*"), "when" an optional test of (R, P, C).  Add
# an entry only with the reason written down.
def _prism_form_array(r, p, c):
    return r.form_array and r.category not in SPEC_STATUS and _status(p) == 422 \
        and 200 <= _status(c) < 300


KNOWN_DELIBERATE = [
    {"when": lambda r, p, c: p.get("error") == "exited" and not c.get("error"),
     "why": "Prism's process exited on this request (see the `crashed` notes); cannery answered"},
    {"when": _prism_form_array,
     "why": "Prism cannot read an array field of an application/x-www-form-urlencoded body "
            "(`n=1&n=2` is 'must be array'), so it refuses a valid request"},
    {"when": _prism_blind,
     "why": "Prism validates nothing in a body whose schema has `nullable: true` without "
            "`type` (its ajv refuses to compile the schema, and Prism then passes every "
            "body); cannery validates it (section 9)"},
]


def known_case(req, p, c):
    for k in KNOWN_DELIBERATE:
        if not fnmatch.fnmatch(req.op.spec.name, k.get("spec", "*")):
            continue
        if not (fnmatch.fnmatch(req.op.id, k.get("op", "*"))
                or fnmatch.fnmatch(req.op.label, k.get("op", "*"))):
            continue
        if not fnmatch.fnmatch(req.category, k.get("category", "*")):
            continue
        if k.get("when") and not k["when"](req, p, c):
            continue
        return k
    return None


def differences(p, c):
    """What differs between two answers: status, body validity, or the
    headers that section 9 names (Allow on 405, WWW-Authenticate on 401)."""
    d = set()
    if p.get("error") or c.get("error"):
        return set() if p.get("error") and c.get("error") else {"connection"}
    if p["status"] != c["status"]:
        d.add("status")
    pv, cv = p["validity"], c["validity"]
    if p["status"] == c["status"] and pv != cv and not (
            pv.startswith("invalid") and cv.startswith("invalid")):
        d.add("body")
    if p["status"] == c["status"] == 405 and ("allow" in p["headers"]) != ("allow" in c["headers"]):
        d.add("allow")
    if p["status"] == c["status"] == 401 and "www-authenticate" in p["headers"] \
            and "www-authenticate" not in c["headers"]:
        d.add("www-authenticate")
    return d


def classify(req, p, c, other_is_cannery):
    """('same' | 'deliberate' | 'different', rule or None, the differences)."""
    d = differences(p, c)
    if not d:
        return "same", None, d
    if other_is_cannery:
        k = known_case(req, p, c)
        if k:
            return "deliberate", "known: " + k["why"], d
        for rule in RULES:
            if rule.applies(req, p, c, d):
                return "deliberate", rule.name, d
    return "different", None, d


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

def excerpt(answer):
    if answer.get("error"):
        return "connection error %s" % answer["error"]
    body = answer["body"][:EXCERPT].decode("utf-8", "replace")
    more = "..." if len(answer["body"]) > EXCERPT else ""
    return "%s %s %r%s" % (answer["status"], answer["headers"].get("content-type", "(no type)"),
                           body, more)


def show_request(req, target):
    lines = ["%s %s" % (req.method, target)]
    lines += ["%s: %s" % (n, v) for n, v in req.headers]
    if req.body is not None:
        lines.append("body %r" % req.body[:EXCERPT].decode("utf-8", "replace"))
    return "\n      ".join(lines)


class Tally:
    def __init__(self):
        self.requests = self.same = self.deliberate = self.different = 0
        self.skipped = []
        self.by_category = {}
        self.by_rule = {}
        self.notes = []          # harness notes: Prism's own answers that look wrong
        self.results = []

    def count(self, category, cls):
        self.requests += 1
        setattr(self, cls, getattr(self, cls) + 1)
        row = self.by_category.setdefault(category, {"same": 0, "deliberate": 0, "different": 0})
        row[cls] += 1


def select_ops(ops, limit):
    if not limit or limit >= len(ops):
        return ops
    return [ops[(i * len(ops)) // limit] for i in range(limit)]


def plan(spec, limit):
    """Every request for SPEC (after --limit-ops), and what was skipped."""
    ops = select_ops(spec.operations, limit)
    by_template = {}
    for o in spec.operations:
        by_template.setdefault(o.template, []).append(o)
    requests, skipped, valid_by_template = [], [], {}
    for op in ops:
        try:
            reqs, skips = build_requests(op)
        except Skip as e:
            reqs, skips = [], ["%s: %s" % (op.label, e)]
        except RecursionError:
            reqs, skips = [], ["%s: schema recursion" % op.label]
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as e:
            # a spec shape the harness does not know: say so, do not stop the run
            reqs, skips = [], ["%s: harness error %s: %s" % (op.label, type(e).__name__, e)]
        requests += reqs
        skipped += skips
        if reqs and op.template not in valid_by_template:
            valid_by_template[op.template] = reqs[0]
    requests += path_requests(spec, by_template, valid_by_template)
    return requests, skipped


NOTE_KINDS = [
    ("cannery-crashed", "cannery exited on a request (started again for the next ones)"),
    ("crashed", "Prism exited on a request (started again for the next ones)"),
    ("refused", "Prism did not give a valid request the status section 9 expects "
                "(a wrongly built request, or Prism's own reading of the spec)"),
    ("accepted", "Prism accepted a request built to be invalid"),
    ("invalid-body", "Prism served a body that does not validate against its schema"),
    ("example", "the spec's own example does not validate against its schema "
                "(Prism serves it as it is)"),
]


def harness_notes(req, p):
    """(kind, text) about Prism's own answer: a request the harness may have
    built wrongly, or a body Prism served that its schema refuses.  Known
    Prism behaviours are said so."""
    where = "%s %s (%s%s)" % (req.op.spec.name, req.op.label, req.category,
                              ", " + req.note if req.note else "")
    if p.get("error"):
        return [] if p["error"] in ("exited", "not running") else \
            [("refused", "%s: Prism connection error %s" % (where, p["error"]))]
    notes = []
    s = p["status"]
    if req.category == "valid" and s != expected_status(req.op):
        why = p["headers"].get("sl-violations")
        if not why and _problem(p):
            try:
                why = json.dumps(json.loads(p["body"]).get("validation"))
            except (ValueError, AttributeError):
                why = None
        known = " (known: Prism cannot read arrays in form bodies)" if req.form_array else ""
        if not req.op.responses:
            known = " (known: the operation declares no responses, which 3.1 allows)"
        notes.append(("refused", "%s: Prism answered %d, not %d%s: %s" % (
            where, s, expected_status(req.op), known, why or excerpt(p))))
    if req.category in SPEC_STATUS and 200 <= s < 300:
        known = ""
        if req.category == "missing-cookie":
            known = " (known: Prism does not validate cookie parameters)"
        elif req.prism_blind:
            known = " (known: `nullable` without `type` in the body schema)"
        elif req.category == "wrong-type-body" and req.wrong_type == "string":
            known = " (known: Prism's validator coerces a number to a string)"
        notes.append(("accepted", "%s: Prism answered %d%s" % (where, s, known)))
    if p["validity"].startswith("invalid") and req.category in ("valid", "prefer", "accept-mismatch"):
        kind = "example" if p.get("example") else "invalid-body"
        notes.append((kind, "%s: %d body: %s" % (where, s, p["validity"][9:])))
    return notes


def run_spec(spec, args, other, tally):
    requests, skipped = plan(spec, args.limit_ops)
    tally.skipped += ["%s %s" % (spec.name, s) for s in skipped]
    print("spec %s: OpenAPI %s, %d operations%s, prefix %r, %d requests, %d operations skipped" % (
        spec.name, spec.doc.get("openapi"), len(spec.operations),
        " (%d sampled)" % min(args.limit_ops, len(spec.operations)) if args.limit_ops else "",
        spec.prefix, len(requests), len(skipped)), flush=True)
    if not requests:
        return
    if other == "self":
        servers = [prism_server("prism", args.prism, spec.path, args.start_timeout),
                   prism_server("prism (self)", args.prism, spec.path, args.start_timeout)]
    else:
        servers = [prism_server("prism", args.prism, spec.path, args.start_timeout),
                   cannery_server(other, spec.path, args.openapi_flag, args.cannery_arg,
                                  args.start_timeout)]
    try:
        for s in reversed(servers):  # the other first: a failing cannery costs no Prism start
            s.start()
    except (RuntimeError, OSError) as e:
        for s in servers:
            s.stop()
        for req in requests:
            tally.count(req.category, "different")
            tally.results.append({"spec": spec.name, "op": req.op.id, "category": req.category,
                                  "method": req.method, "target": req.target(""),
                                  "class": "different", "error": "server did not start"})
        print("FAIL %s: %s" % (spec.name, e))
        if other != "self":
            print("    cannery must serve the spec with `serve SPEC` (SPEC.md section 9): "
                  "is the OpenAPI mode in this build?")
        print("    the spec's %d requests count as different" % len(requests), flush=True)
        return
    started = time.monotonic()
    try:
        for req in requests:
            judge(req, servers, other, spec, tally, args)
    finally:
        for s in servers:
            s.stop()
    for s in servers:
        for crash in s.crashes:
            kind = "crashed" if s.kind == "prism" else "cannery-crashed"
            tally.notes.append((kind, "%s: %s %s" % (spec.name, s.label, crash)))
            if s.kind != "prism":
                print("CRASH %s: %s %s" % (spec.name, s.label, crash))
    print("spec %s: done in %.1f s" % (spec.name, time.monotonic() - started), flush=True)


def judge(req, servers, other, spec, tally, args):
    answers = []
    targets = []
    for s in servers:
        prefix = spec.prefix if s.kind == "cannery" else ""
        target = req.target(prefix)
        targets.append(target)
        a = s.send(req.method, target, req.headers, req.body)
        try:
            a["validity"], a["example"] = body_validity(req, a)
        except (Skip, RecursionError) as e:
            a["validity"], a["example"] = "n/a (%s)" % (e or type(e).__name__), False
        answers.append(a)
    p, c = answers
    cls, rule, diffs = classify(req, p, c, other != "self")
    tally.count(req.category, cls)
    if rule:
        tally.by_rule[rule] = tally.by_rule.get(rule, 0) + 1
    tally.notes += harness_notes(req, p)
    result = {"spec": spec.name, "op": req.op.id, "path_template": req.op.template,
              "category": req.category, "note": req.note, "method": req.method,
              "targets": targets, "headers": req.headers,
              "body": None if req.body is None else req.body[:2000].decode("utf-8", "replace"),
              "status": [p.get("status"), c.get("status")],
              "validity": [p["validity"], c["validity"]],
              "class": cls, "rule": rule, "differences": sorted(diffs)}
    if cls != "same":
        result["excerpts"] = [excerpt(p), excerpt(c)]
    tally.results.append(result)
    if cls == "different" or (cls == "deliberate" and args.show_deliberate):
        print("%s %s %s (%s%s): %s" % ("DIFF" if cls == "different" else "DELIBERATE (%s)" % rule,
                                      spec.name, req.op.label, req.category,
                                      ", " + req.note if req.note else "", ", ".join(sorted(diffs))))
        print("    request %s" % show_request(req, targets[1] if targets[1] != targets[0]
                                             else targets[0]))
        if targets[0] != targets[1]:
            print("    (Prism got %s)" % targets[0])
        for s, a in zip(servers, answers):
            print("    %-13s %s; body %s" % (s.label + ":", excerpt(a), a["validity"]))


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def die(message):
    """Setup problems exit 2, like bad usage: 1 is kept for differences."""
    print("diff.py: " + message, file=sys.stderr)
    sys.exit(2)


def find_js_yaml(prism):
    """Prism's node_modules/js-yaml, found upward from the prism binary."""
    d = os.path.dirname(os.path.abspath(prism))
    for _ in range(6):
        for cand in (os.path.join(d, "node_modules", "js-yaml"), os.path.join(d, "js-yaml")):
            if os.path.exists(os.path.join(cand, "package.json")):
                return cand
        d = os.path.dirname(d)
    return None


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Send the same generated requests to Prism and to cannery for every "
                    "operation of an OpenAPI spec and report every difference.")
    ap.add_argument("specs", nargs="*", help="OpenAPI 3.0/3.1 documents (YAML or JSON)")
    ap.add_argument("--cannery", metavar="BIN", help="the cannery binary to compare")
    ap.add_argument("--self-test", action="store_true",
                    help="compare Prism with a second Prism (checks the harness: must say 0 "
                         "different); without specs, runs the specs in specs/")
    ap.add_argument("--prism", default=default_prism(),
                    help="Prism's CLI (default: %(default)s)")
    ap.add_argument("--limit-ops", type=int, default=0, metavar="N",
                    help="only N operations per spec, evenly spread (for large specs)")
    ap.add_argument("--json", metavar="OUT", help="write every request and its verdict as JSON")
    ap.add_argument("--openapi-flag", action="store_true",
                    help="start cannery with `--openapi SPEC` instead of the positional SPEC")
    ap.add_argument("--cannery-arg", action="append", default=[], metavar="ARG",
                    help="one more argument for `cannery serve` (repeatable)")
    ap.add_argument("--start-timeout", type=float, default=START_TIMEOUT, metavar="S",
                    help="seconds to wait for a server to start (default %(default)s)")
    ap.add_argument("--show-deliberate", action="store_true",
                    help="also print the deliberately different pairs")
    ap.add_argument("--show-notes", action="store_true",
                    help="list every harness note (default: the first --notes-limit of each kind)")
    ap.add_argument("--notes-limit", type=int, default=10, metavar="N",
                    help="harness notes listed per kind (default %(default)s)")
    ap.add_argument("--show-skipped", action="store_true",
                    help="list the operations no request could be built for, with the reason")
    ap.add_argument("--plan", action="store_true",
                    help="only build and list the requests; start no server")
    args = ap.parse_args(argv)
    if args.cannery and args.self_test:
        ap.error("--cannery and --self-test exclude each other")
    if not (args.cannery or args.self_test or args.plan):
        ap.error("nothing to do: give --cannery BIN, --self-test or --plan")
    if not args.specs:
        if not args.self_test:
            ap.error("give one or more spec files")
        spec_dir = os.path.join(HERE, "specs")
        args.specs = sorted(os.path.join(spec_dir, f) for f in os.listdir(spec_dir)
                            if f.endswith((".yaml", ".yml", ".json")) and f != "common.yaml")
    return args


def main(argv):
    args = parse_args(argv)
    if not args.plan and not os.path.exists(args.prism):
        die("Prism not found at %s; install it with\n"
            "    npm install --prefix .cache/prism @stoplight/prism-cli\n"
            "or give --prism PATH (see tests/compat/openapi/README.md)" % args.prism)
    if not shutil.which("node"):
        die("node not found (apt-get install nodejs npm)")
    if args.cannery and not os.access(args.cannery, os.X_OK):
        die("%s is not an executable" % args.cannery)
    docs = Documents(find_js_yaml(args.prism))
    other = "self" if args.self_test else (os.path.abspath(args.cannery) if args.cannery else None)
    tally = Tally()
    for path in args.specs:
        try:
            spec = Spec(path, docs)
        except (RuntimeError, OSError, ValueError, Skip) as e:
            die("%s: %s" % (path, e))
        if args.plan:
            requests, skipped = plan(spec, args.limit_ops)
            tally.skipped += ["%s %s" % (spec.name, s) for s in skipped]
            print("spec %s: %d operations, prefix %r, %d requests, %d operations skipped" % (
                spec.name, len(spec.operations), spec.prefix, len(requests), len(skipped)))
            for req in requests:
                print("  %-20s %s %s%s" % (req.category, req.method, req.target(spec.prefix),
                                            "  (" + req.note + ")" if req.note else ""))
            continue
        run_spec(spec, args, other, tally)
    if args.show_skipped or args.plan:
        for s in tally.skipped:
            print("SKIP " + s)
    if args.plan:
        return 0
    if tally.notes:
        print("harness notes: Prism's own answers, %d in all (--show-notes lists all):" %
              len(tally.notes))
        for kind, what in NOTE_KINDS:
            mine = [t for k, t in tally.notes if k == kind]
            if not mine:
                continue
            print("  %s, %d: %s" % (kind, len(mine), what))
            for t in mine[:None if args.show_notes else args.notes_limit]:
                print("    " + t)
            if not args.show_notes and len(mine) > args.notes_limit:
                print("    ... %d more" % (len(mine) - args.notes_limit))
    print("by category:")
    for cat, row in sorted(tally.by_category.items()):
        print("    %-20s %5d same, %5d deliberately different, %5d different" % (
            cat, row["same"], row["deliberate"], row["different"]))
    for rule, n in sorted(tally.by_rule.items()):
        print("    rule %-15s %5d" % (rule, n))
    if tally.skipped and not args.show_skipped:
        print("%d operations skipped (--show-skipped lists them)" % len(tally.skipped))
    print("openapi diff: %d requests, %d same, %d deliberately different, %d different" % (
        tally.requests, tally.same, tally.deliberate, tally.different))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"specs": args.specs, "other": other or "", "summary": {
                "requests": tally.requests, "same": tally.same, "deliberate": tally.deliberate,
                "different": tally.different, "by_category": tally.by_category,
                "by_rule": tally.by_rule}, "skipped": tally.skipped,
                "notes": [{"kind": k, "text": t} for k, t in tally.notes],
                "rules": [{"name": r.name, "spec_says": r.spec_says} for r in RULES],
                "results": tally.results}, f, indent=1)
    return 1 if tally.different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
