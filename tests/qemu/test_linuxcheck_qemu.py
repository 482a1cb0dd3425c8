"""The linuxcheck bzImages (tests/qemu/kernels/linuxcheck/) booted by QEMU's
own Linux loader (-kernel/-initrd/-append), without hop: QEMU fills the setup
header, its option ROM runs the image's real-mode setup, which builds
boot_params and enters the kernel like a boot-protocol loader would.  This
proves the images are well-formed and their checks pass on a correct
handoff, so that when hop boots them the checks judge hop."""
import os
import re
import subprocess
import zlib

import pytest

from hoptest import KERNELS

QEMU = "qemu-system-x86_64"
# isa-debug-exit turns the value V written to port 0xf4 into exit status
# (V << 1) | 1; the kernels write 0 for pass (src/exitcode.h).
QEMU_PASS = (0 << 1) | 1
LOAD_ADDRESS = 0x100000  # where QEMU's loader puts the protected-mode part
E820_RAM = 1

# variant -> (entry bits, relocatable, pref_address, where it runs).
# linuxcheck-moved's setup moves the protected-mode part to 16 MiB itself, as
# a relocating loader would (kernels/kernels.mk).
VARIANTS = {
    "linuxcheck": (64, 1, 0x1000000, LOAD_ADDRESS),
    "linuxcheck-fixed": (64, 0, 0x100000, LOAD_ADDRESS),
    "linuxcheck32": (32, 0, 0x100000, LOAD_ADDRESS),
    "linuxcheck-moved": (64, 1, 0x1000000, 0x1000000),
}


def boot(name, cmdline, initrd=None, mem="256M", timeout=60):
    image = os.path.join(KERNELS, name + ".bzimage")
    assert os.path.exists(image), f"{image} missing: run make"
    args = [QEMU, "-kernel", image, "-append", cmdline, "-m", mem,
            "-serial", "stdio", "-display", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if initrd:
        args += ["-initrd", initrd]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("latin-1").replace("\r", "")


def field(out, pattern):
    m = re.search(pattern, out, re.M)
    assert m, f"no line matching {pattern!r} in:\n{out}"
    return m.groups()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_linuxcheck_under_qemu_loader(name, tmp_path):
    bits, relocatable, pref, runs_at = VARIANTS[name]
    initrd = tmp_path / "initrd.bin"
    data = os.urandom(12345)
    initrd.write_bytes(data)
    rc, out = boot(name, "a b hop_test=1", str(initrd))

    assert "tk: FAIL" not in out, out
    assert re.search(r"^tk: \d+ checks, 0 failed: PASS$", out, re.M), out
    assert rc == QEMU_PASS, out

    entry_bits, entry, base, _bp = field(
        out, r"^linuxcheck: entry (\d+) at 0x([0-9a-f]+), loaded at 0x([0-9a-f]+), "
             r"boot_params 0x([0-9a-f]+)$")
    assert int(entry_bits) == bits
    assert int(base, 16) == runs_at
    assert int(entry, 16) == runs_at + (0x200 if bits == 64 else 0)
    rel, pref_addr = field(out, r"^linuxcheck: relocatable (\d), pref_address 0x([0-9a-f]+),")
    assert (int(rel), int(pref_addr, 16)) == (relocatable, pref)
    mode, paging = field(out, r"^linuxcheck: mode (\w+), paging (\w+), IF 0, cs 0x10 ds 0x18 "
                              r"es 0x18 ss 0x18$")
    assert (mode, paging) == (("long", "on") if bits == 64 else ("protected", "off"))
    (loader,) = field(out, r"^linuxcheck: header HdrS version 0x020f type_of_loader 0x([0-9a-f]{2}) ")
    assert int(loader, 16) == 0xb0  # QEMU's loader ID, version 0

    assert field(out, r'^linuxcheck: cmdline "(.*)"$') == ("a b hop_test=1",)
    addr, size, crc = field(out, r"^linuxcheck: initrd at 0x([0-9a-f]+), (\d+) bytes, "
                                 r"crc32 ([0-9a-f]{8})$")
    assert int(size) == len(data) and int(crc, 16) == zlib.crc32(data)

    (count,) = field(out, r"^linuxcheck: e820 (\d+) entries$")
    e820 = [(int(a, 16), int(b, 16), int(t)) for a, b, t in
            re.findall(r"^linuxcheck: e820 0x([0-9a-f]{16})-0x([0-9a-f]{16}) type (\d+)$",
                       out, re.M)]
    assert len(e820) == int(count) > 0
    assert any(a <= int(addr, 16) and int(addr, 16) + len(data) <= b and t == E820_RAM
               for a, b, t in e820)


def test_linuxcheck_without_initrd():
    rc, out = boot("linuxcheck", "")
    assert "linuxcheck: initrd none" in out, out
    assert 'linuxcheck: cmdline ""' in out, out
    assert rc == QEMU_PASS, out


def test_linuxcheck_catches_misaligned_load():
    """The checks judge: moved to 16 MiB + 2 KiB, below min_alignment."""
    rc, out = boot("linuxcheck-misaligned", "x")
    assert "tk: FAIL loaded at 0x1000800, not aligned to min_alignment 2^12" in out, out
    assert re.search(r"^tk: \d+ checks, 1 failed: FAIL$", out, re.M), out
    assert rc == (1 << 1) | 1, out
