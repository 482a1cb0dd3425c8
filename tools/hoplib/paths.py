"""Where things are, in the source tree and once installed (make install).

Source tree:  tools/hop-*, tools/hoplib/, build/hop.elf
Installed:    PREFIX/bin/hop-*, PREFIX/lib/hop/hoplib/, /boot/hop.elf

Each tool finds hoplib itself before it can import this module (the same
few lines at its top: tools/hoplib next to the tool, else
../lib/hop/hoplib); this module answers the rest.

SOURCE_DIR and the names below it are hop's source tree as make lays it
out, for what runs only from there (tools/bench/run_bench.py, the tests);
they mean nothing for an installed hoplib.
"""

import os

INSTALLED_HOP = "/boot/hop.elf"

# --- hop's source tree (this file is tools/hoplib/paths.py in it) ---------
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS_DIR = os.path.join(SOURCE_DIR, "tools")
HOP_RUN = os.path.join(TOOLS_DIR, "hop-run")
BUILD_DIR = os.path.join(SOURCE_DIR, "build")
BUILD_HOP = os.path.join(BUILD_DIR, "hop.elf")
KERNELS_DIR = os.path.join(BUILD_DIR, "kernels")                # kernels/: demo, bench
TEST_KERNELS_DIR = os.path.join(BUILD_DIR, "tests", "kernels")  # tests/qemu/kernels
DEBIAN_DIR = os.path.join(BUILD_DIR, "debian")   # tools/fetch-debian-kernel's
DEBIAN_MARKER = "HOP-LINUX-MARKER: userspace reached"   # its initrd's /init says
DEBIAN_CMDLINE = "HOP-LINUX-CMDLINE: "    # then /proc/cmdline, first thing
# tools/fetch-debian-xen's dom0 initramfs: its /init says the marker, then
# the prefix followed by dom0's /proc/cmdline
XEN_DOM0_MARKER = "HOP-XEN-DOM0: userspace reached"
XEN_DOM0_CMDLINE = "HOP-XEN-DOM0: cmdline "


def in_source_tree(tools_dir):
    """True when the tool in `tools_dir` runs from hop's source tree."""
    return os.path.isdir(os.path.join(tools_dir, "hoplib"))


def default_hop(tools_dir):
    """The loader image a tool uses unless told: build/hop.elf of the
    source tree, or /boot/hop.elf (where make install puts it)."""
    if in_source_tree(tools_dir):
        return os.path.join(os.path.dirname(tools_dir), "build", "hop.elf")
    return INSTALLED_HOP


def missing_hop_hint(tools_dir, path):
    """What to say when the loader image `path` is missing."""
    if os.path.abspath(path) != os.path.abspath(default_hop(tools_dir)):
        return ""
    if in_source_tree(tools_dir):
        return ": run make first"
    return ": install hop (make install in hop's source tree) or give --hop"
