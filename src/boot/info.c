/* The protocol's info block, built the same way for every protocol from its
 * descriptor (src/protos/proto.h): the input every builder reads, the block
 * placed before the plan (sized from an input of the final shape), written
 * and sealed after kimage_load, and the entry state.  docs/protocols.md
 * describes each protocol's entry state. */
#include "boot/attempt.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "version.h"

#define SECTION_LIMIT (4ull << 30) /* tag 9's sh_addr fields may be 32-bit */
/* Every info block lies below 4 GiB: the 32-bit protocols pass it in EBX,
 * and Linux's boot_params sit where every loader puts them. */
#define INFO_LIMIT (4ull << 30)

/* The kernel's command line.  With hop's `bench` flag, " hop.control=0x"
 * and 16 hex digits are appended: the trampoline's control area, where
 * make bench's kernel (kernels/bench.c) reads the trampoline's TSC stamps
 * and op list.  Fixed width, so the info block sized before the plan
 * (address still 0) fits the one written after it. */
static const char *kernel_cmdline(struct boot_attempt *a)
{
    const char *c = a->entry->cmdline;
    if (!a->env->cfg->bench)
        return c;
    fmt_snprintf(a->cmdline, sizeof(a->cmdline), "%s%shop.control=0x%016llx", c,
                 c[0] ? " " : "", (unsigned long long)a->k.control_addr);
    return a->cmdline;
}

/* The input every builder reads; module addresses are final once the plan
 * is made (before, they only size the block, so the input must have the same
 * shape both times).  The info block itself is not listed: each builder
 * marks its own buffer. */
static const struct handoff_input *handoff_input(struct boot_attempt *a)
{
    struct handoff_input *in = &a->handoff;
    size_t r = 0;
    memset(in, 0, sizeof(*in));
    in->bi = a->env->bi;
    in->cmdline = kernel_cmdline(a);
    in->loader_name = HOP_LOADER_NAME;
    for (size_t i = 0; i < a->module_count; i++) {
        const struct kimage_placed *p = &a->k.placed[a->modules[i].placed];
        a->handoff_modules[i] = (struct handoff_module){
            p->addr, p->addr + a->modules[i].file.size, a->modules[i].cmdline };
        a->handoff_reserved[r++] = (struct phys_range){ p->addr, p->addr + p->req.size,
                                                        "module" };
    }
    in->modules = a->handoff_modules;
    in->module_count = a->module_count;
    if (a->sections.table.count) {
        in->elf_sections = a->sections.copy;
        in->elf_shnum = a->sections.table.count;
        in->elf_shentsize = a->sections.table.entsize;
        in->elf_shndx = a->sections.table.shstrndx;
    }
    in->has_load_base = a->has_load_base;
    in->load_base = a->load_base;
    if (a->kernel.is_bzimage) {
        in->linux_bzimage = &a->kernel.bz;
        in->linux_load_addr = a->has_load_base ? a->load_base : a->kernel.bz_layout.load_addr;
    }
    in->has_initrd = a->has_initrd;
    in->initrd_index = a->initrd_index;
    /* hop's leftovers the kernel starts on: the trampoline, its page tables,
     * the stack the kernel is entered with, the op list (empty before the
     * plan, so the shape stays the same). */
    a->handoff_reserved[r++] = (struct phys_range){
        a->k.control_addr, a->k.control_addr + a->k.stats.control_bytes, "hop trampoline" };
    in->reserved = a->handoff_reserved;
    in->reserved_count = r;
    return in;
}

/* --- the ELF-sections tag (multiboot2 tag 9), when the kernel asks --- */

/* A section not in any segment (sh_addr 0: symbol and string tables, debug
 * info) gets a placed copy, as GRUB loads them, so the tag's sh_addr points
 * at real bytes. */
static int place_section(struct boot_attempt *a, uint32_t i, const struct elf64_shdr *sh,
                         struct hop_error *err)
{
    struct boot_sections *s = &a->sections;
    uint64_t end;
    if (ADD_OVERFLOWS(sh->sh_offset, sh->sh_size, &end) || end > a->kernel.size)
        return error_set(err, HOP_ERR_TRUNCATED, "%s: section %u: sh_offset+sh_size 0x%llx "
                         "beyond file size 0x%zx", a->entry->kernel, i,
                         (unsigned long long)end, a->kernel.size);
    if (s->loaded_count == BOOT_SECTIONS_MAX_LOADED)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %d sections to load for the "
                         "multiboot2 ELF-sections tag", a->entry->kernel,
                         BOOT_SECTIONS_MAX_LOADED);
    uint64_t align = sh->sh_addralign && !(sh->sh_addralign & (sh->sh_addralign - 1))
                         ? MIN(sh->sh_addralign, (uint64_t)PAGE_SIZE) : 1;
    struct kimage_place_req req = { .size = sh->sh_size, .align = align,
                                    .max_end = SECTION_LIMIT,
                                    .src = boot_paddr_of(a, a->kernel.data + sh->sh_offset),
                                    .filesz = sh->sh_size, .name = "ELF section" };
    s->loaded[s->loaded_count].index = i;
    int rc = kimage_add_placed(&a->k, &req, &s->loaded[s->loaded_count].placed, err);
    s->loaded_count += rc == HOP_OK;
    return rc;
}

static int prepare_sections(struct boot_attempt *a, struct hop_error *err)
{
    struct boot_sections *s = &a->sections;
    const struct elf_image *elf = &a->kernel.elf;
    if (!a->proto->wants_elf_sections || !a->proto->wants_elf_sections(&a->kernel) ||
        elf->segment_count == 0)
        return HOP_OK;
    int rc = elf_section_table(elf, &s->table, err);
    if (rc)
        return rc;
    if ((size_t)s->table.count * s->table.entsize > sizeof(s->copy)) {
        uint32_t count = s->table.count;
        s->table.count = 0;
        return error_set(err, HOP_ERR_LIMIT, "%s: %u section headers, more than hop passes on",
                         a->entry->kernel, count);
    }
    memcpy(s->copy, s->table.headers, (size_t)s->table.count * s->table.entsize);
    for (uint32_t i = 0; i < s->table.count && !rc; i++) {
        struct elf64_shdr sh;
        elf_section_get(elf, &s->table, i, &sh);
        if (sh.sh_type != SHT_NULL && sh.sh_type != SHT_NOBITS && sh.sh_addr == 0 && sh.sh_size)
            rc = place_section(a, i, &sh, err);
    }
    return rc;
}

/* After the plan: each loaded section's sh_addr in the copy is its place. */
static void patch_sections(struct boot_attempt *a)
{
    struct boot_sections *s = &a->sections;
    for (size_t j = 0; j < s->loaded_count; j++) {
        uint8_t *sh = s->copy + (size_t)s->loaded[j].index * s->table.entsize;
        uint64_t addr = a->k.placed[s->loaded[j].placed].addr;
        if (a->kernel.elf.elf_class == 64)
            memcpy(sh + offsetof(struct elf64_shdr, sh_addr), &addr, sizeof(uint64_t));
        else
            memcpy(sh + offsetof(struct elf32_shdr, sh_addr), &(uint32_t){ (uint32_t)addr },
                   sizeof(uint32_t));
    }
}

/* --- the generic path ---------------------------------------------------- */

int boot_info_prepare(struct boot_attempt *a, struct hop_error *err)
{
    const struct proto *p = a->proto;
    int rc = prepare_sections(a, err);
    if (rc)
        return rc;
    const struct handoff_input *in = handoff_input(a);
    if (p->check_requests && (rc = p->check_requests(&a->kernel, in, err)))
        return rc;
    a->info_size = handoff_info_size(p->info, in);
    struct kimage_place_req req = { .size = a->info_size, .align = p->info_align,
                                    .max_end = MIN(p->info->limit, (paddr_t)INFO_LIMIT),
                                    .name = "boot info" };
    return kimage_add_placed(&a->k, &req, &a->info_placed, err);
}

int boot_info_finish(struct boot_attempt *a, struct handoff_cpu *cpu, struct hop_error *err)
{
    const struct boot_machine *m = a->env->machine;
    paddr_t info = a->k.placed[a->info_placed].addr;
    void *buf = m->phys.map(m->phys.ctx, info, a->info_size);
    size_t used;
    patch_sections(a);
    int rc = buf ? handoff_build_info(a->proto->info, handoff_input(a), buf, a->info_size, info,
                                      &used, err)
                 : error_set(err, HOP_ERR_RANGE, "boot info at 0x%llx is not accessible",
                             (unsigned long long)info);
    rc = rc ? rc : kimage_placed_seal(&a->k, a->info_placed, err);
    a->proto->enter(&a->kernel, a->entry_paddr, info, cpu);
    return rc;
}
