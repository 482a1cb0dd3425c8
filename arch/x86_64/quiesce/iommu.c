/* Quiescing IOMMUs.  This runs after PCI (pci.c), so no device is doing
 * DMA any more: turning translation off cannot let a device's in-flight
 * DMA, meant for an I/O virtual address, land on the physical address of
 * the same number.  The next kernel finds the IOMMUs as at power-on (off),
 * which every kernel handles, rather than translating through tables that
 * lie in memory it is about to reuse. */
#include "quiesce/iommu.h"
#include "console/console.h"

void iommu_quiesce(const struct acpi_info *acpi)
{
    struct linebuf out = { .len = 0 };
    size_t vtd = acpi ? acpi->dmar_count : 0, amd = acpi ? acpi->ivrs_count : 0;
    for (size_t i = 0; i < vtd; i++)
        vtd_quiesce_unit(&acpi->dmar[i], &out);
    for (size_t i = 0; i < amd; i++)
        amdvi_quiesce_unit(&acpi->ivrs[i], &out);
    kprintf("hop: quiesce: IOMMU: %zu VT-d unit(s) (DMAR %s), %zu AMD-Vi unit(s) (IVRS %s)%s%s\n",
            vtd, acpi && acpi->has_dmar ? "present" : "absent", amd,
            acpi && acpi->has_ivrs ? "present" : "absent", out.len ? ":" : ": nothing to do",
            out.text);
}
