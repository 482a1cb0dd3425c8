/* The memory map's types and its normalization (memmap.h). */
#include "mm/memmap.h"

/* ==========================================================================
 * Memory types
 * ========================================================================== */

/* Where two map entries claim the same byte the more restrictive type wins:
 * calling reserved memory usable corrupts firmware or devices, the reverse
 * only wastes memory.  Lowest rank first:
 *   usable
 *   ACPI reclaimable  usable once the OS has read the tables
 *   persistent        holds data that must survive, but is plain RAM
 *   ACPI NVS          firmware state that must be kept across sleep
 *   reserved          firmware, devices, and every type we do not know
 *   bad               must never be touched */
enum mem_rank {
    MEM_RANK_USABLE,
    MEM_RANK_ACPI_RECLAIM,
    MEM_RANK_PERSISTENT,
    MEM_RANK_ACPI_NVS,
    MEM_RANK_RESERVED,
    MEM_RANK_BAD,
    MEM_RANK_COUNT,
};

static const uint32_t mem_type_of_rank[MEM_RANK_COUNT] = {
    [MEM_RANK_USABLE] = MEM_USABLE,
    [MEM_RANK_ACPI_RECLAIM] = MEM_ACPI_RECLAIM,
    [MEM_RANK_PERSISTENT] = MEM_PERSISTENT,
    [MEM_RANK_ACPI_NVS] = MEM_ACPI_NVS,
    [MEM_RANK_RESERVED] = MEM_RESERVED,
    [MEM_RANK_BAD] = MEM_BAD,
};

int mem_type_rank(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return MEM_RANK_USABLE;
    case MEM_ACPI_RECLAIM: return MEM_RANK_ACPI_RECLAIM;
    case MEM_PERSISTENT: return MEM_RANK_PERSISTENT;
    case MEM_ACPI_NVS: return MEM_RANK_ACPI_NVS;
    case MEM_BAD: return MEM_RANK_BAD;
    default: return MEM_RANK_RESERVED; /* MEM_RESERVED and anything unknown */
    }
}

const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return "usable";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIM: return "ACPI reclaimable";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    case MEM_PERSISTENT: return "persistent";
    default: return "unknown";
    }
}

uint32_t mem_type_canonical(uint32_t type)
{
    return mem_type_of_rank[mem_type_rank(type)];
}

/* ==========================================================================
 * Memory map normalization
 *
 * A boundary sweep.  Every region contributes a start and an end event; with
 * the events sorted by address, walking them while counting the open regions
 * of each rank gives, between two consecutive event addresses, the highest
 * open rank: the type of that stretch.  Touching stretches of the same type
 * are merged as they are emitted.  n regions give 2n events and up to 2n-1
 * stretches, so the result can outgrow the table: the sweep runs once only
 * counting and writes the table only when the result fits.  The events hold
 * everything, so the writing sweep may overwrite the table they came from.
 * Sorting is a heapsort: O(n log n), no memory beyond the events.
 * ========================================================================== */

/* The whole table plus the one region memmap_add brings. */
#define MAP_EVENT_MAX (2 * (MEMMAP_MAX_REGIONS + 1))
#define MAP_EVENT_END 0x80 /* in map_events.code: the event closes a region */

/* Two arrays rather than an array of structs: 4.6 KiB of stack, not 8. */
struct map_events {
    paddr_t addr[MAP_EVENT_MAX];
    uint8_t code[MAP_EVENT_MAX]; /* enum mem_rank, | MAP_EVENT_END */
    size_t count;
};

static void events_add(struct map_events *ev, const struct mem_region *r)
{
    if (r->start >= r->end)
        return; /* empty */
    uint8_t rank = (uint8_t)mem_type_rank(r->type);
    ev->addr[ev->count] = r->start;
    ev->code[ev->count++] = rank;
    ev->addr[ev->count] = r->end;
    ev->code[ev->count++] = rank | MAP_EVENT_END;
}

static void events_swap(struct map_events *ev, size_t a, size_t b)
{
    paddr_t addr = ev->addr[a];
    uint8_t code = ev->code[a];
    ev->addr[a] = ev->addr[b];
    ev->code[a] = ev->code[b];
    ev->addr[b] = addr;
    ev->code[b] = code;
}

/* Restores the max-heap order of ev[0, n) below root. */
static void events_sift_down(struct map_events *ev, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && ev->addr[child + 1] > ev->addr[child])
            child++;
        if (ev->addr[root] >= ev->addr[child])
            return;
        events_swap(ev, root, child);
        root = child;
    }
}

/* By address only: the sweep applies all events at one address together, so
 * their order among themselves does not matter. */
static void events_sort(struct map_events *ev)
{
    size_t n = ev->count;
    for (size_t i = n / 2; i-- > 0;)
        events_sift_down(ev, i, n);
    for (size_t end = n; end > 1; end--) {
        events_swap(ev, 0, end - 1);
        events_sift_down(ev, 0, end - 1);
    }
}

/* Collects the sweep's stretches, merging one into the previous when they
 * touch and have the same type.  With out == NULL it only counts. */
struct map_writer {
    struct mem_region *out;
    size_t count;
    struct mem_region last;
};

static void map_writer_emit(struct map_writer *w, paddr_t start, paddr_t end,
                            uint32_t type)
{
    if (w->count > 0 && w->last.end == start && w->last.type == type) {
        w->last.end = end;
    } else {
        w->count++;
        w->last = (struct mem_region){ .start = start, .end = end, .type = type };
    }
    if (w->out && w->count <= MEMMAP_MAX_REGIONS)
        w->out[w->count - 1] = w->last;
}

static int open_rank_top(const uint32_t open[MEM_RANK_COUNT])
{
    for (int rank = MEM_RANK_COUNT - 1; rank >= 0; rank--)
        if (open[rank])
            return rank;
    return -1;
}

/* Returns the number of stretches; writes them to out unless it is NULL. */
static size_t map_sweep(const struct map_events *ev, struct mem_region *out)
{
    uint32_t open[MEM_RANK_COUNT] = { 0 };
    struct map_writer w = { .out = out };
    size_t i = 0;
    while (i < ev->count) {
        paddr_t here = ev->addr[i];
        /* A region's end lies above its start, so ends applied here only
         * close regions opened at lower addresses: no count underflows. */
        for (; i < ev->count && ev->addr[i] == here; i++) {
            uint8_t rank = ev->code[i] & ~MAP_EVENT_END;
            if (ev->code[i] & MAP_EVENT_END)
                open[rank]--;
            else
                open[rank]++;
        }
        int top = open_rank_top(open);
        if (top >= 0 && i < ev->count)
            map_writer_emit(&w, here, ev->addr[i], mem_type_of_rank[top]);
    }
    return w.count;
}

/* Normalizes map[0, *count) together with extra (may be NULL). */
static int map_rebuild(struct mem_region *map, size_t *count,
                       const struct mem_region *extra)
{
    struct map_events ev;
    size_t n = MIN(*count, (size_t)MEMMAP_MAX_REGIONS);

    ev.count = 0;
    for (size_t i = 0; i < n; i++)
        events_add(&ev, &map[i]);
    if (extra)
        events_add(&ev, extra);
    events_sort(&ev);
    if (map_sweep(&ev, NULL) > MEMMAP_MAX_REGIONS)
        return HOP_ERR_LIMIT;
    *count = map_sweep(&ev, map);
    return HOP_OK;
}

int memmap_normalize(struct mem_region *map, size_t *count)
{
    return map_rebuild(map, count, NULL);
}

int memmap_add(struct mem_region *map, size_t *count, paddr_t start, paddr_t end,
               uint32_t type)
{
    if (start >= end)
        return HOP_OK;
    struct mem_region r = { .start = start, .end = end, .type = type };
    return map_rebuild(map, count, &r);
}

uint64_t memmap_total(const struct mem_region *map, size_t count, uint32_t type)
{
    uint64_t total = 0;
    /* Regions are disjoint and below 2^64, so the sum cannot overflow. */
    for (size_t i = 0; i < count && i < MEMMAP_MAX_REGIONS; i++)
        if (map[i].type == type && map[i].end > map[i].start)
            total += map[i].end - map[i].start;
    return total;
}
