"""hop's log on the screen.  Under UEFI (OVMF, then GRUB) the loader hands
hop a linear GOP framebuffer and hop draws its log there with its own font
(src/console/fbcon.c, src/console/font8x16.c).

The scenarios boot a configuration whose kernel is missing, so hop prints
its log, says it could boot nothing and halts with the screen left as it
is; hop-run takes a screendump (QMP) once that line is on the serial port.
The second one also gives hop a large gzipped RAM disk, whose progress bar
must be redrawn in place on the serial port ('\r') and on the screen.
The test then works out, from the serial output, which text must be on
which row (a model of the console: wrapping, '\\r', scrolling), renders it
with the font read from src/console/font8x16.c, and compares the picture cell by
cell as ink or background, not exact colours.  No stored picture is
involved.  build/screen.png is the screendump, for people to look at.
"""
import os
import re
import signal
import struct
import subprocess
import time
import zlib

import pytest

from hoptest import BUILD, HOP_RUN, ROOT, kernel

FONT_C = os.path.join(ROOT, "src", "console", "font8x16.c")
FBCON_H = os.path.join(ROOT, "src", "console", "fbcon.h")
SCREEN_PNG = os.path.join(BUILD, "screen.png")
PROGRESS_PNG = os.path.join(BUILD, "screen-progress.png")
MARKER = "hop: halted"          # the last line hop prints
BANNER = re.compile(r"^hop \d+\.\d+: loaded by ")
GLYPH_W, GLYPH_H = 8, 16
FIRST, LAST = 32, 126
INK_DISTANCE = 96        # |dR|+|dG|+|dB| from the background: ink
RUN_TIMEOUT = 240        # seconds for hop-run (the test ends it sooner)


# --- the font and the console, from hop's sources ---------------------------------

def load_font(path=FONT_C):
    """{char: [16 row strings of '#'/'.']} from the glyph art in font8x16.c."""
    src = open(path, encoding="utf-8").read()
    font = {}
    for m in re.finditer(r"\[\s*'(\\.|[^'\\])'\s*-\s*FONT_FIRST\s*\]\s*=\s*\{(.*?)\}",
                         src, re.S):
        ch = m.group(1)[-1]
        rows = re.findall(r'R\("([^"]*)"\)', m.group(2))
        assert ch not in font, f"glyph {ch!r} defined twice"
        font[ch] = rows
    return font


def fbcon_constant(name):
    m = re.search(r"#define\s+%s\s+(\d+)" % name, open(FBCON_H).read())
    assert m, f"{name} not in {FBCON_H}"
    return int(m.group(1))


def console_geometry(width, height):
    """(scale, cols, rows) as fbcon_setup chooses them."""
    min_cols, max_scale = fbcon_constant("FBCON_MIN_COLS"), fbcon_constant("FBCON_MAX_SCALE")
    max_cells = fbcon_constant("FBCON_MAX_CELLS")
    scale = max_scale
    while scale > 1 and (width // (GLYPH_W * scale) < min_cols or
                         height // (GLYPH_H * scale) < 1):
        scale -= 1
    cols = min(width // (GLYPH_W * scale), max_cells)
    rows = min(height // (GLYPH_H * scale), max_cells // cols)
    return scale, cols, rows


def console_text(text, cols, rows):
    """The grid after hop's console got `text` (what fbcon_put does)."""
    divisor, tab = fbcon_constant("FBCON_SCROLL_DIVISOR"), fbcon_constant("FBCON_TAB")
    grid = [[" "] * cols for _ in range(rows)]
    x = y = 0

    def newline():
        nonlocal x, y, grid
        x, y = 0, y + 1
        if y == rows:
            n = max(rows // divisor, 1)
            grid = grid[n:] + [[" "] * cols for _ in range(n)]
            y = rows - n

    def put(ch):
        nonlocal x
        if x >= cols:           # a long line wraps when its next character comes
            newline()
        grid[y][x] = ch if FIRST <= ord(ch) <= LAST else "?"
        x += 1

    for ch in text:
        if ch == "\n":
            newline()
        elif ch == "\r":
            x = 0
        elif ch == "\t":
            put(" ")
            while x < cols and x % tab:
                put(" ")
        elif ch == "\b":
            x = max(x - 1, 0)
        else:
            put(ch)
    return ["".join(r) for r in grid]


def render(text, font):
    """Ink of `text` in one row of cells: 16 lists of 0/1, 8 per character."""
    return [[1 if font[c][r][i] == "#" else 0 for c in text for i in range(GLYPH_W)]
            for r in range(GLYPH_H)]


# --- pictures ----------------------------------------------------------------------

def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", f"{path}: not a P6 PPM"
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    assert len(pixels) == width * height * 3, f"{path}: truncated"
    return width, height, pixels


def ppm_complete(path):
    try:
        read_ppm(path)
        return True
    except (OSError, AssertionError, IndexError, ValueError):
        return False


def write_png(path, width, height, pixels):
    """A minimal PNG encoder: 8-bit RGB, no filtering."""
    raw = b"".join(b"\0" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def ink_mask(width, height, pixels):
    """Rows of 0/1: 1 where a pixel is far from the background colour (the
    most common one)."""
    counts = {}
    for i in range(0, len(pixels), 3 * 97):      # a sample is enough
        key = pixels[i:i + 3]
        counts[key] = counts.get(key, 0) + 1
    bg = max(counts, key=counts.get)
    table = {}
    rows = []
    for y in range(height):
        line = pixels[y * width * 3:(y + 1) * width * 3]
        row = bytearray(width)
        for x in range(width):
            px = line[3 * x:3 * x + 3]
            ink = table.get(px)
            if ink is None:
                ink = table[px] = int(sum(abs(a - b) for a, b in zip(px, bg)) > INK_DISTANCE)
            row[x] = ink
        rows.append(row)
    return rows


def cell_ink(mask, col, row, scale):
    """The 8x16 ink pattern of a cell, sampled at its scale."""
    return tuple(tuple(mask[(row * GLYPH_H + gy) * scale][(col * GLYPH_W + gx) * scale]
                       for gx in range(GLYPH_W)) for gy in range(GLYPH_H))


def glyph_ink(font, ch):
    return tuple(tuple(1 if c == "#" else 0 for c in font[ch][gy]) for gy in range(GLYPH_H))


def screen_errors(mask, expected, font, scale, limit=12):
    """Cells whose ink differs from the expected character's glyph, as
    (row, col, expected, what the cell looks like)."""
    glyphs = {glyph_ink(font, c): c for c in font}
    errors = []
    for r, line in enumerate(expected):
        for c, ch in enumerate(line):
            got = cell_ink(mask, c, r, scale)
            if got != glyph_ink(font, ch):
                errors.append((r, c, ch, glyphs.get(got, "<no glyph>")))
                if len(errors) >= limit:
                    return errors
    return errors


# --- host-only checks ---------------------------------------------------------------

def test_font_source_is_well_formed():
    font = load_font()
    assert sorted(font) == [chr(c) for c in range(FIRST, LAST + 1)]
    for ch, rows in font.items():
        assert len(rows) == GLYPH_H, f"{ch!r}: {len(rows)} rows"
        for row in rows:
            assert re.fullmatch(r"[#.]{8}", row), f"{ch!r}: row {row!r}"
            assert row[7] == ".", f"{ch!r}: column 7 must stay empty"
    inks = {ch: "".join(rows) for ch, rows in font.items()}
    assert "#" not in inks[" "]
    assert all("#" in ink for ch, ink in inks.items() if ch != " ")
    assert len(set(inks.values())) == len(inks), "two characters share a glyph"


def test_rendered_banner_is_not_empty():
    font = load_font()
    text = "hop 0.1: loaded by GRUB (multiboot2)"
    rows = render(text, font)
    assert len(rows) == GLYPH_H and all(len(r) == GLYPH_W * len(text) for r in rows)
    for i, ch in enumerate(text):
        ink = sum(r[x] for r in rows for x in range(i * GLYPH_W, (i + 1) * GLYPH_W))
        assert (ink > 0) == (ch != " "), f"{ch!r} at {i}: {ink} ink pixels"
    assert sum(map(sum, rows)) > 10 * len(text.replace(" ", ""))


def test_console_model():
    assert console_geometry(800, 600) == (1, 100, 37)
    assert console_geometry(2560, 1600)[:2] == (2, 160)
    assert console_text("ab\r\nc\rC\n" + "x" * 12, 10, 3) == ["C         ", "xxxxxxxxxx",
                                                              "xx        "]
    assert console_text("x" * 10 + "\ny", 10, 3)[:2] == ["x" * 10, "y         "]
    lines = "".join("l%d\n" % i for i in range(9))
    assert console_text(lines, 4, 8)[:7] == ["l2  ", "l3  ", "l4  ", "l5  ", "l6  ", "l7  ",
                                             "l8  "]


# --- the scenario --------------------------------------------------------------------

def boot_and_screendump(tmp_path, extra=(), mem="128M"):
    """hop-run via GRUB on OVMF with a missing kernel; returns (serial text,
    screendump path).  hop-run is interrupted once the picture is complete
    (hop halts and never exits by itself: no debug-exit, which would close
    QEMU and lose the screen)."""
    cfg = tmp_path / "hop.cfg"
    cfg.write_text("entry=missing\nkernel=/boot/nothere.elf\n")
    shot = tmp_path / "screen.ppm"
    cmd = [HOP_RUN, "--via", "grub-efi", "--mem", mem, "--timeout", str(RUN_TIMEOUT),
           "--hop-cmdline", "", "--config", str(cfg),
           "--screendump-after", f"{MARKER}={shot}", *extra, kernel("demo")]
    out_path, err_path = tmp_path / "serial.txt", tmp_path / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = time.monotonic() + RUN_TIMEOUT + 60
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if ppm_complete(shot):
                    time.sleep(0.5)          # let the serial output catch up
                    proc.send_signal(signal.SIGINT)
                    break
                time.sleep(0.2)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    serial = out_path.read_bytes().decode("utf-8", "replace")
    notes = err_path.read_text(errors="replace")
    assert ppm_complete(shot), f"no screendump ({notes.strip()}); serial:\n{serial[-2000:]}"
    return serial, str(shot)


def candidate_screens(serial, cols, rows):
    """The screen after each line from the one before the marker's on (the
    picture is taken while hop still prints its last lines; the serial port
    gets each line before the screen does)."""
    pos = serial.rfind("\n", 0, serial.index(MARKER)) + 1
    while pos > 0:
        yield console_text(serial[:pos], cols, rows)
        pos = serial.find("\n", pos) + 1
    yield console_text(serial, cols, rows)


def check_screen(serial, shot, png=None):
    """The picture shows hop's log as the serial port has it; returns the
    screen's text."""
    width, height, pixels = read_ppm(shot)
    if png:
        os.makedirs(os.path.dirname(png), exist_ok=True)
        write_png(png, width, height, pixels)
    assert f"hop: framebuffer {width}x{height} " in serial, \
        "the screendump's size is not the framebuffer hop was given"
    scale, cols, rows = console_geometry(width, height)
    lines_before = serial[:serial.index(MARKER)].count("\n")
    assert lines_before + 1 < rows, \
        f"hop printed {lines_before} lines before the marker: the banner scrolled away " \
        f"({rows} rows); give the scenario less output"

    font = load_font()
    mask = ink_mask(width, height, pixels)
    # The banner on the first text row, exactly as the font draws it.
    first = serial.split("\n", 1)[0].rstrip("\r")
    assert BANNER.match(first), f"the first line is not hop's banner: {first!r}"
    errors = screen_errors(mask, [first[:cols].ljust(cols)], font, scale)
    assert not errors, f"banner row differs (row, col, want, got): {errors}"
    # The whole screen: one of the states while hop printed its last lines.
    best = None
    for expected in candidate_screens(serial, cols, rows):
        errors = screen_errors(mask, expected, font, scale)
        if not errors:
            break
        best = errors if best is None or len(errors) < len(best) else best
    else:
        pytest.fail(f"screen differs from hop's log (row, col, want, got): {best}; "
                    f"picture: {shot}")
    # Nothing drawn outside the text grid.
    for y in range(rows * GLYPH_H * scale, height):
        assert not any(mask[y]), f"ink below the text grid at y={y}"
    for y in range(height):
        assert not any(mask[y][cols * GLYPH_W * scale:]), f"ink right of the grid at y={y}"
    return expected


def test_screen_shows_hop_log(tmp_path):
    serial, shot = boot_and_screendump(tmp_path)
    assert MARKER in serial
    assert serial.startswith("hop "), serial[:200]
    text = check_screen(serial, shot, SCREEN_PNG)
    assert text[0].startswith("hop 0.1: loaded by GRUB")
    assert any(line.startswith("hop: no entry could be booted") for line in text)


BIG_RANDOM = 16 << 20      # random bytes, hex-encoded: 32 MiB in the RAM disk


def test_progress_bar_on_both_consoles(tmp_path):
    """A 32 MiB file in a gzipped RAM disk: inflating it takes a second in
    QEMU (TCG), well past PROGRESS_DELAY_MS."""
    big = tmp_path / "big.hex"
    big.write_bytes(os.urandom(BIG_RANDOM).hex().encode())
    serial, shot = boot_and_screendump(
        tmp_path, ["--gzip-ramdisk", "--module", str(big)], mem="512M")
    # Serial: several redraws of one line, each starting with '\r', the
    # last at 100% and ended by a newline.
    bar = re.compile(r"\rhop: inflating the RAM disk +\[([#-]{20})\] +(\d+)% +"
                     r"([\d.]+)/([\d.]+) MiB")
    draws = bar.findall(serial)
    assert len(draws) >= 2, f"no progress bar redrawn on serial: {serial[:3000]!r}"
    percents = [int(p) for _, p, _, _ in draws]
    assert percents == sorted(percents) and percents[-1] == 100, percents
    assert float(draws[-1][3]) >= 32.0 and draws[-1][2] == draws[-1][3]
    assert all(b.count("#") == int(p) * 20 // 100 for b, p, _, _ in draws)
    after = serial[serial.rindex("\rhop: inflating the RAM disk"):]
    assert re.match(r"\rhop: inflating[^\n]*100%[^\n]*MiB\r?\n", after), after[:200]
    # Screen: the bar's line shows its last state only (redrawn in place).
    text = check_screen(serial, shot, PROGRESS_PNG)
    lines = [l for l in text if l.startswith("hop: inflating the RAM disk")]
    assert len(lines) == 1 and "] 100% " in lines[0], text


# --- the boot menu and its editor ------------------------------------------------------

VERSION = re.search(r'#define HOP_VERSION "([^"]+)"',
                    open(os.path.join(ROOT, "src", "version.h")).read()).group(1)
LONG_TITLE = "a title much too long for any screen " + "L" * 300
MENU_CFG = ("timeout=30\n"
            "entry=zero\nkernel=/boot/demo.elf\ncmdline=entry zero\n"
            "entry=" + LONG_TITLE + "\nkernel=/boot/demo.elf\ncmdline=entry one\n"
            "entry=e\x1b[2Jvil\nkernel=/boot/demo.elf\n")
HELP_LIST = "Up/Down or 0-9: choose   Enter: boot   e: edit the command line"
HELP_EDIT = "Left/Right Home End Backspace Delete: edit   Enter: boot it once   Esc: back"


def clip(text, cols):
    """A menu row: clipped with "..." (src/console/menu_layout.c), padded."""
    return (text[:cols - 3] + "..." if len(text) > cols else text).ljust(cols)


def menu_screen(cols, rows, seconds):
    """(rows of text, set of inverse (row, col)) of the menu: entry 0
    chosen, the countdown at `seconds`."""
    text = [" " * cols] * rows
    text[0] = clip(f"hop {VERSION} - boot menu", cols)
    text[2] = clip("  0  zero", cols)
    text[3] = clip("  1  " + LONG_TITLE, cols)
    text[4] = clip("  2  e\\x1b[2Jvil", cols)
    text[rows - 2] = clip(f"Entry 0 boots in {seconds} s (any key stops the countdown)", cols)
    text[rows - 1] = clip(HELP_LIST, cols)
    return text, {(2, c) for c in range(cols)}


def editor_screen(cols, rows):
    """The editor on entry 1 after Left, X, Y: the cursor on the last 'e'."""
    text = [" " * cols] * rows
    text[0] = clip(f"hop {VERSION} - command line of entry 1: {LONG_TITLE}", cols)
    text[2] = clip("kernel: /boot/demo.elf", cols)
    text[4] = clip("entry onXYe", cols)
    text[rows - 1] = clip(HELP_EDIT, cols)
    return text, {(4, 10)}


def menu_pictures(tmp_path, via):
    """Boots MENU_CFG, takes a picture of the menu, types Down, e, Left, X, Y
    and takes one of the editor; returns (serial, menu.ppm, editor.ppm)."""
    cfg = tmp_path / "hop.cfg"
    cfg.write_bytes(MENU_CFG.encode())
    shots = [tmp_path / "menu.ppm", tmp_path / "editor.ppm"]
    cmd = [HOP_RUN, "--via", via, "--timeout", str(RUN_TIMEOUT), "--hop-cmdline", "",
           "--config", str(cfg),
           "--screendump-after", f"boots in 30 s={shots[0]}",
           # a second later, so that the first picture is taken before any key
           "--serial-input-after", r"boots in 29 s=\e[Be\e[DXY",
           "--screendump-after", f"XY={shots[1]}", kernel("demo")]
    out_path, err_path = tmp_path / "serial.txt", tmp_path / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = time.monotonic() + RUN_TIMEOUT + 60
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if ppm_complete(shots[1]):
                    proc.send_signal(signal.SIGINT)
                    break
                time.sleep(0.2)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    serial = out_path.read_bytes().decode("utf-8", "replace")
    notes = err_path.read_text(errors="replace")
    for shot in shots:
        assert ppm_complete(shot), f"no {shot.name} ({notes.strip()}); serial:\n{serial[-2000:]}"
    return serial, str(shots[0]), str(shots[1])


def fb_menu_errors(shot, expected, inverse, png):
    """Cells of the framebuffer picture whose ink is not the font's glyph of
    the expected character (inverted in inverse cells)."""
    width, height, pixels = read_ppm(shot)
    write_png(png, width, height, pixels)
    scale, cols, rows = console_geometry(width, height)
    font = load_font()
    mask = ink_mask(width, height, pixels)
    errors = []
    for r, line in enumerate(expected):
        for c, ch in enumerate(line):
            want = glyph_ink(font, ch)
            if (r, c) in inverse:
                want = tuple(tuple(1 - p for p in row) for row in want)
            if cell_ink(mask, c, r, scale) != want:
                errors.append((r, c, ch, (r, c) in inverse))
    return errors[:12]


def test_menu_and_editor_on_the_framebuffer(tmp_path):
    serial, menu, editor = menu_pictures(tmp_path, "grub-efi")
    m = re.search(r"hop: framebuffer (\d+)x(\d+) ", serial)
    assert m, serial[:3000]
    _, cols, rows = console_geometry(int(m.group(1)), int(m.group(2)))
    # the countdown may have moved on by the time QEMU draws the picture
    best = None
    for seconds in (30, 29):
        errors = fb_menu_errors(menu, *menu_screen(cols, rows, seconds),
                                os.path.join(BUILD, "screen-menu.png"))
        if not errors:
            break
        best = errors if best is None else best
    else:
        pytest.fail(f"menu screen differs (row, col, want, inverse): {best}; picture {menu}")
    errors = fb_menu_errors(editor, *editor_screen(cols, rows),
                            os.path.join(BUILD, "screen-editor.png"))
    assert not errors, f"editor screen differs (row, col, want, inverse): {errors}"


def vga_cell_errors(shot, expected, inverse, png):
    """VGA text, drawn by QEMU with the card's own font: each cell checked as
    blank or not, normal or inverse video (a light background)."""
    width, height, pixels = read_ppm(shot)
    write_png(png, width, height, pixels)
    rows, cols = len(expected), len(expected[0])
    cw, ch = width // cols, height // rows
    errors = []
    for r in range(rows):
        for c in range(cols):
            lit = 0
            for y in range(r * ch, (r + 1) * ch):
                row = pixels[(y * width + c * cw) * 3:(y * width + (c + 1) * cw) * 3]
                lit += sum(1 for i in range(0, len(row), 3) if sum(row[i:i + 3]) > 3 * 96)
            inv = (r, c) in inverse
            blank = expected[r][c] == " "
            ok = (lit == cw * ch if blank else cw * ch // 2 < lit < cw * ch) if inv else \
                 (lit == 0 if blank else 0 < lit < cw * ch // 2)
            if not ok:
                errors.append((r, c, expected[r][c], inv, lit))
    return errors[:12]


def test_menu_and_editor_on_vga_text(tmp_path):
    serial, menu, editor = menu_pictures(tmp_path, "grub-bios")
    cols, rows = 80, 25
    best = None
    for seconds in (30, 29):
        errors = vga_cell_errors(menu, *menu_screen(cols, rows, seconds),
                                 os.path.join(BUILD, "screen-menu-vga.png"))
        if not errors:
            break
        best = errors if best is None else best
    else:
        pytest.fail(f"menu screen differs (row, col, want, inverse, lit): {best}; {menu}")
    errors = vga_cell_errors(editor, *editor_screen(cols, rows),
                             os.path.join(BUILD, "screen-editor-vga.png"))
    assert not errors, f"editor screen differs (row, col, want, inverse, lit): {errors}"
