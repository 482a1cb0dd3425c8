/* Prepares the control area for arch/x86_64/jump/trampoline.asm: copies the code,
 * builds its GDT and identity page tables, and jumps.  The page tables are
 * the trampoline's own because hop's (in hop's image and in memory the
 * destinations may cover) can be overwritten by the moves. */
#include "jump/tramp.h"
#include "cpu.h"
#include "lib/string.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_LARGE (1ull << 7)
#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)
#define SIZE_512G (1ull << 39)
#define CPUID_FEATURES 1u
#define CPUID_ECX_SSE42 (1u << 20)

#define GDT_CODE64 0x00AF9A000000FFFFull /* present, DPL0, code, L=1 */
#define GDT_DATA 0x00CF92000000FFFFull   /* flat 4 GiB read/write */
#define GDT_CODE32 0x00CF9A000000FFFFull /* flat 4 GiB code, D=1 */

enum { PAGE_CODE, PAGE_PARAMS, PAGE_STACK, PAGE_TABLES };
#define PARAMS_GDT_OFFSET 0x100
#define PARAMS_CRC_OFFSET 0x400 /* 1 KiB table up to the page end */

extern const uint8_t tramp_blob_start[], tramp_blob_end[];

_Static_assert(__builtin_offsetof(struct tramp_params, gdt_limit) == 0x30, "tramp.inc P_GDTR");
_Static_assert(__builtin_offsetof(struct tramp_params, regs) == 0x40, "tramp.inc P_RAX");
_Static_assert(__builtin_offsetof(struct tramp_params, crc_table) == 0x78, "tramp.inc P_CRC_TABLE");
_Static_assert(__builtin_offsetof(struct tramp_params, failed_op) == 0x80, "tramp.inc P_FAILED_OP");
_Static_assert(__builtin_offsetof(struct tramp_params, tsc_start) == 0x88, "tramp.inc P_TSC_START");
_Static_assert(__builtin_offsetof(struct tramp_params, tsc_copied) == 0x90, "tramp.inc P_TSC_COPIED");
_Static_assert(__builtin_offsetof(struct tramp_params, tsc_zeroed) == 0x98, "tramp.inc P_TSC_ZEROED");
_Static_assert(__builtin_offsetof(struct tramp_params, tsc_verified) == 0xA0,
               "tramp.inc P_TSC_VERIFIED");
_Static_assert(sizeof(struct tramp_params) <= PARAMS_GDT_OFFSET, "params overlap the GDT");
_Static_assert(PAGE_PARAMS * PAGE_SIZE == TRAMP_PARAMS_OFFSET, "tramp.h TRAMP_PARAMS_OFFSET");

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* The byte-at-a-time table the trampoline uses without SSE4.2. */
static void crc32c_byte_table(uint32_t *table)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (c & 1)));
        table[i] = c;
    }
}

static bool cpu_has_gb_pages(void)
{
    return cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_PDPE1GB;
}

static uint64_t table_pages(paddr_t max_addr)
{
    uint64_t pdpts = (max_addr + SIZE_512G - 1) / SIZE_512G;
    uint64_t pds = cpu_has_gb_pages() ? 0 : (max_addr + SIZE_1G - 1) / SIZE_1G;
    return 1 + pdpts + pds; /* PML4 + PDPTs + PDs */
}

uint64_t tramp_control_size(paddr_t max_addr)
{
    return (PAGE_TABLES + table_pages(max_addr)) * PAGE_SIZE;
}

/* Identity map of [0, max_addr) in the pages from `tables` on. */
static paddr_t build_tables(uint64_t *tables, paddr_t max_addr)
{
    bool gb = cpu_has_gb_pages();
    uint64_t *pml4 = tables;
    uint64_t *next = tables + 512;
    memset(tables, 0, table_pages(max_addr) * PAGE_SIZE);
    for (paddr_t a = 0; a < max_addr; a += SIZE_1G) {
        uint64_t *pml4e = &pml4[(a >> 39) & 511];
        if (!*pml4e) {
            *pml4e = (uintptr_t)next | PTE_PRESENT | PTE_WRITE;
            next += 512;
        }
        uint64_t *pdpt = (uint64_t *)(uintptr_t)(*pml4e & ~0xFFFull);
        if (gb) {
            pdpt[(a >> 30) & 511] = a | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
            continue;
        }
        uint64_t *pd = next;
        next += 512;
        pdpt[(a >> 30) & 511] = (uintptr_t)pd | PTE_PRESENT | PTE_WRITE;
        for (int i = 0; i < 512; i++)
            pd[i] = (a + i * SIZE_2M) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
    }
    return (uintptr_t)pml4;
}

struct tramp_params *tramp_prepare(paddr_t control, paddr_t max_addr, paddr_t ops)
{
    uint8_t *base = (uint8_t *)(uintptr_t)control;
    size_t code_size = (size_t)(tramp_blob_end - tramp_blob_start);
    memcpy(base + PAGE_CODE * PAGE_SIZE, tramp_blob_start, code_size);

    uint8_t *pp = base + PAGE_PARAMS * PAGE_SIZE;
    memset(pp, 0, PAGE_SIZE);
    struct tramp_params *p = (struct tramp_params *)pp;
    uint64_t *gdt = (uint64_t *)(pp + PARAMS_GDT_OFFSET);
    gdt[TRAMP_SEL_CODE64 / 8] = GDT_CODE64;
    gdt[TRAMP_SEL_DATA / 8] = GDT_DATA;
    gdt[TRAMP_SEL_CODE32 / 8] = GDT_CODE32;
    p->gdt_limit = TRAMP_SEL_CODE32 + 8 - 1;
    p->gdt_base = (uintptr_t)gdt;
    crc32c_byte_table((uint32_t *)(pp + PARAMS_CRC_OFFSET));
    p->crc_table = (uintptr_t)(pp + PARAMS_CRC_OFFSET);

    p->stack_top = control + (PAGE_STACK + 1) * PAGE_SIZE;
    p->cr3 = build_tables((uint64_t *)(base + PAGE_TABLES * PAGE_SIZE),
                          ALIGN_UP(max_addr, SIZE_1G));
    p->ops = ops;
    if (cpuid(CPUID_FEATURES, 0).ecx & CPUID_ECX_SSE42)
        p->flags |= TRAMP_FLAG_HW_CRC32C;
    return p;
}

void tramp_enter(paddr_t control, struct tramp_params *p)
{
    void (*code)(struct tramp_params *) = (void (*)(struct tramp_params *))(uintptr_t)control;
    code(p);
    __builtin_unreachable();
}
