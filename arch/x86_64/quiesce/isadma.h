#ifndef HOP_ARCH_ISADMA_H
#define HOP_ARCH_ISADMA_H
/* The two 8237A DMA controllers of the PC (channels 0-3 at ports 0x00-0x0F,
 * 8-bit; channels 4-7 at 0xC0-0xDF, 16-bit, with channel 4 the cascade). */
#define DMA1_MASK_ALL 0x0F /* "write all mask register bits" */
#define DMA2_MASK_ALL 0xDE
#define DMA_MASK_CHANNELS 0x0F /* one bit per channel of a controller */

/* Masks all eight channels; prints one line. */
void isadma_quiesce(void);
#endif
