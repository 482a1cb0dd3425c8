#!/usr/bin/env python3
"""make bench: hop's speed and memory, measured against GRUB and against a
plain copy in the same boot.  Figures to track, not pass/fail tests.

Prints a table and writes build/bench/results.csv (one row per figure:
group,case,metric,value,unit), plus inflate.csv and reloc.csv for the host
benchmarks.  Sections:

  size        hop's loaded image (text, data, bss of build/hop.elf) and its
              10 biggest symbols
  host        hop's inflate against zlib (tools/bench/inflate_bench.c), the
              planner's time for 10k, 100k, 1M pages (reloc_bench.c)
  relocation  synthetic ELF kernels (build/kernels/bench.elf plus
              random-filled PT_LOADs at chosen addresses) of 1, 16, 64 and
              256 MiB, and one with the Debian vmlinux's PT_LOAD layout and
              bytes, booted through hop by QEMU -kernel (multiboot1) with
              hop's `bench` flag.  From hop's "hop: stats:" line: copy
              amplification (bytes written from a source, load-time,
              trampoline and bounce copies, per byte of segment data) and
              extra memory (control area, op lists, bounce buffers, placed
              copies).  From the bench kernel, which reads the trampoline's
              TSC stamps and re-runs the same COPY ops: the trampoline's copy
              throughput divided by `rep movsb` (and by `rep movsd`) over
              the same buffers in the same boot, and the VERIFY (digest) time
              as a fraction of the copy time.
  e2e         QEMU start to the kernel's first serial line (hop-run
              --timing), GRUB -> hop -> kernel divided by GRUB -> kernel
              (multiboot2 for the demo test kernel; GRUB `linux` with
              Debian's bzImage against hop with the vmlinux inside it), for
              hop.elf as built and stripped; rounds of the three boots in
              rotating order, medians.

Everything runs under QEMU's TCG on a shared machine: absolute times are
noisy; the ratios (same boot, same TSC, or paired runs) are the figures.

Usage: run_bench.py [--quick] [--only SECTION,...] [--sizes 1,16,64,256]
                    [--reloc-runs N] [--rounds N] [--debian-rounds N]
"""

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# hoplib: tools/hoplib (the bench runs from the source tree only)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.dont_write_bytecode = True
from hoplib import elf, paths, ramdisk  # noqa: E402

ROOT = paths.SOURCE_DIR
BUILD = paths.BUILD_DIR
OUT = os.path.join(BUILD, "bench")
HOP_ELF = paths.BUILD_HOP
HOP_RUN = paths.HOP_RUN
BENCH_ELF = os.path.join(paths.KERNELS_DIR, "bench.elf")
DEMO_ELF = os.path.join(paths.KERNELS_DIR, "demo.elf")
DEBIAN = paths.DEBIAN_DIR

MiB = 1 << 20
PAGE = 4096
SECTIONS = ("size", "host", "relocation", "e2e")
# QEMU for the relocation runs: a CPU with SSE4.2 (hardware CRC32C, like any
# x86-64 of the last 15 years) and guest RAM allocated up front, so that no
# copy pays the host's first-touch page faults.
RELOC_QEMU = ["--qemu-arg=-cpu", "--qemu-arg=max", "--qemu-arg=-mem-prealloc"]
LINUX_CMDLINE = "console=ttyS0 panic=-1"
LINUX_MARKER = paths.DEBIAN_MARKER

results = []                  # (group, case, metric, value, unit)


def record(group, case, metric, value, unit=""):
    results.append((group, case, metric, value, unit))
    return value


def say(text=""):
    print(text, flush=True)


def table(headers, rows):
    rows = [[("-" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    say(line(headers))
    for r in rows:
        say(line(r))


def fmt(x, digits=2):
    return None if x is None else ("%.*f" % (digits, x))


def run(cmd, timeout=None, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, **kw)


def hop_run(args, timeout):
    """tools/hop-run with args; returns (rc, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = run([HOP_RUN, "--hop", HOP_ELF, "--timeout", str(timeout)] + args,
            timeout=timeout + 300)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def keyvals(text, prefix):
    """All key=value pairs of the lines starting with prefix, as ints."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(prefix):
            for k, v in re.findall(r"(\w+)=(\d+)", line[len(prefix):]):
                out[k] = int(v)
    return out


# --- size -----------------------------------------------------------------------

def section_size():
    say("== size: build/hop.elf, the image hop's loader loads (target: under 64 KiB)")
    p = run(["size", HOP_ELF])
    text, data, bss = (int(x) for x in p.stdout.splitlines()[1].split()[:3])
    for k, v in (("text", text), ("data", data), ("bss", bss), ("total", text + data + bss)):
        record("size", "hop.elf", k, v, "bytes")
    say("text %d + data %d + bss %d = %d bytes (%.1f KiB); without bss %.1f KiB"
        % (text, data, bss, text + data + bss, (text + data + bss) / 1024,
           (text + data) / 1024))
    # hop.elf is stripped; hop-debug.elf is the same image with its symbols
    p = run(["nm", "--size-sort", "--reverse-sort", "-S", os.path.join(BUILD, "hop-debug.elf")])
    syms = []
    for line in p.stdout.splitlines():
        f = line.split(None, 3)
        if len(f) == 4:
            syms.append((int(f[1], 16), f[2], f[3]))
    say("10 biggest symbols (nm --size-sort; b/B: bss, t/T: code, r/R: read-only data):")
    for size, kind, name in syms[:10]:
        record("size", "symbol", name, size, "bytes")
        say("  %8d  %s %s" % (size, kind, name))
    loaded = [s for s in syms if s[1] not in "bBsS"][:10]
    say("10 biggest in text and data (what the loader reads from the file):")
    for size, kind, name in loaded:
        record("size", "text symbol", name, size, "bytes")
        say("  %8d  %s %s" % (size, kind, name))
    objs = []
    for top in ("src", "arch"):      # hop's own objects, not the tests'
        for d, _, files in os.walk(os.path.join(BUILD, "k", top)):
            rel = os.path.relpath(d, os.path.join(BUILD, "k"))
            objs += [os.path.join(d, f) for f in files if f.endswith(".o") and any(
                os.path.exists(os.path.join(ROOT, rel, f[:-2] + ext)) for ext in (".c", ".asm"))]
    if objs:
        p = run(["size"] + sorted(objs))
        per = []
        for line in p.stdout.splitlines()[1:]:
            f = line.split()
            per.append((int(f[0]) + int(f[1]), int(f[2]),
                        os.path.relpath(f[5], os.path.join(BUILD, "k"))[:-2]))
        per.sort(reverse=True)
        say("10 biggest object files by text+data (before --gc-sections), with their bss:")
        for loaded_bytes, bss_bytes, name in per[:10]:
            record("size", "object", name, loaded_bytes, "bytes")
            say("  %8d  %s (bss %d)" % (loaded_bytes, name, bss_bytes))
    say()


# --- host -----------------------------------------------------------------------

def host_library():
    """All of src/ compiled for the host at -O2 (no sanitizers), as an
    archive: each benchmark links what it uses, whatever src/ grows."""
    lib = os.path.join(OUT, "host", "libhop-bench.a")
    srcs = []
    for d, _, files in sorted(os.walk(os.path.join(ROOT, "src"))):
        rel = os.path.relpath(d, ROOT)
        srcs += sorted(os.path.join(rel, f) for f in files
                       if f.endswith(".c") and os.path.join(rel, f) != "src/lib/string.c")
    objs, procs = [], []
    for src in srcs:
        obj = os.path.join(OUT, "host", src[:-2].replace("/", "_") + ".o")
        objs.append(obj)
        procs.append((src, subprocess.Popen(
            ["gcc", "-std=gnu11", "-O2", "-Isrc", "-DHOP_HOST", "-c", src, "-o", obj],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        if len(procs) >= (os.cpu_count() or 2):
            _reap(procs)
    _reap(procs)
    if os.path.exists(lib):
        os.remove(lib)
    subprocess.run(["ar", "rcs", lib] + [o for o in objs if os.path.exists(o)], check=True)
    return lib


def _reap(procs):
    while procs:
        src, p = procs.pop(0)
        out = p.communicate()[0]
        if p.returncode:
            say("  (%s does not build for the host: %s)" % (src, out.strip()[-300:]))


def build_host(name, source, lib, libs=()):
    exe = os.path.join(OUT, name)
    p = run(["gcc", "-std=gnu11", "-O2", "-Isrc", "-DHOP_HOST", source, lib] + list(libs)
            + ["-o", exe], cwd=ROOT)
    if p.returncode:
        say("  (could not build %s: %s)" % (name, p.stderr.strip()[-400:]))
        return None
    return exe


def section_host():
    os.makedirs(os.path.join(OUT, "host"), exist_ok=True)
    lib = host_library()
    say("== host: inflate (hop's gzip_inflate vs zlib, same inputs, best of 7)")
    exe = build_host("inflate_bench", "tools/bench/inflate_bench.c", lib, ["-lz"])
    rows = []
    if exe:
        p = run([exe])
        with open(os.path.join(OUT, "inflate.txt"), "w") as f:
            f.write(p.stdout)
        with open(os.path.join(OUT, "inflate.csv"), "w") as f:
            f.write("input,bytes,hop_MBps,zlib_MBps,ratio\n")
            for m in re.finditer(r"^inflate (\S+) (\d+) hop ([\d.]+) zlib ([\d.]+) ratio ([\d.]+)",
                                 p.stdout, re.M):
                name, n, hop, zlib, ratio = m.groups()
                f.write("%s,%s,%s,%s,%s\n" % m.groups())
                record("host", "inflate " + name, "hop_MBps", float(hop), "MB/s")
                record("host", "inflate " + name, "zlib_MBps", float(zlib), "MB/s")
                record("host", "inflate " + name, "hop_over_zlib", float(ratio), "")
                rows.append([name, n, hop, zlib, ratio])
    table(["input", "bytes", "hop MB/s", "zlib MB/s", "hop/zlib"], rows)
    say()
    say("== host: the relocation planner (kimage_plan, -O2, digests excluded)")
    exe = build_host("reloc_bench", "tools/bench/reloc_bench.c", lib)
    rows = []
    if exe:
        p = run([exe])
        with open(os.path.join(OUT, "reloc.txt"), "w") as f:
            f.write(p.stdout)
        with open(os.path.join(OUT, "reloc.csv"), "w") as f:
            f.write("layout,pages,add_ms,plan_ms,ns_per_page,pieces,ops,bounced,scratch_KiB\n")
            for m in re.finditer(r"^reloc (\S+)\s+(\d+) add\s+([\d.]+) ms plan\s+([\d.]+) ms "
                                 r"ns/page\s+(\d+) pieces\s+(\d+) ops\s+(\d+) bounced (\d+) "
                                 r"\(\d+ bytes\) scratch (\d+) KiB", p.stdout, re.M):
                f.write(",".join(m.groups()) + "\n")
                layout, pages, add, plan, nspp, pieces, ops, bounced, scratch = m.groups()
                case = "plan %s %s" % (layout, pages)
                record("host", case, "plan_ms", float(plan), "ms")
                record("host", case, "ns_per_page", int(nspp), "ns")
                record("host", case, "scratch_KiB", int(scratch), "KiB")
                rows.append([layout, pages, add, plan, nspp, pieces, bounced, scratch])
            m = re.search(r"crc32c software.*: (\d+) MB/s", p.stdout)
            if m:
                record("host", "crc32c software", "MBps", int(m.group(1)), "MB/s")
    table(["layout", "pages", "add ms", "plan ms", "ns/page", "pieces", "bounced",
           "scratch KiB"], rows)
    m = [r for r in results if r[1] == "crc32c software"]
    if m:
        say("crc32c in software (slice-by-8) on the host: %d MB/s" % m[0][3])
    say()


# --- synthetic kernels ------------------------------------------------------------

class BaseKernel:
    """build/kernels/bench.elf: ELF32, its PT_LOADs kept as they are."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        if self.data[:4] != elf.MAGIC or self.data[4] != elf.ELFCLASS32:
            raise SystemExit("%s: not an ELF32 file" % path)
        self.entry = elf.header(self.data).entry
        self.loads = elf.loads(self.data)    # [elf.Segment]
        self.file_end = max(o + fs for o, _, _, fs, _, _, _ in self.loads)
        self.data_offset = (self.file_end + PAGE - 1) // PAGE * PAGE


def write_kernel(base, path, segments):
    """base's PT_LOADs, then one PT_LOAD per (paddr, data bytes) at
    base.data_offset onwards (packed, in order); program headers last."""
    out = bytearray(base.data[:base.file_end])
    out += bytes(base.data_offset - len(out))
    phdrs = list(base.loads)
    for paddr, data in segments:
        phdrs.append(elf.Segment(len(out), paddr, paddr, len(data), len(data),
                                 elf.PF_R | elf.PF_W, 1))
        out += data
    elf.finish_executable(out, elf.EM_386, base.entry, phdrs)
    with open(path, "wb") as f:
        f.write(out)


def cpio_offset(name):
    """Offset of /boot/<name>'s bytes in the RAM disk hop-run builds."""
    with tempfile.TemporaryDirectory() as d:
        probe = os.path.join(d, name)
        marker = b"\x7fELF-hop-bench-offset-probe"
        with open(probe, "wb") as f:
            f.write(marker)
        data, _ = ramdisk.build(probe, None, [])
        return data.index(marker)


def probe():
    """Where hop's image lies and where QEMU -kernel puts the RAM disk (right
    after it): asked of hop itself, booting the plain bench kernel."""
    rc, out, err, _ = hop_run(["--via", "qemu-kernel", "--hop-cmdline", "debug-exit bench",
                               BENCH_ELF], 60)
    m = re.search(r"hop:   module 0 ([0-9a-f]{16})-", out)
    h = re.search(r"^hop [^:]*: loaded by .* at 0x([0-9a-f]+)-0x([0-9a-f]+)", out, re.M)
    if rc != 0 or not m or not h:
        raise SystemExit("run_bench: the probe boot failed (rc %d):\n%s%s" % (rc, out, err))
    return int(m.group(1), 16), int(h.group(1), 16), int(h.group(2), 16)


def random_bytes(n):
    return os.urandom(n)


# Moves by a whole power of two alias in QEMU's direct-mapped soft TLB (source
# and destination pages evict each other: 10-20x slower copies under TCG, a
# pure emulator effect); an odd number of pages more avoids that.
SKEW = 19 * PAGE


def layouts(size, src0, hop_start, low):
    """{name: [(dst, size)]} for segment data of `size` bytes whose bytes
    sit at src0 onwards in RAM (the RAM disk), in segment order; hop's image
    starts at hop_start; nothing may go below `low` (the bench kernel)."""
    s = size
    free_at = (src0 + s + 16 * MiB + 16 * MiB - 1) // (16 * MiB) * (16 * MiB)
    over = max(low, hop_start - s // 2) // PAGE * PAGE
    eighth, quarter = s // 8, s // 4
    return {
        # nothing overlaps: every copy is done at load time
        "free": [(free_at, s)],
        # one segment over hop's image and (from 16 MiB) the RAM disk, its
        # own source: moved down over itself
        "over-hop": [(over, s)],
        # 8 segments each moved up by half the total over their own and the
        # next segments' sources
        "shift-up": [(src0 + i * eighth + s // 2 + SKEW, eighth) for i in range(8)],
        # 4 segments rotated inside the RAM disk: a cycle, broken by a bounce
        "cycle": [(src0 + ((i + 1) % 4) * quarter + SKEW, quarter) for i in range(4)],
    }


def debian_layout():
    """The Debian vmlinux's PT_LOADs: [(paddr, bytes)] (the real bytes)."""
    path = os.path.join(DEBIAN, "vmlinux")
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] != elf.MAGIC or d[4] != elf.ELFCLASS64:
        return None
    return [(s.paddr, d[s.offset:s.offset + s.filesz] + bytes(s.memsz - s.filesz))
            for s in elf.loads(d) if s.memsz]


def guest_mem(end):
    """RAM for a layout ending at `end`: room above for hop's own
    allocations (control area, bounce buffers), in 64 MiB steps."""
    need = end + end // 4 + 64 * MiB
    mem = max(128 * MiB, (need + 64 * MiB - 1) // (64 * MiB) * (64 * MiB))
    return "%dM" % (mem // MiB)


def reloc_once(name, kernel, mem, timeout):
    """One boot; returns (hop stats, bench kernel figures, seconds) or None."""
    rc, out, err, secs = hop_run(["--via", "qemu-kernel", "--mem", mem, "--hop-cmdline",
                                  "debug-exit bench"] + RELOC_QEMU + [kernel], timeout)
    st = keyvals(out, "hop: stats:")
    b = keyvals(out, "bench:")
    if rc != 0 or not st or "memcpy_tsc" not in b:
        tail = "\n".join((out + err).splitlines()[-15:])
        say("  %s: FAILED (rc %d)\n%s" % (name, rc, tail))
        return None
    return st, b, secs


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def reloc_case(name, kernel, mem, runs, timeout=600):
    """`runs` boots of one kernel; the plan's figures (the same every time)
    and the medians of the measured ones."""
    boots = [r for r in (reloc_once(name, kernel, mem, timeout) for _ in range(runs)) if r]
    g = "relocation"
    if not boots:
        record(g, name, "failed", 1)
        return None
    st = boots[0][0]
    r = {"case": name, "mem": mem, "stats": st, "runs": len(boots)}
    record(g, name, "runs", len(boots))
    record(g, name, "data_bytes", st["data"], "bytes")
    record(g, name, "direct_segments", st["direct"])
    record(g, name, "deferred_segments", st["deferred"])
    record(g, name, "load_copy_bytes", st["load_copy"], "bytes")
    record(g, name, "tramp_copy_bytes", st["tramp_copy"], "bytes")
    record(g, name, "bounce_bytes", st["bounce"], "bytes")
    record(g, name, "bounced_pieces", st["bounced_pieces"])
    amp = (st["load_copy"] + st["tramp_copy"] + st["bounce"]) / st["data"]
    r["amp"] = record(g, name, "copy_amplification", round(amp, 4))
    r["extra"] = record(g, name, "extra_bytes", st["extra"], "bytes")
    record(g, name, "scratch_bytes", st["scratch"], "bytes")

    # Preemption on the shared host only ever adds time: the figures are the
    # fastest observed (the trampoline: best boot; the references: best pass
    # of 3 in the best boot), in TSC ticks (the host's TSC under TCG, the same
    # clock in every boot).  Medians are in the CSV too.
    per_ms = median([b["tsc_per_ms"] for _, b, _ in boots])
    rate = lambda nbytes, tsc: nbytes / tsc if nbytes and tsc else None
    best = lambda key_bytes, key_tsc: max([0] + [rate(b[key_bytes], b[key_tsc]) or 0
                                                 for _, b, _ in boots]) or None
    mbps = lambda x: None if x is None else x * per_ms / 1000
    tramp = best("tramp_copy_bytes", "tramp_copy_tsc")
    movsb = best("memcpy_bytes", "memcpy_tsc")
    movsq = best("memcpy_bytes", "movsq_tsc")
    verify = best("verify_bytes", "verify_tsc")
    r["wall_s"] = record(g, name, "wall_s", round(median([t for _, _, t in boots]), 2), "s")
    r["tramp_MBps"] = mbps(tramp)
    r["verify_MBps"] = mbps(verify)
    r["ratio_movsb"] = r["ratio_movsq"] = r["verify_frac"] = None
    for key, value in (("tramp_copy_MBps", mbps(tramp)), ("movsb_MBps", mbps(movsb)),
                       ("movsq_MBps", mbps(movsq)), ("verify_MBps", mbps(verify))):
        if value is not None:
            record(g, name, key, round(value, 1), "MB/s")
    if tramp and movsb and movsq:
        r["ratio_movsb"] = record(g, name, "tramp_over_movsb", round(tramp / movsb, 3))
        r["ratio_movsq"] = record(g, name, "tramp_over_movsq", round(tramp / movsq, 3))
        copy_tsc = min(b["tramp_copy_tsc"] for _, b, _ in boots)
        verify_tsc = min(b["verify_tsc"] for _, b, _ in boots)
        r["verify_frac"] = record(g, name, "verify_over_copy_time",
                                  round(verify_tsc / copy_tsc, 3))
        record(g, name, "verify_over_copy_per_byte", round(tramp / verify, 3))
        meds = [(rate(b["tramp_copy_bytes"], b["tramp_copy_tsc"]) /
                 rate(b["memcpy_bytes"], b["movsq_tsc_median"])) for _, b, _ in boots]
        record(g, name, "tramp_over_movsq_median", round(median(meds), 3))
        record(g, name, "tramp_over_movsq_each_boot", " ".join("%.3f" % m for m in meds))
    if name.endswith("cycle") and not st["bounced_pieces"]:
        say("  note: %s did not form a cycle (the RAM disk moved?)" % name)
    return r


def section_relocation(sizes, runs):
    say("== relocation: synthetic kernels through hop (QEMU -kernel, TCG, -cpu max, "
        "memory preallocated)")
    base = BaseKernel(BENCH_ELF)
    tmp = tempfile.mkdtemp(prefix="hop-bench-")
    rows = []
    try:
        rd0, hop_start, hop_end = probe()
        name = "bench-kernel.elf"
        src0 = rd0 + cpio_offset(name) + base.data_offset
        low = (max(p + m for _, _, p, _, m, _, _ in base.loads) + 64 * 1024 - 1) // PAGE * PAGE
        say("hop at 0x%x-0x%x, RAM disk from 0x%x, segment data from 0x%x"
            % (hop_start, hop_end, rd0, src0))
        cases = []
        for size_mib in sizes:
            size = size_mib * MiB
            for lname, segs in layouts(size, src0, hop_start, low).items():
                cases.append(("%dM %s" % (size_mib, lname), segs, size))
        deb = debian_layout() if os.path.exists(os.path.join(DEBIAN, "vmlinux")) else None
        if deb:
            cases.append(("debian-layout", deb, sum(len(d) for _, d in deb)))
        for cname, segs, size in cases:
            kernel = os.path.join(tmp, name)
            if isinstance(segs[0][1], int):
                blob = random_bytes(size)
                pos, data_segs = 0, []
                for dst, n in segs:
                    data_segs.append((dst, blob[pos:pos + n]))
                    pos += n
                del blob
            else:
                data_segs = segs
            write_kernel(base, kernel, data_segs)
            end = max([dst + len(d) for dst, d in data_segs] + [src0 + size])
            del data_segs
            r = reloc_case(cname, kernel, guest_mem(end), runs)
            os.remove(kernel)
            if not r:
                continue
            st = r["stats"]
            rows.append([cname, "%.1f" % (st["data"] / MiB), "%d/%d" % (st["direct"],
                         st["deferred"]), fmt(r["amp"], 3), "%d" % (r["extra"] // 1024),
                         "%d" % (st["bounce"] // 1024), fmt(r["tramp_MBps"], 0),
                         fmt(r["ratio_movsb"]), fmt(r["ratio_movsq"]),
                         fmt(r["verify_frac"], 1), fmt(r["verify_MBps"], 0), r["mem"],
                         "%.1f" % r["wall_s"]])
            say("  %s: %d boot(s), %.1f s each" % (cname, r["runs"], r["wall_s"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say()
    table(["case", "data MiB", "direct/deferred", "copy amp", "extra KiB", "bounce KiB",
           "tramp MB/s", "vs movsb", "vs movsq", "verify/copy", "verify MB/s", "RAM", "wall s"],
          rows)
    say("copy amp: bytes copied (load + trampoline + bounce) / segment data; extra: "
        "control area + op lists + bounce + placed copies.")
    say("vs movsb/movsq: the trampoline's copy throughput / the same COPY ops re-run in long "
        "mode with rep movsb / rep movsq")
    say("in the same boot (one TSC: the ratio cancels TCG's speed); fastest boot and pass, "
        "medians in the CSV.")
    say("verify/copy: the VERIFY ops' time / the COPY ops' time.  docs/performance.md says "
        "what TCG distorts.")
    say()


# --- end to end against GRUB ----------------------------------------------------------

def timing(err):
    """hop-run --timing's report: [first line, kernel's first line, end]."""
    m = re.search(r"hop-run: timing: first-line=(\S+) kernel-line=(\S+) end=(\S+)", err)
    if not m:
        return None
    return [None if v == "none" else float(v) for v in m.groups()]


def e2e_rounds(name, variants, direct_args, rounds, timeout, marker):
    """Rounds of boots: each hop variant (label -> hop-run arguments, which
    get --hop from the variant's image) and the direct boot, the order
    rotating every round.  Returns one result per variant."""
    labels = list(variants) + ["direct"]
    times = {k: [] for k in labels}      # QEMU start -> kernel's first line
    ends = {k: [] for k in labels}       # QEMU start -> QEMU gone
    own = {k: [] for k in labels}        # hop's first line -> kernel's first line
    stats = {}
    for i in range(rounds):
        order = labels[i % len(labels):] + labels[:i % len(labels)]
        for which in order:
            if which == "direct":
                args = direct_args
            else:
                image, args = variants[which]
                args = ["--hop", image] + args
            rc, out, err, _ = hop_run(["--timing"] + args, timeout)
            t = timing(err)
            if rc != 0 or not t or t[1] is None or (marker and marker not in out):
                say("  %s %s round %d failed (rc %d): %s" % (name, which, i, rc,
                                                               (out + err)[-600:]))
                continue
            times[which].append(t[1])
            ends[which].append(t[2])
            own[which].append(t[1] - t[0])
            if which != "direct" and which not in stats:
                stats[which] = keyvals(out, "hop: stats:")
                rd = re.search(r"hop: RAM disk: module \d+, (\d+) bytes", out)
                if rd:
                    stats[which]["ramdisk_bytes"] = int(rd.group(1))
    out = []
    if not times["direct"]:
        return out
    d, d_end = median(times["direct"]), median(ends["direct"])
    g = "e2e"
    record(g, name + ", direct", "boots", len(times["direct"]))
    record(g, name + ", direct", "first_line_s", round(d, 3), "s")
    record(g, name + ", direct", "end_s", round(d_end, 3), "s")
    record(g, name + ", direct", "first_line_all", " ".join("%.3f" % t for t in times["direct"]),
           "s")
    for label in variants:
        if not times[label]:
            continue
        case = "%s, %s" % (name, label)
        n = min(len(times[label]), len(times["direct"]))
        st = stats.get(label) or {}
        res = {"name": case, "runs": len(times[label]), "hop": median(times[label]),
               "direct": d, "hop_end": median(ends[label]), "direct_end": d_end,
               "hop_own": median(own[label]),
               "pair_ratio": median([h / x for h, x in zip(times[label][:n],
                                                           times["direct"][:n])]),
               "amp": ((st["load_copy"] + st["tramp_copy"] + st["bounce"]) / st["data"])
               if st else None, "extra": st.get("extra")}
        res["ratio"] = res["hop"] / d
        res["end_ratio"] = res["hop_end"] / d_end
        record(g, case, "boots", res["runs"])
        record(g, case, "first_line_s", round(res["hop"], 3), "s")
        record(g, case, "ratio_of_medians", round(res["ratio"], 3))
        record(g, case, "median_round_ratio", round(res["pair_ratio"], 3))
        record(g, case, "hop_first_line_to_kernel_s", round(res["hop_own"], 3), "s")
        record(g, case, "end_s", round(res["hop_end"], 3), "s")
        record(g, case, "end_ratio", round(res["end_ratio"], 3))
        record(g, case, "first_line_all", " ".join("%.3f" % t for t in times[label]), "s")
        if st.get("ramdisk_bytes"):
            # what GRUB reads from disk: hop's image and the RAM disk
            res["grub_reads"] = os.path.getsize(variants[label][0]) + st["ramdisk_bytes"]
            record(g, case, "grub_reads_bytes", res["grub_reads"], "bytes")
        if st:
            record(g, case, "copy_amplification", round(res["amp"], 4))
            record(g, case, "extra_bytes", st["extra"], "bytes")
            record(g, case, "data_bytes", st["data"], "bytes")
        out.append(res)
    return out


def section_e2e(rounds, debian_rounds):
    say("== end to end: QEMU start -> the kernel's first serial line, GRUB (BIOS) -> hop -> "
        "kernel vs GRUB -> kernel")
    stripped = os.path.join(OUT, "hop-stripped.elf")
    subprocess.run(["strip", "-o", stripped, HOP_ELF], check=True)
    sizes = (os.path.getsize(HOP_ELF), os.path.getsize(stripped))
    record("e2e", "hop.elf file", "as_built_bytes", sizes[0], "bytes")
    record("e2e", "hop.elf file", "stripped_bytes", sizes[1], "bytes")
    say("hop.elf as built: %d bytes (debug info included; GRUB reads it all); stripped: %d"
        % sizes)
    variants = lambda args: {"hop.elf as built": (HOP_ELF, args),
                             "hop stripped": (stripped, args)}
    results_ = e2e_rounds(
        "demo (multiboot2)",
        variants(["--via", "grub-bios", "--hop-cmdline", "debug-exit", DEMO_ELF, "--cmdline",
                  "bench"]),
        ["--via", "grub-bios", "--direct", "--direct-protocol", "multiboot2", DEMO_ELF,
         "--cmdline", "bench"], rounds, 120, "tk: ")
    if debian_rounds:
        p = run([os.path.join(paths.TOOLS_DIR, "fetch-debian-kernel")], timeout=900)
        if p.returncode:
            say("  (no Debian kernel: %s)" % (p.stderr.strip()[-300:]))
        else:
            initrd = os.path.join(DEBIAN, "initrd.cpio")
            vmlinuz = os.path.join(DEBIAN, "vmlinuz")
            direct_reads = os.path.getsize(vmlinuz) + os.path.getsize(initrd)
            record("e2e", "Debian 12 Linux, direct", "grub_reads_bytes", direct_reads, "bytes")
            bz = e2e_rounds(
                "Debian 12 bzImage",
                variants(["--via", "grub-bios", "--mem", "512M", "--hop-cmdline", "debug-exit",
                          vmlinuz, "--cmdline", LINUX_CMDLINE, "--module", initrd + "=initrd"]),
                ["--via", "grub-bios", "--mem", "512M", "--direct", "--direct-protocol", "linux",
                 vmlinuz, "--cmdline", LINUX_CMDLINE, "--module", initrd], debian_rounds, 300,
                LINUX_MARKER)
            for r in bz:
                r["direct_reads"] = direct_reads
            results_ += bz
            results_ += e2e_rounds(
                "Debian 12 vmlinux",
                variants(["--via", "grub-bios", "--mem", "512M", "--hop-cmdline",
                          "debug-exit protocol=linux", os.path.join(DEBIAN, "vmlinux"),
                          "--cmdline", LINUX_CMDLINE, "--module",
                          os.path.join(DEBIAN, "initrd.cpio") + "=initrd"]),
                ["--via", "grub-bios", "--mem", "512M", "--direct", "--direct-protocol", "linux",
                 os.path.join(DEBIAN, "vmlinuz"), "--cmdline", LINUX_CMDLINE, "--module",
                 os.path.join(DEBIAN, "initrd.cpio")], debian_rounds, 300, LINUX_MARKER)
    rows = [[r["name"], r["runs"], fmt(r["hop"], 3), fmt(r["direct"], 3), fmt(r["ratio"], 3),
             fmt(r["pair_ratio"], 3), fmt(r["hop_own"], 3), fmt(r["hop_end"], 2),
             fmt(r["direct_end"], 2), fmt(r["end_ratio"], 3), fmt(r["amp"], 3),
             None if r["extra"] is None else "%d" % (r["extra"] // 1024)] for r in results_]
    table(["kernel, loader image", "boots", "hop s", "direct s", "hop/direct", "median round",
           "in hop s", "hop end s", "direct end s", "end ratio", "copy amp", "extra KiB"], rows)
    say("s: median seconds from QEMU's start to the kernel's first serial line (end: QEMU "
        "exits; Debian: after userspace);")
    say("in hop: from hop's first line to the kernel's first line (hop's work after GRUB "
        "loaded it; for Linux also the kernel's own start until its console is up).")
    say("Debian: direct, GRUB loads the 8 MiB bzImage, which decompresses itself; through hop, "
        "GRUB loads a RAM disk with the same bzImage (\"bzImage\") or with the 63 MiB vmlinux "
        "(\"vmlinux\").")
    for r in results_:
        if r.get("grub_reads") and r.get("direct_reads"):
            say("%s: GRUB reads %d bytes through hop, %d direct (%.3fx)" % (
                r["name"], r["grub_reads"], r["direct_reads"],
                r["grub_reads"] / r["direct_reads"]))
    say()


def write_csv():
    path = os.path.join(OUT, "results.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["group", "case", "metric", "value", "unit"])
        w.writerows(results)
    say("results: %s (%d figures)" % (os.path.relpath(path, ROOT), len(results)))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="sizes 1 and 16 MiB, 1 boot each, 3 rounds, 1 Debian round "
                    "(a smoke test)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="sections to run, comma-separated: " + ",".join(SECTIONS))
    ap.add_argument("--sizes", default="1,16,64,256", help="synthetic kernel sizes in MiB")
    ap.add_argument("--reloc-runs", type=int, default=3,
                    help="boots of each synthetic kernel (medians)")
    ap.add_argument("--rounds", type=int, default=7,
                    help="rounds of the demo boots (hop as built, hop stripped, direct)")
    ap.add_argument("--debian-rounds", type=int, default=3,
                    help="rounds of the Debian boots (0: skip)")
    ap.add_argument("--hop", help="the hop image (default: build/hop.elf)")
    ap.add_argument("--bench-kernel", help="default: build/kernels/bench.elf")
    a = ap.parse_args(argv)
    global HOP_ELF, BENCH_ELF
    HOP_ELF = os.path.abspath(a.hop) if a.hop else HOP_ELF
    BENCH_ELF = os.path.abspath(a.bench_kernel) if a.bench_kernel else BENCH_ELF
    if a.quick:
        a.sizes, a.rounds, a.debian_rounds, a.reloc_runs = "1,16", 3, 1, 1
    only = [s for s in a.only.split(",") if s]
    for s in only:
        if s not in SECTIONS:
            ap.error("unknown section %r" % s)
    os.makedirs(OUT, exist_ok=True)
    for f in (HOP_ELF, BENCH_ELF, DEMO_ELF):
        if not os.path.exists(f):
            raise SystemExit("run_bench: %s missing: run make" % f)
    t0 = time.monotonic()
    say("make bench: %s; QEMU TCG on %d CPU(s), load average %s (other work shares the "
        "machine: expect noise)" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(),
                                     " ".join(open("/proc/loadavg").read().split()[:3])))
    say()
    if "size" in only:
        section_size()
    if "host" in only:
        section_host()
    if "relocation" in only:
        section_relocation([int(x) for x in a.sizes.split(",") if x], a.reloc_runs)
    if "e2e" in only:
        section_e2e(a.rounds, a.debian_rounds)
    record("bench", "make bench", "wall_s", round(time.monotonic() - t0, 1), "s")
    write_csv()
    say("make bench: %.0f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
