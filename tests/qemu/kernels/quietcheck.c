/* quietcheck: proves from inside the guest that the machine it was handed
 * is quiet (docs/quiesce.md; tests/qemu/test_quiesce.py).  Each failed check
 * is tagged with the quiesce step it belongs to ("tk: FAIL [lapic] ..."), so
 * that a test can see the right one fail when that step is skipped:
 *
 *   [pic]      both 8259 masks 0xFF, nothing in service
 *   [lapic]    timer masked with count 0, every LVT masked except the
 *              virtual wire (LINT0 ExtINT, LINT1 NMI), nothing in service,
 *              SVR enabled, TPR 0 (xAPIC via its registers at the
 *              IA32_APIC_BASE address, x2APIC via MSRs)
 *   [ioapic]   every redirection entry of every MADT IO-APIC masked
 *   [pci]      on every function but host bridges and IOMMUs: bus master
 *              off; on every function: MSI off, MSI-X off and masked
 *   [iommu]    VT-d: translation, queued invalidation, interrupt remapping
 *              and protected memory off; AMD-Vi: IommuEn off
 *   [hpet]     counter disabled and not moving, no timer interrupt enabled
 *   [pit]      channel 0 in mode 0 with its output high (expired)
 *   [isadma]   all eight 8237 channels masked
 *   [pending]  nothing pending in the local APIC, and no interrupt at all
 *              arrives while interrupts are enabled for WINDOW_MS
 *   [canary]   the memory ranges given as canary=ADDR,LEN on the command
 *              line do not change over the whole run (no DMA, no handler)
 *
 * Written independently of hop's quiesce code: PCI through ports
 * 0xCF8/0xCFC only, its own register definitions.  Only the ACPI parser is
 * hop's (unit-tested and fuzzed on its own). */
#include "tk.h"
#include "parse/acpi.h"
#include "lib/string.h"

#define WINDOW_MS 30

/* ---- the machine ------------------------------------------------------------ */

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

/* Paging is off: every address below 4 GiB is its own pointer. */
static const void *identity(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    if (addr == 0 || addr > UINT32_MAX || len > (uint64_t)UINT32_MAX + 1 - addr)
        return NULL;
    return (const void *)(uintptr_t)addr;
}

static const struct phys_access phys = { identity, NULL };

/* PIT channel 2, gated through port 0x61, polled: no interrupt, and
 * channel 0 (under test) untouched. */
#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CH2_LOHI_MODE0 0xB0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define SPIN_LIMIT 50000000u

static void delay_ms(unsigned ms)
{
    uint8_t b = inb(PORT_B) & (uint8_t)~PORT_B_SPEAKER;
    while (ms--) {
        outb(PORT_B, b & (uint8_t)~PORT_B_GATE2);
        outb(PIT_CMD, PIT_CH2_LOHI_MODE0);
        outb(PIT_CH2, (PIT_HZ / 1000) & 0xFF);
        outb(PIT_CH2, (PIT_HZ / 1000) >> 8);
        outb(PORT_B, b | PORT_B_GATE2);
        for (uint32_t i = 0; !(inb(PORT_B) & PORT_B_OUT2) && i < SPIN_LIMIT; i++)
            ;
    }
    outb(PORT_B, b & (uint8_t)~PORT_B_GATE2);
}

/* ---- local APIC (Intel SDM vol. 3A ch. 11) ------------------------------------ */

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_MASK 0xFFFFF000ull
#define X2APIC_MSR(reg) (0x800 + (reg) / 0x10)
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_VERSION 0x030
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_REG_STRIDE 0x10
#define LAPIC_SET_REGS 8 /* ISR/IRR: 8 x 32 bits */
#define LAPIC_MAX_LVT(version) (((version) >> 16) & 0xFF)
#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY (7u << 8)
#define DELIVERY_NMI (4u << 8)
#define DELIVERY_EXTINT (7u << 8)
#define SVR_ENABLE (1u << 8)

static bool x2apic;
static uint64_t apic_base;
static bool apic_on;

static uint32_t apic_read(uint32_t reg)
{
    return x2apic ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : rd32(apic_base + reg);
}

static void apic_eoi(void)
{
    if (x2apic)
        __asm__ volatile("wrmsr" ::"c"(X2APIC_MSR(LAPIC_EOI)), "a"(0), "d"(0));
    else
        wr32(apic_base + LAPIC_EOI, 0);
}

/* The highest vector set in the 256-bit ISR or IRR, or -1. */
static int apic_highest(uint32_t first)
{
    for (int i = LAPIC_SET_REGS - 1; i >= 0; i--) {
        uint32_t r = apic_read(first + (uint32_t)i * LAPIC_REG_STRIDE);
        if (r)
            return i * 32 + 31 - __builtin_clz(r);
    }
    return -1;
}

static const struct { uint32_t reg, min_max_lvt; const char *name; } lvts[] = {
    { LAPIC_LVT_TIMER, 0, "timer" },     { LAPIC_LVT_ERROR, 3, "error" },
    { LAPIC_LVT_PERF, 4, "perf" },       { LAPIC_LVT_THERMAL, 5, "thermal" },
    { LAPIC_LVT_CMCI, 6, "CMCI" },
};

static void check_lapic(void)
{
    uint64_t msr = rdmsr(MSR_APIC_BASE);
    apic_on = msr & APIC_BASE_EN;
    x2apic = msr & APIC_BASE_EXTD;
    apic_base = msr & APIC_BASE_MASK;
    if (!apic_on) {
        tk_printf("quietcheck: local APIC globally disabled: nothing to check\n");
        return;
    }
    uint32_t max_lvt = LAPIC_MAX_LVT(apic_read(LAPIC_VERSION));
    uint32_t lint0 = apic_read(LAPIC_LVT_LINT0), lint1 = apic_read(LAPIC_LVT_LINT1);
    tk_printf("quietcheck: local APIC %s, SVR 0x%x, LINT0 0x%x, LINT1 0x%x, timer 0x%x count %u/%u\n",
              x2apic ? "x2APIC" : "xAPIC", apic_read(LAPIC_SVR), lint0, lint1, apic_read(LAPIC_LVT_TIMER),
              apic_read(LAPIC_TIMER_INITIAL), apic_read(LAPIC_TIMER_CURRENT));
    for (size_t i = 0; i < ARRAY_SIZE(lvts); i++)
        if (max_lvt >= lvts[i].min_max_lvt)
            tk_check(apic_read(lvts[i].reg) & LVT_MASKED, "[lapic] LVT %s 0x%x not masked",
                     lvts[i].name, apic_read(lvts[i].reg));
    tk_check(apic_read(LAPIC_TIMER_INITIAL) == 0 && apic_read(LAPIC_TIMER_CURRENT) == 0,
             "[lapic] timer counts: initial %u current %u", apic_read(LAPIC_TIMER_INITIAL),
             apic_read(LAPIC_TIMER_CURRENT));
    tk_check((lint0 & (LVT_MASKED | LVT_DELIVERY)) == DELIVERY_EXTINT,
             "[lapic] LINT0 0x%x is not the virtual wire (ExtINT, unmasked)", lint0);
    tk_check((lint1 & (LVT_MASKED | LVT_DELIVERY)) == DELIVERY_NMI,
             "[lapic] LINT1 0x%x is not NMI, unmasked", lint1);
    tk_check(apic_highest(LAPIC_ISR) < 0, "[lapic] vector 0x%x still in service",
             apic_highest(LAPIC_ISR));
    tk_check(apic_read(LAPIC_SVR) & SVR_ENABLE, "[lapic] software-disabled (SVR 0x%x)",
             apic_read(LAPIC_SVR));
    tk_check(apic_read(LAPIC_TPR) == 0, "[lapic] TPR 0x%x", apic_read(LAPIC_TPR));
    tk_check(apic_highest(LAPIC_IRR) < 0, "[pending] vector 0x%x pending at entry",
             apic_highest(LAPIC_IRR));
}

/* ---- 8259, IO-APIC, PIT, 8237 -------------------------------------------------- */

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B
#define PIC_ALL_MASKED 0xFF

static void check_pic(void)
{
    uint8_t m1 = inb(PIC1_DATA), m2 = inb(PIC2_DATA);
    outb(PIC1_CMD, OCW3_READ_ISR);
    outb(PIC2_CMD, OCW3_READ_ISR);
    uint8_t s1 = inb(PIC1_CMD), s2 = inb(PIC2_CMD);
    outb(PIC1_CMD, OCW3_READ_IRR); /* back to the default */
    outb(PIC2_CMD, OCW3_READ_IRR);
    tk_printf("quietcheck: 8259 masks 0x%02x/0x%02x, in service 0x%02x/0x%02x, requests 0x%02x/0x%02x\n",
              m1, m2, s1, s2, inb(PIC1_CMD), inb(PIC2_CMD));
    tk_check(m1 == PIC_ALL_MASKED && m2 == PIC_ALL_MASKED,
             "[pic] masks 0x%02x/0x%02x, not 0xff/0xff", m1, m2);
    tk_check(s1 == 0 && s2 == 0, "[pic] in service 0x%02x/0x%02x", s1, s2);
}

#define IOAPIC_WINDOW 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIR0 0x10
#define IOAPIC_MAX_ENTRY(version) (((version) >> 16) & 0xFF)
#define IOAPIC_MASKED (1u << 16)
#define LISTED_MAX 4

static uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
    wr32(base, reg);
    return rd32(base + IOAPIC_WINDOW);
}

static void check_ioapics(const struct acpi_info *acpi)
{
    for (size_t i = 0; acpi && i < acpi->ioapic_count; i++) {
        uint64_t base = acpi->ioapics[i].addr;
        uint32_t entries = IOAPIC_MAX_ENTRY(ioapic_read(base, IOAPIC_VERSION)) + 1, unmasked = 0;
        for (uint32_t e = 0; e < entries; e++) {
            uint32_t lo = ioapic_read(base, IOAPIC_REDIR0 + 2 * e);
            if (!(lo & IOAPIC_MASKED) && unmasked++ < LISTED_MAX)
                tk_check(false, "[ioapic] 0x%llx: GSI %u (entry 0x%x) not masked",
                         (unsigned long long)base, acpi->ioapics[i].gsi_base + e, lo);
        }
        tk_printf("quietcheck: IO-APIC at 0x%llx: %u entries, %u unmasked\n",
                  (unsigned long long)base, entries, unmasked);
    }
}

#define PIT_CH0 0x40
#define PIT_READ_BACK_STATUS_CH0 0xE2 /* read-back, status only, channel 0 */
#define PIT_STATUS_MODE(s) (((s) >> 1) & 7)
#define PIT_STATUS_OUTPUT 0x80

static void check_pit(void)
{
    outb(PIT_CMD, PIT_READ_BACK_STATUS_CH0);
    uint8_t status = inb(PIT_CH0);
    unsigned mode = PIT_STATUS_MODE(status);
    tk_printf("quietcheck: PIT channel 0 status 0x%02x: mode %u, output %u\n", status, mode,
              status >> 7);
    tk_check(mode == 0 && (status & PIT_STATUS_OUTPUT),
             "[pit] channel 0 in mode %u with output %u: can still make IRQ0 edges", mode,
             status >> 7);
}

/* A real 8237's mask register cannot be read; QEMU's i8257 returns it on
 * reads of the (otherwise write-only) request-register ports 0x09 and 0xD2. */
#define QEMU_DMA1_MASK_READ 0x09
#define QEMU_DMA2_MASK_READ 0xD2
#define DMA_ALL_MASKED 0x0F

static void check_isadma(void)
{
    uint8_t m1 = inb(QEMU_DMA1_MASK_READ) & DMA_ALL_MASKED;
    uint8_t m2 = inb(QEMU_DMA2_MASK_READ) & DMA_ALL_MASKED;
    tk_printf("quietcheck: 8237 masks 0x%x/0x%x\n", m1, m2);
    tk_check(m1 == DMA_ALL_MASKED && m2 == DMA_ALL_MASKED, "[isadma] channel masks 0x%x/0x%x, not 0xf/0xf", m1, m2);
}

/* ---- PCI through ports 0xCF8/0xCFC ----------------------------------------------- */

#define CF8_ADDRESS 0xCF8
#define CF8_DATA 0xCFC
#define CF8_ENABLE 0x80000000u
#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS 0x08 /* class code in bits 31:8 */
#define PCI_HEADER_TYPE 0x0E
#define PCI_CAP_PTR 0x34
#define PCI_CARDBUS_CAP_PTR 0x14
#define PCI_HEADER_CARDBUS 2
#define PCI_MULTI_FUNCTION 0x80
#define PCI_STATUS_CAPS 0x10
#define PCI_COMMAND_MASTER 0x04
#define PCI_NO_VENDOR 0xFFFF
#define PCI_CAP_MSI 0x05
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_CONTROL 2
#define PCI_CAP_FIRST 0x40
#define PCI_CAP_MAX 48
#define MSI_ENABLE 0x0001
#define MSIX_ENABLE 0x8000
#define MSIX_MASK 0x4000
#define CLASS_HOST_BRIDGE 0x0600
#define CLASS_IOMMU 0x0806

static uint32_t cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    outl(CF8_ADDRESS, CF8_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xFC));
    return inl(CF8_DATA) >> ((off & 3) * 8);
}

static unsigned find_cap(unsigned bus, unsigned dev, unsigned fn, unsigned id)
{
    if (!(cfg_read(bus, dev, fn, PCI_STATUS) & PCI_STATUS_CAPS))
        return 0;
    bool cardbus = (cfg_read(bus, dev, fn, PCI_HEADER_TYPE) & 0x7F) == PCI_HEADER_CARDBUS;
    unsigned at = cfg_read(bus, dev, fn, cardbus ? PCI_CARDBUS_CAP_PTR : PCI_CAP_PTR) & 0xFC;
    for (int i = 0; i < PCI_CAP_MAX && at >= PCI_CAP_FIRST;
         i++, at = cfg_read(bus, dev, fn, at + 1) & 0xFC)
        if ((cfg_read(bus, dev, fn, at) & 0xFF) == id)
            return at;
    return 0;
}

static void check_function(unsigned bus, unsigned dev, unsigned fn)
{
    uint32_t id = cfg_read(bus, dev, fn, PCI_ID);
    unsigned class = cfg_read(bus, dev, fn, PCI_CLASS) >> 16;
    unsigned cmd = cfg_read(bus, dev, fn, PCI_COMMAND) & 0xFFFF;
    unsigned msi = find_cap(bus, dev, fn, PCI_CAP_MSI), msix = find_cap(bus, dev, fn, PCI_CAP_MSIX);
    unsigned msi_ctl = msi ? cfg_read(bus, dev, fn, msi + PCI_CAP_CONTROL) & 0xFFFF : 0;
    unsigned msix_ctl = msix ? cfg_read(bus, dev, fn, msix + PCI_CAP_CONTROL) & 0xFFFF : 0;
    tk_printf("quietcheck: pci %02x:%02x.%u %04x:%04x class %04x command 0x%04x%s%s\n", bus, dev,
              fn, id & 0xFFFF, id >> 16, class, cmd, msi ? " MSI" : "", msix ? " MSI-X" : "");
    if (class != CLASS_HOST_BRIDGE && class != CLASS_IOMMU)
        tk_check(!(cmd & PCI_COMMAND_MASTER), "[pci] %02x:%02x.%u %04x:%04x bus mastering on "
                 "(command 0x%04x)", bus, dev, fn, id & 0xFFFF, id >> 16, cmd);
    tk_check(!(msi_ctl & MSI_ENABLE), "[pci] %02x:%02x.%u MSI on (control 0x%04x)", bus, dev, fn,
             msi_ctl);
    tk_check(!msix || (msix_ctl & (MSIX_ENABLE | MSIX_MASK)) == MSIX_MASK,
             "[pci] %02x:%02x.%u MSI-X on or unmasked (control 0x%04x)", bus, dev, fn, msix_ctl);
}

static void check_pci(void)
{
    for (unsigned bus = 0; bus < 256; bus++)
        for (unsigned dev = 0; dev < 32; dev++) {
            if ((cfg_read(bus, dev, 0, PCI_ID) & 0xFFFF) == PCI_NO_VENDOR)
                continue;
            unsigned fns = cfg_read(bus, dev, 0, PCI_HEADER_TYPE) & PCI_MULTI_FUNCTION ? 8 : 1;
            for (unsigned fn = 0; fn < fns; fn++)
                if ((cfg_read(bus, dev, fn, PCI_ID) & 0xFFFF) != PCI_NO_VENDOR)
                    check_function(bus, dev, fn);
        }
}

/* ---- IOMMUs and HPETs ------------------------------------------------------------ */

#define VTD_GSTS 0x1C
#define VTD_PMEN 0x64
#define VTD_TES (1u << 31)
#define VTD_QIES (1u << 26)
#define VTD_IRES (1u << 25)
#define VTD_PMEN_EPM (1u << 31)
#define AMDVI_CONTROL 0x18
#define AMDVI_ON 0x101Du /* IommuEn, event log and its interrupts, command buffer */
#define HPET_CAP 0x000
#define HPET_CONFIG 0x010
#define HPET_COUNTER 0x0F0
#define HPET_TIMER(t) (0x100 + 0x20 * (t))
#define HPET_TIMERS(cap) ((((cap) >> 8) & 0x1F) + 1)
#define HPET_ENABLE_OR_LEGACY 0x3u
#define HPET_TIMER_INTERRUPTS ((1u << 2) | (1u << 14)) /* IO-APIC or FSB delivery */

static void check_iommus(const struct acpi_info *acpi)
{
    for (size_t i = 0; acpi && i < acpi->dmar_count; i++) {
        uint64_t b = acpi->dmar[i].base;
        uint32_t gsts = rd32(b + VTD_GSTS), pmen = rd32(b + VTD_PMEN);
        tk_printf("quietcheck: VT-d at 0x%llx: GSTS 0x%08x PMEN 0x%08x\n",
                  (unsigned long long)b, gsts, pmen);
        tk_check(!(gsts & VTD_TES), "[iommu] VT-d translation on (GSTS 0x%x)", gsts);
        tk_check(!(gsts & VTD_QIES), "[iommu] VT-d queued invalidation on (GSTS 0x%x)", gsts);
        tk_check(!(gsts & VTD_IRES), "[iommu] VT-d interrupt remapping on (GSTS 0x%x)", gsts);
        tk_check(!(pmen & VTD_PMEN_EPM), "[iommu] VT-d protected memory on (PMEN 0x%x)", pmen);
    }
    for (size_t i = 0; acpi && i < acpi->ivrs_count; i++) {
        uint64_t b = acpi->ivrs[i].base;
        uint32_t control = rd32(b + AMDVI_CONTROL);
        tk_printf("quietcheck: AMD-Vi at 0x%llx: control 0x%08x\n", (unsigned long long)b, control);
        tk_check(!(control & AMDVI_ON), "[iommu] AMD-Vi enabled (control 0x%x)", control);
    }
}

static void check_hpets(const struct acpi_info *acpi, uint32_t *counters)
{
    for (size_t i = 0; acpi && i < acpi->hpet_count; i++) {
        uint64_t b = acpi->hpets[i].base;
        unsigned timers = HPET_TIMERS(rd32(b + HPET_CAP));
        uint32_t config = rd32(b + HPET_CONFIG);
        counters[i] = rd32(b + HPET_COUNTER);
        tk_printf("quietcheck: HPET at 0x%llx: config 0x%x, counter 0x%x, %u timers\n",
                  (unsigned long long)b, config, counters[i], timers);
        tk_check(!(config & HPET_ENABLE_OR_LEGACY), "[hpet] counter enabled or legacy routing "
                 "on (config 0x%x)", config);
        for (unsigned t = 0; t < timers; t++) {
            uint32_t tc = rd32(b + HPET_TIMER(t));
            tk_check(!(tc & HPET_TIMER_INTERRUPTS), "[hpet] timer %u interrupt on (0x%x)", t, tc);
        }
    }
}

/* Read again after the interrupt window: a stopped counter has not moved. */
static void check_hpets_still(const struct acpi_info *acpi, const uint32_t *counters)
{
    for (size_t i = 0; acpi && i < acpi->hpet_count; i++) {
        uint32_t now = rd32(acpi->hpets[i].base + HPET_COUNTER);
        tk_check(now == counters[i], "[hpet] counter moved from 0x%x to 0x%x", counters[i], now);
    }
}

/* ---- interrupts: any that arrives is a failure ----------------------------------- */

struct gate32 {
    uint16_t offset_low, selector;
    uint8_t zero, type_attr;
    uint16_t offset_high;
} __attribute__((packed));

struct table_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

struct interrupt_frame;

static struct gate32 idt[256];
#define NO_VECTOR 0x100 /* an ExtINT from an 8259, or spurious */
#define GATE_INTERRUPT32 0x8E
#define EXCEPTIONS 32
static volatile unsigned arrived, first_vector = NO_VECTOR;
/* null; flat 32-bit code; flat data (the usual 4 GiB descriptors) */
static const uint64_t gdt[] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull };
#define SEL_CODE 0x08
#define SEL_DATA 0x10

/* The vector in service is the highest ISR bit; none: an 8259's ExtINT. */
__attribute__((interrupt)) static void on_interrupt(struct interrupt_frame *f)
{
    (void)f;
    int v = apic_on ? apic_highest(LAPIC_ISR) : -1;
    if (arrived++ == 0)
        first_vector = v < 0 ? NO_VECTOR : (unsigned)v;
    if (v >= 0)
        apic_eoi();
}

__attribute__((interrupt)) static void on_exception(struct interrupt_frame *f)
{
    (void)f;
    tk_printf("tk: FAIL [pending] a CPU exception while interrupts were open\n");
    tk_exit(HOP_EXIT_FAIL);
}

/* Our own GDT (the loader's may be gone) and an IDT for every vector. */
static void tables_setup(void)
{
    struct table_ptr g = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0\n\tljmp %1, $1f\n1:\n\t"
                     "mov %2, %%ax\n\tmov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%ss\n\t"
                     "mov %%ax, %%fs\n\tmov %%ax, %%gs" ::"m"(g), "i"(SEL_CODE), "i"(SEL_DATA)
                     : "eax", "memory");
    for (unsigned v = 0; v < 256; v++) {
        uint32_t a = (uint32_t)(uintptr_t)(v < EXCEPTIONS ? on_exception : on_interrupt);
        idt[v] = (struct gate32){ (uint16_t)a, SEL_CODE, 0, GATE_INTERRUPT32, (uint16_t)(a >> 16) };
    }
    struct table_ptr i = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(i));
}

static void check_no_interrupts(void)
{
    __asm__ volatile("sti" ::: "memory");
    delay_ms(WINDOW_MS);
    __asm__ volatile("cli" ::: "memory");
    tk_printf("quietcheck: %u interrupts in %u ms with interrupts enabled\n", arrived, WINDOW_MS);
    tk_check(arrived == 0, "[pending] %u interrupts arrived after the jump (first vector 0x%x%s)",
             arrived, first_vector, first_vector == NO_VECTOR ? ": ExtINT or spurious" : "");
}

/* ---- canaries -------------------------------------------------------------------- */

#define MAX_CANARIES 4

struct canary {
    uint32_t addr, len, crc;
};

static struct canary canaries[MAX_CANARIES];
static size_t canary_count;

static uint32_t parse_number(const char **p)
{
    uint32_t v = 0;
    unsigned base = 10;
    if ((*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X')) {
        base = 16;
        *p += 2;
    }
    for (;; (*p)++) {
        char c = **p;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
        if (d >= base)
            return v;
        v = v * base + d;
    }
}

/* canary=ADDR,LEN words of the command line. */
static void canaries_parse(const char *cmdline)
{
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || strncmp(p, "canary=", 7) != 0)
            continue;
        p += 7;
        struct canary c = { parse_number(&p), 0, 0 };
        if (*p == ',') {
            p++;
            c.len = parse_number(&p);
        }
        if (canary_count < MAX_CANARIES && c.addr && c.len) {
            c.crc = tk_crc32((const void *)(uintptr_t)c.addr, c.len);
            canaries[canary_count++] = c;
        }
        if (!*p)
            break;
    }
}

static void check_canaries(void)
{
    for (size_t i = 0; i < canary_count; i++) {
        const struct canary *c = &canaries[i];
        uint32_t now = tk_crc32((const void *)(uintptr_t)c->addr, c->len);
        tk_printf("quietcheck: canary 0x%x+0x%x crc %08x then %08x\n", c->addr, c->len, c->crc, now);
        tk_check(now == c->crc, "[canary] 0x%x+0x%x changed after the jump (DMA or a handler)",
                 c->addr, c->len);
    }
}

/* ---- main -------------------------------------------------------------------------- */

#define EBDA_SEGMENT_PTR 0x40E
#define BIOS_AREA 0xE0000
#define BIOS_AREA_LEN 0x20000

static struct bootinfo bi;
static struct acpi_info acpi;

static const struct acpi_info *acpi_find(void)
{
    const void *rsdp = bi.rsdp_v2 ? bi.rsdp_v2 : bi.rsdp_v1;
    size_t len = bi.rsdp_v2 ? bi.rsdp_v2_len : bi.rsdp_v1_len;
    if (!rsdp) {
        uintptr_t bda = EBDA_SEGMENT_PTR;
        __asm__("" : "+r"(bda)); /* a real address, not the null page gcc suspects */
        paddr_t ebda = (paddr_t)*(volatile uint16_t *)bda << 4;
        paddr_t at = ebda ? acpi_rsdp_find(&phys, ebda, 1024) : 0;
        at = at ? at : acpi_rsdp_find(&phys, BIOS_AREA, BIOS_AREA_LEN);
        rsdp = at ? identity(NULL, at, 36) : NULL;
        len = 36;
    }
    struct hop_error err = { 0 };
    if (!rsdp || acpi_parse(&acpi, rsdp, len, &phys, &err) != HOP_OK) {
        tk_check(false, "[acpi] no usable ACPI tables: %s", rsdp ? err.msg : "no RSDP");
        return NULL;
    }
    tk_printf("quietcheck: ACPI: %zu IO-APIC, %zu VT-d, %zu AMD-Vi, %zu HPET\n", acpi.ioapic_count,
              acpi.dmar_count, acpi.ivrs_count, acpi.hpet_count);
    return &acpi;
}

void tk_main(uint32_t magic, uint32_t info)
{
    uint32_t hpet_counters[ACPI_MAX_HPETS];
    tk_parse_bootinfo(&bi, magic, info);
    tables_setup();
    canaries_parse(bi.cmdline);
    tk_printf("quietcheck: command line \"%s\": %zu canaries\n", bi.cmdline, canary_count);
    const struct acpi_info *a = acpi_find();
    check_pic();
    check_lapic();
    check_ioapics(a);
    check_pci();
    check_iommus(a);
    check_hpets(a, hpet_counters);
    check_pit();
    check_isadma();
    check_no_interrupts();
    check_hpets_still(a, hpet_counters);
    check_canaries();
    tk_finish();
}
