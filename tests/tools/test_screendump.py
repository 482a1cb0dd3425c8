"""Tests of hop-run's --screendump-after (tools/hoplib/screendump.py and its
hook in tools/hoplib/qemu.py): parsing, the order markers are matched in,
QMP replies, and one real picture of hop's VGA text screen.

Run: /usr/bin/python3 -m pytest -q tests/tools
"""

import os
import shutil

import pytest

from hoplib import screendump
from hoptest import DEMO, HOP_ELF, tool


class FakeQmp:
    def __init__(self):
        self.sent = []

    def send_with_id(self, command, ident, **arguments):
        self.sent.append((command, ident, arguments))


def test_parse():
    s = screendump.Screendump.parse(r"hop: a\x3db\r=shot.ppm")
    assert s.marker == b"hop: a=b\r"
    assert s.path == os.path.abspath("shot.ppm")
    for bad in ("no-equals", "=file", "marker=", r"bad\q=file"):
        with pytest.raises(ValueError):
            screendump.Screendump.parse(bad)


def test_markers_in_order_and_replies():
    items = [screendump.Screendump.parse(spec) for spec in
             ("hop: banner=/tmp/a.ppm", "hop: banner=/tmp/b.ppm", "halted=/tmp/c.ppm",
              "never=/tmp/d.ppm")]
    cam, qmp = screendump.Camera(items), FakeQmp()
    cam.output(b"hop: ban", qmp)               # a marker cut between chunks
    assert qmp.sent == []
    cam.output(b"hop: banner 1\n", qmp)
    assert [a["filename"] for _, _, a in qmp.sent] == ["/tmp/a.ppm"]
    cam.output(b"hop: banner 1\nhop: banner 2\nhop: halted\n", qmp)
    assert [a["filename"] for _, _, a in qmp.sent] == ["/tmp/a.ppm", "/tmp/b.ppm", "/tmp/c.ppm"]
    assert all(c == "screendump" for c, _, _ in qmp.sent)
    ids = [i for _, i, _ in qmp.sent]
    assert len(set(ids)) == 3
    cam.responses([{"return": {}, "id": ids[0]}, {"event": "RESUME"},
                   {"error": {"class": "GenericError", "desc": "no surface"}, "id": ids[2]}])
    report = cam.report()
    assert [line.split(":")[0] for line in report] == [
        "screendump not confirmed (QEMU ended first)", "screendump failed (no surface)",
        "screendump not taken, its marker never came"]
    assert "/tmp/b.ppm" in report[0] and "/tmp/d.ppm" in report[2]


def test_key_presses_share_the_markers_sequence():
    """--keys-after: each key one QMP send-key, "shift-x" as keys held
    together; in one sequence with the pictures."""
    keys = screendump.KeyPresses.parse(r"menu\x3d=down shift-x ret")
    assert keys.marker == b"menu=" and keys.keys == ["down", "shift-x", "ret"]
    for bad in ("no-equals", "=down", "marker=", "marker=  "):
        with pytest.raises(ValueError):
            screendump.KeyPresses.parse(bad)
    items = [screendump.Screendump.parse("menu=/tmp/a.ppm"), keys,
             screendump.Screendump.parse("editor=/tmp/b.ppm")]
    cam, qmp = screendump.Camera(items), FakeQmp()
    cam.output(b"menu= editor", qmp)   # the keys' marker must follow the picture's
    assert [c for c, _, _ in qmp.sent] == ["screendump"]
    cam.output(b"menu= editor menu= editor", qmp)
    assert [c for c, _, _ in qmp.sent] == ["screendump", "send-key", "send-key", "send-key",
                                           "screendump"]
    assert qmp.sent[2][2] == {"keys": [{"type": "qcode", "data": "shift"},
                                       {"type": "qcode", "data": "x"}]}


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None or
                    not os.path.isfile(HOP_ELF) or not os.path.isfile(DEMO),
                    reason="needs qemu-system-x86_64 and make")
def test_picture_of_hop_text_screen(tmp_path):
    """hop under QEMU's -kernel: VGA text mode, which QEMU draws 720x400.
    hop halts without debug-exit, so the run ends by the timeout."""
    cfg = tmp_path / "hop.cfg"
    cfg.write_text("entry=missing\nkernel=/boot/none\n")
    shot = tmp_path / "shot.ppm"
    r = tool("hop-run", "--via", "qemu-kernel", "--timeout", "6",
             "--config", str(cfg), "--screendump-after", f"hop: halted={shot}",
             "--screendump-after", f"never printed={tmp_path / 'no.ppm'}", DEMO, timeout=120)
    assert r.returncode == 124, r.stderr
    assert b"hop: halted" in r.stdout
    data = shot.read_bytes()
    assert data.startswith(b"P6\n720 400\n255\n") and len(data) == 15 + 720 * 400 * 3
    assert len(set(data[15::3])) > 1, "the picture is blank"
    assert not (tmp_path / "no.ppm").exists()
    assert b"screendump not taken, its marker never came: after 'never printed'" in r.stderr
