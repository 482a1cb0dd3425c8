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

bool physmem_live_hit(const void *pm, paddr_t start, paddr_t end, struct fit_range *hit)
{
    const struct phys_range *l = physmem_find_live(pm, start, end);
    if (l)
        *hit = (struct fit_range){ l->start, l->end };
    return l != NULL;
}

int physmem_alloc(struct physmem *pm, uint64_t size, uint64_t align, paddr_t limit,
                  const char *what, paddr_t *out, struct hop_error *err)
{
    struct fit_req req = { PHYSMEM_LOW_LIMIT, limit, size, align, true };
    paddr_t at;
    if (size == 0 || align == 0 || (align & (align - 1)))
        return error_set(err, HOP_ERR_INVALID, "allocating %s: bad size 0x%llx or alignment 0x%llx",
                         what, (unsigned long long)size, (unsigned long long)align);
    if (!fit_find_usable(pm->bi, &req, physmem_live_hit, pm, &at))
        return error_set(err, HOP_ERR_NOMEM, "allocating %s: no free 0x%llx bytes below 0x%llx",
                         what, (unsigned long long)size, (unsigned long long)limit);
    if (physmem_reserve(pm, at, at + size, what) != HOP_OK)
        return error_set(err, HOP_ERR_LIMIT, "allocating %s: more than %d live ranges", what,
                         PHYSMEM_MAX_LIVE);
    pm->allocated += size;
    *out = at;
    return HOP_OK;
}

struct physmem_mark physmem_mark(const struct physmem *pm)
{
    return (struct physmem_mark){ pm->live_count, pm->allocated };
}

void physmem_rollback(struct physmem *pm, struct physmem_mark mark)
{
    /* Ranges reserved since the mark sit above mark.live_count (release
     * swaps only among them, by the contract in physmem.h); MIN keeps a
     * broken contract from bringing back stale slots. */
    pm->live_count = MIN(pm->live_count, mark.live_count);
    pm->allocated = mark.allocated;
}
