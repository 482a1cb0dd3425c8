/* libFuzzer target for the boot information parsers (src/parse/bootinfo.c,
 * bootinfo_mb2.c, bootinfo_mb1.c) and the map normalization they use
 * (src/mm/memmap.c).
 *
 * The input is an 8-byte header followed by a simulated physical memory:
 *
 *   byte 0     bits 0-1: what to run
 *                0  multiboot2 parse of the block at the info offset
 *                1  multiboot1 parse of the structure at the info offset
 *                2  parse with the magic taken from bytes 4-7 (mostly unknown)
 *                3  memory map normalization against a brute-force oracle
 *              bit 2: the memory ends at the top of the address space (2^64)
 *                     instead of starting at the base in bytes 4-7
 *              bit 3: (mode 3) write the regions raw and normalize once,
 *                     instead of adding them one by one
 *   bytes 1-3  offset of the info block in the memory (little-endian)
 *   bytes 4-7  base address of the memory (little-endian)
 *   bytes 8-   the memory
 *
 * Every map hands out a fresh heap copy of exactly the range asked for, so
 * AddressSanitizer catches a read beyond any view, not only beyond the whole
 * input.  After a successful parse the result's promises are checked: a
 * normalized map, bounded modules, terminated strings, readable blobs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/bootinfo.h"

enum fuzz_mode { MODE_MB2, MODE_MB1, MODE_MAGIC, MODE_NORMALIZE };

#define MODE_MASK 3u
#define FLAG_TOP_OF_MEMORY 4u
#define FLAG_RAW_MAP 8u
#define HEADER_SIZE 8
#define MAX_VIEWS 8192

struct fuzz_memory {
    paddr_t base;
    const uint8_t *bytes;
    size_t size;
    void *views[MAX_VIEWS];
    size_t nviews;
};

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

static void fuzz_memory_release(struct fuzz_memory *m)
{
    for (size_t i = 0; i < m->nviews; i++)
        free(m->views[i]);
    m->nviews = 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool type_is_canonical(uint32_t type)
{
    return type == MEM_USABLE || type == MEM_RESERVED || type == MEM_ACPI_RECLAIM ||
           type == MEM_ACPI_NVS || type == MEM_BAD || type == MEM_PERSISTENT;
}

/* Sorted, disjoint, non-empty, merged, canonical types. */
static void check_map(const struct bootinfo *bi)
{
    if (bi->map_count > BOOTINFO_MAX_REGIONS)
        abort();
    for (size_t i = 0; i < bi->map_count; i++) {
        const struct mem_region *r = &bi->map[i];
        if (r->start >= r->end || !type_is_canonical(r->type))
            abort();
        if (i > 0 && (bi->map[i - 1].end > r->start ||
                      (bi->map[i - 1].end == r->start && bi->map[i - 1].type == r->type)))
            abort();
    }
}

/* Reads every byte of a blob so ASan sees any that lie outside a view. */
static void touch(const void *p, size_t len)
{
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < len; i++)
        sink ^= ((const uint8_t *)p)[i];
    (void)sink;
}

/* A module must be found by its own first word (unless that is empty, or
 * only a '/'): by itself or by an earlier module with the same word. */
static void check_findable(const struct bootinfo *bi, const char *cmdline)
{
    char word[256];
    size_t n = 0;
    while (cmdline[n] && cmdline[n] != ' ' && cmdline[n] != '\t') {
        if (n + 1 == sizeof(word))
            return; /* too long to bother */
        word[n] = cmdline[n];
        n++;
    }
    word[n] = 0;
    if (n == 0 || (n == 1 && word[0] == '/'))
        return;
    if (!bootinfo_find_module(bi, word))
        abort();
}

static void check_bootinfo(const struct bootinfo *bi)
{
    check_map(bi);
    if (!bi->cmdline || !bi->loader_name || bi->module_count > BOOTINFO_MAX_MODULES)
        abort();
    touch(bi->cmdline, strlen(bi->cmdline));
    touch(bi->loader_name, strlen(bi->loader_name));
    for (size_t i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        if (!m->cmdline || m->end < m->start)
            abort();
        touch(m->cmdline, strlen(m->cmdline));
        check_findable(bi, m->cmdline);
    }
    if (bi->rsdp_v1)
        touch(bi->rsdp_v1, bi->rsdp_v1_len);
    if (bi->rsdp_v2)
        touch(bi->rsdp_v2, bi->rsdp_v2_len);
    if (bi->smbios)
        touch(bi->smbios, bi->smbios_len);
    if (bi->efi_mmap) {
        if (bi->efi_desc_size < 40 || bi->efi_mmap_size % bi->efi_desc_size)
            abort();
        touch(bi->efi_mmap, bi->efi_mmap_size);
    }
    for (uint32_t t = 0; t < 8; t++)
        (void)bootinfo_total(bi, t);
}

/* ---- mode 3: normalization against an oracle ---------------------------- */

/* A record: u64 start, u64 end, u8 kind.  kind bits 0-3 pick a type (some
 * unknown); bit 4 makes start and end small (their low 16 bits, moved to the
 * top of the address space with FLAG_TOP_OF_MEMORY) so that regions overlap
 * often. */
#define RECORD_SIZE 17
#define MAX_RECORDS 300
#define KIND_SMALL 0x10u

static const uint32_t fuzz_types[] = { MEM_USABLE, MEM_RESERVED, MEM_ACPI_RECLAIM,
                                       MEM_ACPI_NVS, MEM_BAD, MEM_PERSISTENT, 0, 6, 99 };

static struct mem_region record_region(const uint8_t *rec, bool top)
{
    paddr_t start = le64(rec), end = le64(rec + 8);
    uint8_t kind = rec[16];
    if (kind & KIND_SMALL) {
        paddr_t base = top ? UINT64_MAX - 0xffff : 0;
        start = base + (start & 0xffff);
        end = base + (end & 0xffff);
    }
    return (struct mem_region){ start, end, fuzz_types[(kind & 0xf) % 9] };
}

/* The highest rank among regions covering p, or -1; and the map's answer. */
static int oracle_rank(const struct mem_region *raw, size_t n, paddr_t p)
{
    int rank = -1;
    for (size_t i = 0; i < n; i++)
        if (raw[i].start <= p && p < raw[i].end && mem_type_rank(raw[i].type) > rank)
            rank = mem_type_rank(raw[i].type);
    return rank;
}

static int map_rank(const struct bootinfo *bi, paddr_t p)
{
    for (size_t i = 0; i < bi->map_count; i++)
        if (bi->map[i].start <= p && p < bi->map[i].end)
            return mem_type_rank(bi->map[i].type);
    return -1;
}

static void check_point(const struct bootinfo *bi, const struct mem_region *raw, size_t n,
                        paddr_t p)
{
    if (oracle_rank(raw, n, p) != map_rank(bi, p))
        abort();
}

/* Types are constant between boundaries, so checking at and next to every
 * boundary checks every address. */
static void check_against_oracle(const struct bootinfo *bi, const struct mem_region *raw,
                                 size_t n)
{
    check_map(bi);
    for (size_t i = 0; i < n; i++) {
        if (raw[i].start >= raw[i].end)
            continue;
        check_point(bi, raw, n, raw[i].start);
        check_point(bi, raw, n, raw[i].end - 1);
    }
    for (size_t i = 0; i < bi->map_count; i++) {
        const struct mem_region *r = &bi->map[i];
        check_point(bi, raw, n, r->start);
        check_point(bi, raw, n, r->end - 1);
        if (r->start > 0)
            check_point(bi, raw, n, r->start - 1);
        check_point(bi, raw, n, r->end);
    }
}

static struct bootinfo bi, saved;
static struct mem_region raw[MAX_RECORDS];

static void fuzz_normalize(const uint8_t *mem, size_t size, uint8_t flags)
{
    size_t count = MIN(size / RECORD_SIZE, (size_t)MAX_RECORDS), accepted = 0;
    bool top = flags & FLAG_TOP_OF_MEMORY;
    memset(&bi, 0, sizeof(bi));
    if (flags & FLAG_RAW_MAP) {
        count = MIN(count, (size_t)BOOTINFO_MAX_REGIONS);
        for (size_t i = 0; i < count; i++)
            raw[i] = bi.map[i] = record_region(mem + i * RECORD_SIZE, top);
        bi.map_count = count;
        saved = bi;
        int rc = bootinfo_normalize_map(&bi);
        if (rc == HOP_ERR_LIMIT && memcmp(&bi, &saved, sizeof(bi)) == 0)
            return;
        if (rc != HOP_OK)
            abort();
        check_against_oracle(&bi, raw, count);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        struct mem_region r = record_region(mem + i * RECORD_SIZE, top);
        saved = bi;
        int rc = bootinfo_add_region(&bi, r.start, r.end, r.type);
        if (rc == HOP_ERR_LIMIT) {
            if (memcmp(&bi, &saved, sizeof(bi)) != 0)
                abort(); /* a failed add must leave the map alone */
            continue;
        }
        if (rc != HOP_OK)
            abort();
        raw[accepted++] = r;
    }
    check_against_oracle(&bi, raw, accepted);
}

/* ---- modes 0-2: parsing ------------------------------------------------- */

static struct fuzz_memory memory;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_SIZE)
        return 0;
    uint8_t flags = data[0];
    size_t info_off = data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16;
    memory.bytes = data + HEADER_SIZE;
    memory.size = size - HEADER_SIZE;
    memory.base = (flags & FLAG_TOP_OF_MEMORY) ? (paddr_t)0 - memory.size : le32(data + 4);

    uint32_t magic;
    switch (flags & MODE_MASK) {
    case MODE_MB2: magic = MB2_BOOTLOADER_MAGIC; break;
    case MODE_MB1: magic = MB1_BOOTLOADER_MAGIC; break;
    case MODE_MAGIC: magic = le32(data + 4); break;
    default:
        fuzz_normalize(memory.bytes, memory.size, flags);
        return 0;
    }

    struct phys_access pa = { .map = fuzz_map, .ctx = &memory };
    struct hop_error err = { 0 };
    int rc = bootinfo_parse(&bi, magic, memory.base + info_off, &pa, &err);
    if (rc == HOP_OK)
        check_bootinfo(&bi);
    else if (rc > 0 || err.msg[0] == 0 || strlen(err.msg) >= sizeof(err.msg))
        abort(); /* every failure says why */
    fuzz_memory_release(&memory);
    return 0;
}
