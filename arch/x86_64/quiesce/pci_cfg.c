/* PCI configuration space access (see pci_cfg.h). */
#include "quiesce/pci_cfg.h"
#include "io.h"
#include "mmio.h"

#define CF8_ADDRESS 0xCF8
#define CF8_DATA 0xCFC
#define CF8_ENABLE (1u << 31)
#define CF8_REG_MASK 0xFC
#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12
#define ECAM_BUS_SIZE (1ull << ECAM_BUS_SHIFT)
#define PCI_NEXT_CAP 1

static paddr_t ecam_addr(const struct pci_func *f, uint16_t off)
{
    return f->space->ecam + ((paddr_t)f->bus << ECAM_BUS_SHIFT |
                             (paddr_t)f->dev << ECAM_DEV_SHIFT |
                             (paddr_t)f->fn << ECAM_FN_SHIFT | off);
}

static void cf8_select(const struct pci_func *f, uint16_t off)
{
    outl(CF8_ADDRESS, CF8_ENABLE | (uint32_t)f->bus << 16 | (uint32_t)f->dev << 11 |
                          (uint32_t)f->fn << 8 | (off & CF8_REG_MASK));
}

uint8_t pci_read8(const struct pci_func *f, uint16_t off)
{
    if (f->space->ecam)
        return mmio_read8(ecam_addr(f, off));
    cf8_select(f, off);
    return inb((uint16_t)(CF8_DATA + (off & 3)));
}

uint16_t pci_read16(const struct pci_func *f, uint16_t off)
{
    if (f->space->ecam)
        return mmio_read16(ecam_addr(f, off));
    cf8_select(f, off);
    return inw((uint16_t)(CF8_DATA + (off & 2)));
}

uint32_t pci_read32(const struct pci_func *f, uint16_t off)
{
    if (f->space->ecam)
        return mmio_read32(ecam_addr(f, off));
    cf8_select(f, off);
    return inl(CF8_DATA);
}

void pci_write16(const struct pci_func *f, uint16_t off, uint16_t value)
{
    if (f->space->ecam) {
        mmio_write16(ecam_addr(f, off), value);
        return;
    }
    cf8_select(f, off);
    outw((uint16_t)(CF8_DATA + (off & 2)), value);
}

void pci_write32(const struct pci_func *f, uint16_t off, uint32_t value)
{
    if (f->space->ecam) {
        mmio_write32(ecam_addr(f, off), value);
        return;
    }
    cf8_select(f, off);
    outl(CF8_DATA, value);
}

uint16_t pci_find_cap(const struct pci_func *f, uint8_t id)
{
    if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    uint8_t type = pci_read8(f, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    uint16_t at = pci_read8(f, type == PCI_HEADER_CARDBUS ? PCI_CARDBUS_CAP_PTR : PCI_CAP_PTR);
    for (int i = 0; i < PCI_CAP_MAX && at >= PCI_CAP_FIRST; i++) {
        at &= CF8_REG_MASK; /* the low two bits are reserved */
        if (pci_read8(f, at) == id)
            return at;
        at = pci_read8(f, (uint16_t)(at + PCI_NEXT_CAP));
    }
    return 0;
}

/* Whether ECAM and mechanism #1 see the same function at bus:0.0. */
static bool ecam_agrees(const struct pci_space *ecam, uint8_t bus)
{
    static const struct pci_space cf8 = { 0, 0, 0, PCI_MAX_BUSES - 1 };
    struct pci_func e = { ecam, bus, 0, 0 }, c = { &cf8, bus, 0, 0 };
    return pci_read32(&e, PCI_VENDOR_ID) == pci_read32(&c, PCI_VENDOR_ID);
}

size_t pci_spaces(const struct acpi_info *acpi, struct pci_space *spaces, size_t max,
                  const char **note)
{
    size_t n = 0;
    bool segment0 = false;
    *note = "";
    for (size_t i = 0; acpi && i < acpi->ecam_count && n < max; i++) {
        const struct acpi_ecam *e = &acpi->ecam[i];
        struct pci_space s = { e->base, e->segment, e->bus_start, e->bus_end };
        uint64_t end = e->base + ((uint64_t)e->bus_end + 1) * ECAM_BUS_SIZE;
        if (!mmio_reachable(e->base, end - e->base)) {
            *note = " (an ECAM window above the 4 GiB hop maps was left out)";
            continue;
        }
        if (e->segment == 0 && !ecam_agrees(&s, e->bus_start)) {
            *note = " (ECAM for segment 0 disagreed with ports 0xCF8/0xCFC: ports used)";
            continue;
        }
        segment0 |= e->segment == 0;
        spaces[n++] = s;
    }
    if (!segment0 && n < max)
        spaces[n++] = (struct pci_space){ 0, 0, 0, PCI_MAX_BUSES - 1 };
    return n;
}
