/* ACPI tables: finding the RSDP and reading what quiescing the machine needs
 * from the tables it leads to.  Portable: memory is read through a
 * struct phys_access (bootinfo.h), so the host tests and the fuzzer can hand
 * it simulated memory; the machine hands it the identity map.
 *
 * Layouts: ACPI 6.5 5.2.5 (RSDP), 5.2.6 (table header), 5.2.7/5.2.8
 * (RSDT/XSDT), 5.2.12 (MADT); PCI Firmware 3.3 4.1.2 (MCFG); Intel VT-d 4.1
 * 8.1-8.3 (DMAR, DRHD); AMD IOMMU 3.08 5.2 (IVRS, IVHD); IA-PC HPET 1.0a 3.2.4
 * (HPET).
 *
 * Nothing is trusted before it is checked: every table's signature, length
 * and checksum, every sub-structure's length against its table.  A bad
 * table or entry is recorded in acpi_info.problems and skipped; the rest is
 * still used. */
#ifndef HOP_ACPI_H
#define HOP_ACPI_H

#include "parse/bootinfo.h"
#include "lib/error.h"
#include "lib/types.h"

#define ACPI_MAX_TABLE_LEN (1u << 20) /* larger is taken as corrupt */

#define ACPI_MAX_IOAPICS 32
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_ECAM 16
#define ACPI_MAX_IOMMUS 16
#define ACPI_MAX_HPETS 8
#define ACPI_MAX_PROBLEMS 8

/* MADT flags (ACPI 6.5 table 5.20): the machine also has dual 8259s. */
#define ACPI_MADT_PCAT_COMPAT (1u << 0)

struct acpi_ioapic {
    paddr_t addr;
    uint32_t gsi_base;
    uint8_t id;
};

/* An interrupt source override: ISA IRQ `source` arrives on `gsi`. */
struct acpi_override {
    uint32_t gsi;
    uint16_t flags; /* MPS INTI flags: polarity bits 1:0, trigger bits 3:2 */
    uint8_t bus, source;
};

/* One MCFG allocation: ECAM for buses bus_start..bus_end of a segment. */
struct acpi_ecam {
    paddr_t base; /* the address of bus 0, even when bus_start > 0 */
    uint16_t segment;
    uint8_t bus_start, bus_end;
};

/* A DMAR DRHD unit or an IVRS IVHD block (the IOMMU's registers). */
struct acpi_iommu {
    paddr_t base;
    uint16_t segment;
    uint8_t flags;
};

struct acpi_hpet {
    paddr_t base;
    uint32_t block_id;
    uint8_t number;
};

struct acpi_info {
    uint8_t rsdp_revision;
    const char *root_name; /* "XSDT" or "RSDT": the one used */
    paddr_t root_addr;
    size_t root_entries;

    bool has_madt;
    paddr_t lapic_addr; /* MADT's, or its 64-bit override */
    uint32_t madt_flags;
    size_t lapic_count, x2apic_count; /* enabled or online-capable CPUs */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    size_t ioapic_count;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    size_t override_count;

    bool has_mcfg;
    struct acpi_ecam ecam[ACPI_MAX_ECAM];
    size_t ecam_count;

    bool has_dmar;
    uint8_t dmar_flags;
    struct acpi_iommu dmar[ACPI_MAX_IOMMUS];
    size_t dmar_count;

    bool has_ivrs;
    struct acpi_iommu ivrs[ACPI_MAX_IOMMUS];
    size_t ivrs_count;

    struct acpi_hpet hpets[ACPI_MAX_HPETS];
    size_t hpet_count;

    /* Tables and entries skipped, with the reason; problems_dropped counts
     * those beyond ACPI_MAX_PROBLEMS. */
    struct hop_error problems[ACPI_MAX_PROBLEMS];
    size_t problem_count, problems_dropped;
};

/* Checks an RSDP of which len bytes are readable at p: signature, the ACPI
 * 1.0 checksum, and for revision 2 and later the length and the extended
 * checksum.  A bad extended part is reported as HOP_ERR_CHECKSUM with *v1_ok
 * set: the RSDT address is still usable.  v1_ok may be NULL. */
int acpi_rsdp_check(const void *p, size_t len, bool *v1_ok, struct hop_error *err);

/* Scans [start, start+len) on 16-byte boundaries for an RSDP whose ACPI 1.0
 * part checks out (ACPI 6.5 5.2.5.1: the EBDA's first KiB, then
 * 0xE0000-0xFFFFF).  Returns its address, or 0. */
paddr_t acpi_rsdp_find(const struct phys_access *pa, paddr_t start, size_t len);

/* Reads the tables the RSDP (rsdp_len readable bytes at rsdp, a copy or a
 * view) leads to into info.  Returns HOP_OK when a root table (XSDT, else
 * RSDT) was usable, whatever became of the tables it lists (see
 * info->problems); otherwise an error, with err saying why.  pa->map views
 * are only used during the call. */
int acpi_parse(struct acpi_info *info, const void *rsdp, size_t rsdp_len,
               const struct phys_access *pa, struct hop_error *err);

/* The GSI an ISA IRQ arrives on, from the overrides (identity without one);
 * *flags gets the override's MPS INTI flags (0: bus default). */
uint32_t acpi_isa_gsi(const struct acpi_info *info, uint8_t irq, uint16_t *flags);

#endif
