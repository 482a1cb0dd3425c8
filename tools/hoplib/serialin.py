"""Typing into the guest's serial port: --serial-input-after MARKER=TEXT.

Each input waits for its MARKER in the serial output (as shown, i.e. after
GRUB's own output has been filtered away), then TEXT is written to the
guest's serial input.  Inputs are taken in order: the marker of input k is
looked for only in the output that follows the marker of input k-1, so the
same marker given twice waits for two occurrences.  Nothing is ever sent
before its marker (hop clears the UART FIFO when it starts: bytes sent
earlier would be lost).

MARKER and TEXT take the escapes \\r \\n \\t \\e (ESC, 0x1b) \\\\ (a backslash)
and \\xNN (the byte 0xNN); write "=" in MARKER as \\x3d.
"""

import re

_SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "e": b"\x1b", "\\": b"\\"}
_HEX = re.compile(r"[0-9A-Fa-f]{2}")


def unescape(text):
    """'a\\r\\e[B\\x41' -> b'a\\r\\x1b[BA'.  Other characters are UTF-8."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt in _SIMPLE:
            out += _SIMPLE[nxt]
            i += 2
        elif nxt == "x" and _HEX.fullmatch(text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape '%s' (known: \\r \\n \\t \\e \\\\ \\xNN)"
                             % text[i:i + 4])
    return bytes(out)


class SerialInput:
    """One MARKER=TEXT: bytes to wait for, bytes to send."""

    def __init__(self, marker, text, spec=None):
        self.marker = marker
        self.text = text
        self.spec = spec

    @classmethod
    def parse(cls, spec):
        """'MARKER=TEXT', split at the first '='."""
        marker, sep, text = spec.partition("=")
        if not sep:
            raise ValueError("expected MARKER=TEXT, got %r" % spec)
        marker_b, text_b = unescape(marker), unescape(text)
        if not marker_b:
            raise ValueError("empty MARKER in %r: input sent before hop "
                             "starts would be lost" % spec)
        if not text_b:
            raise ValueError("empty TEXT in %r" % spec)
        return cls(marker_b, text_b, spec)

    def describe(self):
        return "after %r send %r" % (self.marker.decode("latin-1"),
                                     self.text.decode("latin-1"))

    def __repr__(self):
        return "SerialInput(%r, %r)" % (self.marker, self.text)


class Feeder:
    """Watches the serial output and says what to send, and when.

    feed(output) takes everything shown so far (a growing bytes object) and
    returns the bytes that became due; `unsent()` lists the inputs whose
    marker never came.
    """

    def __init__(self, inputs):
        self.inputs = list(inputs)
        self.next = 0           # index of the next input to send
        self.search_from = 0    # output offset after the last marker matched

    def feed(self, output):
        due = b""
        while self.next < len(self.inputs):
            item = self.inputs[self.next]
            at = output.find(item.marker, self.search_from)
            if at < 0:
                # keep the tail that could still begin a marker
                self.search_from = max(self.search_from,
                                       len(output) - len(item.marker) + 1)
                break
            self.search_from = at + len(item.marker)
            self.next += 1
            due += item.text
        return due

    def unsent(self):
        return self.inputs[self.next:]

