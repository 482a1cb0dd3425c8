/* Unit tests of src/boot/summary.c: a kimage planned and loaded on the
 * simulated machine of sim.c, an attempt around it, and the summary as the
 * consoles get it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.c"
#include "boot/summary.h"
#include "capture.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define BASE (16 * MiB)
#define RAMDISK (BASE + 512 * KiB)

static struct sim *S;
static struct hop_error E;
static struct boot_attempt A;
static struct config_entry entry = { .title = "t", .kernel = "/boot/k.elf", .cmdline = "" };

static int setup(void **state)
{
    (void)state;
    capture_start();
    S = sim_new();
    sim_reset(S);
    sim_window(S, 0, BASE, 1 * MiB);
    sim_region(S, BASE, BASE + 1 * MiB, MEM_USABLE);
    sim_fill_random(S, 1);
    sim_live(S, RAMDISK, RAMDISK + 64 * KiB, "ramdisk");
    sim_start(S);
    memset(&A, 0, sizeof(A));
    A.entry = &entry;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_free(S);
    return 0;
}

static void plan_and_load(void)
{
    if (kimage_plan(&S->k, &E) || kimage_load(&S->k, &E))
        fail_msg("plan/load: %s", E.msg);
    A.k = S->k; /* the summary only reads it */
}

static void expect(const char *line)
{
    if (!strstr(capture_out, line))
        fail_msg("missing \"%s\" in:\n%s", line, capture_out);
}

static void test_summary(void **state)
{
    (void)state;
    size_t module, info;
    /* Segment 0 lands on free memory (loaded now); segment 1 on the RAM
     * disk, which is still being read (the trampoline moves it). */
    assert_int_equal(kimage_add_fixed(&S->k, BASE + 0x1000, RAMDISK, 0x100, 0x2000,
                                      "/boot/k.elf", &E), HOP_OK);
    assert_int_equal(kimage_add_fixed(&S->k, RAMDISK + 8 * KiB, RAMDISK + 16 * KiB, 0x1000,
                                      0x1000, "/boot/k.elf", &E), HOP_OK);
    struct kimage_place_req m = { .size = 4 * KiB, .align = 4 * KiB, .src = RAMDISK + 32 * KiB,
                                  .filesz = 100, .name = "/boot/initrd.img" };
    assert_int_equal(kimage_add_placed(&S->k, &m, &module, &E), HOP_OK);
    struct kimage_place_req i = { .size = 4 * KiB, .align = 8, .name = "boot info" };
    assert_int_equal(kimage_add_placed(&S->k, &i, &info, &E), HOP_OK);
    plan_and_load();
    A.module_count = 1;
    A.modules[0] = (struct boot_attempt_module){ .file = { .size = 100 }, .cmdline = "initrd",
                                                 .placed = module };
    A.has_initrd = true;
    A.proto = &proto_linux;
    struct handoff_cpu h = { .mode = HANDOFF_MODE_PROT32, .entry = BASE + 0x1000,
                              .rax = 0x36d76289, .rbx = 0x9000, .protocol = "multiboot2" };
    boot_print_summary(&A, &h);

    expect("hop: boot summary: multiboot2 /boot/k.elf, entry 0x1001000 in 32-bit protected "
           "mode, paging off\n");
    expect("hop:   registers: rax=0x36d76289 rbx=0x9000\n");
    expect("hop:   segment 0 0x1001000-0x1003000 8192 bytes (256 from the file), loaded now\n");
    expect("hop:   segment 1 0x1082000-0x1083000 4096 bytes (4096 from the file), by the "
           "trampoline\n");
    char line[160];
    const struct kimage_placed *p = &A.k.placed[module];
    snprintf(line, sizeof(line), "hop:   module 0 0x%llx-0x%llx 100 bytes (initrd), copied "
             "\"initrd\"\n", (unsigned long long)p->addr, (unsigned long long)p->addr + 100);
    expect(line);
    p = &A.k.placed[info];
    snprintf(line, sizeof(line), "hop:   boot info 0x%llx-0x%llx 4096 bytes\n",
             (unsigned long long)p->addr, (unsigned long long)p->addr + 4096);
    expect(line);
    snprintf(line, sizeof(line), "hop:   copied %llu bytes at load, 4096 by the trampoline",
             (unsigned long long)A.k.stats.load_copy_bytes);
    expect(line);
    snprintf(line, sizeof(line), "amplification 1.000, trampoline at 0x%llx, ",
             (unsigned long long)A.k.control_addr);
    expect(line);
    /* one block: every line starts with "hop:" */
    for (const char *l = capture_out; *l; l = strchr(l, '\n') + 1)
        assert_memory_equal(l, "hop:", 4);
}

static void test_many_segments(void **state)
{
    (void)state;
    for (int s = 0; s < BOOT_SUMMARY_MAX_SEGMENTS + 4; s++)
        assert_int_equal(kimage_add_fixed(&S->k, BASE + (uint64_t)s * 8 * KiB, RAMDISK, 16, 16,
                                          "/boot/k.elf", &E), HOP_OK);
    plan_and_load();
    struct handoff_cpu h = { .mode = HANDOFF_MODE_LONG, .entry = BASE, .protocol = "elf" };
    boot_print_summary(&A, &h);
    expect("in 64-bit long mode\n");
    expect("hop:   registers: all zero\n");
    expect("hop:   segment 15 ");
    assert_null(strstr(capture_out, "hop:   segment 16 "));
    expect("hop:   ... and 4 more segment(s)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_segments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
