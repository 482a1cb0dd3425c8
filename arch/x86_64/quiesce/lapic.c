/* Quiescing this CPU's local APIC (Intel SDM vol. 3A ch. 11).
 *
 * The mode is kept as firmware handed it over: xAPIC stays xAPIC, x2APIC
 * stays x2APIC (leaving x2APIC means passing through the disabled state,
 * which resets the APIC; and firmware chose x2APIC for a reason, such as
 * APIC IDs above 255, that the next kernel must see too).  A globally
 * disabled APIC is left disabled.
 *
 * Then: the timer is stopped (LVT masked, one-shot, initial count 0, and
 * the TSC deadline cleared where the CPU has that mode); every LVT is
 * masked; interrupts in service are ended with EOIs until the ISR is empty
 * (an ISR bit left set would block its priority class and every lower one
 * forever); the error status is cleared; TPR 0.  Last, the state a PC
 * kernel expects to find at boot (MP spec 1.4 3.6.2.2, "virtual wire"): the
 * APIC software-enabled with spurious vector 0xFF, LINT0 ExtINT and LINT1
 * NMI, both unmasked, as firmware sets it and as Linux's kexec leaves it.
 * The 8259s are masked, so LINT0 carries nothing until the next kernel
 * unmasks a PIC line. */
#include "quiesce/lapic.h"
#include "console/console.h"
#include "cpu.h"
#include "mmio.h"
#include "lib/fmt.h"

#define CPUID_1_EDX_APIC (1u << 9)
#define LAPIC_SPURIOUS_VECTOR 0xFFu
#define LAPIC_REGS_PER_SET 8 /* ISR/TMR/IRR: 8 x 32 bits */
#define LAPIC_MAX_EOIS LAPIC_VECTORS

static enum lapic_mode mode;
static paddr_t mmio_base;

enum lapic_mode lapic_probe(paddr_t *base, const char **why)
{
    mode = LAPIC_OFF;
    *base = 0;
    *why = NULL;
    if (!(cpuid(1, 0).edx & CPUID_1_EDX_APIC)) {
        *why = "none (CPUID.1:EDX.APIC clear)";
        return mode;
    }
    uint64_t v = rdmsr(MSR_IA32_APIC_BASE);
    *base = mmio_base = v & APIC_BASE_ADDR_MASK;
    if (!(v & APIC_BASE_ENABLE))
        *why = "globally disabled by firmware (IA32_APIC_BASE.EN clear)";
    else if (v & APIC_BASE_EXTD)
        mode = LAPIC_X2APIC;
    else if (!mmio_reachable(mmio_base, PAGE_SIZE))
        *why = "xAPIC registers above the 4 GiB hop maps";
    else
        mode = LAPIC_XAPIC;
    return mode;
}

uint32_t lapic_read(uint32_t reg)
{
    if (mode == LAPIC_X2APIC)
        return (uint32_t)rdmsr(LAPIC_X2APIC_MSR_BASE + reg / LAPIC_REG_STRIDE);
    return mmio_read32(mmio_base + reg);
}

void lapic_write(uint32_t reg, uint32_t value)
{
    if (mode == LAPIC_X2APIC)
        wrmsr(LAPIC_X2APIC_MSR_BASE + reg / LAPIC_REG_STRIDE, value);
    else
        mmio_write32(mmio_base + reg, value);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

bool lapic_vector_bit(uint32_t first, unsigned vector)
{
    return lapic_read(first + (vector / 32) * LAPIC_REG_STRIDE) & (1u << (vector % 32));
}

int lapic_highest(uint32_t first)
{
    for (int i = LAPIC_REGS_PER_SET - 1; i >= 0; i--) {
        uint32_t r = lapic_read(first + (uint32_t)i * LAPIC_REG_STRIDE);
        if (r)
            return i * 32 + 31 - __builtin_clz(r);
    }
    return -1;
}

/* The LVT registers and the smallest "max LVT entry" (version register
 * bits 23:16) with which each exists. */
static const struct { uint32_t reg; uint32_t min_max_lvt; } lvts[] = {
    { LAPIC_LVT_TIMER, 0 }, { LAPIC_LVT_LINT0, 0 }, { LAPIC_LVT_LINT1, 0 },
    { LAPIC_LVT_ERROR, 3 }, { LAPIC_LVT_PERF, 4 },  { LAPIC_LVT_THERMAL, 5 },
    { LAPIC_LVT_CMCI, 6 },
};

/* Masks every LVT this APIC has; returns how many were unmasked. */
static int lapic_mask_lvts(uint32_t max_lvt, int *present)
{
    int unmasked = 0;
    *present = 0;
    for (size_t i = 0; i < ARRAY_SIZE(lvts); i++) {
        if (max_lvt < lvts[i].min_max_lvt)
            continue;
        uint32_t v = lapic_read(lvts[i].reg);
        (*present)++;
        unmasked += !(v & LAPIC_LVT_MASKED);
        lapic_write(lvts[i].reg, v | LAPIC_LVT_MASKED);
    }
    return unmasked;
}

static const char *timer_mode_name(uint32_t lvt)
{
    switch (lvt & LAPIC_TIMER_MODE_MASK) {
    case LAPIC_TIMER_PERIODIC: return "periodic";
    case LAPIC_TIMER_TSC_DEADLINE: return "TSC-deadline";
    case 0: return "one-shot";
    default: return "reserved-mode";
    }
}

/* Describes the timer as found into buf, then stops it.  Called with the
 * LVT already masked: no tick can slip in between the steps. */
static void lapic_stop_timer(uint32_t lvt_before, char *buf, size_t size)
{
    uint32_t initial = lapic_read(LAPIC_TIMER_INITIAL);
    uint32_t current = lapic_read(LAPIC_TIMER_CURRENT);
    bool deadline = (cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE) != 0;
    fmt_snprintf(buf, size, "%s %s vector 0x%x, initial count %u, current %u",
                 lvt_before & LAPIC_LVT_MASKED ? "masked" : "live",
                 timer_mode_name(lvt_before), lvt_before & LAPIC_LVT_VECTOR_MASK, initial, current);
    if (deadline)
        wrmsr(MSR_IA32_TSC_DEADLINE, 0); /* disarms; ignored outside TSC-deadline mode */
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | (lvt_before & LAPIC_LVT_VECTOR_MASK));
    lapic_write(LAPIC_TIMER_INITIAL, 0);
}

/* EOIs until no interrupt is in service; returns how many were. */
static int lapic_end_in_service(int *first_vector)
{
    int ended = 0;
    *first_vector = lapic_highest(LAPIC_ISR0);
    for (int i = 0; i < LAPIC_MAX_EOIS && lapic_highest(LAPIC_ISR0) >= 0; i++) {
        lapic_eoi();
        ended++;
    }
    return ended;
}

static void lapic_virtual_wire(void)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
    lapic_write(LAPIC_LVT_LINT0, LAPIC_DELIVERY_EXTINT);
    lapic_write(LAPIC_LVT_LINT1, LAPIC_DELIVERY_NMI);
}

void lapic_quiesce(void)
{
    paddr_t base;
    const char *why;
    if (lapic_probe(&base, &why) == LAPIC_OFF) {
        kprintf("hop: quiesce: local APIC: %s: left alone\n", why);
        return;
    }
    uint32_t max_lvt = LAPIC_VERSION_MAX_LVT(lapic_read(LAPIC_VERSION));
    uint32_t timer_lvt = lapic_read(LAPIC_LVT_TIMER);
    int present, unmasked = lapic_mask_lvts(max_lvt, &present);
    char timer[96];
    lapic_stop_timer(timer_lvt, timer, sizeof(timer));
    lapic_write(LAPIC_ESR, 0); /* latch, then clear, the error status */
    uint32_t esr = lapic_read(LAPIC_ESR);
    lapic_write(LAPIC_ESR, 0);
    int isr_vector, ended = lapic_end_in_service(&isr_vector);
    int still = lapic_highest(LAPIC_ISR0);
    lapic_virtual_wire();
    char where[40];
    if (mode == LAPIC_X2APIC)
        fmt_snprintf(where, sizeof(where), "x2APIC (MSRs)");
    else
        fmt_snprintf(where, sizeof(where), "xAPIC at 0x%llx", (unsigned long long)base);
    char isr[64] = "none in service";
    if (ended)
        fmt_snprintf(isr, sizeof(isr), "%d in service (highest 0x%x), EOI'd%s", ended,
                     isr_vector, still >= 0 ? ", ISR STILL NOT EMPTY" : "");
    kprintf("hop: quiesce: local APIC: %s, id 0x%x, %d LVTs; timer was %s, now masked with "
            "count 0; %d LVTs were unmasked, all masked; %s; ESR was 0x%x; virtual wire: LINT0 "
            "ExtINT, LINT1 NMI, SVR 0x%x\n", where, lapic_read(LAPIC_ID), present, timer,
            unmasked, isr, esr, lapic_read(LAPIC_SVR));
}
