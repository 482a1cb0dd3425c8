"""Real kernels nobody here wrote: Debian 12's Linux (linux-image-amd64),
its vmlinux extracted from the bzImage by tools/hop-extract-vmlinux, booted
through hop with a busybox-static initramfs whose /init prints a marker and
powers off.  By the Linux 64-bit boot protocol and by PVH, from GRUB BIOS,
GRUB EFI and QEMU's -kernel."""
import os
import subprocess

import pytest

from hoplib.paths import DEBIAN_DIR, DEBIAN_MARKER
from hoptest import TOOLS, hop_run


@pytest.fixture(scope="module")
def debian_kernel():
    subprocess.run([os.path.join(TOOLS, "fetch-debian-kernel")], check=True)
    return os.path.join(DEBIAN_DIR, "vmlinux"), os.path.join(DEBIAN_DIR, "initrd.cpio")


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios", "grub-efi"])
@pytest.mark.parametrize("protocol", ["linux", "pvh"])
def test_debian_linux_reaches_userspace(debian_kernel, via, protocol):
    vmlinux, initrd = debian_kernel
    run = hop_run(vmlinux, "--cmdline", "console=ttyS0 panic=-1 hop_test=1",
                  "--module", initrd + "=initrd", via=via, mem="512M",
                  timeout=240, hop_cmdline=f"debug-exit protocol={protocol}")
    assert f"protocol {protocol}" in run.out, run
    assert "Command line: console=ttyS0 panic=-1 hop_test=1" in run.out, run
    assert DEBIAN_MARKER in run.out, run
    assert "Power down" in run.out, run
    assert run.rc == 0, run


def test_protocol_detected_as_pvh(debian_kernel):
    """Without a protocol= override the Xen PHYS32_ENTRY note picks PVH."""
    vmlinux, initrd = debian_kernel
    run = hop_run(vmlinux, "--cmdline", "console=ttyS0 panic=-1", "--module", initrd + "=initrd",
                  mem="512M", timeout=120)
    assert "protocol pvh" in run.out and "jumping to pvh kernel at 0x1000850" in run.out, run
    assert DEBIAN_MARKER in run.out, run


def test_extract_vmlinux_refuses_non_bzimage(tmp_path):
    bogus = tmp_path / "bogus"
    bogus.write_bytes(b"\0" * 4096)
    p = subprocess.run([os.path.join(TOOLS, "hop-extract-vmlinux"), str(bogus),
                        str(tmp_path / "out")], stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1 and "not a bzImage" in p.stderr
