"""Which boot protocols an image announces, from its headers.

Multiboot 1 (spec section 3.1.1): magic 0x1BADB002, 32-bit aligned, within
the first 8192 bytes, with flags and checksum summing to 0 (mod 2^32).
Multiboot 2 (spec section 3.1.1): magic 0xE85250D6, 64-bit aligned, within
the first 32768 bytes, with architecture, header length and checksum summing
to 0.  Linux x86 boot protocol: "HdrS" at offset 0x202.
"""

import struct

MB1_MAGIC = 0x1BADB002
MB1_SEARCH = 8192
MB1_ALIGN = 4
MB1_AOUT_KLUDGE = 1 << 16

MB2_MAGIC = 0xE85250D6
MB2_SEARCH = 32768
MB2_ALIGN = 8

LINUX_HDRS_OFFSET = 0x202
LINUX_HDRS = b"HdrS"

ELF_MAGIC = b"\x7fELF"
ELFCLASS64 = 2


def multiboot1_header(data):
    """(offset, flags) of a valid multiboot 1 header, or None."""
    for off in range(0, min(len(data), MB1_SEARCH) - 11, MB1_ALIGN):
        magic, flags, checksum = struct.unpack_from("<III", data, off)
        if magic == MB1_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return off, flags
    return None


def multiboot2_header(data):
    """Offset of a valid multiboot 2 header, or None."""
    for off in range(0, min(len(data), MB2_SEARCH) - 15, MB2_ALIGN):
        magic, arch, length, checksum = struct.unpack_from("<IIII", data, off)
        if magic == MB2_MAGIC and \
                (magic + arch + length + checksum) & 0xFFFFFFFF == 0:
            return off
    return None


def is_linux(data):
    return data[LINUX_HDRS_OFFSET:LINUX_HDRS_OFFSET + 4] == LINUX_HDRS


def is_elf64(data):
    return data[:4] == ELF_MAGIC and len(data) > 4 and data[4] == ELFCLASS64


def protocols(path):
    """The protocols `path` supports, in GRUB's order of preference:
    a subset of ["multiboot2", "multiboot", "linux"]."""
    with open(path, "rb") as f:
        data = f.read(max(MB2_SEARCH, MB1_SEARCH))
    found = []
    if multiboot2_header(data) is not None:
        found.append("multiboot2")
    if multiboot1_header(data) is not None:
        found.append("multiboot")
    if is_linux(data):
        found.append("linux")
    return found


def qemu_kernel_problem(path):
    """Why QEMU's -kernel cannot boot `path` (a message), or None.

    QEMU loads a Linux bzImage or a multiboot 1 image; of the latter, ELF64
    files only with the a.out kludge (flags bit 16), whose load addresses
    it uses instead of the ELF headers.
    """
    with open(path, "rb") as f:
        data = f.read(MB2_SEARCH)
    if is_linux(data):
        return None
    mb1 = multiboot1_header(data)
    if mb1 is None:
        if multiboot2_header(data) is not None:
            return ("%s has only a multiboot2 header; QEMU's -kernel loads "
                    "multiboot 1 and Linux images: use --via grub-bios or "
                    "grub-efi" % path)
        return ("%s has neither a multiboot 1 header (in its first 8 KiB) "
                "nor a Linux header: QEMU's -kernel cannot boot it" % path)
    if is_elf64(data) and not mb1[1] & MB1_AOUT_KLUDGE:
        return ("%s is a 64-bit ELF whose multiboot 1 header lacks the a.out "
                "kludge (flags bit 16): QEMU's -kernel refuses such images"
                % path)
    return None
