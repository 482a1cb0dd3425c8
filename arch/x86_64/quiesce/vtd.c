/* Turning an Intel VT-d remapping unit off (VT-d 4.1 ch. 11: GCMD/GSTS
 * 11.4.4, PMEN 11.4.6, invalidation queue 11.4.9): DMA translation,
 * protected memory regions, interrupt remapping, queued invalidation, in
 * that order, each confirmed in the status register.  (Queued invalidation
 * is disabled last and only once the queue is empty, as the spec asks.) */
#include "quiesce/iommu.h"
#include "cpu.h"
#include "mmio.h"
#include "timer.h"

#define VTD_MMIO_SIZE 0x1000
#define VTD_VER 0x000
#define VTD_CAP 0x008
#define VTD_ECAP 0x010
#define VTD_GCMD 0x018
#define VTD_GSTS 0x01C
#define VTD_PMEN 0x064
#define VTD_IQH 0x080
#define VTD_IQT 0x088
#define VTD_TE (1u << 31)    /* GCMD/GSTS: translation enable / status */
#define VTD_SRTP (1u << 30)  /* one-shot: set root table pointer */
#define VTD_SFL (1u << 29)   /* one-shot: set fault log */
#define VTD_WBF (1u << 27)   /* one-shot: write buffer flush */
#define VTD_QIE (1u << 26)   /* queued invalidation */
#define VTD_IRE (1u << 25)   /* interrupt remapping */
#define VTD_SIRTP (1u << 24) /* one-shot: set interrupt remap table pointer */
#define VTD_ONE_SHOT (VTD_SRTP | VTD_SFL | VTD_WBF | VTD_SIRTP)
#define VTD_CAP_PLMR (1ull << 5) /* protected low/high memory regions */
#define VTD_CAP_PHMR (1ull << 6)
#define VTD_PMEN_EPM (1u << 31)
#define VTD_PMEN_PRS (1u << 0)
#define VTD_IQA 0x090
#define VTD_IQ_INDEX_MASK 0x7FFF0u /* IQH/IQT bits 18:4: the byte offset */
#define VTD_IQA_BASE_MASK 0xFFFFFFFFFFFFF000ull
#define VTD_IQA_DW (1ull << 11) /* 256-bit descriptors */
#define VTD_IQA_QS_MASK 0x7ull  /* the queue is 2^QS pages */
#define VTD_DESC_128 16
#define VTD_DESC_256 32
#define VTD_DESC_WAIT 0x5ull    /* invalidation wait descriptor (6.5.2.8) */
#define VTD_WAIT_SW (1ull << 5) /* status write */
#define VTD_WAIT_FN (1ull << 6) /* fence */
#define VTD_WAIT_DONE 0x600DF00Du

static volatile uint32_t wait_status __attribute__((aligned(8)));

/* GCMD is write-only and every write sets every command: write back what
 * GSTS says is on, minus the one-shot commands, with `bit` cleared; then
 * wait for GSTS to agree (VT-d 4.1 11.4.4.1). */
static bool vtd_clear(paddr_t base, uint32_t bit, uint32_t *gsts)
{
    uint32_t on = mmio_read32(base + VTD_GSTS) & ~VTD_ONE_SHOT;
    mmio_write32(base + VTD_GCMD, on & ~bit);
    return mmio_wait32(base + VTD_GSTS, bit, 0, IOMMU_TIMEOUT_US, gsts);
}

/* Turns off one GCMD-controlled function if on, saying what happened. */
static void vtd_turn_off(paddr_t base, uint32_t bit, const char *name, struct linebuf *out)
{
    uint32_t gsts = mmio_read32(base + VTD_GSTS);
    if (!(gsts & bit))
        linebuf_add(out, " %s off,", name);
    else if (vtd_clear(base, bit, &gsts))
        linebuf_add(out, " %s was on, now off,", name);
    else
        linebuf_add(out, " %s STILL ON after %u us (GSTS 0x%x),", name, IOMMU_TIMEOUT_US, gsts);
}

static void vtd_protected_memory_off(paddr_t base, struct linebuf *out)
{
    uint64_t cap = mmio_read64(base + VTD_CAP);
    uint32_t pmen = mmio_read32(base + VTD_PMEN);
    if (!(cap & (VTD_CAP_PLMR | VTD_CAP_PHMR)) || !(pmen & VTD_PMEN_EPM)) {
        linebuf_add(out, " protected memory off,");
        return;
    }
    mmio_write32(base + VTD_PMEN, pmen & ~VTD_PMEN_EPM);
    if (mmio_wait32(base + VTD_PMEN, VTD_PMEN_PRS, 0, IOMMU_TIMEOUT_US, &pmen))
        linebuf_add(out, " protected memory was on, now off,");
    else
        linebuf_add(out, " protected memory STILL ON (PMEN 0x%x),", pmen);
}

/* Queues an invalidation wait descriptor that writes VTD_WAIT_DONE to
 * wait_status, and waits for it: the spec lets queued invalidation be
 * disabled only with the queue empty and a wait descriptor completed last
 * (VT-d 4.1 6.5.2), and QEMU enforces it. */
static bool vtd_queue_fence(paddr_t base, uint32_t *head)
{
    uint64_t iqa = mmio_read64(base + VTD_IQA);
    paddr_t queue = iqa & VTD_IQA_BASE_MASK;
    uint32_t size = PAGE_SIZE << (iqa & VTD_IQA_QS_MASK);
    uint32_t desc = iqa & VTD_IQA_DW ? VTD_DESC_256 : VTD_DESC_128;
    uint32_t tail = mmio_read32(base + VTD_IQT) & VTD_IQ_INDEX_MASK;
    if (!mmio_reachable(queue, size) || tail + desc > size)
        return false;
    wait_status = 0;
    volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)(queue + tail);
    for (uint32_t i = 0; i < desc / sizeof(uint64_t); i++)
        d[i] = 0;
    d[1] = (uint64_t)(uintptr_t)&wait_status;
    d[0] = VTD_DESC_WAIT | VTD_WAIT_SW | VTD_WAIT_FN | (uint64_t)VTD_WAIT_DONE << 32;
    mmio_write32(base + VTD_IQT, (tail + desc) % size);
    uint64_t start = timer_now_us();
    while (wait_status != VTD_WAIT_DONE && timer_now_us() - start < IOMMU_TIMEOUT_US)
        cpu_relax();
    return wait_status == VTD_WAIT_DONE &&
           mmio_wait32(base + VTD_IQH, VTD_IQ_INDEX_MASK, (tail + desc) % size,
                       IOMMU_TIMEOUT_US, head);
}

static void vtd_queue_off(paddr_t base, struct linebuf *out)
{
    uint32_t tail = mmio_read32(base + VTD_IQT) & VTD_IQ_INDEX_MASK, head;
    if (!(mmio_read32(base + VTD_GSTS) & VTD_QIE)) {
        linebuf_add(out, " queued invalidation off,");
        return;
    }
    if (!mmio_wait32(base + VTD_IQH, VTD_IQ_INDEX_MASK, tail, IOMMU_TIMEOUT_US, &head))
        linebuf_add(out, " (invalidation queue not drained: head 0x%x tail 0x%x)", head, tail);
    else if (!vtd_queue_fence(base, &head))
        linebuf_add(out, " (invalidation wait descriptor not completed: head 0x%x)", head);
    vtd_turn_off(base, VTD_QIE, "queued invalidation", out);
}

void vtd_quiesce_unit(const struct acpi_iommu *unit, struct linebuf *out)
{
    paddr_t base = unit->base;
    if (!mmio_reachable(base, VTD_MMIO_SIZE)) {
        linebuf_add(out, " VT-d at 0x%llx beyond the 4 GiB hop maps: left alone;",
                    (unsigned long long)base);
        return;
    }
    uint32_t ver = mmio_read32(base + VTD_VER);
    if (ver == UINT32_MAX) {
        linebuf_add(out, " nothing answers at 0x%llx;", (unsigned long long)base);
        return;
    }
    linebuf_add(out, " VT-d %u.%u at 0x%llx:", (ver >> 4) & 0xF, ver & 0xF,
                (unsigned long long)base);
    vtd_turn_off(base, VTD_TE, "translation", out);
    vtd_protected_memory_off(base, out);
    vtd_turn_off(base, VTD_IRE, "interrupt remapping", out);
    vtd_queue_off(base, out);
    out->text[out->len - 1] = ';'; /* the last piece's comma */
}
