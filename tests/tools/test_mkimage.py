"""Tests of tools/hop-mkimage and tools/hop-ramdisk: the images they write
(partition tables, FAT contents, grub.cfg, RAM disk) and that those images
boot the demo kernel through GRUB and hop in QEMU, on BIOS (SeaBIOS) and
UEFI (OVMF), as a CD and as a disk (USB stick).  The demo kernel ends with
status 0 through QEMU's isa-debug-exit port.  About 30 s.

Run: /usr/bin/python3 -m pytest -q tests/tools/test_mkimage.py
"""

import gzip
import io
import os
import shutil
import stat
import struct
import subprocess
import zlib

import pytest

from hoplib import cpio, iso, mkimage, qemu
from hoptest import DEMO, HOP_ELF, built, tool

MKIMAGE = "hop-mkimage"
RAMDISK = "hop-ramdisk"

PASS_LINE = "tk: 1 checks, 0 failed: PASS"
BOOT_TIMEOUT = 60

needs_image_tools = pytest.mark.skipif(
    bool(mkimage.missing_tools("iso") + mkimage.missing_tools("disk")),
    reason="needs grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools "
    "(make deps)")
needs_qemu = pytest.mark.skipif(
    shutil.which(qemu.QEMU) is None or not os.path.isfile(qemu.OVMF_CODE),
    reason="needs qemu-system-x86 and ovmf (make deps)")


def run(name, *args, env=None):
    return tool(name, *args, text=True, env=env, timeout=120)


# --- building the images once ------------------------------------------------------

@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """The demo kernel made into each kind of image, with --hop-cmdline
    debug-exit (hop's own failures then end QEMU too)."""
    if mkimage.missing_tools("iso") + mkimage.missing_tools("disk"):
        pytest.skip("image tools missing")
    d = tmp_path_factory.mktemp("images")
    out = {}
    for name, extra in [("demo.iso", []), ("demo.img", []),
                        ("demo-gpt.img", ["--table", "gpt"]),
                        ("demo-uefi.img", ["--no-bios"])]:
        r = run(MKIMAGE, "-o", d / name, built(DEMO), "--hop", built(HOP_ELF),
                "--hop-cmdline", "debug-exit", "--cmdline", "hello images",
                *extra)
        assert r.returncode == 0, r.stderr
        assert "wrote %s" % (d / name) in r.stdout
        out[name] = str(d / name)
    return out


def boot(image, firmware, media, tmp_path):
    """Boot `image` in QEMU; returns (Outcome, serial output text)."""
    cmd = qemu.base_command(machine="pc", mem="128M")
    if media == "cdrom":
        cmd += qemu.cdrom_args(image)
    else:
        cmd += ["-drive", "format=raw,file=%s" % image]
    if firmware == "uefi":
        vars_copy = str(tmp_path / "OVMF_VARS.fd")
        shutil.copyfile(qemu.OVMF_VARS, vars_copy)
        cmd += qemu.ovmf_args(vars_copy)
    outcome, data = qemu.run(cmd, BOOT_TIMEOUT, stdout=io.BytesIO(),
                             stderr=io.BytesIO())
    return outcome, data.decode("utf-8", "replace")


def assert_demo_booted(outcome, text):
    tail = text[-3000:]
    assert outcome.kind == "exit" and outcome.status == 0, (outcome, tail)
    assert PASS_LINE in text, tail
    assert "hop: jumping to multiboot2 kernel" in text, tail
    assert "loaded by GRUB" in text, tail


# --- booting them -------------------------------------------------------------------

BOOTS = [
    ("demo.iso", "bios", "cdrom"),
    ("demo.iso", "uefi", "cdrom"),
    ("demo.iso", "bios", "disk"),       # the ISO written to a USB stick
    ("demo.iso", "uefi", "disk"),
    ("demo.img", "bios", "disk"),
    ("demo.img", "uefi", "disk"),
    ("demo-gpt.img", "bios", "disk"),
    ("demo-gpt.img", "uefi", "disk"),
]


@needs_image_tools
@needs_qemu
@pytest.mark.parametrize("name,firmware,media", BOOTS,
                         ids=["-".join(b) for b in BOOTS])
def test_image_boots_demo(images, name, firmware, media, tmp_path):
    outcome, text = boot(images[name], firmware, media, tmp_path)
    assert_demo_booted(outcome, text)
    assert 'demo: command line "hello images"' in text
    if firmware == "uefi":
        assert "hop: EFI system table at" in text


@needs_image_tools
@needs_qemu
def test_uefi_only_image_does_not_boot_bios(images, tmp_path):
    """--no-bios: no boot code in sector 0, SeaBIOS finds nothing to boot
    (SeaBIOS is done in well under a second; 2 s are enough)."""
    with open(images["demo-uefi.img"], "rb") as f:
        assert f.read(440) == bytes(440)
    cmd = qemu.base_command(machine="pc", mem="128M") + [
        "-drive", "format=raw,file=%s" % images["demo-uefi.img"]]
    outcome, data = qemu.run(cmd, 2, stdout=io.BytesIO(), stderr=io.BytesIO())
    assert outcome.kind != "exit"
    assert PASS_LINE not in data.decode("utf-8", "replace")


@needs_image_tools
@needs_qemu
def test_ramdisk_tool_and_mkimage_ramdisk(tmp_path):
    """hop-ramdisk makes the RAM disk (gzipped), hop-mkimage --ramdisk uses
    it as it is, and it boots with the kernel's module and command line."""
    root = tmp_path / "root"
    (root / "boot").mkdir(parents=True)
    shutil.copyfile(built(DEMO), root / "boot" / "demo.elf")
    (root / "boot" / "note.txt").write_text("a module\n")
    (root / "hop.cfg").write_text(
        "timeout=0\nentry=from hop-ramdisk\nkernel=/boot/demo.elf\n"
        "cmdline=made by hop-ramdisk\nmodule=/boot/note.txt note\n")
    rd = tmp_path / "rd.cpio.gz"
    r = run(RAMDISK, "-o", rd, "--gzip", root)
    assert r.returncode == 0, r.stderr
    image = tmp_path / "rd.iso"
    r = run(MKIMAGE, "-o", image, "--ramdisk", rd, "--hop", built(HOP_ELF),
            "--hop-cmdline", "debug-exit", "-v")
    assert r.returncode == 0, r.stderr
    assert "/boot/note.txt" in r.stdout and "gzip" in r.stdout
    outcome, text = boot(str(image), "bios", "cdrom", tmp_path)
    assert_demo_booted(outcome, text)
    assert 'demo: command line "made by hop-ramdisk"' in text
    assert 'demo: module "note" 9 bytes crc32 %08x' % zlib.crc32(
        b"a module\n") in text


# --- what is in the images ----------------------------------------------------------

def mtools_read(image, path):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    return subprocess.run(["mtype", "-i", "%s@@1M" % image, "::" + path],
                          stdout=subprocess.PIPE, check=True, env=env).stdout


def mcopy_out(image, path):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    return subprocess.run(["mcopy", "-i", "%s@@1M" % image, "::" + path, "-"],
                          stdout=subprocess.PIPE, check=True, env=env).stdout


def check_user_grub_cfg(cfg):
    assert "set timeout=0" in cfg
    assert "menuentry hop " in cfg
    assert "multiboot2 /boot/hop.elf debug-exit\n" in cfg
    assert "module2 /boot/ramdisk.cpio ramdisk\n" in cfg
    assert iso.BOOT_MARKER not in cfg and "hop-run" not in cfg
    assert "reboot" not in cfg and "echo" not in cfg


def check_ramdisk(data):
    entries = {e.name: e for e in cpio.read(data)}
    with open(DEMO, "rb") as f:
        assert entries["boot/demo.elf"].data == f.read()
    assert entries["hop.cfg"].data.decode() == (
        "timeout=0\nentry=demo.elf\nkernel=/boot/demo.elf\n"
        "cmdline=hello images\n")


@needs_image_tools
def test_iso_contents(images, tmp_path):
    out = tmp_path / "x"
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", images["demo.iso"],
                    "-extract", "/boot", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check_user_grub_cfg((out / "grub" / "grub.cfg").read_text())
    check_ramdisk((out / "ramdisk.cpio").read_bytes())
    with open(HOP_ELF, "rb") as f:
        assert (out / "hop.elf").read_bytes() == f.read()


@needs_image_tools
@pytest.mark.parametrize("name", ["demo.img", "demo-gpt.img"])
def test_disk_contents(images, name):
    image = images[name]
    check_user_grub_cfg(mtools_read(image, "/boot/grub/grub.cfg").decode())
    check_ramdisk(mcopy_out(image, "/boot/ramdisk.cpio"))
    efi = mcopy_out(image, "/EFI/BOOT/BOOTX64.EFI")
    assert efi[:2] == b"MZ"
    pe = struct.unpack_from("<I", efi, 0x3C)[0]
    assert efi[pe:pe + 4] == b"PE\0\0"
    assert struct.unpack_from("<H", efi, pe + 4)[0] == 0x8664   # x86-64
    with open(HOP_ELF, "rb") as f:
        assert mcopy_out(image, "/boot/hop.elf") == f.read()


@needs_image_tools
def test_mbr_layout(images):
    with open(images["demo.img"], "rb") as f:
        sector0 = f.read(512)
        size = os.fstat(f.fileno()).st_size
    assert sector0[510:] == b"\x55\xaa"
    status, ptype, start, count = (sector0[0x1BE], sector0[0x1BE + 4],
                                   *struct.unpack_from("<II", sector0, 0x1BE + 8))
    assert (status, ptype, start) == (0x80, 0xEF, 2048)
    assert (start + count) * 512 == size
    assert sector0[0x1CE:0x1FE] == bytes(48)          # one partition only
    # GRUB's boot.img, pointed at core.img in sector 1
    assert struct.unpack_from("<Q", sector0, 0x5C)[0] == 1
    assert sector0[0x66:0x68] == b"\x90\x90"


def gpt_header(data, lba):
    h = data[lba * 512:lba * 512 + 92]
    fields = struct.unpack("<8sIIIIQQQQ16sQIII", h)
    crc = zlib.crc32(h[:16] + b"\0\0\0\0" + h[20:])
    assert fields[0] == b"EFI PART" and fields[3] == crc
    return fields


@needs_image_tools
def test_gpt_layout(images):
    with open(images["demo-gpt.img"], "rb") as f:
        data = f.read()
    sectors = len(data) // 512
    assert data[0x1BE + 4] == 0xEE and data[510:512] == b"\x55\xaa"
    primary = gpt_header(data, 1)
    backup = gpt_header(data, sectors - 1)
    assert primary[5:7] == (1, sectors - 1) and backup[5:7] == (sectors - 1, 1)
    assert primary[7:10] == backup[7:10]              # usable range, disk GUID
    assert (primary[10], backup[10]) == (2, sectors - 33)
    for header in (primary, backup):
        table = data[header[10] * 512:header[10] * 512 + 128 * 128]
        assert zlib.crc32(table) == header[13]
    table = data[1024:1024 + 2 * 128]
    esp_type, _, first, last = struct.unpack_from("<16s16sQQ", table, 0)
    bios_type, _, bfirst, blast = struct.unpack_from("<16s16sQQ", table, 128)
    assert esp_type == mkimage.ESP_TYPE_GUID.bytes_le
    assert (first, last) == (2048, sectors - 2048 - 1)   # 1 MiB at the end
    assert last <= primary[8] == sectors - 34
    assert bios_type == mkimage.BIOS_BOOT_TYPE_GUID.bytes_le
    assert (bfirst, blast) == (34, 2047)
    assert struct.unpack_from("<Q", data, 0x5C)[0] == 34   # boot.img -> core
    assert struct.unpack_from("<Q", data, 34 * 512 + 500)[0] == 35


def test_gpt_writer_small_disk():
    parts = [mkimage.GptPartition(mkimage.ESP_TYPE_GUID, 2048, 4095, "x")]
    primary, backup = mkimage.gpt(8192, parts)
    disk = bytes(512) + primary + bytes((8192 - 34 - 33) * 512) + backup
    assert len(disk) == 8192 * 512
    assert gpt_header(disk, 1)[6] == 8191
    assert gpt_header(disk, 8191)[10] == 8192 - 33


@needs_image_tools
def test_disk_size_option(tmp_path):
    out = tmp_path / "big.img"
    r = run(MKIMAGE, "-o", out, built(DEMO), "--hop", built(HOP_ELF),
            "--size", "64M")
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size == 64 << 20
    assert out.stat().st_blocks * 512 < 8 << 20        # sparse
    r = run(MKIMAGE, "-o", tmp_path / "small.img", built(DEMO), "--hop",
            built(HOP_ELF), "--size", "8M")
    assert r.returncode == 1 and "too small" in r.stderr
    assert not (tmp_path / "small.img").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["big.img"]   # no leftovers


# --- errors -------------------------------------------------------------------------

def test_help():
    r = run(MKIMAGE, "--help")
    assert r.returncode == 0
    for word in ("--hop-cmdline", "--module", "--config", "--ramdisk",
                 "OUT.iso", "OUT.img", "dd if=OUT", "--table"):
        assert word in r.stdout
    r = run(RAMDISK, "--help")
    assert r.returncode == 0 and "--list" in r.stdout and "--gzip" in r.stdout


def test_usage_errors(tmp_path):
    r = run(MKIMAGE, "-o", tmp_path / "x.bin", DEMO)
    assert r.returncode == 2 and "NAME.iso or NAME.img" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.iso")
    assert r.returncode == 2 and "give KERNEL" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.iso", DEMO, "--ramdisk", DEMO)
    assert r.returncode == 2 and "--ramdisk is used as it is" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.iso", DEMO, "--table", "gpt")
    assert r.returncode == 2 and "disk images" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.iso", tmp_path / "nope.elf",
            "--hop", HOP_ELF)
    assert r.returncode == 1 and "nope.elf not found" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.iso", DEMO, "--hop",
            tmp_path / "nohop.elf")
    assert r.returncode == 1 and "hop image" in r.stderr
    r = run(MKIMAGE, "-o", tmp_path / "x.img", "--ramdisk", DEMO,
            "--hop", HOP_ELF)
    assert r.returncode == 1 and "not a cpio newc archive" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_tools_say_what_to_install(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))       # no grub, no mtools
    for out in ("x.iso", "x.img"):
        r = run(MKIMAGE, "-o", tmp_path / out, built(DEMO), "--hop",
                built(HOP_ELF), env=env)
        assert r.returncode == 1
        assert "install grub-common grub-pc-bin grub-efi-amd64-bin xorriso " \
            "mtools (make deps" in r.stderr
    assert "grub-mkrescue (package grub-common)" in run(
        MKIMAGE, "-o", tmp_path / "x.iso", DEMO, "--hop", HOP_ELF,
        env=env).stderr


# --- hop-ramdisk ------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "boot" / "empty").mkdir(parents=True)
    (root / "boot" / "kernel").write_bytes(b"\x7fELF" + bytes(1000))
    (root / "boot" / "kernel").chmod(0o755)
    (root / "hop.cfg").write_text("kernel=/boot/kernel\n")
    os.symlink("kernel", root / "boot" / "link")
    return root


def listing(path):
    r = run(RAMDISK, "--list", path)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_ramdisk_round_trip(tree, tmp_path):
    out = tmp_path / "rd.cpio"
    r = run(RAMDISK, "-o", out, tree)
    assert r.returncode == 0, r.stderr
    assert "wrote %s: 5 entries" % out in r.stdout and "note" not in r.stdout
    lines = listing(out)
    assert lines[:-1] == [
        "drwxr-xr-x 040755          0 /boot",
        "drwxr-xr-x 040755          0 /boot/empty",
        "-rwxr-xr-x 100755       1004 /boot/kernel",
        "lrwxrwxrwx 120777          6 /boot/link -> kernel",
        "-rw-r--r-- 100644         20 /hop.cfg"]
    assert lines[-1].startswith("5 entries, 1024 bytes in files; archive ")
    entries = {e.name: e for e in cpio.read(out.read_bytes())}
    assert entries["boot/kernel"].data == b"\x7fELF" + bytes(1000)
    # the system's cpio reads it too
    if shutil.which("cpio"):
        names = subprocess.run(["cpio", "-it", "--quiet"], input=out.read_bytes(),
                               stdout=subprocess.PIPE, check=True).stdout
        assert names.decode().split() == ["boot", "boot/empty", "boot/kernel",
                                          "boot/link", "hop.cfg"]
    # the same inputs give the same bytes
    again = tmp_path / "again.cpio"
    assert run(RAMDISK, "-o", again, tree).returncode == 0
    assert again.read_bytes() == out.read_bytes()


def test_ramdisk_gzip_and_files(tree, tmp_path):
    out = tmp_path / "rd.cpio.gz"
    extra = tmp_path / "extra.bin"
    extra.write_bytes(b"x" * 5000)
    r = run(RAMDISK, "-o", out, "--gzip", tree, "--file",
            "%s=/mods/deep/extra.bin" % extra, "--file",
            "%s=boot/again" % (tree / "boot"))
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    names = [e.name for e in cpio.read(gzip.decompress(raw))]
    assert names[5:] == ["mods", "mods/deep", "mods/deep/extra.bin",
                         "boot/again", "boot/again/empty", "boot/again/kernel",
                         "boot/again/link"]
    lines = listing(out)
    assert "-rw-r--r-- 100644       5000 /mods/deep/extra.bin" in lines
    assert any(line.endswith("/boot/again/link -> kernel") for line in lines)
    assert "gzip-compressed to %d" % len(raw) in lines[-1]


def test_ramdisk_files_only_and_errors(tmp_path, tree):
    k = tree / "boot" / "kernel"
    out = tmp_path / "f.cpio"
    r = run(RAMDISK, "-o", out, "--file", "%s=/boot/k" % k)
    assert r.returncode == 0
    assert "no /hop.cfg" in r.stdout
    assert [e.name for e in cpio.read(out.read_bytes())] == ["boot", "boot/k"]
    r = run(RAMDISK, "-o", out, "--file", "%s=/boot/k" % k,
            "--file", "%s=boot/k" % k)
    assert r.returncode == 1 and "already in the RAM disk" in r.stderr
    r = run(RAMDISK, "-o", out, "--file", "%s=../k" % k)
    assert r.returncode == 1 and ".." in r.stderr
    r = run(RAMDISK, "-o", out, k)
    assert r.returncode == 1 and "not a directory" in r.stderr
    os.mkfifo(tree / "fifo")
    r = run(RAMDISK, "-o", out, tree)
    assert r.returncode == 1 and "fifo: not a regular file" in r.stderr
    r = run(RAMDISK, "--list", k)
    assert r.returncode == 1 and "not a cpio newc archive" in r.stderr
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + b"junk")
    r = run(RAMDISK, "--list", bad)
    assert r.returncode == 1 and "broken gzip data" in r.stderr
    r = run(RAMDISK, "-o", out)
    assert r.returncode == 2 and "nothing to put in it" in r.stderr
    r = run(RAMDISK, "--list", out, "-o", out)
    assert r.returncode == 2
    assert stat.S_ISREG(os.stat(out).st_mode)


@pytest.mark.skipif(shutil.which("grub-script-check") is None,
                    reason="needs grub-script-check (grub-common)")
def test_user_grub_cfg_is_valid():
    for cfg in (mkimage.user_grub_cfg(),
                mkimage.user_grub_cfg('timeout=5 cmdline="a b" x\'y', 3,
                                      serial=True)):
        r = subprocess.run(["grub-script-check"], input=cfg, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout + cfg
    cfg = mkimage.user_grub_cfg('timeout=5 cmdline="a b"', 3, serial=True)
    assert "set timeout=3\n" in cfg and "terminal_output console serial" in cfg
    assert "    multiboot2 /boot/hop.elf timeout=5 'cmdline=a b'\n" in cfg
    assert mkimage.user_grub_cfg().count("multiboot2 /boot/hop.elf\n") == 1


@needs_image_tools
def test_values_starting_with_a_dash(tmp_path):
    r = run(MKIMAGE, "-o", tmp_path / "x.iso", built(DEMO), "--hop",
            built(HOP_ELF), "--cmdline", "-s", "--hop-cmdline", "-x",
            "--title", "-t", "-v")
    assert r.returncode == 0, r.stderr
    assert "cmdline=-s\n" in r.stdout and "entry=-t\n" in r.stdout
    assert "multiboot2 /boot/hop.elf -x\n" in r.stdout
