/* Quiescing the I/O APICs the MADT lists.
 *
 * Every redirection entry is masked, whatever it carries, the pin the 8259
 * is wired to (ExtINT, "virtual wire B") included: virtual wire goes
 * through the local APIC's LINT0 instead (lapic.c), so that a kernel which
 * unmasks the 8259 gets each interrupt once, and one routed through an
 * unmasked ExtINT entry as well would arrive twice.  Only the mask bit
 * changes; the next kernel programs the rest.
 *
 * A level-triggered entry whose interrupt was delivered but never ended
 * keeps its remote IRR set, and would never deliver again once unmasked:
 * that is cleared, through the EOI register (version 0x20 and later) or,
 * on older IO-APICs, by switching the masked entry to edge and back. */
#include "quiesce/ioapic.h"
#include "console/console.h"
#include "mmio.h"
#include "quiesce/linebuf.h"

#define IOAPIC_MAX_ENTRIES 240 /* vectors 16-255: more is a wrong register */
#define LISTED_MAX 6           /* unmasked entries named in the line */

uint32_t ioapic_read(paddr_t base, uint32_t reg)
{
    mmio_write32(base + IOAPIC_REGSEL, reg);
    return mmio_read32(base + IOAPIC_WINDOW);
}

void ioapic_write(paddr_t base, uint32_t reg, uint32_t value)
{
    mmio_write32(base + IOAPIC_REGSEL, reg);
    mmio_write32(base + IOAPIC_WINDOW, value);
}

/* Clears the remote IRR of a masked level-triggered entry; true if it did. */
static bool ioapic_clear_remote_irr(paddr_t base, uint32_t version, uint32_t reg, uint32_t lo)
{
    if (IOAPIC_VERSION_ID(version) >= IOAPIC_VERSION_HAS_EOI) {
        mmio_write32(base + IOAPIC_EOI, lo & IOAPIC_REDIR_VECTOR_MASK);
    } else {
        ioapic_write(base, reg, lo & ~IOAPIC_REDIR_LEVEL);
        ioapic_write(base, reg, lo);
    }
    return !(ioapic_read(base, reg) & IOAPIC_REDIR_REMOTE_IRR);
}

struct ioapic_tally {
    int entries, unmasked, remote_irr, stuck;
    struct linebuf listed;
};

static void ioapic_mask_entry(paddr_t base, uint32_t version, uint32_t gsi, uint32_t reg,
                              struct ioapic_tally *t)
{
    uint32_t lo = ioapic_read(base, reg);
    if (!(lo & IOAPIC_REDIR_MASKED)) {
        if (t->unmasked++ < LISTED_MAX)
            linebuf_add(&t->listed, " GSI %u %s 0x%x", gsi,
                       (lo & IOAPIC_REDIR_DELIVERY_MASK) == IOAPIC_REDIR_EXTINT ? "ExtINT"
                                                                                : "vector",
                       lo & IOAPIC_REDIR_VECTOR_MASK);
        lo |= IOAPIC_REDIR_MASKED;
        ioapic_write(base, reg, lo);
    }
    if ((lo & IOAPIC_REDIR_LEVEL) && (lo & IOAPIC_REDIR_REMOTE_IRR)) {
        t->remote_irr++;
        t->stuck += !ioapic_clear_remote_irr(base, version, reg, lo);
    }
}

static void ioapic_quiesce_one(const struct acpi_ioapic *io, struct ioapic_tally *t)
{
    if (!mmio_reachable(io->addr, IOAPIC_MMIO_SIZE)) {
        linebuf_add(&t->listed, " (IO-APIC at 0x%llx beyond the 4 GiB hop maps: left alone)",
                   (unsigned long long)io->addr);
        return;
    }
    uint32_t version = ioapic_read(io->addr, IOAPIC_REG_VERSION);
    uint32_t count = IOAPIC_VERSION_MAX_ENTRY(version) + 1;
    if (version == UINT32_MAX || count > IOAPIC_MAX_ENTRIES) {
        linebuf_add(&t->listed, " (no IO-APIC answers at 0x%llx)", (unsigned long long)io->addr);
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        ioapic_mask_entry(io->addr, version, io->gsi_base + i, IOAPIC_REG_REDIR0 + 2 * i, t);
    t->entries += (int)count;
}

void ioapic_quiesce(const struct acpi_info *acpi)
{
    if (!acpi || !acpi->has_madt) {
        kprintf("hop: quiesce: IO-APIC: no MADT, so none known: nothing done\n");
        return;
    }
    struct ioapic_tally t = { 0 };
    for (size_t i = 0; i < acpi->ioapic_count; i++)
        ioapic_quiesce_one(&acpi->ioapics[i], &t);
    kprintf("hop: quiesce: IO-APIC: %zu unit(s), %d entries; %d were unmasked%s%s, all masked; "
            "remote IRR set on %d, cleared%s\n", acpi->ioapic_count, t.entries, t.unmasked,
            t.unmasked ? ":" : "", t.listed.text, t.remote_irr,
            t.stuck ? " EXCEPT ON SOME (still set)" : "");
}
