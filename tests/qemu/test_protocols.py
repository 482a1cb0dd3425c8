"""Hand-off protocols with our own test kernel: mbcheck checks, from inside
the guest, the magic, the loader name, the memory map against the RAM QEMU
has, each module's size, CRC-32, alignment and command line, the EFI tags on
UEFI, and that nothing overlaps the kernel.  Every route, both multiboot
protocols (a config override forces multiboot1 on a kernel that has both
headers)."""
import os
import struct
import zlib

import pytest

from hoplib.image import MB2_MAGIC
from hoptest import EXIT_PASS, KERNELS, hop_run, kernel

ROUTES = ["qemu-kernel", "grub-bios", "grub-efi"]
MB2_TAG_MEMORY_MAP = 6
MB2_REQUEST_OPTIONAL = 1      # the information request tag's flags


def mbcheck_asking_for(tmp_path, name, tag, optional):
    """mbcheck as tmp_path/NAME, its multiboot2 information request (one
    optional request for the memory map, tag 6) made a request for `tag`,
    optional or required."""
    src = bytearray(open(kernel("mbcheck"), "rb").read())
    off = src.find(struct.pack("<I", MB2_MAGIC))
    req = src.find(struct.pack("<HHII", 1, MB2_REQUEST_OPTIONAL, 12, MB2_TAG_MEMORY_MAP), off)
    assert off >= 0 and 0 < req - off < 64
    struct.pack_into("<HHII", src, req, 1, MB2_REQUEST_OPTIONAL if optional else 0, 12, tag)
    k = tmp_path / name
    k.write_bytes(bytes(src))
    return k


def make_modules(tmp_path):
    mods = []
    for i, size in enumerate([5000, 12288 + 7]):
        data = bytes((j * 7 + i * 13) & 0xFF for j in range(size))
        path = tmp_path / f"blob{i}.bin"
        path.write_bytes(data)
        mods.append((str(path), f"blob{i} arg{i} x=y", len(data), zlib.crc32(data)))
    return mods


@pytest.mark.parametrize("via", ROUTES)
@pytest.mark.parametrize("proto", ["mb2", "mb1"])
def test_multiboot_info_checked_by_the_kernel(tmp_path, via, proto):
    mods = make_modules(tmp_path)
    expect = [f"proto={proto}", "mem=128", f"mods={len(mods)}", "loader=hop",
              f"efi={1 if via == 'grub-efi' and proto == 'mb2' else 0}"]
    if via != "qemu-kernel" and proto == "mb2":
        expect.append("rsdp=1")  # GRUB gives hop the ACPI tags to pass on
    args = []
    for i, (path, cmd, size, crc) in enumerate(mods):
        expect += [f"mod{i}={size:x}:{crc:08x}", f"modcmd{i}=blob{i}"]
        args += ["--module", f"{path}={cmd}"]
    hop_cmdline = "debug-exit" + (" protocol=multiboot1" if proto == "mb1" else "")
    run = hop_run(kernel("mbcheck"), "--cmdline", " ".join(expect), *args, via=via,
                  hop_cmdline=hop_cmdline, timeout=120 if via == "grub-efi" else 60)
    assert run.rc == EXIT_PASS, run
    assert "0 failed: PASS" in run.out, run
    # the command line arrives byte for byte, and each module's own too
    assert 'command line "' + " ".join(expect) + '"' in run.out, run
    for i, (path, cmd, size, crc) in enumerate(mods):
        assert f'{size} bytes, crc32 {crc:08x}, "{cmd}"' in run.out, run


def test_mbcheck_fails_on_wrong_expectation(tmp_path):
    """The kernel's checks can fail: a wrong CRC is caught."""
    mods = make_modules(tmp_path)
    path, cmd, size, crc = mods[0]
    run = hop_run(kernel("mbcheck"), "--cmdline", f"mods=1 mod0={size:x}:{crc ^ 1:08x}",
                  "--module", f"{path}={cmd}")
    assert run.rc == 1 and "tk: FAIL module 0 crc32" in run.out, run


def test_required_unknown_info_request_refused(tmp_path):
    """A multiboot2 kernel whose information request requires a tag hop cannot
    give (the EFI memory map, on a BIOS boot) is refused with a clear error,
    and hop never jumps."""
    k = mbcheck_asking_for(tmp_path, "mbcheck-req17.elf", 17, optional=False)
    run = hop_run(str(k))
    assert run.rc == 2, run
    assert "17" in run.out and "EFI memory map" in run.out, run


@pytest.mark.parametrize("name,low,high", [("reloc", 0x2000000, 0x6000000),
                                            ("reloc-low", 0x3000000, 0x6000000)])
@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_relocatable_multiboot2(name, low, high, via):
    """The relocatable header tag: hop picks the base by the preference
    (reloc: high, reloc-low: low), slides the entry, and the kernel finds
    itself where the load-base tag says, aligned and inside [min, max]."""
    import re
    path = os.path.join(KERNELS, name + ".bin")
    run = hop_run(path, via=via)
    assert run.rc == EXIT_PASS, run
    m = re.search(r"reloc: base 0x([0-9a-f]{8}) \(tag 0x([0-9a-f]{8})\) PASS", run.out)
    assert m and m.group(1) == m.group(2), run
    base = int(m.group(1), 16)
    assert low <= base < high and base % 0x200000 == 0
    if name == "reloc":
        assert base >= high - 0x400000, "preference high not honoured"
    else:
        assert base == low, "preference low not honoured"


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-efi"])
def test_plain_elf64_long_mode(via):
    """A plain ELF64 (no multiboot header, no notes) is entered in long mode
    with RAX = the multiboot2 magic and RBX = RDI = an info block; the kernel
    checks the mode, the registers, IF and the block itself."""
    path = os.path.join(KERNELS, "elf64.elf")
    run = hop_run(path, via=via, timeout=120 if via == "grub-efi" else 60)
    assert "protocol elf" in run.out, run
    assert "elf64: long mode, paging on, RAX magic, RBX=RDI info, IF=0, info sane: PASS" in run.out, run
    assert run.rc == EXIT_PASS, run


def test_plain_elf32_protected_mode(tmp_path):
    """protocol=elf on an ELF32: 32-bit protected mode with EAX = the
    multiboot2 magic and EBX = a multiboot2 info block, which mbcheck reads
    and checks like any multiboot2 boot."""
    mods = make_modules(tmp_path)
    path, cmd, size, crc = mods[0]
    run = hop_run(kernel("mbcheck"), "--cmdline",
                  f"proto=mb2 mem=128 mods=1 mod0={size:x}:{crc:08x} loader=hop",
                  "--module", f"{path}={cmd}", hop_cmdline="debug-exit protocol=elf")
    assert "protocol elf" in run.out and "0 failed: PASS" in run.out, run
    assert run.rc == EXIT_PASS, run


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_elf_sections_when_asked(tmp_path, via):
    """A multiboot2 kernel that asks for the ELF-sections tag (9) gets its
    section headers, with the symbol and string tables (not part of any
    segment) loaded and their sh_addr pointing at them: mbcheck finds its own
    tk_main at its real address in that symbol table.  GRUB does the same
    (grub-bios --direct shows the check itself holds)."""
    k = mbcheck_asking_for(tmp_path, "mbcheck-sections.elf", 9, optional=True)
    run = hop_run(str(k), "--cmdline", "proto=mb2 elfsyms=1", via=via)
    assert "mbcheck: ELF sections:" in run.out and "symbol tk_main = 0x" in run.out, run
    assert run.rc == EXIT_PASS, run
    if via == "grub-bios":
        direct = hop_run(str(k), "--cmdline", "proto=mb2 elfsyms=1", via=via, extra=["--direct"])
        assert direct.rc == EXIT_PASS, direct
