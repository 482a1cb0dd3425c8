/* Unit tests of the kimage, the relocation planner, the reference executor
 * and CRC32C, on the simulated machine of sim.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.c"
#include "lib/crc32c.h"
#include "reloc/kimage.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define BASE (16 * MiB) /* the simulated RAM starts above hop's 1 MiB floor */

static struct sim *S;
static struct hop_error E;

static int setup(void **state)
{
    (void)state;
    S = sim_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_free(S);
    return 0;
}

/* One window of usable RAM at BASE, random contents, nothing live yet. */
static void machine(uint64_t size)
{
    sim_reset(S);
    sim_window(S, 0, BASE, size);
    sim_region(S, BASE, BASE + size, MEM_USABLE);
    sim_fill_random(S, size);
    memset(&E, 0, sizeof(E));
}

static void add_fixed(paddr_t dst, paddr_t src, uint64_t filesz, uint64_t memsz, const char *n)
{
    int rc = kimage_add_fixed(&S->k, dst, src, filesz, memsz, n, &E);
    if (rc)
        fail_msg("kimage_add_fixed %s: %s", n, E.msg);
}

/* Plans, loads, runs the ops, and checks the whole simulated memory. */
static void run_and_check(void)
{
    char why[256];
    struct sim_orig o = sim_snapshot(S);
    int rc = sim_plan_load_run(S, &E);
    if (rc)
        fail_msg("plan/load/run: %s", E.msg);
    if (!sim_check(S, &o, why, sizeof(why)))
        fail_msg("%s", why);
    sim_orig_free(&o);
}

static size_t count_ops(uint64_t kind)
{
    const struct reloc_op *ops = kimage_ops(&S->k);
    size_t n = 0;
    for (size_t i = 0; ops[i].kind != RELOC_OP_END; i++)
        n += ops[i].kind == kind;
    return n;
}

/* --- CRC32C ---------------------------------------------------------------- */

static void test_crc32c_vectors(void **state)
{
    (void)state;
    uint8_t buf[32];
    assert_int_equal(crc32c_update(0, "123456789", 9), 0xE3069283u);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(crc32c_update(0, buf, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(crc32c_update(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(crc32c_update(0, buf, 32), 0x46DD794Eu);
    for (size_t cut = 0; cut <= 32; cut++)
        assert_int_equal(crc32c_update(crc32c_update(0, buf, cut), buf + cut, 32 - cut),
                         0x46DD794Eu);
}

static void test_crc32c_zeros(void **state)
{
    (void)state;
    static uint8_t zeros[70000];
    const uint64_t lens[] = { 0, 1, 7, 8, 9, 63, 1000, 4096, 65536, 69999 };
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        uint32_t prefix = crc32c_update(0, "hop", 3);
        assert_int_equal(crc32c_zeros(prefix, lens[i]),
                         crc32c_update(prefix, zeros, (size_t)lens[i]));
        assert_int_equal(crc32c_zeros(0, lens[i]), crc32c_update(0, zeros, (size_t)lens[i]));
    }
}

static unsigned impl_calls;
static uint32_t counting_impl(uint32_t crc, const void *data, size_t len)
{
    impl_calls++;
    return crc32c_sw(crc, data, len);
}

static void test_crc32c_impl(void **state)
{
    (void)state;
    crc32c_set_impl(counting_impl);
    assert_int_equal(crc32c_update(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(impl_calls, 1);
    crc32c_set_impl(NULL);
    assert_int_equal(crc32c_update(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(impl_calls, 1);
}

/* --- physmem_release ------------------------------------------------------- */

static void test_physmem_release(void **state)
{
    (void)state;
    machine(1 * MiB);
    sim_live(S, BASE + 0x1000, BASE + 0x5000, "a");
    assert_int_equal(physmem_release(&S->pm, BASE + 0x2000, BASE + 0x3000), HOP_OK);
    assert_int_equal(S->pm.live_count, 2);
    assert_non_null(physmem_find_live(&S->pm, BASE + 0x1000, BASE + 0x2000));
    assert_null(physmem_find_live(&S->pm, BASE + 0x2000, BASE + 0x3000));
    assert_non_null(physmem_find_live(&S->pm, BASE + 0x3000, BASE + 0x5000));
    assert_int_equal(physmem_release(&S->pm, BASE, BASE + 0x10000), HOP_OK);
    assert_int_equal(S->pm.live_count, 0);
}

/* --- input checks -------------------------------------------------------------- */

static void test_dest_not_usable(void **state)
{
    (void)state;
    sim_reset(S);
    sim_window(S, 0, BASE, 1 * MiB);
    sim_region(S, BASE, BASE + 64 * KiB, MEM_USABLE);
    sim_region(S, BASE + 64 * KiB, BASE + 68 * KiB, MEM_RESERVED);
    sim_region(S, BASE + 68 * KiB, BASE + 1 * MiB, MEM_USABLE);
    sim_live(S, BASE + 512 * KiB, BASE + 576 * KiB, "ramdisk");
    sim_start(S);
    assert_int_equal(kimage_add_fixed(&S->k, BASE + 60 * KiB, BASE + 512 * KiB, 0x100, 8 * KiB,
                                      "/boot/k.elf PT_LOAD 0", &E), HOP_ERR_RANGE);
    assert_string_equal(E.msg, "segment 0 (/boot/k.elf PT_LOAD 0): destination "
                               "0x100f000-0x1011000 is not usable RAM (reserved at 0x1010000)");
    assert_int_equal(kimage_add_fixed(&S->k, BASE + 1 * MiB - 16, BASE + 512 * KiB, 0, 32,
                                      "k PT_LOAD 1", &E), HOP_ERR_RANGE);
    assert_non_null(strstr(E.msg, "(no memory at 0x1100000)"));
    assert_int_equal(S->k.fixed_count, 0);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    machine(1 * MiB);
    sim_live(S, BASE + 512 * KiB, BASE + 576 * KiB, "ramdisk");
    sim_start(S);
    assert_int_equal(kimage_add_fixed(&S->k, BASE, BASE + 512 * KiB, 10, 5, "k", &E),
                     HOP_ERR_INVALID);
    assert_int_equal(kimage_add_fixed(&S->k, UINT64_MAX - 4, BASE + 512 * KiB, 1, 10, "k", &E),
                     HOP_ERR_RANGE);
    /* the source must be live memory */
    assert_int_equal(kimage_add_fixed(&S->k, BASE, BASE + 570 * KiB, 16 * KiB, 16 * KiB, "k",
                                      &E), HOP_ERR_INVALID);
    assert_non_null(strstr(E.msg, "not in live memory (0x1090000 is free)"));
    struct kimage_place_req bad_align = { .size = 10, .align = 3, .name = "x" };
    assert_int_equal(kimage_add_placed(&S->k, &bad_align, NULL, &E), HOP_ERR_INVALID);
    struct kimage_place_req too_big = { .size = 10, .filesz = 11, .src = BASE + 512 * KiB };
    assert_int_equal(kimage_add_placed(&S->k, &too_big, NULL, &E), HOP_ERR_INVALID);
    add_fixed(BASE, BASE + 512 * KiB, 0x100, 0x200, "k");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_OK);
    assert_int_equal(kimage_add_fixed(&S->k, BASE + 0x1000, BASE + 512 * KiB, 1, 1, "k2", &E),
                     HOP_ERR_INVALID);
    assert_int_equal(kimage_plan(&S->k, &E), HOP_ERR_INVALID);
}

static void test_overlapping_dests(void **state)
{
    (void)state;
    machine(1 * MiB);
    sim_live(S, BASE + 512 * KiB, BASE + 576 * KiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, BASE + 512 * KiB, 0x100, 0x2000, "k.elf PT_LOAD 0");
    add_fixed(BASE + 0x8000, BASE + 512 * KiB, 0x100, 0x100, "k.elf PT_LOAD 1");
    add_fixed(BASE + 0x2fff, BASE + 512 * KiB, 0x100, 0x100, "k.elf PT_LOAD 2");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_ERR_OVERLAP);
    assert_string_equal(E.msg, "segment 0 (k.elf PT_LOAD 0) destination 0x1001000-0x1003000 "
                               "overlaps segment 2 (k.elf PT_LOAD 2) destination "
                               "0x1002fff-0x10030ff");
}

/* --- where bytes go ---------------------------------------------------------- */

static void test_direct_load(void **state)
{
    (void)state;
    machine(4 * MiB);
    sim_live(S, BASE + 3 * MiB, BASE + 4 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, BASE + 3 * MiB, 0x5000, 0x5000, "text");
    add_fixed(BASE + 0x6000, BASE + 3 * MiB + 0x5000, 0x1234, 0x3000, "data");
    add_fixed(BASE + 0x9000, 0, 0, 0x10000, "bss");
    run_and_check();
    const struct kimage_stats *st = &S->k.stats;
    assert_int_equal(st->direct_count, 3);
    assert_int_equal(st->deferred_count, 0);
    assert_int_equal(st->load_copy_bytes, 0x5000 + 0x1234);
    assert_int_equal(st->trampoline_copy_bytes, 0);
    assert_int_equal(st->bounce_bytes, 0);
    assert_int_equal(st->copy_permille, 1000);
    assert_int_equal(count_ops(RELOC_OP_COPY) + count_ops(RELOC_OP_ZERO), 0);
    assert_int_equal(count_ops(RELOC_OP_VERIFY), 3);
    assert_int_equal(st->extra_bytes, PAGE_SIZE); /* the control page, ops in it */
}

/* A destination over each kind of live range is deferred, then correct. */
static void test_deferred_over_live(void **state)
{
    (void)state;
    const char *what[] = { "hop image", "ramdisk", "boot info" };
    for (size_t i = 0; i < ARRAY_SIZE(what); i++) {
        machine(4 * MiB);
        sim_live(S, BASE + 3 * MiB, BASE + 4 * MiB, "ramdisk source");
        sim_live(S, BASE + 0x40000, BASE + 0x48000, what[i]);
        sim_live(S, BASE + 0x60000, BASE + 0x61000, "other");
        sim_start(S);
        add_fixed(BASE + 0x3e000, BASE + 3 * MiB, 0x9000, 0xc000, "k PT_LOAD 0");
        add_fixed(BASE + 0x100000, BASE + 3 * MiB + 0x9000, 0x2000, 0x2000, "k PT_LOAD 1");
        run_and_check();
        assert_int_equal(S->k.stats.deferred_count, 1);
        assert_int_equal(S->k.stats.direct_count, 1);
        assert_false(S->fixed_copy[0].flags & KIMAGE_FIXED_DIRECT);
        assert_true(S->fixed_copy[1].flags & KIMAGE_FIXED_DIRECT);
        assert_int_equal(count_ops(RELOC_OP_COPY), 1);
        assert_int_equal(count_ops(RELOC_OP_ZERO), 1);
        assert_int_equal(S->k.stats.copy_permille, 1000);
    }
}

/* A reads exactly B's destination; B reads A's destination shifted by d: the
 * cycle is A (L bytes) and B's first piece (L - d bytes); the smaller is
 * bounced, nothing else. */
static void test_cycle_bounce(void **state)
{
    (void)state;
    const uint64_t L = 0x3000, d = 0x1000;
    machine(4 * MiB);
    paddr_t ram = BASE + 1 * MiB, x = ram + 0x1000, y = ram + 0x10000;
    sim_live(S, ram, ram + 256 * KiB, "ramdisk");
    sim_start(S);
    add_fixed(x, y, L, L, "A");
    add_fixed(y, x + d, L, L, "B");
    run_and_check();
    const struct kimage_stats *st = &S->k.stats;
    assert_int_equal(st->bounced_pieces, 1);
    assert_int_equal(st->bounce_bytes, L - d);
    assert_int_equal(st->bounce_pages, (L - d) / PAGE_SIZE);
    assert_int_equal(st->piece_count, 3);
    assert_int_equal(st->trampoline_copy_bytes, 2 * L);
    assert_int_equal(st->copy_permille, (2 * L + L - d) * 1000 / (2 * L));
    assert_int_equal(S->k.load_op_count, 1);
}

/* Moving a segment by one page over itself: one memmove, no bounce. */
static void test_self_overlap_shift(void **state)
{
    (void)state;
    const int64_t shifts[] = { 4096, -4096, 1, -1 };
    for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
        machine(4 * MiB);
        paddr_t ram = BASE + 1 * MiB, src = ram + 0x10000;
        sim_live(S, ram, ram + 1 * MiB, "ramdisk");
        sim_start(S);
        add_fixed(src + shifts[i], src, 0x80000, 0x80123, "shifted");
        run_and_check();
        assert_int_equal(S->k.stats.bounce_bytes, 0);
        assert_int_equal(count_ops(RELOC_OP_COPY), 1);
        assert_int_equal(S->k.stats.trampoline_copy_bytes, 0x80000);
    }
}

static void test_unaligned(void **state)
{
    (void)state;
    machine(2 * MiB);
    paddr_t ram = BASE + 0x40000 + 3;
    sim_live(S, ram, ram + 0x20001, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1001, ram + 0x7, 0x777, 0x1333, "a");         /* direct */
    add_fixed(ram + 0x1005, ram + 0x2003, 0x1fff, 0x2001, "b");      /* over the ramdisk */
    add_fixed(ram + 0x3009, ram + 0x1006, 0x3, 0x3, "c");            /* reads b's place */
    add_fixed(BASE + 0x100000 + 5, ram + 0x3009, 0x11, 0x11, "d");   /* reads c's place */
    run_and_check();
    assert_int_equal(S->k.stats.direct_count, 2);
}

/* 200 segments shuffled inside the ramdisk they come from. */
static void test_200_segments(void **state)
{
    (void)state;
    enum { N = 200, SLOT = 0x1000 };
    uint64_t rng = 200;
    uint32_t perm[N];
    machine(4 * MiB);
    paddr_t ram = BASE + 1 * MiB;
    sim_live(S, ram, ram + N * SLOT, "ramdisk");
    sim_start(S);
    for (uint32_t i = 0; i < N; i++)
        perm[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)sim_below(&rng, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    static char names[N][16];
    for (uint32_t i = 0; i < N; i++) {
        uint64_t len = 1 + sim_below(&rng, SLOT - 16);
        snprintf(names[i], sizeof(names[i]), "seg %u", i);
        add_fixed(ram + i * SLOT + 8, ram + perm[i] * SLOT + sim_below(&rng, 16), len,
                  len + sim_below(&rng, 8), names[i]);
    }
    run_and_check();
    const struct kimage_stats *st = &S->k.stats;
    assert_int_equal(st->fixed_count, N);
    assert_int_equal(st->deferred_count, N);
    assert_true(S->k.fixed_table != 0); /* the table moved to allocated memory */
    print_message("200 segments: %zu pieces, %zu bounced (%llu bytes), %zu ops, copy %u/1000\n",
                  st->piece_count, st->bounced_pieces, (unsigned long long)st->bounce_bytes,
                  st->op_count, st->copy_permille);
}

static void test_above_4g(void **state)
{
    (void)state;
    sim_reset(S);
    sim_window(S, 0, BASE, 2 * MiB);
    sim_window(S, 1, 4 * GiB, 1 * MiB);
    sim_region(S, BASE, BASE + 2 * MiB, MEM_USABLE);
    sim_region(S, 4 * GiB, 4 * GiB + 1 * MiB, MEM_USABLE);
    sim_fill_random(S, 4);
    sim_live(S, BASE + 1 * MiB, BASE + 2 * MiB, "ramdisk");
    sim_live(S, 4 * GiB + 0x80000, 4 * GiB + 0x90000, "buffer above 4 GiB");
    sim_start(S);
    add_fixed(4 * GiB + 0x123, BASE + 1 * MiB, 0x5000, 0x6000, "high direct");
    add_fixed(4 * GiB + 0x7f000, 4 * GiB + 0x80000, 0x10000, 0x10000, "high over live");
    run_and_check();
    assert_int_equal(S->k.stats.direct_count, 1);
    assert_true(S->k.control_addr + S->k.stats.control_bytes <= 4 * GiB);
}

static void test_64mib_segment(void **state)
{
    (void)state;
    machine(160 * MiB);
    paddr_t ram = BASE + 64 * MiB;
    sim_live(S, ram, ram + 65 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 32 * MiB + 0x10, ram + 0x100, 64 * MiB, 64 * MiB + 0x1000, "big");
    run_and_check();
    const struct kimage_stats *st = &S->k.stats;
    assert_int_equal(st->deferred_count, 1);
    assert_int_equal(st->trampoline_copy_bytes, 64 * MiB);
    assert_int_equal(st->bounce_bytes, 0);
    assert_int_equal(st->copy_permille, 1000);
    assert_int_equal(count_ops(RELOC_OP_COPY), 1);
}

/* A 256 MiB bss over hop's image: no source memory, no copies, one ZERO. */
static void test_256mib_bss(void **state)
{
    (void)state;
    machine(272 * MiB);
    sim_live(S, BASE + 0x100000, BASE + 0x140000, "hop image");
    sim_start(S);
    add_fixed(BASE + 0x1000, 0, 0, 256 * MiB, "bss");
    run_and_check();
    const struct kimage_stats *st = &S->k.stats;
    assert_int_equal(st->data_bytes, 0);
    assert_int_equal(st->load_copy_bytes + st->trampoline_copy_bytes + st->bounce_bytes, 0);
    assert_int_equal(st->zero_bytes, 256 * MiB);
    assert_int_equal(st->deferred_count, 1);
    assert_int_equal(count_ops(RELOC_OP_ZERO), 1);
    assert_int_equal(st->extra_bytes, PAGE_SIZE);
}

static bool overlaps(paddr_t a, uint64_t alen, paddr_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Placed items: in place when allowed, else somewhere free, aligned, below
 * their limit, away from destinations, live memory and each other. */
static void test_placed_items(void **state)
{
    (void)state;
    size_t idx[5];
    machine(4 * MiB);
    paddr_t ram = BASE + 2 * MiB;
    sim_live(S, BASE + 0x10000, BASE + 0x20000, "hop image");
    sim_live(S, ram, ram + 1 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x8000, ram, 0x30000, 0x30000, "kernel"); /* over hop */
    add_fixed(ram + 0x40000, ram + 0x80000, 0x1000, 0x1000, "over module 2");
    struct kimage_place_req reqs[5] = {
        { .size = 0x3000, .align = 4096, .src = ram + 0x20000, .filesz = 0x3000,
          .flags = KIMAGE_PLACE_KEEP, .name = "module 1" },
        { .size = 0x2000, .align = 4096, .src = ram + 0x40000, .filesz = 0x2000,
          .flags = KIMAGE_PLACE_KEEP, .name = "module 2" },
        { .size = 0x1801, .align = 0x10000, .max_end = BASE + 1 * MiB, .name = "boot info" },
        { .size = 0x40, .align = 8, .src = ram + 0x90003, .filesz = 0x21, .name = "cmdline" },
        { .size = 0x3000, .align = 4096, .src = ram + 0x20800, .filesz = 0x3000,
          .flags = KIMAGE_PLACE_KEEP, .name = "misaligned module" },
    };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(kimage_add_placed(&S->k, &reqs[i], &idx[i], &E), HOP_OK);
    struct phys_range live[PHYSMEM_MAX_LIVE];
    size_t live_count = S->pm.live_count;
    memcpy(live, S->pm.live, sizeof(live));
    run_and_check();
    const struct kimage_placed *p = S->k.placed;
    assert_true(p[0].in_place && p[0].addr == ram + 0x20000);
    assert_false(p[1].in_place);
    assert_false(p[4].in_place);
    assert_int_equal(p[2].addr % 0x10000, 0);
    assert_true(p[2].addr + p[2].req.size <= BASE + 1 * MiB);
    assert_int_equal(S->k.stats.in_place_count, 1);
    for (size_t i = 1; i < 5; i++) {
        for (size_t f = 0; f < S->k.fixed_count; f++)
            assert_false(overlaps(p[i].addr, p[i].req.size, S->fixed_copy[f].dst,
                                  S->fixed_copy[f].memsz));
        for (size_t l = 0; l < live_count; l++)
            assert_false(overlaps(p[i].addr, p[i].req.size, live[l].start,
                                  live[l].end - live[l].start));
        for (size_t j = 0; j < 5; j++)
            assert_true(i == j || !overlaps(p[i].addr, p[i].req.size, p[j].addr, p[j].req.size));
        assert_int_equal(p[i].addr % p[i].req.align, 0);
    }
}

/* A kernel workspace (Linux's init_size): a module kept where the loader
 * put it inside it is moved out, placed items, bounce buffers and the
 * control area stay out, and nothing in it is written (the random bytes
 * past the kernel's own segment survive the ops). */
static void test_reserved_workspace(void **state)
{
    (void)state;
    size_t mod, info;
    machine(8 * MiB);
    paddr_t ram = BASE + 6 * MiB, ws = BASE + 1 * MiB, ws_end = BASE + 5 * MiB;
    sim_live(S, ram, ram + 1 * MiB, "ramdisk");
    sim_live(S, BASE + 3 * MiB, BASE + 3 * MiB + 0x10000, "module in the workspace");
    sim_start(S);
    add_fixed(ws, ram, 0x20000, 0x20000, "kernel");
    assert_int_equal(kimage_add_reserved(&S->k, ws + 0x20000, ws_end, "init_size", &E), HOP_OK);
    struct kimage_place_req m = { .size = 0x10000, .align = 4096, .src = BASE + 3 * MiB,
                                  .filesz = 0x10000, .flags = KIMAGE_PLACE_KEEP,
                                  .name = "initrd" };
    struct kimage_place_req i = { .size = 0x1000, .align = 4096, .name = "boot info" };
    assert_int_equal(kimage_add_placed(&S->k, &m, &mod, &E), HOP_OK);
    assert_int_equal(kimage_add_placed(&S->k, &i, &info, &E), HOP_OK);
    static uint8_t tail[4 * MiB - 0x20000];
    memcpy(tail, sim_at(S, ws + 0x20000, sizeof(tail)), sizeof(tail));
    assert_int_equal(sim_plan_load_run(S, &E), HOP_OK);
    const struct kimage_placed *p = S->k.placed;
    assert_false(p[mod].in_place);
    for (size_t j = 0; j < S->k.placed_count; j++)
        assert_false(overlaps(p[j].addr, p[j].req.size, ws, ws_end - ws));
    assert_false(overlaps(S->k.control_addr, S->k.stats.control_bytes, ws, ws_end - ws));
    /* only the boot info's page is zeroed; the workspace is not written */
    assert_int_equal(S->k.stats.zero_bytes, 0x1000);
    assert_memory_equal(sim_at(S, ws + 0x20000, sizeof(tail)), tail, sizeof(tail));
}

/* Workspaces must be usable RAM and must not overlap each other. */
static void test_reserved_refused(void **state)
{
    (void)state;
    machine(4 * MiB);
    sim_start(S);
    assert_int_equal(kimage_add_reserved(&S->k, BASE + 3 * MiB, BASE + 5 * MiB, "k", &E),
                     HOP_ERR_RANGE);
    assert_non_null(strstr(E.msg, "k: workspace 0x1300000-0x1500000 is not usable RAM"));
    assert_int_equal(kimage_add_reserved(&S->k, BASE, BASE + 1 * MiB, "a", &E), HOP_OK);
    assert_int_equal(kimage_add_reserved(&S->k, BASE + 0x80000, BASE + 2 * MiB, "b", &E),
                     HOP_ERR_OVERLAP);
    assert_non_null(strstr(E.msg, "overlaps a's"));
    assert_int_equal(kimage_add_reserved(&S->k, BASE + 2 * MiB, BASE + 2 * MiB, "c", &E),
                     HOP_ERR_INVALID);
}

/* One byte flipped after the ops: the VERIFY of that segment fails and
 * names its range. */
static void test_verify_detects_corruption(void **state)
{
    (void)state;
    size_t bad = 0;
    machine(4 * MiB);
    paddr_t ram = BASE + 1 * MiB;
    sim_live(S, ram, ram + 1 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, ram, 0x3000, 0x3000, "a");
    add_fixed(ram + 0x10000, ram + 0x40000, 0x8000, 0x9000, "b");
    add_fixed(ram + 0x20000, ram + 0x50000, 0x100, 0x100, "c");
    run_and_check();
    struct reloc_op *ops = kimage_ops(&S->k);
    size_t first_verify = 0;
    while (ops[first_verify].kind != RELOC_OP_VERIFY)
        first_verify++;
    paddr_t flip = ram + 0x10000 + 0x8800; /* in b's bss */
    sim_at(S, flip, 1)[0] ^= 0x40;
    assert_int_equal(reloc_run_ops(ops + first_verify, &S->rw, &bad), HOP_ERR_CHECKSUM);
    const struct reloc_op *v = &ops[first_verify + bad];
    assert_int_equal(v->kind, RELOC_OP_VERIFY);
    assert_true(v->dst <= flip && flip < v->dst + v->len);
    assert_int_equal(v->dst, ram + 0x10000);
    assert_int_equal(v->len, 0x9000);
}

/* A source byte changed between plan and load ends in a failed VERIFY. */
static void test_verify_detects_source_change(void **state)
{
    (void)state;
    size_t bad = 0;
    machine(4 * MiB);
    paddr_t ram = BASE + 1 * MiB;
    sim_live(S, ram, ram + 1 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(ram + 0x1000, ram + 0x2000, 0x3000, 0x3000, "a");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_OK);
    sim_at(S, ram + 0x2100, 1)[0] ^= 1;
    assert_int_equal(kimage_load(&S->k, &E), HOP_OK);
    assert_int_equal(sim_run_ops(S, &bad), HOP_ERR_CHECKSUM);
    assert_int_equal(kimage_ops(&S->k)[bad].dst, ram + 0x1000);
}

/* A sourceless item hop fills after the load verifies once sealed. */
static void test_placed_seal(void **state)
{
    (void)state;
    size_t idx, bad = 0;
    machine(2 * MiB);
    sim_live(S, BASE + 1 * MiB, BASE + 2 * MiB, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, BASE + 1 * MiB, 0x100, 0x100, "k");
    struct kimage_place_req req = { .size = 0x200, .align = 8, .name = "kernel boot info" };
    assert_int_equal(kimage_add_placed(&S->k, &req, &idx, &E), HOP_OK);
    assert_int_equal(kimage_plan(&S->k, &E), HOP_OK);
    assert_int_equal(kimage_load(&S->k, &E), HOP_OK);
    memset(sim_at(S, S->k.placed[idx].addr, 0x200), 0x5a, 0x200);
    assert_int_equal(sim_run_ops(S, &bad), HOP_ERR_CHECKSUM);
    assert_int_equal(kimage_placed_seal(&S->k, idx, &E), HOP_OK);
    assert_int_equal(sim_run_ops(S, &bad), HOP_OK);
}

/* --- memory the accessor will not map ------------------------------------------ */

static paddr_t refused_start, refused_end;

/* sim_map, refusing [refused_start, refused_end). */
static void *refusing_map(void *ctx, paddr_t addr, size_t len)
{
    if (addr < refused_end && refused_start < addr + len)
        return NULL;
    return sim_map(ctx, addr, len);
}

/* A segment at address 0, usable RAM in the map: the machine's identity map
 * cannot give a pointer to it (the simulation has no window there).  The
 * error says it is the destination and why. */
static void test_inaccessible_destination(void **state)
{
    (void)state;
    sim_reset(S);
    sim_window(S, 0, BASE, 1 * MiB);
    sim_region(S, 0, 0x9f000, MEM_USABLE);
    sim_region(S, BASE, BASE + 1 * MiB, MEM_USABLE);
    sim_fill_random(S, 1);
    sim_live(S, BASE + 0x80000, BASE + 0x90000, "ramdisk");
    sim_start(S);
    add_fixed(0, BASE + 0x80000, 8, 8, "/boot/k.elf");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_OK);
    assert_true(S->k.fixed[0].flags & KIMAGE_FIXED_DIRECT);
    assert_int_equal(kimage_load(&S->k, &E), HOP_ERR_RANGE);
    assert_string_equal(E.msg, "/boot/k.elf: destination 0x0-0x8 is not accessible: the "
                               "physical-memory accessor refused it (address 0 is NULL to an "
                               "identity map)");
}

/* A source the accessor refuses: when planning (its digest) and when
 * loading, the error names the source. */
static void test_inaccessible_source(void **state)
{
    (void)state;
    static const char want[] = "k: source 0x1080000-0x1080100 is not accessible: the "
                               "physical-memory accessor refused it";
    machine(1 * MiB);
    sim_live(S, BASE + 0x80000, BASE + 0x90000, "ramdisk");
    refused_start = BASE + 0x80000;
    refused_end = BASE + 0x80100;
    sim_start(S);
    S->k.mem = (struct phys_rw){ refusing_map, S };
    add_fixed(BASE + 0x1000, BASE + 0x80000, 0x100, 0x200, "k");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_ERR_RANGE);
    assert_string_equal(E.msg, want);

    machine(1 * MiB);
    sim_live(S, BASE + 0x80000, BASE + 0x90000, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, BASE + 0x80000, 0x100, 0x200, "k");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_OK);
    assert_true(S->k.fixed[0].flags & KIMAGE_FIXED_DIRECT);
    S->k.mem = (struct phys_rw){ refusing_map, S };
    assert_int_equal(kimage_load(&S->k, &E), HOP_ERR_RANGE);
    assert_string_equal(E.msg, want);
}

/* A cycle, and the only memory left free lies in a destination: no bounce
 * memory, and the error says so. */
static void test_bounce_nomem(void **state)
{
    (void)state;
    machine(1 * MiB);
    paddr_t ram = BASE;
    sim_live(S, ram, ram + 0xf0000, "ramdisk");
    sim_start(S);
    add_fixed(ram + 0x1000, ram + 0x10000, 0x3000, 0x3000, "A");
    add_fixed(ram + 0x10000, ram + 0x2000, 0x3000, 0x3000, "B");
    add_fixed(ram + 0xf0000, ram + 0x50000, 0x10000, 0x10000, "rest");
    assert_int_equal(kimage_plan(&S->k, &E), HOP_ERR_NOMEM);
    assert_non_null(strstr(E.msg, "bounce"));
    assert_int_equal(S->k.scratch_count, 0); /* scratch released on failure too */
}

/* Free memory only in 2-page holes: a 5-page bounce comes in three chunks
 * and the bounced piece is copied in three parts, both ways. */
static void test_bounce_fragmented(void **state)
{
    (void)state;
    machine(1 * MiB);
    paddr_t ram = BASE, x = ram + 0x1000, y = ram + 0x20000;
    sim_live(S, ram, ram + 0xe0000, "ramdisk");
    for (paddr_t a = ram + 0xe0000; a < ram + 1 * MiB; a += 3 * PAGE_SIZE)
        sim_live(S, a, a + PAGE_SIZE, "fragment");
    sim_start(S);
    add_fixed(x, y, 0x5000, 0x5000, "A");
    add_fixed(y, x, 0x5000, 0x5000, "B");
    run_and_check();
    assert_int_equal(S->k.stats.bounce_bytes, 0x5000);
    assert_int_equal(S->k.bounce_count, 3);
    assert_int_equal(S->k.load_op_count, 3);
    assert_int_equal(S->k.stats.copy_permille, 1500);
}

/* Empty segments are ignored; segments of zeros need no source. */
static void test_empty_segments(void **state)
{
    (void)state;
    machine(1 * MiB);
    sim_live(S, BASE + 0x80000, BASE + 0x90000, "ramdisk");
    sim_start(S);
    add_fixed(BASE + 0x1000, 0, 0, 0, "empty");
    add_fixed(BASE + 0x1000, BASE + 0x80000, 0x10, 0x20, "real");
    add_fixed(BASE + 0x2000, 0, 0, 0x100, "zeros");
    run_and_check();
    assert_int_equal(S->k.stats.fixed_count, 2);
    assert_int_equal(count_ops(RELOC_OP_VERIFY), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_crc32c_zeros),
        cmocka_unit_test(test_crc32c_impl),
        cmocka_unit_test(test_physmem_release),
        cmocka_unit_test(test_dest_not_usable),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_overlapping_dests),
        cmocka_unit_test(test_direct_load),
        cmocka_unit_test(test_deferred_over_live),
        cmocka_unit_test(test_cycle_bounce),
        cmocka_unit_test(test_self_overlap_shift),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_200_segments),
        cmocka_unit_test(test_above_4g),
        cmocka_unit_test(test_64mib_segment),
        cmocka_unit_test(test_256mib_bss),
        cmocka_unit_test(test_placed_items),
        cmocka_unit_test(test_reserved_workspace),
        cmocka_unit_test(test_reserved_refused),
        cmocka_unit_test(test_verify_detects_corruption),
        cmocka_unit_test(test_verify_detects_source_change),
        cmocka_unit_test(test_placed_seal),
        cmocka_unit_test(test_bounce_nomem),
        cmocka_unit_test(test_bounce_fragmented),
        cmocka_unit_test(test_empty_segments),
        cmocka_unit_test(test_inaccessible_destination),
        cmocka_unit_test(test_inaccessible_source),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
