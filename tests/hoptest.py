"""What the tests share: where things are, running the tools, and for the
QEMU scenarios booting through tools/hop-run and reading what hop printed.

pytest.ini puts tools/ and tests/ on sys.path, so a test file says
`from hoptest import ...` (and `from hoplib import ...` for the tools'
own code).  The paths and the exit statuses are hoplib's (hoplib.paths,
hoplib.exitcode), named here as the tests know them; this module stays
out of hoplib because nothing installed needs it.
"""
import os
import re
import subprocess
import sys

import pytest

from hoplib import paths
from hoplib.exitcode import (EXIT_ERROR, EXIT_EXCEPTION, EXIT_FAIL,  # noqa: F401
                             EXIT_NOTHING, EXIT_PASS, EXIT_TIMEOUT, EXIT_VERIFY)

ROOT = paths.SOURCE_DIR
TOOLS = paths.TOOLS_DIR
HOP_RUN = paths.HOP_RUN
BUILD = paths.BUILD_DIR
HOP_ELF = paths.BUILD_HOP
KERNELS = paths.TEST_KERNELS_DIR           # tests/qemu/kernels
SHIPPED_KERNELS = paths.KERNELS_DIR        # kernels/: demo, bench
DEMO = os.path.join(SHIPPED_KERNELS, "demo.elf")

GIB = 1 << 30
MIB = 1 << 20


def built(path):
    """`path`, which make builds; the test fails when it is missing."""
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run make")
    return path


def tool(name, *args, text=False, env=None, timeout=60):
    """tools/NAME run by this Python with `args`; the CompletedProcess,
    stdout and stderr apart."""
    return subprocess.run([sys.executable, os.path.join(TOOLS, name)] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text, env=env,
                          timeout=timeout)


# --- the QEMU scenarios -----------------------------------------------------

class Run:
    def __init__(self, rc, out):
        self.rc = rc
        self.out = out

    def memory_map(self):
        """hop's printed map as [(start, end, type)]."""
        return [(int(a, 16), int(b, 16), t.strip()) for a, b, t in
                re.findall(r"hop:   mem ([0-9a-f]{16})-([0-9a-f]{16}) (.+)", self.out)]

    def modules(self):
        return [(int(a, 16), int(b, 16), int(n), c) for a, b, n, c in
                re.findall(r'hop:   module \d+ ([0-9a-f]{16})-([0-9a-f]{16}) (\d+) bytes "(.*)"', self.out)]

    def demo_cmdlines(self):
        """The command line(s) the demo kernel printed (one per boot)."""
        return re.findall(r'^demo: command line "(.*)"$', self.out, re.M)

    def demo_modules(self):
        """The demo kernel's modules as [(cmdline, size, crc32)]."""
        return [(c, int(n), int(crc, 16)) for c, n, crc in
                re.findall(r'^demo: module "(.*)" (\d+) bytes crc32 ([0-9a-f]{8})$',
                           self.out, re.M)]

    def __repr__(self):
        """The exit code, every failure line, and the end of the output
        (pytest shortens long reprs, so put what matters first)."""
        lines = self.out.splitlines()
        fails = [l for l in lines if "FAIL" in l or "failed" in l or "error" in l.lower()]
        return "\n".join([f"rc={self.rc}"] + fails[:20] + ["--- last lines:"] + lines[-25:])


def kernel(name):
    """build/tests/kernels/NAME.elf, else build/kernels/NAME.elf."""
    path = os.path.join(KERNELS, name + ".elf")
    if not os.path.exists(path):
        path = os.path.join(SHIPPED_KERNELS, name + ".elf")
    return built(path)


def hop_run(kernel_path, *args, via="qemu-kernel", machine="pc", mem="128M", smp=1,
            timeout=60, hop_cmdline="debug-exit", extra=()):
    cmd = [HOP_RUN, "--via", via, "--machine", machine, "--mem", str(mem), "--smp", str(smp),
           "--timeout", str(timeout), "--hop-cmdline", hop_cmdline, *extra, kernel_path, *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout + 120)
    return Run(p.returncode, p.stdout)


def parse_size(s):
    s = str(s).upper()
    mult = {"K": 1 << 10, "M": MIB, "G": GIB}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def qemu_ram_split(machine, mem):
    """RAM below and above 4 GiB as QEMU 7.2 lays it out (hw/i386/pc_piix.c,
    pc_q35.c): pc keeps up to 3.5 GiB low but aligns to 3 GiB once RAM
    reaches that; q35 keeps 2 GiB low once RAM reaches 2.75 GiB."""
    if machine == "pc":
        low = 0xC0000000 if mem >= 0xE0000000 else mem
    else:
        low = 0x80000000 if mem >= 0xB0000000 else mem
    low = min(low, mem)
    return low, mem - low
