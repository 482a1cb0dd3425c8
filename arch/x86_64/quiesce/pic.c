/* Quiescing the 8259A pair (Intel 8259A datasheet: OCW1-OCW3).
 *
 * Every line is masked, so nothing reaches the CPU through them (nor, as
 * ExtINT, through the local APIC's LINT0).  A level still in service would
 * block every lower-priority level once the next kernel unmasks them, so
 * each is ended with non-specific EOIs, slave first (its levels hold the
 * master's IRQ 2 in service).  The vector bases (ICW2) are left as firmware
 * set them: they cannot be read back, and every kernel reinitializes the
 * PICs anyway.  Requests already latched in the IRR stay: only an interrupt
 * acknowledge clears them, and with every line masked they go nowhere. */
#include "quiesce/pic.h"
#include "console/console.h"
#include "io.h"

#define PIC_MASK_ALL 0xFF
#define PIC_LEVELS 8 /* one EOI per possible in-service level */

static uint8_t pic_read(uint16_t cmd, uint8_t ocw3)
{
    outb(cmd, ocw3);
    return inb(cmd);
}

static uint16_t pic_isr(void)
{
    return (uint16_t)(pic_read(PIC2_CMD, PIC_OCW3_READ_ISR) << 8 |
                      pic_read(PIC1_CMD, PIC_OCW3_READ_ISR));
}

void pic_quiesce(void)
{
    uint16_t mask = (uint16_t)(inb(PIC2_DATA) << 8 | inb(PIC1_DATA));
    uint16_t isr = pic_isr();
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
    for (int i = 0; i < PIC_LEVELS && pic_isr(); i++) {
        outb(PIC2_CMD, PIC_EOI);
        outb(PIC1_CMD, PIC_EOI);
    }
    uint16_t isr_after = pic_isr();
    uint16_t irr = (uint16_t)(pic_read(PIC2_CMD, PIC_OCW3_READ_IRR) << 8 |
                              pic_read(PIC1_CMD, PIC_OCW3_READ_IRR)); /* IRR: the default read */
    kprintf("hop: quiesce: 8259 PIC: mask was 0x%04x, now 0xffff; in service was 0x%04x, "
            "now 0x%04x%s; requests latched 0x%04x\n", mask, isr, isr_after,
            isr_after ? " (EOIs did not clear it)" : "", irr);
}
