/* The last quiesce step: interrupts that arrived before their source was
 * silenced wait in the local APIC's IRR, and masking a source does not
 * withdraw them.  Left there, each would be delivered the moment the next
 * kernel enables interrupts, maybe on a vector it has no gate for (a
 * general protection fault, a triple fault in a small kernel).  An IRR bit
 * can only be cleared by the CPU accepting the interrupt, so this accepts
 * them: with every source quiet, it briefly enables interrupts on an IDT
 * whose vectors 32-255 all lead to one handler that ends the interrupt
 * (EOI), then restores hop's IDT and disables interrupts again.
 *
 * hop's exception gates (0-31) are kept; vectors below 32 in the IRR would
 * be taken as exceptions, so with any of those pending nothing is done. */
#include "quiesce/irq_drain.h"
#include "console/console.h"
#include "cpu.h"
#include "idt.h"
#include "io.h"
#include "quiesce/lapic.h"
#include "quiesce/linebuf.h"
#include "quiesce/pic.h"
#include "timer.h"

#define DRAIN_TIMEOUT_US 10000
#define LISTED_MAX 8

extern const char irq_drain_entry[]; /* irq_drain_entry.asm */
void irq_drain_interrupt(void);

static struct idt_gate drain_idt[LAPIC_VECTORS] __attribute__((aligned(16)));
static volatile unsigned accepted;
static uint32_t seen[LAPIC_VECTORS / 32];

/* Called for every vector: the one in service is the highest ISR bit.
 * None in service means an ExtINT from an 8259, which wants its own EOI. */
void irq_drain_interrupt(void)
{
    int v = lapic_highest(LAPIC_ISR0);
    if (v >= 0) {
        seen[v / 32] |= 1u << (v % 32);
        lapic_eoi();
    } else {
        outb(PIC2_CMD, PIC_EOI);
        outb(PIC1_CMD, PIC_EOI);
    }
    accepted++;
}

static void drain_idt_build(const struct idt_ptr *old)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    uint64_t a = (uint64_t)(uintptr_t)irq_drain_entry;
    size_t old_gates = ((size_t)old->limit + 1) / sizeof(struct idt_gate);
    const struct idt_gate *gates = (const struct idt_gate *)(uintptr_t)old->base;
    for (size_t v = 0; v < LAPIC_VECTORS; v++) {
        if (v < LAPIC_FIRST_USABLE_VECTOR) {
            drain_idt[v] = v < old_gates ? gates[v] : (struct idt_gate){ 0 };
            continue;
        }
        drain_idt[v] = idt_interrupt_gate(a, cs);
    }
}

/* The lowest vector pending, or -1. */
static int lapic_lowest_pending(void)
{
    for (unsigned v = 0; v < LAPIC_VECTORS; v++)
        if (lapic_vector_bit(LAPIC_IRR0, v))
            return (int)v;
    return -1;
}

static void drain_accept(void)
{
    struct idt_ptr old, mine = { sizeof(drain_idt) - 1, (uint64_t)(uintptr_t)drain_idt };
    idt_store(&old);
    drain_idt_build(&old);
    idt_load(&mine);
    uint64_t start = timer_now_us();
    __asm__ volatile("sti" ::: "memory");
    while (lapic_highest(LAPIC_IRR0) >= 0 && timer_now_us() - start < DRAIN_TIMEOUT_US)
        cpu_relax();
    __asm__ volatile("cli" ::: "memory");
    idt_load(&old);
}

void irq_drain_pending(void)
{
    paddr_t base;
    const char *why;
    if (lapic_probe(&base, &why) == LAPIC_OFF) {
        kprintf("hop: quiesce: pending interrupts: local APIC %s: nothing to take\n", why);
        return;
    }
    int lowest = lapic_lowest_pending();
    if (lowest < 0) {
        kprintf("hop: quiesce: pending interrupts: none\n");
        return;
    }
    if (lowest < LAPIC_FIRST_USABLE_VECTOR) {
        kprintf("hop: quiesce: pending interrupts: vector 0x%x pending, which would be taken "
                "as an exception: left pending\n", lowest);
        return;
    }
    drain_accept();
    struct linebuf list = { .len = 0 };
    for (unsigned v = 0, n = 0; v < LAPIC_VECTORS; v++)
        if ((seen[v / 32] & (1u << (v % 32))) && n++ < LISTED_MAX)
            linebuf_add(&list, " 0x%x", v);
    int left = lapic_highest(LAPIC_IRR0);
    kprintf("hop: quiesce: pending interrupts: %u accepted and ended (vectors%s); %s\n",
            accepted, list.text, left < 0 ? "none left" : "SOME STILL PENDING (a source "
            "is still firing)");
}
