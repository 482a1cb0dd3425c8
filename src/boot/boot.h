/* Booting one configuration entry: find the kernel, read it, choose the
 * protocol, assemble the kimage (segments, modules, boot info), plan the
 * relocation and hand the machine over.  Portable: the machine layer
 * supplies physical memory, the trampoline and the jump through struct
 * boot_machine, so the whole attempt also runs on the host's simulator. */
#ifndef HOP_BOOT_H
#define HOP_BOOT_H

#include "parse/bootinfo.h"
#include "parse/config.h"
#include "protos/proto.h"
#include "reloc/kimage.h"
#include "mm/physmem.h"
#include "ramdisk.h"

struct boot_machine {
    /* Physical memory as the boot flow reaches it (hop: its identity map;
     * the host tests: the simulator), and the way back from a pointer into
     * it, such as a file in the RAM disk, to its physical address. */
    struct phys_rw phys;
    paddr_t (*paddr_of)(void *ctx, const void *p);
    /* Bytes of control area the trampoline needs to map [0, max_addr). */
    uint64_t (*control_size)(paddr_t max_addr);
    /* Writes the trampoline into k->control_addr; called after kimage_plan. */
    void (*prepare)(struct kimage *k, paddr_t max_addr);
    /* Quiesces the machine and jumps; does not return. */
    void (*jump)(struct kimage *k, const struct handoff_cpu *cpu);
    /* Non-blocking input: a byte from a serial terminal (escape sequences
     * and all) or -1; a key from a keyboard (console/menu_keys.h) or -1. */
    int (*term_getc)(void);
    int (*key_getc)(void);
    /* Milliseconds since some fixed point, for the menu's countdown. */
    uint64_t (*now_ms)(void);
    /* A cycle counter (the TSC) and its rate, for the phase timings. */
    uint64_t (*cycles)(void);
    uint64_t (*cycles_per_ms)(void);
};

struct boot_env {
    const struct bootinfo *bi;
    const struct hop_config *cfg;
    struct physmem *pm;
    struct ramdisk *rd;
    const struct boot_machine *machine;
};

/* Tries to boot entry; returns only on failure, with err saying why. */
int boot_entry(const struct boot_env *env, const struct config_entry *entry,
               struct hop_error *err);

/* Boots the configured entries: the default first, then each other in order
 * (fallback), giving back the memory each failed attempt took.  Returns
 * only when all failed, after listing the reasons. */
int boot_all(const struct boot_env *env, size_t first);

#endif
