"""Never jump into nothing, never drop what the user gave, end to end: a
kernel whose entry point is not in bytes loaded from its file, a protocol
forced on a kernel without its header, and a Linux entry naming more files
than the protocol passes are each refused before anything is copied, with a
message naming the address or the file, and hop boots the next entry (the
demo kernel, which proves from inside the guest that it ran once, and that
nothing ran before it: a bad kernel entered would have crashed the guest or
reported instead).

docs/config.md has the rules ("The entry point", "Forcing a protocol",
"Files and protocols")."""
import struct

import pytest

from hoplib.image import MB2_MAGIC
from hoptest import EXIT_PASS, KERNELS, hop_run, kernel

BASE = 0x300000          # where the bad kernels ask to be loaded
MB2_TAG_ADDRESS, MB2_TAG_ENTRY = 2, 3
PT_LOAD, PT_NOTE = 1, 4


def write(path, data):
    path.write_bytes(data)
    return str(path)


def elf32_bss_entry():
    """ELF32, one PT_LOAD of 7 file bytes and 0x2000 in memory at BASE, the
    entry 0x1000 into the zero-filled part."""
    ehdr = struct.pack("<4sBBBB8xHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, 2, 3, 1,
                       BASE + 0x1000, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<IIIIIIII", PT_LOAD, 0x100, BASE, BASE, 7, 0x2000, 7, 0x1000)
    body = ehdr + phdr
    return body + b"\0" * (0x100 - len(body)) + b"\xeb\xfe" * 4


def mb2_entry_outside():
    """A flat multiboot2 image loaded by its address tag at BASE (the whole
    4 KiB file), entered by its entry-address tag at 0x500000."""
    tags = struct.pack("<HHIIIII", MB2_TAG_ADDRESS, 0, 24, BASE, BASE, 0, 0)
    tags += struct.pack("<HHIII", MB2_TAG_ENTRY, 0, 12, 0x500000, 0)
    tags += struct.pack("<HHI", 0, 0, 8)
    length = 16 + len(tags)
    head = struct.pack("<IIII", MB2_MAGIC, 0, length, (-(MB2_MAGIC + length)) & 0xFFFFFFFF)
    image = head + tags
    return image + b"\xeb\xfe" * ((0x1000 - len(image)) // 2)


def vmlinux_like():
    """ELF64 with a PT_LOAD at BASE and the "Linux" note a vmlinux carries,
    so that protocol=auto picks the Linux 64-bit protocol."""
    note = struct.pack("<III6s2xI", 6, 4, 6, b"Linux\0", 0x01020304)
    ehdr = struct.pack("<4sBBBB8xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 2, 62, 1,
                       BASE, 64, 0, 0, 64, 56, 2, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", PT_LOAD, 7, 0x1000, BASE, BASE, 0x100, 0x100, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", PT_NOTE, 4, 0x800, 0, 0, len(note), 0, 4)
    body = ehdr + load + pnote
    body += b"\0" * (0x800 - len(body)) + note
    return body + b"\0" * (0x1000 - len(body)) + b"\xeb\xfe" * 0x80


CASES = {
    "entry-in-bss": (
        elf32_bss_entry, "kernel=/boot/bad\n",
        "/boot/bad: entry point 0x301000 (elf) is not in the bytes loaded from the file "
        "(0x300000-0x300007)"),
    "mb2-entry-outside": (
        mb2_entry_outside, "kernel=/boot/bad\n",
        "/boot/bad: entry point 0x500000 (multiboot2) is not in the bytes loaded from the file "
        "(0x300000-0x301000)"),
    "forced-multiboot2": (
        None, "kernel=/boot/elf64.elf\nprotocol=multiboot2\n",
        "/boot/elf64.elf: protocol multiboot2 asked for, but the kernel has no multiboot2 "
        "header in its first 32768 bytes"),
    "forced-multiboot1": (
        None, "kernel=/boot/elf64.elf\nprotocol=multiboot1\n",
        "/boot/elf64.elf: protocol multiboot1 asked for, but the kernel has no multiboot1 "
        "header in its first 8192 bytes"),
    "linux-two-modules": (
        vmlinux_like, "kernel=/boot/bad\nmodule=/boot/demo.elf one\nmodule=/boot/elf64.elf two\n",
        '/boot/bad: protocol linux passes one initrd, but the entry names 2 module= file(s): '
        '"/boot/elf64.elf" would be dropped'),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_entry_refused_next_booted(tmp_path, case):
    make, keys, reason = CASES[case]
    demo = kernel("demo")
    files = ["--ramdisk-file", f"{KERNELS}/elf64.elf=/boot/elf64.elf"]
    if make:
        files += ["--ramdisk-file", write(tmp_path / "bad", make()) + "=/boot/bad"]
    cfg = tmp_path / "hop.cfg"
    cfg.write_text("entry=bad\n" + keys + "entry=good\nkernel=/boot/demo.elf\ncmdline=next\n")
    run = hop_run(demo, "--config", str(cfg), *files)
    assert run.rc == EXIT_PASS, run
    assert f'hop: entry 0 "bad" failed: {reason}' in run.out, run
    assert "jumping to" not in run.out.split('hop: entry 0 "bad" failed')[0], run
    assert run.demo_cmdlines() == ["next"], run
    assert run.out.count("demo: hello from the demo kernel") == 1, run
