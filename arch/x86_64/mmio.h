/* Memory-mapped device registers.  hop runs on the identity map, and
 * arch/x86_64/entry/multiboot/entry.asm maps the whole first 4 GiB (where firmware puts the LAPIC,
 * IO-APICs, HPET, IOMMUs and usually ECAM), so a register's physical address
 * is its pointer; MMIO_LIMIT says how far that holds.  The accesses are
 * volatile so that each is one load or store of exactly that width. */
#ifndef HOP_ARCH_MMIO_H
#define HOP_ARCH_MMIO_H

#include "lib/types.h"

#define MMIO_LIMIT (4ull << 30) /* arch/x86_64/entry/multiboot/entry.asm's LOW_MAP_GIB */

/* True when [addr, addr+len) lies in the identity-mapped first 4 GiB. */
static inline bool mmio_reachable(paddr_t addr, uint64_t len)
{
    return addr != 0 && addr < MMIO_LIMIT && len <= MMIO_LIMIT - addr;
}

static inline uint8_t mmio_read8(paddr_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static inline uint16_t mmio_read16(paddr_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static inline uint32_t mmio_read32(paddr_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_write16(paddr_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static inline void mmio_write32(paddr_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

/* 64-bit registers as two 32-bit accesses, low half first: every device
 * here accepts those, not every one accepts 64-bit accesses. */
static inline uint64_t mmio_read64(paddr_t a)
{
    uint64_t lo = mmio_read32(a);
    return lo | (uint64_t)mmio_read32(a + 4) << 32;
}

static inline void mmio_write64(paddr_t a, uint64_t v)
{
    mmio_write32(a, (uint32_t)v);
    mmio_write32(a + 4, (uint32_t)(v >> 32));
}

/* Polls the 32-bit register at reg until (value & mask) == want, for at
 * most timeout_us microseconds.  Returns true when it got there; *last (may
 * be NULL) gets the last value read, for the message on a timeout. */
bool mmio_wait32(paddr_t reg, uint32_t mask, uint32_t want, uint32_t timeout_us, uint32_t *last);

#endif
