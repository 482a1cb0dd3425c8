/* What the four info builders share: input checks, the buffer cursor, the
 * memory map handed on, and a few facts derived from the boot information. */
#include "protos/handoff.h"

#include "lib/string.h"

/* ==========================================================================
 * Input checks
 * ========================================================================== */

static int check_modules(const struct handoff_input *in, const char *proto,
                         struct hop_error *err)
{
    if (in->module_count && !in->modules)
        return error_set(err, HOP_ERR_INVALID, "%s: %zu modules but no module list",
                         proto, in->module_count);
    for (size_t i = 0; i < in->module_count; i++) {
        const struct handoff_module *m = &in->modules[i];
        if (m->end < m->start)
            return error_set(err, HOP_ERR_INVALID,
                             "%s: module %zu: end 0x%llx below start 0x%llx", proto, i,
                             (unsigned long long)m->end, (unsigned long long)m->start);
        if (!m->cmdline)
            return error_set(err, HOP_ERR_INVALID, "%s: module %zu: no command line",
                             proto, i);
    }
    if (in->has_initrd && in->initrd_index >= in->module_count)
        return error_set(err, HOP_ERR_INVALID, "%s: initrd is module %zu of %zu", proto,
                         in->initrd_index, in->module_count);
    return HOP_OK;
}

static int check_reserved(const struct handoff_input *in, const char *proto,
                          struct hop_error *err)
{
    if (in->reserved_count && !in->reserved)
        return error_set(err, HOP_ERR_INVALID, "%s: %zu reserved ranges but no list",
                         proto, in->reserved_count);
    for (size_t i = 0; i < in->reserved_count; i++)
        if (in->reserved[i].end < in->reserved[i].start)
            return error_set(err, HOP_ERR_INVALID,
                             "%s: reserved range %zu (%s): end 0x%llx below start 0x%llx",
                             proto, i, in->reserved[i].what ? in->reserved[i].what : "?",
                             (unsigned long long)in->reserved[i].end,
                             (unsigned long long)in->reserved[i].start);
    return HOP_OK;
}

int handoff_check_input(const struct handoff_input *in, const char *proto,
                        struct hop_error *err)
{
    if (!in || !in->bi || !in->cmdline || !in->loader_name)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: input without boot info, command line or loader name", proto);
    int rc = check_modules(in, proto, err);
    return rc != HOP_OK ? rc : check_reserved(in, proto, err);
}

int handoff_check_buf(paddr_t buf_paddr, paddr_t limit, const char *proto,
                      struct hop_error *err)
{
    if (buf_paddr % HANDOFF_BUF_ALIGN)
        return error_set(err, HOP_ERR_INVALID, "%s: buffer at 0x%llx not %u-byte aligned",
                         proto, (unsigned long long)buf_paddr, HANDOFF_BUF_ALIGN);
    if (buf_paddr >= limit)
        return error_set(err, HOP_ERR_RANGE, "%s: buffer at 0x%llx not below 0x%llx",
                         proto, (unsigned long long)buf_paddr, (unsigned long long)limit);
    return HOP_OK;
}

/* ==========================================================================
 * The buffer cursor
 * ========================================================================== */

void hbuf_init(struct handoff_buf *b, void *buf, size_t cap, paddr_t paddr)
{
    *b = (struct handoff_buf){ .buf = buf, .cap = buf ? cap : 0, .paddr = paddr };
}

static bool hbuf_fits(const struct handoff_buf *b, size_t off, size_t len)
{
    return b->buf && off <= b->cap && len <= b->cap - off;
}

size_t hbuf_alloc(struct handoff_buf *b, size_t size, size_t align)
{
    size_t start, end;
    if (b->overflow || ADD_OVERFLOWS(b->used, align - 1, &start) ||
        ADD_OVERFLOWS(start & ~(align - 1), size, &end)) {
        b->overflow = true;
        return 0;
    }
    start &= ~(align - 1);
    /* Zero the padding too: every byte of the block is then defined. */
    if (hbuf_fits(b, b->used, end - b->used))
        memset(b->buf + b->used, 0, end - b->used);
    b->used = end;
    return start;
}

size_t hbuf_alloc_array(struct handoff_buf *b, size_t count, size_t elem_size,
                        size_t align)
{
    size_t size;
    if (MUL_OVERFLOWS(count, elem_size, &size)) {
        b->overflow = true;
        return 0;
    }
    return hbuf_alloc(b, size, align);
}

void hbuf_write(struct handoff_buf *b, size_t off, const void *src, size_t len)
{
    if (!b->overflow && hbuf_fits(b, off, len))
        memcpy(b->buf + off, src, len);
}

size_t hbuf_string(struct handoff_buf *b, const char *s)
{
    size_t len = strlen(s) + 1;
    size_t off = hbuf_alloc(b, len, 1);
    hbuf_write(b, off, s, len);
    return off;
}

int hbuf_finish(const struct handoff_buf *b, const char *proto, paddr_t limit,
                size_t *used, struct hop_error *err)
{
    paddr_t end;
    *used = b->overflow ? SIZE_MAX : b->used;
    if (b->overflow)
        return error_set(err, HOP_ERR_NOMEM, "%s: size overflows", proto);
    if (ADD_OVERFLOWS(b->paddr, (paddr_t)b->used, &end) || end > limit)
        return error_set(err, HOP_ERR_RANGE,
                         "%s: 0x%zx bytes at 0x%llx pass 0x%llx, the highest address "
                         "the kernel can be given", proto, b->used,
                         (unsigned long long)b->paddr, (unsigned long long)limit);
    if (b->used > b->cap)
        return error_set(err, HOP_ERR_NOMEM, "%s: needs 0x%zx bytes, the buffer holds 0x%zx",
                         proto, b->used, b->cap);
    return HOP_OK;
}

/* ==========================================================================
 * The memory map handed on
 * ========================================================================== */

/* Only map[] and map_count are used: the map routines (src/mm/memmap.h) work on
 * a struct bootinfo.  Static: 8 KiB would crowd hop's 32 KiB stack. */
static struct bootinfo map_work;

static struct handoff_range pages_around(paddr_t start, paddr_t end)
{
    struct handoff_range r = { ALIGN_DOWN(start, (paddr_t)PAGE_SIZE), UINT64_MAX };
    if (end <= UINT64_MAX - (PAGE_SIZE - 1))
        r.end = ALIGN_UP(end, (paddr_t)PAGE_SIZE);
    return r;
}

/* Exempt range i of the marking: the exempt modules, then own unless it is
 * marked.  False past the last. */
static bool exempt_at(const struct handoff_marking *mk, size_t i, struct handoff_range *r)
{
    if (i < mk->exempt_count) {
        const struct handoff_module *m = &mk->exempt[i];
        *r = m->start < m->end ? pages_around(m->start, m->end)
                               : (struct handoff_range){ 0, 0 };
        return true;
    }
    if (i == mk->exempt_count && !mk->mark_own) {
        *r = pages_around(mk->own.start, mk->own.end);
        return true;
    }
    return false;
}

/* The lowest-starting exempt range overlapping [start, end), if any. */
static bool exempt_first(const struct handoff_marking *mk, paddr_t start, paddr_t end,
                         struct handoff_range *out)
{
    struct handoff_range r;
    bool found = false;
    for (size_t i = 0; exempt_at(mk, i, &r); i++) {
        if (r.start >= r.end || r.end <= start || r.start >= end)
            continue;
        if (!found || r.start < out->start)
            *out = r;
        found = true;
    }
    return found;
}

/* Makes the usable parts of [start, end) reserved.  The map is rebuilt by
 * each change, so the search starts over each time. */
static int mark_usable(paddr_t start, paddr_t end)
{
    paddr_t at = start;
    while (at < end) {
        const struct mem_region *hit = NULL;
        for (size_t i = 0; i < map_work.map_count && !hit; i++) {
            const struct mem_region *r = &map_work.map[i];
            if (r->type == MEM_USABLE && r->end > at && r->start < end)
                hit = r;
        }
        if (!hit)
            return HOP_OK;
        paddr_t from = MAX(hit->start, at), to = MIN(hit->end, end);
        if (bootinfo_add_region(&map_work, from, to, MEM_RESERVED) != HOP_OK)
            return HOP_ERR_LIMIT;
        at = to;
    }
    return HOP_OK;
}

/* Marks [start, end) rounded out to pages, minus the exempt ranges. */
static int mark_range(const struct handoff_marking *mk, paddr_t start, paddr_t end,
                      const char *what, struct hop_error *err)
{
    if (start >= end)
        return HOP_OK;
    struct handoff_range want = pages_around(start, end), ex = { 0, 0 };
    paddr_t at = want.start;
    while (at < want.end) {
        bool exempt = exempt_first(mk, at, want.end, &ex);
        paddr_t stop = exempt ? MAX(ex.start, at) : want.end;
        if (stop > at && mark_usable(at, stop) != HOP_OK)
            return error_set(err, HOP_ERR_LIMIT,
                             "memory map for the kernel: marking 0x%llx-0x%llx (%s) makes "
                             "more than %d entries", (unsigned long long)start,
                             (unsigned long long)end, what, BOOTINFO_MAX_REGIONS);
        at = exempt ? ex.end : want.end; /* ex overlaps [at, ...): ex.end > at */
    }
    return HOP_OK;
}

int handoff_map_build(const struct handoff_input *in, const struct handoff_marking *mk,
                      struct handoff_map *out, struct hop_error *err)
{
    size_t n = MIN(in->bi->map_count, (size_t)BOOTINFO_MAX_REGIONS);
    memcpy(map_work.map, in->bi->map, n * sizeof(map_work.map[0]));
    map_work.map_count = n;
    if (bootinfo_normalize_map(&map_work) != HOP_OK)
        return error_set(err, HOP_ERR_LIMIT, "memory map for the kernel: hop's map does "
                         "not normalize into %d entries", BOOTINFO_MAX_REGIONS);
    for (size_t i = 0; i < in->reserved_count; i++) {
        const struct phys_range *r = &in->reserved[i];
        int rc = mark_range(mk, r->start, r->end, r->what ? r->what : "reserved", err);
        if (rc != HOP_OK)
            return rc;
    }
    if (mk->mark_own) {
        int rc = mark_range(mk, mk->own.start, mk->own.end, "boot information", err);
        if (rc != HOP_OK)
            return rc;
    }
    out->entries = map_work.map;
    out->count = map_work.map_count;
    return HOP_OK;
}

/* Normalizing n entries gives at most 2n-1; each marked or exempt range
 * then adds at most two boundaries, each splitting one entry. */
size_t handoff_map_max_entries(const struct handoff_input *in, size_t exempt_count)
{
    size_t n = MIN(in->bi->map_count, (size_t)BOOTINFO_MAX_REGIONS);
    size_t ranges = in->reserved_count + exempt_count + 1; /* + own */
    if (ranges >= BOOTINFO_MAX_REGIONS)
        return BOOTINFO_MAX_REGIONS;
    return MIN(2 * n + 2 * ranges, (size_t)BOOTINFO_MAX_REGIONS);
}

struct handoff_range handoff_own_range(paddr_t buf_paddr, size_t bound)
{
    struct handoff_range r = { buf_paddr, UINT64_MAX };
    paddr_t end;
    if (!ADD_OVERFLOWS(buf_paddr, (paddr_t)bound, &end))
        r.end = end;
    return r;
}

/* ==========================================================================
 * The generic path every builder goes through
 * ========================================================================== */

static struct handoff_marking builder_marking(const struct handoff_builder *p,
                                              const struct handoff_input *in)
{
    struct handoff_marking mk = { .mark_own = true };
    if (p->marking)
        p->marking(in, &mk);
    return mk;
}

size_t handoff_info_size(const struct handoff_builder *p, const struct handoff_input *in)
{
    if (handoff_check_input(in, p->name, NULL) != HOP_OK)
        return 0;
    struct handoff_marking mk = builder_marking(p, in);
    struct handoff_map map = { NULL, handoff_map_max_entries(in, mk.exempt_count) };
    struct handoff_buf b;
    hbuf_init(&b, NULL, 0, 0);
    p->lay_out(&b, in, &map);
    return b.overflow ? SIZE_MAX : b.used;
}

int handoff_build_info(const struct handoff_builder *p, const struct handoff_input *in,
                       void *buf, size_t cap, paddr_t buf_paddr, size_t *used,
                       struct hop_error *err)
{
    struct handoff_buf b;
    struct handoff_map map;
    int rc;
    *used = 0;
    if ((rc = handoff_check_input(in, p->name, err)) != HOP_OK ||
        (p->check && (rc = p->check(in, err)) != HOP_OK) ||
        (rc = handoff_check_buf(buf_paddr, p->limit, p->name, err)) != HOP_OK)
        return rc;
    struct handoff_marking mk = builder_marking(p, in);
    mk.own = handoff_own_range(buf_paddr, handoff_info_size(p, in));
    if ((rc = handoff_map_build(in, &mk, &map, err)) != HOP_OK)
        return rc;
    hbuf_init(&b, buf, cap, buf_paddr);
    p->lay_out(&b, in, &map);
    return hbuf_finish(&b, p->name, p->limit, used, err);
}

/* ==========================================================================
 * Facts derived from the boot information
 * ========================================================================== */

#define KIB 1024u
#define LOWER_MEMORY_MAX_KIB 640u        /* then the VGA hole and the BIOS */
#define UPPER_MEMORY_START 0x100000u     /* 1 MiB */

/* The end of the usable RAM contiguous from start (start when none). */
static paddr_t usable_run_end(const struct bootinfo *bi, paddr_t start)
{
    paddr_t at = start;
    bool grew = true;
    while (grew) { /* the map need not be merged: follow touching entries */
        grew = false;
        for (size_t i = 0; i < bi->map_count && i < BOOTINFO_MAX_REGIONS; i++) {
            const struct mem_region *r = &bi->map[i];
            if (r->type == MEM_USABLE && r->start <= at && at < r->end) {
                at = r->end;
                grew = true;
            }
        }
    }
    return at;
}

void handoff_meminfo(const struct bootinfo *bi, uint32_t *lower_kib, uint32_t *upper_kib)
{
    uint64_t lower = usable_run_end(bi, 0) / KIB;
    uint64_t upper = (usable_run_end(bi, UPPER_MEMORY_START) - UPPER_MEMORY_START) / KIB;
    *lower_kib = (uint32_t)MIN(lower, (uint64_t)LOWER_MEMORY_MAX_KIB);
    *upper_kib = (uint32_t)MIN(upper, (uint64_t)UINT32_MAX);
}

const struct framebuffer *handoff_framebuffer(const struct bootinfo *bi)
{
    if (!bi->has_fb)
        return NULL;
    switch (bi->fb.type) {
    case FB_INDEXED:
    case FB_RGB:
    case FB_EGA_TEXT:
        return &bi->fb;
    default:
        return NULL;
    }
}

bool handoff_booted_from_efi(const struct bootinfo *bi)
{
    return bi->efi_system_table64 != 0 || bi->efi_system_table32 != 0;
}

bool handoff_rsdp_copy(const struct bootinfo *bi, const void **data, size_t *len)
{
    if (bi->rsdp_v2 && bi->rsdp_v2_len >= ACPI_RSDP_V2_LEN) {
        *data = bi->rsdp_v2;
        *len = ACPI_RSDP_V2_LEN;
        return true;
    }
    if (bi->rsdp_v1 && bi->rsdp_v1_len >= ACPI_RSDP_V1_LEN) {
        *data = bi->rsdp_v1;
        *len = ACPI_RSDP_V1_LEN;
        return true;
    }
    return false;
}

/* The real RSDP when hop knows where it is, else a copy of the one it was
 * given, placed in the block (an RSDP is valid anywhere; the tables it
 * points at do not move).  0 when there is neither. */
paddr_t handoff_put_rsdp(struct handoff_buf *b, const struct handoff_input *in)
{
    const void *copy;
    size_t len;
    if (in->rsdp_addr)
        return in->rsdp_addr;
    if (!handoff_rsdp_copy(in->bi, &copy, &len))
        return 0;
    size_t off = hbuf_alloc(b, len, ACPI_RSDP_ALIGN);
    hbuf_write(b, off, copy, len);
    return hbuf_paddr(b, off);
}
