"""RAM disk, gzip, ELF reader and boot configuration, end to end: hop reads
/hop.cfg (or its command line), finds kernels and modules in the RAM disk or
among the loader's modules, inflates what is gzip, falls back from entry to
entry with a reason for each failure, and offers a menu on the serial port.

Most scenarios boot through QEMU's -kernel (qemu-kernel, a fraction of a
second each); a few go through GRUB (grub-bios), whose command-line quoting
and module command lines differ.
"""
import gzip
import re
import zlib

import pytest

from hoptest import EXIT_ERROR, EXIT_PASS, EXIT_TIMEOUT, hop_run, kernel

# The demo's multiboot2 header and its first program header lie within
# these bytes, its segments beyond: a truncated copy is a broken ELF.
TRUNCATED_SIZE = 300


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


def crc(data):
    return zlib.crc32(data) & 0xFFFFFFFF


@pytest.fixture
def demo():
    return kernel("demo")


@pytest.fixture
def demo_bytes(demo):
    with open(demo, "rb") as f:
        return f.read()


@pytest.fixture
def broken(tmp_path, demo_bytes):
    """demo.elf cut to TRUNCATED_SIZE bytes."""
    return write(tmp_path / "broken.elf", demo_bytes[:TRUNCATED_SIZE])


@pytest.fixture
def unused(tmp_path):
    """A stand-in for hop-run's KERNEL argument when the config boots
    something else: hop-run puts it at /boot/unused.bin, nothing uses it."""
    return write(tmp_path / "unused.bin", b"not a kernel\n")


def booted_once(run):
    assert run.out.count("demo: hello from the demo kernel") == 1, run
    assert "tk: 1 checks, 0 failed: PASS" in run.out, run


# --- fallback -----------------------------------------------------------------

def test_fallback_to_the_first_entry_that_boots(tmp_path, demo, broken):
    cfg = write(tmp_path / "hop.cfg",
                "entry=missing\nkernel=/boot/missing.elf\n"
                "entry=broken\nkernel=/boot/broken.elf\n"
                "entry=good\nkernel=/boot/demo.elf\ncmdline=fell back\n")
    run = hop_run(demo, "--config", cfg, "--ramdisk-file", broken + "=/boot/broken.elf")
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert run.demo_cmdlines() == ["fell back"], run
    missing = 'hop: entry 0 "missing" failed: /boot/missing.elf: not in the ramdisk'
    bad = ('hop: entry 1 "broken" failed: /boot/broken.elf: program header 0: '
           'p_offset+p_filesz 0x')
    assert missing in run.out, run
    assert bad in run.out, run
    assert "beyond file size %#x" % TRUNCATED_SIZE in run.out, run
    # in order: 0 fails, 1 fails, then 2 is booted
    at = [run.out.index(s) for s in (missing, bad, 'hop: booting entry 2 "good"',
                                     "demo: hello")]
    assert at == sorted(at), run
    assert "no entry could be booted" not in run.out


def test_all_entries_fail(tmp_path, demo, demo_bytes, broken):
    gz = gzip.compress(demo_bytes, mtime=0)
    badcrc = bytearray(gz)
    badcrc[-8] ^= 1                         # the CRC32 in the gzip trailer
    text = write(tmp_path / "text.txt", "hello, not a kernel\n")
    cfg = write(tmp_path / "hop.cfg",
                "entry=missing\nkernel=/boot/missing.elf\n"
                "entry=broken\nkernel=/boot/broken.elf\n"
                "entry=text\nkernel=/etc/text.txt\n"
                "entry=dir\nkernel=/boot\n"
                "entry=badcrc\nkernel=/boot/badcrc.gz\n")
    run = hop_run(demo, "--config", cfg,
                  "--ramdisk-file", broken + "=/boot/broken.elf",
                  "--ramdisk-file", text + "=/etc/text.txt",
                  "--ramdisk-file", write(tmp_path / "badcrc.gz", bytes(badcrc))
                  + "=/boot/badcrc.gz")
    assert run.rc == EXIT_ERROR, run
    assert "demo:" not in run.out, run
    reasons = [
        ("missing", "/boot/missing.elf: not in the ramdisk nor a module name"),
        ("broken", "/boot/broken.elf: program header 0: p_offset+p_filesz"),
        ("text", "/etc/text.txt: not an ELF file (magic 68 65 6c 6c)"),
        ("dir", "/boot: is a directory, not a regular file"),
        ("badcrc", "/boot/badcrc.gz: gzip: CRC32 %#010x does not match trailer %#010x"
         % (crc(demo_bytes), crc(demo_bytes) ^ 1)),
    ]
    for i, (title, why) in enumerate(reasons):
        assert 'hop: entry %d "%s" failed: %s' % (i, title, why) in run.out, run
    summary = run.out.split("hop: no entry could be booted:\n", 1)
    assert len(summary) == 2, run
    lines = summary[1].splitlines()
    for i, (title, why) in enumerate(reasons):
        assert lines[i].startswith('hop:   %d "%s": %s' % (i, title, why)), run
    assert lines[len(reasons)] == "hop: halted (code 2)", run


# --- hop's command line -----------------------------------------------------

@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_kernel_from_the_command_line_only(tmp_path, demo, via):
    cfg = write(tmp_path / "hop.cfg", "# nothing but comments\n\n   # and blanks\n")
    run = hop_run(demo, "--config", cfg, via=via,
                  hop_cmdline='debug-exit kernel=/boot/demo.elf cmdline="x y"')
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert run.demo_cmdlines() == ["x y"], run
    assert 'hop: booting entry 0 "command line": /boot/demo.elf' in run.out, run
    if via == "grub-bios":
        # GRUB rebuilds the command line and quotes a word with blanks whole
        assert 'hop: command line: "debug-exit kernel=/boot/demo.elf "cmdline=x y""' \
            in run.out, run


def test_command_line_amends_the_default_entry(tmp_path, demo):
    """Without kernel=, cmdline= replaces the default entry's and module=
    adds to its modules; default= comes from the file."""
    own, extra = b"own module", bytes(range(256)) * 9
    cfg = write(tmp_path / "hop.cfg",
                "default=1\nentry=a\nkernel=/boot/demo.elf\ncmdline=aaa\n"
                "entry=b\nkernel=/boot/demo.elf\ncmdline=bbb\nmodule=/boot/own.bin own\n")
    run = hop_run(demo, "--config", cfg,
                  "--ramdisk-file", write(tmp_path / "own.bin", own) + "=/boot/own.bin",
                  "--ramdisk-file", write(tmp_path / "x.bin", extra) + "=/boot/x.bin",
                  hop_cmdline='debug-exit cmdline="single user" module="/boot/x.bin x args"')
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert run.demo_cmdlines() == ["single user"], run
    assert run.demo_modules() == [("own", len(own), crc(own)),
                                  ("x args", len(extra), crc(extra))], run


# --- gzip ---------------------------------------------------------------------

def test_gzip_compressed_kernel(tmp_path, demo_bytes, unused):
    gz = write(tmp_path / "demo.elf.gz", gzip.compress(demo_bytes, 9, mtime=0))
    cfg = write(tmp_path / "hop.cfg", "entry=gz\nkernel=/boot/demo.elf.gz\ncmdline=gz\n")
    run = hop_run(unused, "--config", cfg, "--ramdisk-file", gz + "=/boot/demo.elf.gz")
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert "hop: /boot/demo.elf.gz: %d bytes (inflated), protocol multiboot2" \
        % len(demo_bytes) in run.out, run
    assert run.demo_cmdlines() == ["gz"], run


def test_gzip_compressed_ramdisk(tmp_path, demo):
    data = bytes(range(251)) * 4000              # 1 MB, compresses well
    mod = write(tmp_path / "data.bin", data)
    run = hop_run(demo, "--cmdline", "whole", "--module", mod + "=data", "--gzip-ramdisk")
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert re.search(r"hop: RAM disk: module 0, \d+ bytes \(inflated\)", run.out), run
    assert run.demo_cmdlines() == ["whole"], run
    assert run.demo_modules() == [("data", len(data), crc(data))], run


# --- modules ------------------------------------------------------------------

def test_ramdisk_modules_reach_the_kernel(tmp_path, demo):
    """Sizes, contents and command lines byte for byte; a module without a
    command line gets its path; a gzip module is inflated."""
    import random
    rnd = random.Random(1234)
    files = {
        "random.bin": bytes(rnd.getrandbits(8) for _ in range(12345)),
        "empty.bin": b"",
        "odd.bin": b"odd",
    }
    packed = bytes(rnd.getrandbits(8) for _ in range(7000))
    args = [
        "--module", write(tmp_path / "random.bin", files["random.bin"]) + '=a="b c" # d',
        "--module", write(tmp_path / "empty.bin", files["empty.bin"]),
        "--module", write(tmp_path / "odd.bin", files["odd.bin"]) + "=odd  two  spaces",
        "--module", write(tmp_path / "packed.gz", gzip.compress(packed, mtime=0)) + "=gz",
    ]
    run = hop_run(demo, "--cmdline", "mods", *args)
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert run.demo_modules() == [
        ('a="b c" # d', len(files["random.bin"]), crc(files["random.bin"])),
        ("/boot/empty.bin", 0, 0),
        ("odd  two  spaces", 3, crc(b"odd")),
        ("gz", len(packed), crc(packed)),
    ], run


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_kernel_and_module_from_loader_modules(tmp_path, demo, demo_bytes, unused, via):
    """Neither the kernel nor its module is in the RAM disk: hop finds both
    among the loader's modules by the first word of their command line."""
    data = bytes((i * 7 + 3) & 0xFF for i in range(40000))
    cfg = write(tmp_path / "hop.cfg",
                "entry=loader\nkernel=demo\ncmdline=from a loader module\n"
                "module=data mod args\n")
    run = hop_run(unused, "--config", cfg, "--loader-module", demo + "=demo",
                  "--loader-module", write(tmp_path / "data.bin", data) + "=data",
                  via=via)
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    mods = run.modules()
    assert len(mods) == 3, run           # RAM disk, demo, data
    assert mods[1][2] == len(demo_bytes) and mods[2][2] == len(data), run
    assert 'hop: booting entry 0 "loader": demo' in run.out, run
    assert "hop: demo: %d bytes, protocol multiboot2" % len(demo_bytes) in run.out, run
    assert run.demo_cmdlines() == ["from a loader module"], run
    assert run.demo_modules() == [("mod args", len(data), crc(data))], run


def test_symlinks_paths_bom_and_crlf(tmp_path, demo):
    """A symlink in the RAM disk is followed (a loop is an error), a path
    is normalised, and the file may have a BOM and CRLF line ends."""
    (tmp_path / "vmlinuz").symlink_to("demo.elf")         # relative, in /boot
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    cfg = write(tmp_path / "hop.cfg",
                b"\xef\xbb\xbftimeout=0\r\n# crlf\r\n"
                b"entry=loop\r\nkernel=/boot/loop1\r\n"
                b"entry=link\r\nkernel=//boot/./vmlinuz\r\ncmdline=a=\"b c\" # d\r\n")
    run = hop_run(demo, "--config", cfg,
                  *[a for n in ("vmlinuz", "loop1", "loop2")
                    for a in ("--ramdisk-file", "%s=/boot/%s" % (tmp_path / n, n))])
    assert run.rc == EXIT_PASS, run
    booted_once(run)
    assert 'hop: entry 0 "loop" failed: /boot/loop1: ' in run.out, run
    assert "levels of symbolic links" in run.out, run
    assert run.demo_cmdlines() == ['a="b c" # d'], run


# --- the menu -----------------------------------------------------------------

# serial=plain: the menu as log lines (numbered list, countdown), which
# these tests read; test_menu.py drives the ANSI menu screen and the editor.
MENU = ("timeout=%d\nserial=plain\n%s"
        "entry=zero\nkernel=/boot/demo.elf\ncmdline=entry zero\n"
        "entry=one\nkernel=/boot/broken.elf\ncmdline=entry one\n"
        "entry=two\nkernel=/boot/demo.elf\ncmdline=entry two\n")


def menu_run(tmp_path, demo, broken, *inputs, timeout=30, default="", via="qemu-kernel",
             run_timeout=20):
    cfg = write(tmp_path / "hop.cfg", MENU % (timeout, default))
    args = ["--config", cfg, "--ramdisk-file", broken + "=/boot/broken.elf"]
    for text in inputs:
        args += ["--serial-input-after", text]
    return hop_run(demo, *args, via=via, timeout=run_timeout)


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_menu_digit_chooses(tmp_path, demo, broken, via):
    run = menu_run(tmp_path, demo, broken, r"hop: boot menu=2\r", via=via)
    assert run.rc == EXIT_PASS, run
    assert "hop: booting entry 0 in 30 s (any key stops)" in run.out, run
    assert "hop: -> 2: two (/boot/demo.elf)" in run.out, run
    assert "hop: chosen: entry 2" in run.out, run
    booted_once(run)
    assert run.demo_cmdlines() == ["entry two"], run


def test_menu_arrows_move(tmp_path, demo, broken):
    run = menu_run(tmp_path, demo, broken, r"hop: boot menu=\e[B\e[B\r")
    assert run.rc == EXIT_PASS, run
    assert "hop: chosen: entry 2" in run.out, run
    assert run.demo_cmdlines() == ["entry two"], run


def test_menu_choice_falls_back_to_the_next_entry(tmp_path, demo, broken):
    """Down, down, up: entry 1 (broken) is chosen; then 2, in order."""
    run = menu_run(tmp_path, demo, broken, r"hop: boot menu=\e[B\e[B\e[A\n")
    assert run.rc == EXIT_PASS, run
    assert "hop: chosen: entry 1" in run.out, run
    assert 'hop: entry 1 "one" failed: /boot/broken.elf: ' in run.out, run
    assert 'hop: booting entry 0 "zero"' not in run.out, run
    assert run.demo_cmdlines() == ["entry two"], run


def test_menu_key_stops_the_countdown(tmp_path, demo, broken):
    """With a 3 s countdown the default would boot well before hop-run's
    7 s; a key stops it and the guest waits (hop-run: 124)."""
    run = menu_run(tmp_path, demo, broken, "hop: booting entry 0 in=x", timeout=3,
                   run_timeout=7)
    assert run.rc == EXIT_TIMEOUT, run
    assert "hop: booting entry 0 in 3 s (any key stops)" in run.out, run
    assert "in 2 s" not in run.out and "in 1 s" not in run.out, run
    assert "hop: timeout" not in run.out and "demo:" not in run.out, run


def test_menu_timeout_boots_the_default(tmp_path, demo, broken):
    run = menu_run(tmp_path, demo, broken, timeout=1, default="default=2\n")
    assert run.rc == EXIT_PASS, run
    assert "hop: booting entry 2 in 1 s (any key stops)" in run.out, run
    assert "hop: timeout: booting entry 2" in run.out, run
    assert run.demo_cmdlines() == ["entry two"], run


def test_default_by_title(tmp_path, demo, broken):
    run = menu_run(tmp_path, demo, broken, timeout=0, default="default=two\n")
    assert run.rc == EXIT_PASS, run
    assert "hop: boot menu" not in run.out, run
    assert 'hop: booting entry 2 "two"' in run.out, run
    assert run.demo_cmdlines() == ["entry two"], run


# --- syntax errors --------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("timeout=0\nentry=a\nkernel=/boot/demo.elf\nkernl=/boot/demo.elf\n",
     "/hop.cfg:4: unknown key 'kernl'"),
    ("entry=a\nkernel=/boot/demo.elf\n\n# comment\nkernel=/boot/demo.elf\n",
     "/hop.cfg:5: 'kernel' given twice in this entry"),
    ("timeout=0\ncmdline=early\nentry=a\nkernel=/boot/demo.elf\n",
     "/hop.cfg:2: 'cmdline' before the first entry= line"),
    ("timeout=soon\nentry=a\nkernel=/boot/demo.elf\n",
     "/hop.cfg:1: timeout 'soon' is not a number of seconds from 0 to 3600"),
], ids=["unknown-key", "twice", "before-entry", "bad-timeout"])
def test_config_syntax_error_halts(tmp_path, demo, text, message):
    run = hop_run(demo, "--config", write(tmp_path / "hop.cfg", text))
    assert run.rc == EXIT_ERROR, run
    assert "hop: " + message + "\n" in run.out, run
    assert "hop: booting entry" not in run.out and "demo:" not in run.out, run


def test_config_named_on_the_command_line(tmp_path, demo):
    """config=PATH reads another file, and its errors name that file."""
    bad = write(tmp_path / "other.cfg", "entry=x\nkernel=/boot/demo.elf\nprotocol=dos\n")
    run = hop_run(demo, "--ramdisk-file", bad + "=/etc/other.cfg",
                  hop_cmdline="debug-exit config=/etc/other.cfg")
    assert run.rc == EXIT_ERROR, run
    assert "hop: /etc/other.cfg:3: protocol 'dos' is not one of" in run.out, run
