#ifndef HOP_ARCH_HPET_H
#define HOP_ARCH_HPET_H
/* High Precision Event Timers (IA-PC HPET 1.0a, 2.3 registers). */
#include "parse/acpi.h"

#define HPET_MMIO_SIZE 0x400
#define HPET_CAPABILITIES 0x000
#define HPET_CONFIG 0x010
#define HPET_INT_STATUS 0x020
#define HPET_COUNTER 0x0F0
#define HPET_TIMER_CONFIG(n) (0x100 + 0x20 * (n))
#define HPET_TIMER_COMPARATOR(n) (0x108 + 0x20 * (n))
#define HPET_CAP_TIMERS(cap) ((((cap) >> 8) & 0x1F) + 1) /* NUM_TIM_CAP + 1 */
#define HPET_CONFIG_ENABLE (1u << 0)  /* ENABLE_CNF: the main counter runs */
#define HPET_CONFIG_LEGACY (1u << 1)  /* LEG_RT_CNF: timers 0/1 replace IRQ0/IRQ8 */
#define HPET_TIMER_LEVEL (1u << 1)    /* Tn_INT_TYPE_CNF */
#define HPET_TIMER_INT_ENABLE (1u << 2) /* Tn_INT_ENB_CNF */
#define HPET_TIMER_PERIODIC (1u << 3) /* Tn_TYPE_CNF */
#define HPET_TIMER_VAL_SET (1u << 6)  /* Tn_VAL_SET_CNF */
#define HPET_TIMER_ROUTE_SHIFT 9      /* Tn_INT_ROUTE_CNF, bits 13:9 */
#define HPET_TIMER_FSB_ENABLE (1u << 14) /* Tn_FSB_EN_CNF: interrupts as MSI */

/* Stops every HPET the tables list; prints one line. */
void hpet_quiesce(const struct acpi_info *acpi);
#endif
