"""Xen 4.17 as Debian 12 ships it (xen-hypervisor-4.17-amd64), booted through
hop with Debian's Linux as dom0 and a busybox initramfs: by multiboot2 (what
hop picks for it) from QEMU's -kernel and from GRUB BIOS, and by multiboot1
(protocol=multiboot1) from QEMU's -kernel.  Checked from inside: Xen's own command
line as Xen printed it, dom0's /proc/cmdline as dom0's /init printed it, and
dom0 userspace, whose poweroff ends the run (Xen enters ACPI S5).

QEMU's default CPU model (hop-run passes no -cpu): Debian's dom0 crashes
under TCG with -cpu max."""
import os
import re
import subprocess

import pytest

from hoplib.paths import DEBIAN_DIR, XEN_DOM0_CMDLINE, XEN_DOM0_MARKER
from hoptest import TOOLS, hop_run

XEN_CMDLINE = "console=com1 com1=115200 dom0_mem=256M"
DOM0_CMDLINE = "console=hvc0 earlyprintk=xen panic=-1 hop_test=xen-dom0"


@pytest.fixture(scope="module")
def debian_xen():
    subprocess.run([os.path.join(TOOLS, "fetch-debian-kernel")], check=True)
    subprocess.run([os.path.join(TOOLS, "fetch-debian-xen")], check=True)
    return tuple(os.path.join(DEBIAN_DIR, f) for f in ("xen.gz", "vmlinuz", "dom0-initrd.cpio"))


def printed(out, prefix):
    """Every line of `out` that starts with `prefix`, without it."""
    return [l[len(prefix):].rstrip("\r") for l in out.splitlines() if l.startswith(prefix)]


@pytest.mark.parametrize("via,protocol", [("qemu-kernel", "multiboot2"),
                                          ("grub-bios", "multiboot2"),
                                          ("qemu-kernel", "multiboot1")])
def test_xen_dom0_reaches_userspace(debian_xen, via, protocol):
    xen, vmlinuz, initrd = debian_xen
    hop_cmdline = "debug-exit" if protocol == "multiboot2" else f"debug-exit protocol={protocol}"
    run = hop_run(xen, "--cmdline", XEN_CMDLINE, "--module", f"{vmlinuz}={DOM0_CMDLINE}",
                  "--module", initrd, via=via, mem="1G", timeout=240, hop_cmdline=hop_cmdline)
    assert re.search(r"^hop: /boot/xen\.gz: \d+ bytes \(inflated\), protocol %s$" % protocol,
                     run.out, re.M), run
    assert f"hop: jumping to {protocol} kernel" in run.out, run
    assert printed(run.out, "(XEN) Bootloader: ") == ["hop 0.1 (GRUB 2 compatible)"], run
    assert printed(run.out, "(XEN) Command line: ") == [XEN_CMDLINE], run
    assert XEN_DOM0_MARKER in run.out, run
    assert printed(run.out, XEN_DOM0_CMDLINE) == [DOM0_CMDLINE], run
    assert "(XEN) Entering ACPI S5 state." in run.out, run
    assert run.rc == 0, run
