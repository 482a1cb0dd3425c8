/* CRC-32C in software.  The update of the (inverted) CRC register is
 * multiplication by x^8 modulo the polynomial per byte, in the reflected bit
 * order where bit 31 is the coefficient of x^0.  Slicing by 8 folds eight
 * bytes per step with eight independent table lookups; the 8 KiB of tables
 * are computed on first use (hop is single-threaded, no lock needed).
 * Zero runs use the same algebra directly: appending n zero bytes multiplies
 * the register by x^(8n) mod P, computed by square-and-multiply. */
#include "lib/crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u
#define CRC32C_SLICES 8
#define CRC32C_BYTE_VALUES 256
#define CRC32C_X0 0x80000000u /* the polynomial 1 in reflected order */
#define CRC32C_X8 (CRC32C_X0 >> 8) /* x^8 */

static uint32_t crc32c_table[CRC32C_SLICES][CRC32C_BYTE_VALUES];
static bool crc32c_table_ready;
static crc32c_fn crc32c_impl = crc32c_sw;

static void crc32c_init_tables(void)
{
    for (uint32_t byte = 0; byte < CRC32C_BYTE_VALUES; byte++) {
        uint32_t c = byte;
        for (int bit = 0; bit < 8; bit++)
            c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
        crc32c_table[0][byte] = c;
    }
    /* Slice k: the byte's contribution after k more zero bytes. */
    for (int k = 1; k < CRC32C_SLICES; k++)
        for (uint32_t byte = 0; byte < CRC32C_BYTE_VALUES; byte++) {
            uint32_t prev = crc32c_table[k - 1][byte];
            crc32c_table[k][byte] = (prev >> 8) ^ crc32c_table[0][prev & 0xff];
        }
    crc32c_table_ready = true;
}

/* Little-endian 32-bit load from any address. */
static inline uint32_t crc32c_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc32c_table_ready)
        crc32c_init_tables();
    uint32_t c = ~crc;
    for (; len >= CRC32C_SLICES; len -= CRC32C_SLICES, p += CRC32C_SLICES) {
        uint32_t lo = crc32c_le32(p) ^ c, hi = crc32c_le32(p + 4);
        c = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
            crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
            crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
            crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
    }
    while (len--)
        c = (c >> 8) ^ crc32c_table[0][(c ^ *p++) & 0xff];
    return ~c;
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len)
{
    return crc32c_impl(crc, data, len);
}

void crc32c_set_impl(crc32c_fn fn)
{
    crc32c_impl = fn ? fn : crc32c_sw;
}

/* a * b mod P, both in reflected order. */
static uint32_t crc32c_multiply(uint32_t a, uint32_t b)
{
    uint32_t product = 0;
    for (uint32_t bit = CRC32C_X0; bit; bit >>= 1) {
        if (a & bit)
            product ^= b;
        b = (b >> 1) ^ ((b & 1) ? CRC32C_POLY_REFLECTED : 0); /* b *= x */
    }
    return product;
}

uint32_t crc32c_zeros(uint32_t crc, uint64_t count)
{
    uint32_t reg = ~crc;
    for (uint32_t power = CRC32C_X8; count; count >>= 1) { /* power = x^(8*2^i) */
        if (count & 1)
            reg = crc32c_multiply(reg, power);
        power = crc32c_multiply(power, power);
    }
    return ~reg;
}
