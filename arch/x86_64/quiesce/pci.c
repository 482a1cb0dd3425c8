/* Quiescing PCI: no function may keep writing memory or sending interrupts
 * once hop has jumped, since the next kernel's memory then lies where the
 * device was told to write.
 *
 * Every function of every bus number each configuration space decodes is
 * visited.  Sweeping all bus numbers, instead of walking down from bus 0
 * through the bridges, also reaches the root buses of further host bridges
 * (which no bridge leads to), and costs at most 8192 reads per segment;
 * buses behind bridges are in the sweep as well.
 *
 * On each function: MSI and MSI-X are disabled (MSI-X also function-masked)
 * and Bus Master Enable is cleared.  A cleared BME on a bridge also stops it
 * forwarding the DMA of everything behind it, which is wanted.  Exceptions:
 * host bridges (their command register is the CPU's own path to memory on
 * some chipsets) and IOMMUs (AMD's is a PCI function; its own table walks
 * stop in iommu.c, and a next kernel may not set its BME again).
 *
 * Memory and I/O decoding stay on: the firmware's framebuffer, the serial
 * port the next kernel's early console uses, and every device behind a
 * bridge are reached through them, and turning them off does not stop DMA
 * anyway.  INTx is left alone too: with BME and MSI off a device can only
 * raise its INTx line, which reaches no CPU while the IO-APIC and 8259 are
 * masked, and the next kernel's driver decides about it. */
#include "quiesce/pci.h"
#include "console/console.h"
#include "quiesce/linebuf.h"
#include "quiesce/pci_cfg.h"

#define PCI_MAX_SPACES (ACPI_MAX_ECAM + 1)
#define LISTED_MAX 8 /* functions named in the line */

struct pci_tally {
    int functions, buses, host_bridges, bridges, iommus;
    int master_on, master_stuck, msi, msix;
    struct linebuf listed;
};

static void pci_disable_msi(const struct pci_func *f, struct pci_tally *t)
{
    uint16_t at = pci_find_cap(f, PCI_CAP_ID_MSI);
    uint16_t ctl = at ? pci_read16(f, (uint16_t)(at + PCI_CAP_CONTROL)) : 0;
    if (ctl & PCI_MSI_ENABLE) {
        pci_write16(f, (uint16_t)(at + PCI_CAP_CONTROL), ctl & (uint16_t)~PCI_MSI_ENABLE);
        t->msi++;
    }
    at = pci_find_cap(f, PCI_CAP_ID_MSIX);
    if (!at)
        return;
    ctl = pci_read16(f, (uint16_t)(at + PCI_CAP_CONTROL));
    t->msix += (ctl & PCI_MSIX_ENABLE) != 0;
    pci_write16(f, (uint16_t)(at + PCI_CAP_CONTROL),
                (uint16_t)((ctl | PCI_MSIX_FUNCTION_MASK) & ~PCI_MSIX_ENABLE));
}

static void pci_quiesce_function(const struct pci_func *f, struct pci_tally *t)
{
    uint32_t class = pci_read32(f, PCI_CLASS_REVISION) >> 16; /* base class, subclass */
    t->functions++;
    t->bridges += class == PCI_CLASS_PCI_BRIDGE;
    pci_disable_msi(f, t);
    if (class == PCI_CLASS_HOST_BRIDGE || class == PCI_CLASS_IOMMU) {
        t->host_bridges += class == PCI_CLASS_HOST_BRIDGE;
        t->iommus += class == PCI_CLASS_IOMMU;
        return;
    }
    uint16_t cmd = pci_read16(f, PCI_COMMAND);
    if (!(cmd & PCI_COMMAND_MASTER))
        return;
    pci_write16(f, PCI_COMMAND, cmd & (uint16_t)~PCI_COMMAND_MASTER);
    bool stuck = pci_read16(f, PCI_COMMAND) & PCI_COMMAND_MASTER;
    t->master_stuck += stuck;
    if (t->master_on++ < LISTED_MAX)
        linebuf_add(&t->listed, " %04x:%02x:%02x.%u%s", f->space->segment, f->bus, f->dev, f->fn,
                    stuck ? "(stuck)" : "");
}

/* Every function of one bus; true when there was one. */
static bool pci_quiesce_bus(const struct pci_space *s, uint8_t bus, struct pci_tally *t)
{
    bool found = false;
    for (uint8_t dev = 0; dev < PCI_MAX_DEVICES; dev++) {
        struct pci_func f = { s, bus, dev, 0 };
        if (pci_read16(&f, PCI_VENDOR_ID) == PCI_VENDOR_NONE)
            continue;
        found = true;
        uint8_t fns = pci_read8(&f, PCI_HEADER_TYPE) & PCI_HEADER_MULTI_FUNCTION
                          ? PCI_MAX_FUNCTIONS : 1;
        for (f.fn = 0; f.fn < fns; f.fn++)
            if (pci_read16(&f, PCI_VENDOR_ID) != PCI_VENDOR_NONE)
                pci_quiesce_function(&f, t);
    }
    return found;
}

void pci_quiesce(const struct acpi_info *acpi)
{
    struct pci_space spaces[PCI_MAX_SPACES];
    const char *note;
    size_t n = pci_spaces(acpi, spaces, PCI_MAX_SPACES, &note);
    struct pci_tally t = { 0 };
    struct linebuf where = { .len = 0 };
    for (size_t i = 0; i < n; i++) {
        const struct pci_space *s = &spaces[i];
        for (unsigned bus = s->bus_start; bus <= s->bus_end; bus++)
            t.buses += pci_quiesce_bus(s, (uint8_t)bus, &t);
        if (s->ecam)
            linebuf_add(&where, "%sECAM 0x%llx segment %u buses %u-%u", i ? ", " : "",
                        (unsigned long long)s->ecam, s->segment, s->bus_start, s->bus_end);
        else
            linebuf_add(&where, "%sports 0xCF8/0xCFC buses 0-255", i ? ", " : "");
    }
    kprintf("hop: quiesce: PCI: %s%s: %d functions on %d buses (%d host bridges, %d PCI "
            "bridges, %d IOMMUs); bus mastering was on for %d%s%s, now off%s; MSI was on for %d, "
            "MSI-X for %d, now off; memory and I/O decoding left on\n", where.text, note,
            t.functions, t.buses, t.host_bridges, t.bridges, t.iommus, t.master_on,
            t.master_on ? ":" : "", t.listed.text,
            t.master_stuck ? " EXCEPT WHERE STUCK (hard-wired)" : "", t.msi, t.msix);
}
