/* libFuzzer target for the step from configuration to jump: the input is a
 * hop.cfg, a NUL, and a kernel file; they go into a RAM disk on the
 * simulated machine of tests/unit/sim.c and hop_run does the rest (config,
 * protocol detection or forcing, entry point, layout, plan, info).  The
 * oracle: hop either names an error and boots nothing, or jumps, and then
 * the entry lies inside bytes loaded from the file (the entry-point rule of
 * docs/config.md) and the trampoline's op list runs to its end with every
 * VERIFY passing.  Anything else aborts. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/sim.c"
#include "hop.h"
#include "../unit/sim_machine.h"

#define RAM_START 0x100000ull
#define RAM_SIZE (16ull << 20)
#define ARCHIVE_AT (RAM_START + RAM_SIZE - (4ull << 20))
#define ARCHIVE_MAX (4ull << 20)

static struct sim *S;
static jmp_buf jumped;

/* The entry-point rule, then the trampoline's work. */
static void jump(struct kimage *k, const struct handoff_cpu *cpu)
{
    bool inside = false;
    size_t bad;
    for (size_t i = 0; i < k->fixed_count; i++)
        inside |= cpu->entry >= k->fixed[i].dst &&
                  cpu->entry - k->fixed[i].dst < k->fixed[i].filesz;
    if (!inside || reloc_run_ops(kimage_ops(k), &S->rw, &bad) != HOP_OK)
        abort();
    if (getenv("HOP_FUZZ_TRACE")) /* to see that seeds reach the jump */
        fprintf(stderr, "fuzz_boot: jump to %s at 0x%llx\n", cpu->protocol,
                (unsigned long long)cpu->entry);
    longjmp(jumped, 1);
}

static struct boot_machine machine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t cfg_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *kernel = nul ? nul + 1 : data + size;
    size_t kernel_len = (size_t)(data + size - kernel);
    if (cfg_len + kernel_len + 1024 > ARCHIVE_MAX)
        return 0;
    if (!S)
        S = sim_new();
    sim_reset(S);
    sim_window(S, 0, RAM_START, RAM_SIZE);
    sim_region(S, RAM_START, RAM_START + RAM_SIZE, MEM_USABLE);
    uint8_t *at = sim_at(S, ARCHIVE_AT, ARCHIVE_MAX);
    size_t n = sim_put_cpio(at, "hop.cfg", data, cfg_len);
    n += sim_put_cpio(at + n, "boot/k", kernel, kernel_len);
    n += sim_put_cpio(at + n, "boot/m", "module", 6);
    n += sim_put_cpio(at + n, "TRAILER!!!", "", 0);
    S->bi.modules[0] = (struct boot_module){ ARCHIVE_AT, ARCHIVE_AT + n, "ramdisk" };
    S->bi.module_count = 1;
    S->bi.cmdline = "hop.elf";
    S->bi.loader_name = "fuzz";
    sim_live(S, ARCHIVE_AT, ARCHIVE_AT + ALIGN_UP(n, PAGE_SIZE), "module");
    sim_start(S);
    machine = sim_boot_machine(S, jump);
    hop_read_cmdline(S->bi.cmdline);
    if (!setjmp(jumped))
        (void)hop_run(&S->bi, &S->pm, &machine);
    return 0;
}
