#!/usr/bin/env python3
"""Make a segcheck kernel with a given segment layout.

    mksegkernel.py BASE OUT SEG...        SEG = ADDR:FILESZ[:MEMSZ[:SEED]]
    mksegkernel.py BASE OUT --layout FILE (JSON: [{"addr":..,"filesz":..,"memsz":..,"seed":..}])

BASE is build/tests/kernels/segcheck.elf (tests/qemu/kernels/segcheck.c).
OUT gets BASE's PT_LOADs, unchanged and at their file offsets (so the
multiboot headers stay where they were), then one PT_LOAD per pattern
segment: filesz bytes of the pattern at byte address ADDR (any alignment),
memsz - filesz bytes of bss.  BASE's `segtab` (found through the ELF symbol
table) is filled in with the layout so that the kernel checks each segment.
OUT is ELF32 when every segment ends at or below 4 GiB, else ELF64
(EM_X86_64): hop takes the addresses from p_paddr and enters the kernel in
32-bit protected mode either way (its multiboot2 header decides).

File layout: BASE's bytes up to the end of its last PT_LOAD's file data;
the pattern data from --data-offset (default: right after, 16-byte aligned),
packed in layout order with no padding (a segment's file offset may be odd);
the program headers last.  `build()` returns each segment's p_offset so a
test can work out where its bytes sit in the RAM disk.

Importable: build(base, out, segments, data_offset=None) -> dict."""

import argparse
import json
import os
import struct
import sys

if __name__ == "__main__":   # run as a script; pytest.ini puts tools/ on the path
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "..", "tools"))
    sys.dont_write_bytecode = True    # no __pycache__ next to hoplib
from hoplib import elf  # noqa: E402

SEGTAB_SYMBOL = "segtab"
SEGTAB_MAGIC = 0x54474553          # "SEGT" (segcheck.c)
SEGTAB_MAGIC_EMPTY = 0x45475453
SEGTAB_MAX = 256
SEGTAB_ENTRY = struct.Struct("<QQQII")
PAT_BLOCK_WORDS = 1024
PAT_BLOCK_KEY = 0x9E3779B9
FOUR_GIB = 1 << 32
SHT_SYMTAB = 2


# --- the pattern (segcheck.c's pat_next, exactly) ---------------------------

def _block(seed):
    """The xorshift32 stream of one 4 KiB block, as a little-endian int."""
    x, words = seed, []
    for _ in range(PAT_BLOCK_WORDS):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        words.append(x)
    return int.from_bytes(struct.pack("<%dI" % PAT_BLOCK_WORDS, *words), "little")


_REPEAT = int.from_bytes(b"\1\0\0\0" * PAT_BLOCK_WORDS, "little")  # one per word


def pattern(seed, size):
    """The first `size` bytes of segment seeded `seed`: block b (4 KiB) is
    the stream XOR (b * 0x9E3779B9) in every word."""
    if not 0 < seed <= 0xFFFFFFFF:
        raise ValueError("seed must be a nonzero 32-bit value: %r" % seed)
    base = _block(seed)
    blocks = (size + 4 * PAT_BLOCK_WORDS - 1) // (4 * PAT_BLOCK_WORDS)
    out = bytearray()
    for b in range(blocks):
        key = (b * PAT_BLOCK_KEY) & 0xFFFFFFFF
        out += (base ^ (key * _REPEAT)).to_bytes(4 * PAT_BLOCK_WORDS, "little")
    del out[size:]
    return bytes(out)


# --- reading the base kernel -------------------------------------------------

class Base:
    """The base kernel (ELF32, EM_386): its PT_LOADs and where segtab is."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != elf.MAGIC or d[4] != elf.ELFCLASS32 or d[5] != elf.ELFDATA2LSB:
            raise ValueError("%s: not a little-endian ELF32 file" % path)
        h = elf.header(d)
        self.type, self.machine, self.entry, self.flags = h.type, h.machine, h.entry, h.flags
        if self.machine != elf.EM_386:
            raise ValueError("%s: e_machine %d, expected EM_386" % (path, self.machine))
        self.loads = elf.loads(d)    # [elf.Segment]
        if not self.loads:
            raise ValueError("%s: no PT_LOAD" % path)
        self.segtab_offset = self._symbol_offset(path, SEGTAB_SYMBOL, h.shoff, h.shentsize,
                                                 h.shnum)

    def _symbol_offset(self, path, name, shoff, shentsize, shnum):
        d = self.data
        sections = [struct.unpack_from("<10I", d, shoff + i * shentsize) for i in range(shnum)]
        for s in sections:
            if s[1] != SHT_SYMTAB:
                continue
            strtab = sections[s[6]]
            for k in range(s[5] // 16):
                st_name, st_value, st_size, _, _, _ = struct.unpack_from(
                    "<IIIBBH", d, s[4] + 16 * k)
                end = d.index(b"\0", strtab[4] + st_name)
                if d[strtab[4] + st_name:end].decode() != name:
                    continue
                for off, vaddr, _, filesz, _, _, _ in self.loads:
                    if vaddr <= st_value and st_value + st_size <= vaddr + filesz:
                        return off + st_value - vaddr
                raise ValueError("%s: %s is not in a PT_LOAD's file bytes" % (path, name))
        raise ValueError("%s: no symbol %s (was it stripped?)" % (path, name))

    def file_end(self):
        return max(off + filesz for off, _, _, filesz, _, _, _ in self.loads if filesz)

    def image(self):
        """[start, end) of the base's memory (all its PT_LOADs)."""
        return (min(p[2] for p in self.loads), max(p[2] + p[4] for p in self.loads))


# --- writing ----------------------------------------------------------------

def _norm(seg, index):
    s = dict(seg)
    s.setdefault("memsz", s["filesz"])
    s.setdefault("seed", 0x9E3779B1 * (index + 1) & 0xFFFFFFFF or 1)
    if s["memsz"] < s["filesz"] or s["memsz"] == 0:
        raise ValueError("segment %d: memsz must be >= filesz and > 0: %r" % (index, seg))
    return s


def build(base_path, out_path, segments, data_offset=None):
    """Writes the kernel; returns {"elf_class", "segments": [{addr, filesz,
    memsz, seed, offset}], "base": [(paddr, memsz, offset, filesz)], "size"}."""
    base = Base(base_path)
    segs = [_norm(s, i) for i, s in enumerate(segments)]
    if len(segs) > SEGTAB_MAX or len(segs) + len(base.loads) > 256:
        raise ValueError("too many segments: %d (hop reads 256 PT_LOADs)" % len(segs))
    elf64 = any(s["addr"] + s["memsz"] > FOUR_GIB for s in segs)
    lo, hi = base.image()
    for i, s in enumerate(segs):
        if s["addr"] < hi and lo < s["addr"] + s["memsz"]:
            raise ValueError("segment %d 0x%x+0x%x overlaps the base kernel 0x%x-0x%x"
                             % (i, s["addr"], s["memsz"], lo, hi))
    spans = sorted((s["addr"], s["addr"] + s["memsz"], i) for i, s in enumerate(segs))
    for (_, end, i), (start, _, j) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError("segments %d and %d overlap at 0x%x (hop refuses that)"
                             % (i, j, start))

    out = bytearray(base.data[:base.file_end()])
    table = struct.pack("<II", SEGTAB_MAGIC, len(segs)) + b"".join(
        SEGTAB_ENTRY.pack(s["addr"], s["filesz"], s["memsz"], s["seed"], 0) for s in segs)
    magic = struct.unpack_from("<I", out, base.segtab_offset)[0]
    if magic != SEGTAB_MAGIC_EMPTY:
        raise ValueError("%s: segtab magic 0x%x, not segcheck's" % (base_path, magic))
    out[base.segtab_offset:base.segtab_offset + len(table)] = table

    pos = (len(out) + 15) & ~15 if data_offset is None else data_offset
    if pos < len(out):
        raise ValueError("data offset 0x%x inside the base kernel's bytes (end 0x%x)"
                         % (pos, len(out)))
    out += bytes(pos - len(out))
    for s in segs:
        s["offset"] = len(out)
        out += pattern(s["seed"], s["filesz"])

    phdrs = base.loads + [elf.Segment(s["offset"], s["addr"], s["addr"], s["filesz"],
                                      s["memsz"], elf.PF_R | elf.PF_W, 1) for s in segs]
    elf.finish_executable(out, elf.EM_X86_64 if elf64 else elf.EM_386, base.entry, phdrs,
                          elf64=elf64)
    with open(out_path, "wb") as f:
        f.write(out)
    return {"elf_class": 64 if elf64 else 32, "segments": segs, "size": len(out),
            "base": [(p[2], p[4], p[0], p[3]) for p in base.loads]}


def _int(text):
    return int(text, 0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("seg", nargs="*", help="ADDR:FILESZ[:MEMSZ[:SEED]] (0x... allowed)")
    ap.add_argument("--layout", help="JSON list of {addr, filesz, memsz, seed}")
    ap.add_argument("--data-offset", type=_int, help="file offset of the first pattern byte")
    ap.add_argument("--json", action="store_true", help="print what was written as JSON")
    a = ap.parse_args(argv)
    segs = []
    if a.layout:
        with open(a.layout) as f:
            segs += json.load(f)
    for text in a.seg:
        v = [_int(x) for x in text.split(":")]
        if not 2 <= len(v) <= 4:
            ap.error("bad segment %r" % text)
        segs.append(dict(zip(("addr", "filesz", "memsz", "seed"), v)))
    try:
        info = build(a.base, a.out, segs, a.data_offset)
    except (ValueError, OSError) as e:
        print("mksegkernel: %s" % e, file=sys.stderr)
        return 1
    if a.json:
        print(json.dumps(info, indent=1))
    else:
        for i, s in enumerate(info["segments"]):
            print("segment %d: addr 0x%x filesz 0x%x memsz 0x%x seed 0x%x file offset 0x%x"
                  % (i, s["addr"], s["filesz"], s["memsz"], s["seed"], s["offset"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
