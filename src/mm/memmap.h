/* The physical memory map: a table of typed regions, and what makes one
 * usable by everyone after the boot information parsers: sorted by start,
 * non-overlapping, adjacent same-type entries merged, overlaps resolved by the
 * more restrictive type.
 *
 * The types live here, not in parse/bootinfo.h, because the map is the memory
 * manager's idea: the parsers only fill it, and the memory code (physmem,
 * kimage, the handoff builders) reads and edits it without caring which
 * protocol it came from.  bootinfo.h includes this header, so users of
 * struct bootinfo see the types as before. */
#ifndef HOP_MEMMAP_H
#define HOP_MEMMAP_H

#include "lib/error.h"
#include "lib/types.h"

/* Memory types, numbered as in the multiboot/e820 map.  The order of
 * mem_type_rank() decides which type wins where entries overlap. */
enum mem_type {
    MEM_USABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIM = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
    MEM_PERSISTENT = 7,
};

struct mem_region {
    paddr_t start;
    paddr_t end; /* exclusive */
    uint32_t type; /* enum mem_type */
};

/* Every table the functions below take has room for this many regions. */
#define MEMMAP_MAX_REGIONS 256

/* Sorts, clips and merges map[0, *count) in place: drops empty entries,
 * gives every byte claimed by several entries the type of highest
 * mem_type_rank(), stores unknown types as MEM_RESERVED and merges touching
 * entries of the same type.  Resolving overlaps can split entries (reserved
 * inside usable makes three), so the result may not fit the table: then it
 * returns HOP_ERR_LIMIT and leaves the map untouched.  Uses about 4.6 KiB of
 * stack. */
int memmap_normalize(struct mem_region *map, size_t *count);

/* Adds [start, end) of type to the map and normalizes it (an empty range
 * adds nothing).  Returns HOP_ERR_LIMIT, with the map untouched, when the
 * result does not fit in MEMMAP_MAX_REGIONS entries. */
int memmap_add(struct mem_region *map, size_t *count, paddr_t start, paddr_t end,
               uint32_t type);

/* Total bytes of the given type in map[0, count). */
uint64_t memmap_total(const struct mem_region *map, size_t count, uint32_t type);

/* Higher rank wins where regions overlap: usable 0 < ACPI reclaimable 1 <
 * persistent 2 < ACPI NVS 3 < reserved 4 < bad 5; unknown types rank as
 * reserved. */
int mem_type_rank(uint32_t type);

/* The type a normalized map stores for type: itself when known, MEM_RESERVED
 * otherwise. */
uint32_t mem_type_canonical(uint32_t type);

/* "usable", "reserved", "ACPI reclaimable", "ACPI NVS", "bad", "persistent";
 * "unknown" for anything else. */
const char *mem_type_name(uint32_t type);

#endif
