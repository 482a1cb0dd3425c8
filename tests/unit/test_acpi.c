/* Unit tests of src/parse/acpi.c: an RSDP and the tables it leads to (XSDT/RSDT,
 * MADT, MCFG, DMAR, IVRS, HPET) built by hand in a simulated physical
 * memory, the RSDP search, and malformed tables of every kind, which must be
 * reported and skipped while the rest is still read.
 *
 * The simulated memory hands out a fresh heap copy of exactly the range
 * asked for on every map, so AddressSanitizer catches a read beyond any
 * view.  The layouts below are transcribed from the specifications (ACPI
 * 6.5 5.2.5-5.2.12, PCI Firmware 3.3 4.1.2, VT-d 4.1 8, AMD IOMMU 3.08 5.2,
 * IA-PC HPET 1.0a 3.2.4) independently of src/parse/acpi.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/acpi.h"

#define SIM_BASE 0xE0000u
#define SIM_SIZE (256u * 1024u)
#define HEADER 36 /* system description table header */

/* ---- simulated physical memory ------------------------------------------ */

struct sim {
    uint8_t mem[SIM_SIZE];
    size_t used;
    void *views[4096];
    size_t nviews;
};

static struct sim *sim;

static const void *sim_map(void *ctx, paddr_t addr, size_t len)
{
    struct sim *s = ctx;
    if (addr < SIM_BASE || addr - SIM_BASE > SIM_SIZE || len > SIM_SIZE - (addr - SIM_BASE))
        return NULL;
    assert_true(s->nviews < ARRAY_SIZE(s->views));
    uint8_t *view = malloc(len ? len : 1);
    assert_non_null(view);
    memcpy(view, s->mem + (addr - SIM_BASE), len);
    s->views[s->nviews++] = view;
    return view;
}

static const struct phys_access access = { .map = sim_map, .ctx = NULL };

static struct phys_access sim_access(void)
{
    struct phys_access pa = access;
    pa.ctx = sim;
    return pa;
}

static int setup(void **state)
{
    (void)state;
    sim = calloc(1, sizeof(*sim));
    return sim ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sim->nviews; i++)
        free(sim->views[i]);
    free(sim);
    return 0;
}

static uint8_t *at(paddr_t addr) { return sim->mem + (addr - SIM_BASE); }

/* ---- building tables ----------------------------------------------------- */

struct blob {
    uint8_t b[8192];
    size_t n;
};

static void put(struct blob *x, const void *p, size_t n)
{
    assert_true(x->n + n <= sizeof(x->b));
    memcpy(x->b + x->n, p, n);
    x->n += n;
}
static void put8(struct blob *x, uint8_t v) { put(x, &v, 1); }
static void put16(struct blob *x, uint16_t v) { put8(x, (uint8_t)v); put8(x, (uint8_t)(v >> 8)); }
static void put32(struct blob *x, uint32_t v) { put16(x, (uint16_t)v); put16(x, (uint16_t)(v >> 16)); }
static void put64(struct blob *x, uint64_t v) { put32(x, (uint32_t)v); put32(x, (uint32_t)(v >> 32)); }
static void zeros(struct blob *x, size_t n) { while (n--) put8(x, 0); }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Writes a 16-byte aligned blob into the memory; returns its address. */
static paddr_t place(const struct blob *x)
{
    size_t off = (sim->used + 15) & ~(size_t)15;
    assert_true(off + x->n <= SIM_SIZE);
    memcpy(sim->mem + off, x->b, x->n);
    sim->used = off + x->n;
    return SIM_BASE + off;
}

/* A table: header (signature, length, revision 1, checksum fixed) + body. */
static paddr_t table(const char *sig, const struct blob *body)
{
    static struct blob t;
    t.n = 0;
    put(&t, sig, 4);
    put32(&t, (uint32_t)(HEADER + body->n));
    put8(&t, 1);
    put8(&t, 0); /* checksum, fixed below */
    put(&t, "HOPTST", 6);
    put(&t, "UNITTEST", 8);
    put32(&t, 1);
    put32(&t, 0x504f48);
    put32(&t, 1);
    put(&t, body->b, body->n);
    t.b[9] = (uint8_t)(0 - sum(t.b, t.n));
    return place(&t);
}

static paddr_t root(const char *sig, const paddr_t *tables, size_t n, size_t entry_size)
{
    struct blob body = { .n = 0 };
    for (size_t i = 0; i < n; i++) {
        if (entry_size == 8)
            put64(&body, tables[i]);
        else
            put32(&body, (uint32_t)tables[i]);
    }
    return table(sig, &body);
}

/* A revision 2 RSDP (36 bytes) or revision 0 (20 bytes), checksums fixed. */
static void rsdp(uint8_t *out, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
    struct blob r = { .n = 0 };
    put(&r, "RSD PTR ", 8);
    put8(&r, 0);
    put(&r, "HOPTST", 6);
    put8(&r, revision);
    put32(&r, rsdt);
    put32(&r, 36);
    put64(&r, xsdt);
    put8(&r, 0);
    zeros(&r, 3);
    r.b[8] = (uint8_t)(0 - sum(r.b, 20));
    r.b[32] = (uint8_t)(0 - sum(r.b, 36));
    memcpy(out, r.b, revision >= 2 ? 36 : 20);
}

static void fix_checksum(paddr_t t)
{
    uint32_t len = at(t)[4] | at(t)[5] << 8 | at(t)[6] << 16 | (uint32_t)at(t)[7] << 24;
    at(t)[9] = 0;
    at(t)[9] = (uint8_t)(0 - sum(at(t), len));
}

/* MADT entries (ACPI 6.5 5.2.12.2-5.2.12.12) */
static void lapic(struct blob *x, uint8_t id, uint32_t flags)
{
    put8(x, 0), put8(x, 8), put8(x, id), put8(x, id), put32(x, flags);
}
static void ioapic(struct blob *x, uint8_t id, uint32_t addr, uint32_t gsi)
{
    put8(x, 1), put8(x, 12), put8(x, id), put8(x, 0), put32(x, addr), put32(x, gsi);
}
static void override(struct blob *x, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    put8(x, 2), put8(x, 10), put8(x, 0), put8(x, irq), put32(x, gsi), put16(x, flags);
}
static void x2apic(struct blob *x, uint32_t id, uint32_t flags)
{
    put8(x, 9), put8(x, 16), put16(x, 0), put32(x, id), put32(x, flags), put32(x, id);
}

static paddr_t madt_standard(void)
{
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000);
    put32(&m, 1); /* PCAT_COMPAT */
    lapic(&m, 0, 1);
    lapic(&m, 1, 1);
    lapic(&m, 2, 0); /* disabled, not online capable */
    lapic(&m, 3, 2); /* online capable */
    x2apic(&m, 0x100, 1);
    ioapic(&m, 0, 0xFEC00000, 0);
    ioapic(&m, 1, 0xFEC01000, 24);
    override(&m, 0, 2, 0);
    override(&m, 9, 9, 0xD); /* SCI: level, active high */
    put8(&m, 4), put8(&m, 6), put8(&m, 0xFF), put16(&m, 5), put8(&m, 1); /* LAPIC NMI */
    return table("APIC", &m);
}

static paddr_t mcfg_standard(void)
{
    struct blob m = { .n = 0 };
    zeros(&m, 8);
    put64(&m, 0xB0000000), put16(&m, 0), put8(&m, 0), put8(&m, 255), put32(&m, 0);
    put64(&m, 0xC0000000), put16(&m, 1), put8(&m, 0x40), put8(&m, 0x7F), put32(&m, 0);
    return table("MCFG", &m);
}

static void drhd(struct blob *x, uint8_t flags, uint16_t seg, uint64_t base)
{
    put16(x, 0), put16(x, 24), put8(x, flags), put8(x, 0), put16(x, seg), put64(x, base);
    put8(x, 1), put8(x, 8), put16(x, 0), put8(x, 0), put8(x, 0x10), put8(x, 2), put8(x, 0);
}

static paddr_t dmar_standard(void)
{
    struct blob d = { .n = 0 };
    put8(&d, 38), put8(&d, 1), zeros(&d, 10); /* host address width, INTR_REMAP */
    drhd(&d, 0, 0, 0xFED91000);
    put16(&d, 1), put16(&d, 24), zeros(&d, 4), put64(&d, 0x1000), put64(&d, 0x1FFF); /* RMRR */
    drhd(&d, 1, 0, 0xFED90000);
    return table("DMAR", &d);
}

static void ivhd(struct blob *x, uint8_t type, uint64_t base)
{
    size_t len = type == 0x10 ? 24 : 40;
    put8(x, type), put8(x, 0xB0), put16(x, (uint16_t)len), put16(x, 2), put16(x, 0x40);
    put64(x, base), put16(x, 0), put16(x, 0), put32(x, 0);
    zeros(x, len - 24);
}

static paddr_t ivrs_standard(void)
{
    struct blob v = { .n = 0 };
    put32(&v, 0x203041), zeros(&v, 8);
    ivhd(&v, 0x10, 0xFED80000);
    ivhd(&v, 0x11, 0xFED80000); /* the same IOMMU again, newer type */
    put8(&v, 0x20), put8(&v, 0), put16(&v, 32), zeros(&v, 28); /* IVMD */
    ivhd(&v, 0x40, 0xFED84000);
    return table("IVRS", &v);
}

static paddr_t hpet_table(uint8_t space, uint64_t base, uint8_t number)
{
    struct blob h = { .n = 0 };
    put32(&h, 0x8086A201);
    put8(&h, space), put8(&h, 64), put8(&h, 0), put8(&h, 0), put64(&h, base);
    put8(&h, number), put16(&h, 0x80), put8(&h, 0);
    return table("HPET", &h);
}

static paddr_t facp(void)
{
    struct blob f = { .n = 0 };
    zeros(&f, 100);
    return table("FACP", &f);
}

/* ---- helpers for the checks ----------------------------------------------- */

static struct acpi_info info;
static struct hop_error err;

static int parse_rsdp(const uint8_t *r, size_t len)
{
    struct phys_access pa = sim_access();
    memset(&err, 0, sizeof(err));
    return acpi_parse(&info, r, len, &pa, &err);
}

static int parse_xsdt(const paddr_t *tables, size_t n)
{
    uint8_t r[36];
    rsdp(r, 2, (uint32_t)root("RSDT", tables, n, 4), root("XSDT", tables, n, 8));
    return parse_rsdp(r, sizeof(r));
}

/* Some recorded problem mentions `text`. */
static void expect_problem(const char *text)
{
    for (size_t i = 0; i < info.problem_count; i++)
        if (strstr(info.problems[i].msg, text))
            return;
    for (size_t i = 0; i < info.problem_count; i++)
        print_error("problem %zu: %s\n", i, info.problems[i].msg);
    fail_msg("no problem mentions \"%s\"", text);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_everything(void **state)
{
    (void)state;
    paddr_t t[] = { facp(), madt_standard(), mcfg_standard(), dmar_standard(), ivrs_standard(),
                    hpet_table(0, 0xFED00000, 0), hpet_table(0, 0xFED01000, 1) };
    assert_int_equal(parse_xsdt(t, ARRAY_SIZE(t)), HOP_OK);
    assert_int_equal(info.problem_count, 0);
    assert_string_equal(info.root_name, "XSDT");
    assert_int_equal(info.root_entries, 7);
    assert_int_equal(info.rsdp_revision, 2);
    assert_true(info.has_madt);
    assert_int_equal(info.lapic_addr, 0xFEE00000);
    assert_int_equal(info.madt_flags, ACPI_MADT_PCAT_COMPAT);
    assert_int_equal(info.lapic_count, 3);
    assert_int_equal(info.x2apic_count, 1);
    assert_int_equal(info.ioapic_count, 2);
    assert_int_equal(info.ioapics[1].addr, 0xFEC01000);
    assert_int_equal(info.ioapics[1].gsi_base, 24);
    assert_int_equal(info.ioapics[1].id, 1);
    assert_int_equal(info.override_count, 2);
    assert_int_equal(info.ecam_count, 2);
    assert_int_equal(info.ecam[1].base, 0xC0000000);
    assert_int_equal(info.ecam[1].segment, 1);
    assert_int_equal(info.ecam[1].bus_start, 0x40);
    assert_int_equal(info.ecam[1].bus_end, 0x7F);
    assert_true(info.has_dmar);
    assert_int_equal(info.dmar_flags, 1);
    assert_int_equal(info.dmar_count, 2);
    assert_int_equal(info.dmar[0].base, 0xFED91000);
    assert_int_equal(info.dmar[1].base, 0xFED90000);
    assert_int_equal(info.dmar[1].flags, 1);
    assert_true(info.has_ivrs);
    assert_int_equal(info.ivrs_count, 2); /* 10h and 11h describe one IOMMU */
    assert_int_equal(info.ivrs[0].base, 0xFED80000);
    assert_int_equal(info.ivrs[1].base, 0xFED84000);
    assert_int_equal(info.hpet_count, 2);
    assert_int_equal(info.hpets[1].base, 0xFED01000);
    assert_int_equal(info.hpets[1].number, 1);
    assert_int_equal(info.hpets[0].block_id, 0x8086A201);
}

static void test_rsdt_only(void **state)
{
    (void)state;
    paddr_t t[] = { madt_standard(), hpet_table(0, 0xFED00000, 0) };
    uint8_t r[20];
    rsdp(r, 0, (uint32_t)root("RSDT", t, 2, 4), 0);
    assert_int_equal(parse_rsdp(r, sizeof(r)), HOP_OK);
    assert_string_equal(info.root_name, "RSDT");
    assert_int_equal(info.rsdp_revision, 0);
    assert_int_equal(info.ioapic_count, 2);
    assert_int_equal(info.hpet_count, 1);
    assert_false(info.has_mcfg);
}

static void test_lapic_address_override(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    put8(&m, 5), put8(&m, 12), put16(&m, 0), put64(&m, 0x100FEE00000ull);
    paddr_t t[] = { table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.lapic_addr, 0x100FEE00000ull);
}

static void test_isa_gsi(void **state)
{
    (void)state;
    paddr_t t[] = { madt_standard() };
    uint16_t flags;
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(acpi_isa_gsi(&info, 0, &flags), 2);
    assert_int_equal(flags, 0);
    assert_int_equal(acpi_isa_gsi(&info, 9, &flags), 9);
    assert_int_equal(flags, 0xD);
    assert_int_equal(acpi_isa_gsi(&info, 4, &flags), 4);
    assert_int_equal(flags, 0);
}

static void test_rsdp_check(void **state)
{
    (void)state;
    uint8_t r[36];
    bool v1_ok;
    rsdp(r, 2, 0x1000, 0x2000);
    assert_int_equal(acpi_rsdp_check(r, 36, &v1_ok, &err), HOP_OK);
    assert_true(v1_ok);
    assert_int_equal(acpi_rsdp_check(r, 19, &v1_ok, &err), HOP_ERR_TRUNCATED);
    assert_false(v1_ok);
    assert_int_equal(acpi_rsdp_check(r, 20, &v1_ok, &err), HOP_ERR_TRUNCATED);
    assert_true(v1_ok); /* the RSDT part alone is fine */
    r[32] ^= 1;
    assert_int_equal(acpi_rsdp_check(r, 36, &v1_ok, &err), HOP_ERR_CHECKSUM);
    assert_true(v1_ok);
    assert_non_null(strstr(err.msg, "extended checksum"));
    r[32] ^= 1;
    r[20] = 200; /* length beyond what is given */
    assert_int_equal(acpi_rsdp_check(r, 36, &v1_ok, &err), HOP_ERR_INVALID);
    r[20] = 36;
    r[8] ^= 1;
    assert_int_equal(acpi_rsdp_check(r, 36, &v1_ok, &err), HOP_ERR_CHECKSUM);
    assert_false(v1_ok);
    r[0] = 'X';
    assert_int_equal(acpi_rsdp_check(r, 36, &v1_ok, &err), HOP_ERR_INVALID);
    assert_non_null(strstr(err.msg, "signature"));
    assert_int_equal(acpi_rsdp_check(NULL, 36, &v1_ok, &err), HOP_ERR_TRUNCATED);
}

static void test_bad_rsdp_is_an_error(void **state)
{
    (void)state;
    uint8_t r[36];
    rsdp(r, 2, 0x1000, 0x2000);
    r[8] ^= 1;
    assert_int_equal(parse_rsdp(r, 36), HOP_ERR_CHECKSUM);
    assert_non_null(strstr(err.msg, "checksum"));
}

static void test_bad_extended_checksum_uses_rsdt(void **state)
{
    (void)state;
    paddr_t t[] = { madt_standard() };
    uint8_t r[36];
    rsdp(r, 2, (uint32_t)root("RSDT", t, 1, 4), root("XSDT", t, 1, 8));
    r[32] ^= 0x55;
    assert_int_equal(parse_rsdp(r, 36), HOP_OK);
    assert_string_equal(info.root_name, "RSDT");
    assert_int_equal(info.ioapic_count, 2);
    expect_problem("extended checksum");
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
    (void)state;
    paddr_t t[] = { madt_standard() };
    paddr_t xsdt = root("XSDT", t, 1, 8);
    uint8_t r[36];
    rsdp(r, 2, (uint32_t)root("RSDT", t, 1, 4), xsdt);
    at(xsdt)[HEADER] ^= 1; /* corrupt an entry: checksum now wrong */
    assert_int_equal(parse_rsdp(r, 36), HOP_OK);
    assert_string_equal(info.root_name, "RSDT");
    assert_int_equal(info.ioapic_count, 2);
    expect_problem("XSDT at 0x");
    expect_problem("checksum");
}

static void test_no_usable_root(void **state)
{
    (void)state;
    uint8_t r[36];
    rsdp(r, 2, 0x1000, 0x123456789ull); /* neither readable */
    assert_int_equal(parse_rsdp(r, 36), HOP_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "no usable"));
    assert_non_null(strstr(err.msg, "not readable"));
    rsdp(r, 0, 0, 0);
    assert_int_equal(parse_rsdp(r, 20), HOP_ERR_NOTFOUND);
}

static void test_bad_table_checksum_skipped(void **state)
{
    (void)state;
    paddr_t madt = madt_standard();
    paddr_t t[] = { madt, hpet_table(0, 0xFED00000, 0) };
    at(madt)[HEADER + 8] ^= 0x10; /* the first entry, after the header fields */
    assert_int_equal(parse_xsdt(t, 2), HOP_OK);
    assert_false(info.has_madt);
    assert_int_equal(info.ioapic_count, 0);
    assert_int_equal(info.hpet_count, 1); /* the others are still read */
    expect_problem("APIC at 0x");
    expect_problem("checksum");
}

static void test_table_lengths(void **state)
{
    (void)state;
    paddr_t small = hpet_table(0, 0xFED00000, 0);
    at(small)[4] = 20; /* shorter than a header */
    fix_checksum(small);
    paddr_t huge = hpet_table(0, 0xFED00000, 1);
    at(huge)[6] = 0x20; /* 2 MiB: beyond ACPI_MAX_TABLE_LEN */
    paddr_t past = hpet_table(0, 0xFED00000, 2);
    at(past)[5] = 0xF0; /* 61 KiB: runs past the simulated memory */
    at(past)[6] = 0x03;
    paddr_t t[] = { small, huge, past, SIM_BASE + SIM_SIZE + 0x1000, 0 };
    assert_int_equal(parse_xsdt(t, ARRAY_SIZE(t)), HOP_OK);
    assert_int_equal(info.hpet_count, 0);
    expect_problem("length 20");
    expect_problem("length 2097208");
    expect_problem("not readable");
    expect_problem("entry 0x0");
}

static void test_table_too_short_for_its_fields(void **state)
{
    (void)state;
    struct blob b = { .n = 0 };
    zeros(&b, 4);
    paddr_t t[] = { table("APIC", &b), table("MCFG", &b), table("DMAR", &b), table("IVRS", &b),
                    table("HPET", &b) };
    assert_int_equal(parse_xsdt(t, ARRAY_SIZE(t)), HOP_OK);
    assert_false(info.has_madt || info.has_mcfg || info.has_dmar || info.has_ivrs);
    assert_int_equal(info.hpet_count, 0);
    assert_int_equal(info.problem_count, 5);
    expect_problem("MADT: length 40, need 44");
    expect_problem("HPET: length 40, need 56");
}

static void test_madt_entry_length_zero(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    ioapic(&m, 0, 0xFEC00000, 0);
    put8(&m, 1), put8(&m, 0); /* length 0 would loop forever */
    zeros(&m, 10);
    ioapic(&m, 1, 0xFEC01000, 24);
    paddr_t t[] = { table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_true(info.has_madt);
    assert_int_equal(info.ioapic_count, 1); /* the one before the bad entry */
    expect_problem("length 0 outside 2..");
}

static void test_madt_entry_past_end(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    lapic(&m, 0, 1);
    put8(&m, 1), put8(&m, 12), put8(&m, 0), put8(&m, 0); /* IO-APIC cut short */
    put8(&m, 7); /* a stray byte */
    paddr_t t[] = { table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.lapic_count, 1);
    assert_int_equal(info.ioapic_count, 0);
    expect_problem("length 12 outside 2..5");
}

static void test_madt_entries_too_short(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    put8(&m, 1), put8(&m, 8), zeros(&m, 6);  /* IO-APIC in 8 bytes */
    put8(&m, 2), put8(&m, 4), zeros(&m, 2);  /* override in 4 */
    put8(&m, 0), put8(&m, 2);                /* local APIC in 2 */
    put8(&m, 9), put8(&m, 8), zeros(&m, 6);  /* x2APIC in 8 */
    put8(&m, 5), put8(&m, 4), zeros(&m, 2);  /* address override in 4 */
    ioapic(&m, 3, 0xFEC03000, 48);
    paddr_t t[] = { table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.ioapic_count, 1);
    assert_int_equal(info.ioapics[0].id, 3);
    assert_int_equal(info.override_count + info.lapic_count + info.x2apic_count, 0);
    assert_int_equal(info.lapic_addr, 0xFEE00000);
    assert_int_equal(info.problem_count, 5);
    expect_problem("entry type 1 at offset 44: length 8, need 12");
}

static void test_duplicate_madt_ignored(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    ioapic(&m, 7, 0xFEC07000, 0);
    paddr_t t[] = { madt_standard(), table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 2), HOP_OK);
    assert_int_equal(info.ioapic_count, 2);
    assert_int_equal(info.ioapics[0].id, 0);
    expect_problem("a second one");
}

static void test_too_many_ioapics(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    put32(&m, 0xFEE00000), put32(&m, 0);
    for (uint32_t i = 0; i < ACPI_MAX_IOAPICS + 3; i++)
        ioapic(&m, (uint8_t)i, 0xFEC00000 + i * 0x1000, i * 24);
    paddr_t t[] = { table("APIC", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.ioapic_count, ACPI_MAX_IOAPICS);
    expect_problem("more than 32 IO-APICs");
}

static void test_mcfg_bad_entries(void **state)
{
    (void)state;
    struct blob m = { .n = 0 };
    zeros(&m, 8);
    put64(&m, 0xB0000000), put16(&m, 0), put8(&m, 9), put8(&m, 3), put32(&m, 0); /* end < start */
    put64(&m, 0), put16(&m, 0), put8(&m, 0), put8(&m, 3), put32(&m, 0);          /* base 0 */
    put64(&m, 0xE0000000), put16(&m, 0), put8(&m, 0), put8(&m, 0), put32(&m, 0);
    zeros(&m, 5);
    paddr_t t[] = { table("MCFG", &m) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_true(info.has_mcfg);
    assert_int_equal(info.ecam_count, 1);
    assert_int_equal(info.ecam[0].base, 0xE0000000);
    expect_problem("buses 9-3");
    expect_problem("base 0x0");
    expect_problem("5 stray bytes");
}

static void test_dmar_bad_entries(void **state)
{
    (void)state;
    struct blob d = { .n = 0 };
    put8(&d, 38), put8(&d, 0), zeros(&d, 10);
    put16(&d, 0), put16(&d, 8), zeros(&d, 4); /* DRHD without its base */
    drhd(&d, 0, 0, 0);                          /* base 0 */
    drhd(&d, 1, 0, 0xFED90000);
    put16(&d, 0), put16(&d, 2);                 /* impossible length */
    drhd(&d, 0, 0, 0xFED91000);
    paddr_t t[] = { table("DMAR", &d) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.dmar_count, 1);
    assert_int_equal(info.dmar[0].base, 0xFED90000);
    expect_problem("length 8, need 16");
    expect_problem("register base 0");
    expect_problem("length 2 outside 4..");
}

static void test_ivrs_bad_entries(void **state)
{
    (void)state;
    struct blob v = { .n = 0 };
    put32(&v, 0), zeros(&v, 8);
    put8(&v, 0x11), put8(&v, 0), put16(&v, 24), zeros(&v, 20); /* 11h needs 40 */
    ivhd(&v, 0x10, 0);
    ivhd(&v, 0x40, 0xFED80000);
    put8(&v, 0x10), put8(&v, 0), put16(&v, 100), zeros(&v, 20); /* runs past the end */
    paddr_t t[] = { table("IVRS", &v) };
    assert_int_equal(parse_xsdt(t, 1), HOP_OK);
    assert_int_equal(info.ivrs_count, 1);
    assert_int_equal(info.ivrs[0].base, 0xFED80000);
    expect_problem("length 24, need 40");
    expect_problem("base 0");
    expect_problem("length 100 outside");
}

static void test_hpet_in_io_space(void **state)
{
    (void)state;
    paddr_t t[] = { hpet_table(1, 0x400, 0), hpet_table(0, 0, 1) };
    assert_int_equal(parse_xsdt(t, 2), HOP_OK);
    assert_int_equal(info.hpet_count, 0);
    expect_problem("address space 1");
    expect_problem("HPET 1: registers in address space 0 at 0x0");
}

static void test_root_stray_bytes(void **state)
{
    (void)state;
    struct blob b = { .n = 0 };
    put64(&b, madt_standard());
    zeros(&b, 3);
    uint8_t r[36];
    rsdp(r, 2, 0, table("XSDT", &b));
    assert_int_equal(parse_rsdp(r, 36), HOP_OK);
    assert_int_equal(info.root_entries, 1);
    assert_int_equal(info.ioapic_count, 2);
    expect_problem("3 stray bytes");
}

static void test_problems_overflow(void **state)
{
    (void)state;
    paddr_t t[ACPI_MAX_PROBLEMS + 4];
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        t[i] = 0x10 + i; /* unreadable */
    assert_int_equal(parse_xsdt(t, ARRAY_SIZE(t)), HOP_OK);
    assert_int_equal(info.problem_count, ACPI_MAX_PROBLEMS);
    assert_int_equal(info.problems_dropped, 4);
}

static void test_rsdp_find(void **state)
{
    (void)state;
    struct phys_access pa = sim_access();
    paddr_t base = SIM_BASE + 0x20000;
    uint8_t r[36];
    rsdp(r, 2, 0x1000, 0x2000);
    memcpy(at(base + 0x10), r, 36);
    *at(base + 0x18) ^= 1; /* a decoy: right signature, wrong checksum */
    memcpy(at(base + 0x48), r, 36); /* not on a 16-byte boundary */
    memcpy(at(base + 0x100), r, 36);
    assert_int_equal(acpi_rsdp_find(&pa, base, 0x1000), base + 0x100);
    assert_int_equal(acpi_rsdp_find(&pa, base, 0x100), 0);      /* range ends before it */
    assert_int_equal(acpi_rsdp_find(&pa, base, 0x114), base + 0x100);
    assert_int_equal(acpi_rsdp_find(&pa, base + 0x101, 0x1000), 0);
    paddr_t last = SIM_BASE + SIM_SIZE - 0x20;
    memcpy(at(last), r, 0x20); /* revision 2, but 20 bytes in range suffice */
    assert_int_equal(acpi_rsdp_find(&pa, last - 0x20, 0x20 + 20), last);
    assert_int_equal(acpi_rsdp_find(&pa, last - 0x20, 0x20 + 19), 0);
    assert_int_equal(acpi_rsdp_find(&pa, UINT64_MAX - 0x20, 0x40), 0); /* wraps */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdt_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lapic_address_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isa_gsi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rsdp_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_extended_checksum_uses_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_xsdt_falls_back_to_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_usable_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_table_checksum_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_too_short_for_its_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_length_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_past_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entries_too_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_madt_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_ioapics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mcfg_bad_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dmar_bad_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ivrs_bad_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hpet_in_io_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_stray_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_problems_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_find, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
