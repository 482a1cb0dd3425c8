/* The protocol glue between an attempt (src/boot/boot.c) and the info builders
 * (src/protos/): which info block to place, how big, and the entry state.
 * docs/protocols.md describes each protocol's entry state. */
#include "boot/attempt.h"
#include "hop.h"
#include "parse/multiboot.h"
#include "protos/handoff.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define HOP_LOADER_NAME "hop 0.1"
#define INFO_LIMIT_32 HANDOFF_LIMIT_4GIB
#define INFO_ALIGN HANDOFF_BUF_ALIGN
#define LINUX_BOOT_PARAMS_ALIGN PAGE_SIZE

static struct handoff_module handoff_modules[CONFIG_MAX_MODULES + 1];
static struct phys_range handoff_reserved[CONFIG_MAX_MODULES + 2];
static struct handoff_input handoff_in;

/* The kernel's section headers for multiboot2 tag 9, sh_addr patched for
 * the sections hop placed (see prepare_sections). */
#define SECTIONS_MAX_BYTES 16384 /* 256 ELF64 section headers */
#define SECTIONS_MAX_LOADED 64

static uint8_t section_copy[SECTIONS_MAX_BYTES];
static struct elf_section_table sections;
static struct {
    uint32_t index;
    size_t placed;
} loaded_sections[SECTIONS_MAX_LOADED];
static size_t loaded_count;

/* The kernel's command line.  With hop's `bench` flag, " hop.control=0x"
 * and 16 hex digits are appended: the trampoline's control area, where
 * make bench's kernel (kernels/bench.c) reads the trampoline's
 * TSC stamps and op list.  Fixed width, so the info block sized before the
 * plan (address still 0) fits the one written after it. */
static const char *kernel_cmdline(const struct boot_attempt *a)
{
    static char buf[CONFIG_MAX_VALUE + 32];
    const char *c = a->entry->cmdline;
    if (!hop_option_present(a->env->bi->cmdline, "bench"))
        return c;
    fmt_snprintf(buf, sizeof(buf), "%s%shop.control=0x%016llx", c, c[0] ? " " : "",
                 (unsigned long long)a->k.control_addr);
    return buf;
}

/* The input every builder reads; module addresses are final once the plan
 * is made (before, they only size the block, so the input must have the same
 * shape both times).  The info block itself is not listed: each builder
 * marks its own buffer. */
static const struct handoff_input *handoff_input(struct boot_attempt *a)
{
    struct handoff_input *in = &handoff_in;
    size_t r = 0;
    memset(in, 0, sizeof(*in));
    in->bi = a->env->bi;
    in->cmdline = kernel_cmdline(a);
    in->loader_name = HOP_LOADER_NAME;
    for (size_t i = 0; i < a->module_count; i++) {
        const struct kimage_placed *p = &a->k.placed[a->modules[i].placed];
        handoff_modules[i] = (struct handoff_module){ p->addr, p->addr + a->modules[i].file.size,
                                                      a->modules[i].cmdline };
        handoff_reserved[r++] = (struct phys_range){ p->addr, p->addr + p->req.size, "module" };
    }
    in->modules = handoff_modules;
    in->module_count = a->module_count;
    if (sections.count && a->proto != CONFIG_PROTO_MULTIBOOT1) {
        in->elf_sections = section_copy;
        in->elf_shnum = sections.count;
        in->elf_shentsize = sections.entsize;
        in->elf_shndx = sections.shstrndx;
    }
    in->has_load_base = a->has_load_base;
    in->load_base = a->load_base;
    in->has_initrd = a->has_initrd;
    in->initrd_index = a->initrd_index;
    /* hop's leftovers the kernel starts on: the trampoline, its page tables,
     * the stack the kernel is entered with, the op list (empty before the
     * plan, so the shape stays the same). */
    handoff_reserved[r++] = (struct phys_range){ a->k.control_addr,
                                                 a->k.control_addr + a->k.stats.control_bytes,
                                                 "hop trampoline" };
    in->reserved = handoff_reserved;
    in->reserved_count = r;
    return in;
}

static int place_info(struct boot_attempt *a, uint64_t size, uint64_t align, paddr_t max_end,
                      struct hop_error *err)
{
    struct kimage_place_req req = { .size = size, .align = align, .max_end = max_end,
                                    .name = "boot info" };
    a->info_size = size;
    return kimage_add_placed(&a->k, &req, &a->info_placed, err);
}

static void *info_buffer(struct boot_attempt *a, paddr_t *addr)
{
    *addr = a->k.placed[a->info_placed].addr;
    return (void *)(uintptr_t)*addr;
}

/* --- multiboot2 and plain ELF (which gets a multiboot2 info block) --- */

/* --- the ELF-sections tag (multiboot2 tag 9), when the kernel asks --- */


static bool kernel_asks_for_sections(const struct boot_attempt *a)
{
    for (size_t i = 0; a->has_mb2 && i < a->mb2.info_request_count; i++)
        if (a->mb2.info_requests[i].type == MB2_INFO_TAG_ELF_SECTIONS)
            return true;
    return false;
}

/* A section not in any segment (sh_addr 0: symbol and string tables, debug
 * info) gets a placed copy, as GRUB loads them, so the tag's sh_addr points
 * at real bytes. */
static int place_section(struct boot_attempt *a, uint32_t i, const struct elf64_shdr *sh,
                         struct hop_error *err)
{
    uint64_t end;
    if (ADD_OVERFLOWS(sh->sh_offset, sh->sh_size, &end) || end > a->kernel.size)
        return error_set(err, HOP_ERR_TRUNCATED, "%s: section %u: sh_offset+sh_size 0x%llx "
                         "beyond file size 0x%zx", a->entry->kernel, i,
                         (unsigned long long)end, a->kernel.size);
    if (loaded_count == SECTIONS_MAX_LOADED)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %d sections to load for the "
                         "multiboot2 ELF-sections tag", a->entry->kernel, SECTIONS_MAX_LOADED);
    uint64_t align = sh->sh_addralign && !(sh->sh_addralign & (sh->sh_addralign - 1))
                         ? MIN(sh->sh_addralign, (uint64_t)PAGE_SIZE) : 1;
    struct kimage_place_req req = { .size = sh->sh_size, .align = align,
                                    .max_end = INFO_LIMIT_32,
                                    .src = (paddr_t)(uintptr_t)(a->kernel.data + sh->sh_offset),
                                    .filesz = sh->sh_size, .name = "ELF section" };
    loaded_sections[loaded_count].index = i;
    int rc = kimage_add_placed(&a->k, &req, &loaded_sections[loaded_count].placed, err);
    loaded_count += rc == HOP_OK;
    return rc;
}

static int prepare_sections(struct boot_attempt *a, struct hop_error *err)
{
    sections.count = 0;
    loaded_count = 0;
    if (!kernel_asks_for_sections(a) || a->elf.segment_count == 0)
        return HOP_OK;
    int rc = elf_section_table(&a->elf, &sections, err);
    if (rc)
        return rc;
    if ((size_t)sections.count * sections.entsize > sizeof(section_copy))
        return error_set(err, HOP_ERR_LIMIT, "%s: %u section headers, more than hop passes on",
                         a->entry->kernel, sections.count);
    memcpy(section_copy, sections.headers, (size_t)sections.count * sections.entsize);
    for (uint32_t i = 0; i < sections.count && !rc; i++) {
        struct elf64_shdr sh;
        elf_section_get(&a->elf, &sections, i, &sh);
        if (sh.sh_type != SHT_NULL && sh.sh_type != SHT_NOBITS && sh.sh_addr == 0 && sh.sh_size)
            rc = place_section(a, i, &sh, err);
    }
    return rc;
}

/* After the plan: each loaded section's sh_addr in the copy is its place. */
static void patch_sections(const struct boot_attempt *a)
{
    for (size_t j = 0; j < loaded_count; j++) {
        uint8_t *sh = section_copy + (size_t)loaded_sections[j].index * sections.entsize;
        uint64_t addr = a->k.placed[loaded_sections[j].placed].addr;
        if (a->elf.elf_class == 64)
            memcpy(sh + offsetof(struct elf64_shdr, sh_addr), &addr, sizeof(uint64_t));
        else
            memcpy(sh + offsetof(struct elf32_shdr, sh_addr), &(uint32_t){ (uint32_t)addr },
                   sizeof(uint32_t));
    }
}

static int mb2_prepare(struct boot_attempt *a, struct hop_error *err)
{
    int rc = prepare_sections(a, err);
    if (rc)
        return rc;
    const struct handoff_input *in = handoff_input(a);
    if (a->has_mb2) {
        int rc = mb2_check_requests(&a->mb2, in, err);
        if (rc)
            return rc;
    }
    return place_info(a, mb2_info_size(in), INFO_ALIGN, INFO_LIMIT_32, err);
}

static int mb2_write(struct boot_attempt *a, paddr_t *addr, struct hop_error *err)
{
    size_t used;
    void *buf = info_buffer(a, addr);
    patch_sections(a);
    int rc = mb2_build_info(handoff_input(a), buf, a->info_size, *addr, &used, err);
    return rc ? rc : kimage_placed_seal(&a->k, a->info_placed, err);
}

static int mb2_finish(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err)
{
    paddr_t info;
    int rc = mb2_write(a, &info, err);
    *h = (struct boot_handoff){ .mode = BOOT_MODE_PROT32, .entry = a->entry_paddr,
                                .rax = MB2_BOOTLOADER_MAGIC, .rbx = info, .protocol = "multiboot2" };
    return rc;
}

/* Plain ELF: ELF64 in long mode, ELF32 in protected mode; either way RAX =
 * the multiboot2 magic and RBX = RDI = a multiboot2 info block. */
static int elf_finish(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err)
{
    paddr_t info;
    int rc = mb2_write(a, &info, err);
    *h = (struct boot_handoff){ .mode = a->elf.elf_class == 64 ? BOOT_MODE_LONG : BOOT_MODE_PROT32,
                                .entry = a->entry_paddr, .rax = MB2_BOOTLOADER_MAGIC,
                                .rbx = info, .rdi = info, .protocol = "elf" };
    return rc;
}

/* --- multiboot1 --- */

static int mb1_prepare(struct boot_attempt *a, struct hop_error *err)
{
    const struct handoff_input *in = handoff_input(a);
    if (a->has_mb1) {
        int rc = mb1_check_requests(&a->mb1, in, err);
        if (rc)
            return rc;
    }
    return place_info(a, mb1_info_size(in), INFO_ALIGN, INFO_LIMIT_32, err);
}

static int mb1_finish(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err)
{
    paddr_t info;
    size_t used;
    void *buf = info_buffer(a, &info);
    int rc = mb1_build_info(handoff_input(a), buf, a->info_size, info, &used, err);
    rc = rc ? rc : kimage_placed_seal(&a->k, a->info_placed, err);
    *h = (struct boot_handoff){ .mode = BOOT_MODE_PROT32, .entry = a->entry_paddr,
                                .rax = MB1_BOOTLOADER_MAGIC, .rbx = info, .protocol = "multiboot1" };
    return rc;
}

/* --- PVH (Xen's hvm_start_info) --- */

#define PVH_NOTE_NAME "Xen"

/* The entry is the XEN_ELFNOTE_PHYS32_ENTRY note: a 32-bit physical address
 * (Linux stores it as a 64-bit word; the value must fit 32 bits). */
static int pvh_prepare(struct boot_attempt *a, struct hop_error *err)
{
    const void *desc;
    size_t len;
    uint64_t entry = 0;
    if (elf_find_note(&a->elf, PVH_NOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len) != HOP_OK)
        return error_set(err, HOP_ERR_NOTFOUND, "%s: no Xen PHYS32_ENTRY note for PVH",
                         a->entry->kernel);
    if (len != 4 && len != 8)
        return error_set(err, HOP_ERR_INVALID, "%s: Xen PHYS32_ENTRY note of %zu bytes",
                         a->entry->kernel, len);
    memcpy(&entry, desc, len);
    if (entry >= INFO_LIMIT_32)
        return error_set(err, HOP_ERR_RANGE, "%s: PVH entry 0x%llx is not a 32-bit address",
                         a->entry->kernel, (unsigned long long)entry);
    a->entry_paddr = entry;
    return place_info(a, pvh_info_size(handoff_input(a)), INFO_ALIGN, INFO_LIMIT_32, err);
}

static int pvh_finish(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err)
{
    paddr_t info;
    size_t used;
    void *buf = info_buffer(a, &info);
    int rc = pvh_build_info(handoff_input(a), buf, a->info_size, info, &used, err);
    rc = rc ? rc : kimage_placed_seal(&a->k, a->info_placed, err);
    *h = (struct boot_handoff){ .mode = BOOT_MODE_PROT32, .entry = a->entry_paddr, .rbx = info,
                                .protocol = "pvh" };
    return rc;
}

/* --- Linux 64-bit boot protocol for a vmlinux --- */

static int linux_prepare(struct boot_attempt *a, struct hop_error *err)
{
    if (a->elf.elf_class != 64)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: the Linux 64-bit boot protocol needs an ELF64 vmlinux",
                         a->entry->kernel);
    return place_info(a, linux_info_size(handoff_input(a)), PAGE_SIZE, INFO_LIMIT_32, err);
}

static int linux_finish(struct boot_attempt *a, struct boot_handoff *h, struct hop_error *err)
{
    paddr_t info;
    size_t used;
    void *buf = info_buffer(a, &info);
    int rc = linux_build_info(handoff_input(a), buf, a->info_size, info, &used, err);
    rc = rc ? rc : kimage_placed_seal(&a->k, a->info_placed, err);
    *h = (struct boot_handoff){ .mode = BOOT_MODE_LONG, .entry = a->entry_paddr, .rsi = info,
                                .protocol = "linux" };
    return rc;
}

static const struct boot_proto_ops proto_table[] = {
    [CONFIG_PROTO_MULTIBOOT2] = { "multiboot2", mb2_prepare, mb2_finish },
    [CONFIG_PROTO_MULTIBOOT1] = { "multiboot1", mb1_prepare, mb1_finish },
    [CONFIG_PROTO_PVH] = { "pvh", pvh_prepare, pvh_finish },
    [CONFIG_PROTO_LINUX] = { "linux", linux_prepare, linux_finish },
    [CONFIG_PROTO_ELF] = { "elf", mb2_prepare, elf_finish },
};

const struct boot_proto_ops *boot_proto_ops(enum config_protocol proto)
{
    if ((size_t)proto >= ARRAY_SIZE(proto_table) || !proto_table[proto].name)
        return NULL;
    return &proto_table[proto];
}
