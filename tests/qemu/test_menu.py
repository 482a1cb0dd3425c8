"""The boot menu over a serial terminal (ANSI, the default): keys typed with
hop-run --serial-input-after drive the menu and the command-line editor, and
the demo kernel prints the command line it received, so the edit is checked
from inside the booted kernel.  test_config.py covers the plain form
(serial=plain); test_screen.py the menu on the framebuffer and VGA text.

Markers: the countdown row ("boots in 30 s") is drawn after the entries and
before the keys row; "- boot menu" is the title row, drawn again when Esc
leaves the editor; "Esc: back" is the editor's keys row."""
import re

import pytest

from hoptest import EXIT_PASS, hop_run, kernel

CFG = ("timeout=30\n%s"
       "entry=zero\nkernel=/boot/demo.elf\ncmdline=entry zero\n"
       "entry=one\nkernel=/boot/demo.elf\ncmdline=entry one\n"
       "entry=e\x1b[2Jvil\x07\nkernel=/boot/demo.elf\ncmdline=entry \x1b[31mtwo\n")
LIMIT = 4096           # LINEEDIT_MAX, src/console/lineedit.h


def menu_run(tmp_path, *inputs, globals_="", via="qemu-kernel", timeout=30, cfg=CFG):
    path = tmp_path / "hop.cfg"
    path.write_bytes((cfg % globals_).encode())
    args = ["--config", str(path)]
    for text in inputs:
        args += ["--serial-input-after", text]
    return hop_run(kernel("demo"), *args, via=via, timeout=timeout)


def screen_text(out):
    """The serial output with the ANSI sequences hop sends taken out."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", out)


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios"])
def test_edit_boots_the_edited_line(tmp_path, via):
    """Down to entry 1, e, Home, type, End, Backspace, Left, Delete, Enter."""
    run = menu_run(tmp_path, r"boots in 30 s=\e[Be",
                   r"Esc: back=\e[HX=1 \e[F\x7f\e[D\e[3~\r", via=via)
    assert run.rc == EXIT_PASS, run
    assert run.demo_cmdlines() == ["X=1 entry o"], run
    assert "hop: chosen: entry 1, command line edited" in run.out, run
    assert "hop: command line for this boot: X=1 entry o" in run.out, run
    text = screen_text(run.out)
    assert "hop 0.1 - boot menu" in text
    assert "  1  one" in text
    assert "hop 0.1 - command line of entry 1: one" in text
    assert "kernel: /boot/demo.elf" in text


def test_esc_returns_to_the_menu_unchanged(tmp_path):
    """e, typing, a lone Esc: the menu again; Enter boots the entry as it
    is in hop.cfg (the edit is dropped)."""
    run = menu_run(tmp_path, r"boots in 30 s=eJUNK\e", r"- boot menu=\r")
    assert run.rc == EXIT_PASS, run
    assert run.demo_cmdlines() == ["entry zero"], run
    assert "hop: chosen: entry 0\n" in run.out.replace("\r", ""), run


def test_keys_that_mean_nothing_are_ignored(tmp_path):
    """Unknown keys, digits past the entries and arrows at the ends change
    nothing; an unknown escape sequence is one key, not its letters."""
    run = menu_run(tmp_path, r"boots in 30 s=x9\e[A\e[15~\e[Z\t\x01e\e[B\e[24~\x7f\x7f!\r")
    assert run.rc == EXIT_PASS, run
    assert run.demo_cmdlines() == ["entry ze!"], run


def test_editing_turned_off(tmp_path):
    run = menu_run(tmp_path, r"boots in 30 s=e", r"menu-edit=no in=\r",
                   globals_="menu-edit=no\n")
    assert run.rc == EXIT_PASS, run
    assert "editing is turned off (menu-edit=no in the configuration)" in run.out, run
    assert "Esc: back" not in run.out, run
    assert run.demo_cmdlines() == ["entry zero"], run


def test_control_bytes_from_the_config_are_shown_escaped(tmp_path):
    """The title's ESC and BEL and the command line's ESC never reach the
    terminal: they show as \\xHH in the menu, in the editor and in the log;
    the kernel still gets its command line byte for byte."""
    run = menu_run(tmp_path, r"boots in 30 s=2e", r"Esc: back=\r")
    assert run.rc == EXIT_PASS, run
    assert "e\x1b[2Jvil" not in run.out and "\x07" not in run.out.split("demo:")[0], run
    assert "\x1b[31m" not in run.out.split("demo:")[0], run
    text = screen_text(run.out)
    assert r"  2  e\x1b[2Jvil\x07" in text, text
    assert r"entry \x1b[31mtwo" in text, text
    assert "demo: command line \"entry \x1b[31mtwo\"" in run.out or \
        run.demo_cmdlines() == [r"entry \x1b[31mtwo"], run


def test_a_long_line_scrolls_up_to_the_limit(tmp_path):
    """A command line 4 bytes short of the limit: the editor shows its end
    ('<' says more lies left), takes 4 more bytes and then says it is full;
    the kernel gets the edited line."""
    long_line = " ".join("w%04d" % i for i in range(LIMIT // 6))
    long_line = (long_line + "z" * LIMIT)[:LIMIT - 4]
    cfg = ("timeout=30\n%s" "entry=long\nkernel=/boot/demo.elf\ncmdline=" + long_line + "\n")
    run = menu_run(tmp_path, r"boots in 30 s=eABCDEFG\r", cfg=cfg, timeout=40)
    assert run.rc == EXIT_PASS, run
    assert "the command line is full: at most 4096 bytes" in run.out, run
    text = screen_text(run.out)
    assert re.search(r"<[w0-9 z]+ABCD", text), text[-3000:]
    # hop's log line keeps the end (its middle is cut); the demo prints the
    # start of what it received (it shortens long lines itself)
    assert re.search(r"hop: command line for this boot: w0000 .*zABCD\r?\n", run.out), run
    got = re.search(r'demo: command line "(w0000[^"\r\n]*)', run.out)
    assert got and len(got.group(1)) > 400, run
    assert (long_line + "ABCD").startswith(got.group(1).split("demo:")[0]), run


@pytest.mark.parametrize("via", ["qemu-kernel", "grub-bios", "grub-efi"])
def test_edit_on_the_keyboard(tmp_path, via):
    """The same on the PS/2 keyboard (hop-run --keys-after: QMP send-key):
    Down, e, Home, Shift+x, '=', '1', Space, End, Backspace, Left, Delete,
    Enter."""
    keys = "down e home shift-x equal 1 spc end backspace left delete ret"
    path = tmp_path / "hop.cfg"
    path.write_bytes((CFG % "").encode())
    run = hop_run(kernel("demo"), "--config", str(path),
                  "--keys-after", "boots in 29 s=" + keys, via=via, timeout=60)
    assert run.rc == EXIT_PASS, run
    assert run.demo_cmdlines() == ["X=1 entry o"], run
    assert "hop: chosen: entry 1, command line edited" in run.out, run
