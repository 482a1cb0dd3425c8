/* Where the kernel and its files go: the kernel's segments at the addresses
 * it names (slid as a whole when it is relocatable), its entry point, and
 * each module placed below 4 GiB.  All of it goes into the kimage, which
 * finds the order of the copies. */
#include "boot/attempt.h"
#include "console/console.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "mm/fit.h"

#define MODULE_LIMIT (4ull << 30) /* 32-bit module addresses in every protocol */

paddr_t boot_paddr_of(const struct boot_attempt *a, const void *p)
{
    const struct boot_machine *m = a->env->machine;
    return m->paddr_of(m->phys.ctx, p);
}

/* The lowest (or, preferring high, the highest) aligned base in
 * [r->min, r->max] whose image lies in one usable region: first among
 * places that touch nothing live (so the kernel loads at once), then
 * anywhere usable (the trampoline moves it). */
static bool choose_base(const struct boot_attempt *a, const struct proto_reloc *r,
                        uint64_t size, bool free_only, paddr_t *base)
{
    struct fit_req req = {
        .lo = MAX(r->min, free_only ? (paddr_t)PHYSMEM_LOW_LIMIT : 0),
        .end = r->max == UINT64_MAX ? UINT64_MAX : r->max + 1,
        .size = size,
        .align = r->align,
        .down = r->prefer_high,
    };
    return fit_find_usable(a->env->bi, &req, free_only ? physmem_live_hit : NULL, a->env->pm,
                           base);
}

/* The kernel's preferred base, when the image lies there in one usable
 * region, inside the window, touching nothing live. */
static bool preferred_fits(const struct boot_attempt *a, const struct proto_reloc *r,
                           uint64_t size)
{
    paddr_t b = r->preferred, end;
    if (!r->has_preferred || ADD_OVERFLOWS(b, size, &end) || b < r->min || end - 1 > r->max ||
        (r->align > 1 && b % r->align))
        return false;
    const struct bootinfo *bi = a->env->bi;
    for (size_t i = 0; i < bi->map_count; i++)
        if (bi->map[i].type == MEM_USABLE && bi->map[i].start <= b && end <= bi->map[i].end)
            return !physmem_find_live(a->env->pm, b, end);
    return false;
}

/* A relocatable kernel: the whole image slides to a base hop chooses by the
 * kernel's preference; the entry slides with it and the info says where. */
static int relocate_image(struct boot_attempt *a, paddr_t span_start, uint64_t span_size,
                          int64_t *slide, struct hop_error *err)
{
    struct proto_reloc r;
    paddr_t base;
    *slide = 0;
    if (!a->proto->relocation || !a->proto->relocation(&a->kernel, &r))
        return HOP_OK;
    if (preferred_fits(a, &r, span_size))
        base = r.preferred;
    else if (!choose_base(a, &r, span_size, true, &base) &&
             !choose_base(a, &r, span_size, false, &base))
        return error_set(err, HOP_ERR_NOMEM,
                         "%s: no usable 0x%llx bytes for the relocatable image in [0x%llx, "
                         "0x%llx]", a->entry->kernel, (unsigned long long)span_size,
                         (unsigned long long)r.min, (unsigned long long)r.max);
    *slide = (int64_t)(base - span_start);
    a->has_load_base = true;
    a->load_base = base;
    kprintf("hop: %s: relocatable, loaded at 0x%llx (slide %+lld)\n", a->entry->kernel,
            (unsigned long long)base, (long long)*slide);
    return HOP_OK;
}

/* Where the kernel's bytes go: the protocol's load layout when it has one
 * (the a.out kludge), else the ELF PT_LOADs by p_paddr. */
static int add_segments(struct boot_attempt *a, int64_t slide, struct hop_error *err)
{
    const struct proto_kernel *k = &a->kernel;
    const struct mb_load_layout *l = a->proto->load_layout ? a->proto->load_layout(k) : NULL;
    int rc = HOP_OK;
    if (l)
        return kimage_add_fixed(&a->k, l->load_addr + (uint64_t)slide,
                                boot_paddr_of(a, k->data + l->file_offset), l->load_size,
                                l->mem_end - l->load_addr, k->path, err);
    for (size_t i = 0; i < k->elf.segment_count && !rc; i++) {
        const struct elf_segment *s = &k->elf.segments[i];
        rc = kimage_add_fixed(&a->k, s->paddr + (uint64_t)slide,
                              boot_paddr_of(a, k->data + s->offset), s->filesz, s->memsz,
                              k->path, err);
    }
    return rc;
}

/* The one entry-point rule, for every protocol: the kernel is entered only
 * inside bytes loaded from its file (not its bss, not a gap between
 * segments, not outside them), checked before anything is copied. */
#define LOADED_SHOWN 3 /* ranges named in the message */

static int check_entry(const struct boot_attempt *a, struct hop_error *err)
{
    const struct kimage *k = &a->k;
    paddr_t e = a->entry_paddr;
    char loaded[96];
    size_t n = 0;
    for (size_t i = 0; i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        if (e >= f->dst && e - f->dst < f->filesz)
            return HOP_OK;
    }
    loaded[0] = '\0';
    for (size_t i = 0; i < k->fixed_count && i < LOADED_SHOWN && n < sizeof(loaded); i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        n += (size_t)fmt_snprintf(loaded + n, sizeof(loaded) - n, "%s0x%llx-0x%llx",
                                  i ? ", " : "", (unsigned long long)f->dst,
                                  (unsigned long long)(f->dst + f->filesz));
    }
    if (k->fixed_count > LOADED_SHOWN && n < sizeof(loaded))
        fmt_snprintf(loaded + n, sizeof(loaded) - n, ", ...");
    return error_set(err, HOP_ERR_RANGE, "%s: entry point 0x%llx (%s) is not in the bytes "
                     "loaded from the file (%s)", a->entry->kernel, (unsigned long long)e,
                     a->proto->name, k->fixed_count ? loaded : "none");
}

int boot_add_kernel(struct boot_attempt *a, struct hop_error *err)
{
    const struct proto_kernel *k = &a->kernel;
    const struct mb_load_layout *l = a->proto->load_layout ? a->proto->load_layout(k) : NULL;
    int64_t slide;
    int rc = a->proto->entry ? a->proto->entry(k, &a->entry_paddr, err)
                             : proto_elf_entry(k, &a->entry_paddr, err);
    if (rc)
        return rc;
    if (!l && k->elf.segment_count == 0)
        return error_set(err, HOP_ERR_INVALID, "%s: not an ELF file and no load addresses",
                         k->path);
    paddr_t start = l ? l->load_addr : k->elf.paddr_min;
    paddr_t end = l ? l->mem_end : k->elf.paddr_end;
    uint64_t workspace = a->proto->workspace ? a->proto->workspace(k) : 0;
    if ((rc = relocate_image(a, start, MAX(end - start, workspace), &slide, err)))
        return rc;
    a->entry_paddr += (uint64_t)slide;
    rc = add_segments(a, slide, err);
    if (!rc && workspace > end - start)
        rc = kimage_add_reserved(&a->k, end + (uint64_t)slide, start + (uint64_t)slide + workspace,
                                 k->path, err);
    return rc ? rc : check_entry(a, err);
}

/* One file for the kernel (data, size bytes somewhere in the boot flow's
 * memory): a placed copy, page-aligned below max_end, or left where it is
 * when that is already suitable. */
static int place_file(struct boot_attempt *a, const struct ramdisk_file *f, const char *name,
                      const char *cmdline, paddr_t max_end, struct hop_error *err)
{
    struct boot_attempt_module *m = &a->modules[a->module_count];
    m->file = *f;
    m->cmdline = cmdline[0] ? cmdline : name;
    struct kimage_place_req req = {
        .size = ALIGN_UP((uint64_t)f->size, PAGE_SIZE),
        .align = PAGE_SIZE,
        .max_end = max_end,
        .src = boot_paddr_of(a, f->data),
        .filesz = f->size,
        .flags = KIMAGE_PLACE_KEEP,
        .name = name,
    };
    if (req.size == 0)
        req.size = PAGE_SIZE; /* an empty module still gets an address */
    int rc = kimage_add_placed(&a->k, &req, &m->placed, err);
    if (rc == HOP_OK)
        a->module_count++;
    return rc;
}

static int add_module(struct boot_attempt *a, const char *path, const char *cmdline,
                      paddr_t max_end, struct hop_error *err)
{
    struct ramdisk_file f;
    int rc = ramdisk_open_file(a->env->rd, path, &f, err);
    return rc ? rc : place_file(a, &f, path, cmdline, max_end, err);
}

/* An initrd that cannot fit below the protocol's limit fails before the
 * plan, naming the field that sets it. */
static int check_initrd_fits(const struct boot_attempt *a, uint64_t size, paddr_t max_end,
                             struct hop_error *err)
{
    if (size <= max_end && max_end - size >= PHYSMEM_LOW_LIMIT)
        return HOP_OK;
    return error_set(err, HOP_ERR_NOMEM, "%s: initrd of 0x%llx bytes cannot lie below 0x%llx, "
                     "the kernel's %s", a->entry->kernel, (unsigned long long)size,
                     (unsigned long long)max_end,
                     a->proto->initrd_limit_field ? a->proto->initrd_limit_field : "limit");
}

/* Several initrd= files are one initrd: their bytes one after the other,
 * each padded with zeros to a 4-byte boundary (Linux's initramfs unpacker
 * skips zeros between archives), in memory hop allocates below max_end and
 * keeps until the jump (given back if the attempt fails). */
#define INITRD_PAD 4

static int add_initrds(struct boot_attempt *a, paddr_t max_end, struct hop_error *err)
{
    const struct config_entry *e = a->entry;
    struct ramdisk_file f[CONFIG_MAX_INITRDS];
    uint64_t total = 0;
    paddr_t at;
    for (size_t i = 0; i < e->initrd_count; i++) {
        int rc = ramdisk_open_file(a->env->rd, e->initrds[i], &f[i], err);
        if (rc)
            return rc;
        total += ALIGN_UP((uint64_t)f[i].size, INITRD_PAD);
    }
    int rc = check_initrd_fits(a, e->initrd_count == 1 ? f[0].size : total, max_end, err);
    if (rc)
        return rc;
    if (e->initrd_count == 1)
        return place_file(a, &f[0], e->initrds[0], "", max_end, err);
    rc = physmem_alloc(a->env->pm, total ? total : 1, PAGE_SIZE, max_end,
                           "concatenated initrd", &at, err);
    const struct boot_machine *m = a->env->machine;
    uint8_t *buf = rc ? NULL : m->phys.map(m->phys.ctx, at, total);
    if (!buf)
        return rc ? rc : error_set(err, HOP_ERR_RANGE, "%s: %zu initrds: 0x%llx bytes at 0x%llx "
                                   "not accessible", e->kernel, e->initrd_count,
                                   (unsigned long long)total, (unsigned long long)at);
    uint64_t off = 0;
    for (size_t i = 0; i < e->initrd_count; i++) {
        memcpy(buf + off, f[i].data, f[i].size);
        memset(buf + off + f[i].size, 0, ALIGN_UP((uint64_t)f[i].size, INITRD_PAD) - f[i].size);
        off += ALIGN_UP((uint64_t)f[i].size, INITRD_PAD);
    }
    struct ramdisk_file all = { .data = buf, .size = (size_t)total };
    return place_file(a, &all, e->initrds[0], "", max_end, err);
}

/* Linux takes one initrd: initrd= (several concatenated), or the only
 * module= line.  Anything else would drop a file the user named, so the
 * entry fails naming it. */
static int one_initrd(struct boot_attempt *a, struct hop_error *err)
{
    const struct config_entry *e = a->entry;
    size_t keep = e->initrd_count ? 0 : 1; /* module= lines that can be the initrd */
    paddr_t limit = a->proto->initrd_limit ? a->proto->initrd_limit(&a->kernel) : MODULE_LIMIT;
    limit = MIN(limit, (paddr_t)MODULE_LIMIT);
    if (e->module_count > keep)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol %s passes one initrd, but "
                         "the entry names %s%zu module= file(s): \"%s\" would be dropped",
                         e->kernel, a->proto->name, e->initrd_count ? "initrd= and " : "",
                         e->module_count, e->modules[keep].path);
    a->has_initrd = e->initrd_count || e->module_count;
    if (e->initrd_count)
        return add_initrds(a, limit, err);
    if (!e->module_count)
        return HOP_OK;
    struct ramdisk_file f;
    int rc = ramdisk_open_file(a->env->rd, e->modules[0].path, &f, err);
    rc = rc ? rc : check_initrd_fits(a, f.size, limit, err);
    return rc ? rc : place_file(a, &f, e->modules[0].path, e->modules[0].cmdline, limit, err);
}

/* The entry's files as the protocol takes them (enum proto_files): every
 * file named either reaches the kernel or the entry fails. */
int boot_add_modules(struct boot_attempt *a, struct hop_error *err)
{
    const struct config_entry *e = a->entry;
    int rc = HOP_OK;
    a->module_count = 0;
    a->initrd_index = 0;
    if (a->proto->files == PROTO_FILES_ONE_INITRD)
        return one_initrd(a, err);
    if (e->initrd_count && a->proto->files == PROTO_FILES_INITRD_FIRST) {
        a->has_initrd = true;
        rc = add_initrds(a, MODULE_LIMIT, err);
    }
    for (size_t i = 0; i < e->module_count && !rc; i++)
        rc = add_module(a, e->modules[i].path, e->modules[i].cmdline, MODULE_LIMIT, err);
    if (e->initrd_count && a->proto->files == PROTO_FILES_MODULES) {
        a->has_initrd = true;
        a->initrd_index = a->module_count;
        for (size_t i = 0; i < e->initrd_count && !rc; i++)
            rc = add_module(a, e->initrds[i], "", MODULE_LIMIT, err);
    }
    if (!e->initrd_count)
        a->has_initrd = a->module_count == 1; /* the only module: Linux under PVH's initrd */
    return rc;
}
