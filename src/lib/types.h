/* Basic types shared by every part of hop, host and freestanding alike. */
#ifndef HOP_TYPES_H
#define HOP_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* a physical address */

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Overflow-checked arithmetic: true when the result does not fit. */
#define ADD_OVERFLOWS(a, b, res) __builtin_add_overflow((a), (b), (res))
#define MUL_OVERFLOWS(a, b, res) __builtin_mul_overflow((a), (b), (res))

#endif
