#ifndef HOP_ARCH_IOAPIC_H
#define HOP_ARCH_IOAPIC_H
/* I/O APICs (Intel 82093AA datasheet; ICH/PCH datasheets for the EOI
 * register of version 0x20 and later). */
#include "parse/acpi.h"

#define IOAPIC_REGSEL 0x00 /* index register */
#define IOAPIC_WINDOW 0x10 /* data register */
#define IOAPIC_EOI 0x40    /* version >= 0x20: write a vector to clear its remote IRR */
#define IOAPIC_MMIO_SIZE 0x44
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR0 0x10 /* entry n: low dword 0x10+2n, high dword 0x11+2n */
#define IOAPIC_VERSION_ID(v) ((v) & 0xFF)
#define IOAPIC_VERSION_MAX_ENTRY(v) (((v) >> 16) & 0xFF)
#define IOAPIC_VERSION_HAS_EOI 0x20
#define IOAPIC_REDIR_VECTOR_MASK 0xFFu
#define IOAPIC_REDIR_DELIVERY_MASK (7u << 8)
#define IOAPIC_REDIR_EXTINT (7u << 8)
#define IOAPIC_REDIR_REMOTE_IRR (1u << 14)
#define IOAPIC_REDIR_LEVEL (1u << 15)
#define IOAPIC_REDIR_MASKED (1u << 16)

uint32_t ioapic_read(paddr_t base, uint32_t reg);
void ioapic_write(paddr_t base, uint32_t reg, uint32_t value);

/* Masks every redirection entry of every IO-APIC the MADT lists; prints
 * one line. */
void ioapic_quiesce(const struct acpi_info *acpi);
#endif
