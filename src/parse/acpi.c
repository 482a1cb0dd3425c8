/* ACPI table reading (see acpi.h for the specifications followed).  Every
 * multi-byte field is read byte by byte, little-endian, so that tables at
 * any alignment and any host work alike. */
#include "parse/acpi.h"
#include "lib/fmt.h"
#include "lib/string.h"

/* RSDP (ACPI 6.5 5.2.5.3) */
#define RSDP_SIG "RSD PTR "
#define RSDP_SIG_LEN 8
#define RSDP_OFF_REVISION 15
#define RSDP_OFF_RSDT 16
#define RSDP_V1_LEN 20 /* what the ACPI 1.0 checksum covers */
#define RSDP_OFF_LENGTH 20
#define RSDP_OFF_XSDT 24
#define RSDP_V2_LEN 36
#define RSDP_REV_XSDT 2 /* from revision 2 on: length, XSDT, extended checksum */
#define RSDP_ALIGN 16

/* System description table header (5.2.6) */
#define SDT_SIG_LEN 4
#define SDT_OFF_LENGTH 4
#define SDT_HEADER_LEN 36

/* MADT (5.2.12) and its entries */
#define MADT_OFF_LAPIC 36
#define MADT_OFF_FLAGS 40
#define MADT_FIRST_ENTRY 44
enum madt_type { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_OVERRIDE = 2, MADT_LAPIC_ADDR = 5,
                 MADT_X2APIC = 9 };
#define MADT_LAPIC_LEN 8   /* uid u8, apic id u8, flags u32 @4 */
#define MADT_LAPIC_OFF_FLAGS 4
#define MADT_IOAPIC_LEN 12 /* id u8 @2, address u32 @4, GSI base u32 @8 */
#define MADT_OVERRIDE_LEN 10 /* bus u8 @2, source u8 @3, GSI u32 @4, flags u16 @8 */
#define MADT_LAPIC_ADDR_LEN 12 /* address u64 @4 */
#define MADT_X2APIC_LEN 16 /* x2APIC id u32 @4, flags u32 @8 */
#define MADT_X2APIC_OFF_FLAGS 8
#define MADT_CPU_USABLE 0x3u /* enabled (bit 0) or online capable (bit 1) */

/* MCFG (PCI Firmware 3.3 4.1.2) */
#define MCFG_FIRST_ENTRY 44
#define MCFG_ENTRY_LEN 16 /* base u64, segment u16 @8, start bus @10, end bus @11 */

/* DMAR (VT-d 4.1 8.1, 8.3) */
#define DMAR_OFF_FLAGS 37
#define DMAR_FIRST_ENTRY 48
#define DMAR_DRHD 0
#define DMAR_DRHD_LEN 16 /* flags u8 @4, segment u16 @6, register base u64 @8 */

/* IVRS (AMD IOMMU 3.08 5.2.2, 5.2.2.1) */
#define IVRS_FIRST_ENTRY 48
#define IVHD_LEGACY 0x10 /* 24-byte header */
#define IVHD_EFR 0x11    /* 40-byte header; same base/segment fields */
#define IVHD_ACPI 0x40
#define IVHD_LEGACY_LEN 24
#define IVHD_EFR_LEN 40
#define IVHD_OFF_BASE 8
#define IVHD_OFF_SEGMENT 16

/* HPET (IA-PC HPET 1.0a 3.2.4) */
#define HPET_LEN 56
#define HPET_OFF_BLOCK_ID 36
#define HPET_OFF_SPACE 40 /* generic address structure: space id u8, ... */
#define HPET_OFF_ADDR 44
#define HPET_OFF_NUMBER 52
#define GAS_SYSTEM_MEMORY 0

struct acpi_ctx {
    struct acpi_info *info;
    const struct phys_access *pa;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    while (n--)
        sum = (uint8_t)(sum + *p++);
    return sum;
}

static void problem(struct acpi_info *info, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why something was skipped; one place (the caller) prints. */
static void problem(struct acpi_info *info, int code, const char *fmt, ...)
{
    if (info->problem_count == ACPI_MAX_PROBLEMS) {
        info->problems_dropped++;
        return;
    }
    struct hop_error *e = &info->problems[info->problem_count++];
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    fmt_vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

/* ---- RSDP ----------------------------------------------------------------- */

int acpi_rsdp_check(const void *rsdp, size_t len, bool *v1_ok, struct hop_error *err)
{
    const uint8_t *p = rsdp;
    if (v1_ok)
        *v1_ok = false;
    if (!p || len < RSDP_V1_LEN)
        return error_set(err, HOP_ERR_TRUNCATED, "ACPI RSDP: %zu bytes, need %d", len,
                         RSDP_V1_LEN);
    if (memcmp(p, RSDP_SIG, RSDP_SIG_LEN) != 0)
        return error_set(err, HOP_ERR_INVALID, "ACPI RSDP: no \"RSD PTR \" signature");
    if (checksum(p, RSDP_V1_LEN) != 0)
        return error_set(err, HOP_ERR_CHECKSUM, "ACPI RSDP: checksum of the first %d bytes "
                         "is 0x%02x, not 0", RSDP_V1_LEN, checksum(p, RSDP_V1_LEN));
    if (v1_ok)
        *v1_ok = true;
    if (p[RSDP_OFF_REVISION] < RSDP_REV_XSDT)
        return HOP_OK;
    if (len < RSDP_V2_LEN)
        return error_set(err, HOP_ERR_TRUNCATED, "ACPI RSDP: revision %u but only %zu bytes "
                         "given", p[RSDP_OFF_REVISION], len);
    uint32_t length = rd32(p + RSDP_OFF_LENGTH);
    if (length < RSDP_V2_LEN || length > len)
        return error_set(err, HOP_ERR_INVALID, "ACPI RSDP: length %u outside %d..%zu",
                         length, RSDP_V2_LEN, len);
    if (checksum(p, length) != 0)
        return error_set(err, HOP_ERR_CHECKSUM, "ACPI RSDP: extended checksum of %u bytes "
                         "is 0x%02x, not 0", length, checksum(p, length));
    return HOP_OK;
}

paddr_t acpi_rsdp_find(const struct phys_access *pa, paddr_t start, size_t len)
{
    paddr_t first = ALIGN_UP(start, (paddr_t)RSDP_ALIGN), end;
    if (first < start || ADD_OVERFLOWS(start, (paddr_t)len, &end))
        return 0;
    for (paddr_t a = first; a < end && end - a >= RSDP_V1_LEN; a += RSDP_ALIGN) {
        bool v1_ok; /* a revision 2 RSDP fails here for want of bytes: enough */
        const uint8_t *p = pa->map(pa->ctx, a, RSDP_V1_LEN);
        if (p && (acpi_rsdp_check(p, RSDP_V1_LEN, &v1_ok, NULL) == HOP_OK || v1_ok))
            return a;
    }
    return 0;
}

/* ---- tables ----------------------------------------------------------------- */

enum entry_format {
    ENTRY_U8_TYPE_U8_LEN,   /* MADT: type u8, length u8 */
    ENTRY_U16_TYPE_U16_LEN, /* DMAR: type u16, length u16 */
    ENTRY_U8_TYPE_U16_LEN,  /* IVRS: type u8, flags u8, length u16 */
};

struct sub_entry {
    const uint8_t *p;
    uint32_t type, len, off;
};

/* The next sub-structure of the table t (len bytes) at *off; false at the
 * end, or at one whose length is impossible (recorded: what follows it
 * cannot be found). */
static bool next_entry(struct acpi_ctx *c, const char *sig, const uint8_t *t, uint32_t len,
                       enum entry_format f, uint32_t *off, struct sub_entry *e)
{
    uint32_t header = f == ENTRY_U8_TYPE_U8_LEN ? 2 : 4;
    if (*off >= len)
        return false;
    if (len - *off < header) {
        problem(c->info, HOP_ERR_TRUNCATED, "ACPI %s: %u stray bytes at offset %u: ignored", sig,
                len - *off, *off);
        return false;
    }
    const uint8_t *p = t + *off;
    e->type = f == ENTRY_U16_TYPE_U16_LEN ? rd16(p) : p[0];
    e->len = f == ENTRY_U8_TYPE_U8_LEN ? p[1] : rd16(p + 2);
    if (e->len < header || e->len > len - *off) {
        problem(c->info, HOP_ERR_INVALID, "ACPI %s: entry type %u at offset %u: length %u "
                "outside %u..%u: it and the rest of the table skipped", sig, e->type, *off,
                e->len, header, len - *off);
        return false;
    }
    e->p = p;
    e->off = *off;
    *off += e->len;
    return true;
}

/* True (and recorded) when a known entry is shorter than its fields. */
static bool entry_short(struct acpi_ctx *c, const char *sig, const struct sub_entry *e,
                        uint32_t need)
{
    if (e->len >= need)
        return false;
    problem(c->info, HOP_ERR_TRUNCATED, "ACPI %s: entry type %u at offset %u: length %u, "
            "need %u: skipped", sig, e->type, e->off, e->len, need);
    return true;
}

/* True (and recorded) when a table of ours is full. */
static bool table_full(struct acpi_ctx *c, const char *what, size_t count, size_t max)
{
    if (count < max)
        return false;
    problem(c->info, HOP_ERR_LIMIT, "ACPI: more than %zu %s: the rest ignored", max, what);
    return true;
}

static void madt_entry(struct acpi_ctx *c, const struct sub_entry *e)
{
    struct acpi_info *info = c->info;
    const uint8_t *p = e->p;
    switch (e->type) {
    case MADT_LAPIC:
        if (!entry_short(c, "MADT", e, MADT_LAPIC_LEN) &&
            (rd32(p + MADT_LAPIC_OFF_FLAGS) & MADT_CPU_USABLE))
            info->lapic_count++;
        break;
    case MADT_X2APIC:
        if (!entry_short(c, "MADT", e, MADT_X2APIC_LEN) &&
            (rd32(p + MADT_X2APIC_OFF_FLAGS) & MADT_CPU_USABLE))
            info->x2apic_count++;
        break;
    case MADT_IOAPIC:
        if (entry_short(c, "MADT", e, MADT_IOAPIC_LEN) ||
            table_full(c, "IO-APICs", info->ioapic_count, ACPI_MAX_IOAPICS))
            break;
        info->ioapics[info->ioapic_count++] =
            (struct acpi_ioapic){ .addr = rd32(p + 4), .gsi_base = rd32(p + 8), .id = p[2] };
        break;
    case MADT_OVERRIDE:
        if (entry_short(c, "MADT", e, MADT_OVERRIDE_LEN) ||
            table_full(c, "interrupt source overrides", info->override_count, ACPI_MAX_OVERRIDES))
            break;
        info->overrides[info->override_count++] = (struct acpi_override){
            .gsi = rd32(p + 4), .flags = rd16(p + 8), .bus = p[2], .source = p[3] };
        break;
    case MADT_LAPIC_ADDR:
        if (!entry_short(c, "MADT", e, MADT_LAPIC_ADDR_LEN))
            info->lapic_addr = rd64(p + 4);
        break;
    default:
        break;
    }
}

static void madt_parse(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = c->info;
    if (len < MADT_FIRST_ENTRY) {
        problem(info, HOP_ERR_TRUNCATED, "ACPI MADT: length %u, need %d: skipped", len,
                MADT_FIRST_ENTRY);
        return;
    }
    info->has_madt = true;
    info->lapic_addr = rd32(t + MADT_OFF_LAPIC);
    info->madt_flags = rd32(t + MADT_OFF_FLAGS);
    uint32_t off = MADT_FIRST_ENTRY;
    struct sub_entry e;
    while (next_entry(c, "MADT", t, len, ENTRY_U8_TYPE_U8_LEN, &off, &e))
        madt_entry(c, &e);
}

static void mcfg_parse(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = c->info;
    if (len < MCFG_FIRST_ENTRY) {
        problem(info, HOP_ERR_TRUNCATED, "ACPI MCFG: length %u, need %d: skipped", len,
                MCFG_FIRST_ENTRY);
        return;
    }
    info->has_mcfg = true;
    if ((len - MCFG_FIRST_ENTRY) % MCFG_ENTRY_LEN)
        problem(info, HOP_ERR_TRUNCATED, "ACPI MCFG: %u stray bytes after the last entry",
                (len - MCFG_FIRST_ENTRY) % MCFG_ENTRY_LEN);
    for (uint32_t off = MCFG_FIRST_ENTRY; len - off >= MCFG_ENTRY_LEN; off += MCFG_ENTRY_LEN) {
        const uint8_t *p = t + off;
        struct acpi_ecam e = { .base = rd64(p), .segment = rd16(p + 8), .bus_start = p[10],
                               .bus_end = p[11] };
        if (e.base == 0 || e.bus_end < e.bus_start) {
            problem(info, HOP_ERR_INVALID, "ACPI MCFG: entry at offset %u: base 0x%llx buses "
                    "%u-%u: skipped", off, (unsigned long long)e.base, e.bus_start, e.bus_end);
            continue;
        }
        if (table_full(c, "ECAM ranges", info->ecam_count, ACPI_MAX_ECAM))
            break;
        info->ecam[info->ecam_count++] = e;
    }
}

static void dmar_parse(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = c->info;
    if (len < DMAR_FIRST_ENTRY) {
        problem(info, HOP_ERR_TRUNCATED, "ACPI DMAR: length %u, need %d: skipped", len,
                DMAR_FIRST_ENTRY);
        return;
    }
    info->has_dmar = true;
    info->dmar_flags = t[DMAR_OFF_FLAGS];
    uint32_t off = DMAR_FIRST_ENTRY;
    struct sub_entry e;
    while (next_entry(c, "DMAR", t, len, ENTRY_U16_TYPE_U16_LEN, &off, &e)) {
        if (e.type != DMAR_DRHD || entry_short(c, "DMAR", &e, DMAR_DRHD_LEN))
            continue;
        struct acpi_iommu u = { .base = rd64(e.p + 8), .segment = rd16(e.p + 6),
                                .flags = e.p[4] };
        if (u.base == 0)
            problem(info, HOP_ERR_INVALID, "ACPI DMAR: DRHD at offset %u: register base 0: "
                    "skipped", e.off);
        else if (!table_full(c, "DMAR units", info->dmar_count, ACPI_MAX_IOMMUS))
            info->dmar[info->dmar_count++] = u;
    }
}

/* An IOMMU is often described by several IVHD types at once (10h for old
 * software, 11h/40h for new): one entry per register base. */
static void ivrs_add(struct acpi_ctx *c, const struct sub_entry *e)
{
    struct acpi_info *info = c->info;
    struct acpi_iommu u = { .base = rd64(e->p + IVHD_OFF_BASE),
                            .segment = rd16(e->p + IVHD_OFF_SEGMENT), .flags = e->p[1] };
    if (u.base == 0) {
        problem(info, HOP_ERR_INVALID, "ACPI IVRS: IVHD type 0x%x at offset %u: base 0: "
                "skipped", e->type, e->off);
        return;
    }
    for (size_t i = 0; i < info->ivrs_count; i++)
        if (info->ivrs[i].base == u.base)
            return;
    if (!table_full(c, "IVRS units", info->ivrs_count, ACPI_MAX_IOMMUS))
        info->ivrs[info->ivrs_count++] = u;
}

static void ivrs_parse(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
    if (len < IVRS_FIRST_ENTRY) {
        problem(c->info, HOP_ERR_TRUNCATED, "ACPI IVRS: length %u, need %d: skipped", len,
                IVRS_FIRST_ENTRY);
        return;
    }
    c->info->has_ivrs = true;
    uint32_t off = IVRS_FIRST_ENTRY;
    struct sub_entry e;
    while (next_entry(c, "IVRS", t, len, ENTRY_U8_TYPE_U16_LEN, &off, &e)) {
        uint32_t need = e.type == IVHD_LEGACY ? IVHD_LEGACY_LEN : IVHD_EFR_LEN;
        if ((e.type == IVHD_LEGACY || e.type == IVHD_EFR || e.type == IVHD_ACPI) &&
            !entry_short(c, "IVRS", &e, need))
            ivrs_add(c, &e);
    }
}

static void hpet_parse(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = c->info;
    if (len < HPET_LEN) {
        problem(info, HOP_ERR_TRUNCATED, "ACPI HPET: length %u, need %d: skipped", len, HPET_LEN);
        return;
    }
    struct acpi_hpet h = { .base = rd64(t + HPET_OFF_ADDR), .block_id = rd32(t + HPET_OFF_BLOCK_ID),
                           .number = t[HPET_OFF_NUMBER] };
    if (t[HPET_OFF_SPACE] != GAS_SYSTEM_MEMORY || h.base == 0)
        problem(info, HOP_ERR_UNSUPPORTED, "ACPI HPET %u: registers in address space %u at "
                "0x%llx, not in memory: skipped", h.number, t[HPET_OFF_SPACE],
                (unsigned long long)h.base);
    else if (!table_full(c, "HPETs", info->hpet_count, ACPI_MAX_HPETS))
        info->hpets[info->hpet_count++] = h;
}

/* ---- finding and checking tables -------------------------------------------- */

struct table_kind {
    const char *sig;
    void (*parse)(struct acpi_ctx *c, const uint8_t *t, uint32_t len);
    bool single; /* one per machine: a second copy is ignored */
};

static const struct table_kind table_kinds[] = {
    { "APIC", madt_parse, true }, /* the MADT's signature */
    { "MCFG", mcfg_parse, true },
    { "DMAR", dmar_parse, true },
    { "IVRS", ivrs_parse, true },
    { "HPET", hpet_parse, false },
};

/* Maps the table at addr once its signature, length and checksum check out;
 * else NULL, with the problem recorded. */
static const uint8_t *table_map(struct acpi_ctx *c, paddr_t addr, const char *sig, uint32_t *len)
{
    unsigned long long a = addr;
    const uint8_t *h = c->pa->map(c->pa->ctx, addr, SDT_HEADER_LEN);
    if (!h) {
        problem(c->info, HOP_ERR_RANGE, "ACPI %s at 0x%llx: not readable: skipped", sig, a);
        return NULL;
    }
    uint32_t n = rd32(h + SDT_OFF_LENGTH);
    if (memcmp(h, sig, SDT_SIG_LEN) != 0 || n < SDT_HEADER_LEN || n > ACPI_MAX_TABLE_LEN) {
        problem(c->info, HOP_ERR_INVALID, "ACPI %s at 0x%llx: signature \"%.4s\" length %u "
                "(want \"%s\", %d..%u): skipped", sig, a, (const char *)h, n, sig,
                SDT_HEADER_LEN, ACPI_MAX_TABLE_LEN);
        return NULL;
    }
    const uint8_t *t = c->pa->map(c->pa->ctx, addr, n);
    if (!t) {
        problem(c->info, HOP_ERR_RANGE, "ACPI %s at 0x%llx: %u bytes not readable: skipped",
                sig, a, n);
        return NULL;
    }
    if (checksum(t, n) != 0) {
        problem(c->info, HOP_ERR_CHECKSUM, "ACPI %s at 0x%llx: checksum of %u bytes is 0x%02x, "
                "not 0: skipped", sig, a, n, checksum(t, n));
        return NULL;
    }
    *len = n;
    return t;
}

/* Reads the table a root entry points to, when it is one we use. */
static void table_read(struct acpi_ctx *c, unsigned *seen, paddr_t addr)
{
    const uint8_t *h = addr ? c->pa->map(c->pa->ctx, addr, SDT_SIG_LEN) : NULL;
    if (!h) {
        problem(c->info, HOP_ERR_RANGE, "ACPI %s entry 0x%llx: not readable: skipped",
                c->info->root_name, (unsigned long long)addr);
        return;
    }
    for (size_t k = 0; k < ARRAY_SIZE(table_kinds); k++) {
        const struct table_kind *kind = &table_kinds[k];
        uint32_t len;
        if (memcmp(h, kind->sig, SDT_SIG_LEN) != 0)
            continue;
        if (kind->single && (*seen & (1u << k))) {
            problem(c->info, HOP_ERR_INVALID, "ACPI %s at 0x%llx: a second one: ignored",
                    kind->sig, (unsigned long long)addr);
            return;
        }
        const uint8_t *t = table_map(c, addr, kind->sig, &len);
        if (t) {
            *seen |= 1u << k;
            kind->parse(c, t, len);
        }
        return;
    }
}

/* Reads the RSDT (4-byte entries) or XSDT (8-byte entries) at addr and the
 * tables it lists; HOP_ERR_INVALID when the root itself is unusable. */
static int root_read(struct acpi_ctx *c, paddr_t addr, const char *sig, uint32_t entry_size)
{
    uint32_t len;
    const uint8_t *t = table_map(c, addr, sig, &len);
    if (!t)
        return HOP_ERR_INVALID;
    struct acpi_info *info = c->info;
    info->root_name = sig;
    info->root_addr = addr;
    info->root_entries = (len - SDT_HEADER_LEN) / entry_size;
    if ((len - SDT_HEADER_LEN) % entry_size)
        problem(info, HOP_ERR_TRUNCATED, "ACPI %s: %u stray bytes after the last entry", sig,
                (len - SDT_HEADER_LEN) % entry_size);
    unsigned seen = 0;
    for (size_t i = 0; i < info->root_entries; i++) {
        const uint8_t *e = t + SDT_HEADER_LEN + i * entry_size;
        table_read(c, &seen, entry_size == sizeof(uint64_t) ? rd64(e) : rd32(e));
    }
    return HOP_OK;
}

int acpi_parse(struct acpi_info *info, const void *rsdp, size_t rsdp_len,
               const struct phys_access *pa, struct hop_error *err)
{
    memset(info, 0, sizeof(*info));
    struct acpi_ctx c = { info, pa };
    struct hop_error why = { 0 };
    bool v1_ok;
    int rc = acpi_rsdp_check(rsdp, rsdp_len, &v1_ok, &why);
    if (!v1_ok)
        return error_set(err, rc, "%s", why.msg);
    const uint8_t *p = rsdp;
    info->rsdp_revision = p[RSDP_OFF_REVISION];
    if (rc != HOP_OK)
        problem(info, rc, "%s: the RSDT is used", why.msg);
    else if (info->rsdp_revision >= RSDP_REV_XSDT && rd64(p + RSDP_OFF_XSDT) &&
             root_read(&c, rd64(p + RSDP_OFF_XSDT), "XSDT", sizeof(uint64_t)) == HOP_OK)
        return HOP_OK;
    uint32_t rsdt = rd32(p + RSDP_OFF_RSDT);
    if (rsdt && root_read(&c, rsdt, "RSDT", sizeof(uint32_t)) == HOP_OK)
        return HOP_OK;
    return error_set(err, HOP_ERR_NOTFOUND, "ACPI: no usable XSDT or RSDT (RSDT at 0x%x)%s%s",
                     rsdt, info->problem_count ? ": " : "",
                     info->problem_count ? info->problems[info->problem_count - 1].msg : "");
}

uint32_t acpi_isa_gsi(const struct acpi_info *info, uint8_t irq, uint16_t *flags)
{
    *flags = 0;
    for (size_t i = 0; i < info->override_count; i++) {
        const struct acpi_override *o = &info->overrides[i];
        if (o->bus == 0 && o->source == irq) { /* bus 0: ISA (ACPI 6.5 table 5.25) */
            *flags = o->flags;
            return o->gsi;
        }
    }
    return irq;
}
