/* The headers a kernel embeds to say it speaks multiboot: the multiboot1
 * header (magic 0x1BADB002, in the first 8 KiB) and the multiboot2 header
 * (magic 0xE85250D6, in the first 32 KiB, followed by tags).
 *
 * Both finders scan the file the way the specifications define, verify the
 * checksum, then validate every field hop will later act on, so the code
 * that loads the kernel can trust the structures they fill.  Specifications:
 * "Multiboot Specification version 0.6.96" section 3.1 and "Multiboot2
 * Specification version 2.0" section 3.1. */
#ifndef HOP_MBHEADER_H
#define HOP_MBHEADER_H

#include "lib/error.h"
#include "lib/types.h"

/* --- multiboot1 (spec 3.1.1 - 3.1.4) --------------------------------------- */
#define MB1_HEADER_MAGIC 0x1BADB002u
#define MB1_SEARCH_END 8192 /* the header lies wholly in these first bytes */
#define MB1_HEADER_ALIGN 4

#define MB1_FLAG_PAGE_ALIGN_MODULES (1u << 0)
#define MB1_FLAG_MEMORY_INFO (1u << 1)
#define MB1_FLAG_VIDEO_MODE (1u << 2)
#define MB1_FLAG_AOUT_KLUDGE (1u << 16) /* the address fields are valid */
/* Bits 0-15 are requirements: a loader must refuse those it does not know. */
#define MB1_FLAGS_REQUIRED_MASK 0x0000ffffu
#define MB1_FLAGS_KNOWN_REQUIRED                                               \
    (MB1_FLAG_PAGE_ALIGN_MODULES | MB1_FLAG_MEMORY_INFO | MB1_FLAG_VIDEO_MODE)

/* The header's size up to the end of each field group. */
#define MB1_HEADER_MAGIC_SIZE 12 /* magic, flags, checksum */
#define MB1_HEADER_ADDR_SIZE 32  /* + header_addr .. entry_addr */
#define MB1_HEADER_VIDEO_SIZE 48 /* + mode_type, width, height, depth */

#define MB1_VIDEO_LINEAR 0
#define MB1_VIDEO_EGA_TEXT 1

/* Where an a.out-kludge (or multiboot2 address tag) image goes, computed
 * from the address fields and checked against the file: copy load_size
 * bytes from file_offset to load_addr, then zero up to mem_end.  Everything
 * lies below 4 GiB. */
struct mb_load_layout {
    size_t file_offset;
    size_t load_size;
    uint64_t load_addr;
    uint64_t mem_end; /* exclusive; load_addr + load_size when no bss */
};

struct mb1_header {
    size_t offset; /* of the magic in the file */
    uint32_t flags;

    bool has_addresses; /* MB1_FLAG_AOUT_KLUDGE */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
    struct mb_load_layout layout; /* valid when has_addresses */

    bool has_video; /* MB1_FLAG_VIDEO_MODE */
    uint32_t mode_type; /* MB1_VIDEO_* */
    uint32_t width, height, depth; /* 0: no preference */
};

/* Finds and validates the multiboot1 header of file[0, size).  name is used
 * in messages.  Returns HOP_OK, HOP_ERR_NOTFOUND (no magic at all; err
 * says so), or another negative hop_status with err filled. */
int mb1_header_find(struct mb1_header *hdr, const void *file, size_t size,
                    const char *name, struct hop_error *err);

/* --- multiboot2 (spec 3.1) ------------------------------------------------- */
#define MB2_HEADER_MAGIC 0xE85250D6u
#define MB2_SEARCH_END 32768
#define MB2_HEADER_ALIGN 8
#define MB2_ARCH_I386 0 /* 32-bit protected mode of i386 */
#define MB2_HEADER_FIXED_SIZE 16 /* magic, architecture, header_length, checksum */

/* The header's tags (3.1.3), not the boot information's (multiboot.h). */
#define MB2_HEADER_TAG_ALIGN 8
#define MB2_HEADER_TAG_FIXED_SIZE 8 /* u16 type, u16 flags, u32 size */
#define MB2_HEADER_TAG_FLAG_OPTIONAL (1u << 0)

enum mb2_header_tag_type {
    MB2_HEADER_TAG_END = 0,
    MB2_HEADER_TAG_INFORMATION_REQUEST = 1,
    MB2_HEADER_TAG_ADDRESS = 2,
    MB2_HEADER_TAG_ENTRY_ADDRESS = 3,
    MB2_HEADER_TAG_CONSOLE_FLAGS = 4,
    MB2_HEADER_TAG_FRAMEBUFFER = 5,
    MB2_HEADER_TAG_MODULE_ALIGN = 6,
    MB2_HEADER_TAG_EFI_BS = 7,
    MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32 = 8,
    MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64 = 9,
    MB2_HEADER_TAG_RELOCATABLE = 10,
    MB2_HEADER_TAG_COUNT
};

/* Address tag: load_addr == this means "load the file from its start". */
#define MB2_LOAD_ADDR_FILE_START 0xffffffffu

/* Console flags tag */
#define MB2_CONSOLE_REQUIRED (1u << 0)
#define MB2_CONSOLE_EGA_TEXT (1u << 1)

/* Relocatable tag preference */
#define MB2_RELOC_PREFER_NONE 0
#define MB2_RELOC_PREFER_LOW 1
#define MB2_RELOC_PREFER_HIGH 2

#define MB2_MAX_INFO_REQUESTS 64

struct mb2_info_request {
    uint32_t type;  /* enum mb2_info_tag_type (multiboot.h) */
    bool required;  /* its tag was not marked optional */
};

struct mb2_header {
    size_t offset; /* of the magic in the file */
    uint32_t header_length;

    /* Bit N set: a tag of type N was present / was marked optional.  Each
     * type but the information request appears at most once. */
    uint32_t tags_present;
    uint32_t tags_optional;

    size_t info_request_count; /* over all information request tags */
    struct mb2_info_request info_requests[MB2_MAX_INFO_REQUESTS];

    /* MB2_HEADER_TAG_ADDRESS, as given and as laid out in the file */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
    struct mb_load_layout layout;

    uint32_t entry_addr;       /* MB2_HEADER_TAG_ENTRY_ADDRESS */
    uint32_t console_flags;    /* MB2_HEADER_TAG_CONSOLE_FLAGS */
    uint32_t fb_width, fb_height, fb_depth; /* FRAMEBUFFER; 0: no preference */
    uint32_t efi32_entry_addr; /* MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32 */
    uint32_t efi64_entry_addr; /* MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64 */

    /* MB2_HEADER_TAG_RELOCATABLE: min_addr <= max_addr, align a power of two
     * (0 taken as 1), preference one of MB2_RELOC_PREFER_*. */
    uint32_t reloc_min_addr, reloc_max_addr, reloc_align, reloc_preference;
};

/* Finds and validates the multiboot2 header of file[0, size), including
 * every tag.  An unknown tag is an error unless marked optional.  Returns
 * HOP_OK, HOP_ERR_NOTFOUND (no magic at all), or another negative
 * hop_status with err filled. */
int mb2_header_find(struct mb2_header *hdr, const void *file, size_t size,
                    const char *name, struct hop_error *err);

static inline bool mb2_header_has(const struct mb2_header *hdr,
                                  unsigned type)
{
    return type < MB2_HEADER_TAG_COUNT && (hdr->tags_present >> type) & 1;
}

static inline bool mb2_header_tag_optional(const struct mb2_header *hdr,
                                           unsigned type)
{
    return type < MB2_HEADER_TAG_COUNT && (hdr->tags_optional >> type) & 1;
}

#endif
