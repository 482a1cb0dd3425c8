/* Quiescing before the jump.  For now: the 8259 PICs masked and their
 * pending interrupts acknowledged.  (The local APIC, IO-APIC, PCI bus
 * mastering, IOMMU, HPET, PIT and ISA DMA come with their own issue.) */
#include "quiesce.h"
#include "console.h"
#include "io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define PIC_MASK_ALL 0xFF
#define PIC_EOIS 8 /* enough to retire every in-service level */

static void pic_mask_all(void)
{
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
    for (int i = 0; i < PIC_EOIS; i++) {
        outb(PIC2_CMD, PIC_EOI);
        outb(PIC1_CMD, PIC_EOI);
    }
}

void quiesce_machine(void)
{
    pic_mask_all();
    kprintf("hop: quiesce: 8259 PICs: all lines masked, in-service cleared\n");
}
