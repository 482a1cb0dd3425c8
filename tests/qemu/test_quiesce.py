"""Quiescing before the jump, proven from a dirty machine (docs/quiesce.md).

build/hop-dirty.elf is hop plus tests/qemu/hop_dirty.c, which, right before
the jump, makes every class of hardware busy (timers firing, interrupts in
service and pending, a NIC DMA-ing into RAM, the IOMMU translating, ISA DMA
unmasked), proves it is, and then runs hop's quiesce steps minus those named
in fw_cfg "opt/hop/dirty".  quietcheck (tests/qemu/kernels/quietcheck.c)
then checks from inside the guest that everything is quiet, and that the
canaries (the NIC's ring and buffer, the handlers' counters, found with nm)
do not change.  With a step skipped, quietcheck must fail the check tagged
with that step's name, and only checks that step explains.

The NIC receives frames the test sends every millisecond over UDP into QEMU's
socket netdev, so its DMA goes on by itself until hop stops it.  A GRUB
scenario shows the production hop.elf clearing bus mastering that GRUB's
setpci set.
"""
import os
import re
import socket
import struct
import subprocess
import threading

import pytest

from hoptest import BUILD, EXIT_FAIL, EXIT_PASS, built, hop_run, kernel

HOP_DIRTY = os.path.join(BUILD, "hop-dirty.elf")
CANARY_SYMBOLS = ("dirty_rx_ring", "dirty_rx_buffer", "dirty_counts")

# hop's quiesce lines, in order (arch/x86_64/quiesce/quiesce.c)
CLASSES = ["8259 PIC", "local APIC", "IO-APIC", "PCI", "IOMMU", "HPET", "PIT", "ISA DMA",
           "pending interrupts"]

# Skipping a step must fail its own check; only these may fail with it, as
# direct consequences: the LAPIC timer keeps interrupting; through an
# unmasked IO-APIC entry the PIT's last edge (QEMU raises it from a timer
# callback, maybe after hop's drain) arrives; the NIC keeps writing the
# canaries.
STEPS = {
    "pic": {"pic"},
    "lapic": {"lapic", "pending"},
    "ioapic": {"ioapic", "pending"},
    "pci": {"pci", "canary"},
    "iommu": {"iommu"},
    "hpet": {"hpet"},
    "pit": {"pit"},
    "isadma": {"isadma"},
    "pending": {"pending"},
}


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PacketSource:
    """Sends an Ethernet broadcast frame with a fresh sequence number every
    millisecond to QEMU's socket netdev until stopped."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.qemu_port = free_udp_port()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._send, daemon=True)

    def netdev(self):
        return "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (self.port, self.qemu_port)

    def _send(self):
        seq = 0
        header = b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x99" + b"\x88\xb5"
        while not self.stop.wait(0.001):
            frame = header + struct.pack("<Q", seq) + bytes(38)
            try:
                self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))
            except OSError:
                pass  # QEMU not listening (yet, or any more)
            seq += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def canaries():
    out = subprocess.run(["nm", "-S", built(HOP_DIRTY)], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] in CANARY_SYMBOLS:
            found[parts[3]] = "canary=0x%s,0x%s" % (parts[0], parts[1])
    assert sorted(found) == sorted(CANARY_SYMBOLS), out
    return " ".join(found[s] for s in CANARY_SYMBOLS)


def dirty_run(machine, skip=(), iommu="intel-iommu", nic="e1000e"):
    qemu = []
    if iommu:
        qemu += ["-device", iommu]      # before the NIC, which sits behind it
    with PacketSource() as source:
        qemu += ["-netdev", source.netdev(), "-device", nic + ",netdev=n0,romfile=",
                 "-fw_cfg", "name=opt/hop/dirty,string=skip=" + ",".join(skip)]
        extra = ["--hop", HOP_DIRTY]
        for arg in qemu:
            extra += ["--qemu-arg", arg]
        return hop_run(kernel("quietcheck"), "--cmdline", canaries(), machine=machine,
                       extra=extra, timeout=60)


def failed_checks(run):
    return set(re.findall(r"tk: FAIL \[(\w+)\]", run.out))


def quiesce_lines(run):
    return re.findall(r"hop: quiesce: ([^:]+): (.*)", run.out)


def check_dirty_and_quiet(run):
    """The machine was dirty before the steps, and quiet after them."""
    assert re.search(r"hop-dirty: LIVE: ", run.out), run
    lines = quiesce_lines(run)
    assert [c for c, _ in lines] == CLASSES, run
    said = dict(lines)
    assert "in service was 0x0001" in said["8259 PIC"] or "in service was 0x0005" in said["8259 PIC"]
    assert "timer was live periodic vector 0x40" in said["local APIC"]
    assert "1 in service (highest 0x30), EOI'd" in said["local APIC"]
    assert "vector 0x41" in said["IO-APIC"] or "vector 0x42" in said["IO-APIC"]
    assert "counter was running, stopped" in said["HPET"]
    assert "was in mode 2" in said["PIT"]
    assert re.search(r"[1-9]\d* accepted and ended \(vectors 0x40", said["pending interrupts"])
    assert "none left" in said["pending interrupts"]
    assert run.rc == EXIT_PASS, run
    assert "tk: FAIL" not in run.out
    assert "0 interrupts in 30 ms" in run.out
    assert len(re.findall(r"quietcheck: canary \S+ crc (\w+) then \1", run.out)) == 3, run
    return said


def test_dirty_q35_intel_iommu():
    run = dirty_run("q35")
    said = check_dirty_and_quiet(run)
    assert "VT-d translation and queued invalidation on" in run.out
    assert "MSI on AHCI on" in run.out
    assert re.search(r"bus mastering was on for \d+: 0000:00:02\.0", said["PCI"])
    assert "MSI was on for 1, MSI-X for 1" in said["PCI"]
    assert "translation was on, now off" in said["IOMMU"]
    assert "queued invalidation was on, now off" in said["IOMMU"]


def test_dirty_q35_amd_iommu():
    run = dirty_run("q35", iommu="amd-iommu")
    said = check_dirty_and_quiet(run)
    assert "AMD-Vi on" in run.out
    assert "AMD-Vi at 0xfed80000: translation was on" in said["IOMMU"]
    assert "1 IOMMUs" in said["PCI"]  # its PCI function keeps bus mastering


def test_dirty_pc():
    said = check_dirty_and_quiet(dirty_run("pc", iommu=None))
    assert re.search(r"ports 0xCF8/0xCFC .* bus mastering was on for 1: 0000:00:03\.0", said["PCI"])
    assert "MSI-X for 1" in said["PCI"]


@pytest.mark.parametrize("machine,step", [("q35", s) for s in sorted(STEPS)] +
                         [("pc", s) for s in sorted(STEPS) if s != "iommu"])
def test_skipping_a_step_fails_its_check(machine, step):
    run = dirty_run(machine, skip=[step], iommu="intel-iommu" if machine == "q35" else None)
    assert "hop-dirty: LIVE: " in run.out, run
    skipped = [c for c, what in quiesce_lines(run) if what.startswith("SKIPPED")]
    assert len(skipped) == 1, run
    assert run.rc == EXIT_FAIL, run
    failed = failed_checks(run)
    assert step in failed, run
    assert failed <= STEPS[step], run
    if step == "pci":
        assert "canary" in failed, run  # the NIC's DMA went on after the jump


def test_grub_setpci_bus_master_cleared():
    """GRUB sets bus mastering on the VGA (firmware leaves it off); the
    production hop clears it.  (GRUB 2.06's setpci VALUE:MASK writes VALUE
    whole, so the full command value is given: firmware's 0x0103 | BME.)"""
    run = hop_run(kernel("quietcheck"), via="grub-bios", machine="pc",
                  extra=["--grub-pre", "setpci -d 1234:1111 COMMAND=0107"])
    pci = dict(quiesce_lines(run))["PCI"]
    assert re.search(r"bus mastering was on for \d+:.* 0000:00:02\.0", pci), run
    assert re.search(r"quietcheck: pci 00:02\.0 1234:1111 class 0300 command 0x0103", run.out), run
    assert run.rc == EXIT_PASS, run


def test_uefi_firmware_state_quiet():
    """What OVMF and GRUB leave (OVMF's LAPIC timer programmed, bus
    mastering on its devices) is quiet after the production hop."""
    run = hop_run(kernel("quietcheck"), via="grub-efi", machine="q35", timeout=120)
    assert [c for c, _ in quiesce_lines(run)] == CLASSES, run
    assert run.rc == EXIT_PASS, run
