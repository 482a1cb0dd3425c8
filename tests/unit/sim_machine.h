/* struct boot_machine over the simulated machine of sim.c, for running the
 * whole boot flow on the host (tests/unit/test_boot.c, tests/fuzz/
 * fuzz_boot.c): physical memory is the simulator's, the trampoline's control
 * area a fixed size, no keys, a clock that ticks per call; the caller gives
 * the jump.  Header-only, after sim.c. */
#ifndef HOP_TEST_SIM_MACHINE_H
#define HOP_TEST_SIM_MACHINE_H

#include "boot/boot.h"

#define SIM_CONTROL_SIZE 0x10000 /* the control area a trampoline would need */

/* A pointer into one of the windows, as a physical address; abort() when
 * the boot flow hands on a pointer outside simulated memory. */
static paddr_t sim_paddr_of(void *ctx, const void *p)
{
    struct sim *s = ctx;
    for (size_t i = 0; i < s->win_count; i++) {
        const uint8_t *b = s->win[i].mem;
        if ((const uint8_t *)p >= b && (const uint8_t *)p < b + s->win[i].size)
            return s->win[i].base + (paddr_t)((const uint8_t *)p - b);
    }
    abort();
}

static uint64_t sim_control_size(paddr_t max_addr)
{
    (void)max_addr;
    return SIM_CONTROL_SIZE;
}

static void sim_prepare(struct kimage *k, paddr_t max_addr)
{
    (void)k;
    (void)max_addr;
}

static int sim_no_key(void)
{
    return -1;
}

static uint64_t sim_ticks;
static uint64_t sim_clock(void)
{
    return sim_ticks++;
}

static uint64_t sim_one(void)
{
    return 1;
}

/* One cpio newc entry (a regular file) at `at`; returns its size, padded. */
static size_t sim_put_cpio(uint8_t *at, const char *name, const void *data, size_t size)
{
    size_t n = (size_t)sprintf((char *)at, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
                               "%08X%08X%08X", 1u, 0100644u, 0u, 0u, 1u, 0u, (unsigned)size,
                               0u, 0u, 0u, 0u, (unsigned)strlen(name) + 1, 0u);
    memcpy(at + n, name, strlen(name) + 1);
    n += strlen(name) + 1;
    while (n % 4)
        at[n++] = 0;
    memcpy(at + n, data, size);
    n += size;
    while (n % 4)
        at[n++] = 0;
    return n;
}

static struct boot_machine sim_boot_machine(struct sim *s,
                                            void (*jump)(struct kimage *,
                                                         const struct handoff_cpu *))
{
    return (struct boot_machine){ .phys = s->rw, .paddr_of = sim_paddr_of,
                                  .control_size = sim_control_size, .prepare = sim_prepare,
                                  .jump = jump, .term_getc = sim_no_key, .key_getc = sim_no_key, .now_ms = sim_clock,
                                  .cycles = sim_clock, .cycles_per_ms = sim_one };
}

#endif
