"""Every example command in the docs is run (docs/testing.md, "Examples in
the docs", has the convention):

- a fenced code block whose info string is `sh`, in docs/*.md or README.md,
  is an example: it is run by `/bin/sh -e` and must exit with 0;
- the examples of one file run in order, in one scratch directory holding
  symbolic links to the parts of the source tree they use (LINKED: tools/,
  build/, Makefile, ...), so they are written as if run from the source
  tree and what they make stays in the scratch directory (an example must
  not write into those);
- comment lines right above the fence adjust it:
      <!-- doc-test: expect TEXT -->     the output must contain TEXT
      <!-- doc-test: needs PATH -->      skipped when PATH (in the source
                                         tree) is missing
      <!-- doc-test: timeout SECONDS --> instead of 120
      <!-- doc-test: skip REASON -->     not run (for what changes the
                                         system or needs a device)
- blocks marked `text` (or `c`, or nothing) are never run, and `bash`,
  `shell`, `console` and `zsh` are refused: a command block is `sh`.

Run: /usr/bin/python3 -m pytest -q tests/tools/test_doc_examples.py
"""

import glob
import os
import re
import signal
import subprocess

import pytest

from hoptest import ROOT

DOC_FILES = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + \
    [os.path.join(ROOT, "README.md")]
RUN_LANG = "sh"
REFUSED_LANGS = {"bash", "shell", "console", "zsh", "shell-session"}
DIRECTIVES = {"expect", "needs", "timeout", "skip"}
DEFAULT_TIMEOUT = 120.0
# What the scratch directories link to (the Makefile includes
# kernels/kernels.mk, whose rules name sources in tests/).  Only these: an
# example's "mkdir boot" must not land in boot/.
LINKED = ("Makefile", "README.md", "build", "docs", "kernels", "tests", "tools")

MARKER = re.compile(r"^<!--\s*doc-test:\s*(\S+)\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(```+|~~~+)\s*([^\s`]*)")


class Block:
    def __init__(self, path, line, lang, text, markers):
        self.path = path            # repository-relative
        self.line = line            # of the opening fence, from 1
        self.lang = lang
        self.text = text
        self.markers = markers      # [(directive, argument, line)]

    @property
    def name(self):
        return "%s:%d" % (self.path, self.line)

    def values(self, directive):
        return [arg for d, arg, _ in self.markers if d == directive]


def parse(path):
    """(blocks, problems) of one Markdown file."""
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, problems, markers = [], [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            markers.append((m.group(1), m.group(2), i + 1))
            i += 1
            continue
        fence = FENCE.match(line)
        if fence:
            opener, lang = fence.group(1), fence.group(2).lower()
            body = []
            i += 1
            while i < len(lines) and not (
                    lines[i].lstrip().startswith(opener[0] * len(opener)) and
                    lines[i].strip().strip(opener[0]) == ""):
                body.append(lines[i])
                i += 1
            blocks.append(Block(rel, i - len(body), lang,
                                "\n".join(body) + "\n", markers))
            markers = []
            i += 1
            continue
        for d, _, n in markers:
            problems.append("%s:%d: a doc-test %s marker must be right above a "
                            "fenced block" % (rel, n, d))
        markers = []
        i += 1
    for d, _, n in markers:
        problems.append("%s:%d: doc-test marker at the end of the file" % (rel, n))
    for b in blocks:
        if b.lang in REFUSED_LANGS:
            problems.append("%s: a ```%s block: write ```sh for commands (they "
                            "are run) or ```text for the rest" % (b.name, b.lang))
        for d, arg, n in b.markers:
            where = "%s:%d" % (rel, n)
            if d not in DIRECTIVES:
                problems.append("%s: unknown doc-test directive %r (known: %s)"
                                % (where, d, ", ".join(sorted(DIRECTIVES))))
            elif b.lang != RUN_LANG:
                problems.append("%s: doc-test marker on a ```%s block, which is "
                                "not run" % (where, b.lang))
            elif not arg:
                problems.append("%s: doc-test %s needs an argument" % (where, d))
            elif d == "timeout" and not re.match(r"^\d+(\.\d+)?$", arg):
                problems.append("%s: doc-test timeout %r is not a number of "
                                "seconds" % (where, arg))
        if b.lang == RUN_LANG and not b.text.strip():
            problems.append("%s: an empty ```sh block" % b.name)
    return blocks, problems


def all_blocks():
    out, problems = [], []
    for path in DOC_FILES:
        if os.path.exists(path):
            blocks, p = parse(path)
            out += blocks
            problems += p
    return out, problems


EXAMPLES = [b for b in all_blocks()[0] if b.lang == RUN_LANG]


def test_doc_examples_follow_the_convention():
    blocks, problems = all_blocks()
    assert problems == []
    assert any(b.lang == RUN_LANG for b in blocks)


# --- running ---------------------------------------------------------------------

class FileState:
    """The scratch directory of one doc file and which examples ran."""

    def __init__(self, directory):
        self.dir = directory
        self.ran = set()


_states = {}


def state_for(path, tmp_path_factory):
    if path not in _states:
        d = tmp_path_factory.mktemp("doc-" + os.path.basename(path))
        for entry in LINKED:
            os.symlink(os.path.join(ROOT, entry), str(d / entry))
        _states[path] = FileState(str(d))
    return _states[path]


def skip_reason(block):
    if block.values("skip"):
        return "skip: " + block.values("skip")[0]
    for need in block.values("needs"):
        if not os.path.exists(os.path.join(ROOT, need)):
            return "needs %s (missing)" % need
    return None


def execute(block, cwd):
    """Run the block's script; returns (status, output)."""
    timeout = float((block.values("timeout") or [DEFAULT_TIMEOUT])[0])
    proc = subprocess.Popen(["/bin/sh", "-e", "-c", block.text], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)     # QEMU and all
        out, _ = proc.communicate()
        return None, out.decode("utf-8", "replace") + \
            "\n[doc-test: killed after %g s]" % timeout
    return proc.returncode, out.decode("utf-8", "replace")


def report(block, status, out, why):
    return "%s: %s\n--- the example ---\n%s--- its output (last 4000 " \
        "characters) ---\n%s" % (block.name, why, block.text, out[-4000:])


@pytest.mark.parametrize("block", EXAMPLES, ids=[b.name for b in EXAMPLES])
def test_doc_example(block, tmp_path_factory):
    st = state_for(block.path, tmp_path_factory)
    # Earlier examples of the same file first (they make files this one
    # uses), when this one is run on its own.
    for earlier in EXAMPLES:
        if earlier.path != block.path or earlier.line >= block.line:
            continue
        if earlier.line not in st.ran and skip_reason(earlier) is None:
            st.ran.add(earlier.line)
            status, out = execute(earlier, st.dir)
            if status != 0:
                pytest.fail(report(earlier, status, out,
                                   "an earlier example failed (status %s)"
                                   % status))
    reason = skip_reason(block)
    if reason:
        pytest.skip("%s: %s" % (block.name, reason))
    st.ran.add(block.line)
    status, out = execute(block, st.dir)
    if status != 0:
        pytest.fail(report(block, status, out, "failed (status %s)" % status))
    missing = [t for t in block.values("expect") if t not in out]
    if missing:
        pytest.fail(report(block, status, out,
                           "the output lacks %r" % missing))


def test_parser_on_a_sample(tmp_path):
    sample = tmp_path / "sample.md"
    sample.write_text(
        "text\n<!-- doc-test: expect hi -->\n<!-- doc-test: timeout 5 -->\n"
        "```sh\necho hi\n```\n\n```text\nnot run\n```\n"
        "<!-- doc-test: skip why not -->\n````sh\nfalse\n```\n````\n"
        "<!-- doc-test: frobnicate x -->\n```bash\nls\n```\n"
        "<!-- doc-test: expect lost -->\n\nparagraph\n")
    blocks, problems = parse(str(sample))
    assert [(b.line, b.lang) for b in blocks] == [(4, "sh"), (8, "text"),
                                                 (12, "sh"), (17, "bash")]
    assert blocks[0].text == "echo hi\n"
    assert blocks[0].values("expect") == ["hi"]
    assert blocks[0].values("timeout") == ["5"]
    assert blocks[2].text == "false\n```\n"
    assert blocks[2].values("skip") == ["why not"]
    assert len(problems) == 3, problems
    assert any("a ```bash block" in p for p in problems)
    assert any("unknown doc-test directive 'frobnicate'" in p for p in problems)
    assert any(":20: a doc-test expect marker must be right above" in p
               for p in problems)
