/* Booting one configuration entry: find the kernel, read it, choose the
 * protocol, assemble the kimage (segments, modules, boot info), plan the
 * relocation and hand the machine over.  Portable: the machine layer
 * supplies the trampoline size and the jump through struct boot_machine. */
#ifndef HOP_BOOT_H
#define HOP_BOOT_H

#include "parse/bootinfo.h"
#include "parse/config.h"
#include "reloc/kimage.h"
#include "mm/physmem.h"
#include "ramdisk.h"

enum boot_cpu_mode {
    BOOT_MODE_PROT32, /* 32-bit protected mode, paging off */
    BOOT_MODE_LONG,   /* 64-bit mode on the trampoline's identity map */
};

/* The CPU state the kernel is entered with. */
struct boot_handoff {
    enum boot_cpu_mode mode;
    paddr_t entry;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    const char *protocol; /* for the summary */
};

struct boot_machine {
    /* Bytes of control area the trampoline needs to map [0, max_addr). */
    uint64_t (*control_size)(paddr_t max_addr);
    /* Writes the trampoline into k->control_addr; called after kimage_plan. */
    void (*prepare)(struct kimage *k, paddr_t max_addr);
    /* Quiesces the machine and jumps; does not return. */
    void (*jump)(struct kimage *k, const struct boot_handoff *h);
    /* Non-blocking input (serial, keyboard): a key or -1. */
    int (*getc)(void);
    /* Milliseconds since some fixed point, for the menu's countdown. */
    uint64_t (*now_ms)(void);
    /* A cycle counter (the TSC) and its rate, for the phase timings. */
    uint64_t (*cycles)(void);
    uint64_t (*cycles_per_ms)(void);
};

struct boot_env {
    const struct bootinfo *bi;
    struct physmem *pm;
    struct ramdisk *rd;
    const struct boot_machine *machine;
};

/* Tries to boot entry; returns only on failure, with err saying why. */
int boot_entry(const struct boot_env *env, const struct config_entry *entry,
               struct hop_error *err);

/* Boots the configured entries: the default first, then each other in order
 * (fallback).  Returns only when all failed, after listing the reasons. */
int boot_all(const struct boot_env *env, const struct hop_config *cfg, size_t first);

#endif
