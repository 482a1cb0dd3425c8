"""The relocation plan and the trampoline, proved from inside the guest.

Each scenario makes a kernel from build/tests/kernels/segcheck.elf with
tests/qemu/kernels/mksegkernel.py: pattern segments at chosen byte addresses
(over hop, over the RAM disk, over the boot info, in a cycle, ...).  The
kernel checks every byte of every segment (pattern, then zero bss) and
prints "segcheck: segment I ... ok"; the tests also hold hop's "hop: plan:"
statistics to what the layout implies.

Addresses that depend on the loader (where the RAM disk lies, where a
segment's bytes sit in it) come from a probe run: the same kernel file size,
file names and command lines with the segments at harmless addresses, so the
loader places the RAM disk identically; the run keeps its RAM disk (--keep),
and a segment's bytes are at module start + the kernel file's offset in the
archive + the segment's p_offset."""
import glob
import os
import random
import re
import struct
import time
import zlib

import pytest

import mksegkernel
from hoplib import elf
from hoptest import (BUILD, EXIT_FAIL, EXIT_PASS, EXIT_VERIFY, HOP_ELF, MIB, built, hop_run,
                     kernel)

HOP_CORRUPT = os.path.join(BUILD, "hop-corrupt.elf")


def _hop_load_address():
    """p_paddr of build/hop.elf's one PT_LOAD (linker.ld's HOP_LOAD_ADDR)."""
    with open(HOP_ELF, "rb") as f:
        return elf.loads(f.read(4096))[0].paddr


HOP_LOAD = _hop_load_address()
OVER_HOP = 0x40000           # the segments cover hop's first 256 KiB
HARMLESS = 0x3000000         # 48 MiB: free RAM on every route with 128M
MB2_MAGIC = 0x36D76289
TIMEOUT = {"qemu-kernel": 60, "grub-bios": 60, "grub-efi": 120}


# --- what hop and the kernel print -----------------------------------------

PLAN1 = re.compile(r"hop: plan: (\d+) segment\(s\) \((\d+) loaded now, (\d+) by the trampoline\), "
                   r"(\d+) placed \((\d+) in place\), (\d+) op\(s\)")
PLAN2 = re.compile(r"hop: plan: data (\d+) bytes, copied (\d+) at load \+ (\d+) in trampoline, "
                   r"zeroed (\d+), bounced (\d+) \((\d+) pages\), copy amplification (\d+)\.(\d{3}), "
                   r"extra memory (\d+) bytes")
SEGLINE = re.compile(r"segcheck: segment (\d+) addr 0x([0-9a-f]+) filesz 0x([0-9a-f]+) "
                     r"memsz 0x([0-9a-f]+) (.*)")


class Plan:
    def __init__(self, out):
        a, b = PLAN1.findall(out), PLAN2.findall(out)
        assert len(a) == 1 and len(b) == 1, "expected one pair of 'hop: plan:' lines:\n" + out
        (self.segments, self.direct, self.deferred, self.placed, self.in_place,
         self.ops) = map(int, a[0])
        v = list(map(int, b[0]))
        (self.data, self.load, self.tramp, self.zeroed, self.bounced, self.bounce_pages) = v[:6]
        self.permille = v[6] * 1000 + v[7]
        self.extra = v[8]

    def check_accounting(self, in_place_bytes=0):
        """Each byte of data copied once (load or trampoline), only bounced
        bytes twice; the amplification is what those numbers say."""
        assert self.load + self.tramp + in_place_bytes == self.data, vars(self)
        assert self.permille == (self.load + self.tramp + self.bounced) * 1000 // self.data, \
            vars(self)
        assert (self.bounced == 0) == (self.bounce_pages == 0), vars(self)

    def __repr__(self):
        return "Plan(%r)" % vars(self)


def describe(info):
    return ", ".join("0x%x+0x%x/0x%x" % (s["addr"], s["filesz"], s["memsz"])
                     for s in info["segments"])


def out_of(run):
    return run.out.replace("\r", "")


def check_kernel_ok(run, info, modules_checked=0):
    """Exit 0, entered by hop with multiboot2, every segment 'ok', in order."""
    out = out_of(run)
    assert run.rc == EXIT_PASS, run
    assert "segcheck: entered with magic 0x%x (multiboot2)" % MB2_MAGIC in out, run
    lines = SEGLINE.findall(out)
    segs = info["segments"]
    assert len(lines) == len(segs), run
    for k, ((i, a, f, m, verdict), s) in enumerate(zip(lines, segs)):
        assert (int(i), int(a, 16), int(f, 16), int(m, 16)) == \
            (k, s["addr"], s["filesz"], s["memsz"]), (k, s)
        assert verdict == "ok", "segment %d: %s\n%s" % (k, verdict, out)
    assert len(re.findall(r"segcheck: module \d+ .* ok", out)) == modules_checked, run
    assert re.search(r"tk: \d+ checks, 0 failed: PASS", out), run


def hop_range(run):
    m = re.search(r"hop [0-9.]+: loaded by .* at 0x([0-9a-f]+)-0x([0-9a-f]+)", out_of(run))
    assert m, run
    return int(m.group(1), 16), int(m.group(2), 16)


def usable_parts(run, lo, hi):
    """The parts of [lo, hi) that hop's memory map calls usable."""
    return [(max(s, lo), min(e, hi)) for s, e, t in run.memory_map()
            if t == "usable" and s < hi and lo < e]


def assert_usable(run, addr, size, what):
    assert usable_parts(run, addr, addr + size) == [(addr, addr + size)], \
        "%s 0x%x+0x%x is not all usable RAM on this machine:\n%s" % (what, addr, size, run)


# --- building and booting ---------------------------------------------------

class SegKernel:
    """A segcheck kernel at tmp_path/segk.elf (one name for probe and real
    runs: the RAM disk holds /boot/segk.elf either way)."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.path = str(tmp_path / "segk.elf")
        self.base = kernel("segcheck")
        self.runs = 0

    def build(self, segments, data_offset=None):
        self.info = mksegkernel.build(self.base, self.path, segments, data_offset)
        return self.info

    def run(self, via="qemu-kernel", mem="128M", modules=(), hop=None, keep=False):
        args, extra = [], []
        for path, cmdline in modules:
            args += ["--module", "%s=%s" % (path, cmdline)]
        self.runs += 1
        keep_dir = str(self.tmp / ("keep%d" % self.runs))
        if keep:
            extra += ["--keep", keep_dir]
        if hop:
            extra += ["--hop", hop]
        t0 = time.monotonic()
        run = hop_run(self.path, *args, via=via, mem=mem, timeout=TIMEOUT[via], extra=extra)
        run.seconds = time.monotonic() - t0
        run.keep = keep_dir if keep else None
        return run

    def locate(self, run):
        """Where the kernel file's bytes lie in RAM during run (kept)."""
        archives = glob.glob(os.path.join(run.keep, "**", "*.cpio"), recursive=True)
        assert len(archives) == 1, archives
        with open(archives[0], "rb") as f:
            archive = f.read()
        with open(self.path, "rb") as f:
            elf = f.read()
        offset = archive.find(elf)
        assert offset > 0 and archive.find(elf, offset + 1) < 0
        mods = [m for m in run.modules() if m[2] == len(archive)]
        assert len(mods) == 1, "no module of the RAM disk's size %d:\n%s" % (len(archive), run)
        return Where(mods[0][0], mods[0][1], offset)


class Where:
    def __init__(self, module_start, module_end, file_offset):
        self.module_start, self.module_end, self.file_offset = \
            module_start, module_end, file_offset

    def data(self, seg):
        """Physical address of a pattern segment's file bytes."""
        return self.module_start + self.file_offset + seg["offset"]


def probe_and_build(k, probe_layout, make_layout, data_offset=None, **run_args):
    """Probe run with probe_layout, then build make_layout(probe, where):
    the same sizes, so the same file size and RAM disk placement."""
    info = k.build(probe_layout, data_offset)
    probe = k.run(keep=True, **run_args)
    check_kernel_ok(probe, info, modules_checked=len(run_args.get("modules", ())))
    where = k.locate(probe)
    layout = make_layout(probe, where, info["segments"])
    info2 = k.build(layout, data_offset)
    assert info2["size"] == info["size"]
    assert [s["offset"] for s in info2["segments"]] == [s["offset"] for s in info["segments"]]
    return probe, where, info2


def pattern_data_offset(k):
    """A file offset for pattern data past the base kernel's memory size: on
    grub-efi the RAM disk starts at 1 MiB, where the base kernel goes, and a
    cycle's destinations (in the RAM disk) must not overlap it."""
    lo, hi = mksegkernel.Base(k.base).image()
    return (hi - lo + 0x2000 + 0xFFF) & ~0xFFF


def past_base(k, odd):
    """An unaligned file offset just past the base kernel's image (its pages
    rounded up, plus odd bytes): where pattern data may start without
    overlapping the kernel's own bytes, whatever size the kernel grows to."""
    lo, hi = mksegkernel.Base(k.base).image()
    return ((hi - lo + 0xFFF) & ~0xFFF) + odd


def packed(sizes, start, gap=0x10):
    """Segments of (filesz, memsz) placed one after another from start."""
    segs, at = [], start
    for filesz, memsz in sizes:
        segs.append(dict(addr=at, filesz=filesz, memsz=memsz))
        at += memsz + gap
    return segs


# --- scenarios ---------------------------------------------------------------

LA, LB = 0x6001, 0x4003     # the cycle: A (larger) and B swap places
H_FILESZ = (0x3001, 0x2003)  # two segments over hop (OVMF has ACPI NVS inside 8-8.25 MiB)


@pytest.mark.parametrize("route", ["qemu-kernel", "grub-bios", "grub-efi"])
def test_over_hop_and_cycle(tmp_path, route):
    """Segments over hop's own image (deferred to the trampoline) and two
    segments A and B whose destinations are each other's file bytes in the
    RAM disk: a cycle that only a bounce buffer breaks.  The smallest piece
    on the cycle (B, LB bytes) is bounced; everything else is copied once."""
    k = SegKernel(tmp_path)
    sizes = [(H_FILESZ[0], H_FILESZ[0]), (H_FILESZ[1], H_FILESZ[1]), (LA, LA), (LB, LB)]

    def real(probe, where, segs):
        lo, hi = hop_range(probe)   # HOP_LOAD (linker.ld)
        parts = usable_parts(probe, lo, lo + OVER_HOP)
        if len(parts) == 1:  # split in two
            s, e = parts[0]
            parts = [(s, s + (e - s) // 2), (s + (e - s) // 2, e)]
        assert len(parts) >= 2, "hop's first 256 KiB has no usable part: %r" % parts
        h = [dict(addr=s, filesz=f, memsz=e - s) for (s, e), f in zip(parts, H_FILESZ)]
        assert all(x["memsz"] >= x["filesz"] for x in h), (parts, probe)
        a, b = segs[2], segs[3]
        return h + [dict(addr=where.data(b), filesz=LA), dict(addr=where.data(a), filesz=LB)]

    probe, where, info = probe_and_build(k, packed(sizes, HARMLESS, 0x1000), real,
                                         data_offset=pattern_data_offset(k), via=route)
    run = k.run(via=route)
    check_kernel_ok(run, info)
    assert run.modules()[0][:2] == probe.modules()[0][:2], \
        "the loader put the RAM disk elsewhere than in the probe run"
    plan = Plan(out_of(run))
    assert plan.deferred >= 4, plan       # H0, H1, A, B (and the base on grub-efi)
    assert plan.bounced == LB, plan       # the smallest piece on the cycle, once
    assert plan.bounce_pages >= 1, plan
    assert plan.permille > 1000, plan
    plan.check_accounting()
    Plan(out_of(probe)).check_accounting()
    print("%s: %s: %r, %.1f s" % (route, describe(info), plan, run.seconds))


def test_over_ramdisk_and_boot_info(tmp_path):
    """One segment over the multiboot info QEMU gave hop, one over the RAM
    disk from its first byte to past its end (over the kernel file itself,
    the other segment's bytes and a module, which hop must copy out of the
    way first: the kernel checks the module's CRC)."""
    direct = hop_run(kernel("segcheck"), extra=["--direct"])
    m = re.search(r"info 0x([0-9a-f]+)\+0x([0-9a-f]+)", out_of(direct))
    assert direct.rc == EXIT_PASS and m, direct
    info_addr, info_size = int(m.group(1), 16), int(m.group(2), 16)

    mod = tmp_path / "mod.bin"
    mod_bytes = mksegkernel.pattern(0x5EED, 3001)
    mod.write_bytes(mod_bytes)
    modules = [(str(mod), "crc32=%08x" % zlib.crc32(mod_bytes))]
    k = SegKernel(tmp_path)
    i_filesz, r_filesz = 0x80, past_base(k, 3)

    def real(probe, where, segs):
        i_addr = info_addr - 0xD
        i_mem = max(i_filesz + 0x10, 0xD + info_size + 0x13)
        r_addr = where.module_start + 0x11
        r_mem = ((where.module_end + 0xFFF) & ~0xFFF) + 0x2345 - r_addr
        assert_usable(probe, i_addr, i_mem, "the segment over the boot info")
        assert_usable(probe, r_addr, r_mem, "the segment over the RAM disk")
        # R's copy writes over I's bytes in the RAM disk: I must go first
        assert r_addr < where.data(segs[0]) + i_filesz and where.data(segs[0]) < r_addr + r_filesz
        return [dict(addr=i_addr, filesz=i_filesz, memsz=i_mem),
                dict(addr=r_addr, filesz=r_filesz, memsz=r_mem)]

    probe, where, info = probe_and_build(
        k, packed([(i_filesz, i_filesz), (r_filesz, r_filesz)], HARMLESS), real, modules=modules)
    run = k.run(modules=modules)
    check_kernel_ok(run, info, modules_checked=1)
    plan = Plan(out_of(run))
    assert plan.deferred == 2, plan
    assert (plan.placed, plan.in_place) == (2, 0), plan  # the module had to move
    assert plan.bounced == 0 and plan.permille == 1000, plan
    plan.check_accounting()
    print("ramdisk+info: %s: %r, %.1f s" % (describe(info), plan, run.seconds))
    probe_plan = Plan(out_of(probe))
    # a file in the RAM disk is only 4-byte aligned: the module is copied
    # (page-aligned) even when nothing covers it
    assert probe_plan.deferred == 0 and probe_plan.in_place == 0, probe_plan
    probe_plan.check_accounting()


def test_unaligned(tmp_path):
    """Odd addresses and sizes: adjacent destinations, a 1-byte segment, a
    bss-only segment, one across a page boundary, and two over the RAM disk
    moved over their own bytes by -5 and +3."""
    k = SegKernel(tmp_path)
    base = 0x600000   # clear of hop (HOP_LOAD) and of the RAM disk after it
    fixed = [dict(addr=base + 0x1, filesz=1, memsz=1),
             dict(addr=base + 0x2, filesz=7, memsz=0xFF9),
             dict(addr=base + 0xFFB, filesz=0x1235, memsz=0x2001),   # adjacent to the one before
             dict(addr=base + 0x3001, filesz=0, memsz=0x333),
             dict(addr=base + 0xFFFFD, filesz=6, memsz=7)]
    moved = [(0x1003, 0x1005), (0x777, 0x788)]

    def real(probe, where, segs):
        s5, s6 = where.data(segs[5]), where.data(segs[6])
        return fixed + [dict(addr=s5 - 5, filesz=0x1003, memsz=0x1005),
                        dict(addr=s6 + 3, filesz=0x777, memsz=0x788)]

    probe, where, info = probe_and_build(
        k, fixed + packed(moved, HARMLESS), real, data_offset=past_base(k, 3))
    run = k.run()
    check_kernel_ok(run, info)
    plan = Plan(out_of(run))
    assert plan.deferred == 2 and plan.bounced == 0 and plan.permille == 1000, plan
    plan.check_accounting()
    print("unaligned: %s: %r, %.1f s" % (describe(info), plan, run.seconds))


def move_pieces(moves):
    """hop's pieces (docs/relocation.md): each move {dst, src, len} cut at the
    boundaries of the other moves' destinations strictly inside its source."""
    cuts = sorted({x for m in moves for x in (m[0], m[0] + m[2])})
    pieces = []
    for i, (dst, src, n) in enumerate(moves):
        own = {dst, dst + n}
        points = [src] + [c for c in cuts if src < c < src + n and c not in own] + [src + n]
        for a, b in zip(points, points[1:]):
            pieces.append((i, dst + a - src, a, b - a))
    return pieces


def has_cycle(moves):
    """Piece p must run before q when q writes where p reads (p != q)."""
    pieces = move_pieces(moves)
    succ = [[q for q, (_, qd, _, qn) in enumerate(pieces)
             if q != p and ps < qd + qn and qd < ps + pn]
            for p, (_, _, ps, pn) in enumerate(pieces)]
    indeg = [0] * len(pieces)
    for s in succ:
        for q in s:
            indeg[q] += 1
    ready = [p for p, d in enumerate(indeg) if d == 0]
    done = 0
    while ready:
        p = ready.pop()
        done += 1
        for q in succ[p]:
            indeg[q] -= 1
            if indeg[q] == 0:
                ready.append(q)
    return done < len(pieces)


def test_200_small_segments(tmp_path):
    """200 segments of 1-600 bytes (some with bss) whose destinations are a
    shuffled packing of the RAM disk bytes they come from: hop orders about
    200 overlapping moves and breaks the cycles among them."""
    rng = random.Random(20240601)
    sizes = []
    for _ in range(200):
        f = rng.randint(1, 600)
        sizes.append((f, f + (rng.randint(1, 300) if rng.random() < 0.3 else 0)))
    k = SegKernel(tmp_path)

    def real(probe, where, segs):
        order = list(range(len(sizes)))
        rng.shuffle(order)
        at, out = where.data(segs[0]) + rng.randint(0, 63), [None] * len(sizes)
        for i in order:
            out[i] = dict(addr=at, filesz=sizes[i][0], memsz=sizes[i][1])
            at += sizes[i][1] + rng.choice((0, 0, 1, 3, 8))
        assert_usable(probe, out[order[0]]["addr"], at - out[order[0]]["addr"], "the packing")
        return out

    probe, where, info = probe_and_build(k, packed(sizes, HARMLESS, 3), real, data_offset=past_base(k, 1))
    moves = [(s["addr"], where.data(s), s["filesz"]) for s in info["segments"] if s["filesz"]]
    cycle = has_cycle(moves)
    assert cycle, "the layout was meant to have cycles"
    t0 = time.monotonic()
    run = k.run()
    check_kernel_ok(run, info)
    plan = Plan(out_of(run))
    assert plan.segments == 202, plan
    assert plan.deferred >= 150, plan
    assert (plan.bounced > 0) == cycle, plan
    plan.check_accounting()
    print("200 segments: %r, %.1f s" % (plan, time.monotonic() - t0))


def test_above_4gib(tmp_path):
    """ELF64 container (still a 32-bit multiboot2 entry): segments above
    4 GiB, read by the kernel through a PAE window; one ends at the top of
    RAM, one starts 3 bytes above 4 GiB and spans three 2 MiB frames."""
    k = SegKernel(tmp_path)
    info = k.build([dict(addr=(4 << 30) + 3, filesz=0x300007, memsz=0x400005),
                    dict(addr=(7 << 30) - 0xFFFF, filesz=0x8000, memsz=0xFFFF),
                    dict(addr=0xB0000001, filesz=0x1235, memsz=0x2001)])
    assert info["elf_class"] == 64
    run = k.run(mem="6G")
    assert_usable(run, (4 << 30), 3 << 30, "high RAM")
    check_kernel_ok(run, info)
    plan = Plan(out_of(run))
    assert plan.deferred == 0 and plan.permille == 1000, plan
    plan.check_accounting()
    print("above 4 GiB: %s: %r, %.1f s" % (describe(info), plan, run.seconds))


def test_64mib_segment(tmp_path):
    """64 MiB of file data moved up over its own bytes (a top-down memmove
    in the trampoline), in reasonable wall time."""
    k = SegKernel(tmp_path)
    t0 = time.monotonic()
    info = k.build([dict(addr=0x2000003, filesz=64 * MIB)])
    gen = time.monotonic() - t0
    run = k.run(mem="512M")
    check_kernel_ok(run, info)
    plan = Plan(out_of(run))
    rd = [m for m in run.modules() if m[2] > 64 * MIB]
    assert len(rd) == 1, run
    overlaps = 0x2000003 < rd[0][1] and rd[0][0] < 0x2000003 + 64 * MIB
    assert plan.deferred == (1 if overlaps else 0), plan
    assert plan.tramp == (64 * MIB if overlaps else 0), plan
    assert plan.bounced == 0 and plan.permille == 1000, plan
    plan.check_accounting()
    print("64 MiB: generate %.1f s, boot %.1f s, %r" % (gen, run.seconds, plan))
    assert gen < 15 and run.seconds < 30


def test_256mib_bss(tmp_path):
    """A 256 MiB bss over hop and the RAM disk costs no copies: 4 KiB of file
    data copied once, the rest zeroed."""
    k = SegKernel(tmp_path)
    filesz, memsz = 0x1001, 256 * MIB
    info = k.build([dict(addr=HOP_LOAD - 0xFFF, filesz=filesz, memsz=memsz)])
    run = k.run(mem="512M")
    check_kernel_ok(run, info)
    plan = Plan(out_of(run))
    assert plan.deferred == 1 and plan.tramp == filesz, plan
    assert plan.zeroed >= memsz - filesz, plan
    assert plan.bounced == 0 and plan.permille == 1000, plan
    plan.check_accounting()
    print("256 MiB bss: %.1f s, %r" % (run.seconds, plan))
    assert run.seconds < 30


def test_kernel_catches_bad_bytes(tmp_path):
    """The checker can fail: a flipped file byte in a low and in a high
    segment, and a bss that is not zero (the table claims a shorter
    filesz than the segment has), each reported at the right offset."""
    k = SegKernel(tmp_path)
    info = k.build([dict(addr=0x300001, filesz=0x2001),
                    dict(addr=0x310003, filesz=0x10, memsz=0x40),
                    dict(addr=(4 << 30) + 0x1FFFF1, filesz=0x30000)])
    segs = info["segments"]
    data = bytearray(open(k.path, "rb").read())
    data[segs[0]["offset"] + 0x1234] ^= 0x40
    data[segs[2]["offset"] + 0x2000F] ^= 0x01     # past the first 2 MiB frame
    table = mksegkernel.Base(k.base).segtab_offset + 8 + 32 * 1
    struct.pack_into("<Q", data, table + 8, 0x8)   # segment 1: filesz 0x10 -> 0x8
    open(k.path, "wb").write(data)
    pat = mksegkernel.pattern(segs[1]["seed"], 0x10)
    first_nonzero = next(i for i in range(8, 0x10) if pat[i])
    run = k.run(mem="6G")
    out = out_of(run)
    assert run.rc == EXIT_FAIL, run
    assert "segment 0 addr 0x300001 filesz 0x2001 memsz 0x2001 BAD at offset 0x1234" in out, run
    assert "segment 1 addr 0x310003 filesz 0x8 memsz 0x40 BAD at offset 0x%x" % first_nonzero \
        in out, run
    assert "segment 2 addr 0x1001ffff1 filesz 0x30000 memsz 0x30000 BAD at offset 0x2000f" \
        in out, run


def test_verify_catches_corruption(tmp_path):
    """build/hop-corrupt.elf (tests/qemu/hop_test_corrupt.c) writes one wrong
    byte into a destination after the moves: the trampoline's VERIFY must
    halt with exit 4 and name that destination; the kernel never runs."""
    built(HOP_CORRUPT)
    k = SegKernel(tmp_path)
    info = k.build([dict(addr=HOP_LOAD, filesz=0x20001, memsz=OVER_HOP)])
    good = k.run()
    check_kernel_ok(good, info)
    run = k.run(hop=HOP_CORRUPT)
    out = out_of(run)
    assert run.rc == EXIT_VERIFY, run
    m = re.search(r"hop-corrupt: op \d+: COPY 1 byte 0x([0-9a-f]+) over 0x([0-9a-f]+) "
                  r"\(final 0x([0-9a-f]+)\), inside VERIFY 0x([0-9a-f]+) length 0x([0-9a-f]+)", out)
    assert m, run
    byte, at, final, vdst, vlen = (int(x, 16) for x in m.groups())
    assert byte != final
    # the trampoline zeroes the bss after the moves; the corrupted byte is in it
    assert (vdst, vlen) == (HOP_LOAD, OVER_HOP), run
    assert HOP_LOAD + 0x20001 <= at < HOP_LOAD + OVER_HOP, run
    assert "hop: trampoline: verify failed at 0x%016x length 0x%016x" % (vdst, vlen) in out, run
    assert "segcheck:" not in out, run
