#ifndef HOP_ARCH_QUIESCE_H
#define HOP_ARCH_QUIESCE_H
/* Puts interrupt controllers, DMA engines and timers in a quiet state before
 * the jump, and prints one line per class of hardware. */
void quiesce_machine(void);
#endif
