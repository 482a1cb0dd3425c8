"""The command line every multiboot kernel gets is the one configured, first
word included, for the kernel and for each module's string, on every route
(docs/protocols.md, "Command lines").  The demo kernel prints each string as
it received it and as Xen 4.17's rule reads it (the first word dropped unless
the loader's name shows GRUB 2's convention); both must be the configured
text, whether the demo is booted by multiboot2 or multiboot1."""
import re

import pytest

from hoptest import EXIT_PASS, hop_run, kernel

CMDLINE = "console=com1 com1=115200 dom0_mem=256M"
MODULE = "console=hvc0 quiet"


def xen_reads(run):
    return re.findall(r'^demo: command line as Xen reads it "(.*)"$', run.out, re.M)


def xen_reads_module(run, i):
    return re.findall(r'^demo: module %d as Xen reads it "(.*)"$' % i, run.out, re.M)


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
@pytest.mark.parametrize("protocol", ["multiboot2", "multiboot1"])
def test_configured_command_lines_arrive_whole(tmp_path, via, protocol):
    note, bare = tmp_path / "note.txt", tmp_path / "bare.txt"
    note.write_bytes(b"a module\n")
    bare.write_bytes(b"another\n")
    run = hop_run(kernel("demo"), "--cmdline", CMDLINE, "--module", f"{note}={MODULE}",
                  "--module", str(bare), via=via,
                  hop_cmdline=f"debug-exit protocol={protocol}")
    assert run.rc == EXIT_PASS, run
    assert f"multiboot{protocol[-1]}, loaded by \"hop 0.1 (GRUB 2 compatible)\"" in run.out, run
    assert run.demo_cmdlines() == [CMDLINE], run
    assert xen_reads(run) == [CMDLINE], run
    assert [m[0] for m in run.demo_modules()] == [MODULE, "/boot/bare.txt"], run
    assert xen_reads_module(run, 0) == [MODULE], run
    # a module line with nothing after its path: the string is the path
    # (docs/config.md), read whole as well
    assert xen_reads_module(run, 1) == ["/boot/bare.txt"], run
