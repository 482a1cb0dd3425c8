/* The relocation trampoline's control area and the jump into it.
 *
 * Control area layout (page-aligned, below 4 GiB, neither a destination nor
 * live; the planner places it):
 *   page 0       the trampoline code (arch/x86_64/jump/trampoline.asm)
 *   page 1       struct tramp_params, the GDT, the software CRC32C table
 *   page 2       the stack the kernel is entered with (top of the page)
 *   page 3...    identity-map page tables for everything up to max_addr */
#ifndef HOP_ARCH_TRAMP_H
#define HOP_ARCH_TRAMP_H

#include "lib/types.h"
#include "lib/error.h"

/* LINUX32: protected mode as PROT32, entered with CS = 0x10 turned into
 * flat 32-bit code (boot.rst, "32-bit Boot Protocol": __BOOT_CS). */
enum tramp_mode { TRAMP_MODE_LONG = 0, TRAMP_MODE_PROT32 = 1, TRAMP_MODE_LINUX32 = 2 };

#define TRAMP_FLAG_HW_CRC32C (1u << 0)
#define TRAMP_FLAG_DEBUG_EXIT (1u << 1)

/* The selectors of the trampoline's GDT (Linux's __BOOT_CS/__BOOT_DS). */
#define TRAMP_SEL_CODE64 0x10
#define TRAMP_SEL_DATA 0x18
#define TRAMP_SEL_CODE32 0x20

struct tramp_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
};

struct tramp_params {
    uint64_t cr3;
    uint64_t ops;        /* physical address of the op list */
    uint64_t stack_top;
    uint64_t entry;
    uint64_t mode;       /* enum tramp_mode */
    uint64_t flags;      /* TRAMP_FLAG_* */
    uint16_t gdt_limit;
    uint64_t gdt_base;
    uint8_t pad[6];
    struct tramp_regs regs;
    uint64_t crc_table;  /* 256 x uint32_t, for CPUs without SSE4.2 */
    uint64_t failed_op;  /* written by the trampoline on a failed verify */
    /* TSC stamps the trampoline writes (make bench reads them from the
     * kernel, kernels/bench.c): when the ops start, and after the
     * last COPY, ZERO and VERIFY op (each still tsc_start when the list has
     * no op of that kind). */
    uint64_t tsc_start, tsc_copied, tsc_zeroed, tsc_verified;
} __attribute__((packed));

/* Where struct tramp_params lies in the control area (its second page). */
#define TRAMP_PARAMS_OFFSET 0x1000

/* Bytes the control area needs to identity-map [0, max_addr). */
uint64_t tramp_control_size(paddr_t max_addr);

/* Fills the control area at `control` (tramp_control_size(max_addr) bytes)
 * and returns the params to finish (entry, mode, regs) before the jump. */
struct tramp_params *tramp_prepare(paddr_t control, paddr_t max_addr, paddr_t ops);

/* Jumps into the trampoline; does not return. */
__attribute__((noreturn)) void tramp_enter(paddr_t control, struct tramp_params *p);

#endif
