/* The boot information hop was given, whatever the protocol: one structure
 * filled from a multiboot2 or multiboot1 info block.  Every later stage reads
 * this, never the raw block.
 *
 * The parsers never dereference a physical address directly: they ask a
 * phys_map callback for a readable view of [addr, addr+len), which returns
 * NULL where that range is not accessible.  On the machine it is the
 * identity map; on the host (tests, fuzzing) a simulated memory. */
#ifndef HOP_BOOTINFO_H
#define HOP_BOOTINFO_H

#include "lib/error.h"
#include "lib/types.h"
#include "mm/memmap.h" /* the map's types: enum mem_type, struct mem_region */

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define MB1_BOOTLOADER_MAGIC 0x2badb002u

struct boot_module {
    paddr_t start;
    paddr_t end; /* exclusive */
    const char *cmdline; /* never NULL; "" when none was given */
};

enum fb_type { FB_INDEXED = 0, FB_RGB = 1, FB_EGA_TEXT = 2 };

struct framebuffer {
    paddr_t addr;
    uint32_t pitch, width, height; /* width/height in pixels (chars for text) */
    uint8_t bpp;
    uint8_t type; /* enum fb_type */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/* ACPI 6.x, 5.2.5.3: the RSDP of revision 0 is 20 bytes, of revision 2 and
 * later 36. */
#define ACPI_RSDP_V1_LEN 20u
#define ACPI_RSDP_V2_LEN 36u

#define BOOTINFO_MAX_REGIONS MEMMAP_MAX_REGIONS
#define BOOTINFO_MAX_MODULES 64

enum boot_proto { BOOT_PROTO_MB2 = 2, BOOT_PROTO_MB1 = 1 };

struct bootinfo {
    enum boot_proto proto;
    paddr_t info_addr; /* the raw info block, live until the jump */
    size_t info_size;  /* for multiboot1: the fixed structure only */

    /* Sorted by start, non-overlapping, adjacent same-type entries merged,
     * overlaps resolved by the more restrictive type. */
    struct mem_region map[BOOTINFO_MAX_REGIONS];
    size_t map_count;
    bool map_from_efi; /* the EFI memory map was present and used */
    uint32_t mem_lower_kib, mem_upper_kib; /* basic meminfo, 0 if absent */
    bool has_meminfo;

    struct boot_module modules[BOOTINFO_MAX_MODULES];
    size_t module_count;

    const char *cmdline;     /* never NULL */
    const char *loader_name; /* never NULL */

    bool has_fb;
    struct framebuffer fb;

    /* ACPI RSDP copies as the loader gave them (multiboot2 tags 14/15). */
    const void *rsdp_v1;
    size_t rsdp_v1_len;
    const void *rsdp_v2;
    size_t rsdp_v2_len;

    /* SMBIOS tables copy (multiboot2 tag 13). */
    const void *smbios;
    size_t smbios_len;
    uint8_t smbios_major, smbios_minor;

    /* EFI */
    paddr_t efi_system_table32, efi_system_table64; /* 0 if absent */
    paddr_t efi_image_handle32, efi_image_handle64;
    const void *efi_mmap; /* raw EFI memory descriptors */
    size_t efi_mmap_size;
    uint32_t efi_desc_size, efi_desc_version;
    bool efi_boot_services_active; /* tag 18 present */

    bool has_load_base;
    paddr_t load_base; /* multiboot2 tag 21 */
};

typedef const void *(*phys_map_fn)(void *ctx, paddr_t addr, size_t len);

struct phys_access {
    phys_map_fn map;
    void *ctx;
};

/* Parses the info block given with magic at info_addr.  Returns HOP_OK or an
 * error code with err filled ("multiboot2 info: tag 6 (memory map) at offset
 * 0x48: entry_size 12 smaller than 24"); on error bi's contents are
 * unspecified.  Pointers stored in bi (strings, RSDP, SMBIOS, EFI map) point
 * into views returned by pa->map, which must stay valid as long as bi is used.
 * pa->map must behave monotonically: if [addr, addr+len) is readable, so is
 * every shorter range at addr (used to find how much of a string is
 * readable). */
int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info_addr,
                   const struct phys_access *pa, struct hop_error *err);

/* memmap_normalize, memmap_add and memmap_total (mm/memmap.h) on bi->map:
 * the parsers build the map with them, the handoff builders edit copies.
 * Inline, so that the parsers reach mm/memmap directly and never call back
 * into bootinfo.c, which calls them. */
static inline int bootinfo_normalize_map(struct bootinfo *bi)
{
    return memmap_normalize(bi->map, &bi->map_count);
}

static inline int bootinfo_add_region(struct bootinfo *bi, paddr_t start, paddr_t end,
                                      uint32_t type)
{
    return memmap_add(bi->map, &bi->map_count, start, end, type);
}

static inline uint64_t bootinfo_total(const struct bootinfo *bi, uint32_t type)
{
    return memmap_total(bi->map, bi->map_count, type);
}

/* Finds a module by its command line's first word (up to a space or tab),
 * or NULL.  One leading '/' on either side is ignored, so "initrd" finds
 * "/initrd arg" and "/initrd" finds "initrd". */
const struct boot_module *bootinfo_find_module(const struct bootinfo *bi,
                                               const char *name);

#endif
