#ifndef HOP_ARCH_IOMMU_H
#define HOP_ARCH_IOMMU_H
/* Turning IOMMUs off: Intel VT-d units from the DMAR (vtd.c), AMD-Vi units
 * from the IVRS (amdvi.c). */
#include "parse/acpi.h"
#include "quiesce/linebuf.h"

#define IOMMU_TIMEOUT_US 100000 /* per status change: hardware takes microseconds */

/* Each appends what it found and did to `out`. */
void vtd_quiesce_unit(const struct acpi_iommu *unit, struct linebuf *out);
void amdvi_quiesce_unit(const struct acpi_iommu *unit, struct linebuf *out);

/* Every unit the tables list; prints one line. */
void iommu_quiesce(const struct acpi_info *acpi);
#endif
