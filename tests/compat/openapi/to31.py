#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rewrite an OpenAPI 3.0 document as 3.1 with the same meaning, so that a
large real spec that is published only as 3.0 (GitHub's, in @octokit/openapi)
can exercise the 3.1 reading too:

    python3 tests/compat/openapi/to31.py IN.json|yaml OUT.json

- `openapi: 3.1.0`;
- `nullable: true` becomes `null` in the type list (`type: [string, "null"]`,
  and `null` joins an `enum`); beside oneOf/anyOf/allOf/$ref without a
  `type`, the schema becomes `anyOf: [<it>, {type: "null"}]`;
- boolean `exclusiveMinimum`/`exclusiveMaximum` become the numbers 3.1 uses.

Keywords beside a `$ref` stay: 3.0 says to ignore them and 3.1 applies them,
but specs written for 3.0 rely on them and Prism applies them in both.

Schema `example` stays (3.1 deprecates it but allows it).  Example values,
defaults, enums and consts are copied as they are.  Output is JSON.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diff  # noqa: E402  (Documents reads YAML with Prism's js-yaml)

VALUES = ("example", "examples", "default", "enum", "const", "x-examples")


def convert(node):
    if isinstance(node, list):
        return [convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        out[k] = v if k in VALUES and not _is_examples_map(k, v) else convert(v)
    for side in ("Minimum", "Maximum"):
        ex, bound = "exclusive" + side, side.lower()
        if isinstance(out.get(ex), bool):
            if out[ex] and bound in out:
                out[ex] = out.pop(bound)
            else:
                del out[ex]
    if out.get("nullable") is True:
        del out["nullable"]
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        elif t is None:
            rest = dict(out)
            meta = {k: rest.pop(k) for k in ("description", "title", "example", "readOnly",
                                             "writeOnly", "deprecated") if k in rest}
            out = dict(meta, anyOf=[rest, {"type": "null"}])
    elif "nullable" in out and isinstance(out["nullable"], bool):
        del out["nullable"]
    return out


def _is_examples_map(key, value):
    """`examples` of a media type or parameter is a map of Example objects,
    which may hold `$ref`s: walk it (their `value`s stay as they are)."""
    return key == "examples" and isinstance(value, dict)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[4].strip(), file=sys.stderr)
        return 2
    src, dst = argv
    docs = diff.Documents(diff.find_js_yaml(diff.default_prism()))
    doc = docs.load(src)
    if not str(doc.get("openapi", "")).startswith("3.0"):
        print("%s is not OpenAPI 3.0 (openapi: %r)" % (src, doc.get("openapi")), file=sys.stderr)
        return 1
    out = convert(doc)
    out["openapi"] = "3.1.0"
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
