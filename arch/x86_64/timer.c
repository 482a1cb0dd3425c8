/* Time: the TSC, calibrated once against PIT channel 2 (whose gate we control
 * through port 0x61, so no interrupt is needed).  Used for the menu's
 * countdown and for the cycle counts and benchmarks. */
#include "timer.h"
#include "cpu.h"
#include "io.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE_CMD 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xB0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01    /* PIT channel 2 gate */
#define PORT_B_SPEAKER 0x02  /* speaker data: keep off */
#define PORT_B_OUT2 0x20     /* PIT channel 2 output (read) */
#define CALIBRATE_MS 10
#define CALIBRATE_TICKS (PIT_HZ * CALIBRATE_MS / 1000)

static uint64_t tsc_per_ms;

uint64_t timer_calibrate(void)
{
    uint8_t b = inb(PORT_B);
    outb(PORT_B, (b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
    outb(PIT_MODE_CMD, PIT_CMD_CH2_LOHI_MODE0);
    outb(PIT_CH2_DATA, CALIBRATE_TICKS & 0xFF);
    outb(PIT_CH2_DATA, CALIBRATE_TICKS >> 8);
    outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2); /* start counting */
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;
    while (!(inb(PORT_B) & PORT_B_OUT2) && ++spins < 100000000ull)
        ;
    uint64_t t1 = rdtsc();
    outb(PORT_B, b & ~PORT_B_GATE2);
    tsc_per_ms = (t1 - t0) / CALIBRATE_MS;
    if (tsc_per_ms == 0)
        tsc_per_ms = 1000000; /* no PIT: assume 1 GHz rather than divide by 0 */
    return tsc_per_ms;
}

uint64_t timer_tsc_per_ms(void)
{
    return tsc_per_ms;
}

uint64_t timer_now_ms(void)
{
    return rdtsc() / tsc_per_ms;
}

uint64_t timer_now_us(void)
{
    /* Split so the product cannot overflow: whole ms, then the remainder. */
    uint64_t t = rdtsc();
    return t / tsc_per_ms * 1000 + t % tsc_per_ms * 1000 / tsc_per_ms;
}
