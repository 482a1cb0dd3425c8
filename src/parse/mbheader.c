/* Finding and validating the multiboot1 and multiboot2 headers of a kernel
 * file.  Fields are read with explicit little-endian loads: the header may
 * sit at any address in the buffer we were given. */
#include "parse/mbheader.h"

#include "lib/fmt.h"
#include "lib/string.h"

/* Loaded images must end at or below 4 GiB: the address fields are u32. */
#define MB_ADDR_END 0x100000000ull

typedef unsigned long long ull; /* what %llx prints */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* How a header is searched for: magic at a multiple of align, wholly in the
 * first window bytes, the first words u32s summing to zero mod 2^32. */
struct mb_scan {
    uint32_t magic;
    size_t window, align, words;
};

static uint32_t mb_sum(const uint8_t *p, size_t words)
{
    uint32_t sum = 0;
    for (size_t w = 0; w < words; w++)
        sum += le32(p + 4 * w);
    return sum;
}

/* Returns HOP_OK with *found at the first candidate whose checksum holds,
 * HOP_ERR_CHECKSUM with *found at the first one whose checksum does not
 * (the magic may also occur by chance in code or data, so a bad candidate
 * does not stop the search), or HOP_ERR_NOTFOUND. */
static int mb_scan(const uint8_t *file, size_t size, const struct mb_scan *s,
                   size_t *found)
{
    size_t limit = MIN(size, s->window);
    size_t need = 4 * s->words;
    int rc = HOP_ERR_NOTFOUND;
    for (size_t off = 0; need <= limit && off <= limit - need; off += s->align) {
        if (le32(file + off) != s->magic)
            continue;
        if (mb_sum(file + off, s->words) == 0) {
            *found = off;
            return HOP_OK;
        }
        if (rc == HOP_ERR_NOTFOUND) {
            *found = off;
            rc = HOP_ERR_CHECKSUM;
        }
    }
    return rc;
}

static int mb_scan_error(int rc, const uint8_t *file, const struct mb_scan *s,
                         size_t off, const char *name, const char *what,
                         struct hop_error *err)
{
    if (rc == HOP_ERR_NOTFOUND)
        return error_set(err, rc, "%s: no %s header in the first %zu bytes",
                         name, what, s->window);
    /* The checksum is the last of the summed words. */
    uint32_t stored = le32(file + off + 4 * (s->words - 1));
    uint32_t others = mb_sum(file + off, s->words - 1);
    return error_set(err, rc,
                     "%s: %s header at offset 0x%zx: checksum 0x%08x, "
                     "expected 0x%08x", name, what, off, stored,
                     (uint32_t)(0u - others));
}

/* The address fields shared by the multiboot1 a.out kludge and the
 * multiboot2 address tag. */
struct mb_addr_fields {
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
};

/* Where loading starts: in the file and in memory. */
static int mb_layout_start(const struct mb_addr_fields *a, size_t hdr_offset,
                           bool file_start_allowed, const char *name,
                           const char *what, struct mb_load_layout *l,
                           struct hop_error *err)
{
    if (file_start_allowed && a->load_addr == MB2_LOAD_ADDR_FILE_START) {
        if (a->header_addr < hdr_offset)
            return error_set(err, HOP_ERR_RANGE,
                             "%s: %s: header_addr 0x%x below the header's "
                             "file offset 0x%zx", name, what, a->header_addr,
                             hdr_offset);
        l->file_offset = 0;
        l->load_addr = a->header_addr - hdr_offset;
        return HOP_OK;
    }
    if (a->load_addr > a->header_addr)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: %s: load_addr 0x%x above header_addr 0x%x", name,
                         what, a->load_addr, a->header_addr);
    if (a->header_addr - a->load_addr > hdr_offset)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: %s: header_addr - load_addr 0x%x exceeds the "
                         "header's file offset 0x%zx", name, what,
                         a->header_addr - a->load_addr, hdr_offset);
    l->file_offset = hdr_offset - (a->header_addr - a->load_addr);
    l->load_addr = a->load_addr;
    return HOP_OK;
}

/* Validates the address fields against each other and the file (spec 3.1.3
 * of multiboot1, 3.1.5 of multiboot2) and computes where the image goes. */
static int mb_layout(const struct mb_addr_fields *a, size_t hdr_offset,
                     size_t size, bool file_start_allowed, const char *name,
                     const char *what, struct mb_load_layout *l,
                     struct hop_error *err)
{
    uint64_t load_end;
    int rc = mb_layout_start(a, hdr_offset, file_start_allowed, name, what, l,
                             err);
    if (rc)
        return rc;
    if (a->load_end_addr == 0) {
        l->load_size = size - l->file_offset; /* "the whole OS image file" */
    } else if (a->load_end_addr <= l->load_addr) {
        return error_set(err, HOP_ERR_INVALID,
                         "%s: %s: load_end_addr 0x%x not above load_addr "
                         "0x%llx", name, what, a->load_end_addr,
                         (ull)l->load_addr);
    } else {
        l->load_size = a->load_end_addr - l->load_addr;
        if (l->load_size > size - l->file_offset)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "%s: %s: load_end_addr - load_addr 0x%zx runs "
                             "past the file end 0x%zx (loading from offset "
                             "0x%zx)", name, what, l->load_size, size,
                             l->file_offset);
    }
    if (ADD_OVERFLOWS(l->load_addr, (uint64_t)l->load_size, &load_end) ||
        load_end > MB_ADDR_END)
        return error_set(err, HOP_ERR_RANGE,
                         "%s: %s: image at 0x%llx, 0x%zx bytes, passes 4 GiB",
                         name, what, (ull)l->load_addr, l->load_size);
    if (a->bss_end_addr != 0 && a->bss_end_addr < load_end)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: %s: bss_end_addr 0x%x below the loaded image's "
                         "end 0x%llx", name, what, a->bss_end_addr,
                         (ull)load_end);
    l->mem_end = a->bss_end_addr ? a->bss_end_addr : load_end;
    return HOP_OK;
}

/* --- multiboot1 ------------------------------------------------------------ */

static const struct mb_scan mb1_scan = {
    MB1_HEADER_MAGIC, MB1_SEARCH_END, MB1_HEADER_ALIGN, 3,
};

/* The address fields (a.out kludge) and the entry they must lead to. */
static int mb1_read_addresses(struct mb1_header *hdr, const uint8_t *h,
                              size_t size, const char *name,
                              struct hop_error *err)
{
    struct mb_addr_fields a = { le32(h + 12), le32(h + 16), le32(h + 20),
                                le32(h + 24) };
    int rc;
    hdr->has_addresses = true;
    hdr->header_addr = a.header_addr;
    hdr->load_addr = a.load_addr;
    hdr->load_end_addr = a.load_end_addr;
    hdr->bss_end_addr = a.bss_end_addr;
    hdr->entry_addr = le32(h + 28);
    rc = mb_layout(&a, hdr->offset, size, false, name, "multiboot1 header",
                   &hdr->layout, err);
    if (rc)
        return rc;
    if (hdr->entry_addr < hdr->layout.load_addr ||
        hdr->entry_addr >= hdr->layout.mem_end)
        return error_set(err, HOP_ERR_RANGE,
                         "%s: multiboot1 header: entry_addr 0x%x outside the "
                         "image [0x%llx, 0x%llx)", name, hdr->entry_addr,
                         (ull)hdr->layout.load_addr,
                         (ull)hdr->layout.mem_end);
    return HOP_OK;
}

static int mb1_read_video(struct mb1_header *hdr, const uint8_t *h,
                          const char *name, struct hop_error *err)
{
    hdr->has_video = true;
    hdr->mode_type = le32(h + 32);
    hdr->width = le32(h + 36);
    hdr->height = le32(h + 40);
    hdr->depth = le32(h + 44);
    if (hdr->mode_type != MB1_VIDEO_LINEAR &&
        hdr->mode_type != MB1_VIDEO_EGA_TEXT)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: multiboot1 header: mode_type %u, expected 0 "
                         "(linear) or 1 (EGA text)", name, hdr->mode_type);
    return HOP_OK;
}

/* The optional field groups: present by flag, but they must then lie in
 * the file and in the search window like the rest of the header. */
static int mb1_read_fields(struct mb1_header *hdr, const uint8_t *file,
                           size_t size, const char *name,
                           struct hop_error *err)
{
    const uint8_t *h = file + hdr->offset;
    size_t need = MB1_HEADER_MAGIC_SIZE;
    size_t limit = MIN(size, (size_t)MB1_SEARCH_END);
    int rc = HOP_OK;
    if (hdr->flags & MB1_FLAG_AOUT_KLUDGE)
        need = MB1_HEADER_ADDR_SIZE;
    if (hdr->flags & MB1_FLAG_VIDEO_MODE)
        need = MB1_HEADER_VIDEO_SIZE;
    if (need > limit - hdr->offset)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: multiboot1 header at offset 0x%zx: flags 0x%x "
                         "need 0x%zx bytes, past the %s", name, hdr->offset,
                         hdr->flags, need,
                         limit == size ? "end of the file"
                                       : "first 8192 bytes");
    if (hdr->flags & MB1_FLAG_AOUT_KLUDGE)
        rc = mb1_read_addresses(hdr, h, size, name, err);
    if (!rc && (hdr->flags & MB1_FLAG_VIDEO_MODE))
        rc = mb1_read_video(hdr, h, name, err);
    return rc;
}

int mb1_header_find(struct mb1_header *hdr, const void *file, size_t size,
                    const char *name, struct hop_error *err)
{
    const uint8_t *f = file;
    size_t off = 0;
    uint32_t unknown;
    int rc;
    memset(hdr, 0, sizeof(*hdr));
    name = name ? name : "kernel";
    rc = mb_scan(f, size, &mb1_scan, &off);
    if (rc)
        return mb_scan_error(rc, f, &mb1_scan, off, name, "multiboot1", err);
    hdr->offset = off;
    hdr->flags = le32(f + off + 4);
    unknown = hdr->flags & MB1_FLAGS_REQUIRED_MASK & ~MB1_FLAGS_KNOWN_REQUIRED;
    if (unknown)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: multiboot1 header: flags 0x%x require features "
                         "0x%x hop does not know", name, hdr->flags, unknown);
    return mb1_read_fields(hdr, f, size, name, err);
}

/* --- multiboot2 ------------------------------------------------------------ */

static const struct mb_scan mb2_scan = {
    MB2_HEADER_MAGIC, MB2_SEARCH_END, MB2_HEADER_ALIGN, 4,
};

/* Smallest size of each tag type, header included (spec 3.1.4 - 3.1.13). */
static const uint32_t mb2_tag_min_size[MB2_HEADER_TAG_COUNT] = {
    [MB2_HEADER_TAG_END] = 8,
    [MB2_HEADER_TAG_INFORMATION_REQUEST] = 8,
    [MB2_HEADER_TAG_ADDRESS] = 24,
    [MB2_HEADER_TAG_ENTRY_ADDRESS] = 12,
    [MB2_HEADER_TAG_CONSOLE_FLAGS] = 12,
    [MB2_HEADER_TAG_FRAMEBUFFER] = 20,
    [MB2_HEADER_TAG_MODULE_ALIGN] = 8,
    [MB2_HEADER_TAG_EFI_BS] = 8,
    [MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32] = 12,
    [MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64] = 12,
    [MB2_HEADER_TAG_RELOCATABLE] = 24,
};

static const char *const mb2_tag_name[MB2_HEADER_TAG_COUNT] = {
    "end", "information request", "address", "entry address",
    "console flags", "framebuffer", "module alignment", "EFI boot services",
    "EFI i386 entry address", "EFI amd64 entry address", "relocatable",
};

/* What the tag parsers need: the file, the header, the tag at hand. */
struct mb2_tag {
    const uint8_t *file;
    size_t size; /* of the file */
    const char *name;
    struct mb2_header *hdr;
    size_t off; /* of the tag, in the file */
    uint16_t type, flags;
    uint32_t tag_size;
    const uint8_t *p; /* the tag */
};

static int mb2_tag_error(const struct mb2_tag *t, int code, const char *what,
                         struct hop_error *err)
{
    return error_set(err, code, "%s: multiboot2 header: tag %u (%s) at "
                     "offset 0x%zx: %s", t->name, t->type,
                     t->type < MB2_HEADER_TAG_COUNT ? mb2_tag_name[t->type]
                                                    : "unknown",
                     t->off, what);
}

static int mb2_read_info_request(const struct mb2_tag *t,
                                 struct hop_error *err)
{
    struct mb2_header *hdr = t->hdr;
    size_t count = (t->tag_size - MB2_HEADER_TAG_FIXED_SIZE) / 4;
    if ((t->tag_size - MB2_HEADER_TAG_FIXED_SIZE) % 4)
        return mb2_tag_error(t, HOP_ERR_INVALID,
                             "size not 8 plus a multiple of 4", err);
    if (count > MB2_MAX_INFO_REQUESTS - hdr->info_request_count)
        return mb2_tag_error(t, HOP_ERR_LIMIT,
                             "more than 64 information requests", err);
    for (size_t i = 0; i < count; i++) {
        hdr->info_requests[hdr->info_request_count++] = (struct mb2_info_request){
            .type = le32(t->p + MB2_HEADER_TAG_FIXED_SIZE + 4 * i),
            .required = !(t->flags & MB2_HEADER_TAG_FLAG_OPTIONAL),
        };
    }
    return HOP_OK;
}

static int mb2_read_address(const struct mb2_tag *t, struct hop_error *err)
{
    struct mb2_header *hdr = t->hdr;
    struct mb_addr_fields a = { le32(t->p + 8), le32(t->p + 12),
                                le32(t->p + 16), le32(t->p + 20) };
    hdr->header_addr = a.header_addr;
    hdr->load_addr = a.load_addr;
    hdr->load_end_addr = a.load_end_addr;
    hdr->bss_end_addr = a.bss_end_addr;
    return mb_layout(&a, hdr->offset, t->size, true, t->name,
                     "multiboot2 address tag", &hdr->layout, err);
}

static int mb2_read_relocatable(const struct mb2_tag *t, struct hop_error *err)
{
    struct mb2_header *hdr = t->hdr;
    hdr->reloc_min_addr = le32(t->p + 8);
    hdr->reloc_max_addr = le32(t->p + 12);
    hdr->reloc_align = le32(t->p + 16);
    hdr->reloc_preference = le32(t->p + 20);
    if (hdr->reloc_min_addr > hdr->reloc_max_addr)
        return mb2_tag_error(t, HOP_ERR_INVALID, "min_addr above max_addr",
                             err);
    if (hdr->reloc_align & (hdr->reloc_align - 1))
        return mb2_tag_error(t, HOP_ERR_INVALID, "align not a power of two",
                             err);
    if (hdr->reloc_align == 0)
        hdr->reloc_align = 1; /* no constraint */
    if (hdr->reloc_preference > MB2_RELOC_PREFER_HIGH)
        return mb2_tag_error(t, HOP_ERR_INVALID,
                             "preference not 0 (none), 1 (low) or 2 (high)",
                             err);
    return HOP_OK;
}

/* Stores the fields of a known tag whose size has been checked. */
static int mb2_read_tag(const struct mb2_tag *t, struct hop_error *err)
{
    struct mb2_header *hdr = t->hdr;
    switch (t->type) {
    case MB2_HEADER_TAG_INFORMATION_REQUEST:
        return mb2_read_info_request(t, err);
    case MB2_HEADER_TAG_ADDRESS:
        return mb2_read_address(t, err);
    case MB2_HEADER_TAG_ENTRY_ADDRESS:
        hdr->entry_addr = le32(t->p + 8);
        return HOP_OK;
    case MB2_HEADER_TAG_CONSOLE_FLAGS:
        hdr->console_flags = le32(t->p + 8);
        return HOP_OK;
    case MB2_HEADER_TAG_FRAMEBUFFER:
        hdr->fb_width = le32(t->p + 8);
        hdr->fb_height = le32(t->p + 12);
        hdr->fb_depth = le32(t->p + 16);
        return HOP_OK;
    case MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32:
        hdr->efi32_entry_addr = le32(t->p + 8);
        return HOP_OK;
    case MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64:
        hdr->efi64_entry_addr = le32(t->p + 8);
        return HOP_OK;
    case MB2_HEADER_TAG_RELOCATABLE:
        return mb2_read_relocatable(t, err);
    default: /* module alignment, EFI boot services: presence is all */
        return HOP_OK;
    }
}

/* One tag other than the end tag: known and large enough, or optional. */
static int mb2_parse_tag(const struct mb2_tag *t, struct hop_error *err)
{
    struct mb2_header *hdr = t->hdr;
    uint32_t bit;
    if (t->type >= MB2_HEADER_TAG_COUNT) {
        if (t->flags & MB2_HEADER_TAG_FLAG_OPTIONAL)
            return HOP_OK; /* the spec lets a loader ignore it */
        return mb2_tag_error(t, HOP_ERR_UNSUPPORTED,
                             "unknown type, not marked optional", err);
    }
    if (t->tag_size < mb2_tag_min_size[t->type]) {
        char what[48];
        fmt_snprintf(what, sizeof(what), "size %u below the minimum %u",
                     t->tag_size, mb2_tag_min_size[t->type]);
        return mb2_tag_error(t, HOP_ERR_INVALID, what, err);
    }
    bit = 1u << t->type;
    if ((hdr->tags_present & bit) &&
        t->type != MB2_HEADER_TAG_INFORMATION_REQUEST)
        return mb2_tag_error(t, HOP_ERR_INVALID, "given twice", err);
    hdr->tags_present |= bit;
    if (t->flags & MB2_HEADER_TAG_FLAG_OPTIONAL)
        hdr->tags_optional |= bit;
    return mb2_read_tag(t, err);
}

/* Walks the tags from just after the magic fields to the end tag; each
 * starts 8-byte aligned and lies wholly inside header_length. */
static int mb2_parse_tags(struct mb2_tag *t, struct hop_error *err)
{
    uint32_t len = t->hdr->header_length;
    uint32_t pos = MB2_HEADER_FIXED_SIZE; /* inside the header */
    for (;;) {
        int rc;
        if (pos > len || len - pos < MB2_HEADER_TAG_FIXED_SIZE)
            return error_set(err, HOP_ERR_INVALID,
                             "%s: multiboot2 header: no end tag within "
                             "header_length 0x%x", t->name, len);
        t->p = t->file + t->hdr->offset + pos;
        t->off = t->hdr->offset + pos;
        t->type = le16(t->p);
        t->flags = le16(t->p + 2);
        t->tag_size = le32(t->p + 4);
        if (t->tag_size < MB2_HEADER_TAG_FIXED_SIZE)
            return mb2_tag_error(t, HOP_ERR_INVALID,
                                 "size smaller than the tag header", err);
        if (t->tag_size > len - pos)
            return mb2_tag_error(t, HOP_ERR_TRUNCATED,
                                 "size runs past header_length", err);
        if (t->type == MB2_HEADER_TAG_END)
            return t->tag_size == MB2_HEADER_TAG_FIXED_SIZE
                       ? HOP_OK
                       : mb2_tag_error(t, HOP_ERR_INVALID, "size not 8", err);
        if ((rc = mb2_parse_tag(t, err)))
            return rc;
        /* tag_size <= len <= 32 KiB: no overflow. */
        pos += ALIGN_UP(t->tag_size, (uint32_t)MB2_HEADER_TAG_ALIGN);
    }
}

/* The magic fields (spec 3.1.2) beyond the checksum. */
static int mb2_check_magic_fields(struct mb2_header *hdr, const uint8_t *f,
                                  size_t size, const char *name,
                                  struct hop_error *err)
{
    uint32_t arch = le32(f + hdr->offset + 4);
    hdr->header_length = le32(f + hdr->offset + 8);
    if (arch != MB2_ARCH_I386)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: multiboot2 header: architecture %u, expected "
                         "0 (i386)", name, arch);
    if (hdr->header_length < MB2_HEADER_FIXED_SIZE)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: multiboot2 header: header_length 0x%x below "
                         "0x%x", name, hdr->header_length,
                         MB2_HEADER_FIXED_SIZE);
    if (hdr->header_length > size - hdr->offset)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: multiboot2 header at offset 0x%zx: "
                         "header_length 0x%x runs past the file end 0x%zx",
                         name, hdr->offset, hdr->header_length, size);
    if (hdr->header_length > MB2_SEARCH_END - hdr->offset)
        return error_set(err, HOP_ERR_RANGE,
                         "%s: multiboot2 header at offset 0x%zx: "
                         "header_length 0x%x runs past the first %d bytes",
                         name, hdr->offset, hdr->header_length,
                         MB2_SEARCH_END);
    return HOP_OK;
}

int mb2_header_find(struct mb2_header *hdr, const void *file, size_t size,
                    const char *name, struct hop_error *err)
{
    const uint8_t *f = file;
    size_t off = 0;
    int rc;
    memset(hdr, 0, sizeof(*hdr));
    name = name ? name : "kernel";
    rc = mb_scan(f, size, &mb2_scan, &off);
    if (rc)
        return mb_scan_error(rc, f, &mb2_scan, off, name, "multiboot2", err);
    hdr->offset = off;
    if ((rc = mb2_check_magic_fields(hdr, f, size, name, err)))
        return rc;
    struct mb2_tag t = { .file = f, .size = size, .name = name, .hdr = hdr };
    return mb2_parse_tags(&t, err);
}
