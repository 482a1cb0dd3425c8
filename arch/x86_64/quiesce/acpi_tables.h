#ifndef HOP_ARCH_ACPI_TABLES_H
#define HOP_ARCH_ACPI_TABLES_H
/* The machine's ACPI tables, read once.  The RSDP comes from the copy the
 * loader gave (multiboot2 tags 14/15, passed in by acpi_tables_use_copy),
 * else from the BIOS areas ACPI 6.5 5.2.5.1 names: the first KiB of the
 * EBDA, then 0xE0000-0xFFFFF.  (UEFI machines have no RSDP there: without
 * the loader's copy they go without.) */
#include "parse/acpi.h"

/* Remembers the loader's RSDP copy; it must stay valid until the tables are
 * read (it lies in the boot info, which stays live until the jump). */
void acpi_tables_use_copy(const void *rsdp, size_t len);

/* The tables, read on the first call, which prints one "hop: acpi:" line
 * and one line per table skipped; NULL when no usable RSDP was found. */
const struct acpi_info *acpi_tables(void);

#endif
