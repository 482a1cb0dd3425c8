/* CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and
 * final XOR 0xFFFFFFFF), the digest the relocation trampoline checks with the
 * SSE4.2 crc32 instruction.  CRC32C("123456789") = 0xE3069283.
 *
 * Chaining works as for crc32_update: start with crc = 0 and pass each
 * result back in; the pre- and post-inversion happen inside.  The trampoline
 * computes the same value as: c = 0xFFFFFFFF; c = crc32(c, byte) for every
 * byte (or 8 bytes at a time); c ^= 0xFFFFFFFF. */
#ifndef HOP_CRC32C_H
#define HOP_CRC32C_H

#include "lib/types.h"

typedef uint32_t (*crc32c_fn)(uint32_t crc, const void *data, size_t len);

/* The portable implementation (slicing by 8, tables built on first use). */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);

/* Continues crc over len bytes with the installed implementation. */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);

/* Installs a faster implementation with exactly crc32c_sw's semantics (the
 * machine layer's SSE4.2 one); NULL restores the software one. */
void crc32c_set_impl(crc32c_fn fn);

/* Continues crc over count zero bytes in O(log count) time, without reading
 * memory: a 256 MiB bss costs about 64 carry-less multiplications. */
uint32_t crc32c_zeros(uint32_t crc, uint64_t count);

#endif
