"""Tests of tools/hop-run and tools/hoplib: the cpio writer, the generated
configs, --dry-run for each route, and the exit status mapping with tiny
multiboot 1 guests booted directly by QEMU (-kernel, a few seconds).

Run: /usr/bin/python3 -m pytest -q tests/tools
"""

import gzip
import os
import shutil
import stat
import subprocess

import pytest

from hoplib import cpio, image, iso, qemu, ramdisk, serialin
from hoplib.image import MB1_AOUT_KLUDGE, MB1_MAGIC
from hoptest import tool

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("nasm") is None,
    reason="needs qemu-system-x86_64 and nasm (make deps)")


def hop_run(*args, timeout=60):
    return tool("hop-run", *args, timeout=timeout)


# --- cpio ---------------------------------------------------------------------

def sample_archive():
    w = cpio.CpioWriter()
    w.add_file("/boot/kernel.elf", b"\x7fELF" + bytes(range(256)) * 3)
    w.add_file("boot/mod", b"abc")             # 3 bytes: data padding
    w.add_file("hop.cfg", b"timeout=0\n")
    w.add_file("a/b/c/deep.txt", b"")          # parents a, a/b, a/b/c
    w.add_symlink("boot/link", "kernel.elf")
    return w.getvalue()


def test_cpio_layout_and_fields():
    data = sample_archive()
    entries = cpio.read(data)
    names = [e.name for e in entries]
    assert names == ["boot", "boot/kernel.elf", "boot/mod", "hop.cfg", "a",
                     "a/b", "a/b/c", "a/b/c/deep.txt", "boot/link"]
    assert len(data) % 4 == 0
    assert data.endswith(b"TRAILER!!!\0" + b"\0" * (-(110 + 11) % 4))
    for e in entries:
        assert e.offset % 4 == 0
        assert data[e.offset:e.offset + 6] == b"070701"
        assert e.fields["namesize"] == len(e.name) + 1
        assert e.fields["filesize"] == len(e.data)
        assert e.fields["check"] == 0
        if e.is_dir():
            assert e.fields["mode"] == stat.S_IFDIR | 0o755
            assert e.fields["nlink"] == 2
        else:
            assert e.fields["nlink"] == 1
    inos = [e.fields["ino"] for e in entries]
    assert len(set(inos)) == len(inos)
    by_name = {e.name: e for e in entries}
    assert by_name["boot/mod"].data == b"abc"
    assert by_name["boot/kernel.elf"].is_file()
    assert stat.S_ISLNK(by_name["boot/link"].mode)
    assert by_name["boot/link"].data == b"kernel.elf"


def test_cpio_is_deterministic():
    assert sample_archive() == sample_archive()


def test_cpio_refuses_bad_names_and_duplicates():
    w = cpio.CpioWriter()
    w.add_file("x", b"1")
    with pytest.raises(ValueError):
        w.add_file("/x", b"2")
    with pytest.raises(ValueError):
        w.add_file("../y", b"")
    with pytest.raises(ValueError):
        w.add_file("/", b"")
    with pytest.raises(ValueError):
        w.add_dir("x")


def test_cpio_reader_rejects_damage():
    data = sample_archive()
    with pytest.raises(ValueError):
        cpio.read(b"070707" + data[6:])
    with pytest.raises(ValueError):
        cpio.read(data[:200])
    with pytest.raises(ValueError):
        cpio.read(data[:-128])         # no trailer


@pytest.mark.skipif(shutil.which("cpio") is None, reason="no cpio(1)")
def test_cpio_read_by_system_cpio(tmp_path):
    archive = tmp_path / "a.cpio"
    archive.write_bytes(sample_archive())
    listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(archive, "rb"),
                             stdout=subprocess.PIPE, check=True).stdout.decode()
    assert listing.split() == [e.name for e in cpio.read(sample_archive())]
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], stdin=open(archive, "rb"),
                   cwd=out, check=True)
    assert (out / "boot" / "mod").read_bytes() == b"abc"
    assert (out / "a" / "b" / "c" / "deep.txt").read_bytes() == b""
    assert os.readlink(out / "boot" / "link") == "kernel.elf"


# --- hop.cfg and the RAM disk ----------------------------------------------------

def test_hop_cfg_syntax():
    text = ramdisk.hop_cfg("/boot/k.elf", "console=ttyS0 quiet",
                           [("/boot/a.bin", "a b"), ("/boot/b.bin", None)])
    assert text == ("timeout=0\nentry=hop-run\nkernel=/boot/k.elf\n"
                    "cmdline=console=ttyS0 quiet\n"
                    "module=/boot/a.bin a b\nmodule=/boot/b.bin\n")
    assert "cmdline=" not in ramdisk.hop_cfg("/boot/k", None, [])
    assert "cmdline=" not in ramdisk.hop_cfg("/boot/k", "", [])
    assert ramdisk.hop_cfg("/boot/k", None, [("/boot/m", "")]).endswith(
        "module=/boot/m\n")


def test_ramdisk_build(tmp_path):
    k = tmp_path / "kern.elf"
    k.write_bytes(b"K" * 5)
    m = tmp_path / "mod.bin"
    m.write_bytes(b"M")
    extra = tmp_path / "extra.txt"
    extra.write_bytes(b"E")
    data, config = ramdisk.build(str(k), "x=1", [ramdisk.Module(str(m), "c")],
                                 extra_files=[(str(extra), "/etc/e.txt")],
                                 compress=True)
    files = {e.name: e.data for e in cpio.read(gzip.decompress(data))}
    assert files["boot/kern.elf"] == b"K" * 5
    assert files["boot/mod.bin"] == b"M"
    assert files["etc/e.txt"] == b"E"
    assert files["hop.cfg"].decode() == config
    assert "module=/boot/mod.bin c\n" in config


def test_module_spec_parsing():
    assert ramdisk.Module.parse("a.bin").cmdline is None
    mod = ramdisk.Module.parse("a.bin=x=1 y")
    assert (mod.path, mod.cmdline) == ("a.bin", "x=1 y")
    assert ramdisk.Module.parse("a.bin=").cmdline == ""


def test_grub_quoting():
    assert iso.grub_quote("console=ttyS0") == "console=ttyS0"
    assert iso.grub_quote("a$b") == "'a$b'"
    assert iso.grub_quote("it's") == "'it'\\''s'"
    assert iso.grub_args("  a  b$ ") == "a 'b$'"
    # hop's command-line words: double quotes group and are removed
    assert iso.split_cmdline('k="a b" x"y z" \'s\' "q\\"\\\\"') == \
        ["k=a b", "xy z", "'s'", 'q"\\']
    assert iso.grub_args('cmdline="a b" debug-exit') == \
        "'cmdline=a b' debug-exit"
    with pytest.raises(Exception):
        iso.split_cmdline('a="b')


def test_grub_serial_filter():
    f = iso.GrubSerialFilter()
    assert f.feed(b"\x1b[2JBdsDxe: loading\r\n@@hop-run: grub") == b""
    assert f.feed(b" boots the image@@hello\r\n") == b"hello\r\n"
    assert f.feed(b"more") == b"more" and not f.failed
    f = iso.GrubSerialFilter()
    f.feed(b"error: file not found.\r\nhop-run: GRUB failed to load the image")
    assert f.failed and b"error: file not found." in f.pending()


# --- --dry-run ----------------------------------------------------------------------

@pytest.fixture
def files(tmp_path):
    """A stand-in hop image and kernel: --dry-run only reads them."""
    hop = tmp_path / "hop.elf"
    hop.write_bytes(mb1_flat_image(b"\xf4"))       # hlt
    kernel = tmp_path / "kernel.elf"
    kernel.write_bytes(b"\0" * 64)
    mod = tmp_path / "initrd.img"
    mod.write_bytes(b"module")
    return hop, kernel, mod


def test_dry_run_grub_bios(files):
    hop, kernel, mod = files
    r = hop_run("--dry-run", "--hop", hop, "--hop-cmdline", "log=debug",
                kernel, "--cmdline", "console=ttyS0 $x",
                "--module", "%s=mod args" % mod)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "qemu-system-x86_64 -machine pc -accel tcg -m 128M -smp 1" in out
    assert "-device isa-debug-exit,iobase=0xf4,iosize=4" in out
    assert "media=cdrom" in out and "pflash" not in out
    assert "multiboot2 /boot/hop.elf log=debug" in out
    assert "module2 --nounzip /boot/ramdisk.cpio ramdisk" in out
    assert "set timeout=0" in out and "terminal_output serial" in out
    assert "kernel=/boot/kernel.elf\ncmdline=console=ttyS0 $x\n" in out
    assert "module=/boot/initrd.img mod args\n" in out


def test_dry_run_grub_efi(files):
    hop, kernel, _ = files
    r = hop_run("--dry-run", "--via", "grub-efi", "--machine", "q35",
                "--mem", "256M", "--smp", "2", "--hop", hop, kernel,
                "--qemu-arg", "-no-hpet")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "-machine q35" in out and "-m 256M -smp 2" in out
    assert "if=pflash,format=raw,unit=0,readonly=on,file=%s" % qemu.OVMF_CODE in out
    assert "OVMF_VARS.fd" in out and out.split("\n")[1].endswith("-no-hpet")
    assert "multiboot2 /boot/hop.elf" in out
    assert "cmdline=" not in out


def test_dry_run_qemu_kernel(files):
    hop, kernel, mod = files
    r = hop_run("--dry-run", "--via", "qemu-kernel", "--hop", hop,
                "--hop-cmdline", "-v", kernel, "--module", mod,
                "--gzip-ramdisk")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "-kernel '<tmpdir>/hop.elf' -append -v -initrd " \
           "'<tmpdir>/ramdisk.cpio.gz'" in out
    assert "grub.cfg" not in out
    assert "module=/boot/initrd.img\n" in out


def test_dry_run_keep_writes_files(files, tmp_path):
    hop, kernel, _ = files
    keep = tmp_path / "keep"
    r = hop_run("--dry-run", "--keep", keep, "--via", "qemu-kernel",
                "--hop", hop, kernel)
    assert r.returncode == 0, r.stderr
    names = [e.name for e in cpio.read((keep / "ramdisk.cpio").read_bytes())]
    assert names == ["boot", "boot/kernel.elf", "hop.cfg"]


def test_dry_run_loader_modules_qemu_kernel(files, tmp_path):
    hop, kernel, mod = files
    other = tmp_path / "data.bin"
    other.write_bytes(b"data")
    r = hop_run("--dry-run", "--via", "qemu-kernel", "--hop", hop, kernel,
                "--loader-module", "%s=/boot/k.elf a b" % mod,
                "--loader-module", other, "--loader-module", "%s=" % other)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    # after the RAM disk; the copy is named after the first word, so hop
    # finds it by name although QEMU puts the path first
    assert "-initrd '<tmpdir>/ramdisk.cpio,<tmpdir>/loader/0/k.elf /boot/k.elf " \
           "a b,<tmpdir>/loader/1/data.bin,<tmpdir>/loader/2/data.bin'" in out
    # not in the RAM disk
    assert "initrd.img" not in out.split("# --- ramdisk.cpio", 1)[1]
    assert "data.bin" not in out.split("# --- ramdisk.cpio", 1)[1]


def test_dry_run_loader_modules_grub(files, tmp_path):
    hop, kernel, mod = files
    other = tmp_path / "data.bin"
    other.write_bytes(b"data")
    r = hop_run("--dry-run", "--hop", hop, kernel,
                "--loader-module", "%s=k $x" % mod, "--loader-module", other)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    rd = out.index("module2 --nounzip /boot/ramdisk.cpio ramdisk")
    first = out.index("module2 --nounzip /boot/initrd.img k '$x'")
    second = out.index("module2 --nounzip /boot/data.bin data.bin")
    assert rd < first < second
    assert "data.bin" not in out.split("# --- ramdisk.cpio", 1)[1]


def test_loader_module_refusals(files, tmp_path):
    hop, kernel, mod = files
    clash = tmp_path / "sub"
    clash.mkdir()
    (clash / "initrd.img").write_bytes(b"other")
    r = hop_run("--dry-run", "--hop", hop, kernel, "--loader-module", mod,
                "--loader-module", clash / "initrd.img")
    assert r.returncode == 127 and b"rename one" in r.stderr
    r = hop_run("--dry-run", "--hop", hop, kernel, "--loader-module",
                tmp_path / "nope")
    assert r.returncode == 127 and b"loader module" in r.stderr
    r = hop_run("--dry-run", "--direct", kernel, "--loader-module", mod)
    assert r.returncode == 127 and b"--loader-module" in r.stderr


def test_dry_run_serial_input(files):
    hop, kernel, _ = files
    r = hop_run("--dry-run", "--via", "qemu-kernel", "--hop", hop, kernel,
                "--serial-input-after", r"hop: boot menu=\e[B\r",
                "--serial-input-after", r"a\x3db=2\x41\n")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "its stdin is a pipe for the serial input" in out
    assert "# --- serial input, in order ---\n" \
           "after 'hop: boot menu' send '\\x1b[B\\r'\n" \
           "after 'a=b' send '2A\\n'\n" in out
    for bad in ("no-equals", "=text", "marker=", r"m=\q", r"m=\x4"):
        r = hop_run("--dry-run", "--hop", hop, kernel,
                    "--serial-input-after", bad)
        assert r.returncode == 127, bad
        assert b"--serial-input-after" in r.stderr, bad


def test_serial_input_escapes_and_order():
    assert serialin.unescape(r"a\r\n\t\e[B\\\x00\xfFé") == \
        b"a\r\n\t\x1b[B\\\x00\xff\xc3\xa9"
    item = serialin.SerialInput.parse(r"menu\x3d=x=y")
    assert (item.marker, item.text) == (b"menu=", b"x=y")
    feeder = serialin.Feeder([serialin.SerialInput.parse("ab=1"),
                              serialin.SerialInput.parse("ab=2"),
                              serialin.SerialInput.parse("cd=3")])
    assert feeder.feed(b"xx a") == b""
    assert feeder.feed(b"xx ab") == b"1"          # a marker across chunks
    assert feeder.feed(b"xx ab") == b""           # the same once: not twice
    assert feeder.feed(b"xx ab ab cd") == b"23"
    assert feeder.unsent() == []
    feeder = serialin.Feeder([serialin.SerialInput.parse("cd=1"),
                              serialin.SerialInput.parse("ab=2")])
    assert feeder.feed(b"ab cd") == b"1"          # ab came before cd: waits
    assert [i.text for i in feeder.unsent()] == [b"2"]


def test_missing_files_are_explained(files, tmp_path):
    hop, kernel, _ = files
    r = hop_run("--dry-run", "--hop", hop, tmp_path / "nope.elf")
    assert r.returncode == 127 and b"kernel" in r.stderr
    r = hop_run("--dry-run", "--hop", tmp_path / "nohop.elf", kernel)
    assert r.returncode == 127 and b"hop image" in r.stderr
    r = hop_run("--dry-run", "--via", "bogus", kernel)
    assert r.returncode == 127


def test_qemu_kernel_refuses_commas(files, tmp_path):
    hop, kernel, _ = files
    mod = tmp_path / "a,b"
    mod.write_bytes(b"x")
    r = hop_run("--dry-run", "--via", "qemu-kernel", "--direct", hop,
                "--module", "%s=c" % mod)
    assert r.returncode == 127 and b"comma" in r.stderr


def test_help_documents_exit_codes():
    r = hop_run("--help")
    assert r.returncode == 0
    for code in (b"124", b"125", b"126", b"127"):
        assert code in r.stdout
    for option in (b"--loader-module FILE[=CMDLINE]",
                   b"--serial-input-after MARKER=TEXT"):
        assert option in r.stdout


# --- exit status with tiny guests (QEMU -kernel, multiboot 1) --------------------

def mb1_source(body):
    """nasm source: a flat multiboot 1 image (a.out kludge: QEMU needs no
    ELF) loaded at 1 MiB that runs `body` in 32-bit protected mode."""
    return """\
bits 32
org 0x100000
header:
  dd 0x%(magic)08x, 0x%(flags)08x, -(0x%(magic)08x + 0x%(flags)08x)
  dd header, 0x100000, 0, 0, start
start:
%(body)s
.hang:
  hlt
  jmp .hang
""" % {"magic": MB1_MAGIC, "flags": MB1_AOUT_KLUDGE, "body": body}


def mb1_flat_image(code):
    """The same without nasm, for the --dry-run tests: raw code bytes."""
    import struct
    entry = 0x100000 + 32
    head = struct.pack("<8I", MB1_MAGIC, MB1_AOUT_KLUDGE,
                       (-(MB1_MAGIC + MB1_AOUT_KLUDGE)) & 0xFFFFFFFF,
                       0x100000, 0x100000, 0, 0, entry)
    return head + code


PRINT_HELLO = """\
  mov esi, msg
  mov dx, 0x3f8
.next:
  lodsb
  test al, al
  jz .done
  out dx, al
  jmp .next
.done:
"""

GUESTS = {
    "exit42": PRINT_HELLO + "  mov al, 42\n  out 0xf4, al\n",
    "exit3": "  mov al, 3\n  out 0xf4, al\n",
    # An IDT of limit 0: int3 faults, the #GP cannot be delivered, triple fault.
    "triple": "  lidt [bad_idt]\n  int3\n",
    "loop": ".spin:\n  jmp .spin\n",
    # ACPI power-off: PM1a control (SeaBIOS puts PIIX4's PM base at 0x600),
    # SLP_EN with the S5 sleep type 0.
    "poweroff": "  mov dx, 0x604\n  mov ax, 0x2000\n  out dx, ax\n",
}

DATA = """\
msg: db "hello from the guest", 13, 10, 0
bad_idt: dw 0
  dd 0
"""


@pytest.fixture(scope="module")
def guests(tmp_path_factory):
    if shutil.which("nasm") is None:
        pytest.skip("needs nasm")
    d = tmp_path_factory.mktemp("guests")
    out = {}
    for name, body in GUESTS.items():
        src = d / (name + ".asm")
        src.write_text(mb1_source(body) + DATA)
        subprocess.run(["nasm", "-f", "bin", str(src), "-o", str(d / name)],
                       check=True)
        out[name] = d / name
    return out


def test_image_detection(guests):
    assert image.protocols(guests["exit3"]) == ["multiboot"]
    assert image.qemu_kernel_problem(guests["exit3"]) is None


def boot_direct(kernel, *extra, timeout=30):
    return hop_run("--via", "qemu-kernel", "--direct", kernel, *extra,
                   timeout=timeout)


@needs_qemu
def test_exit_value_and_serial(guests, tmp_path):
    log = tmp_path / "serial.log"
    r = boot_direct(guests["exit42"], "--serial-log", log)
    assert r.returncode == 42, r.stderr
    assert r.stdout == b"hello from the guest\r\n"
    assert log.read_bytes() == r.stdout


@needs_qemu
def test_exit_value_q35(guests):
    assert boot_direct(guests["exit3"], "--machine", "q35").returncode == 3


@needs_qemu
def test_triple_fault_is_125(guests):
    r = boot_direct(guests["triple"])
    assert r.returncode == 125, r.stderr
    assert b"hop-run: guest reset (triple fault?)" in r.stderr


@needs_qemu
def test_poweroff_is_0(guests):
    r = boot_direct(guests["poweroff"], "--timeout", "10")
    assert r.returncode == 0, r.stderr


@needs_qemu
def test_timeout_is_124(guests):
    r = boot_direct(guests["loop"], "--timeout", "2")
    assert r.returncode == 124, r.stderr
    assert b"hop-run: timeout after 2 s" in r.stderr


ECHO_GUEST = """\
  mov dx, 0x3f8 + 2
  mov al, 0x07            ; FIFOs on and cleared, as hop does
  out dx, al
  mov esi, prompt
  mov dx, 0x3f8
.next:
  lodsb
  test al, al
  jz .read
  out dx, al
  jmp .next
.read:
  mov dx, 0x3f8 + 5       ; line status: data ready?
  in al, dx
  test al, 1
  jz .read
  mov dx, 0x3f8
  in al, dx
  cmp al, 13
  je .exit
  out dx, al              ; echo
  jmp .read
.exit:
  mov al, 7
  out 0xf4, al
"""


@needs_qemu
def test_serial_input_reaches_the_guest(tmp_path):
    src = tmp_path / "echo.asm"
    src.write_text(mb1_source(ECHO_GUEST) + 'prompt: db "type>", 0\n')
    subprocess.run(["nasm", "-f", "bin", str(src), "-o", str(tmp_path / "echo")],
                   check=True)
    r = boot_direct(tmp_path / "echo", "--timeout", "10",
                    "--serial-input-after", r"type>=hi\x21\e",
                    "--serial-input-after", r"\e=\r")
    assert r.returncode == 7, r.stderr
    assert r.stdout == b"type>hi!\x1b"
    r = boot_direct(tmp_path / "echo", "--timeout", "3",
                    "--serial-input-after", "never=x")
    assert r.returncode == 124
    assert b"serial input not sent" in r.stderr and b"never" in r.stderr


@needs_qemu
def test_qemu_start_failure_is_127(guests):
    r = boot_direct(guests["exit3"], "--qemu-arg", "-no-such-option")
    assert r.returncode == 127
    assert b"no-such-option" in r.stderr
