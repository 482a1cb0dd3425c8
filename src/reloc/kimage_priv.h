/* Internals shared by the kimage and relocation planner files; not for the
 * rest of hop. */
#ifndef HOP_KIMAGE_PRIV_H
#define HOP_KIMAGE_PRIV_H

#include "reloc/kimage.h"

#define RELOC_NONE UINT32_MAX
#define RELOC_PACK_ALIGN 16 /* bounce copies are packed at this alignment */

/* A sortable pair: an interval [key, val) or an index val keyed by address. */
struct reloc_pair {
    uint64_t key, val;
};

/* A deferred copy after splitting.  Pieces are stored sorted by dst; their
 * destinations are disjoint. */
struct reloc_piece {
    paddr_t dst, src;
    uint64_t len;
    uint32_t seg;   /* the fixed segment it belongs to */
    uint32_t flags; /* RELOC_PIECE_* */
};

enum reloc_piece_flags {
    RELOC_PIECE_EMITTED = 1u << 0,
    RELOC_PIECE_BOUNCED = 1u << 1, /* copied to bounce memory at load time */
    RELOC_PIECE_GRAY = 1u << 2,    /* on the cycle search's path */
    RELOC_PIECE_BLACK = 1u << 3,   /* no cycle reachable from it */
};

struct reloc_frame {
    uint32_t node, next; /* cycle search: node, its next successor candidate */
};

/* The planner's working state; the arrays live in scratch memory. */
struct reloc_plan {
    struct kimage *k;
    struct hop_error *err;
    uint32_t *by_dst;            /* fixed segments with memsz > 0, by dst */
    size_t seg_count;
    struct reloc_pair *dests;    /* their destinations, parallel to by_dst */
    struct reloc_pair *touch;    /* live (not scratch) and all sources, merged */
    size_t touch_count;
    struct reloc_pair *tmp;      /* sort buffer of tmp_cap pairs */
    size_t tmp_cap;
    struct reloc_pair *moves;    /* deferred copies' destinations [dst, dst+filesz) */
    uint32_t *move_seg;
    uint32_t *move_first;        /* first move whose destination ends above my source */
    size_t move_count;
    struct reloc_piece *pieces;
    uint32_t *succ;              /* first piece whose destination ends above my source */
    size_t piece_count;
    uint32_t *indeg, *queue;     /* queue ends up holding the execution order */
    size_t head, tail;
    struct reloc_frame *frames;  /* allocated on the first cycle */
    size_t cycle_cursor;
    uint64_t bounce_need;
};

/* kimage_alloc.c */
void *kimage_scratch_alloc(struct kimage *k, uint64_t bytes, struct hop_error *err);
void kimage_scratch_release(struct kimage *k);
bool kimage_is_scratch(const struct phys_range *r);
/* Usable memory that is not live, no destination and no source, top-down
 * below limit; marked live.  HOP_ERR_NOMEM (err untouched) when none. */
int kimage_alloc_free(struct reloc_plan *rp, uint64_t size, uint64_t align, paddr_t limit,
                      const char *what, paddr_t *out);
int kimage_log_alloc(struct kimage *k, paddr_t start, paddr_t end, const char *what,
                     struct hop_error *err);
void *kimage_map(const struct kimage *k, paddr_t addr, uint64_t len);
/* Why kimage_map gave no view of [addr, addr+len), in err: "NAME: WHICH
 * 0x..-0x.. is not accessible: " and the reason.  Returns HOP_ERR_RANGE. */
int kimage_map_error(struct hop_error *err, const char *name, const char *which, paddr_t addr,
                     uint64_t len);

/* kimage.c: whether [start, end) lies inside one live range (not scratch). */
bool kimage_in_live(struct kimage *k, paddr_t start, paddr_t end);

/* pairs.c */
void reloc_sort_pairs(struct reloc_pair *a, size_t n, struct reloc_pair *tmp);
/* Whether [start, end) overlaps one of the sorted, disjoint spans [key, val);
 * *hit is then the lowest such span. */
bool reloc_spans_overlap(const struct reloc_pair *spans, size_t n, uint64_t start,
                         uint64_t end, size_t *hit);

/* order.c */
int reloc_build_pieces(struct reloc_plan *rp);
int reloc_order_moves(struct reloc_plan *rp);

/* emit.c */
int reloc_alloc_bounce(struct reloc_plan *rp);
int reloc_emit_ops(struct reloc_plan *rp);

static inline bool reloc_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

#endif
