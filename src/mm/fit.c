/* First-fit search (see fit.h).
 *
 * The candidates are the multiples of align in [first, last], first the
 * window's lo rounded up and last its end - size rounded down.  When a
 * candidate collides with a busy range, every candidate between it and the
 * far side of that range overlaps the range too: going up, the next one
 * worth trying is the range's end rounded up; going down, its start - size
 * rounded down.  Rounding up near 2^64 is checked: past the top there is no
 * candidate left. */
#include "mm/fit.h"

/* The least multiple of align at or above x; false when it is past 2^64. */
static bool fit_align_up(paddr_t x, uint64_t align, paddr_t *out)
{
    paddr_t bumped;
    if (ADD_OVERFLOWS(x, align - 1, &bumped))
        return false;
    *out = ALIGN_DOWN(bumped, align);
    return true;
}

/* The candidate after cand, which collided with hit, in the search's
 * direction; false when none is left.  A hit that does not overlap cand
 * (a faulty callback) ends the search rather than looping. */
static bool fit_step(const struct fit_req *req, uint64_t align, paddr_t cand,
                     const struct fit_range *hit, paddr_t *next)
{
    if (req->down) {
        if (hit->start < req->size)
            return false; /* nothing below the range has room */
        *next = ALIGN_DOWN(hit->start - req->size, align);
        return *next < cand;
    }
    return fit_align_up(hit->end, align, next) && *next > cand;
}

bool fit_find(const struct fit_req *req, fit_collision_fn collides, const void *ctx,
              paddr_t *base)
{
    uint64_t align = req->align ? req->align : 1;
    paddr_t first, last;
    if ((align & (align - 1)) || req->end < req->lo || req->end - req->lo < req->size)
        return false;
    if (!fit_align_up(req->lo, align, &first))
        return false;
    last = ALIGN_DOWN(req->end - req->size, align);
    while (first <= last) {
        paddr_t cand = req->down ? last : first;
        struct fit_range hit;
        if (!collides || !collides(ctx, cand, cand + req->size, &hit)) {
            *base = cand;
            return true;
        }
        if (!fit_step(req, align, cand, &hit, req->down ? &last : &first))
            return false;
    }
    return false;
}

bool fit_find_usable(const struct bootinfo *bi, const struct fit_req *req,
                     fit_collision_fn collides, const void *ctx, paddr_t *base)
{
    for (size_t k = 0; k < bi->map_count; k++) {
        const struct mem_region *r = &bi->map[req->down ? bi->map_count - 1 - k : k];
        struct fit_req in_region = *req;
        if (r->type != MEM_USABLE)
            continue;
        in_region.lo = MAX(req->lo, r->start);
        in_region.end = MIN(req->end, r->end);
        if (fit_find(&in_region, collides, ctx, base))
            return true;
    }
    return false;
}
