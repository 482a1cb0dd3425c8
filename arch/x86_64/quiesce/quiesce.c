/* Quiescing before the jump: the order of the steps (docs/quiesce.md).
 *
 * Interrupt controllers first, so that nothing interrupts what follows
 * (hop runs with interrupts disabled, but their controllers still latch
 * requests): the 8259s, the local APIC, the IO-APICs.  Then DMA: PCI bus
 * mastering off before the IOMMUs go off, so that no device's in-flight
 * DMA is let through untranslated.  Then the timers (HPET, PIT) and ISA
 * DMA.  Last, the interrupts that arrived while their sources were still
 * live are taken from the local APIC, now that nothing new can come. */
#include "quiesce/quiesce.h"
#include "quiesce/acpi_tables.h"
#include "console/console.h"
#include "quiesce/hpet.h"
#include "quiesce/iommu.h"
#include "quiesce/ioapic.h"
#include "quiesce/irq_drain.h"
#include "quiesce/isadma.h"
#include "quiesce/lapic.h"
#include "quiesce/pci.h"
#include "quiesce/pic.h"
#include "quiesce/pit.h"

struct quiesce_step {
    uint32_t bit;
    const char *name;
    void (*run)(const struct acpi_info *acpi);
};

static void run_pic(const struct acpi_info *acpi) { (void)acpi; pic_quiesce(); }
static void run_lapic(const struct acpi_info *acpi) { (void)acpi; lapic_quiesce(); }
static void run_pit(const struct acpi_info *acpi) { (void)acpi; pit_quiesce(); }
static void run_isadma(const struct acpi_info *acpi) { (void)acpi; isadma_quiesce(); }
static void run_pending(const struct acpi_info *acpi) { (void)acpi; irq_drain_pending(); }

static const struct quiesce_step steps_in_order[] = {
    { QUIESCE_PIC, "8259 PIC", run_pic },
    { QUIESCE_LAPIC, "local APIC", run_lapic },
    { QUIESCE_IOAPIC, "IO-APIC", ioapic_quiesce },
    { QUIESCE_PCI, "PCI", pci_quiesce },
    { QUIESCE_IOMMU, "IOMMU", iommu_quiesce },
    { QUIESCE_HPET, "HPET", hpet_quiesce },
    { QUIESCE_PIT, "PIT", run_pit },
    { QUIESCE_ISADMA, "ISA DMA", run_isadma },
    { QUIESCE_PENDING, "pending interrupts", run_pending },
};

void quiesce_prepare(const struct bootinfo *bi)
{
    if (bi && bi->rsdp_v2)
        acpi_tables_use_copy(bi->rsdp_v2, bi->rsdp_v2_len);
    else if (bi && bi->rsdp_v1)
        acpi_tables_use_copy(bi->rsdp_v1, bi->rsdp_v1_len);
    (void)acpi_tables();
}

void quiesce_steps(uint32_t steps)
{
    const struct acpi_info *acpi = acpi_tables();
    for (size_t i = 0; i < ARRAY_SIZE(steps_in_order); i++) {
        const struct quiesce_step *s = &steps_in_order[i];
        if (steps & s->bit)
            s->run(acpi);
        else
            kprintf("hop: quiesce: %s: SKIPPED (test image)\n", s->name);
    }
}

void quiesce_machine(void)
{
    quiesce_steps(QUIESCE_ALL);
}
