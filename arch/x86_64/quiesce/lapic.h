#ifndef HOP_ARCH_LAPIC_H
#define HOP_ARCH_LAPIC_H
/* This CPU's local APIC, in whichever mode firmware left it (Intel SDM
 * vol. 3A ch. 11 (10 in older editions): xAPIC registers in memory at the
 * IA32_APIC_BASE address, x2APIC registers as MSRs 0x800 + offset/16). */
#include "lib/types.h"

/* Register offsets (SDM table 11-1); x2APIC MSR = LAPIC_X2APIC_MSR_BASE + offset/16. */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ISR0 0x100 /* 8 registers, 0x10 apart: vectors 0-255 */
#define LAPIC_TMR0 0x180
#define LAPIC_IRR0 0x200
#define LAPIC_ESR 0x280
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310 /* xAPIC only: x2APIC has one 64-bit ICR */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0
#define LAPIC_X2APIC_MSR_BASE 0x800
#define LAPIC_REG_STRIDE 0x10

#define LAPIC_VERSION_MAX_LVT(v) (((v) >> 16) & 0xFF) /* number of LVT entries - 1 */
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_SVR_VECTOR_MASK 0xFFu
#define LAPIC_LVT_VECTOR_MASK 0xFFu
#define LAPIC_LVT_DELIVERY_SHIFT 8
#define LAPIC_LVT_DELIVERY_MASK (7u << 8)
#define LAPIC_DELIVERY_FIXED (0u << 8)
#define LAPIC_DELIVERY_NMI (4u << 8)
#define LAPIC_DELIVERY_EXTINT (7u << 8)
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_TIMER_MODE_MASK (3u << 17) /* 00 one-shot, 01 periodic, 10 TSC-deadline */
#define LAPIC_TIMER_PERIODIC (1u << 17)
#define LAPIC_TIMER_TSC_DEADLINE (2u << 17)
#define LAPIC_ICR_SHORTHAND_SELF (1u << 18)
#define LAPIC_VECTORS 256
#define LAPIC_FIRST_USABLE_VECTOR 32 /* 0-31 are the CPU's exceptions */

#define MSR_IA32_APIC_BASE 0x1B
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_X2APIC (1u << 21)

enum lapic_mode { LAPIC_OFF, LAPIC_XAPIC, LAPIC_X2APIC };

/* Reads IA32_APIC_BASE and remembers the mode (and the xAPIC registers'
 * address) for lapic_read/lapic_write.  LAPIC_OFF when globally disabled,
 * or in xAPIC mode at an address beyond the identity map (*why says so). */
enum lapic_mode lapic_probe(paddr_t *base, const char **why);

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);
void lapic_eoi(void);

/* Bit `vector` of the 256-bit register set starting at `first` (ISR, TMR, IRR). */
bool lapic_vector_bit(uint32_t first, unsigned vector);
/* The highest vector set in ISR/TMR/IRR, or -1. */
int lapic_highest(uint32_t first);

/* Stops the timer, masks every LVT, ends the interrupts in service and
 * sets virtual-wire mode (see lapic.c); prints one line. */
void lapic_quiesce(void);

#endif
