/* Turning an AMD-Vi IOMMU off (AMD I/O Virtualization Technology (IOMMU)
 * Specification 3.08, 3.4.2 "IOMMU Control Register", 3.4.4 "IOMMU Status
 * Register"): translation (IommuEn), and the engines that read or write
 * memory or raise interrupts on their own (command buffer, event log, PPR
 * log, guest virtual APIC log), then a wait until the status register says
 * those have stopped. */
#include "quiesce/iommu.h"
#include "mmio.h"

#define AMDVI_MMIO_SIZE 0x4000
#define AMDVI_CONTROL 0x0018
#define AMDVI_STATUS 0x2020
#define AMDVI_IOMMU_EN (1u << 0)
#define AMDVI_EVENT_LOG_EN (1u << 2)
#define AMDVI_EVENT_INT_EN (1u << 3)
#define AMDVI_COMWAIT_INT_EN (1u << 4)
#define AMDVI_CMDBUF_EN (1u << 12)
#define AMDVI_PPR_LOG_EN (1u << 13)
#define AMDVI_PPR_INT_EN (1u << 14)
#define AMDVI_PPR_EN (1u << 15)
#define AMDVI_GA_LOG_EN (1u << 28)
#define AMDVI_GA_INT_EN (1u << 29)
#define AMDVI_ENGINES (AMDVI_EVENT_LOG_EN | AMDVI_EVENT_INT_EN | AMDVI_COMWAIT_INT_EN | \
                       AMDVI_CMDBUF_EN | AMDVI_PPR_LOG_EN | AMDVI_PPR_INT_EN | AMDVI_PPR_EN | \
                       AMDVI_GA_LOG_EN | AMDVI_GA_INT_EN)
#define AMDVI_EVENT_LOG_RUN (1u << 3)
#define AMDVI_CMDBUF_RUN (1u << 4)
#define AMDVI_PPR_LOG_RUN (1u << 7)
#define AMDVI_GA_LOG_RUN (1u << 8)
#define AMDVI_RUNNING (AMDVI_EVENT_LOG_RUN | AMDVI_CMDBUF_RUN | AMDVI_PPR_LOG_RUN | \
                       AMDVI_GA_LOG_RUN)

void amdvi_quiesce_unit(const struct acpi_iommu *unit, struct linebuf *out)
{
    paddr_t base = unit->base;
    if (!mmio_reachable(base, AMDVI_MMIO_SIZE)) {
        linebuf_add(out, " AMD-Vi at 0x%llx beyond the 4 GiB hop maps: left alone;",
                    (unsigned long long)base);
        return;
    }
    uint32_t control = mmio_read32(base + AMDVI_CONTROL), status;
    linebuf_add(out, " AMD-Vi at 0x%llx: translation %s, engines 0x%x", (unsigned long long)base,
                control & AMDVI_IOMMU_EN ? "was on" : "off", control & AMDVI_ENGINES);
    mmio_write32(base + AMDVI_CONTROL, control & ~(AMDVI_IOMMU_EN | AMDVI_ENGINES));
    if (mmio_wait32(base + AMDVI_STATUS, AMDVI_RUNNING, 0, IOMMU_TIMEOUT_US, &status))
        linebuf_add(out, ", now all off;");
    else
        linebuf_add(out, ", now off but STILL RUNNING after %u us (status 0x%x);",
                    IOMMU_TIMEOUT_US, status);
}
