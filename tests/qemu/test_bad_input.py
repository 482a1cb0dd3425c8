"""Bad input, end to end: what hop prints when a module is no RAM disk or
lies past the end of RAM, when a path is too long for a message, when the
configuration holds control bytes or an impossible default=, and at its
documented limits (docs/config.md).  Each scenario proves from the serial
log and the exit code that the right message is printed and that the next
entry boots, or that hop stops with the documented code.

Scenarios without a RAM disk boot hop itself with hop-run --direct, so that
the modules are only those the test gives."""
import os
import re

import pytest

from hoptest import EXIT_ERROR, EXIT_NOTHING, EXIT_PASS, ROOT, hop_run, kernel

HOP = os.path.join(ROOT, "build", "hop.elf")
CPIO_MAGICS = 'cpio newc ("070701"/"070702")'
JUNK = bytes([0x3F, 0x8A, 0x00, 0x11]) + bytes(range(60))
MIB = 1 << 20
LONG = 4000              # bytes of a path, near the documented 4096 for a value
ENTRIES_MAX = 16         # src/parse/config.h
MODULES_MAX = 16
ARENA_SIZE = 16384
TIMEOUT_MAX = 3600
VALUE_MAX = 4096
DEMO_LINE_MAX = 400      # the demo kernel shows no more of a command line (about 490)


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


@pytest.fixture
def demo():
    return kernel("demo")


def booted_demo(run, cmdline):
    assert run.rc == EXIT_PASS, run
    assert run.out.count("demo: hello from the demo kernel") == 1, run
    assert run.demo_cmdlines() == [cmdline], run


def hop_direct(hop_cmdline, *modules, mem="128M"):
    """hop booted by QEMU itself with exactly these (file, name) modules."""
    args = []
    for path, name in modules:
        args += ["--module", "%s=%s" % (path, name)]
    return hop_run(HOP, "--direct", "--cmdline", hop_cmdline, *args, mem=mem)


# --- a module that is no RAM disk ----------------------------------------------

@pytest.mark.parametrize("data,why", [
    (JUNK, "starts with 3f 8a 00 11, neither %s nor gzip (1f 8b)" % CPIO_MAGICS),
    (b"", "0 bytes"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", ""),   # a gzip cut after its header
], ids=["random", "empty", "cut-gzip"])
def test_no_ramdisk_says_why(tmp_path, data, why):
    """The kernel is looked for in the RAM disk, and there is none: the
    message names the module that was looked at and why it is none."""
    mod = write(tmp_path / "junk.bin", data)
    run = hop_direct("debug-exit kernel=/boot/demo.elf", (mod, "foo"))
    assert run.rc == EXIT_ERROR, run
    m = re.search(r'^hop: entry 0 "command line" failed: /boot/demo\.elf: not a module name, '
                  r'and there is no ramdisk: module 0 "[^"]*foo": not a RAM disk: (.*)$',
                  run.out, re.M)
    assert m, run
    if why:
        assert m.group(1) == why, run
    else:
        assert m.group(1).startswith(("gzip:", "deflate:")), run


def test_nothing_to_boot_says_why_no_ramdisk(tmp_path):
    run = hop_direct("debug-exit", (write(tmp_path / "junk.bin", JUNK), "foo"))
    assert run.rc == EXIT_NOTHING, run
    assert "nothing to boot" in run.out, run
    assert re.search(r'^hop: module 0 "[^"]*foo": not a RAM disk: starts with 3f 8a 00 11',
                     run.out, re.M), run


def test_nothing_to_boot_exit_code(tmp_path):
    run = hop_direct("debug-exit", (write(tmp_path / "junk.bin", JUNK), "foo"))
    assert run.rc == EXIT_NOTHING, run
    assert "hop: nothing to boot: no kernel= on hop's command line and no entry in a " \
        "configuration file\n" in run.out, run


# --- a RAM disk past the end of RAM -------------------------------------------------

def test_ramdisk_past_the_end_of_ram(tmp_path, demo):
    """QEMU's -initrd puts a module where RAM is not, when RAM is short:
    hop says so instead of reading zeros as a broken archive."""
    big = write(tmp_path / "big.bin", bytes(20 * MIB))
    run = hop_run(demo, "--ramdisk-file", big + "=/boot/big.bin", mem="16M")
    assert run.rc == EXIT_ERROR, run
    m = re.search(r'^hop: ramdisk: module 0 "[^"]*ramdisk\.cpio": \[0x([0-9a-f]+), 0x([0-9a-f]+)\) '
                  r'runs past the end of RAM: 0x([0-9a-f]+) is in no region of the memory map, '
                  r'beyond usable RAM \[0x([0-9a-f]+), 0x([0-9a-f]+)\)$', run.out, re.M)
    assert m, run
    start, end, no_ram, ram_start, ram_end = (int(x, 16) for x in m.groups())
    assert ram_start <= start < ram_end <= no_ram < end, run
    assert (ram_start, ram_end, "usable") in run.memory_map(), run
    assert not [r for r in run.memory_map() if r[0] <= no_ram < r[1]], run
    assert "bad magic" not in run.out, run


# --- long paths -----------------------------------------------------------------------

def test_long_paths_keep_the_reason(tmp_path, demo):
    """Error messages are bounded: a long path loses its middle, never the
    reason after it; the next entry boots."""
    with open(demo, "rb") as f:
        broken = write(tmp_path / "broken.elf", f.read()[:300])
    deep = "/" + "d" * 100 + "/" + "e" * 100 + "/broken.elf"
    cfg = write(tmp_path / "hop.cfg",
                "entry=long\nkernel=/%s\n" % ("a" * LONG)
                + "entry=deep\nkernel=%s\n" % deep
                + "entry=good\nkernel=/boot/demo.elf\ncmdline=after long paths\n")
    run = hop_run(demo, "--config", cfg, "--ramdisk-file", broken + "=" + deep)
    booted_demo(run, "after long paths")
    long_fail = re.search(r'^hop: entry 0 "long" failed: /(a+)\.\.\.(a+): cpio: path longer '
                          r'than 255 bytes$', run.out, re.M)
    assert long_fail, run
    deep_fail = re.search(r'^hop: entry 1 "deep" failed: (/d+)\.\.\.(e*/broken\.elf): '
                          r'program header 0: p_offset\+p_filesz 0x[0-9a-f]+ beyond file '
                          r'size 0x12c$', run.out, re.M)
    assert deep_fail, run
    assert 'hop: booting entry 2 "good"' in run.out, run


# --- control bytes from the configuration -------------------------------------------

def test_control_bytes_are_shown_escaped(tmp_path, demo):
    """A title or command line with ESC, BEL or CR cannot redraw the
    screen: hop shows them as \\xHH, and the kernel still gets its command
    line byte for byte.  The plain menu (serial=plain): every line of it is
    hop's; test_menu.py checks the ANSI one."""
    cmdline = "a\x1b[31mb\x07c"
    cfg = write(tmp_path / "hop.cfg",
                "timeout=1\nserial=plain\nentry=evil\x1b[2J\x07\r title\nkernel=/boot/demo.elf\n"
                "cmdline=%s\n" % cmdline)
    run = hop_run(demo, "--config", cfg)
    booted_demo(run, cmdline)
    shown = "evil\\x1b[2J\\x07\\x0d title"
    assert 'hop: -> 0: %s (/boot/demo.elf)' % shown in run.out, run      # the menu
    assert 'hop: booting entry 0 "%s": /boot/demo.elf' % shown in run.out, run
    hop_lines = [l for l in run.out.splitlines() if l.startswith("hop")]
    assert not [l for l in hop_lines if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", l)], run


# --- default= ---------------------------------------------------------------------------

@pytest.mark.parametrize("index", ["2", "18446744073709551616"])
def test_default_index_out_of_range(tmp_path, demo, index):
    cfg = write(tmp_path / "hop.cfg",
                "default=%s\nentry=a\nkernel=/boot/demo.elf\nentry=b\nkernel=/boot/demo.elf\n"
                % index)
    run = hop_run(demo, "--config", cfg)
    assert run.rc == EXIT_ERROR, run
    assert "hop: /hop.cfg:1: default=%s is out of range: the entries are numbered 0 to 1 " \
        "(2 in all)\n" % index in run.out, run
    assert "demo:" not in run.out, run


# --- the documented limits: at the limit boots, one past is the documented error ------------
# A command-line value is tried through GRUB (multiboot2): from a multiboot 1
# loader such as QEMU's -kernel, hop reads at most 4095 bytes of its whole
# command line.

def entries(n, default=None):
    text = "default=%d\n" % default if default is not None else ""
    for i in range(n):
        text += "entry=e%d\nkernel=/boot/demo.elf\ncmdline=entry %d\n" % (i, i)
    return text


def modules(n):
    return "entry=m\nkernel=/boot/demo.elf\ncmdline=modules\n" + "module=/boot/demo.elf\n" * n


def arena_cmdline(extra):
    """A command line that fills the configuration's arena exactly
    (extra=0) or by one byte more, after "/hop.cfg", the title "a" and the
    kernel path, each with its NUL."""
    used = len("/hop.cfg") + 1 + len("a") + 1 + len("/boot/demo.elf") + 1 + 1
    return "x" * (ARENA_SIZE - used + extra)


def arena(extra):
    return "entry=a\nkernel=/boot/demo.elf\ncmdline=%s\n" % arena_cmdline(extra)


@pytest.mark.parametrize("text,cmdline", [
    (entries(ENTRIES_MAX, default=ENTRIES_MAX - 1), "entry 15"),
    (modules(MODULES_MAX), "modules"),
    (arena(0), arena_cmdline(0)),
    ("timeout=%d\n" % TIMEOUT_MAX + entries(1), "entry 0"),
], ids=["16-entries", "16-modules", "arena-full", "timeout-3600"])
def test_at_the_limits(tmp_path, demo, text, cmdline):
    # the longest timeout is cut short by Enter once the menu's countdown row is up
    enter = ("--serial-input-after", "boots in %d s=\\r" % TIMEOUT_MAX)
    run = hop_run(demo, "--config", write(tmp_path / "hop.cfg", text),
                  extra=enter if text.startswith("timeout=") else ())
    if len(cmdline) < DEMO_LINE_MAX:
        booted_demo(run, cmdline)
    else:  # the demo kernel prints the start of a long command line only
        assert run.rc == EXIT_PASS, run
        assert 'demo: command line "%s' % cmdline[:DEMO_LINE_MAX] in run.out, run


@pytest.mark.parametrize("text,message", [
    (entries(ENTRIES_MAX + 1), "/hop.cfg:49: more than 16 entries"),
    (modules(MODULES_MAX + 1), "/hop.cfg:20: more than 16 modules in one entry"),
    (arena(1), "/hop.cfg:3: configuration strings exceed 16384 bytes"),
    ("timeout=%d\n" % (TIMEOUT_MAX + 1) + entries(1),
     "/hop.cfg:1: timeout '3601' is not a number of seconds from 0 to 3600"),
], ids=["17-entries", "17-modules", "arena-overflow", "timeout-3601"])
def test_one_past_the_limits(tmp_path, demo, text, message):
    run = hop_run(demo, "--config", write(tmp_path / "hop.cfg", text))
    assert run.rc == EXIT_ERROR, run
    assert "hop: " + message + "\n" in run.out, run
    assert "demo:" not in run.out, run


@pytest.mark.parametrize("via", ["grub-bios", "qemu-kernel"])
@pytest.mark.parametrize("extra", [0, 1])
def test_command_line_value_limit(demo, extra, via):
    """At the documented limit and one past, on multiboot2 (GRUB) and
    multiboot1 (QEMU, whose command line is a bare string): hop reads its
    whole command line and the configuration names the limit."""
    value = "=" + "v" * (VALUE_MAX - 1 + extra)
    run = hop_run(demo, via=via, hop_cmdline='debug-exit cmdline="%s"' % value)
    if extra:
        assert run.rc == EXIT_ERROR, run
        # QEMU's multiboot1 command line starts with the image's path
        word = 3 if via == "qemu-kernel" else 2
        assert ("hop: hop command line: word %d: value longer than 4096 bytes\n" % word
                in run.out), run
        assert "demo:" not in run.out, run
    else:  # the demo kernel prints the start of a long command line only
        assert run.rc == EXIT_PASS, run
        assert 'demo: command line "%s' % value[:DEMO_LINE_MAX] in run.out, run
