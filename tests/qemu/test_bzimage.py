"""Linux bzImages booted by hop directly (docs/protocols.md, "Linux"): the
linuxcheck test kernels (tests/qemu/kernels/linuxcheck/) check boot_params,
the entry state and their own placement from inside; Debian 12's vmlinuz,
no extraction, reaches userspace with the configured command line."""
import gzip
import io
import os
import re
import subprocess
import zlib

import pytest

from hoplib.paths import DEBIAN_CMDLINE, DEBIAN_DIR, DEBIAN_MARKER
from hoptest import EXIT_PASS, KERNELS, TOOLS, hop_run

CMDLINE = "a b hop_test=1"
MIB = 1 << 20


def linuxcheck(name):
    path = os.path.join(KERNELS, name + ".bzimage")
    assert os.path.exists(path), f"{path} missing: run make"
    return path


def field(out, pattern):
    m = re.search(pattern, out, re.M)
    assert m, f"no line matching {pattern!r} in:\n{out[-3000:]}"
    return m.groups()


def check_passed(run, initrd):
    assert run.rc == EXIT_PASS, run
    assert "tk: FAIL" not in run.out, run
    assert re.search(r"^tk: \d+ checks, 0 failed: PASS$", run.out, re.M), run
    assert field(run.out, r'^linuxcheck: cmdline "(.*)"$') == (CMDLINE,), run
    at, size, crc = field(run.out, r"^linuxcheck: initrd at (0x[0-9a-f]+), (\d+) bytes, "
                                   r"crc32 ([0-9a-f]{8})$")
    assert int(size) == len(initrd) and int(crc, 16) == zlib.crc32(initrd), run
    # hop's type_of_loader: 0xff (no assigned ID, boot.rst)
    assert field(run.out, r"type_of_loader (0x[0-9a-f]+)") == ("0xff",), run


def check_e820(run):
    """The e820 the kernel got is hop's map (printed by hop) with only what
    hop leaves live marked: every usable e820 range lies inside usable RAM of
    hop's map, nothing hop's map says is not RAM is usable, and at most 1 MiB
    of usable RAM was withheld (the trampoline, boot information)."""
    hop_map = run.memory_map()
    e820 = [(int(a, 16), int(b, 16), int(t)) for a, b, t in re.findall(
        r"^linuxcheck: e820 0x([0-9a-f]+)-0x([0-9a-f]+) type (\d+)$", run.out, re.M)]
    assert hop_map and e820, run
    usable = [(s, e) for s, e, t in hop_map if t == "usable"]
    got = [(s, e) for s, e, t in e820 if t == 1]
    for s, e in got:
        assert any(us <= s and e <= ue for us, ue in usable), (hex(s), hex(e), run)
    total = lambda rs: sum(e - s for s, e in rs)
    assert 0 <= total(usable) - total(got) <= 1 << 20, (total(usable), total(got), run)


# name -> (entry bits, where the protected-mode part must run)
VARIANTS = {"linuxcheck": (64, 0x1000000), "linuxcheck-fixed": (64, 0x100000),
            "linuxcheck32": (32, 0x100000)}


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios", "grub-efi"])
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_linuxcheck_through_hop(tmp_path, name, via):
    if via == "grub-efi" and name != "linuxcheck":
        pytest.skip("one variant is enough on the slow UEFI route")
    bits, at = VARIANTS[name]
    data = os.urandom(23456)
    rd = tmp_path / "initrd.bin"
    rd.write_bytes(data)
    run = hop_run(linuxcheck(name), "--cmdline", CMDLINE, "--module", str(rd), via=via,
                  timeout=120 if via == "grub-efi" else 60)
    check_passed(run, data)
    check_e820(run)
    assert f"hop: /boot/{name}.bzimage: " in run.out and "protocol linux" in run.out, run
    entry, loaded = field(run.out, rf"^linuxcheck: entry {bits} at (0x[0-9a-f]+), "
                                   r"loaded at (0x[0-9a-f]+)")
    assert int(loaded, 16) == at, run
    assert int(entry, 16) == at + (0x200 if bits == 64 else 0), run
    mode = "64-bit long mode" if bits == 64 else "32-bit protected mode, paging off, CS 0x10"
    assert f"entry {entry} in {mode}" in run.out, run
    assert re.search(r"hop:   workspace 0x[0-9a-f]+-0x[0-9a-f]+ \d+ bytes, the kernel's", run.out)


def test_pref_address_occupied(tmp_path):
    """A loader module over 16 MiB, the kernel's pref_address: hop loads the
    relocatable kernel elsewhere, aligned to kernel_alignment (2 MiB); the
    kernel checks its alignment and that nothing hop passed lies in its
    init_size workspace."""
    data = os.urandom(4096)
    rd = tmp_path / "initrd.bin"
    rd.write_bytes(data)
    blocker = tmp_path / "blocker.bin"
    blocker.write_bytes(b"\xa5" * (24 * MIB))
    run = hop_run(linuxcheck("linuxcheck"), "--cmdline", CMDLINE, "--module", str(rd),
                  "--loader-module", f"{blocker}=blocker", mem="256M")
    check_passed(run, data)
    base = int(field(run.out, r"relocatable, loaded at (0x[0-9a-f]+)")[0], 16)
    assert base != 0x1000000 and base % (2 * MIB) == 0, run
    assert int(field(run.out, r"loaded at (0x[0-9a-f]+), boot_params")[0], 16) == base, run


@pytest.fixture(scope="module")
def debian():
    subprocess.run([os.path.join(TOOLS, "fetch-debian-kernel")], check=True)
    return os.path.join(DEBIAN_DIR, "vmlinuz"), os.path.join(DEBIAN_DIR, "initrd.cpio")


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios", "grub-efi"])
def test_debian_vmlinuz_reaches_userspace(debian, via):
    vmlinuz, initrd = debian
    line = "console=ttyS0 panic=-1 hop_test=bz"
    run = hop_run(vmlinuz, "--cmdline", line, "--module", initrd + "=initrd", via=via,
                  mem="512M", timeout=240)
    assert "hop: /boot/vmlinuz: " in run.out and "protocol linux" in run.out, run
    assert f"Command line: {line}" in run.out, run
    assert f"{DEBIAN_CMDLINE}{line}\n" in run.out.replace("\r", ""), run
    assert DEBIAN_MARKER in run.out, run
    assert run.rc == 0, run


def cpio_newc(files):
    """A cpio newc archive of {path: bytes} (regular files, mode 0644)."""
    out = io.BytesIO()
    for i, (name, data) in enumerate(list(files.items()) + [("TRAILER!!!", b"")]):
        mode = 0 if name == "TRAILER!!!" else 0o100644
        head = "070701" + "".join("%08X" % v for v in (
            i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
        out.write(head.encode() + name.encode() + b"\0")
        out.write(b"\0" * (-out.tell() % 4) + data)
        out.write(b"\0" * (-out.tell() % 4))
    return out.getvalue()


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_debian_vmlinuz_two_initrds(debian, tmp_path, via):
    """initrd= twice: the uncompressed busybox archive and a gzip'd one with
    /hop-extra, concatenated as one initrd; userspace sees both (its /init
    comes from the first and prints the second's file)."""
    vmlinuz, initrd = debian
    token = "extra-%08x" % zlib.crc32(os.urandom(8))
    extra = tmp_path / "extra.cpio.gz"
    extra.write_bytes(gzip.compress(cpio_newc({"hop-extra": token.encode()}), mtime=0))
    cfg = tmp_path / "hop.cfg"
    line = "console=ttyS0 panic=-1 hop_test=two"
    cfg.write_text("entry=two initrds\nkernel=/boot/vmlinuz\ninitrd=/boot/initrd.cpio\n"
                   "initrd=/boot/extra.cpio.gz\ncmdline=%s\n" % line)
    run = hop_run(vmlinuz, "--config", str(cfg), "--ramdisk-file", initrd + "=/boot/initrd.cpio",
                  "--ramdisk-file", str(extra) + "=/boot/extra.cpio.gz", via=via, mem="512M",
                  timeout=240)
    out = run.out.replace("\r", "")
    assert f"{DEBIAN_CMDLINE}{line}\n" in out, run
    assert f"HOP-LINUX-EXTRA: {token}\n" in out, run
    assert DEBIAN_MARKER in out, run
