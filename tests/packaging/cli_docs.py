#!/usr/bin/env python3
"""The man pages and the shell completions say what `cannery help CMD` says.

    cli_docs.py man|bash|zsh|fish CANNERY SRCDIR

For every command (serve, check, record), the options `cannery help CMD` lists are
those of the parser's table in src/main.c (CMD_opts), and the options of:
  man   man/cannery-CMD.1.scd: the terms of its OPTIONS section, exactly, with the
        same value names (`--port N`); and man/cannery.1.scd names every command
        of `cannery --help`;
  bash  what completions/cannery.bash offers for `cannery CMD --`, exactly, driven
        through _cannery and COMP_WORDS; plus option values and paths;
  zsh   what an interactive zsh lists for `cannery CMD --` with completions/_cannery,
        exactly (zsh -n first; zsh-complete.zsh drives it under a pseudo-terminal);
  fish  what `complete -C 'cannery CMD --'` offers with completions/cannery.fish,
        exactly (fish -n first).
-h/--help is accepted by every command and may be listed beside them. Exits 77
(skipped) when the shell of a mode is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

COMMANDS = ("serve", "check", "record")
OPTION = re.compile(r"--[a-z][a-z-]*")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def help_text(cannery, cmd):
    return subprocess.run([cannery, "help", cmd], check=True, capture_output=True, text=True).stdout


def metavars(text, pattern):
    """{option: its value's name} for each option pattern finds with a value name."""
    found = {}
    for opt, meta in re.findall(pattern, text):
        if meta:
            found[opt] = meta
    return found


def help_options(cannery, cmd):
    out = help_text(cannery, cmd)
    opts = set(OPTION.findall(out))
    if not opts and cmd != "check":
        fail(f"`cannery help {cmd}` lists no option")
    return opts


def top_commands(cannery):
    out = subprocess.run([cannery, "--help"], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+cannery ([a-z]+)", out, re.M)) | {"help"}


def compare(what, got, want, allowed_extra=frozenset({"--help", "-h"}), ref="`cannery help`"):
    missing = sorted(want - got)
    extra = sorted(got - want - allowed_extra)
    if missing:
        fail(f"{what} lacks {', '.join(missing)}")
    if extra:
        fail(f"{what} has {', '.join(extra)}, which {ref} does not list")
    if not missing and not extra:
        print(f"ok: {what}: {len(want)} names")


def parser_options(src, cmd):
    """The options src/main.c's parser accepts for cmd: its opt table's names."""
    text = open(os.path.join(src, "src", "main.c")).read()
    m = re.search(r"struct opt " + cmd + r"_opts\[\] = \{(.*?)\};", text, re.S)
    if not m:
        fail(f"src/main.c: no {cmd}_opts table")
        return set()
    return {"--" + name for name in re.findall(r'\{ "([a-z-]+)",', m.group(1))}


def check_man(cannery, src):
    # `cannery help CMD` itself lists every option the parser takes, and no other
    for cmd in COMMANDS:
        compare(f"`cannery help {cmd}` against src/main.c's {cmd}_opts", help_options(cannery, cmd),
                parser_options(src, cmd), ref="the parser")
    for cmd in COMMANDS:
        path = os.path.join(src, "man", f"cannery-{cmd}.1.scd")
        text = open(path).read()
        m = re.search(r"^# OPTIONS\n(.*?)(?=^# )", text, re.M | re.S)
        if not m:
            fail(f"{path}: no OPTIONS section")
            continue
        # definition terms: lines at column 0 that start with *-
        terms = set()
        for line in m.group(1).splitlines():
            if line.startswith("*-"):
                terms |= set(OPTION.findall(line))
        compare(f"man/cannery-{cmd}.1.scd", terms, help_options(cannery, cmd))
        # and names their values alike: `--port N` in the help, `*--port* _N_` in the page
        want = metavars(help_text(cannery, cmd), r"(--[a-z][a-z-]*)(?: ([A-Z][A-Z_]*)\b)?")
        got = metavars(m.group(1), r"(?m)^\*(--[a-z][a-z-]*)\*(?: _([A-Z][A-Z_]*)_)?")
        differ = sorted(f"{o} {want.get(o, '(no value)')} (page: {got.get(o, 'no value')})"
                        for o in set(want) | set(got) if got.get(o) != want.get(o))
        if differ:
            fail(f"man/cannery-{cmd}.1.scd names values unlike `cannery help {cmd}`: {', '.join(differ)}")
        else:
            print(f"ok: man/cannery-{cmd}.1.scd names the values of {len(want)} options as the help does")
    text = open(os.path.join(src, "man", "cannery.1.scd")).read()
    m = re.search(r"^# COMMANDS\n(.*?)(?=^# )", text, re.M | re.S)
    listed = set(re.findall(r"^\*([a-z]+)\*", m.group(1), re.M)) if m else set()
    compare("man/cannery.1.scd COMMANDS", listed, top_commands(cannery), frozenset())


def run_bash(src, words, cwd):
    """COMPREPLY for a command line whose last word is being completed."""
    script = f"""
source {shquote(os.path.join(src, 'completions', 'cannery.bash'))}
COMP_WORDS=({' '.join(shquote(w) for w in words)})
COMP_CWORD={len(words) - 1}
_cannery 2>/dev/null
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=cwd, check=True,
                         capture_output=True, text=True).stdout
    return set(out.split("\n")) - {""}


def shquote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def expect(what, got, want):
    if got != want:
        fail(f"{what}: expected {sorted(want)}, got {sorted(got)}")
    else:
        print(f"ok: {what}")


def check_bash(cannery, src):
    if shutil.which("bash") is None:
        print("SKIP: bash is not installed")
        sys.exit(77)
    for cmd in COMMANDS:
        compare(f"bash `cannery {cmd} --`", run_bash(src, ["cannery", cmd, "--"], src),
                help_options(cannery, cmd) | {"--help"})
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "stubs"))
        os.mkdir(os.path.join(tmp, "wm"))
        open(os.path.join(tmp, "spec.yaml"), "w").close()
        cases = [
            (["cannery", ""], {"serve", "check", "record", "help"}),
            (["cannery", "-"], {"--version", "--help"}),
            (["cannery", "he"], {"help"}),
            (["cannery", "help", ""], {"serve", "check", "record"}),
            (["cannery", "serve", "--record-mode", ""], {"first", "sequence"}),
            (["cannery", "record", "--record-mode", "s"], {"sequence"}),
            (["cannery", "serve", "--record-mode", "=", ""], {"first", "sequence"}),
            (["cannery", "serve", "--port", "0", "--record-mode", "f"], {"first"}),
            (["cannery", "serve", "--record", ""], {"stubs", "wm"}),
            (["cannery", "record", "--out", "s"], {"stubs"}),
            (["cannery", "serve", "--wiremock", ""], {"stubs", "wm"}),
            (["cannery", "serve", "--openapi", "sp"], {"spec.yaml"}),
            (["cannery", "check", "--openapi", ""], {"spec.yaml", "stubs", "wm"}),
            (["cannery", "serve", ""], {"spec.yaml", "stubs", "wm"}),
            (["cannery", "serve", "--quiet", "s"], {"spec.yaml", "stubs"}),
            (["cannery", "serve", "--", "-"], set()),
            (["cannery", "serve", "--port", "0", "--no-w"], {"--no-watch"}),
            (["cannery", "record", "--u"], {"--upstream"}),
            (["cannery", "record", ""], set()),
            (["cannery", "serve", "--admin-token", ""], set()),
        ]
        for words, want in cases:
            expect("bash `" + " ".join(words) + "`", run_bash(src, words, tmp), want)
        # a COMP_WORDBREAKS without '=': the word is --record-mode=..., kept whole
        script = f"""
source {shquote(os.path.join(src, 'completions', 'cannery.bash'))}
COMP_WORDS=(cannery serve --record-mode=s); COMP_CWORD=2
_cannery 2>/dev/null; printf '%s\\n' "${{COMPREPLY[@]}}"
"""
        out = subprocess.run(["bash", "--norc", "-c", script], cwd=tmp, check=True, capture_output=True,
                             text=True).stdout
        expect("bash `cannery serve --record-mode=s`", set(out.split()), {"--record-mode=sequence"})


def syntax_checked(shell, path):
    """path if `SHELL -n path` accepts it; exits 77 when SHELL is not installed."""
    if shutil.which(shell) is None:
        print(f"SKIP: {shell} is not installed (apt-get install {shell})")
        sys.exit(77)
    r = subprocess.run([shell, "-n", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{shell} -n {path}: {r.stderr}")
        return None
    print(f"ok: {shell} -n {os.path.basename(path)}")
    return path


def zsh_choices(src, line, cwd):
    """What an interactive zsh lists for `cannery LINE` (tests/packaging/zsh-complete.zsh)."""
    helper = os.path.join(src, "tests", "packaging", "zsh-complete.zsh")
    try:
        out = subprocess.run(["zsh", "-f", helper, os.path.join(src, "completions"), line], cwd=cwd,
                             capture_output=True, text=True, timeout=30).stdout
    except subprocess.TimeoutExpired:
        return {"(no choice listed within 30 s)"}
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|.\x08|\r", "", out)
    choices = set()
    # the first line echoes the typed line; the line is drawn again after the last choice
    for ln in out.split("\n")[1:]:
        # the prompt (PS1='<P>') starts the redrawn line; on some terminals (a fresh root's,
        # with TERM unset) it is not erased before the choices
        ln = ln.replace("<P>", "").split("cannery")[0]
        choices |= {ln.split(" -- ")[0].strip()} if " -- " in ln else set(ln.split())
    return choices - {""}


def check_zsh(cannery, src):
    path = syntax_checked("zsh", os.path.join(src, "completions", "_cannery"))
    if not path:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for cmd in COMMANDS:
            compare(f"zsh `cannery {cmd} --`", zsh_choices(src, f"{cmd} --", tmp),
                    help_options(cannery, cmd) | {"--help"})
        os.mkdir(os.path.join(tmp, "stubs"))
        open(os.path.join(tmp, "spec.yaml"), "w").close()
        open(os.path.join(tmp, "notes.txt"), "w").close()
        cases = [
            ("", {"serve", "check", "record", "help"}),
            ("help ", {"serve", "check", "record"}),
            ("serve --record-mode ", {"first", "sequence"}),
            ("record --record-mode=", {"first", "sequence"}),
            ("serve --port 0 --record-mode s", {"sequence"}),
            ("record --out ", {"stubs/"}),
            ("serve --wiremock ", {"stubs/"}),
            ("serve --openapi ", {"stubs/", "spec.yaml"}),
            ("check --openapi ", {"stubs/", "spec.yaml"}),
            ("serve --journal-file ", {"stubs/", "spec.yaml", "notes.txt"}),
            ("serve ", {"stubs/", "spec.yaml", "notes.txt"}),
            ("record --u", {"--upstream"}),
        ]
        for line, want in cases:
            expect(f"zsh `cannery {line}`", zsh_choices(src, line, tmp), want)


def check_fish(cannery, src):
    path = syntax_checked("fish", os.path.join(src, "completions", "cannery.fish"))
    if not path:
        return

    def complete(line, cwd=src):
        script = f"source {shquote(path)}; complete -C {shquote(line)}"
        out = subprocess.run(["fish", "--no-config", "-c", script], cwd=cwd, check=True, capture_output=True,
                             text=True, env=dict(os.environ, HOME=cwd)).stdout
        return {ln.split("\t")[0] for ln in out.splitlines() if ln}

    for cmd in COMMANDS:
        compare(f"fish `cannery {cmd} --`", complete(f"cannery {cmd} --"), help_options(cannery, cmd) | {"--help"})
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "stubs"))
        open(os.path.join(tmp, "spec.yaml"), "w").close()
        cases = [
            ("cannery ", {"serve", "check", "record", "help"}),
            ("cannery help ", {"serve", "check", "record"}),
            ("cannery serve --record-mode ", {"first", "sequence"}),
            ("cannery record --record-mode=", {"--record-mode=first", "--record-mode=sequence"}),
            ("cannery record --out ", {"stubs/"}),
            ("cannery serve ", {"stubs/", "spec.yaml"}),
            ("cannery serve --openapi ", {"stubs/", "spec.yaml"}),
            ("cannery record ", set()),
        ]
        for line, want in cases:
            expect(f"fish `{line}`", complete(line, tmp), want)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("man", "bash", "zsh", "fish"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, cannery, src = sys.argv[1:]
    cannery, src = os.path.abspath(cannery), os.path.abspath(src)
    {"man": check_man, "bash": check_bash, "zsh": check_zsh, "fish": check_fish}[mode](cannery, src)
    if failures:
        print(f"{len(failures)} problem(s): keep `cannery help CMD`, man/ and completions/ in step")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
