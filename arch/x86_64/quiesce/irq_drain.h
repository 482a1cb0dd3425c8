#ifndef HOP_ARCH_IRQ_DRAIN_H
#define HOP_ARCH_IRQ_DRAIN_H
/* Takes the interrupts still pending in the local APIC's IRR (see
 * irq_drain.c); prints one line. */
void irq_drain_pending(void);
#endif
