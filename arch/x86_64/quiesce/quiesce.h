#ifndef HOP_ARCH_QUIESCE_H
#define HOP_ARCH_QUIESCE_H
/* Puts interrupt controllers, DMA engines and timers in a quiet state before
 * the jump, one step per class of hardware, each printing one line
 * "hop: quiesce: CLASS: ...".  docs/quiesce.md says what and why. */
#include "parse/bootinfo.h"
#include "lib/types.h"

/* The steps, in the order they run. */
#define QUIESCE_PIC (1u << 0)     /* 8259 PICs */
#define QUIESCE_LAPIC (1u << 1)   /* this CPU's local APIC */
#define QUIESCE_IOAPIC (1u << 2)  /* IO-APICs (MADT) */
#define QUIESCE_PCI (1u << 3)     /* bus mastering, MSI, MSI-X */
#define QUIESCE_IOMMU (1u << 4)   /* VT-d (DMAR), AMD-Vi (IVRS) */
#define QUIESCE_HPET (1u << 5)    /* HPETs */
#define QUIESCE_PIT (1u << 6)     /* 8254 channel 0 */
#define QUIESCE_ISADMA (1u << 7)  /* 8237 DMA */
#define QUIESCE_PENDING (1u << 8) /* interrupts left in the local APIC's IRR */
#define QUIESCE_ALL 0x1FFu

/* Optional, early: reads the ACPI tables now, from the loader's RSDP copy
 * in bi when there is one (the BIOS areas are searched otherwise, and on
 * first use if this is never called).  bi must stay valid until the jump. */
void quiesce_prepare(const struct bootinfo *bi);

/* Runs every step. */
void quiesce_machine(void);

/* Runs the steps in `steps` (QUIESCE_* bits), reporting the others as
 * skipped.  Only test images skip any (tests/qemu/hop_dirty.c). */
void quiesce_steps(uint32_t steps);
#endif
