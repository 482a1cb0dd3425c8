/* Machine-level services the boot path uses. */
#ifndef HOP_ARCH_MACHINE_H
#define HOP_ARCH_MACHINE_H

#include "lib/types.h"
#include "exitcode.h"
#include "mm/physmem.h"

/* With the `debug-exit` option, halting also writes the code to QEMU's
 * isa-debug-exit port so that test runs end by themselves. */
void machine_enable_debug_exit(void);
void machine_debug_exit(int code);
bool machine_debug_exit_enabled(void);
__attribute__((noreturn)) void hop_halt(int code);

/* Identity-maps all RAM in the map above the 4 GiB that the entry code
 * mapped, with page-table pages from pm. */
int paging_map_ram(struct physmem *pm, struct hop_error *err);

/* Identity-maps device memory [start, end) above those 4 GiB, uncached
 * (a framebuffer placed high), with page-table pages from pm. */
int paging_map_device(struct physmem *pm, paddr_t start, paddr_t end, struct hop_error *err);

#endif
