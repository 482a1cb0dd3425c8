/* The PVH start info (Xen, xen/include/public/arch-x86/hvm/start_info.h and
 * docs/misc/pvh.pandoc): struct hvm_start_info version 1, pointing at the
 * module list, the memory map and the strings.  The kernel gets the start
 * info's address in EBX, so the block lies below 4 GiB; the fields inside
 * are 64-bit, so modules may lie above. */
#include "protos/proto.h"

#include "lib/string.h"

#define PVH_PROTO "PVH start info"
#define PVH_INFO_ALIGN 8 /* the structures hold 64-bit fields */

#define HVM_START_MAGIC_VALUE 0x336ec578u /* "xEn3" with 0x80 set in the E */
#define HVM_START_INFO_VERSION 1          /* has memmap_paddr, memmap_entries */
#define HVM_START_INFO_FLAGS 0            /* SIF_PRIVILEGED, SIF_INITDOMAIN: Xen's */

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;   /* version 1 and later */
    uint32_t memmap_entries; /* version 1 and later */
    uint32_t reserved;
} __attribute__((packed));

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
} __attribute__((packed));

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* XEN_HVM_MEMMAP_TYPE_*: the e820 numbers */
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info.h, version 1");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "memmap_entries");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");

/* XEN_HVM_MEMMAP_TYPE_RAM .. _PMEM are e820's numbers, which are hop's. */
_Static_assert(MEM_USABLE == 1 && MEM_RESERVED == 2 && MEM_ACPI_RECLAIM == 3 &&
                   MEM_ACPI_NVS == 4 && MEM_BAD == 5 && MEM_PERSISTENT == 7,
               "hop's memory types are the XEN_HVM_MEMMAP_TYPE_ numbers");

/* map->entries is NULL while measuring. */
static size_t pvh_put_memmap(struct handoff_buf *b, const struct handoff_map *map)
{
    size_t off = hbuf_alloc_array(b, map->count, sizeof(struct hvm_memmap_table_entry),
                                  PVH_INFO_ALIGN);
    for (size_t i = 0; map->entries && i < map->count; i++) {
        const struct mem_region *r = &map->entries[i];
        struct hvm_memmap_table_entry e = { .addr = r->start, .size = r->end - r->start,
                                            .type = r->type };
        hbuf_write(b, off + i * sizeof(e), &e, sizeof(e));
    }
    return off;
}

static size_t pvh_put_modules(struct handoff_buf *b, const struct handoff_input *in)
{
    size_t list = hbuf_alloc_array(b, in->module_count, sizeof(struct hvm_modlist_entry),
                                   PVH_INFO_ALIGN);
    for (size_t i = 0; i < in->module_count; i++) {
        const struct handoff_module *m = &in->modules[i];
        struct hvm_modlist_entry e = { .paddr = m->start, .size = m->end - m->start };
        e.cmdline_paddr = hbuf_paddr(b, hbuf_string(b, m->cmdline));
        hbuf_write(b, list + i * sizeof(e), &e, sizeof(e));
    }
    return list;
}

static void pvh_lay_out(struct handoff_buf *b, const struct handoff_input *in,
                        const struct handoff_map *map)
{
    struct hvm_start_info si = { .magic = HVM_START_MAGIC_VALUE,
                                 .version = HVM_START_INFO_VERSION,
                                 .flags = HVM_START_INFO_FLAGS };
    size_t at = hbuf_alloc(b, sizeof(si), PVH_INFO_ALIGN);
    /* The list's 32-byte entries end below 4 GiB (hbuf_finish): the count
     * fits; a larger one fails there. */
    si.nr_modules = (uint32_t)in->module_count;
    if (in->module_count)
        si.modlist_paddr = hbuf_paddr(b, pvh_put_modules(b, in));
    if (map->count) {
        si.memmap_paddr = hbuf_paddr(b, pvh_put_memmap(b, map));
        si.memmap_entries = (uint32_t)map->count; /* <= BOOTINFO_MAX_REGIONS */
    }
    si.rsdp_paddr = handoff_put_rsdp(b, in);
    si.cmdline_paddr = hbuf_paddr(b, hbuf_string(b, in->cmdline));
    hbuf_write(b, at, &si, sizeof(si));
}

/* The start info is marked reserved, the modules are not (Linux frees its
 * initrd, module 0, itself): see docs/protocols.md, "Memory maps". */
static void pvh_marking(const struct handoff_input *in, struct handoff_marking *mk)
{
    mk->exempt = in->modules;
    mk->exempt_count = in->module_count;
}

const struct handoff_builder handoff_pvh = {
    .name = PVH_PROTO,
    .limit = HANDOFF_LIMIT_4GIB,
    .marking = pvh_marking,
    .lay_out = pvh_lay_out,
};

/* ==========================================================================
 * The descriptor (src/protos/proto.h)
 * ========================================================================== */

#define PVH_NOTE_NAME "Xen"

static bool pvh_detect(const struct proto_kernel *k)
{
    const void *desc;
    size_t len;
    return elf_find_note(&k->elf, PVH_NOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len) ==
           HOP_OK;
}

/* The entry is the XEN_ELFNOTE_PHYS32_ENTRY note: a 32-bit physical address
 * (Linux stores it as a 64-bit word; the value must fit 32 bits). */
static int pvh_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err)
{
    const void *desc;
    size_t len;
    uint64_t e = 0;
    if (elf_find_note(&k->elf, PVH_NOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len) != HOP_OK)
        return error_set(err, HOP_ERR_NOTFOUND, "%s: no Xen PHYS32_ENTRY note for PVH",
                         k->path);
    if (len != 4 && len != 8)
        return error_set(err, HOP_ERR_INVALID, "%s: Xen PHYS32_ENTRY note of %zu bytes",
                         k->path, len);
    memcpy(&e, desc, len);
    if (e >= HANDOFF_LIMIT_4GIB)
        return error_set(err, HOP_ERR_RANGE, "%s: PVH entry 0x%llx is not a 32-bit address",
                         k->path, (unsigned long long)e);
    *entry = e;
    return HOP_OK;
}

/* Xen's PVH boot ABI: 32-bit protected mode, paging off, EBX the start
 * info's physical address. */
static void pvh_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                      struct handoff_cpu *cpu)
{
    (void)k;
    *cpu = (struct handoff_cpu){ .mode = HANDOFF_MODE_PROT32, .entry = entry, .rbx = info,
                                 .protocol = proto_pvh.name };
}

const struct proto proto_pvh = {
    .name = "pvh",
    .id = CONFIG_PROTO_PVH,
    .detect = pvh_detect,
    .entry = pvh_entry,
    .files = PROTO_FILES_INITRD_FIRST,
    .info = &handoff_pvh,
    .info_align = HANDOFF_BUF_ALIGN,
    .enter = pvh_enter,
};
