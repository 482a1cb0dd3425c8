/* The portable boot flow: from parsed boot information to a kernel ready to
 * jump to.  The machine glue (arch/x86_64/main.c) parses hop's command line
 * first (hop_read_cmdline: its flags, debug-exit above all, count from the
 * start), then calls hop_run and halts with the code it returns when
 * nothing could be booted. */
#ifndef HOP_HOP_H
#define HOP_HOP_H

#include "parse/bootinfo.h"
#include "parse/config.h"
#include "mm/physmem.h"
#include "boot/boot.h"

/* Parses hop's command line, once, into the configuration every later step
 * reads.  An error is kept and reported by hop_run, after the boot
 * information is shown. */
const struct hop_config *hop_read_cmdline(const char *cmdline);

/* Opens the RAM disk, reads the configuration file, shows the menu and
 * boots; returns an exit code (src/exitcode.h) only when nothing could be
 * booted. */
int hop_run(const struct bootinfo *bi, struct physmem *pm, const struct boot_machine *m);

/* Prints the memory map and the modules. */
void hop_print_bootinfo(const struct bootinfo *bi);

#endif
