"""cpio "newc" (SVR4, no CRC) archives, written and read in pure Python.

Format (see the cpio(5) manual page, "New ASCII Format"): each member is a
110-byte header of ASCII fields, the name with its NUL, padding to a multiple
of 4 bytes (counted from the start of the header), the data, padding to a
multiple of 4 bytes.  The archive ends with a member named "TRAILER!!!".

Names are stored without a leading "/" ("boot/kernel.elf"), as Linux's
gen_init_cpio and `find . | cpio -o` without "./" do; a reader should accept
"/x", "./x" and "x" alike.  Parent directories get their own entries, before
their contents.  Times and owners are 0 by default so that the same inputs
give the same bytes.
"""

import os
import stat

MAGIC = b"070701"
HEADER_SIZE = 110
TRAILER_NAME = "TRAILER!!!"
ALIGN = 4

# Field order of the header after the magic; each field is 8 hex digits.
FIELDS = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
          "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check")

DIR_MODE = stat.S_IFDIR | 0o755
FILE_MODE = stat.S_IFREG | 0o644
SYMLINK_MODE = stat.S_IFLNK | 0o777


def _pad(length):
    return b"\0" * (-length % ALIGN)


def normalize_name(name):
    """'/boot//x', './boot/x' -> 'boot/x'; refuses '..' and empty names."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        raise ValueError("empty cpio member name: %r" % name)
    if ".." in parts:
        raise ValueError("cpio member name with '..': %r" % name)
    return "/".join(parts)


def header(name, mode, filesize, ino, nlink=1, mtime=0, uid=0, gid=0):
    """The header bytes of one member, name, NUL and padding included."""
    name_bytes = name.encode("utf-8") + b"\0"
    values = {"ino": ino, "mode": mode, "uid": uid, "gid": gid,
              "nlink": nlink, "mtime": mtime, "filesize": filesize,
              "devmajor": 0, "devminor": 0, "rdevmajor": 0, "rdevminor": 0,
              "namesize": len(name_bytes), "check": 0}
    for key, value in values.items():
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError("cpio field %s out of range for %r: %d"
                             % (key, name, value))
    head = MAGIC + b"".join(b"%08X" % values[f] for f in FIELDS) + name_bytes
    return head + _pad(len(head))


class CpioWriter:
    """Collects members in memory; `getvalue()` returns the archive bytes.

    >>> w = CpioWriter(); w.add_file("boot/k.elf", b"..."); data = w.getvalue()
    """

    def __init__(self, mtime=0):
        self._chunks = []
        self._names = {}          # name -> mode, to refuse duplicates
        self._next_ino = 1
        self._mtime = mtime
        self._closed = False

    def __contains__(self, name):
        return normalize_name(name) in self._names

    def names(self):
        return list(self._names)

    def _add(self, name, mode, data, nlink):
        if self._closed:
            raise ValueError("cpio archive already finished")
        self._chunks.append(header(name, mode, len(data), self._next_ino,
                                   nlink=nlink, mtime=self._mtime))
        self._chunks.append(data)
        self._chunks.append(_pad(len(data)))
        self._names[name] = mode
        self._next_ino += 1

    def _add_parents(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.add_dir("/".join(parts[:i]))

    def add_dir(self, name, mode=DIR_MODE):
        """Add a directory (and its parents); adding one twice is fine."""
        name = normalize_name(name)
        if name in self._names:
            if not stat.S_ISDIR(self._names[name]):
                raise ValueError("cpio: %r is already a file" % name)
            return
        self._add_parents(name)
        self._add(name, mode, b"", nlink=2)

    def add_file(self, name, data, mode=FILE_MODE):
        """Add a regular file with contents `data` (bytes); parents first."""
        name = normalize_name(name)
        if name in self._names:
            raise ValueError("cpio: %r added twice" % name)
        self._add_parents(name)
        self._add(name, stat.S_IFREG | (mode & 0o7777), bytes(data), nlink=1)

    def add_symlink(self, name, target):
        name = normalize_name(name)
        if name in self._names:
            raise ValueError("cpio: %r added twice" % name)
        self._add_parents(name)
        self._add(name, SYMLINK_MODE, target.encode("utf-8"), nlink=1)

    def add_path(self, name, src):
        """Add host file or directory tree `src` as `name`."""
        if os.path.isdir(src) and not os.path.islink(src):
            self.add_dir(name)
            for entry in sorted(os.listdir(src)):
                self.add_path(name + "/" + entry, os.path.join(src, entry))
        elif os.path.islink(src):
            self.add_symlink(name, os.readlink(src))
        else:
            with open(src, "rb") as f:
                self.add_file(name, f.read(), mode=os.stat(src).st_mode)

    def getvalue(self, block=0):
        """The archive, trailer included; padded with zeros to a multiple
        of `block` bytes when `block` is given (cpio(1) pads to 512)."""
        if not self._closed:
            self._chunks.append(header(TRAILER_NAME, 0, 0, 0, nlink=1))
            self._closed = True
        data = b"".join(self._chunks)
        if block:
            data += b"\0" * (-len(data) % block)
        return data


class CpioEntry:
    def __init__(self, name, fields, data, offset):
        self.name = name
        self.fields = fields      # dict of the header's numeric fields
        self.data = data
        self.offset = offset      # of the header in the archive
        self.mode = fields["mode"]

    def is_dir(self):
        return stat.S_ISDIR(self.mode)

    def is_file(self):
        return stat.S_ISREG(self.mode)

    def __repr__(self):
        return "CpioEntry(%r, mode=%o, size=%d)" % (self.name, self.mode,
                                                     len(self.data))


def read(data):
    """Parse a newc archive; returns the entries before the trailer.

    Strict: raises ValueError on a bad magic, a truncated member, a name
    without its NUL, or a missing trailer.
    """
    entries = []
    pos = 0
    while True:
        if pos + HEADER_SIZE > len(data):
            raise ValueError("cpio: truncated header at offset %d" % pos)
        if data[pos:pos + 6] != MAGIC:
            raise ValueError("cpio: bad magic %r at offset %d"
                             % (data[pos:pos + 6], pos))
        fields = {}
        for i, key in enumerate(FIELDS):
            raw = data[pos + 6 + 8 * i:pos + 14 + 8 * i]
            try:
                fields[key] = int(raw, 16)
            except ValueError:
                raise ValueError("cpio: field %s is not hex (%r) at offset %d"
                                 % (key, raw, pos)) from None
        name_start = pos + HEADER_SIZE
        name_end = name_start + fields["namesize"]
        if fields["namesize"] == 0 or name_end > len(data):
            raise ValueError("cpio: bad namesize at offset %d" % pos)
        if data[name_end - 1] != 0:
            raise ValueError("cpio: name not NUL-terminated at offset %d" % pos)
        name = data[name_start:name_end - 1].decode("utf-8", "replace")
        data_start = name_end + (-(name_end - pos) % ALIGN)
        data_end = data_start + fields["filesize"]
        if data_end > len(data):
            raise ValueError("cpio: member %r truncated" % name)
        if name == TRAILER_NAME:
            return entries
        entries.append(CpioEntry(name, fields, data[data_start:data_end], pos))
        pos = data_end + (-data_end % ALIGN)
