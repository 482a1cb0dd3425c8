/* Values hop (and our test kernels) write to QEMU's isa-debug-exit port
 * when asked to (hop's `debug-exit` option); tools/hop-run exits with them.
 * See docs/testing.md. */
#ifndef HOP_EXITCODE_H
#define HOP_EXITCODE_H

#define HOP_EXIT_PASS 0       /* a test kernel's checks all passed */
#define HOP_EXIT_FAIL 1       /* a test kernel found something wrong */
#define HOP_EXIT_ERROR 2      /* hop stopped after an error; nothing was booted */
#define HOP_EXIT_EXCEPTION 3  /* hop took a CPU exception */
#define HOP_EXIT_VERIFY 4     /* a destination's digest did not match after the moves */
#define HOP_EXIT_NOTHING 5    /* hop had no kernel to boot and stopped */

#endif
