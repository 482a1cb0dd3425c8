"""Shared helpers for hop's host tools (tools/hop-*, tools/bench).

Modules:
  errors   HopError: a message that says what to do, and an exit status
  cpio     writing and reading cpio "newc" archives (pure Python)
  ramdisk  the RAM disk hop reads: kernel, modules, /hop.cfg
  image    what boot protocol headers an image carries
  iso      GRUB ISOs (grub-mkrescue) and their grub.cfg
  qemu     the QEMU command line, running it, its exit status
  serialin typing into the guest's serial port after a marker
  mkimage  hop-mkimage's images: hybrid ISO, USB disk image (MBR/GPT, FAT
           EFI system partition via mtools, GRUB for UEFI and BIOS)
  paths    source tree or installed (make install): where hop.elf is; the
           source tree's layout (build/, the kernels) for the bench and tests
  exitcode exit statuses: hop's (src/exitcode.h), hop-run's, the tools'
  cli      the tools' command lines: argparse, --opt VALUE, SRC=DEST, the
           top-level run
  elf      ELF program headers: reading PT_LOADs, writing an executable
           (the bench's and the tests' synthetic kernels)
"""
