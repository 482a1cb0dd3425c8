/* The portable boot flow: from parsed boot information to a kernel ready to
 * jump to.  The machine glue (arch/x86_64/main.c) calls hop_run and halts
 * with the code it returns when nothing could be booted. */
#ifndef HOP_HOP_H
#define HOP_HOP_H

#include "parse/bootinfo.h"
#include "mm/physmem.h"
#include "boot/boot.h"

/* Reads the configuration, opens the RAM disk, shows the menu and boots;
 * returns an exit code (src/exitcode.h) only when nothing could be booted. */
int hop_run(const struct bootinfo *bi, struct physmem *pm, const struct boot_machine *m);

/* Prints the memory map and the modules. */
void hop_print_bootinfo(const struct bootinfo *bi);

/* True when the command line holds the word `name` (alone or as name=...). */
bool hop_option_present(const char *cmdline, const char *name);

#endif
