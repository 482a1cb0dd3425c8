"""The Debian package (issue 18): `make deb` builds build/deb/hop_VERSION_amd64.deb
from a copy of the tree, lintian finds no error in it, its files are where
the issue says, dpkg installs and purges it in a staging root (dpkg --root,
its maintainer scripts honouring DPKG_ROOT), its manual pages render
without a groff warning; the grub.d script with HOP_KERNELS=auto and the
kernel hooks, as the package installs them, make, list and remove one RAM
disk per kernel of a fake /boot (every path overridable by environment),
and grub-script-check accepts what the script prints (also under the real
grub-mkconfig).  The two slow tests (marked `slow`, a few seconds each
under TCG) boot in QEMU: GRUB with the very menu entry the script
generated (the package's hop.elf, the RAM disk hop-kernels made for a
fake kernel, the demo kernel, and the kernel command line through GRUB's
quoting to the kernel), and the package's hop-run with its hop.elf.
15-30 s in all, most of it make deb (which needs no network: its build
dependencies are make deps's).

Run: /usr/bin/python3 -m pytest -q tests/tools/test_deb.py
"""

import gzip
import os
import re
import shutil
import stat
import subprocess
import time

import pytest

from hoplib import iso, qemu
from hoptest import DEMO, ROOT, built

BUILD_DEB = os.path.join(ROOT, "build", "deb")
TOOLS = ["hop-mkimage", "hop-ramdisk", "hop-run", "hop-extract-vmlinux"]
MAN_PAGES = ["man8/hop.8", "man5/hop.cfg.5", "man1/hop-mkimage.1",
             "man1/hop-ramdisk.1", "man1/hop-run.1", "man1/hop-extract-vmlinux.1"]
CONFFILES = ["/etc/default/hop", "/etc/grub.d/42_hop",
             "/etc/kernel/postinst.d/zz-hop", "/etc/kernel/postrm.d/zz-hop",
             "/etc/initramfs/post-update.d/zz-hop"]


def needs(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    return pytest.mark.skipif(bool(missing), reason="needs %s (make deps)" % ", ".join(missing))


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("timeout", 120)
    return subprocess.run([str(c) for c in cmd], text=True, **kw)


def clean_env(**extra):
    env = dict(os.environ)
    for key in ("PYTHONPATH", "pkgdatadir", "GRUB_DEVICE_BOOT", "GRUB_DEVICE",
                "GRUB_DEVICE_UUID", "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT",
                "GRUB_DISTRIBUTOR"):
        env.pop(key, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="module")
def deb():
    """make deb, once for the module: the .deb's path.  make deb installs
    what it needs as root (tools/install-deps deb); as another user,
    without them, the tests are skipped."""
    missing = [p for p in ("dpkg-buildpackage", "dh", "scdoc") if shutil.which(p) is None]
    if missing and os.getuid() != 0:
        pytest.skip("needs %s (make deps)" % ", ".join(missing))
    version = run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "debian/changelog"),
                   "-S", "Version"]).stdout.strip()
    before = tree_state()
    r = run(["make", "--no-print-directory", "-C", ROOT, "deb"],
            stderr=subprocess.STDOUT, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    test_tree_stays_clean.state = (before, tree_state())
    path = os.path.join(BUILD_DEB, "hop_%s_amd64.deb" % version)
    assert os.path.isfile(path), os.listdir(BUILD_DEB)
    return path


@pytest.fixture(scope="module")
def staging(deb, tmp_path_factory):
    """The package's files, extracted."""
    root = tmp_path_factory.mktemp("deb-root")
    r = run(["dpkg-deb", "-x", deb, root])
    assert r.returncode == 0, r.stderr
    return root


def at(root, path):
    return os.path.join(str(root), path.lstrip("/"))


def tree_state():
    """git status of the source tree (build/ is ignored), and hop_* files in
    its parent directory, where dpkg-buildpackage writes."""
    r = run(["git", "-C", ROOT, "status", "--porcelain"])
    return r.stdout, sorted(f for f in os.listdir(os.path.dirname(ROOT)) if f.startswith("hop_"))


def test_tree_stays_clean(deb):
    """dpkg-buildpackage ran on a copy under build/deb: nothing changed in
    the source tree nor in its parent directory."""
    before, after = test_tree_stays_clean.state
    assert after == before
    assert os.path.dirname(deb) == BUILD_DEB


@needs("lintian")
def test_lintian_no_errors(deb):
    changes = re.sub(r"\.deb$", ".changes", deb)
    r = run(["lintian", "--no-tag-display-limit", changes], timeout=300)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    assert errors == [], r.stdout
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_files(deb, staging):
    hop = at(staging, "/usr/lib/hop/hop.elf")
    with open(hop, "rb") as f:
        assert f.read(4) == b"\x7fELF"
    assert stat.S_IMODE(os.stat(hop).st_mode) == 0o644
    for tool in TOOLS:
        path = at(staging, "/usr/bin/" + tool)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
        with open(path) as f:
            assert f.readline() == "#!/usr/bin/python3\n"
    assert os.path.isfile(at(staging, "/usr/lib/hop/hoplib/paths.py"))
    with open(at(staging, "/usr/lib/hop/hoplib/paths.py")) as f:
        assert 'INSTALLED_HOP = "/usr/lib/hop/hop.elf"\n' in f.read()
    for path in CONFFILES + ["/usr/lib/hop/hop-kernels"]:
        assert os.path.isfile(at(staging, path)), path
    for path in CONFFILES[1:] + ["/usr/lib/hop/hop-kernels"]:
        assert stat.S_IMODE(os.stat(at(staging, path)).st_mode) == 0o755, path
    with open(at(staging, "/etc/grub.d/42_hop")) as f:
        text = f.read()
    assert "HOP_ELF=/boot/hop.elf\n" in text and "/usr/lib/hop/hop-kernels" in text
    assert not re.search(r"@[A-Z_]+@", text)
    with open(at(staging, "/etc/default/hop")) as f:
        assert "HOP_ELF=/boot/hop.elf\n" in f.read()
    for page in MAN_PAGES:
        assert os.path.isfile(at(staging, "/usr/share/man/%s.gz" % page)), page
    # no hop.efi nor Linux-protocol hop yet (issue 18: "when they exist")
    assert sorted(os.listdir(at(staging, "/usr/lib/hop"))) == ["hop-kernels", "hop.elf", "hoplib"]
    # the control fields
    r = run(["dpkg-deb", "-f", deb, "Package", "Architecture", "Depends", "Recommends"])
    assert "Architecture: amd64" in r.stdout
    assert re.search(r"^Depends: .*python3", r.stdout, re.M)
    for name in ("grub-common", "xorriso", "mtools", "grub-pc-bin", "grub-efi-amd64-bin"):
        assert re.search(r"^Recommends: .*\b%s\b" % name, r.stdout, re.M), name
    r = run(["dpkg-deb", "-I", deb, "conffiles"])
    assert sorted(r.stdout.split()) == sorted(CONFFILES)


def test_installed_tools_run(staging, tmp_path):
    env = clean_env()
    for tool in TOOLS:
        r = run([at(staging, "/usr/bin/" + tool), "--help"], env=env, cwd=str(tmp_path))
        assert r.returncode == 0, (tool, r.stderr)
    r = run([at(staging, "/usr/bin/hop-mkimage"), "--help"], env=env)
    assert "(default: /usr/lib/hop/hop.elf)" in r.stdout


@needs("dpkg")
def test_dpkg_root_install_and_purge(deb, tmp_path):
    """dpkg --root into an empty staging root: the maintainer scripts run
    here (chrootless, with DPKG_ROOT), copy hop.elf to ROOT/boot and leave
    the host's GRUB alone; purge removes what they added and the conffiles."""
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").write_text("")
    dpkg = ["dpkg", "--root=%s" % root, "--force-script-chrootless", "--force-depends",
            "--force-not-root", "--log=/dev/null"]
    r = run(dpkg + ["-i", deb])
    assert r.returncode == 0, r.stdout + r.stderr
    with open(root / "boot/hop.elf", "rb") as a, open(root / "usr/lib/hop/hop.elf", "rb") as b:
        assert a.read() == b.read()
    for path in CONFFILES:
        assert os.path.isfile(at(root, path))
    # RAM disks made for kernels (by hop-kernels) go on purge, a user's stay
    (root / "boot/hop/kernels").mkdir(parents=True)
    (root / "boot/hop/kernels/linux-6.1.0-9-amd64.cpio").write_bytes(b"070701")
    (root / "boot/hop/mine.cpio").write_bytes(b"070701")
    r = run(dpkg + ["--remove", "hop"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (root / "boot/hop.elf").exists()
    assert os.path.isfile(at(root, "/etc/default/hop"))        # conffiles stay
    r = run(dpkg + ["--purge", "hop"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (root / "boot/hop/kernels").exists()
    assert (root / "boot/hop/mine.cpio").exists()
    left = sorted(os.path.relpath(os.path.join(p, f), root) for p, _, fs in os.walk(root)
                  for f in fs if not os.path.relpath(p, root).startswith("var"))
    assert left == ["boot/hop/mine.cpio"]


@needs("man", "groff")
def test_man_pages_render(staging, tmp_path):
    """Each page, as installed (gzipped), through man -l and groff -ww: no
    warning, and the NAME section says what it is."""
    for page in MAN_PAGES:
        path = at(staging, "/usr/share/man/%s.gz" % page)
        r = run(["man", "--warnings=w", "-l", path],
                env=clean_env(MANWIDTH=80, MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8"))
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
        name = os.path.basename(page).rsplit(".", 1)[0]
        assert re.search(r"^NAME\n +%s - " % re.escape(name), r.stdout, re.M), r.stdout[:300]
        src = tmp_path / os.path.basename(page)
        with gzip.open(path, "rb") as f:
            src.write_bytes(f.read())
        r = run(["groff", "-ww", "-man", "-Tutf8", "-z", src])
        assert (r.returncode, r.stderr) == (0, ""), (page, r.stderr)


# --- /etc/grub.d/42_hop with HOP_KERNELS=auto, and the kernel hooks -----------

VERSIONS = ["6.1.0-9-amd64", "6.1.0-10-amd64"]   # sorted newest first: 10, then 9


@pytest.fixture
def fake(staging, tmp_path):
    """A fake /boot with two kernels and their initrds, an /etc/default/hop
    with HOP_KERNELS=auto, and the environment that points the package's
    scripts at them."""
    boot = tmp_path / "boot"
    boot.mkdir()
    shutil.copy(at(staging, "/usr/lib/hop/hop.elf"), boot / "hop.elf")
    for v in VERSIONS:
        (boot / ("vmlinuz-" + v)).write_bytes(b"MZ kernel " + v.encode())
        (boot / ("initrd.img-" + v)).write_bytes(b"initrd " + v.encode())
    cfg = tmp_path / "default-hop"
    cfg.write_text('HOP_ELF=%s/hop.elf\nHOP_CMDLINE="timeout=2"\nHOP_KERNELS=auto\n' % boot)
    env = clean_env(HOP_DEFAULT_FILE=cfg, HOP_BOOT_DIR=boot,
                    HOP_RAMDISK_CMD=at(staging, "/usr/bin/hop-ramdisk"),
                    HOP_KERNELS_CMD=at(staging, "/usr/lib/hop/hop-kernels"))
    return boot, cfg, env


def grub_d(staging, env, **extra):
    e = dict(env)
    e.update(extra)
    return run(["/bin/sh", at(staging, "/etc/grub.d/42_hop")], env=e)


def ramdisks(boot):
    d = boot / "hop" / "kernels"
    return sorted(os.listdir(d)) if d.exists() else []


def listing(staging, rd):
    r = run([at(staging, "/usr/bin/hop-ramdisk"), "--list", rd], env=clean_env())
    assert r.returncode == 0, r.stderr
    return r.stdout


def cpio_file(rd, name):
    """The bytes of `name` in the newc archive `rd` (just enough of cpio)."""
    data = rd.read_bytes()
    off = 0
    while off < len(data):
        size, namesize = int(data[off + 54:off + 62], 16), int(data[off + 94:off + 102], 16)
        start = off + 110
        path = data[start:start + namesize - 1].decode()
        body = (start + namesize + 3) & ~3
        if path.lstrip("/") == name.lstrip("/"):
            return data[body:body + size]
        off = (body + size + 3) & ~3
    raise KeyError(name)


def script_check(text):
    r = run(["grub-script-check"], input=text, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout + "\n" + text


@needs("grub-script-check")
def test_grub_d_entry_per_kernel(staging, fake):
    boot, _, env = fake
    r = grub_d(staging, env, GRUB_DEVICE_UUID="1234-abcd", GRUB_CMDLINE_LINUX="console=ttyS0",
               GRUB_CMDLINE_LINUX_DEFAULT="quiet")
    assert r.returncode == 0, r.stderr
    script_check(r.stdout)
    b = str(boot)
    expected = ""
    for v in reversed(VERSIONS):
        rd = "%s/hop/kernels/linux-%s.cpio" % (b, v)
        expected += (
            "menuentry 'hop: Debian GNU/Linux, with Linux %s' --class hop --id hop-linux-%s {\n"
            "\techo 'Loading hop and %s ...'\n"
            "\tmultiboot2 %s/hop.elf timeout=2 'cmdline=root=UUID=1234-abcd ro console=ttyS0 quiet'\n"
            "\tmodule2 %s ramdisk\n}\n" % (v, v, rd, b, rd))
    assert r.stdout == expected
    assert ramdisks(boot) == ["linux-%s.cpio" % v for v in sorted(VERSIONS)]
    rd = boot / "hop/kernels/linux-6.1.0-9-amd64.cpio"
    assert cpio_file(rd, "/boot/vmlinuz-6.1.0-9-amd64") == b"MZ kernel 6.1.0-9-amd64"
    assert cpio_file(rd, "/boot/initrd.img-6.1.0-9-amd64") == b"initrd 6.1.0-9-amd64"
    cfg = cpio_file(rd, "/hop.cfg").decode()
    assert "\nkernel=/boot/vmlinuz-6.1.0-9-amd64\ninitrd=/boot/initrd.img-6.1.0-9-amd64\n" in cfg
    assert "/boot/hop.cfg" not in listing(staging, rd)
    assert "hop-kernels: made %s" % rd in r.stderr


@needs("grub-script-check")
def test_grub_d_follows_kernels(staging, fake):
    """Up to date RAM disks are kept as they are; a newer initrd remakes
    one; a kernel gone takes its RAM disk and entry with it."""
    boot, cfg, env = fake
    assert grub_d(staging, env).returncode == 0
    rd9 = boot / "hop/kernels/linux-6.1.0-9-amd64.cpio"
    rd10 = boot / "hop/kernels/linux-6.1.0-10-amd64.cpio"
    old = time.time() - 100
    for rd in (rd9, rd10):
        os.utime(rd, (old, old))
    for f in boot.glob("*-6.1.0-*"):
        os.utime(f, (old - 100, old - 100))
    (boot / "initrd.img-6.1.0-10-amd64").write_bytes(b"new initrd")
    r = grub_d(staging, env)
    assert r.returncode == 0, r.stderr
    assert os.stat(rd9).st_mtime == old                 # untouched
    assert os.stat(rd10).st_mtime > old                 # remade
    assert cpio_file(rd10, "/boot/initrd.img-6.1.0-10-amd64") == b"new initrd"
    (boot / "vmlinuz-6.1.0-9-amd64").unlink()
    (boot / "initrd.img-6.1.0-9-amd64").unlink()
    r = grub_d(staging, env)
    assert r.returncode == 0, r.stderr
    script_check(r.stdout)
    assert ramdisks(boot) == ["linux-6.1.0-10-amd64.cpio"]
    assert r.stdout.count("menuentry") == 1 and "6.1.0-9" not in r.stdout
    assert "removed %s" % rd9 in r.stderr
    # HOP_KERNEL_CMDLINE wins; without HOP_KERNELS=auto, no kernel entries
    with open(cfg, "a") as f:
        f.write('HOP_KERNEL_CMDLINE="root=/dev/vda1 rw"\n')
    r = grub_d(staging, env, GRUB_DEVICE_UUID="ignored")
    assert "\tmultiboot2 %s/hop.elf timeout=2 'cmdline=root=/dev/vda1 rw'\n" % boot in r.stdout
    with open(cfg, "a") as f:
        f.write("HOP_KERNELS=\n")
    r = grub_d(staging, env)
    assert (r.returncode, r.stdout) == (0, "")
    # hop removed, not purged: no hop.elf, no hop-kernels, and not a word
    (boot / "hop.elf").unlink()
    r = grub_d(staging, env, HOP_KERNELS_CMD="/nonexistent/hop-kernels")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


@needs("grub-script-check", "grub-mkconfig")
def test_grub_d_under_real_grub_mkconfig(staging, fake, tmp_path):
    """update-grub's engine, grub-mkconfig, with a temporary sysconfdir
    whose grub.d holds only the package's 42_hop: its environment
    (GRUB_DEVICE, the helpers that make paths relative) gives the kernel
    entries a root= and a grub.cfg grub-script-check accepts.  Skipped where
    grub-mkconfig cannot probe this machine's disks."""
    boot, _, env = fake
    etc = tmp_path / "etc"
    (etc / "grub.d").mkdir(parents=True)
    (etc / "default").mkdir()
    (etc / "default/grub").write_text('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n')
    shutil.copy(at(staging, "/etc/grub.d/42_hop"), etc / "grub.d")
    with open(shutil.which("grub-mkconfig")) as f:
        text = f.read()
    assert '\nsysconfdir="/etc"\n' in text
    mkconfig = tmp_path / "grub-mkconfig"
    mkconfig.write_text(text.replace('\nsysconfdir="/etc"\n', '\nsysconfdir="%s"\n' % etc))
    out = tmp_path / "grub.cfg"
    r = run(["/bin/sh", mkconfig, "-o", out], env=env, stderr=subprocess.STDOUT)
    if r.returncode != 0 or not out.exists():
        pytest.skip("grub-mkconfig does not run here: " + r.stdout[-300:])
    cfg = out.read_text()
    script_check(cfg)
    assert cfg.count("menuentry 'hop: Debian GNU/Linux, with Linux ") == 2
    assert re.search(r"\tmultiboot2 \S*/hop.elf timeout=2 'cmdline=root=\S+ ro quiet'\n", cfg), cfg
    assert ramdisks(boot) == ["linux-%s.cpio" % v for v in sorted(VERSIONS)]


def test_kernel_hooks(staging, fake):
    """/etc/kernel/postinst.d/zz-hop makes the RAM disks of the kernels
    installed, postrm.d/zz-hop removes the one of a kernel removed,
    /etc/initramfs/post-update.d/zz-hop remakes one for a new initrd; none
    fails a kernel's installation, and both do nothing once hop is removed
    (their hop-kernels gone) or without HOP_KERNELS=auto."""
    boot, cfg, env = fake
    postinst = at(staging, "/etc/kernel/postinst.d/zz-hop")
    postrm = at(staging, "/etc/kernel/postrm.d/zz-hop")
    v = "6.1.0-10-amd64"
    r = run([postinst, v, boot / ("vmlinuz-" + v)], env=env)
    assert r.returncode == 0, r.stderr
    assert ramdisks(boot) == ["linux-%s.cpio" % x for x in sorted(VERSIONS)]
    (boot / ("vmlinuz-" + v)).unlink()
    r = run([postrm, v, boot / ("vmlinuz-" + v)], env=env)
    assert r.returncode == 0, r.stderr
    assert ramdisks(boot) == ["linux-6.1.0-9-amd64.cpio"]
    # a kernel without an initrd still gets one, with a warning
    (boot / "vmlinuz-6.2.0-1-amd64").write_bytes(b"MZ")
    r = run([postinst, "6.2.0-1-amd64"], env=env)
    assert r.returncode == 0 and "initrd.img-6.2.0-1-amd64 not found" in r.stderr
    assert "linux-6.2.0-1-amd64.cpio" in ramdisks(boot)
    # a failure is told, and is no failure of the kernel's installation
    (boot / "vmlinuz-6.3.0-1-amd64").write_bytes(b"MZ")
    r = run([postinst, "6.3.0-1-amd64"], env=dict(env, HOP_RAMDISK_CMD="/bin/false"))
    assert r.returncode == 0 and "sync failed" in r.stderr
    assert not [f for f in ramdisks(boot) if "6.3.0" in f]
    # update-initramfs remade an initrd: its RAM disk is remade
    rd = boot / "hop/kernels/linux-6.1.0-9-amd64.cpio"
    old = time.time() - 100
    os.utime(rd, (old, old))
    (boot / "initrd.img-6.1.0-9-amd64").write_bytes(b"remade")
    r = run([at(staging, "/etc/initramfs/post-update.d/zz-hop"), "6.1.0-9-amd64",
             boot / "initrd.img-6.1.0-9-amd64"], env=env)
    assert r.returncode == 0, r.stderr
    assert cpio_file(rd, "/boot/initrd.img-6.1.0-9-amd64") == b"remade"
    # removed but not purged: quiet
    r = run([postinst, v], env=dict(env, HOP_KERNELS_CMD="/nonexistent/hop-kernels"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    # not asked for
    cfg.write_text("HOP_KERNELS=\n")
    (boot / "vmlinuz-6.3.0-1-amd64").unlink()
    before = ramdisks(boot)
    (boot / "vmlinuz-6.1.0-9-amd64").unlink()
    r = run([postrm, "6.1.0-9-amd64"], env=env)
    assert (r.returncode, r.stderr) == (0, "")
    assert ramdisks(boot) == before


def test_scripts_are_posix_sh(staging):
    scripts = [at(staging, p) for p in ["/etc/grub.d/42_hop", "/usr/lib/hop/hop-kernels",
                                        "/etc/kernel/postinst.d/zz-hop"]]
    scripts += [os.path.join(ROOT, "debian", f) for f in ("hop.postinst", "hop.postrm")]
    for script in scripts:
        if shutil.which("dash"):
            r = run(["dash", "-n", script])
            assert r.returncode == 0, r.stderr
        if shutil.which("shellcheck"):
            r = run(["shellcheck", "-s", "sh", script])
            assert r.returncode == 0, r.stdout


# --- QEMU: GRUB -> the package's hop -> a kernel, by the generated entry --------

@pytest.mark.slow
@needs("grub-mkrescue", "xorriso", "qemu-system-x86_64")
def test_boot_generated_entry(staging, tmp_path):
    """An ISO whose /boot is the fake /boot: the package's hop.elf, a "kernel"
    vmlinuz-X (the demo kernel, which hop boots by multiboot2) with its
    initrd, and a grub.cfg that is the generated entry, paths made relative
    to the ISO as grub-mkconfig makes them relative to /boot's file system.
    The demo kernel prints the command line it got through GRUB's quoting and
    hop's, and the initrd as a module, then leaves QEMU with status 1 (its 0)."""
    built(DEMO)
    tree = tmp_path / "iso"
    boot = tree / "boot"
    (boot / "grub").mkdir(parents=True)
    shutil.copy(at(staging, "/usr/lib/hop/hop.elf"), boot / "hop.elf")
    v = "6.1.0-99-amd64"
    shutil.copy(DEMO, boot / ("vmlinuz-" + v))
    (boot / ("initrd.img-" + v)).write_bytes(b"an initrd\n")
    cfg = tmp_path / "default-hop"
    cfg.write_text("HOP_ELF=%s/hop.elf\nHOP_KERNELS=auto\n"
                   'HOP_KERNEL_CMDLINE="root=UUID=1234 ro quiet \\"q a\\" x\'y"\n' % boot)
    env = clean_env(HOP_DEFAULT_FILE=cfg, HOP_BOOT_DIR=boot,
                    HOP_RAMDISK_CMD=at(staging, "/usr/bin/hop-ramdisk"),
                    HOP_KERNELS_CMD=at(staging, "/usr/lib/hop/hop-kernels"))
    r = grub_d(staging, env)
    assert r.returncode == 0 and r.stdout.count("menuentry") == 1, r.stderr
    entries = r.stdout.replace(str(tree), "")
    (boot / "grub/grub.cfg").write_text("set timeout=0\nset default=0\n" + entries)
    # the RAM disk alone is what GRUB loads: the kernel files go from the ISO
    for f in list(boot.glob("*-" + v)):
        f.unlink()
    out = tmp_path / "hop.iso"
    iso.build_iso(str(tree), str(out))
    cmd = qemu.base_command(mem="256M") + qemu.cdrom_args(str(out))
    p = run(cmd, timeout=120, stderr=subprocess.STDOUT)
    text = p.stdout
    assert p.returncode == 1, text[-3000:]
    assert 'demo: command line "root=UUID=1234 ro quiet "q a" x\'y"' in text, text[-3000:]
    assert re.search(r'demo: module "/boot/initrd.img-%s" 10 bytes' % v, text), text[-3000:]


@pytest.mark.slow
@needs("grub-mkrescue", "xorriso", "qemu-system-x86_64")
def test_packaged_hop_run_boots_demo(staging, tmp_path):
    """The package's hop-run (its hoplib from /usr/lib/hop) with the
    package's hop.elf boots the demo kernel through GRUB: status 0."""
    built(DEMO)
    r = run([at(staging, "/usr/bin/hop-run"), "--hop", at(staging, "/usr/lib/hop/hop.elf"),
             DEMO, "--cmdline", "from the package"], env=clean_env(), cwd=str(tmp_path),
            stderr=subprocess.STDOUT, timeout=180)
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'demo: command line "from the package"' in r.stdout
