/* The 64-bit IDT's layouts (Intel SDM vol. 3A 6.14.1, "64-Bit Mode IDT"):
 * hop's own exception table (trap.c) and the table the interrupt drain
 * installs for a moment (quiesce/irq_drain.c) share them. */
#ifndef HOP_X86_IDT_H
#define HOP_X86_IDT_H

#include "lib/types.h"

#define IDT_GATE_INTERRUPT64 0x8E /* present, DPL 0, 64-bit interrupt gate */

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "a 64-bit IDT gate is 16 bytes");

/* What LIDT loads and SIDT stores. */
struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* An interrupt gate to handler through the code segment selector. */
static inline struct idt_gate idt_interrupt_gate(uint64_t handler, uint16_t selector)
{
    return (struct idt_gate){ .offset_low = (uint16_t)handler, .selector = selector,
                              .type_attr = IDT_GATE_INTERRUPT64,
                              .offset_mid = (uint16_t)(handler >> 16),
                              .offset_high = (uint32_t)(handler >> 32) };
}

static inline void idt_load(const struct idt_ptr *p)
{
    __asm__ volatile("lidt %0" ::"m"(*p));
}

static inline void idt_store(struct idt_ptr *p)
{
    __asm__ volatile("sidt %0" : "=m"(*p));
}

#endif
