"""Exit statuses, each defined once on the Python side.

hop's own (src/exitcode.h, mirrored here): the value hop or a test kernel
writes to QEMU's isa-debug-exit port when asked to (hop's `debug-exit`
option); tools/hop-run exits with it (see hoplib.qemu).

hop-run's own, for runs whose guest chose no status (qemu.EXIT_STATUS_HELP
says what each means).

The other tools' (hop-mkimage, hop-ramdisk): done, an error the message
explains, bad usage.
"""

# src/exitcode.h: HOP_EXIT_*
EXIT_PASS = 0        # a test kernel's checks all passed
EXIT_FAIL = 1        # a test kernel found something wrong
EXIT_ERROR = 2       # hop stopped after an error; nothing was booted
EXIT_EXCEPTION = 3   # hop took a CPU exception
EXIT_VERIFY = 4      # a destination's digest did not match after the moves
EXIT_NOTHING = 5     # hop had no kernel to boot and stopped

# hop-run, when the guest did not choose
EXIT_TIMEOUT = 124       # QEMU was killed after --timeout seconds
EXIT_ABNORMAL = 125      # reset (triple fault), panic, QEMU died
EXIT_BOOTLOADER = 126    # GRUB could not load the image
EXIT_NOT_STARTED = 127   # bad usage, missing file or tool, QEMU did not start

# hop-mkimage, hop-ramdisk
TOOL_OK = 0
TOOL_ERROR = 1           # the message says what went wrong and what to do
TOOL_USAGE = 2           # bad usage (argparse's convention)
