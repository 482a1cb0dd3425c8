/* Quiescing ISA DMA: every channel of both 8237A controllers is masked, so
 * no transfer (floppy, ISA sound, parallel port ECP) can run into memory the
 * next kernel uses, whatever a channel was programmed with.  Masking the
 * cascade (channel 4) too is what a reset does; a kernel that uses ISA DMA
 * unmasks it.  The mask register is write-only on a real 8237A, so what it
 * held before is not known. */
#include "quiesce/isadma.h"
#include "console/console.h"
#include "io.h"

void isadma_quiesce(void)
{
    outb(DMA1_MASK_ALL, DMA_MASK_CHANNELS);
    outb(DMA2_MASK_ALL, DMA_MASK_CHANNELS);
    kprintf("hop: quiesce: ISA DMA: 8237 channels 0-7 masked (ports 0x%x and 0x%x)\n",
            DMA1_MASK_ALL, DMA2_MASK_ALL);
}
