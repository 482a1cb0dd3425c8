/* Bounce memory and the op lists.
 *
 * The trampoline list: the pieces' COPYs in execution order, then the
 * deferred segments' ZEROs (nothing reads a bss, so they can wait until every
 * copy has read its source), then one VERIFY per fixed segment and placed
 * item, then END.  Consecutive COPYs that continue each other in both source
 * and destination become one when that is equivalent (see reloc_join_copy).
 * The load list, run first by kimage_load: the bounce copies.
 *
 * Both lists are built twice by the same code: once to count, once to write
 * into the control area, allocated in between at its exact size. */
#include "reloc/kimage_priv.h"
#include "lib/string.h"

static const char reloc_bounce_what[] = "relocation bounce buffer";
static const char reloc_control_what[] = "relocation control area";

/* One chunk of bounce memory of up to want bytes: the whole request, else
 * halves of it, down to one page. */
static int reloc_bounce_chunk(struct reloc_plan *rp, uint64_t want, uint64_t *got)
{
    struct kimage *k = rp->k;
    for (uint64_t size = ALIGN_UP(want, PAGE_SIZE); size >= PAGE_SIZE;
         size = ALIGN_UP(size / 2, PAGE_SIZE)) {
        paddr_t at;
        int rc = kimage_alloc_free(rp, size, PAGE_SIZE, UINT64_MAX, reloc_bounce_what, &at);
        if (rc == HOP_OK) {
            k->bounce[k->bounce_count++] = (struct phys_range){ at, at + size, reloc_bounce_what };
            *got = size;
            return kimage_log_alloc(k, at, at + size, reloc_bounce_what, rp->err);
        }
        if (rc != HOP_ERR_NOMEM || size == PAGE_SIZE)
            return rc;
    }
    return HOP_ERR_NOMEM;
}

int reloc_alloc_bounce(struct reloc_plan *rp)
{
    uint64_t left = rp->bounce_need, got;
    while (left) {
        int rc = rp->k->bounce_count == KIMAGE_MAX_BOUNCE_CHUNKS
                     ? HOP_ERR_NOMEM : reloc_bounce_chunk(rp, left, &got);
        if (rc == HOP_ERR_NOMEM)
            return error_set(rp->err, rc, "relocation: no free memory for 0x%llx bytes of bounce "
                             "buffers (cycles among %zu bounced pieces)",
                             (unsigned long long)rp->bounce_need, rp->k->stats.bounced_pieces);
        if (rc)
            return rc;
        left -= MIN(left, got);
    }
    return HOP_OK;
}

/* Writes (when ops is not NULL) and counts one op list.  The last op is
 * held back so the next one can still join it. */
struct reloc_list {
    struct reloc_op *ops;
    size_t count;
    struct reloc_op last;
};

static void reloc_flush(struct reloc_list *l)
{
    if (l->last.kind == RELOC_OP_END)
        return;
    if (l->ops)
        l->ops[l->count] = l->last;
    l->count++;
    l->last.kind = RELOC_OP_END;
}

static void reloc_push(struct reloc_list *l, uint64_t kind, paddr_t dst, uint64_t src, uint64_t len)
{
    reloc_flush(l);
    l->last = (struct reloc_op){ kind, dst, src, len };
}

/* memmove(a) then memmove(b) equals one memmove of their union when they
 * continue each other in source and destination and b does not read what
 * a wrote: then every byte is read before it is written either way. */
static bool reloc_join_copy(struct reloc_op *a, paddr_t dst, paddr_t src, uint64_t len)
{
    if (a->kind != RELOC_OP_COPY || reloc_ranges_overlap(src, len, a->dst, a->len))
        return false;
    if (a->dst + a->len == dst && a->src_or_expected + a->len == src) {
        a->len += len;
        return true;
    }
    if (dst + len == a->dst && src + len == a->src_or_expected) {
        a->dst = dst;
        a->src_or_expected = src;
        a->len += len;
        return true;
    }
    return false;
}

static void reloc_copy(struct reloc_list *l, paddr_t dst, paddr_t src, uint64_t len)
{
    if (!reloc_join_copy(&l->last, dst, src, len))
        reloc_push(l, RELOC_OP_COPY, dst, src, len);
}

static void reloc_zero(struct reloc_list *l, paddr_t dst, uint64_t len)
{
    if (l->last.kind == RELOC_OP_ZERO && l->last.dst + l->last.len == dst)
        l->last.len += len;
    else
        reloc_push(l, RELOC_OP_ZERO, dst, 0, len);
}

struct reloc_emitter {
    struct reloc_list tramp, load;
    size_t chunk;      /* bounce cursor: chunk and offset in it */
    uint64_t offset;
};

/* A bounced piece: parts packed into the bounce chunks in execution order;
 * each part is copied there at load time and back by the trampoline. */
static void reloc_emit_bounced(struct reloc_plan *rp, struct reloc_emitter *e,
                               const struct reloc_piece *pc)
{
    const struct phys_range *b = rp->k->bounce;
    for (uint64_t done = 0; done < pc->len;) {
        uint64_t room = b[e->chunk].end - b[e->chunk].start - e->offset;
        if (room == 0) {
            e->chunk++;
            e->offset = 0;
            continue;
        }
        uint64_t part = MIN(room, pc->len - done);
        paddr_t at = b[e->chunk].start + e->offset;
        reloc_copy(&e->load, at, pc->src + done, part);
        reloc_copy(&e->tramp, pc->dst + done, at, part);
        done += part;
        e->offset += part;
    }
    e->offset = MIN(ALIGN_UP(e->offset, (uint64_t)RELOC_PACK_ALIGN),
                    b[e->chunk].end - b[e->chunk].start);
}

static void reloc_emit_verifies(struct reloc_plan *rp, struct reloc_list *l)
{
    struct kimage *k = rp->k;
    for (size_t j = 0; j < rp->seg_count; j++) {
        const struct kimage_fixed *f = &k->fixed[rp->by_dst[j]];
        reloc_push(l, RELOC_OP_VERIFY, f->dst, f->digest, f->memsz);
    }
    for (size_t i = 0; i < k->placed_count; i++) {
        reloc_flush(l);
        k->placed[i].verify_op = l->count;
        reloc_push(l, RELOC_OP_VERIFY, k->placed[i].addr, k->placed[i].digest,
                   k->placed[i].req.size);
    }
    reloc_flush(l);
}

static void reloc_emit_all(struct reloc_plan *rp, struct reloc_emitter *e)
{
    struct kimage *k = rp->k;
    for (size_t i = 0; i < rp->piece_count; i++) {
        const struct reloc_piece *pc = &rp->pieces[rp->queue[i]];
        if (pc->flags & RELOC_PIECE_BOUNCED)
            reloc_emit_bounced(rp, e, pc);
        else
            reloc_copy(&e->tramp, pc->dst, pc->src, pc->len);
    }
    for (size_t j = 0; j < rp->seg_count; j++) {
        const struct kimage_fixed *f = &k->fixed[rp->by_dst[j]];
        if (!(f->flags & KIMAGE_FIXED_DIRECT) && f->memsz > f->filesz)
            reloc_zero(&e->tramp, f->dst + f->filesz, f->memsz - f->filesz);
    }
    reloc_emit_verifies(rp, &e->tramp);
    reloc_flush(&e->load);
}

/* The control area, then the trampoline list, then the load list. */
static int reloc_alloc_control(struct reloc_plan *rp, const struct reloc_emitter *counted)
{
    struct kimage *k = rp->k;
    uint64_t ops_off = ALIGN_UP(k->control_size, (uint64_t)64);
    uint64_t lists = (counted->tramp.count + counted->load.count + 2) * sizeof(struct reloc_op);
    uint64_t size = ALIGN_UP(ops_off + lists, PAGE_SIZE);
    paddr_t at;
    int rc = kimage_alloc_free(rp, size, k->control_align, KIMAGE_CONTROL_LIMIT,
                               reloc_control_what, &at);
    if (rc == HOP_ERR_NOMEM)
        return error_set(rp->err, rc, "relocation: no free 0x%llx bytes below 4 GiB for the "
                         "control area and %zu ops", (unsigned long long)size,
                         counted->tramp.count + counted->load.count);
    if (rc)
        return rc;
    if ((rc = kimage_log_alloc(k, at, at + size, reloc_control_what, rp->err)))
        return rc;
    k->control_addr = at;
    k->ops_addr = at + ops_off;
    k->op_count = counted->tramp.count;
    k->load_ops_addr = k->ops_addr + (counted->tramp.count + 1) * sizeof(struct reloc_op);
    k->load_op_count = counted->load.count;
    k->stats.control_bytes = size;
    return HOP_OK;
}

int reloc_emit_ops(struct reloc_plan *rp)
{
    struct kimage *k = rp->k;
    struct reloc_emitter e;
    memset(&e, 0, sizeof(e));
    reloc_emit_all(rp, &e);
    int rc = reloc_alloc_control(rp, &e);
    if (rc)
        return rc;
    memset(&e, 0, sizeof(e));
    e.tramp.ops = kimage_map(k, k->ops_addr, (k->op_count + 1) * sizeof(struct reloc_op));
    e.load.ops = kimage_map(k, k->load_ops_addr, (k->load_op_count + 1) * sizeof(struct reloc_op));
    if (!e.tramp.ops || !e.load.ops)
        return error_set(rp->err, HOP_ERR_RANGE, "relocation: control area at 0x%llx is not "
                         "accessible", (unsigned long long)k->control_addr);
    reloc_emit_all(rp, &e);
    e.tramp.ops[e.tramp.count] = (struct reloc_op){ RELOC_OP_END, 0, 0, 0 };
    e.load.ops[e.load.count] = (struct reloc_op){ RELOC_OP_END, 0, 0, 0 };
    return HOP_OK;
}
