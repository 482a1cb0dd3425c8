/* The PVH start info (Xen, xen/include/public/arch-x86/hvm/start_info.h and
 * docs/misc/pvh.pandoc): struct hvm_start_info version 1, pointing at the
 * module list, the memory map and the strings.  The kernel gets the start
 * info's address in EBX, so the block lies below 4 GiB; the fields inside
 * are 64-bit, so modules may lie above. */
#include "protos/handoff.h"

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

size_t pvh_info_size(const struct handoff_input *in)
{
    if (handoff_check_input(in, PVH_PROTO, NULL) != HOP_OK)
        return 0;
    struct handoff_buf b;
    struct handoff_map map = { NULL, handoff_map_max_entries(in, in->module_count) };
    hbuf_init(&b, NULL, 0, 0);
    pvh_lay_out(&b, in, &map);
    return b.overflow ? SIZE_MAX : b.used;
}

/* The start info is marked reserved, the modules are not (Linux frees its
 * initrd, module 0, itself): see docs/protocols.md, "Memory maps". */
int pvh_build_info(const struct handoff_input *in, void *buf, size_t cap,
                   paddr_t buf_paddr, size_t *used, struct hop_error *err)
{
    struct handoff_buf b;
    struct handoff_map map;
    int rc;
    *used = 0;
    if ((rc = handoff_check_input(in, PVH_PROTO, err)) != HOP_OK ||
        (rc = handoff_check_buf(buf_paddr, HANDOFF_LIMIT_4GIB, PVH_PROTO, err)) != HOP_OK)
        return rc;
    struct handoff_marking mk = {
        .own = handoff_own_range(buf_paddr, pvh_info_size(in)), .mark_own = true,
        .exempt = in->modules, .exempt_count = in->module_count };
    if ((rc = handoff_map_build(in, &mk, &map, err)) != HOP_OK)
        return rc;
    hbuf_init(&b, buf, cap, buf_paddr);
    pvh_lay_out(&b, in, &map);
    return hbuf_finish(&b, PVH_PROTO, HANDOFF_LIMIT_4GIB, used, err);
}
