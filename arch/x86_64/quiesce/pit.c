/* Quiescing PIT channel 0, the one wired to IRQ0.  (Channel 2 drives the
 * speaker and hop's own calibration, through its gate; channel 1 is long
 * gone from PCs.)
 *
 * An 8254 channel cannot be switched off: whatever is programmed, it
 * counts.  What matters is its output, IRQ0: in periodic modes it makes an
 * edge every period.  Channel 0 is set to mode 0 (interrupt on terminal
 * count) with a count of 1: its output goes low, then high one clock
 * (under a microsecond) later, and stays high until the channel is
 * programmed again; the counter wraps on silently.  So the one edge this
 * makes comes now, while the 8259 and the IO-APIC are masked, and no other
 * ever comes.  (Mode 0 with a count of 0 would count 65536 clocks and make
 * its edge 55 ms later, in the next kernel's time; programming the mode
 * without a count stops a real 8254 with its output low, but emulators,
 * QEMU among them, go on counting the old count.)  The edge may stay
 * latched in the 8259's request register: a kernel that takes the PIT over
 * reprograms it and sees at most one early tick. */
#include "quiesce/pit.h"
#include "console/console.h"
#include "io.h"
#include "timer.h"

#define PIT_EXPIRE_COUNT 1          /* terminal count one clock after loading */
#define PIT_EXPIRE_TIMEOUT_US 10000 /* one clock is 0.84 us */

unsigned pit_ch0_status(void)
{
    outb(PIT_COMMAND, PIT_READ_BACK | PIT_READ_BACK_NO_COUNT | PIT_READ_BACK_CH0);
    return inb(PIT_CH0_DATA);
}

void pit_quiesce(void)
{
    unsigned before = pit_ch0_status();
    outb(PIT_COMMAND, PIT_SELECT_CH0 | PIT_ACCESS_LOHI | PIT_MODE_TERMINAL_COUNT);
    outb(PIT_CH0_DATA, PIT_EXPIRE_COUNT & 0xFF); /* low byte, then high byte */
    outb(PIT_CH0_DATA, PIT_EXPIRE_COUNT >> 8);
    uint64_t start = timer_now_us();
    unsigned status;
    while (!((status = pit_ch0_status()) & PIT_STATUS_OUTPUT) &&
           timer_now_us() - start < PIT_EXPIRE_TIMEOUT_US)
        ;
    kprintf("hop: quiesce: PIT: channel 0 was in mode %u (output %s), now mode 0 with count 1: "
            "%s\n", (before & PIT_MODE_MASK) >> PIT_MODE_SHIFT,
            before & PIT_STATUS_OUTPUT ? "high" : "low",
            status & PIT_STATUS_OUTPUT ? "expired, output high, no further IRQ0 edge"
                                       : "OUTPUT STILL LOW (no 8254 answering?)");
}
