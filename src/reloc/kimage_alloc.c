/* Memory kimage takes for itself.
 *
 * Scratch: the planner's working arrays, bump-allocated from blocks that
 * pm's allocator hands out and that are released when the plan ends.  They
 * are dead before anything is loaded, so a destination over scratch memory
 * is still loaded directly (the planner leaves them out of the live set).
 *
 * Plan allocations (placed items, bounce memory, the control area): memory
 * that is usable, not live, no destination and no source; taken top-down
 * like physmem_alloc (kernels load low) and then marked live in pm. */
#include "reloc/kimage_priv.h"
#include "lib/string.h"

static const char kimage_scratch_what[] = "kimage scratch";

void *kimage_map(const struct kimage *k, paddr_t addr, uint64_t len)
{
    paddr_t end;
    if (len > SIZE_MAX || ADD_OVERFLOWS(addr, len, &end))
        return NULL;
    return k->mem.map(k->mem.ctx, addr, (size_t)len);
}

int kimage_map_error(struct hop_error *err, const char *name, const char *which, paddr_t addr,
                     uint64_t len)
{
    paddr_t end;
    const char *why = "the physical-memory accessor refused it";
    if (ADD_OVERFLOWS(addr, len, &end))
        why = "it wraps past 2^64";
    else if (len > SIZE_MAX)
        why = "it is longer than a pointer can span";
    else if (addr == 0)
        why = "the physical-memory accessor refused it (address 0 is NULL to an identity map)";
    return error_set(err, HOP_ERR_RANGE, "%s: %s 0x%llx-0x%llx is not accessible: %s", name,
                     which, (unsigned long long)addr, (unsigned long long)(addr + len), why);
}

int kimage_log_alloc(struct kimage *k, paddr_t start, paddr_t end, const char *what,
                     struct hop_error *err)
{
    if (k->alloc_count == KIMAGE_MAX_ALLOCS)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %d allocations", what,
                         KIMAGE_MAX_ALLOCS);
    k->allocs[k->alloc_count++] = (struct phys_range){ start, end, what };
    return HOP_OK;
}

bool kimage_is_scratch(const struct phys_range *r)
{
    return r->what == kimage_scratch_what;
}

/* A new scratch block of at least bytes (page-rounded); the size hint first,
 * then exactly what is needed when memory is tight. */
static struct kimage_scratch_block *kimage_scratch_block(struct kimage *k, uint64_t bytes,
                                                        struct hop_error *err)
{
    uint64_t need = ALIGN_UP(bytes, PAGE_SIZE), size = MAX(need, k->scratch_hint);
    paddr_t addr;
    if (k->scratch_count == KIMAGE_MAX_SCRATCH) {
        error_set(err, HOP_ERR_LIMIT, "relocation planner: more than %d scratch blocks",
                  KIMAGE_MAX_SCRATCH);
        return NULL;
    }
    int rc = physmem_alloc(k->pm, size, PAGE_SIZE, UINT64_MAX, kimage_scratch_what, &addr, NULL);
    if (rc != HOP_OK && size > need)
        rc = physmem_alloc(k->pm, size = need, PAGE_SIZE, UINT64_MAX, kimage_scratch_what,
                           &addr, NULL);
    if (rc != HOP_OK) {
        error_set(err, rc, "relocation planner: no free 0x%llx bytes of scratch memory",
                  (unsigned long long)need);
        return NULL;
    }
    struct kimage_scratch_block *b = &k->scratch[k->scratch_count];
    *b = (struct kimage_scratch_block){ addr, kimage_map(k, addr, size), size, 0 };
    if (!b->base) {
        physmem_release(k->pm, addr, addr + size);
        error_set(err, HOP_ERR_RANGE, "relocation planner: scratch memory at 0x%llx is not "
                  "accessible", (unsigned long long)addr);
        return NULL;
    }
    if (kimage_log_alloc(k, addr, addr + size, kimage_scratch_what, err)) {
        physmem_release(k->pm, addr, addr + size);
        return NULL;
    }
    k->scratch_count++;
    k->stats.scratch_bytes += size;
    k->scratch_hint = 0; /* later blocks: just what they need */
    return b;
}

void *kimage_scratch_alloc(struct kimage *k, uint64_t bytes, struct hop_error *err)
{
    if (bytes > UINT64_MAX - PAGE_SIZE) {
        error_set(err, HOP_ERR_LIMIT, "relocation planner: 0x%llx bytes of scratch",
                  (unsigned long long)bytes);
        return NULL;
    }
    bytes = ALIGN_UP(MAX(bytes, (uint64_t)1), (uint64_t)RELOC_PACK_ALIGN);
    struct kimage_scratch_block *b = k->scratch_count ? &k->scratch[k->scratch_count - 1] : NULL;
    if (!b || b->size - b->used < bytes)
        b = kimage_scratch_block(k, bytes, err);
    if (!b)
        return NULL;
    void *p = b->base + b->used;
    b->used += bytes;
    return p;
}

void kimage_scratch_release(struct kimage *k)
{
    /* Releasing whole blocks that were allocated whole never splits a live
     * range, so this cannot fail. */
    for (size_t i = 0; i < k->scratch_count; i++)
        physmem_release(k->pm, k->scratch[i].addr, k->scratch[i].addr + k->scratch[i].size);
    k->scratch_count = 0;
}

/* Adds to *hit the span [key, val) that [start, end) overlaps, if any;
 * busy: whether *hit already holds a range (then the two are merged).
 * Returns whether *hit holds one now. */
static bool kimage_span_hit(const struct reloc_pair *spans, size_t n, paddr_t start, paddr_t end,
                            bool busy, struct fit_range *hit)
{
    size_t i;
    if (!reloc_spans_overlap(spans, n, start, end, &i))
        return busy;
    *hit = busy ? (struct fit_range){ MIN(hit->start, spans[i].key), MAX(hit->end, spans[i].val) }
                : (struct fit_range){ spans[i].key, spans[i].val };
    return true;
}

/* A fit_collision_fn (ctx: the plan): whether [start, end) collides with a
 * live range, a destination, a source or a kernel workspace; *hit spans the
 * lowest start and the highest end among those it reports. */
static bool kimage_collides(const void *ctx, paddr_t start, paddr_t end, struct fit_range *hit)
{
    const struct reloc_plan *rp = ctx;
    size_t i;
    bool busy = physmem_live_hit(rp->k->pm, start, end, hit);
    busy = kimage_span_hit(rp->dests, rp->seg_count, start, end, busy, hit);
    busy = kimage_span_hit(rp->touch, rp->touch_count, start, end, busy, hit);
    if (!kimage_reserved_overlap(rp->k, start, end, &i))
        return busy;
    const struct kimage_reserved *r = &rp->k->reserved[i];
    *hit = busy ? (struct fit_range){ MIN(hit->start, r->start), MAX(hit->end, r->end) }
                : (struct fit_range){ r->start, r->end };
    return true;
}

int kimage_alloc_free(struct reloc_plan *rp, uint64_t size, uint64_t align, paddr_t limit,
                      const char *what, paddr_t *out)
{
    struct fit_req req = { PHYSMEM_LOW_LIMIT, limit, size, align, true };
    paddr_t at;
    if (size == 0 || !fit_find_usable(rp->k->bi, &req, kimage_collides, rp, &at))
        return HOP_ERR_NOMEM; /* the caller says what for */
    if (physmem_reserve(rp->k->pm, at, at + size, what) != HOP_OK)
        return error_set(rp->err, HOP_ERR_LIMIT, "%s: more than %d live ranges", what,
                         PHYSMEM_MAX_LIVE);
    *out = at;
    return HOP_OK;
}
