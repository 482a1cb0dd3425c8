/* Host benchmark of the relocation planner: kimage_plan on layouts of 10k,
 * 100k and 1M pages, to show near-linear growth.  Prints one line per run:
 *   reloc <layout> <pages> add <ms> plan <ms> ns/page <n> pieces <n> ops <n> bounced <n>
 * "plan" excludes the digests (a no-op CRC is installed: they are a separate
 * cost, one CRC32C pass over the sources, printed last as software MB/s).
 *
 * Layouts (all segments deferred: their destinations overlap the RAM disk):
 *   shift    N 4-KiB segments moved up by N/2 pages over their own source
 *   perm     N 4-KiB segments permuted inside the RAM disk (cycles: bounces)
 *   shuffle  N segments of 1..8 KiB at byte addresses, sources shuffled
 *            inside the RAM disk (cut into pieces; cycles)
 * Physical memory is a sparse MAP_NORESERVE mapping: only what the planner
 * writes (its tables, the op list) is ever touched.
 *
 * Build (no sanitizers):
 *   gcc -std=gnu11 -O2 -Isrc -DHOP_HOST tools/bench/reloc_bench.c src/reloc/kimage.c \
 *       src/reloc/kimage_alloc.c src/reloc/plan.c src/reloc/order.c src/reloc/emit.c \
 *       src/reloc/oplist_run.c src/lib/crc32c.c src/mm/physmem.c src/parse/bootinfo.c src/lib/fmt.c \
 *       src/lib/error.c src/console/progress.c src/console/console.c -o build/reloc_bench */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/crc32c.h"
#include "reloc/kimage.h"

#define GiB (1ull << 30)
#define MEM_TOP (14 * GiB)  /* simulated RAM: usable [1 MiB, 14 GiB) */
#define DST_BASE (4 * GiB)  /* destinations above 4 GiB; the control area below */

static uint8_t *ram;
static struct bootinfo bi;
static struct physmem pm;
static struct kimage k;

static void *bench_map(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    return addr < MEM_TOP && len <= MEM_TOP - addr ? ram + addr : NULL;
}

static uint32_t no_crc(uint32_t crc, const void *data, size_t len)
{
    (void)data;
    return crc ^ (uint32_t)len;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static uint64_t rng_state = 1;
static uint64_t rnd(uint64_t n)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) % n;
}

static void fresh_machine(paddr_t disk_start, paddr_t disk_end)
{
    memset(&bi, 0, sizeof(bi));
    bi.map[0] = (struct mem_region){ 1ull << 20, MEM_TOP, MEM_USABLE };
    bi.map_count = 1;
    physmem_init(&pm, &bi);
    physmem_reserve(&pm, disk_start, disk_end, "ramdisk");
    kimage_init(&k, &bi, &pm, &(struct phys_rw){ bench_map, NULL });
    kimage_set_control(&k, 16384, 4096, NULL);
}

static uint32_t *permutation(size_t n)
{
    uint32_t *p = malloc(n * sizeof(*p));
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd(i + 1);
        uint32_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    return p;
}

static void add(paddr_t dst, paddr_t src, uint64_t len)
{
    struct hop_error err;
    if (kimage_add_fixed(&k, dst, src, len, len, "bench", &err)) {
        fprintf(stderr, "add: %s\n", err.msg);
        exit(1);
    }
}

static void layout_shift(size_t n)
{
    paddr_t disk = DST_BASE + n / 2 * 4096;
    fresh_machine(disk, disk + n * 4096);
    for (size_t i = 0; i < n; i++)
        add(DST_BASE + i * 4096, disk + i * 4096, 4096);
}

static void layout_perm(size_t n)
{
    uint32_t *p = permutation(n);
    fresh_machine(DST_BASE, DST_BASE + n * 4096);
    for (size_t i = 0; i < n; i++)
        add(DST_BASE + i * 4096, DST_BASE + (paddr_t)p[i] * 4096, 4096);
    free(p);
}

static void layout_shuffle(size_t n)
{
    uint32_t *p = permutation(n);
    fresh_machine(DST_BASE, DST_BASE + n * 8192 + 8192);
    for (size_t i = 0; i < n; i++) {
        uint64_t len = 1 + rnd(8191);
        add(DST_BASE + i * 8192 + rnd(8192 - len + 1), DST_BASE + (paddr_t)p[i] * 8192 + rnd(8192),
            len);
    }
    free(p);
}

static void run(const char *name, void (*layout)(size_t), size_t n)
{
    struct hop_error err;
    rng_state = n;
    double t0 = now_ms();
    layout(n);
    double t1 = now_ms();
    if (kimage_plan(&k, &err)) {
        fprintf(stderr, "%s %zu: %s\n", name, n, err.msg);
        exit(1);
    }
    double t2 = now_ms();
    printf("reloc %-8s %8zu add %8.1f ms plan %8.1f ms ns/page %6.0f pieces %8zu ops %8zu "
           "bounced %zu (%llu bytes) scratch %llu KiB\n", name, n, t1 - t0, t2 - t1,
           (t2 - t1) * 1e6 / (double)n, k.stats.piece_count, k.stats.op_count,
           k.stats.bounced_pieces, (unsigned long long)k.stats.bounce_bytes,
           (unsigned long long)k.stats.scratch_bytes >> 10);
}

static void crc_speed(void)
{
    size_t len = 64u << 20;
    uint8_t *buf = malloc(len);
    memset(buf, 0x5a, len);
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double t0 = now_ms();
        volatile uint32_t c = crc32c_sw(0, buf, len);
        (void)c;
        best = MIN(best, now_ms() - t0);
    }
    printf("crc32c software (slice-by-8): %.0f MB/s\n", (double)len / (best * 1e3));
    free(buf);
}

int main(void)
{
    static const size_t sizes[] = { 10000, 100000, 1000000 };
    ram = mmap(NULL, MEM_TOP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
    if (ram == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    crc32c_set_impl(no_crc);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        run("shift", layout_shift, sizes[i]);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        run("perm", layout_perm, sizes[i]);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        run("shuffle", layout_shuffle, sizes[i]);
    crc32c_set_impl(NULL);
    crc_speed();
    return 0;
}
