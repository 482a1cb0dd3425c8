#ifndef HOP_ARCH_TIMER_H
#define HOP_ARCH_TIMER_H
#include "lib/types.h"
/* Measures the TSC rate against the PIT; returns TSC ticks per ms. */
uint64_t timer_calibrate(void);
uint64_t timer_tsc_per_ms(void);
uint64_t timer_now_ms(void);
uint64_t timer_now_us(void);
#endif
