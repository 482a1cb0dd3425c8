/* One attempt at booting an entry: the state every step of src/boot/ reads
 * and fills, as struct kimage is for the relocation (kernel.c reads the
 * kernel and picks the protocol, layout.c says where everything goes,
 * info.c builds the protocol's info block, boot.c runs the steps).  Large;
 * lives in static storage, cleared at the start of each attempt. */
#ifndef HOP_BOOT_ATTEMPT_H
#define HOP_BOOT_ATTEMPT_H

#include "boot/boot.h"

/* The phases hop times (TSC cycles, printed before the jump). */
enum boot_phase {
    BOOT_PHASE_READ,     /* open (and inflate) the kernel, parse it */
    BOOT_PHASE_ASSEMBLE, /* segments, modules, the protocol's items */
    BOOT_PHASE_PLAN,     /* kimage_plan, digests included */
    BOOT_PHASE_LOAD,     /* the trampoline written, kimage_load's copies */
    BOOT_PHASE_INFO,     /* the protocol's info block built and sealed */
    BOOT_PHASES
};

/* Every file an entry can name: its modules and its initrds. */
#define BOOT_MAX_FILES (CONFIG_MAX_MODULES + CONFIG_MAX_INITRDS)

struct boot_attempt_module {
    struct ramdisk_file file;
    const char *cmdline;
    size_t placed; /* index in k.placed */
};

/* The kernel's section headers for multiboot2 tag 9, sh_addr patched for
 * the sections hop placed (info.c). */
#define BOOT_SECTIONS_MAX_BYTES 16384 /* 256 ELF64 section headers */
#define BOOT_SECTIONS_MAX_LOADED 64

struct boot_sections {
    struct elf_section_table table; /* count 0: none passed on */
    uint8_t copy[BOOT_SECTIONS_MAX_BYTES];
    struct {
        uint32_t index;
        size_t placed;
    } loaded[BOOT_SECTIONS_MAX_LOADED];
    size_t loaded_count;
};

/* The kernel's command line with make bench's " hop.control=0x" and 16 hex
 * digits appended (info.c). */
#define BOOT_CMDLINE_MAX (CONFIG_MAX_VALUE + 32)

struct boot_attempt {
    const struct boot_env *env;
    const struct config_entry *entry;
    const struct proto *proto;

    /* The kernel (kernel.c). */
    struct ramdisk_file file;
    struct proto_kernel kernel;

    /* Where things go (layout.c). */
    paddr_t entry_paddr;       /* where the kernel is entered */
    bool has_load_base;        /* relocatable: the base chosen */
    paddr_t load_base;
    paddr_t max_addr;          /* end of RAM: what the trampoline maps */
    struct boot_attempt_module modules[BOOT_MAX_FILES];
    size_t module_count;
    bool has_initrd;           /* modules[initrd_index] is Linux's initrd */
    size_t initrd_index;
    struct kimage k;

    /* The info block (info.c). */
    size_t info_placed;        /* in k.placed */
    uint64_t info_size;
    struct boot_sections sections;
    struct handoff_input handoff;
    struct handoff_module handoff_modules[BOOT_MAX_FILES];
    struct phys_range handoff_reserved[BOOT_MAX_FILES + 1]; /* + the trampoline */
    char cmdline[BOOT_CMDLINE_MAX];

    uint64_t phase_mark;
    uint64_t phase_cycles[BOOT_PHASES];
};

/* kernel.c: opens and parses the entry's kernel, chooses the protocol. */
int boot_read_kernel(struct boot_attempt *a, struct hop_error *err);

/* layout.c: the kernel's segments (slid when relocatable) and entry point,
 * then the entry's modules, into the kimage. */
int boot_add_kernel(struct boot_attempt *a, struct hop_error *err);
int boot_add_modules(struct boot_attempt *a, struct hop_error *err);

/* info.c: before the plan, the protocol's placed items (its info block,
 * ELF sections) and its checks; after kimage_load, the info written and
 * sealed and the entry state filled. */
int boot_info_prepare(struct boot_attempt *a, struct hop_error *err);
int boot_info_finish(struct boot_attempt *a, struct handoff_cpu *cpu, struct hop_error *err);

/* A pointer into the boot flow's view of memory, as a physical address. */
paddr_t boot_paddr_of(const struct boot_attempt *a, const void *p);

#endif
