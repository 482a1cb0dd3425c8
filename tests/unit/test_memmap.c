/* Unit tests of src/mm/memmap.c: the memory map's normalization (overlaps
 * resolved by rank, adjacency merged, the table's limit), checked by hand and
 * against a brute-force oracle, and the type names and totals.  Most go
 * through the bootinfo wrappers on bi->map, as the parsers and the handoff
 * builders do; test_plain_table calls memmap_* on a table of its own.
 * Clipping at the top of the address space is test_bootinfo.c's: the parsers
 * clip, the map only holds what they give it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm/memmap.h"
#include "parse/bootinfo.h"
#include "map_expect.h"

static struct bootinfo bi; /* 8 KiB: kept off the stack */

/* ---- normalization ------------------------------------------------------- */

static void map_reset(void) { memset(&bi, 0, sizeof(bi)); }

static void add(paddr_t start, paddr_t end, uint32_t type)
{
    assert_int_equal(bootinfo_add_region(&bi, start, end, type), HOP_OK);
}

static void test_norm_partial_overlap(void **state)
{
    (void)state;
    map_reset();
    add(0, 100, MEM_USABLE);
    add(50, 150, MEM_RESERVED);
    EXPECT_MAP(&bi, { 0, 50, MEM_USABLE }, { 50, 150, MEM_RESERVED });
    map_reset();
    add(50, 150, MEM_USABLE);
    add(0, 100, MEM_RESERVED);
    EXPECT_MAP(&bi, { 0, 100, MEM_RESERVED }, { 100, 150, MEM_USABLE });
}

static void test_norm_containment(void **state)
{
    (void)state;
    map_reset();
    add(0, 100, MEM_USABLE);
    add(40, 60, MEM_RESERVED);
    EXPECT_MAP(&bi, { 0, 40, MEM_USABLE }, { 40, 60, MEM_RESERVED }, { 60, 100, MEM_USABLE });
    /* the lesser type inside the greater disappears */
    map_reset();
    add(0, 100, MEM_RESERVED);
    add(40, 60, MEM_USABLE);
    EXPECT_MAP(&bi, { 0, 100, MEM_RESERVED });
    /* nested three deep */
    map_reset();
    add(0, 100, MEM_USABLE);
    add(10, 90, MEM_ACPI_NVS);
    add(20, 30, MEM_BAD);
    add(40, 50, MEM_ACPI_RECLAIM);
    EXPECT_MAP(&bi, { 0, 10, MEM_USABLE }, { 10, 20, MEM_ACPI_NVS }, { 20, 30, MEM_BAD },
               { 30, 90, MEM_ACPI_NVS }, { 90, 100, MEM_USABLE });
}

static void test_norm_adjacency(void **state)
{
    (void)state;
    map_reset();
    add(0, 10, MEM_USABLE);
    add(10, 20, MEM_USABLE);
    add(30, 40, MEM_USABLE); /* a gap: not merged */
    add(20, 25, MEM_RESERVED);
    EXPECT_MAP(&bi, { 0, 20, MEM_USABLE }, { 20, 25, MEM_RESERVED }, { 30, 40, MEM_USABLE });
    /* filling the gaps joins everything of one type */
    add(25, 30, MEM_RESERVED);
    add(20, 25, MEM_USABLE);
    EXPECT_MAP(&bi, { 0, 20, MEM_USABLE }, { 20, 30, MEM_RESERVED }, { 30, 40, MEM_USABLE });
}

static void test_norm_unsorted_and_identical(void **state)
{
    (void)state;
    map_reset();
    bi.map[0] = (struct mem_region){ 300, 400, MEM_USABLE };
    bi.map[1] = (struct mem_region){ 0, 100, MEM_USABLE };
    bi.map[2] = (struct mem_region){ 200, 300, MEM_RESERVED };
    bi.map[3] = (struct mem_region){ 0, 100, MEM_USABLE };
    bi.map[4] = (struct mem_region){ 300, 400, MEM_USABLE };
    bi.map[5] = (struct mem_region){ 100, 150, MEM_USABLE };
    bi.map_count = 6;
    assert_int_equal(bootinfo_normalize_map(&bi), HOP_OK);
    EXPECT_MAP(&bi, { 0, 150, MEM_USABLE }, { 200, 300, MEM_RESERVED }, { 300, 400, MEM_USABLE });
    /* normalizing a normalized map changes nothing */
    assert_int_equal(bootinfo_normalize_map(&bi), HOP_OK);
    EXPECT_MAP(&bi, { 0, 150, MEM_USABLE }, { 200, 300, MEM_RESERVED }, { 300, 400, MEM_USABLE });
}

static void test_norm_empty_entries(void **state)
{
    (void)state;
    map_reset();
    add(5, 5, MEM_BAD);   /* zero length */
    add(10, 5, MEM_BAD);  /* end before start */
    assert_int_equal(bi.map_count, 0);
    bi.map[0] = (struct mem_region){ 7, 7, MEM_RESERVED };
    bi.map[1] = (struct mem_region){ 0, 10, MEM_USABLE };
    bi.map[2] = (struct mem_region){ 9, 3, MEM_BAD };
    bi.map_count = 3;
    assert_int_equal(bootinfo_normalize_map(&bi), HOP_OK);
    EXPECT_MAP(&bi, { 0, 10, MEM_USABLE });
}

static void test_norm_type_ranking(void **state)
{
    (void)state;
    assert_true(mem_type_rank(MEM_USABLE) < mem_type_rank(MEM_ACPI_RECLAIM));
    assert_true(mem_type_rank(MEM_ACPI_RECLAIM) < mem_type_rank(MEM_PERSISTENT));
    assert_true(mem_type_rank(MEM_PERSISTENT) < mem_type_rank(MEM_ACPI_NVS));
    assert_true(mem_type_rank(MEM_ACPI_NVS) < mem_type_rank(MEM_RESERVED));
    assert_true(mem_type_rank(MEM_RESERVED) < mem_type_rank(MEM_BAD));
    assert_int_equal(mem_type_rank(6), mem_type_rank(MEM_RESERVED));
    assert_int_equal(mem_type_rank(0xdeadbeef), mem_type_rank(MEM_RESERVED));

    /* a staircase: each type covers [0, 10*k) and the higher one wins */
    static const uint32_t by_rank[] = { MEM_USABLE, MEM_ACPI_RECLAIM, MEM_PERSISTENT,
                                        MEM_ACPI_NVS, MEM_RESERVED, MEM_BAD };
    map_reset();
    for (int k = 0; k < 6; k++)
        add(0, 10 * (6 - k), by_rank[k]);
    EXPECT_MAP(&bi, { 0, 10, MEM_BAD }, { 10, 20, MEM_RESERVED }, { 20, 30, MEM_ACPI_NVS },
               { 30, 40, MEM_PERSISTENT }, { 40, 50, MEM_ACPI_RECLAIM }, { 50, 60, MEM_USABLE });
    /* unknown types are stored as reserved and merge with it */
    map_reset();
    add(0, 10, 99);
    add(10, 20, MEM_RESERVED);
    add(20, 30, 0);
    EXPECT_MAP(&bi, { 0, 30, MEM_RESERVED });
}

static void test_norm_table_overflow(void **state)
{
    (void)state;
    struct mem_region *saved = malloc(sizeof(bi.map));
    map_reset();
    for (paddr_t i = 0; i < BOOTINFO_MAX_REGIONS; i++)
        add(i * 0x100, i * 0x100 + 0x80, MEM_USABLE);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS);
    memcpy(saved, bi.map, sizeof(bi.map));

    /* one more disjoint region: no room, map untouched */
    assert_int_equal(bootinfo_add_region(&bi, 0x100000, 0x100010, MEM_USABLE), HOP_ERR_LIMIT);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS);
    assert_memory_equal(saved, bi.map, sizeof(bi.map));
    /* a split would make two more */
    assert_int_equal(bootinfo_add_region(&bi, 0x10, 0x20, MEM_RESERVED), HOP_ERR_LIMIT);
    assert_memory_equal(saved, bi.map, sizeof(bi.map));
    /* growing an entry, or bridging two, fits */
    add(0x80, 0x90, MEM_USABLE);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS);
    add(0x180, 0x200, MEM_USABLE);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS - 1);
    /* replacing a whole entry by another type fits */
    add(0x300, 0x380, MEM_BAD);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS - 1);

    /* a raw table whose resolution needs more than the table */
    map_reset();
    for (size_t i = 0; i < BOOTINFO_MAX_REGIONS / 2; i++) {
        bi.map[2 * i] = (struct mem_region){ i * 0x100, i * 0x100 + 0x80, MEM_USABLE };
        bi.map[2 * i + 1] = (struct mem_region){ i * 0x100 + 0x40, i * 0x100 + 0x50, MEM_BAD };
    }
    bi.map_count = BOOTINFO_MAX_REGIONS;
    memcpy(saved, bi.map, sizeof(bi.map));
    assert_int_equal(bootinfo_normalize_map(&bi), HOP_ERR_LIMIT);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS);
    assert_memory_equal(saved, bi.map, sizeof(bi.map));
    free(saved);
}

/* Random maps against a brute-force oracle, exhaustively over a small
 * address space (at 0 and at the top of the address space). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

#define ORACLE_SPAN 48

static void oracle_round(paddr_t base, bool raw)
{
    static const uint32_t types[] = { MEM_USABLE, MEM_RESERVED, MEM_ACPI_RECLAIM, MEM_ACPI_NVS,
                                      MEM_BAD, MEM_PERSISTENT, 0, 6, 1000 };
    int want[ORACLE_SPAN]; /* rank at base + i, -1 for none */
    size_t n = 1 + rng() % 24;
    map_reset();
    for (size_t i = 0; i < ORACLE_SPAN; i++)
        want[i] = -1;
    for (size_t i = 0; i < n; i++) {
        paddr_t a = rng() % (ORACLE_SPAN + 1), b = rng() % (ORACLE_SPAN + 1);
        uint32_t type = types[rng() % (sizeof(types) / sizeof(types[0]))];
        for (paddr_t p = a; p < b; p++)
            want[p] = MAX(want[p], mem_type_rank(type));
        if (raw)
            bi.map[bi.map_count++] = (struct mem_region){ base + a, base + b, type };
        else
            add(base + a, base + b, type);
    }
    if (raw)
        assert_int_equal(bootinfo_normalize_map(&bi), HOP_OK);
    for (size_t i = 0; i < bi.map_count; i++) {
        assert_true(bi.map[i].start < bi.map[i].end);
        assert_string_not_equal(mem_type_name(bi.map[i].type), "unknown");
        if (i > 0) {
            assert_true(bi.map[i - 1].end <= bi.map[i].start);
            assert_false(bi.map[i - 1].end == bi.map[i].start &&
                         bi.map[i - 1].type == bi.map[i].type);
        }
    }
    for (paddr_t p = 0; p < ORACLE_SPAN; p++) {
        int got = -1;
        for (size_t i = 0; i < bi.map_count; i++)
            if (bi.map[i].start <= base + p && base + p < bi.map[i].end)
                got = mem_type_rank(bi.map[i].type);
        assert_int_equal(got, want[p]);
    }
}

static void test_norm_random_against_oracle(void **state)
{
    (void)state;
    for (int round = 0; round < 3000; round++) {
        oracle_round(0, round & 1);
        oracle_round(UINT64_MAX - ORACLE_SPAN, round & 1);
    }
}

/* ---- names, totals, the plain-table interface ---------------------------- */

static void test_mem_type_name(void **state)
{
    (void)state;
    assert_string_equal(mem_type_name(MEM_USABLE), "usable");
    assert_string_equal(mem_type_name(MEM_RESERVED), "reserved");
    assert_string_equal(mem_type_name(MEM_ACPI_RECLAIM), "ACPI reclaimable");
    assert_string_equal(mem_type_name(MEM_ACPI_NVS), "ACPI NVS");
    assert_string_equal(mem_type_name(MEM_BAD), "bad");
    assert_string_equal(mem_type_name(MEM_PERSISTENT), "persistent");
    assert_string_equal(mem_type_name(6), "unknown");
}

static void test_total(void **state)
{
    (void)state;
    map_reset();
    add(0, 0x1000, MEM_USABLE);
    add(0x2000, 0x2800, MEM_USABLE);
    add(0x3000, 0x3100, MEM_ACPI_NVS);
    assert_int_equal(bootinfo_total(&bi, MEM_USABLE), 0x1800);
    assert_int_equal(bootinfo_total(&bi, MEM_ACPI_NVS), 0x100);
    assert_int_equal(bootinfo_total(&bi, MEM_BAD), 0);
}

static void test_plain_table(void **state)
{
    (void)state;
    static struct mem_region map[MEMMAP_MAX_REGIONS];
    size_t count = 0;
    assert_int_equal(memmap_add(map, &count, 0x1000, 0x9000, MEM_USABLE), HOP_OK);
    assert_int_equal(memmap_add(map, &count, 0x4000, 0x5000, 6), HOP_OK); /* unknown */
    assert_int_equal(memmap_add(map, &count, 0x9000, 0x9000, MEM_BAD), HOP_OK); /* empty */
    assert_int_equal(count, 3);
    assert_int_equal(map[1].start, 0x4000);
    assert_int_equal(map[1].type, MEM_RESERVED);
    map[count++] = (struct mem_region){ 0x9000, 0xa000, MEM_USABLE };
    assert_int_equal(memmap_normalize(map, &count), HOP_OK);
    assert_int_equal(count, 3);
    assert_int_equal(map[2].end, 0xa000);
    assert_int_equal(memmap_total(map, count, MEM_USABLE), 0x8000);
    assert_int_equal(mem_type_canonical(MEM_PERSISTENT), MEM_PERSISTENT);
    assert_int_equal(mem_type_canonical(12), MEM_RESERVED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_partial_overlap),
        cmocka_unit_test(test_norm_containment),
        cmocka_unit_test(test_norm_adjacency),
        cmocka_unit_test(test_norm_unsorted_and_identical),
        cmocka_unit_test(test_norm_empty_entries),
        cmocka_unit_test(test_norm_type_ranking),
        cmocka_unit_test(test_norm_table_overflow),
        cmocka_unit_test(test_norm_random_against_oracle),
        cmocka_unit_test(test_mem_type_name),
        cmocka_unit_test(test_total),
        cmocka_unit_test(test_plain_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
