"""ELF executables as x86 has them (little-endian ELF32 and ELF64): the
file header, the PT_LOAD segments, and writing an executable from
segments.  For synthetic kernels made from a base kernel: the bench's
(tools/bench/run_bench.py) and the tests' (tests/qemu/kernels/mksegkernel.py).
"""

import struct
from collections import namedtuple

MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB = 1
EV_CURRENT = 1
ET_EXEC = 2
EM_386, EM_X86_64 = 3, 62
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4

# the file header after e_ident: e_type .. e_shstrndx
_EHDR = {ELFCLASS32: struct.Struct("<HHIIIIIHHHHHH"),
         ELFCLASS64: struct.Struct("<HHIQQQIHHHHHH")}
_PHDR32 = struct.Struct("<8I")          # type offset vaddr paddr filesz memsz flags align
_PHDR64 = struct.Struct("<IIQQQQQQ")    # type flags offset vaddr paddr filesz memsz align
_SIZES = {ELFCLASS32: (52, 32, 40),     # e_ehsize, e_phentsize, e_shentsize
          ELFCLASS64: (64, 56, 64)}

Header = namedtuple("Header", "elf_class type machine version entry phoff shoff flags "
                              "ehsize phentsize phnum shentsize shnum shstrndx")
Segment = namedtuple("Segment", "offset vaddr paddr filesz memsz flags align")


def header(data):
    """The file header of `data` (the file's first bytes at least); raises
    ValueError unless it is a little-endian ELF32 or ELF64 file."""
    if data[:4] != MAGIC or len(data) < 6 or data[4] not in _EHDR or \
            data[5] != ELFDATA2LSB:
        raise ValueError("not a little-endian ELF32 or ELF64 file")
    return Header(data[4], *_EHDR[data[4]].unpack_from(data, 16))


def program_headers(data):
    """[(p_type, Segment)] for each program header of ELF file `data`."""
    h = header(data)
    out = []
    for i in range(h.phnum):
        at = h.phoff + i * h.phentsize
        if h.elf_class == ELFCLASS32:
            ptype, *fields = _PHDR32.unpack_from(data, at)
            out.append((ptype, Segment(*fields)))
        else:
            ptype, flags, offset, vaddr, paddr, filesz, memsz, align = \
                _PHDR64.unpack_from(data, at)
            out.append((ptype, Segment(offset, vaddr, paddr, filesz, memsz, flags, align)))
    return out


def loads(data):
    """The PT_LOAD segments of ELF file `data`, in file order."""
    return [s for ptype, s in program_headers(data) if ptype == PT_LOAD]


def finish_executable(out, machine, entry, segments, elf64=False):
    """Makes bytearray `out`, which holds the segments' file bytes at their
    offsets, an executable: one PT_LOAD program header per Segment appended
    (8-byte aligned) and the ELF header written over out's first bytes.
    ValueError when that header would cover a segment's file bytes."""
    elf_class = ELFCLASS64 if elf64 else ELFCLASS32
    out += bytes(-len(out) % 8)
    phoff = len(out)
    for s in segments:
        if elf64:
            out += _PHDR64.pack(PT_LOAD, s.flags, s.offset, s.vaddr, s.paddr, s.filesz,
                                s.memsz, s.align)
        else:
            out += _PHDR32.pack(PT_LOAD, *s)
    ehsize, phentsize, shentsize = _SIZES[elf_class]
    ehdr = MAGIC + bytes([elf_class, ELFDATA2LSB, EV_CURRENT]) + bytes(9) + \
        _EHDR[elf_class].pack(ET_EXEC, machine, EV_CURRENT, entry, phoff, 0, 0, ehsize,
                              phentsize, len(segments), shentsize, 0, 0)
    if any(s.filesz and s.offset < len(ehdr) for s in segments):
        raise ValueError("the ELF header would overwrite a segment's bytes")
    out[:len(ehdr)] = ehdr
    return out
