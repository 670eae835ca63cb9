#!/usr/bin/env python3
"""Conformance tests for `threadline-cli apply` (PROTOCOL.md, "Client state dump").

Usage:
    run-apply-tests.py --cli PATH_TO_threadline-cli --dir tests/apply [--update] [NAME ...]

For every NAME.jsonl in --dir the runner executes

    CLI apply [ARGS] NAME.jsonl

where ARGS come from NAME.args (one argument per line, optional), and checks:

  * the exit status is 0, or the number in NAME.exit;
  * stdout is exactly one line of JSON followed by a newline, and nothing else;
  * that JSON equals NAME.expected.json, with object key ORDER significant and
    strict types (true is not 1, {} is not []);
  * stdout is byte-identical to the expected dump serialized the way the dump
    format prescribes (compact, raw UTF-8, \\n \\t \\r \\b \\f, other controls as
    \\u00xx lowercase) -- this catches escaping and number formatting;
  * a second run over the same file prints byte-identical stdout;
  * if NAME.stderr exists, every non-empty line of it is a Python regular
    expression that must match somewhere in stderr (re.search, MULTILINE).

NAME.pending marks a case whose feature is not implemented yet: it is reported
as "ok N - NAME # SKIP pending" and not run.

Extra cases that are not files: `apply` of a nonexistent file exits 1; `apply`
without FILE exits 2; `apply -` reads the file from stdin.

--update rewrites NAME.expected.json from the CLI's stdout (only when stdout is
one valid JSON line). Use it only for cases whose output you have checked by
hand against the spec: the expected files are meant to be derived from
PROTOCOL.md, not from the implementation.

Output is TAP: "ok N - NAME" / "not ok N - NAME", diagnostics on "# " lines.
Exit status: 0 when every case passed (or was skipped), 1 otherwise, 2 on usage
errors. Python 3 standard library only.
"""

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

DEFAULT_TIMEOUT = 30


# ----------------------------------------------------------------- JSON helpers

class JObj:
    """A JSON object kept as its ordered list of (key, value) pairs."""
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = list(pairs)


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def parse_json(text):
    """Parse JSON text keeping object key order and duplicate keys."""
    return json.loads(text, object_pairs_hook=JObj, parse_constant=_reject_constant)


def canon(v):
    """A strictly typed, order-preserving, comparable form of a parsed value."""
    if isinstance(v, JObj):
        return ("object", tuple((k, canon(x)) for k, x in v.pairs))
    if isinstance(v, list):
        return ("array", tuple(canon(x) for x in v))
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", v)
    if isinstance(v, str):
        return ("string", v)
    raise TypeError(type(v))


def _str(s):
    # json.dumps(ensure_ascii=False) escapes exactly what the dump format escapes:
    # '"', '\\', \n \r \t \b \f, other U+0000..U+001F as \u00xx (lowercase);
    # everything else is written raw.
    return json.dumps(s, ensure_ascii=False)


def compact(v):
    """Serialize like the CLI must: compact, keys in stored order."""
    if isinstance(v, JObj):
        return "{" + ",".join(_str(k) + ":" + compact(x) for k, x in v.pairs) + "}"
    if isinstance(v, list):
        return "[" + ",".join(compact(x) for x in v) + "]"
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return _str(v)


def pretty(v, indent=0):
    """Indented, order-preserving rendering for diffs."""
    pad = "  " * indent
    if isinstance(v, JObj):
        if not v.pairs:
            return "{}"
        items = ["%s  %s: %s" % (pad, _str(k), pretty(x, indent + 1)) for k, x in v.pairs]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        items = ["%s  %s" % (pad, pretty(x, indent + 1)) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return compact(v)


# ----------------------------------------------------------------- running

class Result:
    def __init__(self, rc, out, err, timed_out=False):
        self.rc, self.out, self.err, self.timed_out = rc, out, err, timed_out


def run_cli(cli, argv, stdin_bytes=None, timeout=DEFAULT_TIMEOUT, cwd=None):
    try:
        p = subprocess.run([cli] + argv,
                           input=stdin_bytes if stdin_bytes is not None else None,
                           stdin=None if stdin_bytes is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        return Result(None, e.stdout or b"", e.stderr or b"", timed_out=True)
    except OSError as e:
        return Result(None, b"", str(e).encode(), timed_out=False)
    return Result(p.returncode, p.stdout, p.stderr)


def read_lines(path):
    with open(path, encoding="utf-8") as fh:
        return [ln.rstrip("\r\n") for ln in fh]


def show_bytes(b, limit=2000):
    s = b.decode("utf-8", errors="backslashreplace")
    if len(s) > limit:
        s = s[:limit] + "... (%d more characters)" % (len(s) - limit)
    return s


def indent_block(text):
    return "\n".join("#   " + ln for ln in text.splitlines()) if text else "#   (empty)"


def check_stdout_shape(out):
    """Return (parsed, error). stdout must be one JSON line + '\\n'."""
    if not out:
        return None, "stdout is empty"
    if not out.endswith(b"\n"):
        return None, "stdout does not end with a newline"
    body = out[:-1]
    if b"\n" in body:
        return None, "stdout has more than one line (%d newlines)" % out.count(b"\n")
    if body.endswith(b"\r"):
        return None, "stdout line ends with CR"
    try:
        text = body.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return None, "stdout is not valid UTF-8: %s" % e
    try:
        return parse_json(text), None
    except ValueError as e:
        return None, "stdout is not valid JSON: %s" % e


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class Case:
    def __init__(self, directory, name):
        self.name = name
        self.base = os.path.join(directory, name)
        self.jsonl = self.base + ".jsonl"
        self.pending = os.path.exists(self.base + ".pending")
        self.args = []
        if os.path.exists(self.base + ".args"):
            self.args = [a for a in read_lines(self.base + ".args") if a != ""]
        self.exit = 0
        if os.path.exists(self.base + ".exit"):
            self.exit = int(open(self.base + ".exit").read().strip())
        self.stderr_patterns = []
        if os.path.exists(self.base + ".stderr"):
            self.stderr_patterns = [p for p in read_lines(self.base + ".stderr") if p.strip()]
        self.expected_path = self.base + ".expected.json"


def load_expected(case):
    with open(case.expected_path, "rb") as fh:
        raw = fh.read()
    return parse_json(raw.decode("utf-8"))


def compare_dump(case, out, diags):
    parsed, err = check_stdout_shape(out)
    if err:
        diags.append(err)
        diags.append("stdout was:\n" + indent_block(show_bytes(out)))
        return False
    if not os.path.exists(case.expected_path):
        diags.append("missing %s" % os.path.basename(case.expected_path))
        return False
    expected = load_expected(case)
    if canon(parsed) != canon(expected):
        exp_lines = pretty(expected).splitlines()
        got_lines = pretty(parsed).splitlines()
        diff = difflib.unified_diff(exp_lines, got_lines, "expected", "actual", lineterm="", n=3)
        diags.append("dump differs from %s (key order and types significant):"
                     % os.path.basename(case.expected_path))
        diags.append(indent_block("\n".join(diff)))
        return False
    want = (compact(expected) + "\n").encode("utf-8")
    if out != want:
        i = first_difference(out, want)
        diags.append("dump is equal as JSON but not byte-identical to the canonical form "
                     "(escaping or number formatting) at byte %d:" % i)
        lo = max(0, i - 40)
        diags.append("#   expected: ..." + show_bytes(want[lo:i + 40]))
        diags.append("#   actual:   ..." + show_bytes(out[lo:i + 40]))
        return False
    return True


def check_stderr(case, err, diags):
    ok = True
    text = err.decode("utf-8", errors="replace")
    for pat in case.stderr_patterns:
        try:
            rx = re.compile(pat, re.MULTILINE)
        except re.error as e:
            diags.append("bad regex in %s.stderr: %r (%s)" % (case.name, pat, e))
            ok = False
            continue
        if not rx.search(text):
            diags.append("stderr does not match /%s/" % pat)
            ok = False
    if not ok:
        diags.append("stderr was:\n" + indent_block(show_bytes(err)))
    return ok


def run_case(cli, case, timeout, update):
    diags = []
    argv = ["apply"] + case.args + [case.jsonl]
    r1 = run_cli(cli, argv, timeout=timeout)
    if r1.timed_out:
        return False, ["timed out after %ss: %s" % (timeout, " ".join(argv))]
    if r1.rc is None:
        return False, ["could not run %s: %s" % (cli, show_bytes(r1.err))]
    ok = True
    if r1.rc != case.exit:
        diags.append("exit status %s, expected %s" % (r1.rc, case.exit))
        ok = False
    if update and r1.rc == case.exit and case.exit == 0:
        parsed, err = check_stdout_shape(r1.out)
        if err is None:
            with open(case.expected_path, "wb") as fh:
                fh.write(r1.out)
            diags.append("updated %s" % os.path.basename(case.expected_path))
        else:
            diags.append("not updated: " + err)
            ok = False
    if case.exit == 0 or os.path.exists(case.expected_path):
        if not compare_dump(case, r1.out, diags):
            ok = False
    if case.stderr_patterns and not check_stderr(case, r1.err, diags):
        ok = False
    r2 = run_cli(cli, argv, timeout=timeout)
    if r2.timed_out or r2.rc != r1.rc or r2.out != r1.out:
        diags.append("second run differs (exit %s vs %s, stdout %s)"
                     % (r1.rc, r2.rc, "identical" if r2.out == r1.out else "differs"))
        if r2.out != r1.out:
            i = first_difference(r1.out, r2.out)
            diags.append("#   first run:  ..." + show_bytes(r1.out[max(0, i - 40):i + 40]))
            diags.append("#   second run: ..." + show_bytes(r2.out[max(0, i - 40):i + 40]))
        ok = False
    if not ok:
        diags.insert(0, "command: %s %s" % (cli, " ".join(argv)))
    return ok, diags


def pick_stdin_case(cases, wanted):
    usable = [c for c in cases if not c.pending and c.exit == 0
              and os.path.exists(c.expected_path)]
    if wanted:
        for c in usable:
            if c.name == wanted:
                return c
        return None
    for preferred in ("mixed-session-1", "mixed-session-2"):
        for c in usable:
            if c.name == preferred:
                return c
    return usable[0] if usable else None


def main():
    ap = argparse.ArgumentParser(description="Conformance tests for `threadline-cli apply`.")
    ap.add_argument("--cli", required=True, help="path to threadline-cli")
    ap.add_argument("--dir", required=True, help="directory holding NAME.jsonl fixtures")
    ap.add_argument("--update", action="store_true",
                    help="rewrite NAME.expected.json from the CLI's output")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds per CLI run (default %(default)s)")
    ap.add_argument("--stdin-case", default=None,
                    help="fixture fed through stdin for the `apply -` test")
    ap.add_argument("names", nargs="*", help="run only these fixtures (default: all)")
    opts = ap.parse_args()

    cli = opts.cli
    if os.sep in cli or (os.altsep and os.altsep in cli):
        cli = os.path.abspath(cli)
    if not os.path.isdir(opts.dir):
        print("no such directory: %s" % opts.dir, file=sys.stderr)
        return 2

    names = sorted(f[:-len(".jsonl")] for f in os.listdir(opts.dir) if f.endswith(".jsonl"))
    if opts.names:
        missing = [n for n in opts.names if n not in names]
        if missing:
            print("unknown fixture(s): %s" % ", ".join(missing), file=sys.stderr)
            return 2
        names = [n for n in names if n in opts.names]
    cases = [Case(opts.dir, n) for n in names]
    all_cases = [Case(opts.dir, n) for n in sorted(
        f[:-len(".jsonl")] for f in os.listdir(opts.dir) if f.endswith(".jsonl"))]

    extra = not opts.names
    total = len(cases) + (3 if extra else 0)
    print("1..%d" % total)
    n = 0
    failed = skipped = 0

    def report(ok, title, diags=(), skip=None):
        nonlocal n, failed, skipped
        n += 1
        if skip:
            skipped += 1
            print("ok %d - %s # SKIP %s" % (n, title, skip))
        else:
            print("%s %d - %s" % ("ok" if ok else "not ok", n, title))
            if not ok:
                failed += 1
        for d in diags:
            for line in d.splitlines():
                print(line if line.startswith("#") else "# " + line)
        sys.stdout.flush()

    for case in cases:
        if case.pending:
            report(True, case.name, skip="pending")
            continue
        ok, diags = run_case(cli, case, opts.timeout, opts.update)
        report(ok, case.name, diags if (not ok or opts.update) else ())

    if extra:
        # apply of a nonexistent file -> exit 1
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "does-not-exist.jsonl")
            r = run_cli(cli, ["apply", missing], timeout=opts.timeout)
            ok = r.rc == 1
            d = [] if ok else ["`apply %s`: exit %s, expected 1%s" % (
                missing, r.rc, " (timed out)" if r.timed_out else ""),
                "stderr was:\n" + indent_block(show_bytes(r.err))]
            report(ok, "cli-apply-nonexistent-file-exits-1", d)

        # apply without FILE -> exit 2 (stdin is /dev/null, so a CLI that wrongly
        # reads stdin by default does not hang)
        r = run_cli(cli, ["apply"], timeout=opts.timeout)
        ok = r.rc == 2
        d = [] if ok else ["`apply` with no FILE: exit %s, expected 2%s" % (
            r.rc, " (timed out)" if r.timed_out else ""),
            "stdout was:\n" + indent_block(show_bytes(r.out))]
        report(ok, "cli-apply-without-file-exits-2", d)

        # apply - reads stdin
        sc = pick_stdin_case(all_cases, opts.stdin_case)
        if sc is None:
            report(False, "cli-apply-stdin-dash", ["no usable fixture for the stdin test"])
        else:
            with open(sc.jsonl, "rb") as fh:
                data = fh.read()
            argv = ["apply"] + sc.args + ["-"]
            r = run_cli(cli, argv, stdin_bytes=data, timeout=opts.timeout)
            d = []
            ok = r.rc == 0 and not r.timed_out
            if not ok:
                d.append("exit %s, expected 0%s" % (r.rc, " (timed out)" if r.timed_out else ""))
            if not compare_dump(sc, r.out, d):
                ok = False
            if not ok:
                d.insert(0, "command: %s %s < %s" % (cli, " ".join(argv), sc.jsonl))
            report(ok, "cli-apply-stdin-dash (%s)" % sc.name, d)

    print("# %d passed, %d failed, %d skipped" % (n - failed - skipped, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
