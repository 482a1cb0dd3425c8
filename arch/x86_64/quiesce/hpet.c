/* Quiescing the HPETs: the main counter stops (ENABLE_CNF off, so no
 * comparator can match again), legacy replacement routing goes off (so
 * IRQ0 and IRQ8 belong to the PIT and RTC again, as a kernel expects
 * before it takes the HPET over), every timer's interrupt is disabled,
 * both IO-APIC and FSB (MSI) delivery, and level-triggered interrupts
 * still asserted are cleared.  The counter keeps its value. */
#include "quiesce/hpet.h"
#include "console/console.h"
#include "quiesce/linebuf.h"
#include "mmio.h"

static void hpet_quiesce_one(const struct acpi_hpet *h, struct linebuf *out)
{
    paddr_t base = h->base;
    if (!mmio_reachable(base, HPET_MMIO_SIZE)) {
        linebuf_add(out, " HPET at 0x%llx beyond the 4 GiB hop maps: left alone;",
                    (unsigned long long)base);
        return;
    }
    uint32_t cap = mmio_read32(base + HPET_CAPABILITIES);
    if (cap == UINT32_MAX) {
        linebuf_add(out, " nothing answers at 0x%llx;", (unsigned long long)base);
        return;
    }
    uint32_t config = mmio_read32(base + HPET_CONFIG);
    mmio_write32(base + HPET_CONFIG, config & ~(HPET_CONFIG_ENABLE | HPET_CONFIG_LEGACY));
    unsigned timers = HPET_CAP_TIMERS(cap), live = 0;
    for (unsigned n = 0; n < timers; n++) {
        uint32_t t = mmio_read32(base + HPET_TIMER_CONFIG(n));
        if (!(t & (HPET_TIMER_INT_ENABLE | HPET_TIMER_FSB_ENABLE)))
            continue;
        live++;
        mmio_write32(base + HPET_TIMER_CONFIG(n),
                     t & ~(HPET_TIMER_INT_ENABLE | HPET_TIMER_FSB_ENABLE));
    }
    uint32_t pending = mmio_read32(base + HPET_INT_STATUS);
    mmio_write32(base + HPET_INT_STATUS, pending); /* write 1 to clear */
    linebuf_add(out, " HPET %u at 0x%llx, %u timers: counter %s, legacy routing %s, "
                "%u timer interrupts were enabled, all disabled, status was 0x%x;", h->number,
                (unsigned long long)base, timers,
                config & HPET_CONFIG_ENABLE ? "was running, stopped" : "stopped",
                config & HPET_CONFIG_LEGACY ? "was on, now off" : "off", live, pending);
}

void hpet_quiesce(const struct acpi_info *acpi)
{
    struct linebuf out = { .len = 0 };
    size_t n = acpi ? acpi->hpet_count : 0;
    for (size_t i = 0; i < n; i++)
        hpet_quiesce_one(&acpi->hpets[i], &out);
    kprintf("hop: quiesce: HPET: %zu block(s)%s%s\n", n, n ? ":" : " (no HPET table)", out.text);
}
