#ifndef HOP_ARCH_PCI_CFG_H
#define HOP_ARCH_PCI_CFG_H
/* PCI configuration space: through ECAM (PCIe 6.0 7.2.2, windows from the
 * ACPI MCFG) or through configuration mechanism #1 (ports 0xCF8/0xCFC, PCI
 * Local Bus 3.0 3.2.2.3.2; segment 0 only, first 256 bytes only). */
#include "parse/acpi.h"

#define PCI_MAX_BUSES 256
#define PCI_MAX_DEVICES 32
#define PCI_MAX_FUNCTIONS 8

/* Header fields (PCI Local Bus 3.0 6.1, 6.2; PCI-PCI Bridge 1.2 3.2) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08 /* class code in bits 31:8 */
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CARDBUS_CAP_PTR 0x14
#define PCI_VENDOR_NONE 0xFFFF
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_STATUS_CAP_LIST (1u << 4)
#define PCI_HEADER_TYPE_MASK 0x7F
#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_HEADER_CARDBUS 2
#define PCI_CAP_ID_MSI 0x05  /* PCI Local Bus 3.0 6.8.1 */
#define PCI_CAP_ID_MSIX 0x11 /* PCI Local Bus 3.0 6.8.2 */
#define PCI_CAP_CONTROL 2    /* message control, both kinds */
#define PCI_MSI_ENABLE (1u << 0)
#define PCI_MSIX_FUNCTION_MASK (1u << 14)
#define PCI_MSIX_ENABLE (1u << 15)
#define PCI_CAP_FIRST 0x40   /* capabilities live after the header */
#define PCI_CAP_MAX 48       /* (256 - 64) / 4: a longer list loops */
#define PCI_CLASS_HOST_BRIDGE 0x0600  /* base class 06, subclass 00 */
#define PCI_CLASS_PCI_BRIDGE 0x0604
#define PCI_CLASS_IOMMU 0x0806

/* Where one segment's (or one bus range's) configuration space is. */
struct pci_space {
    paddr_t ecam;      /* the address of bus 0; 0: ports 0xCF8/0xCFC */
    uint16_t segment;
    uint8_t bus_start, bus_end;
};

struct pci_func {
    const struct pci_space *space;
    uint8_t bus, dev, fn;
};

/* The spaces to walk: each reachable MCFG window, else mechanism #1 for
 * segment 0 buses 0-255 (also when the MCFG window for bus 0 disagrees
 * with mechanism #1: firmware that lists ECAM it did not enable).  Returns
 * how many were written to spaces (at most max); *note tells what was set
 * aside, or "". */
size_t pci_spaces(const struct acpi_info *acpi, struct pci_space *spaces, size_t max,
                  const char **note);

uint8_t pci_read8(const struct pci_func *f, uint16_t off);
uint16_t pci_read16(const struct pci_func *f, uint16_t off);
uint32_t pci_read32(const struct pci_func *f, uint16_t off);
void pci_write16(const struct pci_func *f, uint16_t off, uint16_t value);
void pci_write32(const struct pci_func *f, uint16_t off, uint32_t value);

/* The offset of the first capability with this ID, or 0. */
uint16_t pci_find_cap(const struct pci_func *f, uint8_t id);

#endif
