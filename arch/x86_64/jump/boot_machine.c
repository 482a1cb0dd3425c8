/* The machine side of booting: the trampoline's control area, input and
 * time for the menu, and the last steps before the jump. */
#include "jump/boot_machine.h"
#include "cpu.h"
#include "console/keyboard.h"
#include "machine.h"
#include "quiesce/quiesce.h"
#include "console/serial.h"
#include "timer.h"
#include "jump/tramp.h"

static struct tramp_params *params;

/* hop runs on an identity map of all RAM (paging.c). */
static void *identity_map(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    (void)len;
    return (void *)(uintptr_t)addr;
}

static paddr_t identity_paddr(void *ctx, const void *p)
{
    (void)ctx;
    return (paddr_t)(uintptr_t)p;
}

static void machine_prepare(struct kimage *k, paddr_t max_addr)
{
    params = tramp_prepare(k->control_addr, max_addr, k->ops_addr);
}

static void machine_jump(struct kimage *k, const struct handoff_cpu *h)
{
    params->entry = h->entry;
    params->mode = h->mode == HANDOFF_MODE_LONG     ? TRAMP_MODE_LONG
                   : h->mode == HANDOFF_MODE_LINUX32 ? TRAMP_MODE_LINUX32
                                                      : TRAMP_MODE_PROT32;
    params->regs = (struct tramp_regs){ h->rax, h->rbx, h->rcx, h->rdx, h->rsi, h->rdi, h->rbp };
    if (machine_debug_exit_enabled())
        params->flags |= TRAMP_FLAG_DEBUG_EXIT;
    quiesce_machine();
    tramp_enter(k->control_addr, params);
}

static uint64_t machine_cycles(void)
{
    return rdtsc();
}

const struct boot_machine x86_boot_machine = {
    .phys = { identity_map, NULL },
    .paddr_of = identity_paddr,
    .control_size = tramp_control_size,
    .prepare = machine_prepare,
    .jump = machine_jump,
    .term_getc = serial_getc,
    .key_getc = keyboard_getc,
    .now_ms = timer_now_ms,
    .cycles = machine_cycles,
    .cycles_per_ms = timer_tsc_per_ms,
};
