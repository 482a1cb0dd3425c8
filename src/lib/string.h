/* The few C library string functions hop uses.  On the host the C library
 * provides them; in the freestanding images src/lib/string.c and the
 * per-architecture copy functions (arch/x86_64/string.c) do. */
#ifndef HOP_STRING_H
#define HOP_STRING_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
