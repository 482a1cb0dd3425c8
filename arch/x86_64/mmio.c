/* Bounded polling of device status registers: hardware that never answers
 * must cost a clear message, not a hang before the jump. */
#include "mmio.h"
#include "cpu.h"
#include "timer.h"

bool mmio_wait32(paddr_t reg, uint32_t mask, uint32_t want, uint32_t timeout_us, uint32_t *last)
{
    uint64_t start = timer_now_us();
    uint32_t v;
    for (;;) {
        v = mmio_read32(reg);
        if ((v & mask) == want)
            break;
        if (timer_now_us() - start > timeout_us) {
            v = mmio_read32(reg); /* the register may have settled meanwhile */
            break;
        }
        cpu_relax();
    }
    if (last)
        *last = v;
    return (v & mask) == want;
}
