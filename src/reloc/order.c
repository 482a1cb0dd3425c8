/* Ordering the deferred copies.
 *
 * A deferred segment's copy {dst, src, filesz} is cut at the boundaries of
 * the OTHER deferred copies' destinations that fall inside its source, so
 * each piece reads from at most one other copy's destination (a copy reading
 * its own destination stays whole: memmove handles that).  Pieces keep the
 * destination order and their destinations are disjoint, so the pieces
 * writing where piece p reads are a run starting at succ[p], found once
 * while cutting.
 *
 * Piece p must run before piece q when q writes where p reads: src(p)
 * overlaps dst(q), p != q.  Kahn's algorithm emits pieces whose every
 * reader has run.  When it stalls, the remaining graph has a cycle; a depth
 * first search finds one and the smallest piece on it is bounced: kimage_load
 * copies its source to bounce memory first, the piece then reads from there,
 * and the pieces it was holding back are free.  Edges are never stored: a
 * piece's successors are found again when needed. */
#include "reloc/kimage_priv.h"
#include "lib/string.h"

static uint64_t reloc_piece_end(const struct reloc_plan *rp, size_t j)
{
    return rp->pieces[j].dst + rp->pieces[j].len;
}

/* For every query (key: an address, val: its owner), out[val] = the first of
 * the spans [key, val) (ends ascending) whose end lies above the address.  One
 * sort and one sweep: sequential memory access, where a binary search per
 * query would miss the cache some twenty times on big plans. */
static int reloc_locate(struct reloc_plan *rp, struct reloc_pair *queries, size_t n,
                        const struct reloc_pair *spans, size_t span_count, uint32_t *out)
{
    if (n > rp->tmp_cap) {
        rp->tmp = kimage_scratch_alloc(rp->k, n * sizeof(struct reloc_pair), rp->err);
        if (!rp->tmp)
            return rp->err->code;
        rp->tmp_cap = n;
    }
    reloc_sort_pairs(queries, n, rp->tmp);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        while (j < span_count && spans[j].val <= queries[i].key)
            j++;
        out[queries[i].val] = (uint32_t)j;
    }
    return HOP_OK;
}

/* rp->move_first for every move's source. */
static int reloc_locate_move_sources(struct reloc_plan *rp)
{
    size_t n = rp->move_count;
    struct reloc_pair *q = kimage_scratch_alloc(rp->k, n * sizeof(*q), rp->err);
    rp->move_first = kimage_scratch_alloc(rp->k, n * sizeof(uint32_t), rp->err);
    if (!q || !rp->move_first)
        return rp->err->code;
    for (size_t m = 0; m < n; m++)
        q[m] = (struct reloc_pair){ rp->k->fixed[rp->move_seg[m]].src, m };
    return reloc_locate(rp, q, n, rp->moves, n, rp->move_first);
}

/* The cut pass left in rp->succ[p] the first MOVE whose destination ends
 * above p's source; make it the first such PIECE: one of that move's pieces,
 * which are contiguous and sorted, found by a short binary search. */
static void reloc_moves_to_pieces(struct reloc_plan *rp, const uint32_t *piece_start)
{
    for (size_t p = 0; p < rp->piece_count; p++) {
        uint32_t j = rp->succ[p];
        size_t lo = piece_start[j], hi = j < rp->move_count ? piece_start[j + 1] : lo;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (reloc_piece_end(rp, mid) > rp->pieces[p].src)
                hi = mid;
            else
                lo = mid + 1;
        }
        rp->succ[p] = (uint32_t)lo;
    }
}

/* Cuts move m into pieces, written to out (unless NULL) with, in first[],
 * the first move whose destination ends above each piece's source: a piece
 * starts at the source's start (move_first), at a destination's start (that
 * move) or at a destination's end (the next move).  Returns the count. */
static size_t reloc_cut_move(const struct reloc_plan *rp, size_t m, struct reloc_piece *out,
                             uint32_t *first)
{
    const struct kimage_fixed *f = &rp->k->fixed[rp->move_seg[m]];
    paddr_t start = f->src, end = f->src + f->filesz, pos = start;
    uint32_t next_span = rp->move_first[m];
    size_t count = 0;
    for (size_t j = rp->move_first[m]; j < rp->move_count && rp->moves[j].key < end; j++) {
        uint64_t cuts[2] = { rp->moves[j].key, rp->moves[j].val };
        for (int c = 0; c < 2 && j != m; c++) {
            if (cuts[c] <= pos || cuts[c] >= end)
                continue;
            if (out) {
                out[count] = (struct reloc_piece){ f->dst + (pos - start), pos, cuts[c] - pos,
                                                   rp->move_seg[m], 0 };
                first[count] = next_span;
            }
            count++;
            pos = cuts[c];
            next_span = (uint32_t)(j + c);
        }
    }
    if (out) {
        out[count] = (struct reloc_piece){ f->dst + (pos - start), pos, end - pos,
                                           rp->move_seg[m], 0 };
        first[count] = next_span;
    }
    return count + 1;
}

int reloc_build_pieces(struct reloc_plan *rp)
{
    size_t total = 0, n = rp->move_count;
    int rc = reloc_locate_move_sources(rp);
    if (rc != HOP_OK)
        return rc;
    for (size_t m = 0; m < n; m++)
        total += reloc_cut_move(rp, m, NULL, NULL);
    if (total >= RELOC_NONE)
        return error_set(rp->err, HOP_ERR_LIMIT, "relocation: %zu pieces", total);
    uint32_t *piece_start = kimage_scratch_alloc(rp->k, (n + 1) * sizeof(uint32_t), rp->err);
    rp->pieces = kimage_scratch_alloc(rp->k, total * sizeof(struct reloc_piece), rp->err);
    rp->succ = kimage_scratch_alloc(rp->k, total * sizeof(uint32_t), rp->err);
    if (!piece_start || !rp->pieces || !rp->succ)
        return rp->err->code;
    for (size_t m = 0; m < n; m++) {
        piece_start[m] = (uint32_t)rp->piece_count;
        rp->piece_count += reloc_cut_move(rp, m, rp->pieces + rp->piece_count,
                                          rp->succ + rp->piece_count);
    }
    piece_start[n] = (uint32_t)rp->piece_count;
    reloc_moves_to_pieces(rp, piece_start);
    return HOP_OK;
}

/* Once p no longer reads its source (it ran, or it was bounced), the pieces
 * writing there wait for one reader less. */
static void reloc_release_readers(struct reloc_plan *rp, size_t p)
{
    const struct reloc_piece *pc = &rp->pieces[p];
    uint64_t end = pc->src + pc->len;
    for (size_t q = rp->succ[p]; q < rp->piece_count && rp->pieces[q].dst < end; q++)
        if (q != p && !(rp->pieces[q].flags & RELOC_PIECE_EMITTED) && --rp->indeg[q] == 0)
            rp->queue[rp->tail++] = (uint32_t)q;
}

static void reloc_count_readers(struct reloc_plan *rp)
{
    for (size_t p = 0; p < rp->piece_count; p++) {
        const struct reloc_piece *pc = &rp->pieces[p];
        uint64_t end = pc->src + pc->len;
        for (size_t q = rp->succ[p]; q < rp->piece_count && rp->pieces[q].dst < end; q++)
            rp->indeg[q] += q != p;
    }
}

static void reloc_push_frame(struct reloc_plan *rp, size_t *depth, uint32_t node)
{
    struct reloc_piece *pc = &rp->pieces[node];
    pc->flags |= RELOC_PIECE_GRAY;
    rp->frames[(*depth)++] = (struct reloc_frame){
        node, (pc->flags & RELOC_PIECE_BOUNCED) ? (uint32_t)rp->piece_count : rp->succ[node]
    };
}

/* The frame's next successor still in the graph, or RELOC_NONE. */
static uint32_t reloc_next_successor(struct reloc_plan *rp, struct reloc_frame *f)
{
    const struct reloc_piece *pc = &rp->pieces[f->node];
    uint64_t end = pc->src + pc->len;
    while (f->next < rp->piece_count && rp->pieces[f->next].dst < end) {
        uint32_t q = f->next++;
        if (q != f->node && !(rp->pieces[q].flags & (RELOC_PIECE_EMITTED | RELOC_PIECE_BLACK)))
            return q;
    }
    return RELOC_NONE;
}

/* The cycle is the stack from v's frame to the top: its smallest piece.
 * Clears the search's marks on the path (they may lead elsewhere now). */
static uint32_t reloc_cycle_victim(struct reloc_plan *rp, size_t depth, uint32_t v)
{
    uint32_t victim = v;
    bool on_cycle = true;
    for (size_t i = depth; i-- > 0;) {
        uint32_t n = rp->frames[i].node;
        if (on_cycle && rp->pieces[n].len < rp->pieces[victim].len)
            victim = n;
        on_cycle = on_cycle && n != v;
        rp->pieces[n].flags &= ~RELOC_PIECE_GRAY;
    }
    return victim;
}

/* Depth-first search from start for a cycle of pending pieces.  Pieces
 * proven cycle-free turn black and stay so: later bounces only remove
 * edges. */
static bool reloc_find_cycle(struct reloc_plan *rp, uint32_t start, uint32_t *victim)
{
    size_t depth = 0;
    reloc_push_frame(rp, &depth, start);
    while (depth) {
        struct reloc_frame *f = &rp->frames[depth - 1];
        uint32_t v = reloc_next_successor(rp, f);
        if (v == RELOC_NONE) {
            rp->pieces[f->node].flags = (rp->pieces[f->node].flags & ~RELOC_PIECE_GRAY) |
                                        RELOC_PIECE_BLACK;
            depth--;
        } else if (rp->pieces[v].flags & RELOC_PIECE_GRAY) {
            *victim = reloc_cycle_victim(rp, depth, v);
            return true;
        } else {
            reloc_push_frame(rp, &depth, v);
        }
    }
    return false;
}

static void reloc_bounce(struct reloc_plan *rp, uint32_t p)
{
    struct reloc_piece *pc = &rp->pieces[p];
    pc->flags |= RELOC_PIECE_BOUNCED;
    rp->bounce_need += ALIGN_UP(pc->len, (uint64_t)RELOC_PACK_ALIGN);
    rp->k->stats.bounce_bytes += pc->len;
    rp->k->stats.bounced_pieces++;
    reloc_release_readers(rp, p);
}

/* Kahn stalled: every pending piece waits for another, so a cycle exists. */
static int reloc_break_cycle(struct reloc_plan *rp)
{
    uint32_t victim;
    if (!rp->frames &&
        !(rp->frames = kimage_scratch_alloc(rp->k, rp->piece_count * sizeof(struct reloc_frame),
                                            rp->err)))
        return rp->err->code;
    for (; rp->cycle_cursor < rp->piece_count; rp->cycle_cursor++) {
        if (rp->pieces[rp->cycle_cursor].flags & (RELOC_PIECE_EMITTED | RELOC_PIECE_BLACK))
            continue;
        if (reloc_find_cycle(rp, (uint32_t)rp->cycle_cursor, &victim)) {
            reloc_bounce(rp, victim);
            return HOP_OK;
        }
    }
    return error_set(rp->err, HOP_ERR_INVALID, "relocation: stalled without a cycle (a bug)");
}

int reloc_order_moves(struct reloc_plan *rp)
{
    size_t n = rp->piece_count;
    rp->indeg = kimage_scratch_alloc(rp->k, n * sizeof(uint32_t), rp->err);
    rp->queue = kimage_scratch_alloc(rp->k, n * sizeof(uint32_t), rp->err);
    if (!rp->indeg || !rp->queue)
        return rp->err->code;
    memset(rp->indeg, 0, n * sizeof(uint32_t));
    reloc_count_readers(rp);
    for (size_t q = 0; q < n; q++)
        if (rp->indeg[q] == 0)
            rp->queue[rp->tail++] = (uint32_t)q;
    while (rp->head < n) {
        if (rp->head == rp->tail) {
            int rc = reloc_break_cycle(rp);
            if (rc != HOP_OK)
                return rc;
            continue;
        }
        uint32_t p = rp->queue[rp->head++];
        rp->pieces[p].flags |= RELOC_PIECE_EMITTED;
        if (!(rp->pieces[p].flags & RELOC_PIECE_BOUNCED))
            reloc_release_readers(rp, p);
    }
    return HOP_OK;
}
