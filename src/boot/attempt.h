/* One attempt at booting an entry: the state boot.c and the protocol glue
 * (src/boot/proto.c) share.  Large; lives in static storage. */
#ifndef HOP_BOOT_ATTEMPT_H
#define HOP_BOOT_ATTEMPT_H

#include "boot/boot.h"
#include "parse/elf.h"
#include "parse/mbheader.h"

struct boot_attempt_module {
    struct ramdisk_file file;
    const char *cmdline;
    size_t placed; /* index in k.placed */
};

/* The phases hop times (TSC cycles, printed before the jump). */
enum boot_phase {
    BOOT_PHASE_READ,     /* open (and inflate) the kernel, parse it */
    BOOT_PHASE_ASSEMBLE, /* segments, modules, the protocol's items */
    BOOT_PHASE_PLAN,     /* kimage_plan, digests included */
    BOOT_PHASE_LOAD,     /* the trampoline written, kimage_load's copies */
    BOOT_PHASE_INFO,     /* the protocol's info block built and sealed */
    BOOT_PHASES
};

struct boot_attempt {
    const struct boot_env *env;
    const struct config_entry *entry;
    enum config_protocol proto;
    struct ramdisk_file kernel;
    struct elf_image elf;
    bool has_mb1, has_mb2;
    struct mb1_header mb1;
    struct mb2_header mb2;
    paddr_t entry_paddr;       /* where the kernel is entered */
    bool has_load_base;        /* multiboot2 relocatable: the base chosen */
    paddr_t load_base;
    paddr_t max_addr;          /* end of RAM: what the trampoline maps */
    struct boot_attempt_module modules[CONFIG_MAX_MODULES + 1];
    size_t module_count;
    bool has_initrd;           /* modules[initrd_index] is Linux's initrd */
    size_t initrd_index;
    size_t info_placed;        /* the protocol's info block in k.placed */
    uint64_t info_size;
    struct kimage k;
    uint64_t phase_mark;
    uint64_t phase_cycles[BOOT_PHASES];
};

/* Protocol glue: before the plan, add the protocol's placed items (its info
 * block) and check what the kernel demands; after kimage_load, write them
 * and fill the entry state. */
struct boot_proto_ops {
    const char *name;
    int (*prepare)(struct boot_attempt *a, struct hop_error *err);
    int (*finish)(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err);
};

const struct boot_proto_ops *boot_proto_ops(enum config_protocol proto);

#endif
