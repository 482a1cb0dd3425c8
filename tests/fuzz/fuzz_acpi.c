/* libFuzzer target for src/parse/acpi.c.
 *
 * The input is an 8-byte header followed by a simulated physical memory:
 *
 *   bytes 0-3  base address of the memory (little-endian; the tables'
 *              addresses point into it)
 *   byte 4     bit 0: find the RSDP by scanning the whole memory
 *                     (acpi_rsdp_find) and parse a view of it; otherwise
 *                     the memory's first bytes are the RSDP copy (as a
 *                     multiboot2 tag gives it), 36 or fewer when short
 *   bytes 5-7  unused
 *   bytes 8-   the memory
 *
 * Every map hands out a fresh heap copy of exactly the range asked for, so
 * AddressSanitizer catches a read beyond any view.  After the parse the
 * result's promises are checked: counts within their tables, every problem
 * and error message non-empty and terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/acpi.h"

#define HEADER_SIZE 8
#define FLAG_SCAN 1u
#define RSDP_COPY_LEN 36
#define MAX_VIEWS 8192

struct fuzz_memory {
    paddr_t base;
    const uint8_t *bytes;
    size_t size;
    void *views[MAX_VIEWS];
    size_t nviews;
};

static struct fuzz_memory memory;
static struct acpi_info info;

static const void *fuzz_map(void *ctx, paddr_t addr, size_t len)
{
    struct fuzz_memory *m = ctx;
    if (addr < m->base || m->nviews == MAX_VIEWS)
        return NULL;
    paddr_t off = addr - m->base;
    if (off > m->size || len > m->size - off)
        return NULL;
    uint8_t *view = malloc(len ? len : 1);
    if (!view)
        abort();
    memcpy(view, m->bytes + off, len);
    m->views[m->nviews++] = view;
    return view;
}

static void check_message(const struct hop_error *e)
{
    if (e->code >= 0 || e->msg[0] == 0 || strnlen(e->msg, sizeof(e->msg)) == sizeof(e->msg))
        abort();
}

static void check_info(void)
{
    if (info.ioapic_count > ACPI_MAX_IOAPICS || info.override_count > ACPI_MAX_OVERRIDES ||
        info.ecam_count > ACPI_MAX_ECAM || info.dmar_count > ACPI_MAX_IOMMUS ||
        info.ivrs_count > ACPI_MAX_IOMMUS || info.hpet_count > ACPI_MAX_HPETS ||
        info.problem_count > ACPI_MAX_PROBLEMS || !info.root_name)
        abort();
    if (info.problems_dropped && info.problem_count != ACPI_MAX_PROBLEMS)
        abort();
    for (size_t i = 0; i < info.problem_count; i++)
        check_message(&info.problems[i]);
    for (size_t i = 0; i < info.ecam_count; i++)
        if (info.ecam[i].bus_end < info.ecam[i].bus_start || !info.ecam[i].base)
            abort();
    for (size_t i = 0; i < info.ivrs_count; i++)
        for (size_t j = 0; j < i; j++)
            if (info.ivrs[i].base == info.ivrs[j].base)
                abort(); /* one entry per IOMMU */
    for (uint8_t irq = 0; irq < 16; irq++) {
        uint16_t flags;
        (void)acpi_isa_gsi(&info, irq, &flags);
    }
}

static void release_views(void)
{
    for (size_t i = 0; i < memory.nviews; i++)
        free(memory.views[i]);
    memory.nviews = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_SIZE)
        return 0;
    memory.base = (paddr_t)data[0] | (paddr_t)data[1] << 8 | (paddr_t)data[2] << 16 |
                  (paddr_t)data[3] << 24;
    memory.bytes = data + HEADER_SIZE;
    memory.size = size - HEADER_SIZE;
    struct phys_access pa = { .map = fuzz_map, .ctx = &memory };

    const void *rsdp = memory.bytes;
    size_t rsdp_len = memory.size < RSDP_COPY_LEN ? memory.size : RSDP_COPY_LEN;
    if (data[4] & FLAG_SCAN) {
        paddr_t at = acpi_rsdp_find(&pa, memory.base, memory.size);
        if (!at)
            goto out;
        if (at < memory.base || at % 16 || at - memory.base > memory.size)
            abort();
        rsdp_len = MIN((size_t)RSDP_COPY_LEN, (size_t)(memory.size - (at - memory.base)));
        rsdp = fuzz_map(&memory, at, rsdp_len);
    }
    struct hop_error err = { 0 };
    if (acpi_parse(&info, rsdp, rsdp_len, &pa, &err) == HOP_OK)
        check_info();
    else
        check_message(&err);
out:
    release_views();
    return 0;
}
