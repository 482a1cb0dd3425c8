/* The boot summary (see boot_summary.h).  Reads the fixed table, which
 * stays intact until the trampoline runs (kimage_load never writes live
 * memory). */
#include "boot/summary.h"
#include "console/console.h"
#include "lib/fmt.h"

static const char *summary_mode(enum handoff_cpu_mode mode)
{
    return mode == HANDOFF_MODE_LONG      ? "64-bit long mode"
           : mode == HANDOFF_MODE_LINUX32 ? "32-bit protected mode, paging off, CS 0x10"
                                          : "32-bit protected mode, paging off";
}

/* The registers the protocol sets, the zero ones left out. */
static void summary_registers(const struct handoff_cpu *h)
{
    const struct {
        const char *name;
        uint64_t value;
    } regs[] = { { "rax", h->rax }, { "rbx", h->rbx }, { "rcx", h->rcx }, { "rdx", h->rdx },
                 { "rsi", h->rsi }, { "rdi", h->rdi }, { "rbp", h->rbp } };
    char line[192];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        if (regs[i].value && n < sizeof(line))
            n += (size_t)fmt_snprintf(line + n, sizeof(line) - n, " %s=0x%llx", regs[i].name,
                                      (unsigned long long)regs[i].value);
    kprintf("hop:   registers:%s\n", n ? line : " all zero");
}

static void summary_segments(const struct kimage *k)
{
    size_t shown = 0, count = 0;
    for (size_t i = 0; i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        if (!f->memsz)
            continue;
        if (count++ >= BOOT_SUMMARY_MAX_SEGMENTS)
            continue;
        shown++;
        kprintf("hop:   segment %zu 0x%llx-0x%llx %llu bytes (%llu from the file), %s\n", i,
                (unsigned long long)f->dst, (unsigned long long)(f->dst + f->memsz),
                (unsigned long long)f->memsz, (unsigned long long)f->filesz,
                f->flags & KIMAGE_FIXED_DIRECT ? "loaded now" : "by the trampoline");
    }
    if (count > shown)
        kprintf("hop:   ... and %zu more segment(s)\n", count - shown);
}

static bool summary_is_module(const struct boot_attempt *a, size_t placed)
{
    for (size_t i = 0; i < a->module_count; i++)
        if (a->modules[i].placed == placed)
            return true;
    return false;
}

/* Only some hand-offs single out an initrd (struct proto, files). */
static bool summary_is_initrd(const struct boot_attempt *a, size_t module)
{
    return a->proto->files != PROTO_FILES_MODULES && a->has_initrd && a->initrd_index == module;
}

static void summary_placed(const struct boot_attempt *a)
{
    const struct kimage *k = &a->k;
    for (size_t i = 0; i < a->module_count; i++) {
        const struct boot_attempt_module *m = &a->modules[i];
        const struct kimage_placed *p = &k->placed[m->placed];
        kprintf("hop:   module %zu 0x%llx-0x%llx %zu bytes%s, %s \"%s\"\n", i,
                (unsigned long long)p->addr, (unsigned long long)(p->addr + m->file.size),
                m->file.size, summary_is_initrd(a, i) ? " (initrd)" : "",
                p->in_place ? "in place" : "copied", m->cmdline);
    }
    for (size_t i = 0; i < k->placed_count; i++) {
        const struct kimage_placed *p = &k->placed[i];
        if (!summary_is_module(a, i))
            kprintf("hop:   %s 0x%llx-0x%llx %llu bytes\n", p->req.name,
                    (unsigned long long)p->addr, (unsigned long long)(p->addr + p->req.size),
                    (unsigned long long)p->req.size);
    }
}

/* Kernel workspaces: the kernel's after the jump, nothing of hop's there. */
static void summary_reserved(const struct kimage *k)
{
    for (size_t i = 0; i < k->reserved_count; i++)
        kprintf("hop:   workspace 0x%llx-0x%llx %llu bytes, the kernel's (not written)\n",
                (unsigned long long)k->reserved[i].start, (unsigned long long)k->reserved[i].end,
                (unsigned long long)(k->reserved[i].end - k->reserved[i].start));
}

static void summary_stats(const struct kimage *k)
{
    const struct kimage_stats *s = &k->stats;
    kprintf("hop:   copied %llu bytes at load, %llu by the trampoline (%zu ops), %llu bounced "
            "(%llu pages)\n",
            (unsigned long long)s->load_copy_bytes, (unsigned long long)s->trampoline_copy_bytes,
            s->op_count, (unsigned long long)s->bounce_bytes, (unsigned long long)s->bounce_pages);
    kprintf("hop:   zeroed %llu bytes, amplification %u.%03u, trampoline at 0x%llx, %llu bytes "
            "allocated\n",
            (unsigned long long)s->zero_bytes, s->copy_permille / 1000, s->copy_permille % 1000,
            (unsigned long long)k->control_addr, (unsigned long long)s->extra_bytes);
}

void boot_print_summary(const struct boot_attempt *a, const struct handoff_cpu *h)
{
    kprintf("hop: boot summary: %s %s, entry 0x%llx in %s\n", h->protocol ? h->protocol : "?",
            a->entry->kernel, (unsigned long long)h->entry, summary_mode(h->mode));
    summary_registers(h);
    summary_segments(&a->k);
    summary_placed(a);
    summary_reserved(&a->k);
    summary_stats(&a->k);
}
