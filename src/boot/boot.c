/* The boot of one entry, step by step; each step returns an error that names
 * the file and what was wrong, and boot_all tries the next entry.  The steps
 * live in kernel.c (read it, choose the protocol), layout.c (segments,
 * entry, modules), info.c (the protocol's info block) and the kimage
 * (src/reloc/); this file runs them in order and times them. */
#include "boot/attempt.h"
#include "boot/summary.h"
#include "console/console.h"
#include "exitcode.h"
#include "lib/fmt.h"
#include "lib/string.h"

static struct boot_attempt attempt;

static paddr_t ram_end(const struct bootinfo *bi)
{
    paddr_t end = 0;
    for (size_t i = 0; i < bi->map_count; i++)
        if (bi->map[i].type != MEM_RESERVED && bi->map[i].type != MEM_BAD)
            end = MAX(end, bi->map[i].end);
    return end;
}

static void print_plan(const struct boot_attempt *a)
{
    const struct kimage_stats *s = &a->k.stats;
    kprintf("hop: plan: %zu segment(s) (%zu loaded now, %zu by the trampoline), %zu placed "
            "(%zu in place), %zu op(s)\n",
            s->fixed_count, s->direct_count, s->deferred_count, s->placed_count,
            s->in_place_count, s->op_count);
    kprintf("hop: plan: data %llu bytes, copied %llu at load + %llu in trampoline, zeroed %llu, "
            "bounced %llu (%llu pages), copy amplification %u.%03u, extra memory %llu bytes\n",
            (unsigned long long)s->data_bytes, (unsigned long long)s->load_copy_bytes,
            (unsigned long long)s->trampoline_copy_bytes, (unsigned long long)s->zero_bytes,
            (unsigned long long)s->bounce_bytes, (unsigned long long)s->bounce_pages,
            s->copy_permille / 1000, s->copy_permille % 1000,
            (unsigned long long)s->extra_bytes);
    kprintf("hop: stats: fixed=%zu direct=%zu deferred=%zu placed=%zu in_place=%zu pieces=%zu "
            "bounced_pieces=%zu ops=%zu load_ops=%zu data=%llu load_copy=%llu tramp_copy=%llu "
            "zero=%llu bounce=%llu bounce_pages=%llu copy_permille=%u control=%llu "
            "placed_bytes=%llu extra=%llu scratch=%llu\n",
            s->fixed_count, s->direct_count, s->deferred_count, s->placed_count,
            s->in_place_count, s->piece_count, s->bounced_pieces, s->op_count, s->load_op_count,
            (unsigned long long)s->data_bytes, (unsigned long long)s->load_copy_bytes,
            (unsigned long long)s->trampoline_copy_bytes, (unsigned long long)s->zero_bytes,
            (unsigned long long)s->bounce_bytes, (unsigned long long)s->bounce_pages,
            s->copy_permille, (unsigned long long)s->control_bytes,
            (unsigned long long)s->placed_bytes, (unsigned long long)s->extra_bytes,
            (unsigned long long)s->scratch_bytes);
}

/* Marks the end of a phase: its cycles are the TSC ticks since the last. */
static void phase_done(struct boot_attempt *a, enum boot_phase phase)
{
    uint64_t now = a->env->machine->cycles();
    a->phase_cycles[phase] = now - a->phase_mark;
    a->phase_mark = now;
}

static void print_cycles(const struct boot_attempt *a)
{
    static const char *const names[BOOT_PHASES] = { "read", "assemble", "plan", "load", "info" };
    uint64_t per_ms = a->env->machine->cycles_per_ms();
    kprintf("hop: cycles:");
    for (int i = 0; i < BOOT_PHASES; i++)
        kprintf(" %s %llu%s", names[i], (unsigned long long)a->phase_cycles[i],
                i + 1 < BOOT_PHASES ? "," : "");
    kprintf(" (%llu per ms)\n", (unsigned long long)per_ms);
}

static int plan_and_load(struct boot_attempt *a, struct hop_error *err)
{
    const struct boot_machine *m = a->env->machine;
    int rc = kimage_set_control(&a->k, m->control_size(a->max_addr), PAGE_SIZE, err);
    rc = rc ? rc : kimage_plan(&a->k, err);
    if (rc)
        return rc;
    phase_done(a, BOOT_PHASE_PLAN);
    print_plan(a);
    m->prepare(&a->k, a->max_addr);
    rc = kimage_load(&a->k, err);
    phase_done(a, BOOT_PHASE_LOAD);
    return rc;
}

static int assemble(struct boot_attempt *a, struct hop_error *err)
{
    const struct proto *p = a->proto;
    int rc = p->check_kernel ? p->check_kernel(&a->kernel, err) : HOP_OK;
    rc = rc ? rc : boot_add_kernel(a, err);
    rc = rc ? rc : boot_add_modules(a, err);
    return rc ? rc : boot_info_prepare(a, err);
}

int boot_entry(const struct boot_env *env, const struct config_entry *entry, struct hop_error *err)
{
    struct boot_attempt *a = &attempt;
    memset(a, 0, sizeof(*a));
    a->env = env;
    a->entry = entry;
    a->max_addr = ram_end(env->bi);
    a->phase_mark = env->machine->cycles();

    int rc = boot_read_kernel(a, err);
    if (rc)
        return rc;
    phase_done(a, BOOT_PHASE_READ);
    kprintf("hop: %s: %zu bytes%s, protocol %s\n", entry->kernel, a->file.size,
            a->file.was_compressed ? " (inflated)" : "", a->proto->name);
    kimage_init(&a->k, env->bi, env->pm, &env->machine->phys);
    if ((rc = assemble(a, err)))
        return rc;
    phase_done(a, BOOT_PHASE_ASSEMBLE);
    if ((rc = plan_and_load(a, err)))
        return rc;
    struct handoff_cpu cpu;
    if ((rc = boot_info_finish(a, &cpu, err)))
        return rc;
    phase_done(a, BOOT_PHASE_INFO);
    print_cycles(a);
    kprintf("hop: jumping to %s kernel at 0x%llx\n", cpu.protocol, (unsigned long long)cpu.entry);
    boot_print_summary(a, &cpu);
    env->machine->jump(&a->k, &cpu);
    return error_set(err, HOP_ERR_INVALID, "the jump returned");
}

int boot_all(const struct boot_env *env, size_t first)
{
    static struct hop_error reasons[CONFIG_MAX_ENTRIES];
    const struct hop_config *cfg = env->cfg;
    size_t n = cfg->entry_count;
    for (size_t k = 0; k < n; k++) {
        size_t i = (first + k) % n;
        const struct config_entry *e = &cfg->entries[i];
        struct physmem_mark mark = physmem_mark(env->pm);
        kprintf("hop: booting entry %zu \"%s\": %s\n", i, e->title, e->kernel);
        boot_entry(env, e, &reasons[i]);
        kprintf("hop: entry %zu \"%s\" failed: %s\n", i, e->title, reasons[i].msg);
        physmem_rollback(env->pm, mark); /* give back what the attempt took */
    }
    kprintf("hop: no entry could be booted:\n");
    for (size_t k = 0; k < n; k++) {
        size_t i = (first + k) % n;
        kprintf("hop:   %zu \"%s\": %s\n", i, cfg->entries[i].title, reasons[i].msg);
    }
    return HOP_EXIT_ERROR;
}
