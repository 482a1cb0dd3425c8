#include "mm/physmem.h"

void physmem_init(struct physmem *pm, const struct bootinfo *bi)
{
    pm->bi = bi;
    pm->live_count = 0;
    pm->allocated = 0;
}

int physmem_reserve(struct physmem *pm, paddr_t start, paddr_t end, const char *what)
{
    if (end <= start)
        return HOP_OK;
    if (pm->live_count == PHYSMEM_MAX_LIVE)
        return HOP_ERR_LIMIT;
    pm->live[pm->live_count++] = (struct phys_range){ start, end, what };
    return HOP_OK;
}

/* A range strictly containing [start, end) splits in two; count those first
 * so that a full table fails before anything changed. */
static bool physmem_release_fits(const struct physmem *pm, paddr_t start, paddr_t end)
{
    size_t splits = 0;
    for (size_t i = 0; i < pm->live_count; i++)
        if (pm->live[i].start < start && end < pm->live[i].end)
            splits++;
    return pm->live_count + splits <= PHYSMEM_MAX_LIVE;
}

int physmem_release(struct physmem *pm, paddr_t start, paddr_t end)
{
    if (end <= start)
        return HOP_OK;
    if (!physmem_release_fits(pm, start, end))
        return HOP_ERR_LIMIT;
    for (size_t i = 0; i < pm->live_count;) {
        struct phys_range *r = &pm->live[i];
        if (r->end <= start || end <= r->start) {
            i++;
        } else if (r->start < start && end < r->end) {
            pm->live[pm->live_count++] = (struct phys_range){ end, r->end, r->what };
            r->end = start;
            i++;
        } else if (r->start < start) {
            r->end = start;
            i++;
        } else if (end < r->end) {
            r->start = end;
            i++;
        } else {
            *r = pm->live[--pm->live_count]; /* wholly released: drop it */
        }
    }
    return HOP_OK;
}

const struct phys_range *physmem_find_live(const struct physmem *pm, paddr_t start, paddr_t end)
{
    for (size_t i = 0; i < pm->live_count; i++)
        if (pm->live[i].start < end && start < pm->live[i].end)
            return &pm->live[i];
    return NULL;
}

static bool in_usable_ram(const struct bootinfo *bi, paddr_t start, paddr_t end)
{
    /* The map is sorted and merged, so a usable range lies in one entry. */
    for (size_t i = 0; i < bi->map_count; i++) {
        const struct mem_region *r = &bi->map[i];
        if (r->type == MEM_USABLE && r->start <= start && end <= r->end)
            return true;
    }
    return false;
}

bool physmem_is_free(const struct physmem *pm, paddr_t start, paddr_t end)
{
    return start >= PHYSMEM_LOW_LIMIT && end > start && in_usable_ram(pm->bi, start, end) &&
           !physmem_find_live(pm, start, end);
}

/* Highest aligned start in [lo, hi) for size bytes avoiding live ranges, or
 * false.  Each collision lowers hi to the colliding range's start. */
static bool fit_in_region(const struct physmem *pm, paddr_t lo, paddr_t hi, uint64_t size,
                          uint64_t align, paddr_t *out)
{
    while (hi > lo && hi - lo >= size) {
        paddr_t cand = ALIGN_DOWN(hi - size, align);
        if (cand < lo)
            return false;
        const struct phys_range *l = physmem_find_live(pm, cand, cand + size);
        if (!l) {
            *out = cand;
            return true;
        }
        hi = l->start;
    }
    return false;
}

int physmem_alloc(struct physmem *pm, uint64_t size, uint64_t align, paddr_t limit,
                  const char *what, paddr_t *out, struct hop_error *err)
{
    if (size == 0 || align == 0 || (align & (align - 1)))
        return error_set(err, HOP_ERR_INVALID, "allocating %s: bad size 0x%llx or alignment 0x%llx",
                         what, (unsigned long long)size, (unsigned long long)align);
    for (size_t i = pm->bi->map_count; i-- > 0;) {
        const struct mem_region *r = &pm->bi->map[i];
        if (r->type != MEM_USABLE)
            continue;
        paddr_t lo = MAX(r->start, (paddr_t)PHYSMEM_LOW_LIMIT);
        paddr_t hi = MIN(r->end, limit);
        paddr_t at;
        if (hi > lo && fit_in_region(pm, lo, hi, size, align, &at)) {
            if (physmem_reserve(pm, at, at + size, what) != HOP_OK)
                return error_set(err, HOP_ERR_LIMIT, "allocating %s: more than %d live ranges",
                                 what, PHYSMEM_MAX_LIVE);
            pm->allocated += size;
            *out = at;
            return HOP_OK;
        }
    }
    return error_set(err, HOP_ERR_NOMEM, "allocating %s: no free 0x%llx bytes below 0x%llx",
                     what, (unsigned long long)size, (unsigned long long)limit);
}
