/* Unit tests of the first-fit search (src/mm/fit.c): fixed cases at the
 * edges, near 2^64, and random windows checked against an exhaustive
 * search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mm/fit.h"

#define BUSY_MAX 64
#define TOP UINT64_MAX
#define RANDOM_ROUNDS 20000
#define RANDOM_SPACE 512 /* random windows and ranges lie in [0, RANDOM_SPACE) */

/* Busy ranges for the collision callback, and how often it was asked. */
struct busy {
    struct fit_range r[BUSY_MAX];
    size_t count;
    size_t calls;
};

static bool overlaps(const struct fit_range *r, paddr_t start, paddr_t end)
{
    return r->start < end && start < r->end;
}

/* Reports the first busy range it meets, as physmem does. */
static bool busy_hit(const void *ctx, paddr_t start, paddr_t end, struct fit_range *hit)
{
    struct busy *b = (struct busy *)ctx;
    b->calls++;
    for (size_t i = 0; i < b->count; i++)
        if (overlaps(&b->r[i], start, end)) {
            *hit = b->r[i];
            return true;
        }
    return false;
}

/* A faulty callback: reports a range *ctx bytes away from the candidate,
 * overlapping nothing. */
static bool wrong_hit(const void *ctx, paddr_t start, paddr_t end, struct fit_range *hit)
{
    int64_t away = *(const int64_t *)ctx;
    (void)end;
    *hit = (struct fit_range){ start + (uint64_t)away, start + (uint64_t)away + 0x1000 };
    return true;
}

static void busy_add(struct busy *b, paddr_t start, paddr_t end)
{
    assert_true(b->count < BUSY_MAX);
    b->r[b->count++] = (struct fit_range){ start, end };
}

static bool find(struct busy *b, paddr_t lo, paddr_t end, uint64_t size, uint64_t align,
                 bool down, paddr_t *base)
{
    struct fit_req req = { lo, end, size, align, down };
    return fit_find(&req, b ? busy_hit : NULL, b, base);
}

static void expect_base(struct busy *b, paddr_t lo, paddr_t end, uint64_t size, uint64_t align,
                        bool down, paddr_t want)
{
    paddr_t base = 0xdead;
    if (!find(b, lo, end, size, align, down, &base))
        fail_msg("no base in [0x%llx, 0x%llx) for 0x%llx aligned 0x%llx %s, want 0x%llx",
                 (unsigned long long)lo, (unsigned long long)end, (unsigned long long)size,
                 (unsigned long long)align, down ? "down" : "up", (unsigned long long)want);
    assert_int_equal(base, want);
}

static void expect_none(struct busy *b, paddr_t lo, paddr_t end, uint64_t size, uint64_t align,
                        bool down)
{
    paddr_t base = 0xdead;
    assert_false(find(b, lo, end, size, align, down, &base));
    assert_int_equal(base, 0xdead); /* untouched */
}

static void test_nothing_busy(void **state)
{
    (void)state;
    expect_base(NULL, 0x1000, 0x9000, 0x2000, 0x1000, false, 0x1000);
    expect_base(NULL, 0x1000, 0x9000, 0x2000, 0x1000, true, 0x7000);
    expect_base(NULL, 0x1000, 0x3000, 0x2000, 0x1000, true, 0x1000); /* exactly the window */
    expect_none(NULL, 0x1000, 0x2fff, 0x2000, 0x1000, false);
    expect_none(NULL, 0x3000, 0x1000, 0x10, 1, false); /* end below lo */
    struct busy none = { 0 };
    expect_base(&none, 0x1000, 0x9000, 0x2000, 0x1000, true, 0x7000);
    assert_int_equal(none.calls, 1);
}

static void test_unaligned_window(void **state)
{
    (void)state;
    /* lo rounds up, end - size rounds down */
    expect_base(NULL, 0x1001, 0x9fff, 0x1000, 0x1000, false, 0x2000);
    expect_base(NULL, 0x1001, 0x9fff, 0x1000, 0x1000, true, 0x8000);
    expect_none(NULL, 0x1001, 0x2fff, 0x1000, 0x1000, false); /* 0x2000 would end at 0x3000 */
    expect_none(NULL, 0x1001, 0x2fff, 0x1000, 0x1000, true);
    /* align 0 means 1; odd sizes and bounds stay exact */
    expect_base(NULL, 0x1003, 0x1010, 0xd, 0, false, 0x1003);
    expect_base(NULL, 0x1003, 0x1010, 0xd, 0, true, 0x1003);
    expect_base(NULL, 0x1003, 0x1011, 0xd, 1, true, 0x1004);
}

static void test_bad_alignment(void **state)
{
    (void)state;
    expect_none(NULL, 0, 0x10000, 0x100, 0x300, false);
    expect_none(NULL, 0, 0x10000, 0x100, 0x300, true);
}

/* A busy range over each end of the window: going up the search starts past
 * the low one, going down below the high one. */
static void test_collisions_at_edges(void **state)
{
    (void)state;
    struct busy b = { 0 };
    busy_add(&b, 0x0, 0x1800);
    busy_add(&b, 0x4800, 0x6000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, false, 0x2000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, true, 0x3000);
    /* ranges exactly at the window's edges touch nothing */
    b.count = 0;
    busy_add(&b, 0x0, 0x1000);
    busy_add(&b, 0x5000, 0x6000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, false, 0x1000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, true, 0x4000);
    /* a hole exactly the size, between two ranges */
    b.count = 0;
    busy_add(&b, 0x1000, 0x3000);
    busy_add(&b, 0x4000, 0x5000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, false, 0x3000);
    expect_base(&b, 0x1000, 0x5000, 0x1000, 0x1000, true, 0x3000);
    expect_none(&b, 0x1000, 0x5000, 0x1001, 1, false);
    expect_none(&b, 0x1000, 0x5000, 0x1001, 1, true);
}

static void test_all_busy(void **state)
{
    (void)state;
    struct busy b = { 0 };
    busy_add(&b, 0x800, 0x6000);
    expect_none(&b, 0x1000, 0x5000, 0x10, 0x10, false);
    expect_none(&b, 0x1000, 0x5000, 0x10, 0x10, true);
    /* going down, a range starting below size leaves nothing beneath it */
    b.count = 0;
    busy_add(&b, 0x10, 0x2000);
    expect_none(&b, 0, 0x2000, 0x100, 1, true);
}

/* Each collision skips the whole range: one call per range met, not per
 * candidate. */
static void test_steps_past_ranges(void **state)
{
    (void)state;
    struct busy b = { 0 };
    for (size_t i = 0; i < 32; i++)
        busy_add(&b, 0x10000 * i + 0x100, 0x10000 * (i + 1) - 0x100);
    expect_base(&b, 0, 32 * 0x10000, 0x100, 1, false, 0);
    b.calls = 0;
    expect_base(&b, 0, 32 * 0x10000, 0x200, 1, false, 0x10000 - 0x100);
    assert_int_equal(b.calls, 2);
    b.calls = 0;
    expect_base(&b, 0x100, 32 * 0x10000 - 0x100, 0x200, 1, true, 31 * 0x10000 - 0x100);
    assert_int_equal(b.calls, 2);
    b.calls = 0;
    expect_none(&b, 0x100, 32 * 0x10000 - 0x100, 0x201, 1, true);
    assert_int_equal(b.calls, 32);
}

/* Size 0: any base in [lo, end] fits unless a range strictly contains it. */
static void test_size_zero(void **state)
{
    (void)state;
    struct busy b = { 0 };
    expect_base(NULL, 0x1000, 0x1000, 0, 1, false, 0x1000);
    expect_base(NULL, 0x1000, 0x2000, 0, 0x1000, true, 0x2000);
    busy_add(&b, 0x1000, 0x2000); /* [0x1000, 0x1000) does not touch it */
    expect_base(&b, 0x1000, 0x3000, 0, 1, false, 0x1000);
    expect_base(&b, 0x1001, 0x3000, 0, 1, false, 0x2000);
    expect_base(&b, 0x0, 0x1fff, 0, 1, true, 0x1000);
    expect_none(&b, 0x1001, 0x1fff, 0, 1, false);
    expect_none(&b, 0x1001, 0x1fff, 0, 1, true);
}

/* Near 2^64 rounding up must not wrap, nor stepping past a range that ends
 * at the top. */
static void test_near_top(void **state)
{
    (void)state;
    struct busy b = { 0 };
    expect_base(NULL, TOP - 0x2fff, TOP, 0x1000, 0x1000, false, TOP - 0x2fff);
    expect_base(NULL, TOP - 0x2fff, TOP, 0x1000, 0x1000, true, TOP - 0x1fff);
    expect_none(NULL, TOP - 5, TOP, 0, 0x1000, false); /* rounding lo up wraps */
    expect_none(NULL, TOP - 5, TOP, 0, 0x1000, true);
    expect_base(NULL, TOP - 5, TOP, 0, 1, false, TOP - 5);
    expect_base(NULL, TOP - 5, TOP, 0, 1, true, TOP);
    expect_base(NULL, 0, TOP, TOP, 1, true, 0);
    expect_none(NULL, 1, TOP, TOP, 1, false);
    busy_add(&b, TOP - 0x2fff, TOP);
    expect_none(&b, TOP - 0x2fff, TOP, 0x1000, 0x1000, false);
    expect_none(&b, TOP - 0x2fff, TOP, 0x1000, 0x1000, true);
    expect_base(&b, 0, TOP, 0x4000, 0x1000, false, 0);
    expect_base(&b, 0, TOP, 0x4000, 0x1000, true, TOP - 0x6fff);
    b.count = 0;
    busy_add(&b, 0, TOP); /* everything: stepping up lands on TOP itself */
    expect_none(&b, 0, TOP, 1, 1, false);
    expect_none(&b, 0, TOP, 1, 1, true);
}

/* A callback reporting a range the candidate does not overlap would make
 * the search go nowhere: it stops instead of looping. */
static void test_faulty_callback(void **state)
{
    (void)state;
    static const int64_t aways[] = { -0x3000, 0x3000 };
    paddr_t base;
    for (size_t i = 0; i < sizeof(aways) / sizeof(aways[0]); i++) {
        struct fit_req up = { 0x10000, 0x100000, 0x1000, 0x1000, false };
        struct fit_req down = { 0x10000, 0x100000, 0x1000, 0x1000, true };
        assert_false(fit_find(&up, wrong_hit, &aways[i], &base));
        assert_false(fit_find(&down, wrong_hit, &aways[i], &base));
    }
}

/* --- random windows against an exhaustive search -------------------------- */

static uint64_t rand_next(uint64_t *state) /* splitmix64 */
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rand_below(uint64_t *state, uint64_t n)
{
    return rand_next(state) % n;
}

/* Reports the hull of every range it meets (kimage's way). */
static bool busy_hull(const void *ctx, paddr_t start, paddr_t end, struct fit_range *hit)
{
    const struct busy *b = ctx;
    bool any = false;
    for (size_t i = 0; i < b->count; i++) {
        if (!overlaps(&b->r[i], start, end))
            continue;
        *hit = any ? (struct fit_range){ MIN(hit->start, b->r[i].start),
                                         MAX(hit->end, b->r[i].end) }
                   : b->r[i];
        any = true;
    }
    return any;
}

static bool exhaustive(const struct busy *b, const struct fit_req *req, paddr_t *base)
{
    uint64_t align = req->align ? req->align : 1;
    bool found = false;
    for (paddr_t cand = 0; cand <= RANDOM_SPACE; cand++) {
        bool busy = false;
        if (cand % align || cand < req->lo || cand + req->size > req->end)
            continue;
        for (size_t i = 0; i < b->count && !busy; i++)
            busy = overlaps(&b->r[i], cand, cand + req->size);
        if (!busy && (!found || req->down)) {
            *base = cand;
            found = true;
        }
    }
    return found;
}

static void test_random_windows(void **state)
{
    (void)state;
    uint64_t seed = 1;
    for (int round = 0; round < RANDOM_ROUNDS; round++) {
        struct busy b = { 0 };
        size_t n = (size_t)rand_below(&seed, 9);
        for (size_t i = 0; i < n; i++) {
            paddr_t start = rand_below(&seed, RANDOM_SPACE);
            busy_add(&b, start, start + 1 + rand_below(&seed, 64));
        }
        struct fit_req req = {
            .lo = rand_below(&seed, RANDOM_SPACE),
            .end = rand_below(&seed, RANDOM_SPACE + 1),
            .size = rand_below(&seed, 65),
            .align = rand_below(&seed, 8) ? 1ull << rand_below(&seed, 6) : 0,
            .down = rand_below(&seed, 2),
        };
        paddr_t want = 0, first = 0, hull = 0;
        bool found = exhaustive(&b, &req, &want);
        assert_int_equal(fit_find(&req, busy_hit, &b, &first), found);
        assert_int_equal(fit_find(&req, busy_hull, &b, &hull), found);
        if (found && (first != want || hull != want))
            fail_msg("round %d: [0x%llx, 0x%llx) size %llu align %llu %s: want %llu, got %llu "
                     "and %llu", round, (unsigned long long)req.lo, (unsigned long long)req.end,
                     (unsigned long long)req.size, (unsigned long long)req.align,
                     req.down ? "down" : "up", (unsigned long long)want,
                     (unsigned long long)first, (unsigned long long)hull);
    }
}

/* --- fit_find_usable -------------------------------------------------------- */

static struct bootinfo bi;

static void region(paddr_t start, paddr_t end, uint32_t type)
{
    bi.map[bi.map_count++] = (struct mem_region){ start, end, type };
}

/* Low memory, a hole, RAM, ACPI tables, more RAM. */
static void usual_map(void)
{
    memset(&bi, 0, sizeof(bi));
    region(0x0, 0x9f000, MEM_USABLE);
    region(0x9f000, 0x100000, MEM_RESERVED);
    region(0x100000, 0x800000, MEM_USABLE);
    region(0x800000, 0x900000, MEM_ACPI_RECLAIM);
    region(0x900000, 0x1000000, MEM_USABLE);
}

static void expect_usable(struct busy *b, paddr_t lo, paddr_t end, uint64_t size, bool down,
                          bool found, paddr_t want)
{
    struct fit_req req = { lo, end, size, 0x1000, down };
    paddr_t base = 0xdead;
    assert_int_equal(fit_find_usable(&bi, &req, b ? busy_hit : NULL, b, &base), found);
    assert_int_equal(base, found ? want : 0xdead);
}

static void test_usable_regions(void **state)
{
    (void)state;
    struct busy b = { 0 };
    usual_map();
    expect_usable(NULL, 0, TOP, 0x1000, false, true, 0x0);
    expect_usable(NULL, 0x100000, TOP, 0x1000, false, true, 0x100000);
    expect_usable(NULL, 0, TOP, 0x1000, true, true, 0xfff000);
    expect_usable(NULL, 0, 0x880000, 0x1000, true, true, 0x7ff000); /* not into ACPI */
    expect_usable(NULL, 0x98000, 0x102000, 0x8000, false, false, 0); /* the hole between */
    expect_usable(NULL, 0x700000, 0xa00000, 0x200000, false, false, 0);
    expect_usable(NULL, 0x700000, 0xa00000, 0x100000, true, true, 0x900000);
    busy_add(&b, 0x900000, 0x1000000);
    expect_usable(&b, 0, TOP, 0x1000, true, true, 0x7ff000);
    busy_add(&b, 0x0, 0x800000);
    expect_usable(&b, 0, TOP, 0x1000, true, false, 0);
    expect_usable(&b, 0, TOP, 0x1000, false, false, 0);
    memset(&bi, 0, sizeof(bi));
    expect_usable(NULL, 0, TOP, 0x1000, false, false, 0);
    region(0x0, 0x100000, MEM_RESERVED);
    expect_usable(NULL, 0, TOP, 0x1000, true, false, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_busy),
        cmocka_unit_test(test_unaligned_window),
        cmocka_unit_test(test_bad_alignment),
        cmocka_unit_test(test_collisions_at_edges),
        cmocka_unit_test(test_all_busy),
        cmocka_unit_test(test_steps_past_ranges),
        cmocka_unit_test(test_size_zero),
        cmocka_unit_test(test_near_top),
        cmocka_unit_test(test_faulty_callback),
        cmocka_unit_test(test_random_windows),
        cmocka_unit_test(test_usable_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
