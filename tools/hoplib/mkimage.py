"""Bootable images for users (tools/hop-mkimage): GRUB, hop and a RAM disk.

ISO (`build_iso`): grub-mkrescue (see iso.py) makes a hybrid image: El
Torito for BIOS (GRUB i386-pc) and for UEFI (an EFI system partition image
holding GRUB x86_64-efi), plus an MBR, so the same file boots as a CD/DVD
and written to a USB stick.  Files on it: /boot/grub/grub.cfg,
/boot/hop.elf, /boot/ramdisk.cpio.

Disk (`build_disk`): a raw disk image for a USB stick, made without root,
loop devices or partitioning tools:
  - a partition table, MBR (default) or GPT, with one FAT32 EFI system
    partition starting at 1 MiB (mtools: mformat, mmd, mcopy), holding
        EFI/BOOT/BOOTX64.EFI   GRUB for UEFI: grub-mkimage -O x86_64-efi
                               with the modules built in and prefix
                               /boot/grub on the device it was loaded from
        boot/grub/grub.cfg     the same menu as on the ISO
        boot/hop.elf, boot/ramdisk.cpio
  - for BIOS machines, GRUB's boot.img in the first sector and its core.img
    (grub-mkimage -O i386-pc, prefix "(,msdos1)/boot/grub" or
    "(,gpt1)/boot/grub": partition 1 of the disk booted from) in the
    sectors before the partition (MBR) or in a BIOS boot partition (GPT,
    sectors 34-2047), as grub-install would put them.

The grub.cfg is a plain one (`user_grub_cfg`): menu entry "hop", timeout
0, `multiboot2 /boot/hop.elf ARGS` and `module2 /boot/ramdisk.cpio
ramdisk`.
"""

import os
import shutil
import struct
import subprocess
import tempfile
import uuid
import zlib

from . import iso
from .errors import HopError

SECTOR = 512
MIB = 1 << 20
PART_START = MIB                 # the EFI system partition starts at 1 MiB
PART_START_LBA = PART_START // SECTOR
FAT32_MIN = 34 * MIB             # >= 65525 clusters of one sector, and slack
GPT_ENTRIES = 128
GPT_ENTRY_SIZE = 128
GPT_TABLE_SECTORS = GPT_ENTRIES * GPT_ENTRY_SIZE // SECTOR     # 32
GPT_FIRST_USABLE = 2 + GPT_TABLE_SECTORS                       # 34
ESP_TYPE_GUID = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
BIOS_BOOT_TYPE_GUID = uuid.UUID("21686148-6449-6E6F-744E-656564454649")
MBR_TYPE_ESP = 0xEF
MBR_TYPE_GPT_PROTECTIVE = 0xEE

HOP_NAME = "hop.elf"
RAMDISK_NAME = "ramdisk.cpio"
BOOT_DIR = "boot"

GRUB_EFI_DIR = os.path.join(iso.GRUB_LIB, "x86_64-efi")
GRUB_BIOS_DIR = os.path.join(iso.GRUB_LIB, "i386-pc")
GRUB_PREFIX = "/boot/grub"
# Built into the GRUB images of the disk image (nothing is loaded from the
# disk but grub.cfg): what the menu needs, and a few commands for a user who
# edits grub.cfg or types at GRUB's prompt.
GRUB_MODULES = ("normal configfile echo test boot part_msdos part_gpt fat "
                "multiboot2 multiboot linux all_video gzio serial terminal "
                "search ls cat reboot halt").split()
GRUB_BIOS_EXTRA = ["biosdisk"]

# boot.img (GRUB's MBR code, grub-core/boot/i386/pc/boot.S) and diskboot.img
# (the first sector of core.img): the fields grub-setup patches.
BOOT_IMG_KERNEL_SECTOR = 0x5C    # u64: LBA of core.img's first sector
BOOT_IMG_DRIVE_CHECK = 0x66      # 2 bytes: a jmp; nop-ed for hard disks
BOOT_IMG_CODE_END = 0x1B8        # then disk signature and partition table
DISKBOOT_BLOCKLIST = SECTOR - 12  # u64 start, u16 sectors, u16 segment

PACKAGES = "grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools"
INSTALL_HINT = ("install %s (make deps in hop's source tree; on Debian: "
                "sudo apt-get install them)" % PACKAGES)


# --- grub.cfg -------------------------------------------------------------------

def user_grub_cfg(hop_cmdline="", timeout=0, serial=False, title="hop"):
    """The grub.cfg of the images: one entry that boots hop with the RAM
    disk.  `serial` also puts GRUB's own menu and messages on COM1."""
    lines = ["# grub.cfg made by hop-mkimage: GRUB loads hop, hop boots what",
             "# /hop.cfg in the RAM disk says (docs/config.md).",
             "set timeout=%d" % timeout,
             "set default=0",
             # multiboot2 on UEFI: GRUB needs a video driver for the
             # framebuffer it describes to hop.
             "insmod all_video"]
    if serial:
        lines += ["serial --unit=0 --speed=115200",
                  "terminal_input console serial",
                  "terminal_output console serial"]
    args = iso.grub_args(hop_cmdline)
    lines += ["",
              "menuentry %s --id hop {" % iso.grub_quote(title),
              "    multiboot2 /%s/%s%s" % (BOOT_DIR, HOP_NAME,
                                           " " + args if args else ""),
              "    module2 /%s/%s ramdisk" % (BOOT_DIR, RAMDISK_NAME),
              "}"]
    return "\n".join(lines) + "\n"


# --- tools ------------------------------------------------------------------------

def missing_tools(kind, bios=True):
    """What is missing to make a `kind` ("iso" or "disk") image."""
    if kind == "iso":
        programs = [("grub-mkrescue", "grub-common"), ("xorriso", "xorriso"),
                    ("mformat", "mtools")]
        dirs = [(GRUB_BIOS_DIR, "grub-pc-bin"),
                (GRUB_EFI_DIR, "grub-efi-amd64-bin")]
    else:
        programs = [("grub-mkimage", "grub-common"), ("mformat", "mtools"),
                    ("mmd", "mtools"), ("mcopy", "mtools")]
        dirs = [(GRUB_EFI_DIR, "grub-efi-amd64-bin")]
        if bios:
            dirs.append((GRUB_BIOS_DIR, "grub-pc-bin"))
    missing = ["%s (package %s)" % (p, pkg) for p, pkg in programs
               if shutil.which(p) is None]
    missing += ["%s (package %s)" % (d, pkg) for d, pkg in dirs
                if not os.path.isdir(d)]
    return missing


def check_tools(kind, bios=True):
    missing = missing_tools(kind, bios)
    if missing:
        raise HopError("missing %s: %s" % (", ".join(missing), INSTALL_HINT))


def _run(cmd, what, env=None):
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        raise HopError("cannot run %s: %s: %s" % (cmd[0], e.strerror,
                                                  INSTALL_HINT))
    if proc.returncode != 0:
        raise HopError("%s failed (%s, status %d):\n%s" % (
            what, cmd[0], proc.returncode,
            proc.stdout.decode("utf-8", "replace").rstrip()))
    return proc.stdout


# --- ISO --------------------------------------------------------------------------

def build_iso(workdir, output, hop, ramdisk_data, grub_cfg):
    """Hybrid BIOS+UEFI ISO at `output`, built in `workdir`."""
    tree = os.path.join(workdir, "iso")
    os.makedirs(os.path.join(tree, BOOT_DIR, "grub"))
    shutil.copyfile(hop, os.path.join(tree, BOOT_DIR, HOP_NAME))
    _write(os.path.join(tree, BOOT_DIR, RAMDISK_NAME), ramdisk_data)
    _write(os.path.join(tree, BOOT_DIR, "grub", "grub.cfg"),
           grub_cfg.encode("utf-8"))
    tmp = _temp_beside(output, ".iso")
    try:
        os.unlink(tmp)                  # grub-mkrescue makes it
        iso.build_iso(tree, tmp)
        _finish(tmp, output)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _temp_beside(dest, suffix):
    """A new empty file next to `dest`, to build in and rename: `dest` is
    never left half written."""
    dest_dir = os.path.dirname(os.path.abspath(dest))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hop-mkimage-", suffix=suffix,
                                   dir=dest_dir)
    except OSError as e:
        raise HopError("cannot write in %s: %s" % (dest_dir, e.strerror))
    os.close(fd)
    os.chmod(tmp, 0o644)
    return tmp


def _finish(tmp, dest):
    os.replace(tmp, dest)


# --- disk image: partition tables -------------------------------------------------

def _chs(lba):
    """CHS bytes of an MBR entry for 255 heads, 63 sectors (0xFE 0xFF 0xFF
    beyond what CHS can address; firmware uses the LBA fields)."""
    cyl, rest = divmod(lba, 255 * 63)
    if cyl > 1023:
        return b"\xfe\xff\xff"
    head, sect = divmod(rest, 63)
    return bytes([head, ((cyl >> 2) & 0xC0) | (sect + 1), cyl & 0xFF])


def mbr_entry(bootable, ptype, start, count):
    return struct.pack("<B3sB3sII", 0x80 if bootable else 0, _chs(start),
                       ptype, _chs(start + count - 1), start, count)


def mbr(entries, code=b"", signature=0):
    """Sector 0: boot code (at most 440 bytes), disk signature, up to four
    partition entries (bytes from mbr_entry), 0x55AA."""
    if len(code) > BOOT_IMG_CODE_END:
        raise ValueError("MBR boot code longer than 440 bytes")
    table = b"".join(entries).ljust(64, b"\0")
    return (code.ljust(BOOT_IMG_CODE_END, b"\0") +
            struct.pack("<IH", signature, 0) + table + b"\x55\xaa")


class GptPartition:
    def __init__(self, type_guid, first, last, name, guid=None):
        self.type_guid = type_guid
        self.first = first            # LBAs, inclusive
        self.last = last
        self.name = name
        self.guid = guid or uuid.uuid4()

    def entry(self):
        name = self.name.encode("utf-16-le")[:72].ljust(72, b"\0")
        return struct.pack("<16s16sQQQ72s", self.type_guid.bytes_le,
                           self.guid.bytes_le, self.first, self.last, 0, name)


def gpt(total_sectors, partitions, disk_guid=None):
    """(primary, backup) GPT structures for a disk of `total_sectors`:
    primary = header (LBA 1, one sector) + entry array (LBA 2-33); backup =
    entry array + header, for the disk's last 33 sectors."""
    disk_guid = disk_guid or uuid.uuid4()
    last = total_sectors - 1
    table = b"".join(p.entry() for p in partitions)
    table = table.ljust(GPT_ENTRIES * GPT_ENTRY_SIZE, b"\0")
    table_crc = zlib.crc32(table)

    def header(current, backup, entries_lba):
        fields = [b"EFI PART", 0x00010000, 92, 0, 0, current, backup,
                  GPT_FIRST_USABLE, last - 1 - GPT_TABLE_SECTORS,
                  disk_guid.bytes_le, entries_lba, GPT_ENTRIES,
                  GPT_ENTRY_SIZE, table_crc]
        fmt = "<8sIIIIQQQQ16sQIII"
        raw = struct.pack(fmt, *fields)
        fields[3] = zlib.crc32(raw)
        return struct.pack(fmt, *fields).ljust(SECTOR, b"\0")

    primary = header(1, last, 2) + table
    backup = table + header(last, 1, last - GPT_TABLE_SECTORS)
    return primary, backup


# --- disk image: GRUB -------------------------------------------------------------

def grub_efi_image(workdir):
    """GRUB for UEFI with every module it needs built in; it reads
    /boot/grub/grub.cfg from the partition it was loaded from."""
    out = os.path.join(workdir, "BOOTX64.EFI")
    _run(["grub-mkimage", "-O", "x86_64-efi", "-d", GRUB_EFI_DIR,
          "-p", GRUB_PREFIX, "-o", out] + GRUB_MODULES, "making GRUB for UEFI")
    return out


def grub_bios_images(workdir, partition, core_lba, max_sectors):
    """(MBR boot code, core.img bytes) for BIOS: core.img at `core_lba`,
    its prefix on `partition` ("msdos1", "gpt1") of the disk booted from.
    Patched as grub-setup does for a core.img embedded after the MBR."""
    out = os.path.join(workdir, "core.img")
    _run(["grub-mkimage", "-O", "i386-pc", "-d", GRUB_BIOS_DIR,
          "-p", "(,%s)%s" % (partition, GRUB_PREFIX), "-o", out]
         + GRUB_BIOS_EXTRA + GRUB_MODULES, "making GRUB for BIOS")
    with open(out, "rb") as f:
        core = bytearray(f.read())
    sectors = (len(core) + SECTOR - 1) // SECTOR
    if sectors > max_sectors:
        raise HopError("GRUB's core.img (%d bytes) does not fit in the %d "
                       "sectors before the partition" % (len(core), max_sectors))
    # diskboot.img loads the rest of core.img: blocklist (start, count, segment)
    start, count, segment = struct.unpack_from("<QHH", core, DISKBOOT_BLOCKLIST)
    if count != sectors - 1:
        raise HopError("unexpected core.img layout (blocklist %d sectors, "
                       "image %d)" % (count, sectors))
    struct.pack_into("<QHH", core, DISKBOOT_BLOCKLIST, core_lba + 1, count,
                     segment)
    with open(os.path.join(GRUB_BIOS_DIR, "boot.img"), "rb") as f:
        boot = bytearray(f.read())
    if len(boot) != SECTOR:
        raise HopError("unexpected size of %s/boot.img" % GRUB_BIOS_DIR)
    struct.pack_into("<Q", boot, BOOT_IMG_KERNEL_SECTOR, core_lba)
    boot[BOOT_IMG_DRIVE_CHECK:BOOT_IMG_DRIVE_CHECK + 2] = b"\x90\x90"
    return bytes(boot[:BOOT_IMG_CODE_END]), bytes(core)


# --- disk image: the FAT file system (mtools) -------------------------------------

def _mtools_env():
    env = dict(os.environ)
    env["MTOOLS_SKIP_CHECK"] = "1"      # no geometry complaints
    env["MTOOLSRC"] = os.devnull        # no user settings
    env.pop("MTOOLS_LOWER_CASE", None)
    return env


def make_fat(image, offset, size, files, label="HOP", serial=None):
    """A FAT32 file system in image[offset, offset + size) (mformat), with
    `files`: (path on the file system, host file) pairs (mmd, mcopy)."""
    env = _mtools_env()
    if "@@" in image:
        raise HopError("mtools cannot use a path with '@@' in it: %s" % image)
    target = "%s@@%d" % (image, offset)
    serial = serial if serial is not None else uuid.uuid4().int & 0xFFFFFFFF
    _run(["mformat", "-i", target, "-F", "-T", str(size // SECTOR),
          "-h", "64", "-s", "32", "-H", str(offset // SECTOR),
          "-v", label, "-N", "%08x" % serial, "::"],
         "making the FAT file system", env)
    dirs = set()
    for dest, _ in files:
        parts = dest.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs, key=lambda d: (d.count("/"), d)):
        _run(["mmd", "-i", target, "::/" + d], "mmd", env)
    for dest, src in files:
        _run(["mcopy", "-i", target, "-m", src, "::/" + dest.strip("/")],
             "copying %s" % dest, env)


# --- disk image -------------------------------------------------------------------

def build_disk(workdir, output, hop, ramdisk_data, grub_cfg, table="mbr",
               bios=True, size=None):
    """A raw disk image at `output` (see the module's doc).  size: total
    bytes (None: what the files need, at least 35 MiB, 36 with GPT);
    table: "mbr" or "gpt"; bios: also make it boot on BIOS machines."""
    if table not in ("mbr", "gpt"):
        raise ValueError(table)
    files_dir = os.path.join(workdir, "esp")
    os.makedirs(files_dir)
    rd_path = os.path.join(files_dir, RAMDISK_NAME)
    cfg_path = os.path.join(files_dir, "grub.cfg")
    _write(rd_path, ramdisk_data)
    _write(cfg_path, grub_cfg.encode("utf-8"))
    files = [("EFI/BOOT/BOOTX64.EFI", grub_efi_image(workdir)),
             ("boot/grub/grub.cfg", cfg_path),
             ("%s/%s" % (BOOT_DIR, HOP_NAME), hop),
             ("%s/%s" % (BOOT_DIR, RAMDISK_NAME), rd_path)]
    content = sum(os.path.getsize(src) for _, src in files)
    tail = MIB if table == "gpt" else 0          # room for the backup GPT
    part_size = max(FAT32_MIN, _round_up(content * 5 // 4 + 2 * MIB, MIB))
    total = PART_START + part_size + tail
    if size is not None:
        if size < total:
            raise HopError("--size %d MiB is too small: the image needs %d MiB"
                           % (size // MIB, _round_up(total, MIB) // MIB))
        total = _round_up(size, SECTOR)
        part_size = _round_down(total - PART_START - tail, SECTOR)
    sectors = total // SECTOR
    part_sectors = part_size // SECTOR
    if table == "mbr" and sectors > 0xFFFFFFFF:
        raise HopError("an MBR partition table addresses at most 2 TiB: "
                       "use --table gpt or a smaller --size")

    boot_code, core = b"", None
    if table == "mbr":
        if bios:
            boot_code, core = grub_bios_images(workdir, "msdos1", 1,
                                               PART_START_LBA - 1)
        head = mbr([mbr_entry(True, MBR_TYPE_ESP, PART_START_LBA,
                              part_sectors)], boot_code,
                   uuid.uuid4().int & 0xFFFFFFFF)
        backup = b""
    else:
        parts = [GptPartition(ESP_TYPE_GUID, PART_START_LBA,
                              PART_START_LBA + part_sectors - 1,
                              "EFI system partition")]
        if bios:
            boot_code, core = grub_bios_images(
                workdir, "gpt1", GPT_FIRST_USABLE,
                PART_START_LBA - GPT_FIRST_USABLE)
            parts.append(GptPartition(BIOS_BOOT_TYPE_GUID, GPT_FIRST_USABLE,
                                      PART_START_LBA - 1, "BIOS boot partition"))
        primary, backup = gpt(sectors, parts)
        protective = mbr_entry(False, MBR_TYPE_GPT_PROTECTIVE, 1,
                               min(sectors - 1, 0xFFFFFFFF))
        head = mbr([protective], boot_code) + primary

    image = _temp_beside(output, ".img")
    try:
        _write_disk(image, total, head, core, backup,
                    1 if table == "mbr" else GPT_FIRST_USABLE)
        make_fat(image, PART_START, part_size, files)
        _finish(image, output)
    finally:
        if os.path.lexists(image):
            os.unlink(image)
    return {"size": total, "partition_size": part_size, "table": table,
            "bios": bios}


def _write_disk(image, total, head, core, backup, core_lba):
    with open(image, "wb") as f:
        f.truncate(total)                   # sparse: only what is written
        f.write(head)
        if core is not None:
            f.seek(core_lba * SECTOR)
            f.write(core)
        if backup:
            f.seek(total - len(backup))
            f.write(backup)


def _round_up(n, unit):
    return (n + unit - 1) // unit * unit


def _round_down(n, unit):
    return n // unit * unit
