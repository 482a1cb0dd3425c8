/* The small library our test kernels share: serial output, formatted
 * printing, the QEMU exit port, and the boot info parsed with hop's own
 * parser (compiled for i386). */
#ifndef TK_H
#define TK_H

#include "lib/types.h"
#include "parse/bootinfo.h"
#include "exitcode.h"

void tk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void tk_exit(int code);

/* Records a failed check (printed as "tk: FAIL ...") and counts it. */
void tk_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the summary and exits PASS when no check failed, else FAIL. */
__attribute__((noreturn)) void tk_finish(void);

/* Parses the loader's info into bi, exiting FAIL with the error if bad. */
void tk_parse_bootinfo(struct bootinfo *bi, uint32_t magic, uint32_t info);

/* CRC-32 of [p, p+n) (IEEE), to check module contents. */
uint32_t tk_crc32(const void *p, size_t n);

#endif
