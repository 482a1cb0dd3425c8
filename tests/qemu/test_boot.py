"""The walking skeleton: hop boots by every route, on both machines, with
small and large memory and one or four CPUs, and prints a memory map that
matches what QEMU really gave the guest."""
import pytest

from hoptest import (EXIT_PASS, GIB, MIB, hop_run, kernel, parse_size,
                     qemu_ram_split)

ROUTES = ["qemu-kernel", "grub-bios", "grub-efi"]
MACHINES = ["pc", "q35"]
SHAPES = [("128M", 1), ("128M", 4), ("6G", 1), ("6G", 4)]

# Firmware keeps a little RAM for itself (SeaBIOS: EBDA and tables; OVMF:
# runtime services, ACPI, NVS).  More than this missing means a parsing bug.
FIRMWARE_SLACK = {"qemu-kernel": 2 * MIB, "grub-bios": 2 * MIB, "grub-efi": 48 * MIB}


def check_map(run, route, machine, mem):
    regions = run.memory_map()
    assert regions, "hop printed no memory map"
    for (s, e, _), (s2, _, _) in zip(regions, regions[1:]):
        assert e <= s2, f"map not sorted/disjoint at {s:#x}"
    for s, e, t in regions:
        assert s < e
    usable = [(s, e) for s, e, t in regions if t == "usable"]
    total = sum(e - s for s, e in usable)
    low, high = qemu_ram_split(machine, mem)
    assert total <= mem, f"usable {total:#x} exceeds the RAM QEMU has ({mem:#x})"
    assert total >= mem - FIRMWARE_SLACK[route], f"usable {total:#x} far below RAM {mem:#x}"
    for s, e in usable:
        # nothing usable in the legacy VGA/BIOS hole, or between low RAM and 4 GiB
        assert e <= 0xA0000 or s >= 0x100000, f"usable {s:#x}-{e:#x} in the VGA/BIOS hole"
        assert e <= low or s >= 4 * GIB, f"usable {s:#x}-{e:#x} beyond low RAM {low:#x}"
    if high:
        assert (4 * GIB, 4 * GIB + high) in usable, f"high RAM 4G+{high:#x} not reported"
    else:
        assert all(e <= 4 * GIB for _, e in usable)
    # the RAM at 1 MiB is there and usable on every route
    assert any(s <= 0x100000 < e for s, e in usable)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("mem,smp", SHAPES)
def test_boot_lists_map_and_modules(route, machine, mem, smp):
    k = kernel("demo")
    run = hop_run(k, "--cmdline", "demo args", via=route, machine=machine, mem=mem, smp=smp,
                  timeout=120 if route == "grub-efi" else 60)
    assert run.rc == EXIT_PASS, run
    assert "hop 0.1: loaded by" in run.out
    assert 'demo: command line "demo args"' in run.out
    assert "tk: 1 checks, 0 failed: PASS" in run.out
    check_map(run, route, machine, parse_size(mem))
    mods = run.modules()
    assert len(mods) == 1, run
    start, end, size, _ = mods[0]
    assert start % 4096 == 0, "module not page aligned"
    assert size == end - start > 0


def test_demo_kernel_direct():
    """The test kernel alone proves the serial and exit path of the harness."""
    run = hop_run(kernel("demo"), "--cmdline", "direct args", extra=["--direct"])
    assert run.rc == EXIT_PASS, run
    assert 'direct args"' in run.out  # QEMU puts the file name first
