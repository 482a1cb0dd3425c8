#ifndef HOP_ARCH_PIT_H
#define HOP_ARCH_PIT_H
/* The 8254 programmable interval timer (Intel 82C54 datasheet). */
#define PIT_CH0_DATA 0x40
#define PIT_COMMAND 0x43
#define PIT_HZ 1193182u
#define PIT_SELECT_CH0 (0u << 6)
#define PIT_ACCESS_LOHI (3u << 4)
#define PIT_MODE_SHIFT 1
#define PIT_MODE_MASK (7u << 1)
#define PIT_MODE_TERMINAL_COUNT (0u << 1) /* mode 0: one edge at terminal count */
#define PIT_MODE_RATE (2u << 1)           /* mode 2: periodic */
#define PIT_READ_BACK (3u << 6)
#define PIT_READ_BACK_NO_COUNT (1u << 5)  /* latch the status only */
#define PIT_READ_BACK_CH0 (1u << 1)
#define PIT_STATUS_OUTPUT (1u << 7)

/* Channel 0's status byte (read-back command): output, access, mode, BCD. */
unsigned pit_ch0_status(void);

/* Leaves channel 0 with an expired one-shot (see pit.c); prints one line. */
void pit_quiesce(void);
#endif
