/* The kimage: what goes where, checked as it is added, and the load-time
 * half of the plan (kimage_plan is in plan.c). */
#include "reloc/kimage_priv.h"
#include "console/progress.h"
#include "lib/string.h"

static const char kimage_table_what[] = "kimage segment table";

void kimage_init(struct kimage *k, const struct bootinfo *bi, struct physmem *pm,
                 const struct phys_rw *mem)
{
    memset(k, 0, sizeof(*k));
    k->bi = bi;
    k->pm = pm;
    k->mem = *mem;
    k->state = KIMAGE_ADDING;
    k->fixed = k->fixed_inline;
    k->fixed_cap = KIMAGE_INLINE_FIXED;
    k->control_align = PAGE_SIZE;
}

static int kimage_check_adding(const struct kimage *k, const char *what, struct hop_error *err)
{
    if (k->state != KIMAGE_ADDING)
        return error_set(err, HOP_ERR_INVALID, "%s: the image is already planned", what);
    return HOP_OK;
}

/* First map entry whose end lies above addr (the map is sorted). */
static size_t kimage_region_at(const struct bootinfo *bi, paddr_t addr)
{
    size_t lo = 0, hi = bi->map_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bi->map[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The first byte of [start, end) outside usable RAM and the type there (0:
 * not in the map at all); false when the whole range is usable. */
static bool kimage_find_unusable(const struct bootinfo *bi, paddr_t start, paddr_t end,
                                 paddr_t *at, uint32_t *type)
{
    paddr_t pos = start;
    for (size_t i = kimage_region_at(bi, pos); i < bi->map_count && pos < end; i++) {
        const struct mem_region *r = &bi->map[i];
        if (r->start > pos || r->type != MEM_USABLE) {
            *type = r->start > pos ? 0 : r->type;
            *at = pos;
            return true;
        }
        pos = r->end;
    }
    *type = 0;
    *at = pos;
    return pos < end;
}

/* The live range holding addr, trying the one that held the last source
 * first (sources mostly sit in one RAM disk). */
static const struct phys_range *kimage_live_at(struct kimage *k, paddr_t addr)
{
    const struct physmem *pm = k->pm;
    if (k->live_hint < pm->live_count && pm->live[k->live_hint].start <= addr &&
        addr < pm->live[k->live_hint].end)
        return &pm->live[k->live_hint];
    for (size_t i = 0; i < pm->live_count; i++)
        if (pm->live[i].start <= addr && addr < pm->live[i].end) {
            k->live_hint = i;
            return &pm->live[i];
        }
    return NULL;
}

bool kimage_in_live(struct kimage *k, paddr_t start, paddr_t end)
{
    const struct phys_range *r = kimage_live_at(k, start);
    return r && !kimage_is_scratch(r) && end <= r->end;
}

/* Sources must be live so that no allocation lands on them before they are
 * read; returns the first byte of [start, end) that is not, or end. */
static paddr_t kimage_first_dead_byte(struct kimage *k, paddr_t start, paddr_t end)
{
    paddr_t pos = start;
    const struct phys_range *r;
    while (pos < end && (r = kimage_live_at(k, pos)))
        pos = r->end;
    return MIN(pos, end);
}

/* Moves the table to allocator memory twice the size. */
static int kimage_grow_fixed(struct kimage *k, struct hop_error *err)
{
    size_t cap = k->fixed_cap * 2;
    uint64_t bytes;
    paddr_t addr;
    if (MUL_OVERFLOWS((uint64_t)cap, (uint64_t)sizeof(struct kimage_fixed), &bytes) ||
        cap >= RELOC_NONE)
        return error_set(err, HOP_ERR_LIMIT, "too many fixed segments");
    int rc = physmem_alloc(k->pm, bytes, PAGE_SIZE, UINT64_MAX, kimage_table_what, &addr, err);
    if (rc != HOP_OK)
        return rc;
    struct kimage_fixed *table = kimage_map(k, addr, bytes);
    if (!table)
        rc = error_set(err, HOP_ERR_RANGE, "segment table at 0x%llx is not accessible",
                       (unsigned long long)addr);
    rc = rc ? rc : kimage_log_alloc(k, addr, addr + bytes, kimage_table_what, err);
    if (rc != HOP_OK) {
        physmem_release(k->pm, addr, addr + bytes);
        return rc;
    }
    memcpy(table, k->fixed, k->fixed_count * sizeof(*table));
    if (k->fixed_table)
        physmem_release(k->pm, k->fixed_table, k->fixed_table + k->fixed_cap * sizeof(*table));
    k->fixed = table;
    k->fixed_table = addr;
    k->fixed_cap = cap;
    return HOP_OK;
}

/* Where the destination must lie and where the source must be. */
static int kimage_check_fixed(struct kimage *k, const struct kimage_fixed *f, size_t index,
                              struct hop_error *err)
{
    paddr_t dst_end, src_end, at;
    uint32_t type;
    if (f->memsz < f->filesz)
        return error_set(err, HOP_ERR_INVALID, "segment %zu (%s): file size 0x%llx above memory "
                         "size 0x%llx", index, f->name, (unsigned long long)f->filesz,
                         (unsigned long long)f->memsz);
    if (ADD_OVERFLOWS(f->dst, f->memsz, &dst_end) || ADD_OVERFLOWS(f->src, f->filesz, &src_end))
        return error_set(err, HOP_ERR_RANGE, "segment %zu (%s): address overflow", index, f->name);
    if (f->memsz && kimage_find_unusable(k->bi, f->dst, dst_end, &at, &type))
        return error_set(err, HOP_ERR_RANGE, "segment %zu (%s): destination 0x%llx-0x%llx is not "
                         "usable RAM (%s at 0x%llx)", index, f->name, (unsigned long long)f->dst,
                         (unsigned long long)dst_end, type ? mem_type_name(type) : "no memory",
                         (unsigned long long)at);
    if (f->memsz && f->filesz && (at = kimage_first_dead_byte(k, f->src, src_end)) < src_end)
        return error_set(err, HOP_ERR_INVALID, "segment %zu (%s): source 0x%llx-0x%llx is not "
                         "in live memory (0x%llx is free)", index, f->name,
                         (unsigned long long)f->src, (unsigned long long)src_end,
                         (unsigned long long)at);
    return HOP_OK;
}

int kimage_add_fixed(struct kimage *k, paddr_t dst, paddr_t src, uint64_t filesz,
                     uint64_t memsz, const char *name, struct hop_error *err)
{
    struct kimage_fixed f = { dst, src, filesz, memsz, name ? name : "?", 0, 0 };
    int rc = kimage_check_adding(k, f.name, err);
    rc = rc ? rc : kimage_check_fixed(k, &f, k->fixed_count, err);
    if (rc == HOP_OK && k->fixed_count == k->fixed_cap)
        rc = kimage_grow_fixed(k, err);
    if (rc == HOP_OK)
        k->fixed[k->fixed_count++] = f;
    return rc;
}

int kimage_add_reserved(struct kimage *k, paddr_t start, paddr_t end, const char *name,
                        struct hop_error *err)
{
    paddr_t at;
    uint32_t type;
    size_t i;
    name = name ? name : "?";
    int rc = kimage_check_adding(k, name, err);
    if (rc)
        return rc;
    if (start >= end)
        return error_set(err, HOP_ERR_INVALID, "%s: empty workspace 0x%llx-0x%llx", name,
                         (unsigned long long)start, (unsigned long long)end);
    if (kimage_find_unusable(k->bi, start, end, &at, &type))
        return error_set(err, HOP_ERR_RANGE, "%s: workspace 0x%llx-0x%llx is not usable RAM "
                         "(%s at 0x%llx)", name, (unsigned long long)start,
                         (unsigned long long)end, type ? mem_type_name(type) : "no memory",
                         (unsigned long long)at);
    if (kimage_reserved_overlap(k, start, end, &i))
        return error_set(err, HOP_ERR_OVERLAP, "%s: workspace 0x%llx-0x%llx overlaps %s's",
                         name, (unsigned long long)start, (unsigned long long)end,
                         k->reserved[i].name);
    if (k->reserved_count == KIMAGE_MAX_RESERVED)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %d workspaces", name,
                         KIMAGE_MAX_RESERVED);
    for (i = k->reserved_count; i > 0 && k->reserved[i - 1].start > start; i--)
        k->reserved[i] = k->reserved[i - 1];
    k->reserved[i] = (struct kimage_reserved){ start, end, name };
    k->reserved_count++;
    return HOP_OK;
}

int kimage_add_placed(struct kimage *k, const struct kimage_place_req *req, size_t *index,
                      struct hop_error *err)
{
    struct kimage_place_req r = *req;
    paddr_t src_end, at;
    r.name = r.name ? r.name : "?";
    r.align = r.align ? r.align : 1;
    r.max_end = r.max_end ? r.max_end : UINT64_MAX;
    int rc = kimage_check_adding(k, r.name, err);
    if (rc)
        return rc;
    if (k->placed_count == KIMAGE_MAX_PLACED)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %d placed items", r.name,
                         KIMAGE_MAX_PLACED);
    if (r.size == 0 || (r.align & (r.align - 1)) || r.filesz > r.size || r.size > r.max_end)
        return error_set(err, HOP_ERR_INVALID, "%s: bad placement (size 0x%llx, align 0x%llx, "
                         "file size 0x%llx, end limit 0x%llx)", r.name, (unsigned long long)r.size,
                         (unsigned long long)r.align, (unsigned long long)r.filesz,
                         (unsigned long long)r.max_end);
    if (ADD_OVERFLOWS(r.src, r.filesz, &src_end))
        return error_set(err, HOP_ERR_RANGE, "%s: source address overflow", r.name);
    if (r.filesz && (at = kimage_first_dead_byte(k, r.src, src_end)) < src_end)
        return error_set(err, HOP_ERR_INVALID, "%s: source 0x%llx-0x%llx is not in live memory "
                         "(0x%llx is free)", r.name, (unsigned long long)r.src,
                         (unsigned long long)src_end, (unsigned long long)at);
    if (index)
        *index = k->placed_count;
    k->placed[k->placed_count++] = (struct kimage_placed){ .req = r };
    return HOP_OK;
}

int kimage_set_control(struct kimage *k, uint64_t size, uint64_t align, struct hop_error *err)
{
    int rc = kimage_check_adding(k, "control area", err);
    if (rc)
        return rc;
    if ((align & (align - 1)) || size > KIMAGE_CONTROL_LIMIT)
        return error_set(err, HOP_ERR_INVALID, "control area: bad size 0x%llx or alignment 0x%llx",
                         (unsigned long long)size, (unsigned long long)align);
    k->control_size = size;
    k->control_align = MAX(align, (uint64_t)PAGE_SIZE);
    return HOP_OK;
}

struct reloc_op *kimage_ops(const struct kimage *k)
{
    if (k->state != KIMAGE_PLANNED && k->state != KIMAGE_LOADED)
        return NULL;
    return kimage_map(k, k->ops_addr, (k->op_count + 1) * sizeof(struct reloc_op));
}

/* filesz bytes from src then zeros up to memsz, at dst; in chunks for the
 * progress bar, unless source and destination overlap (then one memmove). */
static int kimage_put(const struct kimage *k, paddr_t dst, paddr_t src, uint64_t filesz,
                      uint64_t memsz, const char *name, struct hop_error *err)
{
    uint8_t *d = memsz ? kimage_map(k, dst, memsz) : NULL;
    const uint8_t *s = filesz ? kimage_map(k, src, filesz) : NULL;
    if (memsz && !d)
        return kimage_map_error(err, name, "destination", dst, memsz);
    if (filesz && !s)
        return kimage_map_error(err, name, "source", src, filesz);
    uint64_t chunk = reloc_ranges_overlap(dst, filesz, src, filesz) ? filesz : PROGRESS_CHUNK;
    for (uint64_t off = 0; off < filesz; off += chunk) {
        size_t n = (size_t)MIN(filesz - off, chunk);
        memmove(d + off, s + off, n);
        progress_add(n);
    }
    for (uint64_t off = filesz; off < memsz; off += PROGRESS_CHUNK) {
        size_t n = (size_t)MIN(memsz - off, (uint64_t)PROGRESS_CHUNK);
        memset(d + off, 0, n);
        progress_add(n);
    }
    return HOP_OK;
}

/* Bytes kimage_load writes: bounce copies, placed copies, direct loads. */
static uint64_t kimage_load_bytes(const struct kimage *k)
{
    uint64_t total = k->stats.bounce_bytes;
    for (size_t i = 0; i < k->placed_count; i++)
        total += k->placed[i].in_place ? 0 : k->placed[i].req.size;
    for (size_t i = 0; i < k->fixed_count; i++)
        total += k->fixed[i].flags & KIMAGE_FIXED_DIRECT ? k->fixed[i].memsz : 0;
    return total;
}

/* Bounce copies first (they read sources the others never write), then the
 * placed copies, then the direct loads; none writes what another reads. */
int kimage_load(struct kimage *k, struct hop_error *err)
{
    size_t bad = 0;
    int rc = HOP_OK;
    if (k->state != KIMAGE_PLANNED)
        return error_set(err, HOP_ERR_INVALID, "kimage_load: the image is not planned");
    const struct reloc_op *load = kimage_map(k, k->load_ops_addr,
                                             (k->load_op_count + 1) * sizeof(struct reloc_op));
    progress_begin("loading", "kernel and modules", kimage_load_bytes(k));
    if (!load || (rc = reloc_run_ops(load, &k->mem, &bad))) {
        progress_end();
        return error_set(err, rc ? rc : HOP_ERR_RANGE, "bounce copy %zu failed", bad);
    }
    progress_add(k->stats.bounce_bytes);
    for (size_t i = 0; rc == HOP_OK && i < k->placed_count; i++) {
        const struct kimage_placed *p = &k->placed[i];
        if (!p->in_place)
            rc = kimage_put(k, p->addr, p->req.src, p->req.filesz, p->req.size, p->req.name, err);
    }
    for (size_t i = 0; rc == HOP_OK && i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        if (f->flags & KIMAGE_FIXED_DIRECT)
            rc = kimage_put(k, f->dst, f->src, f->filesz, f->memsz, f->name, err);
    }
    progress_end();
    k->state = rc == HOP_OK ? KIMAGE_LOADED : KIMAGE_FAILED;
    return rc;
}

int kimage_placed_seal(struct kimage *k, size_t index, struct hop_error *err)
{
    struct reloc_op *ops = kimage_ops(k);
    if (k->state != KIMAGE_LOADED || index >= k->placed_count || !ops)
        return error_set(err, HOP_ERR_INVALID, "sealing placed item %zu: not loaded or no such "
                         "item", index);
    struct kimage_placed *p = &k->placed[index];
    if (!reloc_digest(&k->mem, p->addr, p->req.size, &p->digest))
        return error_set(err, HOP_ERR_RANGE, "%s: 0x%llx is not accessible", p->req.name,
                         (unsigned long long)p->addr);
    ops[p->verify_op].src_or_expected = p->digest;
    return HOP_OK;
}
