#ifndef HOP_ARCH_PCI_H
#define HOP_ARCH_PCI_H
#include "parse/acpi.h"
/* Turns off bus mastering, MSI and MSI-X on every PCI function (see pci.c);
 * prints one line. */
void pci_quiesce(const struct acpi_info *acpi);
#endif
