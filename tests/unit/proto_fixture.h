/* The realistic input and the read-back helpers shared by the boot protocol
 * tests (test_proto_multiboot1.c, test_proto_multiboot2.c, test_proto_pvh.c,
 * test_proto_linux.c).  Each includes this header once; what differs from
 * one protocol to the next is a parameter:
 *
 *   - struct fx_spec: the strings and modules of the input, given to
 *     fx_fixture, after which the test adds its own (framebuffer, RSDP...);
 *   - struct fx_proto: the builder under test and how its results are
 *     checked, given to fx_build, fx_expect_build_error and
 *     fx_every_short_capacity;
 *   - FX_MAP_EXTRA, when defined before the include: one more entry at the
 *     end of fx_map.
 *
 * Not every test uses every helper, hence FX_UNUSED. */
#ifndef HOP_TEST_PROTO_FIXTURE_H
#define HOP_TEST_PROTO_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/bootinfo.h"
#include "protos/handoff.h"

#define FX_UNUSED __attribute__((unused))

#define PAGE 0x1000ull
#define INFO_PADDR 0x3000000ull
#define KIB 1024u
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the realistic input ----------------------------------------------- */

/* QEMU-like: a hole below 1 MiB, ACPI at the top of low RAM, the PCI hole,
 * 2 GiB above 4 GiB. */
static const struct mem_region fx_map[] = {
    { 0x0, 0x9fc00, MEM_USABLE },
    { 0x9fc00, 0xa0000, MEM_RESERVED },
    { 0xf0000, 0x100000, MEM_RESERVED },
    { 0x100000, 0x7fee0000, MEM_USABLE },
    { 0x7fee0000, 0x7ff00000, MEM_ACPI_RECLAIM },
    { 0x7ff00000, 0x80000000, MEM_ACPI_NVS },
    { 0xfec00000, 0xfec01000, MEM_RESERVED },
    { 0xfffc0000, 0x100000000, MEM_RESERVED },
    { 0x100000000, 0x180000000, MEM_USABLE },
#ifdef FX_MAP_EXTRA
    FX_MAP_EXTRA
#endif
};

/* The map the multiboot builders hand on: both modules and the info page
 * made reserved. */
static const struct mem_region fx_map_marked[] FX_UNUSED = {
    { 0x0, 0x9fc00, MEM_USABLE },
    { 0x9fc00, 0xa0000, MEM_RESERVED },
    { 0xf0000, 0x100000, MEM_RESERVED },
    { 0x100000, 0x2000000, MEM_USABLE },
    { 0x2000000, 0x2124000, MEM_RESERVED }, /* module 0, rounded up to a page */
    { 0x2124000, 0x2200000, MEM_USABLE },
    { 0x2200000, 0x2280000, MEM_RESERVED }, /* module 1 */
    { 0x2280000, 0x3000000, MEM_USABLE },
    { 0x3000000, 0x3001000, MEM_RESERVED }, /* the info */
    { 0x3001000, 0x7fee0000, MEM_USABLE },
    { 0x7fee0000, 0x7ff00000, MEM_ACPI_RECLAIM },
    { 0x7ff00000, 0x80000000, MEM_ACPI_NVS },
    { 0xfec00000, 0xfec01000, MEM_RESERVED },
    { 0xfffc0000, 0x100000000, MEM_RESERVED },
    { 0x100000000, 0x180000000, MEM_USABLE }, /* above 4 GiB: listed all the same */
};

#define FX_MEM_LOWER 639u
#define FX_MEM_UPPER ((0x7fee0000u - 0x100000u) / KIB)

static const uint8_t fx_rsdp_v1[20] FX_UNUSED = "RSD PTR \x42OEMID\0\x00\xe0\x0f\x00";

static struct bootinfo fx_bi; /* 8 KiB: off the stack */
static struct handoff_module fx_mods[2];
static struct phys_range fx_reserved[3];
static struct handoff_input fx_in;

/* What differs between the protocols' inputs. */
struct fx_spec {
    const char *bi_cmdline;     /* hop's own command line */
    const char *bi_loader_name; /* the loader that started hop */
    const char *cmdline;        /* the kernel's command line */
    struct handoff_module mods[2];
    const char *module0_what;   /* what fx_reserved[1] calls module 0 */
};

/* fx_bi with fx_map, two modules, each listed as reserved after the info
 * page, and fx_in handing them on with the real RSDP's address. */
static void fx_fixture(const struct fx_spec *s)
{
    memset(&fx_bi, 0, sizeof(fx_bi));
    memcpy(fx_bi.map, fx_map, sizeof(fx_map));
    fx_bi.map_count = N(fx_map);
    fx_bi.cmdline = s->bi_cmdline;
    fx_bi.loader_name = s->bi_loader_name;
    fx_mods[0] = s->mods[0];
    fx_mods[1] = s->mods[1];
    fx_reserved[0] = (struct phys_range){ INFO_PADDR, INFO_PADDR + PAGE, "boot information" };
    fx_reserved[1] = (struct phys_range){ fx_mods[0].start, fx_mods[0].end, s->module0_what };
    fx_reserved[2] = (struct phys_range){ fx_mods[1].start, fx_mods[1].end, "module 1" };
    fx_in = (struct handoff_input){
        .bi = &fx_bi, .cmdline = s->cmdline, .loader_name = "hop 0.1",
        .modules = fx_mods, .module_count = 2, .reserved = fx_reserved,
        .reserved_count = 3, .rsdp_addr = 0xf5a40,
    };
}

/* A 1024x768x32 RGB framebuffer at addr. */
static FX_UNUSED struct framebuffer fx_rgb_fb(uint64_t addr)
{
    return (struct framebuffer){ .addr = addr, .pitch = 4096, .width = 1024,
                                 .height = 768, .bpp = 32, .type = FB_RGB,
                                 .red_pos = 16, .red_size = 8, .green_pos = 8,
                                 .green_size = 8, .blue_pos = 0, .blue_size = 8 };
}

static void fixture(void);

static int setup(void **state)
{
    (void)state;
    fixture();
    return 0;
}

/* ---- building the block ------------------------------------------------ */

/* The builder under test and how its results are checked. */
struct fx_proto {
    const struct handoff_builder *builder;
    size_t min_used;       /* fx_build checks *used >= this */
    size_t error_cap;      /* the capacity fx_expect_build_error gives */
    bool checks_err_code;  /* failures also checked in err.code */
};

/* Builds into a buffer of exactly info_size bytes (ASan catches any write
 * beyond what the builder was allowed). */
static uint8_t *fx_build(const struct fx_proto *p, const struct handoff_input *in,
                         paddr_t paddr, size_t *used)
{
    struct hop_error err = { 0 };
    size_t cap = handoff_info_size(p->builder, in);
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    int rc = handoff_build_info(p->builder, in, buf, cap, paddr, used, &err);
    if (rc != HOP_OK)
        print_message("unexpected error: %s\n", err.msg);
    assert_int_equal(rc, HOP_OK);
    assert_true(*used >= p->min_used && *used <= cap);
    return buf;
}

static void fx_expect_build_error(const struct fx_proto *p, const struct handoff_input *in,
                                  paddr_t paddr, int code, const char *part)
{
    uint8_t *buf = malloc(p->error_cap);
    struct hop_error err = { 0 };
    size_t used = 1;
    assert_non_null(buf);
    int rc = handoff_build_info(p->builder, in, buf, p->error_cap, paddr, &used, &err);
    free(buf);
    assert_int_equal(rc, code);
    if (p->checks_err_code)
        assert_int_equal(err.code, code);
    if (!strstr(err.msg, part))
        print_message("message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, part));
}

/* Every capacity short of the size fx_in needs: a clean HOP_ERR_NOMEM
 * naming the size needed, and not a byte written beyond the capacity
 * (ASan). */
static void fx_every_short_capacity(const struct fx_proto *p)
{
    size_t used;
    free(fx_build(p, &fx_in, INFO_PADDR, &used));
    for (size_t cap = 0; cap < used; cap++) {
        uint8_t *buf = malloc(cap ? cap : 1);
        struct hop_error err = { 0 };
        size_t need = 0;
        assert_int_equal(handoff_build_info(p->builder, &fx_in, buf, cap, INFO_PADDR, &need, &err),
                         HOP_ERR_NOMEM);
        if (p->checks_err_code)
            assert_int_equal(err.code, HOP_ERR_NOMEM);
        assert_int_equal(need, used);
        assert_non_null(strstr(err.msg, "needs"));
        free(buf);
    }
}

/* ---- reading the block back -------------------------------------------- */

static FX_UNUSED uint16_t rd16(const uint8_t *p, size_t off) { uint16_t v; memcpy(&v, p + off, 2); return v; }
static FX_UNUSED uint32_t rd32(const uint8_t *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static FX_UNUSED uint64_t rd64(const uint8_t *p, size_t off) { uint64_t v; memcpy(&v, p + off, 8); return v; }

/* The offset in buf of [addr, addr+len), which must lie inside the block. */
static FX_UNUSED size_t inside(paddr_t base, size_t used, uint64_t addr, size_t len)
{
    assert_true(addr >= base && addr - base <= used && len <= used - (addr - base));
    return (size_t)(addr - base);
}

static FX_UNUSED const char *string_at(const uint8_t *buf, paddr_t base, size_t used,
                                       uint64_t addr)
{
    size_t off = inside(base, used, addr, 1);
    assert_non_null(memchr(buf + off, 0, used - off));
    return (const char *)buf + off;
}

/* A simulated physical memory holding the block at its address. */
struct view {
    const uint8_t *buf;
    paddr_t base;
    size_t len;
};

static const void *view_map(void *ctx, paddr_t addr, size_t len)
{
    const struct view *v = ctx;
    if (addr < v->base || addr - v->base > v->len || len > v->len - (addr - v->base))
        return NULL;
    return v->buf + (addr - v->base);
}

static struct bootinfo parsed; /* 8 KiB: off the stack */

/* hop's own parser (src/parse/bootinfo.c) reads the block back into parsed. */
static FX_UNUSED void fx_parse_back(uint32_t magic, const uint8_t *buf, paddr_t paddr,
                                    size_t used)
{
    struct view v = { buf, paddr, used };
    struct phys_access pa = { view_map, &v };
    struct hop_error err = { 0 };
    int rc = bootinfo_parse(&parsed, magic, paddr, &pa, &err);
    if (rc != HOP_OK)
        print_message("parse error: %s\n", err.msg);
    assert_int_equal(rc, HOP_OK);
}

static FX_UNUSED void expect_map(const struct bootinfo *b, const struct mem_region *want,
                                 size_t n)
{
    assert_int_equal(b->map_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b->map[i].start, want[i].start);
        assert_int_equal(b->map[i].end, want[i].end);
        assert_int_equal(b->map[i].type, want[i].type);
    }
}

static FX_UNUSED void expect_fb(const struct framebuffer *got, const struct framebuffer *want)
{
    /* Field by field: the structure has padding. */
    assert_int_equal(got->addr, want->addr);
    assert_int_equal(got->pitch, want->pitch);
    assert_int_equal(got->width, want->width);
    assert_int_equal(got->height, want->height);
    assert_int_equal(got->bpp, want->bpp);
    assert_int_equal(got->type, want->type);
    assert_int_equal(got->red_pos, want->red_pos);
    assert_int_equal(got->red_size, want->red_size);
    assert_int_equal(got->green_pos, want->green_pos);
    assert_int_equal(got->green_size, want->green_size);
    assert_int_equal(got->blue_pos, want->blue_pos);
    assert_int_equal(got->blue_size, want->blue_size);
}

#endif
