"""hop chainloading hop: the first hop boots a second one as a multiboot2
kernel; the second lists the modules the first passed on, reads its own RAM
disk from them and boots the demo kernel."""
from hoplib import cpio
from hoptest import EXIT_PASS, HOP_ELF, hop_run, kernel


def test_hop_chainloads_hop(tmp_path):
    demo = kernel("demo")
    inner = tmp_path / "inner.cpio"
    with open(demo, "rb") as f:
        demo_bytes = f.read()
    cfg = b"timeout=0\nentry=inner demo\nkernel=/boot/demo.elf\ncmdline=from the second hop\n"
    w = cpio.CpioWriter()
    w.add_file("boot/demo.elf", demo_bytes)
    w.add_file("hop.cfg", cfg)
    inner.write_bytes(w.getvalue())
    run = hop_run(HOP_ELF, "--cmdline", "debug-exit",
                  "--module", f"{inner}=ramdisk")
    assert run.rc == EXIT_PASS, run
    # The second hop says who loaded it and lists what it was given.
    assert "loaded by hop 0.1 (GRUB 2 compatible) (multiboot2)" in run.out, run
    assert 'module 0' in run.out and '"ramdisk"' in run.out, run
    assert 'demo: command line "from the second hop"' in run.out, run
