"""Pictures of the guest's screen: --screendump-after MARKER=FILE.

Once MARKER has appeared in the serial output shown (after GRUB's own output
has been filtered away), hop-run asks QEMU over QMP for a screendump of the
display into FILE (PPM, binary "P6").  Markers are taken in order, as with
--serial-input-after: the marker of picture k is looked for only in the
output that follows the marker of picture k-1.  MARKER takes the same
escapes (\\r \\n \\t \\e \\\\ \\xNN; "=" is \\x3d).

The guest keeps running while QEMU draws the picture: text written after
MARKER may be on it.  A picture is complete once QEMU has answered; pictures
whose marker never came, or that QEMU refused, are reported on stderr.
"""

import os

from .serialin import unescape

ID_PREFIX = "hop-run-screendump-"


class Screendump:
    """One MARKER=FILE."""

    def __init__(self, marker, path, spec=None):
        self.marker = marker
        self.path = path
        self.spec = spec
        self.state = "waiting"      # waiting, asked, taken, failed
        self.error = None

    @classmethod
    def parse(cls, spec):
        """'MARKER=FILE', split at the first '='."""
        marker, sep, path = spec.partition("=")
        if not sep:
            raise ValueError("expected MARKER=FILE, got %r" % spec)
        marker_b = unescape(marker)
        if not marker_b:
            raise ValueError("empty MARKER in %r" % spec)
        if not path:
            raise ValueError("empty FILE in %r" % spec)
        return cls(marker_b, os.path.abspath(path), spec)

    def describe(self):
        return "after %r: %s" % (self.marker.decode("latin-1"), self.path)

    def fire(self, qmp, ident):
        qmp.send_with_id("screendump", ident, filename=self.path)


class KeyPresses:
    """One MARKER=KEYS of --keys-after: QEMU key names (qcodes: "down",
    "ret", "esc", "e", "shift-x" for several held together), separated by
    blanks, pressed one after the other on the guest's keyboard (QMP
    send-key).  Taken in order with the pictures: it shares their markers'
    sequence."""

    def __init__(self, marker, keys, spec=None):
        self.marker = marker
        self.keys = keys
        self.spec = spec
        self.path = "keys " + " ".join(keys)
        self.state = "waiting"
        self.error = None

    @classmethod
    def parse(cls, spec):
        marker, sep, keys = spec.partition("=")
        if not sep or not keys.split():
            raise ValueError("expected MARKER=KEY..., got %r" % spec)
        marker_b = unescape(marker)
        if not marker_b:
            raise ValueError("empty MARKER in %r" % spec)
        return cls(marker_b, keys.split(), spec)

    def describe(self):
        return "after %r: %s" % (self.marker.decode("latin-1"), self.path)

    def fire(self, qmp, ident):
        for key in self.keys:
            qmp.send_with_id("send-key", ident, keys=[
                {"type": "qcode", "data": part} for part in key.split("-")])


class Camera:
    """Watches the serial output and takes the pictures through QMP.

    output(shown, qmp): `shown` is all the serial output shown so far;
    sends the screendump commands that became due.  responses(messages):
    QMP replies, matched by id.  report(): lines for stderr about pictures
    that were not taken."""

    def __init__(self, items):
        self.items = list(items)
        self.next = 0
        self.search_from = 0

    def output(self, shown, qmp):
        while self.next < len(self.items):
            item = self.items[self.next]
            at = shown.find(item.marker, self.search_from)
            if at < 0:
                self.search_from = max(self.search_from,
                                       len(shown) - len(item.marker) + 1)
                return
            self.search_from = at + len(item.marker)
            try:
                item.fire(qmp, ID_PREFIX + str(self.next))
                item.state = "asked"
            except OSError as e:
                item.state, item.error = "failed", str(e)
            self.next += 1

    def responses(self, messages):
        for msg in messages:
            ident = str(msg.get("id", ""))
            if not ident.startswith(ID_PREFIX):
                continue
            item = self.items[int(ident[len(ID_PREFIX):])]
            if "error" in msg:
                item.state = "failed"
                item.error = msg["error"].get("desc", str(msg["error"]))
            else:
                item.state = "taken"

    def report(self):
        lines = []
        for item in self.items:
            if item.state == "waiting":
                lines.append("screendump not taken, its marker never came: "
                             + item.describe())
            elif item.state == "asked":
                lines.append("screendump not confirmed (QEMU ended first): "
                             + item.describe())
            elif item.state == "failed":
                lines.append("screendump failed (%s): %s"
                             % (item.error, item.describe()))
        return lines
