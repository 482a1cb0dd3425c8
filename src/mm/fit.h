/* First-fit search: the lowest (or highest) aligned base for size bytes in
 * a window of physical memory that avoids whatever the caller says is busy.
 * physmem's allocator, the kimage planner's allocator and the relocatable
 * kernel's base all search this way; they differ only in what is busy. */
#ifndef HOP_FIT_H
#define HOP_FIT_H

#include "parse/bootinfo.h"

/* [start, end): memory a candidate ran into. */
struct fit_range {
    paddr_t start, end;
};

/* Whether [start, end) collides with something busy.  When it does, *hit
 * gets the start of a busy range overlapping [start, end) and the end of
 * one (the lowest start and the highest end skip the most candidates).
 * An empty [start, start) collides with what strictly contains start. */
typedef bool (*fit_collision_fn)(const void *ctx, paddr_t start, paddr_t end,
                                 struct fit_range *hit);

struct fit_req {
    paddr_t lo, end; /* the window [lo, end): base >= lo, base + size <= end */
    uint64_t size;   /* 0 is allowed: then base may equal end */
    uint64_t align;  /* a power of two; 0 means 1 */
    bool down;       /* the highest base instead of the lowest */
};

/* The lowest (req->down: highest) multiple of align in the window whose
 * [base, base+size) collides with nothing (collides NULL: nothing is busy).
 * Each collision moves the search past the range it hit, so the cost grows
 * with the busy ranges met, not with the window.  False when there is none
 * or align is not a power of two. */
bool fit_find(const struct fit_req *req, fit_collision_fn collides, const void *ctx,
              paddr_t *base);

/* fit_find over the usable RAM in bi's memory map: the window clipped to
 * each usable region in turn, from the bottom up (req->down: top down);
 * the first region with room wins. */
bool fit_find_usable(const struct bootinfo *bi, const struct fit_req *req,
                     fit_collision_fn collides, const void *ctx, paddr_t *base);

#endif
