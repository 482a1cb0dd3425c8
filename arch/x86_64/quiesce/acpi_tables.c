/* Finding the ACPI tables on this machine and reading them once (see
 * acpi_tables.h); the parsing itself is portable (src/parse/acpi.c). */
#include "quiesce/acpi_tables.h"
#include "console/console.h"
#include "mmio.h"

#define BDA_EBDA_SEGMENT 0x40E   /* BIOS data area: the EBDA's real-mode segment */
#define EBDA_SCAN_LEN 1024       /* ACPI 6.5 5.2.5.1: its first KiB */
#define EBDA_LOWEST 0x80000      /* an EBDA lies just below 640 KiB, or is bogus */
#define EBDA_END 0xA0000
#define BIOS_ROM_START 0xE0000   /* ACPI 6.5 5.2.5.1: 0xE0000-0xFFFFF */
#define BIOS_ROM_LEN 0x20000
#define RSDP_MAP_LEN 36          /* an ACPI 2.0 RSDP */

static const void *rsdp_copy;
static size_t rsdp_copy_len;
static struct acpi_info info;
static bool read_done, read_ok;

/* Physical memory below 4 GiB is identity-mapped (arch/x86_64/entry/multiboot/entry.asm). */
static const void *identity_map(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    return mmio_reachable(addr, len) ? (const void *)(uintptr_t)addr : NULL;
}

static const struct phys_access identity = { identity_map, NULL };

void acpi_tables_use_copy(const void *rsdp, size_t len)
{
    rsdp_copy = rsdp;
    rsdp_copy_len = len;
}

static paddr_t find_in_bios_areas(void)
{
    paddr_t bda = BDA_EBDA_SEGMENT;
    __asm__("" : "+r"(bda)); /* a real address, not the null page gcc suspects */
    paddr_t ebda = (paddr_t)mmio_read16(bda) << 4, at = 0;
    if (ebda >= EBDA_LOWEST && ebda < EBDA_END)
        at = acpi_rsdp_find(&identity, ebda, EBDA_SCAN_LEN);
    return at ? at : acpi_rsdp_find(&identity, BIOS_ROM_START, BIOS_ROM_LEN);
}

static void print_summary(const char *source)
{
    kprintf("hop: acpi: RSDP rev %u (%s), %s at 0x%llx with %zu tables: MADT %s "
            "(%zu IO-APIC, %zu overrides, %zu+%zu CPUs), MCFG %zu, DMAR %zu, IVRS %zu, HPET %zu\n",
            info.rsdp_revision, source, info.root_name, (unsigned long long)info.root_addr,
            info.root_entries, info.has_madt ? "yes" : "no", info.ioapic_count,
            info.override_count, info.lapic_count, info.x2apic_count, info.ecam_count,
            info.dmar_count, info.ivrs_count, info.hpet_count);
    for (size_t i = 0; i < info.problem_count; i++)
        kprintf("hop: acpi: %s\n", info.problems[i].msg);
    if (info.problems_dropped)
        kprintf("hop: acpi: and %zu more problems\n", info.problems_dropped);
}

const struct acpi_info *acpi_tables(void)
{
    if (read_done)
        return read_ok ? &info : NULL;
    read_done = true;
    const char *source = "the loader's copy";
    const void *rsdp = rsdp_copy;
    size_t len = rsdp_copy_len;
    if (!rsdp) {
        paddr_t at = find_in_bios_areas();
        source = "found in the BIOS area";
        rsdp = at ? identity_map(NULL, at, RSDP_MAP_LEN) : NULL;
        len = RSDP_MAP_LEN;
        if (!rsdp) {
            kprintf("hop: acpi: no RSDP (none from the loader, none in the BIOS areas)\n");
            return NULL;
        }
    }
    struct hop_error err = { 0 };
    if (acpi_parse(&info, rsdp, len, &identity, &err) != HOP_OK) {
        kprintf("hop: acpi: %s (RSDP from %s): tables not used\n", err.msg, source);
        return NULL;
    }
    read_ok = true;
    print_summary(source);
    return &info;
}
