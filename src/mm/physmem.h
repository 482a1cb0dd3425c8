/* Physical memory bookkeeping before the kernel is planned: the ranges that
 * are live (hop's image and stack, the boot info, the modules, page tables,
 * buffers hop allocated) and a simple allocator that hands out usable RAM
 * outside all of them.  The kimage allocator builds on the same live list. */
#ifndef HOP_PHYSMEM_H
#define HOP_PHYSMEM_H

#include "mm/fit.h"
#include "parse/bootinfo.h"

/* 512: the modules (64), their copies placed for the kernel, page-table pages
 * and the relocation plan's own ranges all live here. */
#define PHYSMEM_MAX_LIVE 512
#define PHYSMEM_LOW_LIMIT 0x100000u /* the first MiB: BIOS, real-mode data */

struct phys_range {
    paddr_t start, end; /* [start, end) */
    const char *what;
};

struct physmem {
    const struct bootinfo *bi;
    struct phys_range live[PHYSMEM_MAX_LIVE];
    size_t live_count;
    uint64_t allocated; /* bytes handed out by physmem_alloc */
};

void physmem_init(struct physmem *pm, const struct bootinfo *bi);

/* Marks [start, end) live: never handed out.  Fails when the table is full. */
int physmem_reserve(struct physmem *pm, paddr_t start, paddr_t end, const char *what);

/* Makes [start, end) no longer live (for buffers needed only for a while,
 * such as the relocation planner's scratch memory).  Trims or splits the live
 * ranges it overlaps; fails with HOP_ERR_LIMIT, changing nothing, when a
 * split needs a slot the table does not have. */
int physmem_release(struct physmem *pm, paddr_t start, paddr_t end);

/* True when [start, end) lies in usable RAM and touches no live range. */
bool physmem_is_free(const struct physmem *pm, paddr_t start, paddr_t end);

/* The live range overlapping [start, end), or NULL. */
const struct phys_range *physmem_find_live(const struct physmem *pm, paddr_t start, paddr_t end);

/* A fit_collision_fn over pm's live ranges (ctx: the struct physmem). */
bool physmem_live_hit(const void *pm, paddr_t start, paddr_t end, struct fit_range *hit);

/* Allocates size bytes aligned to align (a power of two), ending at or below
 * limit, from the top of usable RAM down (kernels load low, so hop's own
 * memory stays out of their way), and marks them live. */
int physmem_alloc(struct physmem *pm, uint64_t size, uint64_t align, paddr_t limit,
                  const char *what, paddr_t *out, struct hop_error *err);

/* What pm holds at one moment, so that a boot attempt that failed can give
 * back what it took.  Opaque: keep it and hand it back to physmem_rollback. */
struct physmem_mark {
    size_t live_count;
    uint64_t allocated;
};

struct physmem_mark physmem_mark(const struct physmem *pm);

/* Forgets every range reserved and every byte allocated since mark.  The
 * ranges live at the mark must not have been released in between (a
 * release may move or split them, which the rollback cannot undo). */
void physmem_rollback(struct physmem *pm, struct physmem_mark mark);

#endif
