/* The boot of one entry, step by step; each step returns an error that names
 * the file and what was wrong, and boot_all tries the next entry. */
#include "boot/attempt.h"
#include "boot/summary.h"
#include "console/console.h"
#include "exitcode.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define XEN_NOTE_NAME "Xen"
#define LINUX_NOTE_NAME "Linux"
#define MB_INFO_LIMIT (4ull << 30) /* 32-bit protocols: everything below 4 GiB */

static struct boot_attempt attempt;

static paddr_t ptr_paddr(const void *p)
{
    return (paddr_t)(uintptr_t)p;
}

static bool has_note(const struct elf_image *elf, const char *name)
{
    struct elf_note_iter it = { 0 };
    struct elf_note n;
    size_t len = strlen(name) + 1;
    while (elf_note_next(elf, &it, &n))
        if (n.namesz == len && !memcmp(n.name, name, len))
            return true;
    return false;
}

/* multiboot2 header, else multiboot1, else a PVH entry note, else a Linux
 * vmlinux (its "Linux" notes), else plain ELF; a config entry may force one. */
static enum config_protocol detect_protocol(const struct boot_attempt *a)
{
    const void *desc;
    size_t len;
    if (a->entry->protocol != CONFIG_PROTO_AUTO)
        return a->entry->protocol;
    if (a->has_mb2)
        return CONFIG_PROTO_MULTIBOOT2;
    if (a->has_mb1)
        return CONFIG_PROTO_MULTIBOOT1;
    if (elf_find_note(&a->elf, XEN_NOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len) == HOP_OK)
        return CONFIG_PROTO_PVH;
    if (has_note(&a->elf, LINUX_NOTE_NAME))
        return CONFIG_PROTO_LINUX;
    return CONFIG_PROTO_ELF;
}

static int read_kernel(struct boot_attempt *a, struct hop_error *err)
{
    const char *path = a->entry->kernel;
    int rc = ramdisk_open_file(a->env->rd, path, &a->kernel, err);
    if (rc)
        return rc;
    /* A header that is there but wrong (bad checksum, unknown required
     * tag) fails the kernel, as it would under GRUB. */
    rc = mb2_header_find(&a->mb2, a->kernel.data, a->kernel.size, path, err);
    if (rc && rc != HOP_ERR_NOTFOUND)
        return rc;
    a->has_mb2 = rc == HOP_OK;
    rc = mb1_header_find(&a->mb1, a->kernel.data, a->kernel.size, path, err);
    if (rc && rc != HOP_ERR_NOTFOUND)
        return rc;
    a->has_mb1 = rc == HOP_OK;
    /* A multiboot kernel with load addresses need not be ELF at all. */
    bool aout = (a->has_mb2 && mb2_header_has(&a->mb2, MB2_HEADER_TAG_ADDRESS)) ||
                (a->has_mb1 && a->mb1.has_addresses);
    rc = elf_parse(&a->elf, a->kernel.data, a->kernel.size, path, err);
    if (rc && !aout)
        return rc;
    if (rc)
        a->elf.segment_count = 0;
    a->proto = detect_protocol(a);
    return HOP_OK;
}

/* The lowest (or, preferring high, the highest) aligned base in
 * [min_addr, max_addr - size] whose image lies in one usable region: first
 * among places that touch nothing live (so the kernel loads at once), then
 * anywhere usable (the trampoline moves it). */
static bool choose_base(const struct boot_attempt *a, uint64_t size, bool high, bool free_only,
                        paddr_t *base)
{
    const struct mb2_header *h = &a->mb2;
    struct fit_req req = {
        .lo = MAX((paddr_t)h->reloc_min_addr, free_only ? (paddr_t)PHYSMEM_LOW_LIMIT : 0),
        .end = (paddr_t)h->reloc_max_addr + 1,
        .size = size,
        .align = h->reloc_align,
        .down = high,
    };
    return fit_find_usable(a->env->bi, &req, free_only ? physmem_live_hit : NULL, a->env->pm,
                           base);
}

/* A relocatable multiboot2 kernel (header tag 10): the whole image slides to
 * a base hop chooses inside [min_addr, max_addr] by the kernel's preference;
 * the entry slides with it and the info's load-base tag says where. */
static int relocate_image(struct boot_attempt *a, paddr_t span_start, uint64_t span_size,
                          int64_t *slide, struct hop_error *err)
{
    *slide = 0;
    if (a->proto != CONFIG_PROTO_MULTIBOOT2 || !a->has_mb2 ||
        !mb2_header_has(&a->mb2, MB2_HEADER_TAG_RELOCATABLE))
        return HOP_OK;
    bool high = a->mb2.reloc_preference == MB2_RELOC_PREFER_HIGH;
    paddr_t base;
    if (!choose_base(a, span_size, high, true, &base) &&
        !choose_base(a, span_size, high, false, &base))
        return error_set(err, HOP_ERR_NOMEM,
                         "%s: no usable 0x%llx bytes for the relocatable image in [0x%x, 0x%x]",
                         a->entry->kernel, (unsigned long long)span_size,
                         a->mb2.reloc_min_addr, a->mb2.reloc_max_addr);
    *slide = (int64_t)(base - span_start);
    a->has_load_base = true;
    a->load_base = base;
    kprintf("hop: %s: relocatable, loaded at 0x%llx (slide %+lld)\n", a->entry->kernel,
            (unsigned long long)base, (long long)*slide);
    return HOP_OK;
}

/* Where the kernel's bytes go: the multiboot address fields when the chosen
 * protocol has them (the a.out kludge), else the ELF PT_LOADs by p_paddr;
 * slid as a whole when the kernel is relocatable. */
static int add_kernel_segments(struct boot_attempt *a, struct hop_error *err)
{
    const struct mb_load_layout *l = NULL;
    int64_t slide;
    if (a->proto == CONFIG_PROTO_MULTIBOOT2 && a->has_mb2 &&
        mb2_header_has(&a->mb2, MB2_HEADER_TAG_ADDRESS))
        l = &a->mb2.layout;
    else if (a->proto == CONFIG_PROTO_MULTIBOOT1 && a->has_mb1 && a->mb1.has_addresses)
        l = &a->mb1.layout;
    if (!l && a->elf.segment_count == 0)
        return error_set(err, HOP_ERR_INVALID, "%s: not an ELF file and no load addresses",
                         a->entry->kernel);
    paddr_t start = l ? l->load_addr : a->elf.paddr_min;
    paddr_t end = l ? l->mem_end : a->elf.paddr_end;
    int rc = relocate_image(a, start, end - start, &slide, err);
    if (rc)
        return rc;
    a->entry_paddr += (uint64_t)slide;
    if (l)
        return kimage_add_fixed(&a->k, l->load_addr + (uint64_t)slide,
                                ptr_paddr(a->kernel.data + l->file_offset), l->load_size,
                                l->mem_end - l->load_addr, a->entry->kernel, err);
    for (size_t i = 0; i < a->elf.segment_count && !rc; i++) {
        const struct elf_segment *s = &a->elf.segments[i];
        rc = kimage_add_fixed(&a->k, s->paddr + (uint64_t)slide,
                              ptr_paddr(a->kernel.data + s->offset), s->filesz, s->memsz,
                              a->entry->kernel, err);
    }
    return rc;
}

/* Entry point: the multiboot entry fields, else e_entry through the ELF's
 * virtual->physical rule (the segment holding it by p_vaddr), else e_entry
 * itself when it lies inside a segment by p_paddr. */
static int find_entry(struct boot_attempt *a, struct hop_error *err)
{
    if (a->proto == CONFIG_PROTO_MULTIBOOT2 && a->has_mb2 &&
        mb2_header_has(&a->mb2, MB2_HEADER_TAG_ENTRY_ADDRESS)) {
        a->entry_paddr = a->mb2.entry_addr;
        return HOP_OK;
    }
    if (a->proto == CONFIG_PROTO_MULTIBOOT1 && a->has_mb1 && a->mb1.has_addresses) {
        a->entry_paddr = a->mb1.entry_addr;
        return HOP_OK;
    }
    uint64_t e;
    if (elf_entry_paddr(&a->elf, &e, NULL) == HOP_OK) {
        a->entry_paddr = e;
        return HOP_OK;
    }
    /* Some kernels (a Linux vmlinux) give e_entry as a physical address. */
    for (size_t i = 0; i < a->elf.segment_count; i++) {
        const struct elf_segment *s = &a->elf.segments[i];
        if (a->elf.entry >= s->paddr && a->elf.entry - s->paddr < s->memsz) {
            a->entry_paddr = a->elf.entry;
            return HOP_OK;
        }
    }
    return elf_entry_paddr(&a->elf, &e, err);
}

/* One module: a placed copy, page-aligned below 4 GiB, or left where the
 * loader put it when that is already suitable. */
static int add_module(struct boot_attempt *a, const char *path, const char *cmdline,
                      struct hop_error *err)
{
    struct boot_attempt_module *m = &a->modules[a->module_count];
    int rc = ramdisk_open_file(a->env->rd, path, &m->file, err);
    if (rc)
        return rc;
    m->cmdline = cmdline[0] ? cmdline : path;
    struct kimage_place_req req = {
        .size = ALIGN_UP((uint64_t)m->file.size, PAGE_SIZE),
        .align = PAGE_SIZE,
        .max_end = MB_INFO_LIMIT,
        .src = ptr_paddr(m->file.data),
        .filesz = m->file.size,
        .flags = KIMAGE_PLACE_KEEP,
        .name = path,
    };
    if (req.size == 0)
        req.size = PAGE_SIZE; /* an empty module still gets an address */
    rc = kimage_add_placed(&a->k, &req, &m->placed, err);
    if (rc == HOP_OK)
        a->module_count++;
    return rc;
}

/* The entry's modules, then its initrd= (Linux's initrd; without one, a
 * Linux kernel's only module is its initrd). */
static int add_modules(struct boot_attempt *a, struct hop_error *err)
{
    a->module_count = 0;
    for (size_t i = 0; i < a->entry->module_count; i++) {
        const struct config_module *cm = &a->entry->modules[i];
        int rc = add_module(a, cm->path, cm->cmdline, err);
        if (rc)
            return rc;
    }
    if (a->entry->initrd) {
        a->has_initrd = true;
        a->initrd_index = a->module_count;
        return add_module(a, a->entry->initrd, "", err);
    }
    a->has_initrd = a->module_count == 1;
    a->initrd_index = 0;
    return HOP_OK;
}

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

static void *identity_rw(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    (void)len;
    return (void *)(uintptr_t)addr;
}

int boot_entry(const struct boot_env *env, const struct config_entry *entry, struct hop_error *err)
{
    struct boot_attempt *a = &attempt;
    memset(a, 0, sizeof(*a));
    a->env = env;
    a->entry = entry;
    a->max_addr = ram_end(env->bi);
    a->phase_mark = env->machine->cycles();

    int rc = read_kernel(a, err);
    if (rc)
        return rc;
    phase_done(a, BOOT_PHASE_READ);
    const struct boot_proto_ops *ops = boot_proto_ops(a->proto);
    if (!ops)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol %s is not supported yet",
                         entry->kernel, config_protocol_name(a->proto));
    kprintf("hop: %s: %zu bytes%s, protocol %s\n", entry->kernel, a->kernel.size,
            a->kernel.was_compressed ? " (inflated)" : "", ops->name);
    kimage_init(&a->k, env->bi, env->pm, &(struct phys_rw){ identity_rw, NULL });
    rc = find_entry(a, err);
    rc = rc ? rc : add_kernel_segments(a, err);
    rc = rc ? rc : add_modules(a, err);
    rc = rc ? rc : ops->prepare(a, err);
    if (rc)
        return rc;
    phase_done(a, BOOT_PHASE_ASSEMBLE);
    rc = plan_and_load(a, err);
    if (rc)
        return rc;
    struct boot_handoff h = { .protocol = ops->name };
    rc = ops->finish(a, &h, err);
    if (rc)
        return rc;
    phase_done(a, BOOT_PHASE_INFO);
    print_cycles(a);
    kprintf("hop: jumping to %s kernel at 0x%llx\n", h.protocol, (unsigned long long)h.entry);
    boot_print_summary(a, &h);
    env->machine->jump(&a->k, &h);
    return error_set(err, HOP_ERR_INVALID, "the jump returned");
}

int boot_all(const struct boot_env *env, const struct hop_config *cfg, size_t first)
{
    static struct hop_error reasons[CONFIG_MAX_ENTRIES];
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
