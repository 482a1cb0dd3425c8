"""Shared helpers for hop's host tools (tools/hop-run and later ones).

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
  paths    source tree or installed (make install): where hop.elf is
"""
