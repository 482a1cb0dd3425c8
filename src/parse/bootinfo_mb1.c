/* The multiboot1 boot information parser (Multiboot specification 0.6.96,
 * section 3.3): a fixed structure whose flags say which fields are valid,
 * and physical addresses of strings, modules and the memory map elsewhere.
 *
 * Everything the boot loader hands over is untrusted until checked: every
 * address is read only through pa->map and only within the view it returned,
 * every string must have its NUL within a bounded window, every size is
 * checked against what holds it.  Fields are copied out with memcpy into the
 * specification's layouts (multiboot.h), so no field has to be aligned; like
 * the protocol itself this assumes a little-endian machine (x86). */
#include "parse/bootinfo_priv.h"

#include "lib/fmt.h"
#include "lib/string.h"
#include "parse/multiboot.h"

/* Strings have no length: we look for the NUL within this many bytes.
 * Generous, so that hop's own command line reaches the configuration
 * parser whole, which enforces the documented per-value limits with their
 * own messages (docs/config.md, "Limits"). */
#define MB1_STRING_MAX 65536u

struct mb1_parse {
    struct bootinfo *bi;
    const struct phys_access *pa;
    struct hop_error *err;
    struct mb1_info info;
};

static int mb1_error(const struct mb1_parse *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int mb1_error(const struct mb1_parse *ps, int code, const char *fmt, ...)
{
    char detail[HOP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return error_set(ps->err, code, "multiboot1 info at 0x%llx: %s",
                     (unsigned long long)ps->bi->info_addr, detail);
}

/* Maps the longest readable window at addr up to MB1_STRING_MAX bytes: a
 * string near the end of memory has less than a full window after it.
 * Readability is monotonic in the length, so a binary search finds it. */
static const char *mb1_map_window(const struct phys_access *pa, paddr_t addr,
                                  size_t *window)
{
    const char *best = pa->map(pa->ctx, addr, MB1_STRING_MAX);
    size_t lo = 0, hi = MB1_STRING_MAX; /* lo readable (or 0), hi not */
    if (best) {
        *window = MB1_STRING_MAX;
        return best;
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = pa->map(pa->ctx, addr, mid);
        if (p) {
            lo = mid;
            best = p;
        } else {
            hi = mid;
        }
    }
    *window = lo;
    return best;
}

/* The string at addr, which field names in messages. */
static int mb1_string(const struct mb1_parse *ps, paddr_t addr, const char *field,
                      const char **out)
{
    size_t window;
    const char *s = mb1_map_window(ps->pa, addr, &window);
    if (!s)
        return mb1_error(ps, HOP_ERR_RANGE, "%s: string at 0x%llx not accessible",
                         field, (unsigned long long)addr);
    if (strnlen(s, window) == window)
        return mb1_error(ps, HOP_ERR_INVALID,
                         "%s: string at 0x%llx has no NUL within %zu readable bytes",
                         field, (unsigned long long)addr, window);
    *out = s;
    return HOP_OK;
}

static int mb1_parse_module(struct mb1_parse *ps, const struct mb1_module *m, size_t i)
{
    char field[64];
    const char *cmdline = "";
    fmt_snprintf(field, sizeof(field), "module %zu (mods_addr 0x%x + 0x%zx)", i,
                 ps->info.mods_addr, i * sizeof(*m));
    if (m->mod_end < m->mod_start)
        return mb1_error(ps, HOP_ERR_INVALID, "%s: mod_end 0x%x below mod_start 0x%x",
                         field, m->mod_end, m->mod_start);
    if (m->string != 0) {
        int rc = mb1_string(ps, m->string, field, &cmdline);
        if (rc != HOP_OK)
            return rc;
    }
    if (bootinfo_module_append(ps->bi, m->mod_start, m->mod_end, cmdline) != HOP_OK)
        return mb1_error(ps, HOP_ERR_LIMIT, "%s: more than %d modules", field,
                         BOOTINFO_MAX_MODULES);
    return HOP_OK;
}

static int mb1_parse_modules(struct mb1_parse *ps)
{
    uint32_t count = ps->info.mods_count;
    if (count > BOOTINFO_MAX_MODULES)
        return mb1_error(ps, HOP_ERR_LIMIT, "mods_count %u: more than %d modules",
                         count, BOOTINFO_MAX_MODULES);
    if (count == 0)
        return HOP_OK;
    size_t bytes = count * sizeof(struct mb1_module); /* count <= 64 */
    const uint8_t *list = ps->pa->map(ps->pa->ctx, ps->info.mods_addr, bytes);
    if (!list)
        return mb1_error(ps, HOP_ERR_RANGE, "mods_addr 0x%x: %zu bytes not accessible",
                         ps->info.mods_addr, bytes);
    for (size_t i = 0; i < count; i++) {
        struct mb1_module m;
        memcpy(&m, list + i * sizeof(m), sizeof(m));
        int rc = mb1_parse_module(ps, &m, i);
        if (rc != HOP_OK)
            return rc;
    }
    return HOP_OK;
}

static int mb1_parse_framebuffer(struct mb1_parse *ps)
{
    const struct mb1_info *in = &ps->info;
    struct framebuffer fb = { .addr = in->framebuffer_addr, .pitch = in->framebuffer_pitch,
                              .width = in->framebuffer_width,
                              .height = in->framebuffer_height,
                              .bpp = in->framebuffer_bpp, .type = in->framebuffer_type };
    switch (in->framebuffer_type) {
    case FB_RGB:
        bootinfo_fb_set_rgb(&fb, in->color_info);
        break;
    case FB_INDEXED: /* the palette lies elsewhere and we do not use it */
    case FB_EGA_TEXT:
        break;
    default:
        return HOP_OK; /* a kind of display we cannot drive: as if absent */
    }
    ps->bi->fb = fb;
    ps->bi->has_fb = true;
    return HOP_OK;
}

/* One entry at off of the map[0, len): returns its size field via *size. */
static int mb1_mmap_entry(struct mb1_parse *ps, const uint8_t *map, size_t len,
                          size_t off, uint32_t *size)
{
    struct mb1_mmap_entry e;
    if (len - off < sizeof(e.size))
        return mb1_error(ps, HOP_ERR_TRUNCATED,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size field "
                         "beyond mmap_length %zu", ps->info.mmap_addr, off, len);
    memcpy(&e.size, map + off, sizeof(e.size));
    if (e.size < MB1_MMAP_ENTRY_BODY_SIZE)
        return mb1_error(ps, HOP_ERR_INVALID,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size %u smaller "
                         "than %zu", ps->info.mmap_addr, off, e.size,
                         MB1_MMAP_ENTRY_BODY_SIZE);
    if (e.size > len - off - sizeof(e.size))
        return mb1_error(ps, HOP_ERR_TRUNCATED,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size %u beyond "
                         "mmap_length %zu", ps->info.mmap_addr, off, e.size, len);
    memcpy(&e, map + off, sizeof(e));
    *size = e.size;
    if (bootinfo_add_region(ps->bi, e.base_addr, bootinfo_region_end(e.base_addr, e.length),
                            bootinfo_mem_type_from_e820(e.type)) != HOP_OK)
        return mb1_error(ps, HOP_ERR_LIMIT,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx makes more than "
                         "%d memory regions", ps->info.mmap_addr, off, BOOTINFO_MAX_REGIONS);
    return HOP_OK;
}

static int mb1_map_from_mmap(struct mb1_parse *ps)
{
    size_t len = ps->info.mmap_length;
    if (len == 0)
        return HOP_OK;
    if (len > BOOTINFO_BLOCK_MAX)
        return mb1_error(ps, HOP_ERR_INVALID, "mmap_length 0x%zx above the 0x%x limit",
                         len, BOOTINFO_BLOCK_MAX);
    const uint8_t *map = ps->pa->map(ps->pa->ctx, ps->info.mmap_addr, len);
    if (!map)
        return mb1_error(ps, HOP_ERR_RANGE, "mmap_addr 0x%x: mmap_length %zu bytes not "
                         "accessible", ps->info.mmap_addr, len);
    for (size_t off = 0; off < len;) {
        uint32_t size = 0;
        int rc = mb1_mmap_entry(ps, map, len, off, &size);
        if (rc != HOP_OK)
            return rc;
        off += sizeof(size) + size; /* <= len: checked in mb1_mmap_entry */
    }
    return HOP_OK;
}

/* The string field of the info structure at offset field_off, if present. */
static int mb1_info_string(struct mb1_parse *ps, size_t field_off, const char *name,
                           const char **out)
{
    char field[48];
    uint32_t addr;
    memcpy(&addr, (const uint8_t *)&ps->info + field_off, sizeof(addr));
    fmt_snprintf(field, sizeof(field), "%s (offset 0x%zx)", name, field_off);
    return mb1_string(ps, addr, field, out);
}

static int mb1_parse_strings(struct mb1_parse *ps)
{
    int rc = HOP_OK;
    if (ps->info.flags & MB1_INFO_CMDLINE)
        rc = mb1_info_string(ps, offsetof(struct mb1_info, cmdline), "cmdline",
                             &ps->bi->cmdline);
    if (rc == HOP_OK && (ps->info.flags & MB1_INFO_LOADER_NAME))
        rc = mb1_info_string(ps, offsetof(struct mb1_info, boot_loader_name),
                             "boot_loader_name", &ps->bi->loader_name);
    return rc;
}

int bootinfo_parse_mb1(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err)
{
    struct mb1_parse ps = { .bi = bi, .pa = pa, .err = err };
    int rc;
    bi->info_addr = addr;
    const void *p = pa->map(pa->ctx, addr, sizeof(ps.info));
    if (!p)
        return mb1_error(&ps, HOP_ERR_RANGE, "%zu bytes not accessible", sizeof(ps.info));
    memcpy(&ps.info, p, sizeof(ps.info));
    bi->proto = BOOT_PROTO_MB1;
    bi->info_size = sizeof(ps.info);

    if (ps.info.flags & MB1_INFO_MEMORY) {
        bi->mem_lower_kib = ps.info.mem_lower;
        bi->mem_upper_kib = ps.info.mem_upper;
        bi->has_meminfo = true;
    }
    if ((rc = mb1_parse_strings(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_MODS) && (rc = mb1_parse_modules(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_FRAMEBUFFER) && (rc = mb1_parse_framebuffer(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_MMAP) && (rc = mb1_map_from_mmap(&ps)) != HOP_OK)
        return rc;
    if (bi->map_count == 0 && bi->has_meminfo)
        return bootinfo_map_from_meminfo(bi);
    return HOP_OK;
}
