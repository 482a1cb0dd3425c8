/* kimage_plan: decides for every byte how it reaches its place.
 *
 *   1. sort the fixed destinations, refuse overlaps;
 *   2. the touch set: live memory (but the planner's scratch) and any
 *      source outside it, sorted and merged;
 *   3. a destination that touches nothing in it is loaded directly by
 *      kimage_load; the others are deferred to the trampoline;
 *   4. placed items stay in place or get memory that is no destination, not
 *      live and no source;
 *   5. deferred copies are split, ordered and cycles bounced (reloc_order.c);
 *   6. digests; 7. the op lists and the control area (reloc_emit.c).
 * docs/relocation.md has the reasoning and the invariants. */
#include "reloc/kimage_priv.h"
#include "lib/crc32c.h"
#include "console/progress.h"
#include "lib/string.h"

/* Scratch per fixed segment, about: destination, index, sort buffer, move,
 * its source's sort key and position, 1.5 pieces with successor index,
 * in-degree, queue slot and search frame.  More comes in further blocks. */
#define RELOC_SCRATCH_PER_SEGMENT 160
#define RELOC_SCRATCH_BASE 1024

/* Step 1: rp->by_dst and rp->dests; sort scratch big enough for step 2 too. */
static int reloc_sort_segments(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    size_t n = 0, touch_cap = k->pm->live_count + k->fixed_count + k->placed_count;
    for (size_t i = 0; i < k->fixed_count; i++)
        n += k->fixed[i].memsz != 0;
    rp->dests = kimage_scratch_alloc(k, n * sizeof(struct reloc_pair), rp->err);
    rp->by_dst = kimage_scratch_alloc(k, n * sizeof(uint32_t), rp->err);
    rp->tmp_cap = MAX(n, touch_cap);
    rp->tmp = kimage_scratch_alloc(k, rp->tmp_cap * sizeof(struct reloc_pair), rp->err);
    if (!rp->dests || !rp->by_dst || !rp->tmp)
        return rp->err->code;
    rp->seg_count = n;
    for (size_t i = 0, j = 0; i < k->fixed_count; i++)
        if (k->fixed[i].memsz)
            rp->dests[j++] = (struct reloc_pair){ k->fixed[i].dst, i };
    reloc_sort_pairs(rp->dests, n, rp->tmp);
    for (size_t j = 0; j < n; j++) {
        const struct kimage_fixed *f = &k->fixed[rp->dests[j].val];
        rp->by_dst[j] = (uint32_t)rp->dests[j].val;
        rp->dests[j].val = f->dst + f->memsz;
    }
    return HOP_OK;
}

/* Fixed destinations may not share a byte. */
static int reloc_check_overlaps(const struct reloc_plan *rp)
{
    for (size_t j = 1; j < rp->seg_count; j++) {
        if (rp->dests[j].key >= rp->dests[j - 1].val)
            continue;
        size_t a = rp->by_dst[j - 1], b = rp->by_dst[j];
        const struct kimage_fixed *fa = &rp->k->fixed[a], *fb = &rp->k->fixed[b];
        return error_set(rp->err, HOP_ERR_OVERLAP, "segment %zu (%s) destination 0x%llx-0x%llx "
                         "overlaps segment %zu (%s) destination 0x%llx-0x%llx", a, fa->name,
                         (unsigned long long)fa->dst, (unsigned long long)(fa->dst + fa->memsz),
                         b, fb->name, (unsigned long long)fb->dst,
                         (unsigned long long)(fb->dst + fb->memsz));
    }
    return HOP_OK;
}

/* Sorts and merges spans[0..n) (overlapping or touching) in place. */
static size_t reloc_merge_spans(struct reloc_pair *spans, size_t n, struct reloc_pair *tmp)
{
    size_t out = 0;
    reloc_sort_pairs(spans, n, tmp);
    for (size_t i = 0; i < n; i++) {
        if (out && spans[i].key <= spans[out - 1].val)
            spans[out - 1].val = MAX(spans[out - 1].val, spans[i].val);
        else
            spans[out++] = spans[i];
    }
    return out;
}

/* Step 2: what a direct load must not touch. */
static int reloc_build_touch(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    const struct physmem *pm = k->pm;
    size_t n = 0;
    rp->touch = kimage_scratch_alloc(k, (pm->live_count + k->fixed_count + k->placed_count) *
                                            sizeof(struct reloc_pair), rp->err);
    if (!rp->touch)
        return rp->err->code;
    for (size_t i = 0; i < pm->live_count; i++)
        if (!kimage_is_scratch(&pm->live[i])) /* dead before anything loads */
            rp->touch[n++] = (struct reloc_pair){ pm->live[i].start, pm->live[i].end };
    /* Sources were live when added; one still inside a live range is already
     * covered (the common case: no sorting a million sources again). */
    for (size_t i = 0; i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        if (f->memsz && f->filesz && !kimage_in_live(k, f->src, f->src + f->filesz))
            rp->touch[n++] = (struct reloc_pair){ f->src, f->src + f->filesz };
    }
    for (size_t i = 0; i < k->placed_count; i++) {
        const struct kimage_place_req *r = &k->placed[i].req;
        if (r->filesz && !kimage_in_live(k, r->src, r->src + r->filesz))
            rp->touch[n++] = (struct reloc_pair){ r->src, r->src + r->filesz };
    }
    rp->touch_count = reloc_merge_spans(rp->touch, n, rp->tmp);
    return HOP_OK;
}

/* Step 3, and the deferred copies' destinations in order for step 5. */
static int reloc_choose_direct(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    size_t hit, m = 0;
    rp->moves = kimage_scratch_alloc(k, rp->seg_count * sizeof(struct reloc_pair), rp->err);
    rp->move_seg = kimage_scratch_alloc(k, rp->seg_count * sizeof(uint32_t), rp->err);
    if (!rp->moves || !rp->move_seg)
        return rp->err->code;
    for (size_t j = 0; j < rp->seg_count; j++) {
        struct kimage_fixed *f = &k->fixed[rp->by_dst[j]];
        if (!reloc_spans_overlap(rp->touch, rp->touch_count, f->dst, f->dst + f->memsz, &hit)) {
            f->flags |= KIMAGE_FIXED_DIRECT;
            continue;
        }
        f->flags &= ~KIMAGE_FIXED_DIRECT;
        if (f->filesz) {
            rp->moves[m] = (struct reloc_pair){ f->dst, f->dst + f->filesz };
            rp->move_seg[m++] = rp->by_dst[j];
        }
    }
    rp->move_count = m;
    return HOP_OK;
}

/* A kept item must be exactly its source, aligned, low enough, and out of
 * every fixed destination's and kernel workspace's way. */
static bool reloc_can_stay(const struct reloc_plan *rp, const struct kimage_place_req *r)
{
    size_t hit;
    return (r->flags & KIMAGE_PLACE_KEEP) && r->filesz == r->size && r->src % r->align == 0 &&
           r->src <= r->max_end - r->size &&
           !reloc_spans_overlap(rp->dests, rp->seg_count, r->src, r->src + r->size, &hit) &&
           !kimage_reserved_overlap(rp->k, r->src, r->src + r->size, &hit);
}

/* Step 4. */
static int reloc_place_items(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    for (size_t i = 0; i < k->placed_count; i++) {
        struct kimage_placed *p = &k->placed[i];
        const struct kimage_place_req *r = &p->req;
        p->in_place = reloc_can_stay(rp, r);
        if (p->in_place) {
            p->addr = r->src;
            continue;
        }
        int rc = kimage_alloc_free(rp, r->size, r->align, r->max_end, r->name, &p->addr);
        if (rc == HOP_ERR_NOMEM)
            return error_set(rp->err, rc, "%s: no free 0x%llx bytes aligned 0x%llx below 0x%llx "
                             "outside destinations and live memory", r->name,
                             (unsigned long long)r->size, (unsigned long long)r->align,
                             (unsigned long long)r->max_end);
        if (rc)
            return rc;
    }
    return HOP_OK;
}

/* CRC32C of filesz bytes at src followed by memsz - filesz zeros, in
 * chunks so that the progress bar moves. */
static int reloc_digest_bytes(struct reloc_plan *rp, paddr_t src, uint64_t filesz,
                              uint64_t memsz, const char *name, uint32_t *digest)
{
    uint32_t crc = 0;
    const uint8_t *p = filesz ? kimage_map(rp->k, src, filesz) : NULL;
    if (filesz && !p)
        return kimage_map_error(rp->err, name, "source", src, filesz);
    for (uint64_t off = 0; off < filesz; off += PROGRESS_CHUNK) {
        size_t n = (size_t)MIN(filesz - off, (uint64_t)PROGRESS_CHUNK);
        crc = crc32c_update(crc, p + off, n);
        progress_add(n);
    }
    *digest = crc32c_zeros(crc, memsz - filesz);
    return HOP_OK;
}

/* Step 6: from the sources, while nothing has moved. */
static int reloc_digest_all(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    int rc = HOP_OK;
    uint64_t total = 0;
    for (size_t i = 0; i < k->fixed_count; i++)
        total += k->fixed[i].filesz;
    for (size_t i = 0; i < k->placed_count; i++)
        total += k->placed[i].req.filesz;
    progress_begin("CRC32C of", "kernel and modules", total);
    for (size_t i = 0; rc == HOP_OK && i < k->fixed_count; i++) {
        struct kimage_fixed *f = &k->fixed[i];
        rc = reloc_digest_bytes(rp, f->src, f->filesz, f->memsz, f->name, &f->digest);
    }
    for (size_t i = 0; rc == HOP_OK && i < k->placed_count; i++) {
        struct kimage_placed *p = &k->placed[i];
        rc = reloc_digest_bytes(rp, p->req.src, p->req.filesz, p->req.size, p->req.name,
                                &p->digest);
    }
    progress_end();
    return rc;
}

static void reloc_count_fixed(struct kimage *k, struct kimage_stats *s)
{
    for (size_t i = 0; i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &k->fixed[i];
        if (!f->memsz)
            continue;
        s->fixed_count++;
        s->data_bytes += f->filesz;
        s->zero_bytes += f->memsz - f->filesz;
        if (f->flags & KIMAGE_FIXED_DIRECT) {
            s->direct_count++;
            s->load_copy_bytes += f->filesz;
        } else {
            s->deferred_count++;
            s->trampoline_copy_bytes += f->filesz;
        }
    }
}

static void reloc_count_placed(struct kimage *k, struct kimage_stats *s)
{
    for (size_t i = 0; i < k->placed_count; i++) {
        const struct kimage_placed *p = &k->placed[i];
        s->placed_count++;
        s->data_bytes += p->req.filesz;
        if (p->in_place) {
            s->in_place_count++;
            continue;
        }
        s->load_copy_bytes += p->req.filesz;
        s->zero_bytes += p->req.size - p->req.filesz;
        s->placed_bytes += p->req.size;
    }
}

/* Step 8: the figures docs/relocation.md talks about. */
static void reloc_fill_stats(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    struct kimage_stats *s = &k->stats;
    reloc_count_fixed(k, s);
    reloc_count_placed(k, s);
    s->piece_count = rp->piece_count;
    s->op_count = k->op_count;
    s->load_op_count = k->load_op_count;
    for (size_t i = 0; i < k->bounce_count; i++)
        s->bounce_pages += (k->bounce[i].end - k->bounce[i].start) / PAGE_SIZE;
    uint64_t copies = s->load_copy_bytes + s->trampoline_copy_bytes + s->bounce_bytes;
    s->copy_permille = s->data_bytes ? (uint32_t)(copies * 1000 / s->data_bytes) : 0;
    s->extra_bytes = s->control_bytes + s->bounce_pages * PAGE_SIZE + s->placed_bytes;
}

static int reloc_plan_steps(struct reloc_plan *rp)
{
    int rc = reloc_sort_segments(rp);
    rc = rc ? rc : reloc_check_overlaps(rp);
    rc = rc ? rc : reloc_build_touch(rp);
    rc = rc ? rc : reloc_choose_direct(rp);
    rc = rc ? rc : reloc_place_items(rp);
    rc = rc ? rc : reloc_build_pieces(rp);
    rc = rc ? rc : reloc_order_moves(rp);
    rc = rc ? rc : reloc_alloc_bounce(rp);
    rc = rc ? rc : reloc_digest_all(rp);
    rc = rc ? rc : reloc_emit_ops(rp);
    return rc;
}

int kimage_plan(struct kimage *k, struct hop_error *err)
{
    struct hop_error local;
    struct reloc_plan rp = { .k = k, .err = err ? err : &local };
    if (k->state != KIMAGE_ADDING)
        return error_set(err, HOP_ERR_INVALID, "kimage_plan: the image is already planned");
    k->state = KIMAGE_FAILED; /* until the plan is complete */
    memset(&k->stats, 0, sizeof(k->stats));
    k->scratch_hint = ALIGN_UP(RELOC_SCRATCH_BASE + (uint64_t)k->fixed_count *
                               RELOC_SCRATCH_PER_SEGMENT, PAGE_SIZE);
    int rc = reloc_plan_steps(&rp);
    kimage_scratch_release(k);
    if (rc != HOP_OK)
        return rc;
    reloc_fill_stats(&rp);
    k->state = KIMAGE_PLANNED;
    return HOP_OK;
}
