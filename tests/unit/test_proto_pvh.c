/* Unit tests of src/protos/pvh.c: the PVH start info hop hands to a kernel
 * entered through its XEN_ELFNOTE_PHYS32_ENTRY.  Each block is built from a
 * realistic input into a buffer at a fake physical address and read back at
 * the offsets of Xen's public/arch-x86/hvm/start_info.h (struct
 * hvm_start_info version 1, hvm_modlist_entry, hvm_memmap_table_entry),
 * transcribed here independently of the code under test. */
#define FX_MAP_EXTRA { 0x180000000, 0x1c0000000, MEM_PERSISTENT }, /* fx_map's last */
#include "proto_fixture.h"

/* ---- start_info.h ------------------------------------------------------- */

#define MAGIC 0x336ec578u
enum {
    SI_MAGIC = 0, SI_VERSION = 4, SI_FLAGS = 8, SI_NR_MODULES = 12, SI_MODLIST = 16,
    SI_CMDLINE = 24, SI_RSDP = 32, SI_MEMMAP = 40, SI_MEMMAP_ENTRIES = 48,
    SI_RESERVED = 52, SI_SIZE = 56,
};
enum { MOD_PADDR = 0, MOD_SIZE = 8, MOD_CMDLINE = 16, MOD_RESERVED = 24, MOD_ENTRY = 32 };
enum { MM_ADDR = 0, MM_SIZE = 8, MM_TYPE = 16, MM_RESERVED = 20, MM_ENTRY = 24 };
enum { XEN_RAM = 1, XEN_RESERVED = 2, XEN_ACPI = 3, XEN_NVS = 4, XEN_PMEM = 7 };

/* ---- the realistic input (proto_fixture.h) ----------------------------- */

/* The modules stay usable (Linux frees its initrd); the info is marked. */
static const struct mem_region fx_xen_map_marked[] = {
    { 0x0, 0x9fc00, XEN_RAM },
    { 0x9fc00, 0xa0000, XEN_RESERVED },
    { 0xf0000, 0x100000, XEN_RESERVED },
    { 0x100000, 0x3000000, XEN_RAM },
    { 0x3000000, 0x3001000, XEN_RESERVED },
    { 0x3001000, 0x7fee0000, XEN_RAM },
    { 0x7fee0000, 0x7ff00000, XEN_ACPI },
    { 0x7ff00000, 0x80000000, XEN_NVS },
    { 0xfec00000, 0xfec01000, XEN_RESERVED },
    { 0xfffc0000, 0x100000000, XEN_RESERVED },
    { 0x100000000, 0x180000000, XEN_RAM },
    { 0x180000000, 0x1c0000000, XEN_PMEM },
};

static const uint8_t fx_rsdp_v2[36] = "RSD PTR \x17" "BOCHS \x02\x00\xe0\x0f\x00\x24";

static void fixture(void)
{
    fx_fixture(&(const struct fx_spec){
        .bi_cmdline = "", .bi_loader_name = "GRUB 2.06",
        .cmdline = "console=ttyS0 earlyprintk=ttyS0",
        /* PVH addresses are 64-bit: a module above 4 GiB is fine. */
        .mods = { { 0x2000000, 0x2123456, "/boot/initrd.img" },
                  { 0x100200000, 0x100280000, "/boot/extra arg=1" } },
        .module0_what = "module 0" });
    fx_bi.rsdp_v1 = fx_rsdp_v1;
    fx_bi.rsdp_v1_len = sizeof(fx_rsdp_v1);
    fx_bi.rsdp_v2 = fx_rsdp_v2;
    fx_bi.rsdp_v2_len = sizeof(fx_rsdp_v2);
}

/* ---- reading the block back -------------------------------------------- */

static const struct fx_proto proto = { &handoff_pvh, SI_SIZE, 8192, false };

static uint8_t *build(const struct handoff_input *in, paddr_t paddr, size_t *used)
{
    return fx_build(&proto, in, paddr, used);
}

static void expect_memmap(const uint8_t *buf, paddr_t base, size_t used,
                          const struct mem_region *want, size_t n)
{
    assert_int_equal(rd32(buf, SI_MEMMAP_ENTRIES), n);
    uint64_t addr = rd64(buf, SI_MEMMAP);
    assert_int_equal(addr % 8, 0);
    size_t mm = inside(base, used, addr, n * MM_ENTRY);
    for (size_t i = 0; i < n; i++) {
        size_t e = mm + i * MM_ENTRY;
        assert_int_equal(rd64(buf, e + MM_ADDR), want[i].start);
        assert_int_equal(rd64(buf, e + MM_SIZE), want[i].end - want[i].start);
        assert_int_equal(rd32(buf, e + MM_TYPE), want[i].type);
        assert_int_equal(rd32(buf, e + MM_RESERVED), 0);
    }
}

/* ---- tests ------------------------------------------------------------- */

static void test_realistic(void **state)
{
    (void)state;
    size_t used;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_true(handoff_info_size(&handoff_pvh, &fx_in) <= PAGE); /* fx_xen_map_marked's one info page */
    assert_int_equal(rd32(buf, SI_MAGIC), MAGIC);
    assert_int_equal(rd32(buf, SI_VERSION), 1);
    assert_int_equal(rd32(buf, SI_FLAGS), 0);
    assert_int_equal(rd32(buf, SI_RESERVED), 0);
    assert_string_equal(string_at(buf, INFO_PADDR, used, rd64(buf, SI_CMDLINE)),
                        fx_in.cmdline);
    assert_int_equal(rd64(buf, SI_RSDP), 0xf5a40); /* the real one, known */

    assert_int_equal(rd32(buf, SI_NR_MODULES), 2);
    uint64_t list = rd64(buf, SI_MODLIST);
    assert_int_equal(list % 8, 0);
    size_t ml = inside(INFO_PADDR, used, list, 2 * MOD_ENTRY);
    for (size_t i = 0; i < 2; i++) {
        size_t e = ml + i * MOD_ENTRY;
        assert_int_equal(rd64(buf, e + MOD_PADDR), fx_mods[i].start);
        assert_int_equal(rd64(buf, e + MOD_SIZE), fx_mods[i].end - fx_mods[i].start);
        assert_string_equal(string_at(buf, INFO_PADDR, used, rd64(buf, e + MOD_CMDLINE)),
                            fx_mods[i].cmdline);
        assert_int_equal(rd64(buf, e + MOD_RESERVED), 0);
    }
    expect_memmap(buf, INFO_PADDR, used, fx_xen_map_marked, N(fx_xen_map_marked));
    free(buf);
}

/* Without the real RSDP's address, a copy in the block (16-byte aligned, as
 * firmware places it), the ACPI 2.0 one first. */
static void test_rsdp_copy(void **state)
{
    (void)state;
    size_t used;
    fx_in.rsdp_addr = 0;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    uint64_t rsdp = rd64(buf, SI_RSDP);
    assert_int_equal(rsdp % 16, 0);
    assert_memory_equal(buf + inside(INFO_PADDR, used, rsdp, 36), fx_rsdp_v2, 36);
    free(buf);

    fx_bi.rsdp_v2 = NULL;
    buf = build(&fx_in, INFO_PADDR, &used);
    rsdp = rd64(buf, SI_RSDP);
    assert_int_equal(rsdp % 16, 0);
    assert_memory_equal(buf + inside(INFO_PADDR, used, rsdp, 20), fx_rsdp_v1, 20);
    free(buf);

    fx_bi.rsdp_v1 = NULL;
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(rd64(buf, SI_RSDP), 0);
    free(buf);
}

static void test_no_modules(void **state)
{
    (void)state;
    size_t used;
    fx_in.module_count = 0;
    fx_in.cmdline = "";
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(rd32(buf, SI_NR_MODULES), 0);
    assert_int_equal(rd64(buf, SI_MODLIST), 0);
    assert_string_equal(string_at(buf, INFO_PADDR, used, rd64(buf, SI_CMDLINE)), "");
    free(buf);
}

/* A reserved range spanning modules and other memory: the modules' pages
 * are carved out, the rest is marked. */
static void test_modules_carved_out(void **state)
{
    (void)state;
    size_t used;
    static const struct phys_range span[] = { { 0x1f00000, 0x3000800, "everything" } };
    static const struct mem_region want[] = {
        { 0x0, 0x9fc00, XEN_RAM },
        { 0x9fc00, 0xa0000, XEN_RESERVED },
        { 0xf0000, 0x100000, XEN_RESERVED },
        { 0x100000, 0x1f00000, XEN_RAM },
        { 0x1f00000, 0x2000000, XEN_RESERVED },
        { 0x2000000, 0x2124000, XEN_RAM }, /* module 0, whole pages */
        { 0x2124000, 0x3001000, XEN_RESERVED },
        { 0x3001000, 0x7fee0000, XEN_RAM },
    };
    fx_in.reserved = span;
    fx_in.reserved_count = 1;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    uint32_t n = rd32(buf, SI_MEMMAP_ENTRIES);
    assert_int_equal(n, N(fx_xen_map_marked) + 2);
    /* The first entries: the rest is as in fx_xen_map_marked. */
    size_t mm = inside(INFO_PADDR, used, rd64(buf, SI_MEMMAP), n * MM_ENTRY);
    for (size_t i = 0; i < N(want); i++) {
        assert_int_equal(rd64(buf, mm + i * MM_ENTRY + MM_ADDR), want[i].start);
        assert_int_equal(rd64(buf, mm + i * MM_ENTRY + MM_SIZE), want[i].end - want[i].start);
        assert_int_equal(rd32(buf, mm + i * MM_ENTRY + MM_TYPE), want[i].type);
    }
    free(buf);
}

static void test_every_short_capacity(void **state)
{
    (void)state;
    fx_in.rsdp_addr = 0; /* with the RSDP copy too */
    fx_every_short_capacity(&proto);
}

static void expect_build_error(paddr_t paddr, int code, const char *part)
{
    fx_expect_build_error(&proto, &fx_in, paddr, code, part);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_build_error(0x100000000, HOP_ERR_RANGE, "PVH start info: buffer at 0x100000000");
    expect_build_error(0xffffff00, HOP_ERR_RANGE, "pass 0x100000000");
    expect_build_error(INFO_PADDR + 4, HOP_ERR_INVALID, "aligned");
    fx_in.loader_name = NULL;
    expect_build_error(INFO_PADDR, HOP_ERR_INVALID, "loader name");
}

/* ---- the map marking, against a model ---------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

static bool in_pages(paddr_t a, paddr_t start, paddr_t end)
{
    return start < end && a >= (start & ~(PAGE - 1)) && a < ((end + PAGE - 1) & ~(PAGE - 1));
}

static uint32_t model_type(paddr_t a, const struct mem_region *map, size_t n,
                           const struct phys_range *res, size_t nres, paddr_t own_end)
{
    uint32_t type = 0;
    for (size_t i = 0; i < n; i++)
        if (a >= map[i].start && a < map[i].end)
            type = map[i].type;
    if (type != MEM_USABLE)
        return type; /* only usable RAM is ever marked */
    bool marked = in_pages(a, INFO_PADDR, own_end);
    for (size_t i = 0; i < nres; i++)
        marked |= in_pages(a, res[i].start, res[i].end);
    for (size_t i = 0; i < fx_in.module_count; i++)
        if (in_pages(a, fx_mods[i].start, fx_mods[i].end))
            return MEM_USABLE; /* modules are exempt, whole pages */
    return marked ? MEM_RESERVED : MEM_USABLE;
}

static uint32_t handed_type(const uint8_t *buf, paddr_t a)
{
    uint32_t n = rd32(buf, SI_MEMMAP_ENTRIES);
    size_t mm = (size_t)(rd64(buf, SI_MEMMAP) - INFO_PADDR);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t start = rd64(buf, mm + i * MM_ENTRY), size = rd64(buf, mm + i * MM_ENTRY + 8);
        if (a >= start && a - start < size)
            return rd32(buf, mm + i * MM_ENTRY + MM_TYPE);
    }
    return 0;
}

/* Random maps, reserved ranges and modules; the handed-on type checked at
 * every boundary and the bytes either side. */
static void test_marking_model(void **state)
{
    (void)state;
    static const uint32_t types[] = { MEM_USABLE, MEM_USABLE, MEM_RESERVED,
                                      MEM_ACPI_RECLAIM, MEM_ACPI_NVS, MEM_PERSISTENT };
    static struct mem_region map[16];
    static struct phys_range res[6];
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd(N(map)), nres = rnd(N(res) + 1);
        paddr_t at = 0;
        for (size_t i = 0; i < n; i++) {
            at += rnd(3) * 0x800 * rnd(8);
            map[i].start = at;
            at += 0x100 + rnd(0x400000);
            map[i].end = at;
            map[i].type = types[rnd(N(types))];
        }
        for (size_t i = 0; i < nres; i++) {
            res[i].start = rnd(at + 0x1000);
            res[i].end = res[i].start + rnd(0x80000);
            res[i].what = "random";
        }
        fixture();
        memcpy(fx_bi.map, map, n * sizeof(map[0]));
        fx_bi.map_count = n;
        fx_in.module_count = rnd(3);
        for (size_t i = 0; i < fx_in.module_count; i++) {
            fx_mods[i].start = rnd(at + 0x1000);
            fx_mods[i].end = fx_mods[i].start + rnd(0x40000);
        }
        fx_in.reserved = res;
        fx_in.reserved_count = nres;
        size_t used;
        uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
        paddr_t own_end = INFO_PADDR + handoff_info_size(&handoff_pvh, &fx_in);
        paddr_t probes[2 * (N(map) + N(res) + 2 + 1)];
        size_t np = 0;
        for (size_t i = 0; i < n; i++) {
            probes[np++] = map[i].start;
            probes[np++] = map[i].end;
        }
        for (size_t i = 0; i < nres; i++) {
            probes[np++] = res[i].start;
            probes[np++] = res[i].end;
        }
        for (size_t i = 0; i < fx_in.module_count; i++) {
            probes[np++] = fx_mods[i].start;
            probes[np++] = fx_mods[i].end;
        }
        probes[np++] = INFO_PADDR;
        probes[np++] = own_end;
        for (size_t i = 0; i < np; i++) {
            paddr_t base = probes[i] & ~(PAGE - 1);
            paddr_t around[] = { probes[i] - 1, probes[i], probes[i] + 1, base - 1, base,
                                 base + PAGE - 1, base + PAGE };
            for (size_t j = 0; j < N(around); j++) {
                paddr_t a = around[j];
                uint32_t want = model_type(a, map, n, res, nres, own_end);
                uint32_t got = handed_type(buf, a);
                if (want != got)
                    fail_msg("round %d: at 0x%llx the map says %u, the model %u", round,
                             (unsigned long long)a, got, want);
            }
        }
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_realistic, setup),
        cmocka_unit_test_setup(test_rsdp_copy, setup),
        cmocka_unit_test_setup(test_no_modules, setup),
        cmocka_unit_test_setup(test_modules_carved_out, setup),
        cmocka_unit_test_setup(test_every_short_capacity, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_marking_model, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
