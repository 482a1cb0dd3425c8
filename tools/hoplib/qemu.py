"""Running a guest in qemu-system-x86_64 and turning how it ended into an
exit status.

How a run ends, and the status tools report (see EXIT_STATUS_HELP):
  - the guest writes V to I/O port 0xf4 (isa-debug-exit): QEMU exits with
    (V << 1) | 1, so V (0..127) is recovered from QEMU's status;
  - the guest powers off (ACPI): QMP event SHUTDOWN, reason guest-shutdown;
  - a triple fault: with -no-reboot, SHUTDOWN with reason guest-reset
    (QEMU exits 0 in both cases, hence the QMP connection);
  - a panic (pvpanic): GUEST_PANICKED / SHUTDOWN reason guest-panic;
  - the time runs out: hop-run kills QEMU.

QEMU starts paused (-S); the QMP client connects, then sends `cont`, so no
event is missed however fast the guest is.
"""

import json
import os
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .errors import HopError
from .exitcode import (EXIT_ABNORMAL, EXIT_BOOTLOADER, EXIT_NOT_STARTED,  # noqa: F401
                       EXIT_TIMEOUT)

QEMU = "qemu-system-x86_64"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
DEBUG_EXIT_PORT = 0xF4
DEBUG_EXIT_DEVICE = "isa-debug-exit,iobase=0x%x,iosize=4" % DEBUG_EXIT_PORT

# the statuses hop-run reports when the guest chose none: hoplib.exitcode
EXIT_STATUS_HELP = """\
exit status:
  V        the guest wrote V to I/O port 0x%x (isa-debug-exit); V is
           0..127 (QEMU exits with (V<<1)|1, 8 bits) and should stay
           below 124 to be told apart from the codes below
  0        also: the guest powered off (ACPI shutdown)
  124      timeout: QEMU was killed after --timeout seconds
  125      the guest reset (a triple fault, with -no-reboot) or panicked,
           or QEMU ended abnormally
  126      GRUB could not load the image (its error is shown)
  127      nothing ran: bad usage, a missing file or tool, QEMU failed to
           start (its messages are shown)
""" % DEBUG_EXIT_PORT

STARTUP_TIMEOUT = 30.0   # seconds for QEMU to open its QMP socket
KILL_GRACE = 3.0         # seconds between SIGTERM and SIGKILL


def find_qemu():
    path = shutil.which(QEMU)
    if path is None:
        raise HopError("%s not found: install qemu-system-x86 (make deps)"
                       % QEMU)
    return path


def check_ovmf():
    for path in (OVMF_CODE, OVMF_VARS):
        if not os.path.isfile(path):
            raise HopError("%s not found: install ovmf (make deps), needed "
                           "for --via grub-efi" % path)


def check_option_path(path, what):
    """QEMU splits -drive, -initrd, -monitor values at commas."""
    if "," in path:
        raise HopError("%s path %r contains a comma, which QEMU would take "
                       "as an option separator: use another path" % (what, path))


def base_command(machine="pc", mem="128M", smp=1, monitor_socket=None):
    """The QEMU command without the boot arguments."""
    if monitor_socket:
        check_option_path(monitor_socket, "--monitor-socket")
        monitor = "unix:%s,server=on,wait=off" % monitor_socket
    else:
        monitor = "none"
    return [QEMU, "-machine", machine, "-accel", "tcg", "-m", str(mem),
            "-smp", str(smp), "-nodefaults", "-vga", "std", "-display", "none",
            "-no-reboot", "-serial", "stdio", "-monitor", monitor,
            "-device", DEBUG_EXIT_DEVICE]


def kernel_args(kernel, append=None, initrd=()):
    """-kernel boot.  initrd: module strings ("PATH" or "PATH CMDLINE"); for
    a multiboot image QEMU makes each a module whose command line is the
    whole string, path included."""
    check_option_path(kernel, "kernel")
    args = ["-kernel", kernel]
    if append:
        args += ["-append", append]
    if initrd:
        for item in initrd:
            if "," in item:
                raise HopError("QEMU's -initrd separates modules with commas: "
                               "a module path or command line may not contain "
                               "one (%r)" % item)
        args += ["-initrd", ",".join(initrd)]
    return args


def cdrom_args(iso):
    check_option_path(iso, "ISO")
    return ["-drive", "file=%s,media=cdrom,format=raw,readonly=on" % iso,
            "-boot", "order=d"]


def ovmf_args(vars_copy):
    check_option_path(vars_copy, "OVMF variables")
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s"
            % OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=%s" % vars_copy]


def control_args(qmp_socket):
    """What `run` adds: start paused, QMP on a unix socket."""
    return ["-S", "-qmp", "unix:%s,server=on,wait=off" % qmp_socket]


def format_command(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


class Outcome:
    """How a run ended.  kind: one of exit, shutdown, reset, panic, timeout,
    bootloader, abnormal."""

    def __init__(self, kind, status, message=None, qemu_status=None):
        self.kind = kind
        self.status = status          # what the tool should exit with
        self.message = message        # for stderr, or None
        self.qemu_status = qemu_status

    def __repr__(self):
        return "Outcome(%r, %r, %r)" % (self.kind, self.status, self.message)


class Qmp:
    """A minimal QMP client: one command at a time, events collected."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.events = []

    def send(self, command, **arguments):
        self.send_with_id(command, None, **arguments)

    def send_with_id(self, command, ident, **arguments):
        """A command whose reply carries "id": ident (when not None)."""
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        if ident is not None:
            msg["id"] = ident
        self.sock.sendall(json.dumps(msg).encode() + b"\r\n")

    def feed(self, data):
        """Add received bytes; returns the complete messages."""
        self.buffer += data
        messages = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                msg = json.loads(line)
                if "event" in msg:
                    self.events.append(msg)
                messages.append(msg)
        return messages

    def wait_for(self, key, proc, deadline):
        """Read until a message with `key` ("QMP", "return") arrives."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                return None
            self.sock.settimeout(min(remaining, 0.2))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return None
            for msg in self.feed(data):
                if key in msg:
                    return msg
                if "error" in msg:
                    raise HopError("QMP error: %s" % msg["error"])


def _die_with_parent():
    """In the child: get SIGTERM when hop-run dies (Linux prctl), so an
    interrupted test leaves no QEMU behind."""
    try:
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG,
                                                signal.SIGTERM)
    except Exception:
        pass


def _stop(proc):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(KILL_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _connect(path, proc, deadline):
    """Connect to QEMU's QMP socket, waiting for QEMU to create it."""
    while time.monotonic() < deadline and proc.poll() is None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            time.sleep(0.01)
    return None


class _Output:
    """Where serial output goes: our stdout (flushed per chunk, so lines
    appear as the guest writes them), an optional log, a kept copy."""

    def __init__(self, stream, log):
        self.stream = stream
        self.log = log
        self.kept = bytearray()

    def write(self, data):
        if not data:
            return
        self.kept += data
        if self.stream is not None:
            try:
                self.stream.write(data)
                self.stream.flush()
            except BrokenPipeError:       # e.g. piped into head: go on
                self.stream = None
        if self.log is not None:
            self.log.write(data)
            self.log.flush()


def run(cmd, timeout, serial_filter=None, stdout=None, stderr=None,
        serial_log=None, serial_input=None, camera=None):
    """Run QEMU command `cmd` (without control_args) to its end.

    serial_filter: an object with feed(bytes) -> bytes, `failed` and
      pending() (see iso.GrubSerialFilter), or None to show everything.
    stdout / stderr: binary streams (default: ours); serial_log: a path.
    serial_input: a serialin.Feeder, or None.  With one, QEMU's stdin (the
      serial port's input, `-serial stdio`) is a pipe that receives each
      input's text once its marker has been shown; else /dev/null.
    camera: a screendump.Camera, or None.
    Returns (Outcome, serial output bytes as shown).
    """
    stdout = sys.stdout.buffer if stdout is None else stdout
    stderr = sys.stderr.buffer if stderr is None else stderr
    log = open(serial_log, "wb") if serial_log else None
    qmp_dir = tempfile.mkdtemp(prefix="hop-run-qmp-")
    qmp_path = os.path.join(qmp_dir, "qmp.sock")
    out = _Output(stdout, log)
    try:
        full = cmd + control_args(qmp_path)
        try:
            proc = subprocess.Popen(full, stdin=subprocess.DEVNULL
                                    if serial_input is None
                                    else subprocess.PIPE,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE,
                                    preexec_fn=_die_with_parent)
        except OSError as e:
            raise HopError("cannot run %s: %s: install qemu-system-x86 "
                           "(make deps)" % (cmd[0], e.strerror))
        try:
            typist = _Typist(proc.stdin, serial_input)
            return _supervise(proc, qmp_path, timeout, serial_filter, out,
                              stderr, typist, camera), bytes(out.kept)
        finally:
            _stop(proc)
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            proc.stdout.close()
            proc.stderr.close()
    finally:
        if log is not None:
            log.close()
        shutil.rmtree(qmp_dir, ignore_errors=True)


class _Typist:
    """Writes the due serial input into QEMU's stdin pipe, without ever
    blocking the output loop (what the pipe does not take now is kept)."""

    def __init__(self, pipe, feeder):
        self.pipe = pipe
        self.feeder = feeder
        self.queue = b""
        if pipe is not None:
            os.set_blocking(pipe.fileno(), False)

    def output(self, shown):
        """`shown`: all the serial output shown so far."""
        if self.feeder is None:
            return
        self.queue += self.feeder.feed(shown)
        self.flush()

    def flush(self):
        while self.queue and self.pipe is not None:
            try:
                n = os.write(self.pipe.fileno(), self.queue)
            except BlockingIOError:
                return
            except OSError:             # QEMU is gone
                self.queue = b""
                return
            self.queue = self.queue[n:]

    def unsent(self):
        return self.feeder.unsent() if self.feeder is not None else []


def _start(proc, qmp_path):
    """Connect QMP, negotiate, resume the guest.  Returns the Qmp or None
    when QEMU did not come up."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    sock = _connect(qmp_path, proc, deadline)
    if sock is None:
        return None
    qmp = Qmp(sock)
    try:
        if qmp.wait_for("QMP", proc, deadline) is None:
            return None
        qmp.send("qmp_capabilities")
        if qmp.wait_for("return", proc, deadline) is None:
            return None
        qmp.send("cont")
        if qmp.wait_for("return", proc, deadline) is None:
            return None
    except OSError:  # QEMU quit while starting (a bad -device, say)
        return None
    sock.setblocking(False)
    return qmp


def _supervise(proc, qmp_path, timeout, serial_filter, out, stderr,
               typist=None, camera=None):
    typist = typist or _Typist(None, None)
    qmp = _start(proc, qmp_path)
    if qmp is None:
        _stop(proc)
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        return Outcome("abnormal", EXIT_NOT_STARTED,
                       "QEMU failed to start (status %s)%s"
                       % (proc.returncode, ":\n" + err if err else ""),
                       proc.returncode)
    deadline = time.monotonic() + timeout
    stop_at = None            # when GRUB is stuck, give it a moment to talk
    timed_out = False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "serial")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    sel.register(qmp.sock, selectors.EVENT_READ, "qmp")
    open_pipes = 2
    quit_sent = None
    exited_at = None
    try:
        while open_pipes:
            now = time.monotonic()
            if proc.poll() is None:
                if not timed_out and now >= deadline:
                    timed_out = True
                    stop_at = now
                if stop_at is not None and now >= stop_at:
                    if quit_sent is None:
                        quit_sent = now      # a clean exit, no "signal 15"
                        _quit(qmp)
                    elif now >= quit_sent + KILL_GRACE:
                        _stop(proc)
            typist.flush()
            wait = 0.2 if proc.poll() is None else 1.0
            if typist.queue:
                wait = 0.01
            for key, _ in sel.select(wait):
                if key.data == "qmp":
                    try:
                        data = qmp.sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(qmp.sock)
                        continue
                    replies = qmp.feed(data)
                    if camera is not None:
                        camera.responses(replies)
                    continue
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    open_pipes -= 1
                elif key.data == "serial":
                    if serial_filter is not None:
                        data = serial_filter.feed(data)
                        if serial_filter.failed and stop_at is None:
                            stop_at = time.monotonic() + 1.0
                    out.write(data)
                    typist.output(out.kept)
                    if camera is not None:
                        camera.output(out.kept, qmp)
                else:
                    stderr.write(data)
                    stderr.flush()
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and \
                    time.monotonic() - exited_at > KILL_GRACE:
                break       # something else holds the pipes open
        proc.wait()
        _drain(qmp, camera)
    finally:
        sel.close()
        qmp.sock.close()
    for item in typist.unsent():
        stderr.write(("hop-run: note: serial input not sent, its marker "
                      "never came: %s\n" % item.describe()).encode())
        stderr.flush()
    for line in camera.report() if camera is not None else []:
        stderr.write(("hop-run: note: %s\n" % line).encode())
        stderr.flush()
    return _outcome(proc.returncode, qmp.events, timed_out, timeout,
                    serial_filter, out)


def _quit(qmp):
    try:
        qmp.send("quit")
    except OSError:
        pass


def _drain(qmp, camera=None):
    """QEMU has exited: read the events (and replies) still in the QMP
    socket."""
    qmp.sock.setblocking(True)
    qmp.sock.settimeout(1.0)
    try:
        while True:
            data = qmp.sock.recv(65536)
            if not data:
                return
            replies = qmp.feed(data)
            if camera is not None:
                camera.responses(replies)
    except OSError:
        return


def _outcome(status, events, timed_out, timeout, serial_filter, out):
    if serial_filter is not None and getattr(serial_filter, "failed", False):
        _show_pending(serial_filter, out)
        return Outcome("bootloader", EXIT_BOOTLOADER,
                       "GRUB could not load the image (see its messages "
                       "above)", status)
    if timed_out:
        _show_pending(serial_filter, out)
        return Outcome("timeout", EXIT_TIMEOUT,
                       "timeout after %g s" % timeout, status)
    reasons = [e.get("data", {}).get("reason") for e in events
               if e.get("event") == "SHUTDOWN"]
    panicked = any(e.get("event") == "GUEST_PANICKED" for e in events)
    if panicked or "guest-panic" in reasons:
        _show_pending(serial_filter, out)
        return Outcome("panic", EXIT_ABNORMAL, "guest panic", status)
    if reasons:
        reason = reasons[0]
        if reason == "guest-shutdown":
            return Outcome("shutdown", 0, None, status)
        _show_pending(serial_filter, out)
        if reason == "guest-reset":
            return Outcome("reset", EXIT_ABNORMAL,
                           "guest reset (triple fault?)", status)
        return Outcome("abnormal", EXIT_ABNORMAL,
                       "QEMU shut down (%s)" % reason, status)
    if status is not None and status > 0 and status & 1:
        _show_pending(serial_filter, out)
        return Outcome("exit", status >> 1, None, status)
    _show_pending(serial_filter, out)
    if status is not None and status < 0:
        how = "killed by signal %d" % -status
    else:
        how = "status %s" % status
    return Outcome("abnormal", EXIT_ABNORMAL,
                   "QEMU ended abnormally (%s)" % how, status)


def _show_pending(serial_filter, out):
    """The guest never got past the firmware or GRUB: show what they said."""
    pending = serial_filter.pending() if serial_filter is not None else b""
    if pending.strip():
        out.write(b"--- hop-run: firmware/GRUB output (the image was not "
                  b"started) ---\n" + pending + b"--- end ---\n")
