/* CRC-32, table-driven.  The CRC register is linear over GF(2), which allows
 * two speed-ups over the byte-at-a-time loop:
 *
 *  - "Slicing by 8": one step folds a whole 8-byte word into the register
 *    with eight independent lookups, slice[k][b] being the effect of byte b
 *    followed by k zero bytes.
 *  - Interleaving: the input is dealt out word by word to CRC32_LANES
 *    registers that run independently (so the lookups of one do not wait on
 *    another's), each skipping the words of the others by using tables that
 *    also append 8 * (CRC32_LANES - 1) zero bytes.  After the last full
 *    round the lanes are folded back into one register: lane j's register
 *    stands exactly at word j of the final round, so it is XORed in just
 *    before that word is processed.
 *
 * The tables (16 KiB) are computed on first use rather than stored, so the
 * image carries code, not data.  hop is single-threaded: no lock. */
#include "lib/crc32.h"

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define CRC32_WORD 8        /* bytes folded per lookup step */
#define CRC32_LANES 5       /* independent registers in the interleaved loop */
#define CRC32_BYTE_VALUES 256
#define CRC32_ROUND (CRC32_WORD * CRC32_LANES)

/* slice[k][b]: byte b followed by k zero bytes.  lane[k][b]: byte b at
 * position k of a word, followed by the word's rest and the other lanes'
 * words: 7 - k + 8 * (CRC32_LANES - 1) zero bytes. */
static uint32_t crc32_slice[CRC32_WORD][CRC32_BYTE_VALUES];
static uint32_t crc32_lane[CRC32_WORD][CRC32_BYTE_VALUES];
static bool crc32_tables_ready;

static void crc32_init(void)
{
    const unsigned lane_zeros = CRC32_WORD * (CRC32_LANES - 1);
    for (uint32_t byte = 0; byte < CRC32_BYTE_VALUES; byte++) {
        uint32_t c = byte;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
        crc32_slice[0][byte] = c;
    }
    for (uint32_t byte = 0; byte < CRC32_BYTE_VALUES; byte++) {
        /* Append zero bytes one at a time, keeping the ones the tables need. */
        uint32_t c = crc32_slice[0][byte];
        for (unsigned zeros = 1; zeros < lane_zeros + CRC32_WORD; zeros++) {
            c = (c >> 8) ^ crc32_slice[0][c & 0xff];
            if (zeros < CRC32_WORD)
                crc32_slice[zeros][byte] = c;
            if (zeros >= lane_zeros)
                crc32_lane[CRC32_WORD - 1 - (zeros - lane_zeros)][byte] = c;
        }
    }
    crc32_tables_ready = true;
}

typedef uint64_t __attribute__((aligned(1), may_alias)) crc32_unaligned_u64;

/* Little-endian 64-bit load from any address (no alignment assumed). */
static inline uint64_t crc32_load_le64(const uint8_t *p)
{
    uint64_t v = *(const crc32_unaligned_u64 *)p;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The register after the 8 bytes of w (register already XORed in). */
static inline uint32_t crc32_fold_word(uint64_t w)
{
    return crc32_slice[7][w & 0xff] ^ crc32_slice[6][(w >> 8) & 0xff] ^
           crc32_slice[5][(w >> 16) & 0xff] ^ crc32_slice[4][(w >> 24) & 0xff] ^
           crc32_slice[3][(w >> 32) & 0xff] ^ crc32_slice[2][(w >> 40) & 0xff] ^
           crc32_slice[1][(w >> 48) & 0xff] ^ crc32_slice[0][w >> 56];
}

/* As crc32_fold_word, then skipping the other lanes' words. */
static inline uint32_t crc32_fold_lane(uint64_t w)
{
    return crc32_lane[0][w & 0xff] ^ crc32_lane[1][(w >> 8) & 0xff] ^
           crc32_lane[2][(w >> 16) & 0xff] ^ crc32_lane[3][(w >> 24) & 0xff] ^
           crc32_lane[4][(w >> 32) & 0xff] ^ crc32_lane[5][(w >> 40) & 0xff] ^
           crc32_lane[6][(w >> 48) & 0xff] ^ crc32_lane[7][w >> 56];
}

/* Processes rounds * CRC32_ROUND bytes (rounds >= 1) from register crc.
 * The lanes are spelled out so they stay in registers. */
static uint32_t crc32_interleaved(uint32_t crc, const uint8_t *p, size_t rounds)
{
    _Static_assert(CRC32_LANES == 5, "crc32_interleaved spells out 5 lanes");
    uint32_t c0 = crc, c1 = 0, c2 = 0, c3 = 0, c4 = 0;
    for (size_t r = 1; r < rounds; r++, p += CRC32_ROUND) {
        uint64_t w0 = crc32_load_le64(p) ^ c0;
        uint64_t w1 = crc32_load_le64(p + CRC32_WORD) ^ c1;
        uint64_t w2 = crc32_load_le64(p + 2 * CRC32_WORD) ^ c2;
        uint64_t w3 = crc32_load_le64(p + 3 * CRC32_WORD) ^ c3;
        uint64_t w4 = crc32_load_le64(p + 4 * CRC32_WORD) ^ c4;
        c0 = crc32_fold_lane(w0);
        c1 = crc32_fold_lane(w1);
        c2 = crc32_fold_lane(w2);
        c3 = crc32_fold_lane(w3);
        c4 = crc32_fold_lane(w4);
    }
    crc = crc32_fold_word(crc32_load_le64(p) ^ c0);
    crc = crc32_fold_word(crc32_load_le64(p + CRC32_WORD) ^ crc ^ c1);
    crc = crc32_fold_word(crc32_load_le64(p + 2 * CRC32_WORD) ^ crc ^ c2);
    crc = crc32_fold_word(crc32_load_le64(p + 3 * CRC32_WORD) ^ crc ^ c3);
    return crc32_fold_word(crc32_load_le64(p + 4 * CRC32_WORD) ^ crc ^ c4);
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc32_tables_ready)
        crc32_init();
    crc = ~crc;
    if (len >= 2 * CRC32_ROUND) {
        size_t rounds = len / CRC32_ROUND;
        crc = crc32_interleaved(crc, p, rounds);
        p += rounds * CRC32_ROUND;
        len -= rounds * CRC32_ROUND;
    }
    for (; len >= CRC32_WORD; len -= CRC32_WORD, p += CRC32_WORD)
        crc = crc32_fold_word(crc32_load_le64(p) ^ crc);
    while (len--)
        crc = (crc >> 8) ^ crc32_slice[0][(crc ^ *p++) & 0xff];
    return ~crc;
}
