"""The layout's rule that calls between files go one way
(docs/conventions.md, "No call cycles"): tools/check-cycles over every
object of the host library and of hop's freestanding image."""
import glob
import os
import subprocess

import pytest

from hoptest import BUILD, ROOT as REPO, TOOLS

CHECK = os.path.join(TOOLS, "check-cycles")
# An assembly stub and the C it exists for.
ALLOWED = ["arch/x86_64/trap:arch/x86_64/idt",
           "arch/x86_64/quiesce/irq_drain:arch/x86_64/quiesce/irq_drain_entry",
           "arch/x86_64/paging:arch/x86_64/entry/multiboot/entry"]


def objects(top, dirs):
    """The objects of today's sources under top (stale ones from moved files
    are left out)."""
    out = []
    for d in dirs:
        for o in glob.glob(os.path.join(top, d, "**", "*.o"), recursive=True):
            rel = os.path.relpath(o, top)[:-2]
            if any(os.path.exists(os.path.join(REPO, rel + ext)) for ext in (".c", ".asm")):
                out.append(o)
    return sorted(out)


def check(top, dirs):
    objs = objects(top, dirs)
    if not objs:
        pytest.fail(f"no objects under {top}: run make all unit")
    args = [CHECK, "--strip", top + "/"]
    for a in ALLOWED:
        args += ["--allow", a]
    return subprocess.run(args + objs, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def test_host_library_has_no_call_cycle():
    p = check(os.path.join(BUILD, "host"), ["src"])
    assert p.returncode == 0, p.stdout
    assert " 0 cycle(s)" in p.stdout


def test_hop_image_has_no_call_cycle():
    p = check(os.path.join(BUILD, "k"), ["src", "arch"])
    assert p.returncode == 0, p.stdout
    assert " 0 cycle(s)" in p.stdout


def test_a_cycle_is_found(tmp_path):
    """The checker itself: two objects that call each other are a cycle."""
    for name, body in (("a", "void b(void); void a(void) { b(); }"),
                       ("b", "void a(void); void b(void) { a(); }")):
        (tmp_path / f"{name}.c").write_text(body + "\n")
        subprocess.run(["gcc", "-c", str(tmp_path / f"{name}.c"), "-o",
                        str(tmp_path / f"{name}.o")], check=True)
    p = subprocess.run([CHECK, str(tmp_path / "a.o"), str(tmp_path / "b.o")],
                       stdout=subprocess.PIPE, text=True)
    assert p.returncode == 1
    assert "cycle:" in p.stdout
