/* The identity map above 4 GiB.  The entry code maps 0-4 GiB with 2 MiB pages
 * (enough for the boot info, the modules and hop itself); here every RAM
 * region above that is added, with 1 GiB pages where the CPU has them. */
#include "machine.h"
#include "cpu.h"
#include "lib/string.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PWT (1ull << 3) /* with PCD: PAT entry 3, uncached */
#define PTE_PCD (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define ENTRIES 512
#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)
#define LOW_MAPPED (4ull << 30) /* arch/x86_64/entry/multiboot/entry.asm's LOW_MAP_GIB */
#define PT_LIMIT LOW_MAPPED     /* table pages must be reachable now */

extern uint64_t boot_pml4[ENTRIES];

static bool is_ram(uint32_t type)
{
    return type == MEM_USABLE || type == MEM_ACPI_RECLAIM || type == MEM_ACPI_NVS ||
           type == MEM_PERSISTENT;
}

/* The table the entry points to, allocating a zeroed one if absent. */
static uint64_t *next_table(struct physmem *pm, uint64_t *entry, struct hop_error *err)
{
    if (!(*entry & PTE_PRESENT)) {
        paddr_t page;
        if (physmem_alloc(pm, PAGE_SIZE, PAGE_SIZE, PT_LIMIT, "page table", &page, err))
            return NULL;
        memset((void *)(uintptr_t)page, 0, PAGE_SIZE);
        *entry = page | PTE_PRESENT | PTE_WRITE;
    }
    return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
}

static int map_range(struct physmem *pm, paddr_t start, paddr_t end, bool gb_pages,
                     uint64_t attrs, struct hop_error *err)
{
    for (paddr_t a = ALIGN_DOWN(start, SIZE_2M); a < end;) {
        uint64_t *pdpt = next_table(pm, &boot_pml4[(a >> 39) & 511], err);
        if (!pdpt)
            return err->code;
        uint64_t *pdpte = &pdpt[(a >> 30) & 511];
        if (gb_pages && !(a & (SIZE_1G - 1)) && end - a >= SIZE_1G && !(*pdpte & PTE_PRESENT)) {
            *pdpte = a | PTE_PRESENT | PTE_WRITE | PTE_LARGE | attrs;
            a += SIZE_1G;
            continue;
        }
        if (*pdpte & PTE_LARGE) { /* already a 1 GiB page */
            a = ALIGN_DOWN(a, SIZE_1G) + SIZE_1G;
            continue;
        }
        uint64_t *pd = next_table(pm, pdpte, err);
        if (!pd)
            return err->code;
        pd[(a >> 21) & 511] = a | PTE_PRESENT | PTE_WRITE | PTE_LARGE | attrs;
        a += SIZE_2M;
    }
    return HOP_OK;
}

int paging_map_ram(struct physmem *pm, struct hop_error *err)
{
    bool gb_pages = cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_PDPE1GB;
    const struct bootinfo *bi = pm->bi;
    for (size_t i = 0; i < bi->map_count; i++) {
        const struct mem_region *r = &bi->map[i];
        if (!is_ram(r->type) || r->end <= LOW_MAPPED)
            continue;
        int rc = map_range(pm, MAX(r->start, LOW_MAPPED), r->end, gb_pages, 0, err);
        if (rc)
            return rc;
    }
    write_cr3(read_cr3()); /* flush: entries were added, none changed */
    return HOP_OK;
}

int paging_map_device(struct physmem *pm, paddr_t start, paddr_t end, struct hop_error *err)
{
    if (end <= LOW_MAPPED)
        return HOP_OK;
    int rc = map_range(pm, MAX(start, LOW_MAPPED), end, false, PTE_PCD | PTE_PWT, err);
    write_cr3(read_cr3());
    return rc;
}
