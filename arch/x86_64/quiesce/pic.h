#ifndef HOP_ARCH_PIC_H
#define HOP_ARCH_PIC_H
/* The two cascaded 8259A PICs (ports 0x20/0x21 and 0xA0/0xA1). */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21 /* reads and writes the interrupt mask (OCW1) */
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_OCW3_READ_IRR 0x0A
#define PIC_OCW3_READ_ISR 0x0B
#define PIC_EOI 0x20 /* OCW2: non-specific end of interrupt */

/* Masks all 16 lines and ends every in-service level; prints one line. */
void pic_quiesce(void);
#endif
