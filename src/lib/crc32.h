/* CRC-32 as used by gzip, PNG and Ethernet (IEEE 802.3: reflected, polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF). */
#ifndef HOP_CRC32_H
#define HOP_CRC32_H

#include "lib/types.h"

/* Continues a CRC over len more bytes: start with crc = 0, then pass each
 * result back in, so crc32_update(crc32_update(0, a, n), b, m) equals the CRC
 * of a followed by b.  The pre- and post-inversion happen inside. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
