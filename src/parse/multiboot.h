/* The boot information as it is laid out in memory: Multiboot Specification
 * 0.6.96 section 3.3 ("Boot information format") and Multiboot2
 * Specification 2.0 section 3.6 ("Boot information").  hop reads these
 * layouts from its own loader (src/parse/bootinfo_mb1.c, bootinfo_mb2.c) and
 * writes them for the kernels it boots (src/protos/multiboot1.c,
 * multiboot2.c), so both sides use these one copies.  The headers a kernel
 * embeds are in mbheader.h.
 *
 * The structures are packed and little-endian, as the protocols are (x86):
 * copy them in and out with memcpy, never point them at unaligned memory.
 * Memory map entry types are the e820 numbers, enum mem_type (mm/memmap.h). */
#ifndef HOP_MULTIBOOT_H
#define HOP_MULTIBOOT_H

#include "lib/types.h"

/* ==========================================================================
 * Both protocols
 * ========================================================================== */

/* color_info of a direct-color framebuffer (mb1 3.3, mb2 3.6.12). */
struct mb_fb_rgb {
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} __attribute__((packed));

_Static_assert(sizeof(struct mb_fb_rgb) == 6, "color_info (RGB)");

/* ==========================================================================
 * Multiboot1 (0.6.96 section 3.3)
 * ========================================================================== */

/* The flags word, one bit per valid field group. */
enum mb1_info_flag {
    MB1_INFO_MEMORY = 1u << 0,      /* mem_lower, mem_upper */
    MB1_INFO_BOOT_DEVICE = 1u << 1,
    MB1_INFO_CMDLINE = 1u << 2,
    MB1_INFO_MODS = 1u << 3,        /* mods_count, mods_addr */
    MB1_INFO_AOUT_SYMS = 1u << 4,
    MB1_INFO_ELF_SHDR = 1u << 5,
    MB1_INFO_MMAP = 1u << 6,        /* mmap_length, mmap_addr */
    MB1_INFO_DRIVES = 1u << 7,
    MB1_INFO_CONFIG_TABLE = 1u << 8,
    MB1_INFO_LOADER_NAME = 1u << 9,
    MB1_INFO_APM = 1u << 10,
    MB1_INFO_VBE = 1u << 11,
    MB1_INFO_FRAMEBUFFER = 1u << 12,
};

/* The structure EBX points at.  Every address in it is 32-bit. */
struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper; /* KiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr; /* length in bytes */
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
    uint8_t framebuffer_bpp, framebuffer_type;
    uint8_t color_info[6]; /* struct mb_fb_rgb or struct mb1_fb_palette */
} __attribute__((packed));

_Static_assert(sizeof(struct mb1_info) == 116, "3.3: 116 bytes");
_Static_assert(offsetof(struct mb1_info, mmap_length) == 44, "3.3 mmap_length");
_Static_assert(offsetof(struct mb1_info, boot_loader_name) == 64, "3.3 name");
_Static_assert(offsetof(struct mb1_info, framebuffer_addr) == 88, "3.3 fb addr");
_Static_assert(offsetof(struct mb1_info, color_info) == 110, "3.3 color_info");

/* color_info of an indexed framebuffer: the palette lies elsewhere. */
struct mb1_fb_palette {
    uint32_t palette_addr;
    uint16_t num_colors;
} __attribute__((packed));

_Static_assert(sizeof(struct mb1_fb_palette) == 6, "3.3 color_info (indexed)");

/* mods_addr: an array of these. */
struct mb1_module {
    uint32_t mod_start, mod_end; /* end exclusive */
    uint32_t string;             /* 0: none */
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct mb1_module) == 16, "3.3 module");

/* mmap_addr: entries each preceded by their size, which counts the bytes
 * after itself, so later versions may grow the entry.  mmap_addr points at
 * the size field, as GRUB and the specification's example kernel have it. */
struct mb1_mmap_entry {
    uint32_t size;
    uint64_t base_addr, length;
    uint32_t type; /* enum mem_type */
} __attribute__((packed));

_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "3.3 mmap entry");

/* The size field of this version's entry: the smallest a valid one holds. */
#define MB1_MMAP_ENTRY_BODY_SIZE (sizeof(struct mb1_mmap_entry) - sizeof(uint32_t))

/* ==========================================================================
 * Multiboot2 (2.0 section 3.6)
 * ========================================================================== */

#define MB2_INFO_ALIGN 8 /* 3.6.1: the block and every tag */

/* 3.6.2 - 3.6.23: the information tag types (not the header's tag types,
 * enum mb2_header_tag_type). */
enum mb2_info_tag_type {
    MB2_INFO_TAG_END = 0,
    MB2_INFO_TAG_CMDLINE = 1,
    MB2_INFO_TAG_LOADER_NAME = 2,
    MB2_INFO_TAG_MODULE = 3,
    MB2_INFO_TAG_MEMINFO = 4,
    MB2_INFO_TAG_BOOTDEV = 5,
    MB2_INFO_TAG_MMAP = 6,
    MB2_INFO_TAG_VBE = 7,
    MB2_INFO_TAG_FRAMEBUFFER = 8,
    MB2_INFO_TAG_ELF_SECTIONS = 9,
    MB2_INFO_TAG_APM = 10,
    MB2_INFO_TAG_EFI32_SYSTEM_TABLE = 11,
    MB2_INFO_TAG_EFI64_SYSTEM_TABLE = 12,
    MB2_INFO_TAG_SMBIOS = 13,
    MB2_INFO_TAG_ACPI_OLD = 14,
    MB2_INFO_TAG_ACPI_NEW = 15,
    MB2_INFO_TAG_NETWORK = 16,
    MB2_INFO_TAG_EFI_MMAP = 17,
    MB2_INFO_TAG_EFI_BOOT_SERVICES = 18,
    MB2_INFO_TAG_EFI32_IMAGE_HANDLE = 19,
    MB2_INFO_TAG_EFI64_IMAGE_HANDLE = 20,
    MB2_INFO_TAG_LOAD_BASE = 21,
    MB2_INFO_TAG_TYPE_COUNT
};

/* For messages: "memory map", ...; "unknown" past the last type we know.
 * Inline, so that the test kernels, which compile the bootinfo parser
 * (kernels/kernels.mk, TK_LIB_SRC), need nothing more from src/parse. */
static inline const char *mb2_info_tag_name(uint32_t type)
{
    static const char *const names[MB2_INFO_TAG_TYPE_COUNT] = {
        [MB2_INFO_TAG_END] = "end",
        [MB2_INFO_TAG_CMDLINE] = "command line",
        [MB2_INFO_TAG_LOADER_NAME] = "boot loader name",
        [MB2_INFO_TAG_MODULE] = "module",
        [MB2_INFO_TAG_MEMINFO] = "basic memory info",
        [MB2_INFO_TAG_BOOTDEV] = "BIOS boot device",
        [MB2_INFO_TAG_MMAP] = "memory map",
        [MB2_INFO_TAG_VBE] = "VBE info",
        [MB2_INFO_TAG_FRAMEBUFFER] = "framebuffer",
        [MB2_INFO_TAG_ELF_SECTIONS] = "ELF sections",
        [MB2_INFO_TAG_APM] = "APM table",
        [MB2_INFO_TAG_EFI32_SYSTEM_TABLE] = "EFI32 system table",
        [MB2_INFO_TAG_EFI64_SYSTEM_TABLE] = "EFI64 system table",
        [MB2_INFO_TAG_SMBIOS] = "SMBIOS tables",
        [MB2_INFO_TAG_ACPI_OLD] = "ACPI old RSDP",
        [MB2_INFO_TAG_ACPI_NEW] = "ACPI new RSDP",
        [MB2_INFO_TAG_NETWORK] = "networking info",
        [MB2_INFO_TAG_EFI_MMAP] = "EFI memory map",
        [MB2_INFO_TAG_EFI_BOOT_SERVICES] = "EFI boot services not terminated",
        [MB2_INFO_TAG_EFI32_IMAGE_HANDLE] = "EFI32 image handle",
        [MB2_INFO_TAG_EFI64_IMAGE_HANDLE] = "EFI64 image handle",
        [MB2_INFO_TAG_LOAD_BASE] = "image load base",
    };
    return type < MB2_INFO_TAG_TYPE_COUNT ? names[type] : "unknown";
}

struct mb2_info_header { /* 3.6.1 */
    uint32_t total_size; /* header and end tag included */
    uint32_t reserved;
} __attribute__((packed));

struct mb2_tag_header { /* 3.6.2 */
    uint32_t type;
    uint32_t size; /* header included, padding excluded */
} __attribute__((packed));

struct mb2_tag_module { /* 3.6.6; the command line follows */
    struct mb2_tag_header h;
    uint32_t mod_start, mod_end; /* end exclusive */
} __attribute__((packed));

struct mb2_tag_meminfo { /* 3.6.3 */
    struct mb2_tag_header h;
    uint32_t mem_lower, mem_upper; /* KiB */
} __attribute__((packed));

struct mb2_tag_mmap { /* 3.6.8; the entries follow, entry_size apart */
    struct mb2_tag_header h;
    uint32_t entry_size, entry_version;
} __attribute__((packed));

struct mb2_mmap_entry {
    uint64_t base_addr, length;
    uint32_t type; /* enum mem_type */
    uint32_t reserved;
} __attribute__((packed));

#define MB2_MMAP_ENTRY_VERSION 0
/* entry_size is "guaranteed to be a multiple of 8" (later versions may grow
 * the entry). */
#define MB2_MMAP_ENTRY_SIZE_ALIGN 8

/* 3.6.12, the part every framebuffer type has; color_info follows.  The
 * specification's text has one reserved byte before color_info; GRUB, which
 * defines the format in practice and which the kernels in the field were
 * written against, has two, so color_info starts at 32.  We follow GRUB. */
struct mb2_tag_framebuffer {
    struct mb2_tag_header h;
    uint64_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, type; /* enum fb_type */
    uint16_t reserved;
} __attribute__((packed));

/* An indexed framebuffer's color_info: num_colors, then that many RGB
 * triplets.  num_colors is a u32 in the specification's text, a u16 in
 * GRUB. */
#define MB2_FB_PALETTE_COUNT_SIZE 2 /* GRUB's */
#define MB2_FB_PALETTE_ENTRY_SIZE 3

/* 3.6.13 EFI32 system table, 3.6.21 EFI32 image handle, 3.6.23 load base. */
struct mb2_tag_addr32 {
    struct mb2_tag_header h;
    uint32_t addr;
} __attribute__((packed));

/* 3.6.14 EFI64 system table, 3.6.22 EFI64 image handle. */
struct mb2_tag_addr64 {
    struct mb2_tag_header h;
    uint64_t addr;
} __attribute__((packed));

struct mb2_tag_smbios { /* 3.6.15; the tables follow */
    struct mb2_tag_header h;
    uint8_t major, minor, reserved[6];
} __attribute__((packed));

struct mb2_tag_efi_mmap { /* 3.6.19; the descriptors follow, desc_size apart */
    struct mb2_tag_header h;
    uint32_t desc_size, desc_version;
} __attribute__((packed));

_Static_assert(sizeof(struct mb2_info_header) == 8, "3.6.1");
_Static_assert(sizeof(struct mb2_tag_header) == 8, "3.6.2");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "3.6.6");
_Static_assert(sizeof(struct mb2_tag_meminfo) == 16, "3.6.3");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "3.6.8");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "3.6.8 entry");
_Static_assert(sizeof(struct mb2_tag_framebuffer) == 32, "3.6.12");
_Static_assert(offsetof(struct mb2_tag_framebuffer, bpp) == 28, "3.6.12 bpp");
_Static_assert(sizeof(struct mb2_tag_addr32) == 12, "3.6.13");
_Static_assert(sizeof(struct mb2_tag_addr64) == 16, "3.6.14");
_Static_assert(sizeof(struct mb2_tag_smbios) == 16, "3.6.15");
_Static_assert(sizeof(struct mb2_tag_efi_mmap) == 16, "3.6.19");

#endif
