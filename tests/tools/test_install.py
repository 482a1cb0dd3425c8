"""`make install` into a temporary DESTDIR: the files and their modes (the
manual pages and the kernel hooks too; tests/tools/test_deb.py runs them), the
installed tools finding their hoplib (PREFIX/lib/hop), and the GRUB script
/etc/grub.d/42_hop: what it prints for a sample /etc/default/hop (pointed
to by HOP_DEFAULT_FILE), checked by grub-script-check, standalone and with
grub-mkconfig's helpers (a stand-in library).  A few seconds.

Run: /usr/bin/python3 -m pytest -q tests/tools/test_install.py
"""

import os
import shutil
import stat
import subprocess

import pytest

from hoptest import DEMO, HOP_ELF, ROOT, built

TOOLS = ["hop-run", "hop-mkimage", "hop-ramdisk", "hop-extract-vmlinux"]
PREFIX = "/opt/hop"

needs_script_check = pytest.mark.skipif(
    shutil.which("grub-script-check") is None,
    reason="needs grub-script-check (grub-common; make deps)")


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT] +
                          list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    built(HOP_ELF)
    root = tmp_path_factory.mktemp("destdir")
    r = make("install", "DESTDIR=%s" % root, "PREFIX=%s" % PREFIX)
    assert r.returncode == 0, r.stdout
    return root


def clean_env():
    """No PYTHONPATH: the installed tools must find hoplib themselves."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def installed(dest, *parts):
    return os.path.join(str(dest), *[p.lstrip("/") for p in parts])


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_installed_files(dest):
    hop = installed(dest, "/boot/hop.elf")
    with open(hop, "rb") as a, open(HOP_ELF, "rb") as b:
        assert a.read() == b.read()
    assert mode(hop) == 0o644
    for tool in TOOLS:
        assert mode(installed(dest, PREFIX, "bin", tool)) == 0o755
    lib = installed(dest, PREFIX, "lib/hop/hoplib")
    sources = sorted(f for f in os.listdir(os.path.join(ROOT, "tools/hoplib"))
                     if f.endswith(".py"))
    assert sorted(os.listdir(lib)) == sources
    for name in sources:
        assert mode(os.path.join(lib, name)) == 0o644
    with open(os.path.join(lib, "paths.py")) as f:
        assert 'INSTALLED_HOP = "/boot/hop.elf"\n' in f.read()
    script = installed(dest, "/etc/grub.d/42_hop")
    assert mode(script) == 0o755
    with open(script) as f:
        text = f.read()
    assert text.startswith("#!/bin/sh\n") and "@" + "HOP_ELF@" not in text
    assert "HOP_DEFAULT_FILE:-/etc/default/hop}" in text
    assert "HOP_ELF=/boot/hop.elf" in text
    example = installed(dest, PREFIX, "share/hop/default-hop")
    with open(example) as f:
        assert "HOP_ELF=/boot/hop.elf" in f.read()
    for page in ("man8/hop.8", "man5/hop.cfg.5", "man1/hop-mkimage.1",
                 "man1/hop-ramdisk.1", "man1/hop-run.1"):
        assert mode(installed(dest, PREFIX, "share/man", page)) == 0o644, page
    # HOP_KERNELS=auto: hop-kernels and the kernel hooks that run it
    kernels = installed(dest, PREFIX, "lib/hop/hop-kernels")
    assert mode(kernels) == 0o755
    with open(kernels) as f:
        assert "HOP_RAMDISK_CMD:-%s/bin/hop-ramdisk}" % PREFIX in f.read()
    for hook in ("kernel/postinst.d", "kernel/postrm.d", "initramfs/post-update.d"):
        path = installed(dest, "/etc", hook, "zz-hop")
        assert mode(path) == 0o755
        with open(path) as f:
            assert "HOP_KERNELS_CMD:-%s/lib/hop/hop-kernels}" % PREFIX in f.read()


def test_installed_tools_run(dest, tmp_path):
    bindir = installed(dest, PREFIX, "bin")
    for tool in TOOLS:
        r = subprocess.run([os.path.join(bindir, tool), "--help"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=clean_env(), cwd=str(tmp_path))
        assert r.returncode == 0, (tool, r.stderr)
        assert "usage" in r.stdout.lower()
    # installed, the default loader is /boot/hop.elf, not a build tree's
    r = subprocess.run([os.path.join(bindir, "hop-mkimage"), "--help"],
                       stdout=subprocess.PIPE, text=True, env=clean_env())
    assert "(default: /boot/hop.elf)" in r.stdout
    # and they work: a RAM disk made and listed by the installed hop-ramdisk
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "hop.cfg").write_text("timeout=0\n")
    rd = tmp_path / "rd.cpio"
    r = subprocess.run([os.path.join(bindir, "hop-ramdisk"), "-o", str(rd),
                        str(tmp_path / "root")], env=clean_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([os.path.join(bindir, "hop-ramdisk"), "--list", str(rd)],
                       env=clean_env(), stdout=subprocess.PIPE, text=True)
    assert "/hop.cfg" in r.stdout
    # hop-run's dry run goes through most of hoplib
    if os.path.isfile(DEMO):
        r = subprocess.run([os.path.join(bindir, "hop-run"), "--dry-run",
                            "--hop", HOP_ELF, DEMO], env=clean_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        assert r.returncode == 0, r.stderr
        assert "multiboot2 /boot/hop.elf" in r.stdout


def test_install_needs_a_build(tmp_path):
    r = make("install", "BUILD=%s" % (tmp_path / "nobuild"),
             "DESTDIR=%s" % (tmp_path / "d"))
    assert r.returncode != 0
    assert "hop.elf is missing: run make first" in r.stdout
    assert not (tmp_path / "d").exists()


def test_uninstall(tmp_path):
    built(HOP_ELF)
    d = tmp_path / "d"
    assert make("install", "DESTDIR=%s" % d).returncode == 0
    assert (d / "usr/local/bin/hop-mkimage").exists()
    r = make("uninstall", "DESTDIR=%s" % d)
    assert r.returncode == 0, r.stdout
    left = [os.path.join(p, f) for p, _, fs in os.walk(d) for f in fs]
    assert left == []


# --- /etc/grub.d/42_hop ---------------------------------------------------------

@pytest.fixture
def boot(tmp_path):
    """A stand-in /boot: hop.elf and RAM disks in boot/hop/."""
    b = tmp_path / "boot"
    (b / "hop").mkdir(parents=True)
    (b / "hop.elf").write_bytes(b"\x7fELF")
    for name in ("linux.cpio", "xen.cpio.gz", "it's here.cpio", "notes.txt"):
        (b / "hop" / name).write_bytes(b"070701")
    return b


def write_default(tmp_path, boot, extra=""):
    cfg = tmp_path / "default-hop"
    cfg.write_text(
        "HOP_ELF=%s/hop.elf\n"
        'HOP_CMDLINE="timeout=3"\n'
        "HOP_RAMDISK_DIR=%s/hop\n"
        'HOP_ENTRIES="\n'
        "# title | RAM disk | more of hop's command line\n"
        "Xen, second entry | %s/hop/xen.cpio.gz | default=1 cmdline=\\\"a b\\\"\n"
        "Gone | %s/hop/gone.cpio |\n"
        '"\n%s' % (boot, boot, boot, boot, extra))
    return cfg


def grub_script(dest, cfg, **env_extra):
    env = clean_env()
    for key in ("pkgdatadir", "GRUB_DEVICE_BOOT"):
        env.pop(key, None)
    env["HOP_DEFAULT_FILE"] = str(cfg)
    # the installed hop-kernels, which the script looks for at PREFIX
    env["HOP_KERNELS_CMD"] = installed(dest, PREFIX, "lib/hop/hop-kernels")
    env.update(env_extra)
    return subprocess.run(["/bin/sh", installed(dest, "/etc/grub.d/42_hop")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env)


def script_check(text):
    r = subprocess.run(["grub-script-check"], input=text,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    assert r.returncode == 0, r.stdout + "\n" + text


@needs_script_check
def test_grub_script_standalone(dest, tmp_path, boot):
    r = grub_script(dest, write_default(tmp_path, boot))
    assert r.returncode == 0, r.stderr
    script_check(r.stdout)
    b = str(boot)
    assert r.stdout == "".join([
        "menuentry 'Xen, second entry' --class hop --id hop-Xen--second-entry {\n",
        "\techo 'Loading hop and %s/hop/xen.cpio.gz ...'\n" % b,
        '\tmultiboot2 %s/hop.elf timeout=3 default=1 cmdline="a b"\n' % b,
        "\tmodule2 %s/hop/xen.cpio.gz ramdisk\n" % b,
        "}\n",
        "menuentry 'hop: it'\\''s here' --class hop --id hop-it-s-here {\n",
        "\techo 'Loading hop and %s/hop/it'\\''s here.cpio ...'\n" % b,
        "\tmultiboot2 %s/hop.elf timeout=3\n" % b,
        "\tmodule2 '%s/hop/it'\\''s here.cpio' ramdisk\n" % b,
        "}\n",
        "menuentry 'hop: linux' --class hop --id hop-linux {\n",
        "\techo 'Loading hop and %s/hop/linux.cpio ...'\n" % b,
        "\tmultiboot2 %s/hop.elf timeout=3\n" % b,
        "\tmodule2 %s/hop/linux.cpio ramdisk\n" % b,
        "}\n",
        "menuentry 'hop: xen' --class hop --id hop-xen {\n",
        "\techo 'Loading hop and %s/hop/xen.cpio.gz ...'\n" % b,
        "\tmultiboot2 %s/hop.elf timeout=3\n" % b,
        "\tmodule2 %s/hop/xen.cpio.gz ramdisk\n" % b,
        "}\n"])
    assert "gone.cpio not found: no entry 'Gone'" in r.stderr
    assert "Found hop entry: hop: linux" in r.stderr


@needs_script_check
def test_grub_script_quiet_cases(dest, tmp_path, boot):
    # no /etc/default/hop: nothing, silently
    r = grub_script(dest, tmp_path / "none")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    # disabled
    r = grub_script(dest, write_default(tmp_path, boot, "HOP_DISABLE=true\n"))
    assert (r.returncode, r.stdout) == (0, "")
    # hop.elf missing: a warning, no entries, update-grub goes on
    (boot / "hop.elf").unlink()
    r = grub_script(dest, write_default(tmp_path, boot))
    assert (r.returncode, r.stdout) == (0, "")
    assert "hop.elf not found" in r.stderr
    # an entry without a RAM disk
    (boot / "hop.elf").write_bytes(b"")
    r = grub_script(dest, write_default(tmp_path, boot,
                                        'HOP_RAMDISK_DIR=\nHOP_ENTRIES="lonely"\n'))
    assert (r.returncode, r.stdout) == (0, "")
    assert "'lonely' names no RAM disk" in r.stderr


FAKE_LIB = """\
# stand-in for grub-mkconfig_lib: /boot is a partition of its own
grub_probe="{dir}/grub-probe"
make_system_path_relative_to_its_root () {{
  echo "${{1#{boot}}}"
}}
prepare_grub_to_access_device () {{
  echo "insmod part_gpt"
  echo "insmod ext2"
  echo "set root='hd0,gpt2'"
  echo "device=$1" >&2
}}
"""

FAKE_PROBE = """\
#!/bin/sh
# grub-probe --target=device FILE: files under {boot} are on /dev/vdb2
case "$2" in
{boot}/*) echo /dev/vdb2 ;;
*) echo /dev/vda1 ;;
esac
"""


@needs_script_check
def test_grub_script_under_grub_mkconfig(dest, tmp_path, boot):
    """With grub-mkconfig's environment (pkgdatadir, GRUB_DEVICE_BOOT) the
    paths are relative to /boot's file system and the entry loads what
    GRUB needs to reach it; a RAM disk elsewhere is left out."""
    lib = tmp_path / "grubdata"
    lib.mkdir()
    (lib / "grub-mkconfig_lib").write_text(FAKE_LIB.format(dir=lib, boot=boot))
    (lib / "grub-probe").write_text(FAKE_PROBE.format(boot=boot))
    (lib / "grub-probe").chmod(0o755)
    other = tmp_path / "elsewhere.cpio"
    other.write_bytes(b"")
    cfg = write_default(tmp_path, boot, 'HOP_ENTRIES="Other|%s|"\n' % other)
    r = grub_script(dest, cfg, pkgdatadir=str(lib), GRUB_DEVICE_BOOT="/dev/vdb2")
    assert r.returncode == 0, r.stderr
    script_check(r.stdout)
    assert r.stdout.startswith(
        "menuentry 'hop: it'\\''s here' --class hop --id hop-it-s-here {\n"
        "\tinsmod part_gpt\n\tinsmod ext2\n\tset root='hd0,gpt2'\n"
        "\techo 'Loading hop and %s/hop/it'\\''s here.cpio ...'\n"
        "\tmultiboot2 /hop.elf timeout=3\n"
        "\tmodule2 '/hop/it'\\''s here.cpio' ramdisk\n}\n" % boot)
    assert r.stdout.count("menuentry") == 3
    assert "\tmodule2 /hop/xen.cpio.gz ramdisk\n" in r.stdout
    assert "device=/dev/vdb2" in r.stderr
    assert "elsewhere.cpio is not on" in r.stderr and "no entry 'Other'" in r.stderr


def test_grub_script_is_posix_sh(dest):
    script = installed(dest, "/etc/grub.d/42_hop")
    for shell in ("dash", "sh"):
        if shutil.which(shell):
            r = subprocess.run([shell, "-n", script], stderr=subprocess.PIPE,
                               text=True)
            assert r.returncode == 0, r.stderr
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck", "-s", "sh", script],
                           stdout=subprocess.PIPE, text=True)
        assert r.returncode == 0, r.stdout


@needs_script_check
def test_grub_script_with_real_grub_mkconfig(dest, tmp_path, boot):
    """update-grub's own engine: a copy of grub-mkconfig whose /etc is a
    temporary directory holding only grub.d/42_hop.  Skipped where
    grub-mkconfig cannot probe the machine's disks (some containers)."""
    mkconfig = shutil.which("grub-mkconfig")
    if mkconfig is None:
        pytest.skip("no grub-mkconfig")
    etc = tmp_path / "etc"
    (etc / "grub.d").mkdir(parents=True)
    (etc / "default").mkdir()
    (etc / "default" / "grub").write_text("")
    shutil.copy(installed(dest, "/etc/grub.d/42_hop"), etc / "grub.d")
    with open(mkconfig) as f:
        text = f.read()
    assert '\nsysconfdir="/etc"\n' in text
    copy = tmp_path / "grub-mkconfig"
    copy.write_text(text.replace('\nsysconfdir="/etc"\n',
                                 '\nsysconfdir="%s"\n' % etc))
    out = tmp_path / "grub.cfg"
    env = clean_env()
    env["HOP_DEFAULT_FILE"] = str(write_default(tmp_path, boot))
    r = subprocess.run(["/bin/sh", str(copy), "-o", str(out)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    if r.returncode != 0 or not out.exists():
        pytest.skip("grub-mkconfig does not run here: " + r.stdout[-300:])
    cfg = out.read_text()
    script_check(cfg)
    assert "### BEGIN %s/grub.d/42_hop ###" % etc in cfg
    assert cfg.count("menuentry ") == 4
    assert "hop.elf timeout=3 default=1" in cfg
    assert "Found hop entry: hop: linux" in r.stdout
