"""What the tools' command lines share: argparse that ends bad usage with
the tool's own status, "--opt VALUE" with a VALUE that starts with "-",
SRC=DEST arguments, input files that must exist, and the top-level run
(HopError -> its message and a status; Ctrl-C -> 130)."""

import argparse
import os
import sys

from .errors import HopError
from .exitcode import TOOL_USAGE

EXIT_INTERRUPTED = 130   # 128 + SIGINT, as a shell reports it


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors end the tool with
    `usage_status` (hop-run: 127, the others: 2)."""

    def __init__(self, *args, usage_status=TOOL_USAGE, **kwargs):
        super().__init__(*args, **kwargs)
        self.usage_status = usage_status

    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(self.usage_status)


def join_values(argv, value_options, long_names=None):
    """`argv` with each "--opt VALUE" of an option in `value_options`
    rewritten as "--opt=VALUE", so that argparse takes a VALUE beginning
    with "-" ("--cmdline -s") as the value.  A short option is written with
    its long name from `long_names` ("-o" -> "--output").  Nothing after
    "--" is touched."""
    long_names = long_names or {}
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in value_options and i + 1 < len(argv):
            out.append("%s=%s" % (long_names.get(arg, arg), argv[i + 1]))
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def src_dest(text):
    """argparse type for SRC=DEST (a host file and its path in the RAM
    disk; SRC may hold "=", DEST may not)."""
    src, sep, dest = text.rpartition("=")
    if not sep or not src or not dest:
        raise argparse.ArgumentTypeError("expected SRC=DEST, got %r" % text)
    return src, dest


def require_file(path, what, hint=""):
    """HopError unless `path` is a file: "WHAT PATH not found HINT"."""
    if not os.path.isfile(path):
        raise HopError("%s %s not found%s" % (what, path, hint))


def run(prog, main, error_status=None, broken_pipe_ok=False):
    """sys.exit(main(sys.argv[1:])); a HopError prints "PROG: message" on
    stderr and exits with `error_status`, or with its own status when that
    is None.  With `broken_pipe_ok`, a reader that went away (| head) ends
    the tool quietly with 0."""
    try:
        sys.exit(main(sys.argv[1:]))
    except HopError as e:
        sys.stderr.write("%s: %s\n" % (prog, e))
        sys.exit(e.status if error_status is None else error_status)
    except BrokenPipeError:
        if not broken_pipe_ok:
            raise
        sys.exit(0)
    except KeyboardInterrupt:
        sys.stderr.write("%s: interrupted\n" % prog)
        sys.exit(EXIT_INTERRUPTED)
