/* Unit tests of physmem (src/mm/physmem.c): the allocator's search, the
 * collision callback it shares, and giving back what a boot attempt took
 * (physmem_mark / physmem_rollback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mm/physmem.h"

#define MiB 0x100000ull
#define RAM_END (64 * MiB)

static struct bootinfo bi;
static struct physmem pm;
static struct hop_error err;

/* Low memory, the BIOS hole, RAM up to RAM_END with ACPI tables at 32 MiB. */
static int setup(void **state)
{
    (void)state;
    memset(&bi, 0, sizeof(bi));
    bi.map[bi.map_count++] = (struct mem_region){ 0, 0x9f000, MEM_USABLE };
    bi.map[bi.map_count++] = (struct mem_region){ 0x9f000, MiB, MEM_RESERVED };
    bi.map[bi.map_count++] = (struct mem_region){ MiB, 32 * MiB, MEM_USABLE };
    bi.map[bi.map_count++] = (struct mem_region){ 32 * MiB, 33 * MiB, MEM_ACPI_RECLAIM };
    bi.map[bi.map_count++] = (struct mem_region){ 33 * MiB, RAM_END, MEM_USABLE };
    physmem_init(&pm, &bi);
    memset(&err, 0, sizeof(err));
    return 0;
}

static paddr_t alloc(uint64_t size, uint64_t align, paddr_t limit)
{
    paddr_t at = 0;
    if (physmem_alloc(&pm, size, align, limit, "test", &at, &err) != HOP_OK)
        fail_msg("physmem_alloc 0x%llx: %s", (unsigned long long)size, err.msg);
    return at;
}

static void test_alloc_top_down(void **state)
{
    (void)state;
    assert_int_equal(alloc(0x1000, 0x1000, UINT64_MAX), RAM_END - 0x1000);
    assert_int_equal(alloc(0x1000, 0x1000, UINT64_MAX), RAM_END - 0x2000);
    assert_int_equal(alloc(0x10, 0x10, UINT64_MAX), RAM_END - 0x2010);
    assert_int_equal(pm.allocated, 0x2010);
    /* below a limit inside the ACPI tables: the region under them */
    assert_int_equal(alloc(0x1000, 0x1000, 32 * MiB + 0x8000), 32 * MiB - 0x1000);
    /* never below 1 MiB, even with room there */
    paddr_t at;
    assert_int_equal(physmem_alloc(&pm, 0x1000, 0x1000, MiB, "low", &at, &err), HOP_ERR_NOMEM);
    assert_non_null(strstr(err.msg, "allocating low: no free 0x1000 bytes below 0x100000"));
    assert_int_equal(physmem_alloc(&pm, 0, 0x1000, UINT64_MAX, "zero", &at, &err),
                     HOP_ERR_INVALID);
    assert_int_equal(physmem_alloc(&pm, 0x1000, 0x3000, UINT64_MAX, "odd", &at, &err),
                     HOP_ERR_INVALID);
}

static void test_alloc_avoids_live(void **state)
{
    (void)state;
    assert_int_equal(physmem_reserve(&pm, RAM_END - 0x3000, RAM_END, "module"), HOP_OK);
    assert_int_equal(physmem_reserve(&pm, 33 * MiB, RAM_END - 0x4800, "ramdisk"), HOP_OK);
    /* the 0x1800 bytes between them hold one aligned page, not two */
    assert_int_equal(alloc(0x1000, 0x1000, UINT64_MAX), RAM_END - 0x4000);
    assert_int_equal(alloc(0x1000, 0x1000, UINT64_MAX), 32 * MiB - 0x1000);
    assert_true(physmem_is_free(&pm, 2 * MiB, 3 * MiB));
    assert_false(physmem_is_free(&pm, 32 * MiB - 0x1000, 32 * MiB));
}

static void test_live_hit(void **state)
{
    (void)state;
    struct fit_range hit = { 0, 0 };
    assert_int_equal(physmem_reserve(&pm, 2 * MiB, 3 * MiB, "a"), HOP_OK);
    assert_false(physmem_live_hit(&pm, MiB, 2 * MiB, &hit));
    assert_true(physmem_live_hit(&pm, 3 * MiB - 1, 4 * MiB, &hit));
    assert_int_equal(hit.start, 2 * MiB);
    assert_int_equal(hit.end, 3 * MiB);
}

static void test_rollback(void **state)
{
    (void)state;
    assert_int_equal(physmem_reserve(&pm, 2 * MiB, 3 * MiB, "hop"), HOP_OK);
    paddr_t before = alloc(0x1000, 0x1000, UINT64_MAX);
    struct physmem_mark mark = physmem_mark(&pm);
    size_t live = pm.live_count;
    uint64_t allocated = pm.allocated;

    /* an attempt: allocations, a reservation, a scratch buffer it released */
    paddr_t a = alloc(0x4000, 0x1000, UINT64_MAX);
    paddr_t scratch = alloc(0x2000, 0x1000, UINT64_MAX);
    assert_int_equal(physmem_reserve(&pm, 4 * MiB, 5 * MiB, "table"), HOP_OK);
    assert_int_equal(physmem_release(&pm, scratch, scratch + 0x2000), HOP_OK);
    assert_false(physmem_is_free(&pm, a, a + 0x4000));

    physmem_rollback(&pm, mark);
    assert_int_equal(pm.live_count, live);
    assert_int_equal(pm.allocated, allocated);
    assert_true(physmem_is_free(&pm, a, a + 0x4000));
    assert_true(physmem_is_free(&pm, 4 * MiB, 5 * MiB));
    assert_false(physmem_is_free(&pm, before, before + 0x1000));
    assert_false(physmem_is_free(&pm, 2 * MiB, 3 * MiB));
    /* the next attempt gets the same memory */
    assert_int_equal(alloc(0x4000, 0x1000, UINT64_MAX), a);
}

static void test_rollback_nested(void **state)
{
    (void)state;
    struct physmem_mark outer = physmem_mark(&pm);
    paddr_t a = alloc(0x1000, 0x1000, UINT64_MAX);
    struct physmem_mark inner = physmem_mark(&pm);
    paddr_t b = alloc(0x1000, 0x1000, UINT64_MAX);
    physmem_rollback(&pm, inner);
    assert_true(physmem_is_free(&pm, b, b + 0x1000));
    assert_false(physmem_is_free(&pm, a, a + 0x1000));
    assert_int_equal(pm.allocated, 0x1000);
    physmem_rollback(&pm, inner); /* twice: nothing more to give back */
    assert_int_equal(pm.allocated, 0x1000);
    physmem_rollback(&pm, outer);
    assert_true(physmem_is_free(&pm, a, a + 0x1000));
    assert_int_equal(pm.live_count, 0);
    assert_int_equal(pm.allocated, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alloc_top_down, setup),
        cmocka_unit_test_setup(test_alloc_avoids_live, setup),
        cmocka_unit_test_setup(test_live_hit, setup),
        cmocka_unit_test_setup(test_rollback, setup),
        cmocka_unit_test_setup(test_rollback_nested, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
