/* Property test of the relocation planner: random layouts on the simulated
 * machine (random memory maps with holes, live ranges, a RAM disk holding the
 * sources, fixed segments at random byte addresses over all of that,
 * permutations, shifts and swaps that make cycles, placed items, a control
 * area), each planned, loaded and run with the reference executor, then
 * checked byte for byte against the memory as it was before.
 *
 * Deterministic: layout i uses seed RELOC_SEED + i.  RELOC_LAYOUTS in the
 * environment changes the count (default 100000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.c"

#define KiB 1024ull
#define GiB (1024ull * 1024 * 1024)
#define RELOC_SEED 0x686f70u /* "hop" */
#define DEFAULT_LAYOUTS 100000
#define WIN_A_BASE (16ull << 20)
#define WIN_A_MAX (512 * KiB)
#define WIN_B_MAX (128 * KiB)
#define PATTERN_SIZE (2 * WIN_A_MAX)
#define MAX_SEGS 48
#define MAX_LIVE 8
#define SCRATCH_BOUND (64 * KiB) /* more than the planner's scratch in these layouts */

static uint8_t *pattern;

struct layout {
    uint64_t rng;
    struct sim *s;
    struct phys_range live[MAX_LIVE];
    size_t live_count;
    size_t ramdisk; /* index in live */
    char names[MAX_SEGS][24];
    size_t seg_count;
    paddr_t cursor; /* where the next consecutive segment goes */
};

struct tally {
    size_t layouts, planned, nomem, bounced_layouts, bounced_pieces, cycles_max, corrupted;
    size_t nomem_placed, nomem_control, nomem_bounce, nomem_scratch;
    size_t direct, deferred, pieces, placed, in_place, windows_above_4g;
    uint64_t bounce_bytes, data_bytes, copied_bytes;
    char example[HOP_ERROR_MSG_MAX];
};

static uint64_t rnd(struct layout *l, uint64_t n)
{
    return n ? sim_below(&l->rng, n) : 0;
}

static bool chance(struct layout *l, unsigned one_in)
{
    return rnd(l, one_in) == 0;
}

/* Window's map: usable stretches with holes of other types or no entry. */
static void gen_map(struct layout *l, paddr_t base, uint64_t size)
{
    static const uint32_t hole_types[] = { MEM_RESERVED, MEM_ACPI_RECLAIM, MEM_ACPI_NVS,
                                           MEM_BAD, 0 };
    paddr_t pos = base, end = base + size;
    while (pos < end) {
        uint64_t len = chance(l, 2) ? (4 + rnd(l, 32)) * 4 * KiB : 16 * KiB + rnd(l, 128 * KiB);
        sim_region(l->s, pos, MIN(end, pos + len), MEM_USABLE);
        pos = MIN(end, pos + len);
        if (pos < end && chance(l, 4)) {
            uint64_t hole = chance(l, 2) ? 16 * (1 + rnd(l, 64)) : 1 + rnd(l, 8 * KiB);
            uint32_t type = hole_types[rnd(l, ARRAY_SIZE(hole_types))];
            if (type)
                sim_region(l->s, pos, MIN(end, pos + hole), type);
            pos = MIN(end, pos + hole);
        }
    }
}

static bool all_usable(const struct sim *s, paddr_t start, paddr_t end)
{
    for (size_t i = 0; i < s->bi.map_count; i++) {
        const struct mem_region *r = &s->bi.map[i];
        if (r->start <= start && start < r->end) {
            if (r->type != MEM_USABLE)
                return false;
            if (end <= r->end)
                return true;
            start = r->end; /* adjacent usable entries, if any */
        }
    }
    return false;
}

static void add_live(struct layout *l, paddr_t start, uint64_t len, const char *what)
{
    if (l->live_count == MAX_LIVE || len == 0)
        return;
    l->live[l->live_count++] = (struct phys_range){ start, start + len, what };
    sim_live(l->s, start, start + len, what);
}

static paddr_t in_window(struct layout *l, size_t w, uint64_t len)
{
    const struct sim_window *win = &l->s->win[w];
    return win->base + rnd(l, win->size - MIN(len, win->size) + 1);
}

static void gen_live(struct layout *l)
{
    const struct sim_window *a = &l->s->win[0];
    uint64_t disk = 16 * KiB + rnd(l, a->size * 4 / 10);
    l->ramdisk = l->live_count;
    add_live(l, ALIGN_DOWN(in_window(l, 0, disk), PAGE_SIZE), disk, "ramdisk");
    uint64_t image = 4 * KiB + rnd(l, 12 * KiB);
    add_live(l, ALIGN_DOWN(in_window(l, 0, image), PAGE_SIZE), image, "hop image");
    add_live(l, ALIGN_DOWN(in_window(l, 0, 4 * KiB), PAGE_SIZE), 4 * KiB, "stack");
    uint64_t info = 64 + rnd(l, 1024);
    add_live(l, in_window(l, 0, info), info, "boot info");
    if (chance(l, 2)) {
        size_t w = rnd(l, l->s->win_count);
        uint64_t buf = 4 * KiB + rnd(l, 28 * KiB);
        add_live(l, in_window(l, w, buf), MIN(buf, l->s->win[w].size), "inflated file");
    }
}

/* A random byte range inside a live range (the RAM disk mostly). */
static paddr_t gen_source(struct layout *l, uint64_t *len)
{
    size_t i = chance(l, 5) ? rnd(l, l->live_count) : l->ramdisk;
    const struct phys_range *r = &l->live[i];
    *len = MIN(*len, r->end - r->start);
    return r->start + rnd(l, r->end - r->start - *len + 1);
}

static bool dst_free(const struct layout *l, paddr_t dst, uint64_t memsz)
{
    const struct kimage *k = &l->s->k;
    if (memsz == 0 || !all_usable(l->s, dst, dst + memsz))
        return false;
    for (size_t i = 0; i < k->fixed_count; i++)
        if (dst < k->fixed[i].dst + k->fixed[i].memsz && k->fixed[i].dst < dst + memsz)
            return false;
    return true;
}

static bool add_seg(struct layout *l, paddr_t dst, paddr_t src, uint64_t filesz, uint64_t memsz)
{
    struct hop_error err;
    if (l->seg_count == MAX_SEGS || !dst_free(l, dst, memsz))
        return false;
    snprintf(l->names[l->seg_count], sizeof(l->names[0]), "seg %zu", l->seg_count);
    if (kimage_add_fixed(&l->s->k, dst, src, filesz, memsz, l->names[l->seg_count], &err))
        fail_msg("layout rng %llx: %s", (unsigned long long)l->rng, err.msg);
    l->seg_count++;
    return true;
}

static uint64_t gen_size(struct layout *l)
{
    return 1 + rnd(l, 1ull << rnd(l, 15)); /* mostly small, up to 16 KiB */
}

/* Anywhere usable, or over the RAM disk (where the sources are). */
static void gen_random_seg(struct layout *l, bool over_ramdisk)
{
    uint64_t memsz = gen_size(l), filesz = chance(l, 4) ? memsz : chance(l, 6) ? 0 : rnd(l, memsz + 1);
    paddr_t src = filesz ? gen_source(l, &filesz) : 0;
    const struct phys_range *disk = &l->live[l->ramdisk];
    size_t w = rnd(l, l->s->win_count);
    /* Mostly one after the other, as an ELF kernel's segments are. */
    paddr_t next = l->cursor + (chance(l, 2) ? rnd(l, 256) : PAGE_SIZE - l->cursor % PAGE_SIZE);
    paddr_t dst = over_ramdisk ? disk->start + rnd(l, disk->end - disk->start)
                  : chance(l, 4) ? in_window(l, w, memsz) : next;
    if (add_seg(l, dst, src, filesz, memsz) && dst == next)
        l->cursor = dst + memsz;
}

/* Moves a piece of the RAM disk by a small amount, over itself. */
static void gen_shift(struct layout *l)
{
    uint64_t len = gen_size(l), delta = chance(l, 2) ? PAGE_SIZE : 1 + rnd(l, 8 * KiB);
    paddr_t src = gen_source(l, &len);
    add_seg(l, chance(l, 2) ? src + delta : src - delta, src, len, len + rnd(l, 64));
}

/* k blocks of the RAM disk permuted among themselves: cycles. */
static void gen_permutation(struct layout *l)
{
    const struct phys_range *disk = &l->live[l->ramdisk];
    size_t k = 2 + rnd(l, 6), perm[8];
    uint64_t block = 64 + rnd(l, 4 * KiB), span = disk->end - disk->start;
    if (k * block > span)
        return;
    paddr_t base = disk->start + rnd(l, span - k * block + 1);
    for (size_t i = 0; i < k; i++)
        perm[i] = i;
    for (size_t i = k - 1; i > 0; i--) {
        size_t j = rnd(l, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < k; i++) {
        uint64_t skew = rnd(l, block / 4), len = block - skew;
        add_seg(l, base + i * block + skew, base + perm[i] * block, len, len + rnd(l, 32));
    }
}

static void gen_segments(struct layout *l)
{
    size_t n = chance(l, 10) ? 1 + rnd(l, 40) : 1 + rnd(l, 12);
    for (size_t i = 0; i < n; i++) {
        unsigned mode = (unsigned)rnd(l, 20);
        if (mode < 9)
            gen_random_seg(l, false);
        else if (mode < 15)
            gen_random_seg(l, true);
        else if (mode < 18)
            gen_shift(l);
        else
            gen_permutation(l);
    }
}

static void gen_placed(struct layout *l)
{
    const struct sim_window *a = &l->s->win[0];
    const struct phys_range *disk = &l->live[l->ramdisk];
    for (size_t n = rnd(l, 4); n > 0; n--) {
        struct kimage_place_req r = { .size = 1 + rnd(l, 8 * KiB), .align = 1ull << rnd(l, 13),
                                      .name = "placed" };
        unsigned kind = (unsigned)rnd(l, 10);
        if (kind >= 3 && kind < 7) {
            r.filesz = rnd(l, r.size + 1);
            r.src = r.filesz ? gen_source(l, &r.filesz) : 0;
        } else if (kind >= 7 && disk->end - disk->start > r.size + PAGE_SIZE) {
            r.src = ALIGN_UP(disk->start + rnd(l, disk->end - disk->start - r.size - PAGE_SIZE),
                             PAGE_SIZE);
            r.filesz = r.size;
            r.align = PAGE_SIZE;
            r.flags = KIMAGE_PLACE_KEEP;
            r.name = "module";
        }
        if (chance(l, 2)) /* the window's end, or (rarely) somewhere inside it */
            r.max_end = !chance(l, 8) ? a->base + a->size : a->base + r.size + rnd(l, a->size);
        struct hop_error err;
        if (kimage_add_placed(&l->s->k, &r, NULL, &err))
            fail_msg("placed: %s", err.msg);
    }
}

/* Windows, contents (a slice of the pattern: the "before" image), map. */
static void gen_machine(struct layout *l, struct sim_orig *orig)
{
    struct sim *s = l->s;
    sim_reset(s);
    uint64_t size_a = (32 + rnd(l, WIN_A_MAX / (4 * KiB) - 31)) * 4 * KiB;
    sim_window(s, 0, WIN_A_BASE + rnd(l, 64) * PAGE_SIZE, size_a);
    if (chance(l, 8))
        sim_window(s, 1, 4 * GiB + rnd(l, 4) * (1ull << 20), (8 + rnd(l, 25)) * 4 * KiB);
    memset(orig, 0, sizeof(*orig));
    for (size_t w = 0; w < s->win_count; w++) {
        const uint8_t *slice = pattern + rnd(l, PATTERN_SIZE - s->win[w].size);
        memcpy(s->win[w].mem, slice, s->win[w].size);
        orig->win[w] = slice;
        gen_map(l, s->win[w].base, s->win[w].size);
    }
}

static void gen_layout(struct layout *l, struct sim_orig *orig)
{
    gen_machine(l, orig);
    l->live_count = 0;
    l->seg_count = 0;
    l->cursor = l->s->win[0].base + rnd(l, l->s->win[0].size / 2);
    gen_live(l);
    sim_start(l->s);
    gen_segments(l);
    gen_placed(l);
    struct hop_error err;
    if (kimage_set_control(&l->s->k, rnd(l, 3) * PAGE_SIZE + rnd(l, PAGE_SIZE), PAGE_SIZE, &err))
        fail_msg("control: %s", err.msg);
}

/* What everything kimage allocated must stay out of. */
static bool collides_with_inputs(const struct layout *l, const struct sim_orig *o, paddr_t a,
                                 uint64_t len)
{
    const struct kimage *k = &l->s->k;
    const struct kimage_fixed *f = l->s->fixed_copy;
    (void)o;
    for (size_t i = 0; i < l->live_count; i++)
        if (a < l->live[i].end && l->live[i].start < a + len)
            return true;
    for (size_t i = 0; i < k->fixed_count; i++)
        if ((f[i].memsz && a < f[i].dst + f[i].memsz && f[i].dst < a + len) ||
            (f[i].filesz && a < f[i].src + f[i].filesz && f[i].src < a + len))
            return true;
    return false;
}

static void check_allocations(const struct layout *l, const struct sim_orig *o)
{
    const struct kimage *k = &l->s->k;
    for (size_t i = 0; i < k->placed_count; i++) {
        const struct kimage_placed *p = &k->placed[i];
        if (p->in_place)
            continue;
        if (p->addr % p->req.align || p->addr + p->req.size > p->req.max_end ||
            collides_with_inputs(l, o, p->addr, p->req.size))
            fail_msg("placed item %zu at 0x%llx breaks its constraints", i,
                     (unsigned long long)p->addr);
    }
    if (k->control_addr + k->stats.control_bytes > 4 * GiB ||
        collides_with_inputs(l, o, k->control_addr, k->stats.control_bytes))
        fail_msg("control area at 0x%llx is misplaced", (unsigned long long)k->control_addr);
    for (size_t i = 0; i < k->bounce_count; i++)
        if (collides_with_inputs(l, o, k->bounce[i].start, k->bounce[i].end - k->bounce[i].start))
            fail_msg("bounce chunk at 0x%llx is misplaced", (unsigned long long)k->bounce[i].start);
}

/* Each byte copied once, plus bounces. */
static void check_stats(const struct layout *l)
{
    const struct kimage *k = &l->s->k;
    const struct kimage_stats *st = &k->stats;
    uint64_t want = 0;
    for (size_t i = 0; i < k->fixed_count; i++)
        want += l->s->fixed_copy[i].memsz ? l->s->fixed_copy[i].filesz : 0;
    for (size_t i = 0; i < k->placed_count; i++)
        want += k->placed[i].in_place ? 0 : k->placed[i].req.filesz;
    if (st->load_copy_bytes + st->trampoline_copy_bytes != want)
        fail_msg("copied %llu bytes, expected %llu",
                 (unsigned long long)(st->load_copy_bytes + st->trampoline_copy_bytes),
                 (unsigned long long)want);
    if (st->bounce_bytes > st->trampoline_copy_bytes)
        fail_msg("bounced more than was deferred");
}

static void mark(uint8_t *busy, const struct sim_window *w, paddr_t start, paddr_t end,
                 uint8_t v)
{
    start = MAX(start, w->base);
    end = MIN(end, w->base + w->size);
    if (start < end)
        memset(busy + (start - w->base), v, end - start);
}

/* Largest run of bytes in window A (below 4 GiB) that are usable and in
 * nothing the layout gave: live, destinations, sources. */
static uint64_t largest_free_low(const struct layout *l)
{
    const struct sim_window *w = &l->s->win[0];
    const struct kimage *k = &l->s->k;
    uint8_t *busy = malloc(w->size);
    uint64_t best = 0, run = 0;
    memset(busy, 1, w->size);
    for (size_t i = 0; i < l->s->bi.map_count; i++)
        if (l->s->bi.map[i].type == MEM_USABLE)
            mark(busy, w, l->s->bi.map[i].start, l->s->bi.map[i].end, 0);
    for (size_t i = 0; i < l->live_count; i++)
        mark(busy, w, l->live[i].start, l->live[i].end, 1);
    for (size_t i = 0; i < k->fixed_count; i++) {
        mark(busy, w, k->fixed[i].dst, k->fixed[i].dst + k->fixed[i].memsz, 1);
        mark(busy, w, k->fixed[i].src, k->fixed[i].src + k->fixed[i].filesz, 1);
    }
    for (size_t i = 0; i < k->placed_count; i++)
        mark(busy, w, k->placed[i].req.src, k->placed[i].req.src + k->placed[i].req.filesz, 1);
    for (uint64_t i = 0; i < w->size; i++) {
        run = busy[i] ? 0 : run + 1;
        best = MAX(best, run);
    }
    free(busy);
    return best;
}

/* Everything the plan could ask for at most: a failure with this much free
 * in one piece is a planner bug, not an impossible layout. */
static uint64_t demand_bound(const struct layout *l)
{
    const struct kimage *k = &l->s->k;
    uint64_t need = SCRATCH_BOUND + k->control_size + 2 * PAGE_SIZE;
    for (size_t i = 0; i < k->fixed_count; i++)
        need += 3 * sizeof(struct reloc_op) + 2 * (k->fixed[i].filesz + 16) + PAGE_SIZE;
    for (size_t i = 0; i < k->placed_count; i++)
        need += ALIGN_UP(k->placed[i].req.size, PAGE_SIZE) + k->placed[i].req.align + 64;
    return need;
}

static void note_failure(struct layout *l, struct tally *t, const struct hop_error *err,
                         uint64_t seed)
{
    if (err->code != HOP_ERR_NOMEM)
        fail_msg("layout %llu: plan failed: %s", (unsigned long long)seed, err->msg);
    bool limited = false;
    for (size_t i = 0; i < l->s->k.placed_count; i++)
        limited = limited || l->s->k.placed[i].req.max_end != UINT64_MAX;
    uint64_t largest = largest_free_low(l);
    if (!limited && largest >= demand_bound(l))
        fail_msg("layout %llu: out of memory with 0x%llx bytes free in one piece: %s",
                 (unsigned long long)seed, (unsigned long long)largest, err->msg);
    if (!t->nomem++)
        memcpy(t->example, err->msg, sizeof(t->example));
    if (strstr(err->msg, "bounce"))
        t->nomem_bounce++;
    else if (strstr(err->msg, "control area"))
        t->nomem_control++;
    else if (strstr(err->msg, "scratch"))
        t->nomem_scratch++;
    else
        t->nomem_placed++;
    if (getenv("RELOC_VERBOSE"))
        print_message("nomem %llu: largest 0x%llx bound 0x%llx: %s\n", (unsigned long long)seed,
                      (unsigned long long)largest, (unsigned long long)demand_bound(l), err->msg);
}

static void tally_plan(struct tally *t, const struct kimage_stats *st, size_t windows)
{
    t->planned++;
    t->direct += st->direct_count;
    t->deferred += st->deferred_count;
    t->pieces += st->piece_count;
    t->placed += st->placed_count;
    t->in_place += st->in_place_count;
    t->bounced_layouts += st->bounced_pieces != 0;
    t->bounced_pieces += st->bounced_pieces;
    t->cycles_max = MAX(t->cycles_max, st->bounced_pieces);
    t->bounce_bytes += st->bounce_bytes;
    t->data_bytes += st->data_bytes;
    t->copied_bytes += st->load_copy_bytes + st->trampoline_copy_bytes + st->bounce_bytes;
    t->windows_above_4g += windows > 1;
}

/* One destination byte flipped after the run: the VERIFY ops must fail, at
 * the VERIFY of the segment holding that byte. */
static void check_corruption_found(struct layout *l, struct tally *t)
{
    const struct kimage_fixed *f = l->s->fixed_copy;
    size_t i = rnd(l, l->s->k.fixed_count), bad = 0;
    if (l->s->k.fixed_count == 0 || !f[i].memsz)
        return;
    paddr_t at = f[i].dst + rnd(l, f[i].memsz);
    const struct reloc_op *ops = kimage_ops(&l->s->k), *v = ops;
    while (v->kind != RELOC_OP_VERIFY)
        v++;
    sim_at(l->s, at, 1)[0] ^= (uint8_t)(1u << rnd(l, 8));
    if (reloc_run_ops(v, &l->s->rw, &bad) != HOP_ERR_CHECKSUM || v[bad].dst > at ||
        at >= v[bad].dst + v[bad].len)
        fail_msg("a flipped byte at 0x%llx went unnoticed", (unsigned long long)at);
    t->corrupted++;
}

static void run_layout(struct sim *s, uint64_t seed, struct tally *t)
{
    struct layout l = { .rng = seed, .s = s };
    struct sim_orig orig;
    struct hop_error err = { 0 };
    char why[256];
    gen_layout(&l, &orig);
    t->layouts++;
    if (kimage_plan(&s->k, &err) != HOP_OK) {
        note_failure(&l, t, &err, seed);
        return;
    }
    if (sim_load_run(s, &err) != HOP_OK)
        fail_msg("layout %llu: load/run failed: %s", (unsigned long long)seed, err.msg);
    if (!sim_check(s, &orig, why, sizeof(why)))
        fail_msg("layout %llu: %s", (unsigned long long)seed, why);
    check_allocations(&l, &orig);
    check_stats(&l);
    if (seed % 16 == 0)
        check_corruption_found(&l, t);
    tally_plan(t, &s->k.stats, s->win_count);
}

static void test_random_layouts(void **state)
{
    (void)state;
    const char *env = getenv("RELOC_LAYOUTS");
    size_t layouts = env ? strtoull(env, NULL, 0) : DEFAULT_LAYOUTS;
    struct tally t = { 0 };
    struct sim *s = sim_new();
    uint64_t fill = 42;
    pattern = malloc(PATTERN_SIZE);
    assert_non_null(pattern);
    for (size_t i = 0; i < PATTERN_SIZE; i += 8) {
        uint64_t v = sim_rand(&fill);
        memcpy(pattern + i, &v, 8);
    }
    for (size_t i = 0; i < layouts; i++)
        run_layout(s, RELOC_SEED + i, &t);
    print_message("relocplan: %zu layouts, %zu planned and verified, %zu out of memory: "
                  "%zu placing items, %zu control area, %zu bounce, %zu scratch (e.g. \"%s\")\n",
                  t.layouts, t.planned, t.nomem, t.nomem_placed, t.nomem_control, t.nomem_bounce,
                  t.nomem_scratch, t.example);
    print_message("relocplan: %zu single-byte corruptions caught by VERIFY\n", t.corrupted);
    print_message("relocplan: %zu direct / %zu deferred segments, %zu pieces, %zu placed "
                  "(%zu in place), %zu layouts with RAM above 4 GiB\n", t.direct, t.deferred,
                  t.pieces, t.placed, t.in_place, t.windows_above_4g);
    print_message("relocplan: %zu layouts bounced %zu pieces (max %zu in one), %llu bytes; "
                  "copies %llu / data %llu = %llu/1000\n", t.bounced_layouts, t.bounced_pieces,
                  t.cycles_max, (unsigned long long)t.bounce_bytes,
                  (unsigned long long)t.copied_bytes, (unsigned long long)t.data_bytes,
                  (unsigned long long)(t.data_bytes ? t.copied_bytes * 1000 / t.data_bytes : 0));
    assert_true(t.nomem * 100 <= t.layouts); /* impossible layouts stay rare */
    assert_true(t.bounced_layouts > 0);
    free(pattern);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
