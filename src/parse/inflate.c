/* DEFLATE (RFC 1951) decoder; the gzip wrapper around it is gzip.c.
 *
 * Speed comes from three things:
 *  - Huffman codes are decoded by table: the next LITLEN_ROOT_BITS input bits
 *    index a root table whose entry gives the symbol and its code length
 *    directly; the rare longer codes go through one second-level subtable.
 *    Entries for lengths and distances also carry the base value and the
 *    number of extra bits, so a match needs no further table.
 *  - Input bits sit in a 64-bit buffer that the fast loop refills with one
 *    unaligned 8-byte load (kept at 56..63 bits), enough for a whole
 *    length/distance pair without checking the bit count in between.
 *  - Matches are copied 8 bytes at a time, allowed to overrun their end by up
 *    to 7 bytes because the fast loop only runs with room to spare.
 * The fast loop runs while at least FAST_IN_MARGIN input bytes and
 * FAST_OUT_MARGIN output bytes remain; near either end a careful loop takes
 * over that checks every bit and byte. */
#include "parse/inflate.h"

#include "lib/string.h"

/* --- RFC 1951 constants ----------------------------------------------- */

#define DEFLATE_MAX_CODE_BITS 15
#define DEFLATE_LITLEN_SYMS 288   /* 286 used; 286/287 only in the fixed code */
#define DEFLATE_DIST_SYMS 32      /* 30 used; 30/31 only in the fixed code */
#define DEFLATE_PRECODE_SYMS 19   /* the code-length alphabet (3.2.7) */
#define DEFLATE_MAX_HLIT 286
#define DEFLATE_MAX_HDIST 30
#define DEFLATE_LITERALS 256
#define DEFLATE_END_OF_BLOCK 256
#define DEFLATE_FIRST_LENGTH 257
#define DEFLATE_LENGTH_CODES 29
#define DEFLATE_MAX_MATCH 258
#define DEFLATE_HLIT_BASE 257
#define DEFLATE_HDIST_BASE 1
#define DEFLATE_HCLEN_BASE 4
#define DEFLATE_PRECODE_LEN_BITS 3

enum deflate_block_type {
    BLOCK_STORED = 0,
    BLOCK_FIXED = 1,
    BLOCK_DYNAMIC = 2,
    BLOCK_RESERVED = 3,
};

/* Code-length alphabet symbols (3.2.7). */
#define PRECODE_COPY_PREVIOUS 16 /* repeat previous length 3..6 times */
#define PRECODE_ZEROS_SHORT 17   /* 3..10 zero lengths */
#define PRECODE_ZEROS_LONG 18    /* 11..138 zero lengths */

static const uint8_t precode_order[DEFLATE_PRECODE_SYMS] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

static const uint16_t length_base[DEFLATE_LENGTH_CODES] = {
    3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t length_extra[DEFLATE_LENGTH_CODES] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[DEFLATE_MAX_HDIST] = {
    1,    2,    3,    4,    5,    7,     9,     13,    17,    25,
    33,   49,   65,   97,   129,  193,   257,   385,   513,   769,
    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[DEFLATE_MAX_HDIST] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};

/* --- decode tables ------------------------------------------------------ */

#define LITLEN_ROOT_BITS 10
#define DIST_ROOT_BITS 8
#define PRECODE_ROOT_BITS 7 /* = the longest code-length code: no subtables */

/* Worst-case table sizes.  A subtable under a root entry has 2^s entries,
 * s being the depth of its deepest code below the root; a complete subtree
 * of depth s holds at least s+1 codes, so entries per code are greatest for
 * s = 15 - root.  288 literal/length symbols make at most 288/6 = 48
 * subtables of 32: 1024 + 1536.  32 distance symbols make at most 4 of 128:
 * 256 + 512.  The builder still checks. */
#define LITLEN_TABLE_SIZE 2560
#define DIST_TABLE_SIZE 768
#define PRECODE_TABLE_SIZE (1u << PRECODE_ROOT_BITS)

/* A table entry (32 bits):
 *   bits 0..3   code bits this entry consumes at its level
 *   bits 4..7   extra bits after the code (length/distance), or for a
 *               subtable pointer the subtable's index bits
 *   bits 8..11  kind flags
 *   bits 16..31 value: literal byte, length or distance base, precode symbol,
 *               subtable start, or for an invalid entry the symbol number */
#define ENTRY_BITS_MASK 0x0fu
#define ENTRY_EXTRA_SHIFT 4
#define ENTRY_EXTRA_MASK 0x0fu
#define ENTRY_LITERAL 0x100u
#define ENTRY_END_OF_BLOCK 0x200u
#define ENTRY_SUBTABLE 0x400u
#define ENTRY_INVALID 0x800u
#define ENTRY_VALUE_SHIFT 16
#define ENTRY_UNUSED_CODE 0xffffu /* value of codewords no symbol owns */

static inline unsigned entry_bits(uint32_t e) { return e & ENTRY_BITS_MASK; }
static inline unsigned entry_extra(uint32_t e)
{
    return (e >> ENTRY_EXTRA_SHIFT) & ENTRY_EXTRA_MASK;
}
static inline unsigned entry_value(uint32_t e) { return e >> ENTRY_VALUE_SHIFT; }

enum huff_kind { HUFF_PRECODE, HUFF_LITLEN, HUFF_DIST };

struct huff_tables {
    uint32_t litlen[LITLEN_TABLE_SIZE];
    uint32_t dist[DIST_TABLE_SIZE];
    uint32_t precode[PRECODE_TABLE_SIZE];
};

/* Static, not on the stack: see inflate.h. */
static struct huff_tables inflate_tables;

void (*inflate_progress)(uint64_t done);

/* --- the decoder state --------------------------------------------------- */

struct inflater {
    const uint8_t *in_start, *in, *in_end;
    uint64_t bitbuf;  /* next input bits, least significant first */
    unsigned bitcnt;  /* how many of them are valid (0..63) */
    uint8_t *out_start, *out, *out_end;
    size_t offset_base; /* added to input offsets in messages */
    size_t out_before;  /* output before this stream's (progress) */
    bool measuring;     /* out is the scratch window of inflate_measure */
    size_t dropped;     /* measuring: output moved out of the window */
    struct hop_error *err;
};

/* The input byte the next bit comes from, for messages. */
static size_t inflater_offset(const struct inflater *s)
{
    return s->offset_base + (size_t)(s->in - s->in_start) - s->bitcnt / 8;
}

static inline uint64_t bitmask64(unsigned n) { return ((uint64_t)1 << n) - 1; }

typedef uint64_t __attribute__((aligned(1), may_alias)) unaligned_u64;

static inline uint64_t load_u64(const uint8_t *p) { return *(const unaligned_u64 *)p; }
static inline void store_u64(uint8_t *p, uint64_t v) { *(unaligned_u64 *)p = v; }

static inline uint64_t load_le64(const uint8_t *p)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(load_u64(p));
#else
    return load_u64(p);
#endif
}

static int inflate_truncated(struct inflater *s)
{
    return error_set(s->err, HOP_ERR_TRUNCATED,
                     "deflate: input ends inside the stream at input byte 0x%zx",
                     inflater_offset(s));
}

static int inflate_out_full(struct inflater *s)
{
    return error_set(s->err, HOP_ERR_LIMIT,
                     "deflate: output does not fit in the %zu-byte buffer at "
                     "input byte 0x%zx",
                     (size_t)(s->out_end - s->out_start), inflater_offset(s));
}

static int inflate_bad_distance(struct inflater *s, size_t dist)
{
    return error_set(s->err, HOP_ERR_INVALID,
                     "deflate: distance %zu beyond %zu bytes of output at input "
                     "byte 0x%zx",
                     dist, (size_t)(s->out - s->out_start), inflater_offset(s));
}

/* --- careful bit reading (block headers and the ends of the buffers) ---- */

/* Tops the bit buffer up to at least n bits, one byte at a time; false when
 * the input runs out first (the bits that were there stay). */
static bool bits_fill(struct inflater *s, unsigned n)
{
    while (s->bitcnt < n) {
        if (s->in == s->in_end)
            return false;
        s->bitbuf |= (uint64_t)*s->in++ << s->bitcnt;
        s->bitcnt += 8;
    }
    return true;
}

static int bits_get(struct inflater *s, unsigned n, uint32_t *value)
{
    if (!bits_fill(s, n))
        return inflate_truncated(s);
    *value = (uint32_t)(s->bitbuf & bitmask64(n));
    s->bitbuf >>= n;
    s->bitcnt -= n;
    return HOP_OK;
}

static const char *huff_kind_name(enum huff_kind kind)
{
    switch (kind) {
    case HUFF_PRECODE: return "code-length";
    case HUFF_LITLEN: return "literal/length";
    default: return "distance";
    }
}

static int huff_invalid_symbol(struct inflater *s, enum huff_kind kind, uint32_t e)
{
    if (entry_value(e) == ENTRY_UNUSED_CODE)
        return error_set(s->err, HOP_ERR_INVALID,
                         "deflate: unused %s code at input byte 0x%zx",
                         huff_kind_name(kind), inflater_offset(s));
    return error_set(s->err, HOP_ERR_INVALID,
                     "deflate: invalid %s symbol %u at input byte 0x%zx",
                     huff_kind_name(kind), entry_value(e), inflater_offset(s));
}

/* Decodes one symbol checking that its bits are really there.  Invalid
 * symbols are errors; *entry gets the (leaf) table entry. */
static int huff_decode_slow(struct inflater *s, const uint32_t *table,
                            unsigned root_bits, enum huff_kind kind,
                            uint32_t *entry)
{
    bits_fill(s, DEFLATE_MAX_CODE_BITS); /* may come short: checked below */
    uint32_t e = table[s->bitbuf & bitmask64(root_bits)];
    unsigned used = 0;
    if (e & ENTRY_SUBTABLE) {
        used = root_bits;
        e = table[entry_value(e) +
                  ((s->bitbuf >> root_bits) & bitmask64(entry_extra(e)))];
    }
    used += entry_bits(e);
    if (used > s->bitcnt)
        return inflate_truncated(s);
    if (e & ENTRY_INVALID)
        return huff_invalid_symbol(s, kind, e);
    s->bitbuf >>= used;
    s->bitcnt -= used;
    *entry = e;
    return HOP_OK;
}

/* --- building decode tables ---------------------------------------------- */

/* What decoding symbol sym of a code of the given kind means. */
static uint32_t huff_symbol_entry(enum huff_kind kind, unsigned sym)
{
    switch (kind) {
    case HUFF_PRECODE:
        return (uint32_t)sym << ENTRY_VALUE_SHIFT;
    case HUFF_LITLEN:
        if (sym < DEFLATE_LITERALS)
            return ENTRY_LITERAL | (uint32_t)sym << ENTRY_VALUE_SHIFT;
        if (sym == DEFLATE_END_OF_BLOCK)
            return ENTRY_END_OF_BLOCK;
        if (sym < DEFLATE_FIRST_LENGTH + DEFLATE_LENGTH_CODES) {
            unsigned i = sym - DEFLATE_FIRST_LENGTH;
            return (uint32_t)length_base[i] << ENTRY_VALUE_SHIFT |
                   (uint32_t)length_extra[i] << ENTRY_EXTRA_SHIFT;
        }
        break;
    case HUFF_DIST:
        if (sym < DEFLATE_MAX_HDIST)
            return (uint32_t)dist_base[sym] << ENTRY_VALUE_SHIFT |
                   (uint32_t)dist_extra[sym] << ENTRY_EXTRA_SHIFT;
        break;
    }
    /* 286/287 and 30/31 have codes in the fixed code but must not occur. */
    return ENTRY_INVALID | (uint32_t)sym << ENTRY_VALUE_SHIFT;
}

/* The first code bit is the most significant of the canonical code but the
 * first bit read (least significant of the buffer), so tables are indexed by
 * the reversed code. */
static uint32_t reverse_bits(uint32_t code, unsigned len)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

static void fill_entries(uint32_t *table, uint32_t start, unsigned stride_bits,
                         uint32_t size, uint32_t entry)
{
    for (uint32_t i = start; i < size; i += (uint32_t)1 << stride_bits)
        table[i] = entry;
}

/* Checks a set of code lengths per RFC 1951 3.2.2: no over-subscription,
 * and complete unless it has a single code of length 1 (a one-symbol code,
 * which the RFC allows for distances and zlib also for literal/lengths) or,
 * for distances, no code at all (a block of literals only). */
static int huff_check_lengths(struct inflater *s, const unsigned *count,
                              unsigned codes, enum huff_kind kind)
{
    int32_t left = 1;
    for (unsigned len = 1; len <= DEFLATE_MAX_CODE_BITS; len++) {
        left = left * 2 - (int32_t)count[len];
        if (left < 0)
            return error_set(s->err, HOP_ERR_INVALID,
                             "deflate: over-subscribed %s code lengths at input "
                             "byte 0x%zx",
                             huff_kind_name(kind), inflater_offset(s));
    }
    if (left == 0)
        return HOP_OK;
    if (kind != HUFF_PRECODE && codes == 1 && count[1] == 1)
        return HOP_OK;
    if (kind == HUFF_DIST && codes == 0)
        return HOP_OK;
    return error_set(s->err, HOP_ERR_INVALID,
                     "deflate: incomplete %s code lengths at input byte 0x%zx",
                     huff_kind_name(kind), inflater_offset(s));
}

struct huff_build {
    uint32_t *table;
    uint32_t cap;
    unsigned root_bits;
    enum huff_kind kind;
    uint32_t next_free;   /* first unused entry after the root table */
    uint32_t sub_prefix;  /* root index of the current subtable */
    uint32_t sub_start;
    unsigned sub_bits;
    unsigned remaining[DEFLATE_MAX_CODE_BITS + 1]; /* codes not yet placed */
};

/* Opens the subtable for a code of length len (> root bits): as deep as the
 * longest code that will land in it, which, codes coming in canonical order,
 * is found by seeing how many codes of each length it takes to fill it. */
static int huff_open_subtable(struct inflater *s, struct huff_build *b,
                              uint32_t prefix, unsigned len)
{
    unsigned bits = len - b->root_bits;
    int32_t room = (int32_t)1 << bits;
    for (unsigned l = len; l < DEFLATE_MAX_CODE_BITS; l++) {
        room -= (int32_t)b->remaining[l];
        if (room <= 0)
            break;
        bits++;
        room <<= 1;
    }
    uint32_t size = (uint32_t)1 << bits;
    if (b->next_free > b->cap || size > b->cap - b->next_free)
        return error_set(s->err, HOP_ERR_INVALID,
                         "deflate: %s code needs more than %u table entries",
                         huff_kind_name(b->kind), (unsigned)b->cap);
    b->sub_prefix = prefix;
    b->sub_start = b->next_free;
    b->sub_bits = bits;
    b->next_free += size;
    fill_entries(b->table, b->sub_start, 0, b->sub_start + size,
                 ENTRY_INVALID | ENTRY_UNUSED_CODE << ENTRY_VALUE_SHIFT);
    b->table[prefix] = ENTRY_SUBTABLE | b->sub_start << ENTRY_VALUE_SHIFT |
                       bits << ENTRY_EXTRA_SHIFT | b->root_bits;
    return HOP_OK;
}

/* Places one symbol's codeword (canonical code, len bits) in the tables. */
static int huff_place(struct inflater *s, struct huff_build *b, unsigned sym,
                      uint32_t code, unsigned len)
{
    uint32_t rev = reverse_bits(code, len);
    uint32_t entry = huff_symbol_entry(b->kind, sym);
    uint32_t root_size = (uint32_t)1 << b->root_bits;
    if (len <= b->root_bits) {
        fill_entries(b->table, rev, len, root_size, entry | len);
        return HOP_OK;
    }
    uint32_t prefix = rev & (root_size - 1);
    if (b->next_free == root_size || prefix != b->sub_prefix) {
        int rc = huff_open_subtable(s, b, prefix, len);
        if (rc)
            return rc;
    }
    unsigned sub_len = len - b->root_bits;
    fill_entries(b->table + b->sub_start, rev >> b->root_bits, sub_len,
                 (uint32_t)1 << b->sub_bits, entry | sub_len);
    return HOP_OK;
}

/* Builds the decode table for nsym code lengths (0 = symbol unused). */
static int huff_build(struct inflater *s, uint32_t *table, uint32_t cap,
                      unsigned root_bits, const uint8_t *lens, unsigned nsym,
                      enum huff_kind kind)
{
    struct huff_build b = { .table = table, .cap = cap, .root_bits = root_bits,
                            .kind = kind, .next_free = 1u << root_bits };
    unsigned codes = 0;
    for (unsigned sym = 0; sym < nsym; sym++) {
        b.remaining[lens[sym]]++;
        codes += lens[sym] != 0;
    }
    int rc = huff_check_lengths(s, b.remaining, codes, kind);
    if (rc)
        return rc;
    /* Codewords no symbol owns (only in the allowed incomplete codes). */
    fill_entries(table, 0, 0, 1u << root_bits,
                 ENTRY_INVALID | ENTRY_UNUSED_CODE << ENTRY_VALUE_SHIFT | 1);
    /* Canonical order: by length, then by symbol; the code increments by
     * one along it and doubles at each step to the next length. */
    uint32_t code = 0;
    for (unsigned len = 1; len <= DEFLATE_MAX_CODE_BITS; len++, code <<= 1) {
        for (unsigned sym = 0; sym < nsym; sym++) {
            if (lens[sym] != len)
                continue;
            rc = huff_place(s, &b, sym, code++, len);
            if (rc)
                return rc;
            b.remaining[len]--;
        }
    }
    return HOP_OK;
}

/* --- Huffman-coded blocks -------------------------------------------------- */

/* The fast loop needs FAST_IN_MARGIN bytes for its 8-byte refill load, and
 * room for a longest match plus the 8-byte copy overrun plus the literals
 * one refill can decode. */
#define FAST_IN_MARGIN 8
#define FAST_OUT_MARGIN (DEFLATE_MAX_MATCH + 8 + 3)
#define LITLEN_ROOT_MASK ((1u << LITLEN_ROOT_BITS) - 1)
#define DIST_ROOT_MASK ((1u << DIST_ROOT_BITS) - 1)
#define REPEATING_BYTE_MULTIPLIER 0x0101010101010101ull

/* Copies a match whose source and room the caller checked.  Overlapping
 * copies (dist < len) must run forwards so the bytes just written repeat. */
static inline void copy_match_fast(uint8_t *out, size_t dist, size_t len)
{
    const uint8_t *src = out - dist;
    uint8_t *end = out + len;
    if (dist >= sizeof(uint64_t)) {
        /* Each 8-byte load reads only bytes written before its store. */
        do {
            store_u64(out, load_u64(src));
            out += sizeof(uint64_t);
            src += sizeof(uint64_t);
        } while (out < end);
    } else if (dist == 1) {
        uint64_t v = REPEATING_BYTE_MULTIPLIER * src[0];
        do {
            store_u64(out, v);
            out += sizeof(uint64_t);
        } while (out < end);
    } else {
        do
            *out++ = *src++;
        while (out < end);
    }
}

/* Looks up a code in the root table and, when it is long, its subtable;
 * consumes the code bits.  Valid only with >= 15 bits in the buffer. */
#define FAST_DECODE(entry, table, root_bits, bb, bc)                                \
    do {                                                                           \
        entry = table[(bb) & ((1u << (root_bits)) - 1)];                           \
        if (entry & ENTRY_SUBTABLE) {                                              \
            bb >>= root_bits;                                                      \
            bc -= root_bits;                                                       \
            entry = table[entry_value(entry) + ((bb) & bitmask64(entry_extra(entry)))]; \
        }                                                                          \
        bb >>= entry_bits(entry);                                                  \
        bc -= entry_bits(entry);                                                   \
    } while (0)

/* The fast loop's working copy of the decoder state, kept in registers
 * (the helpers below are always inlined, so it never reaches memory). */
struct fast_state {
    const uint8_t *in;
    uint8_t *out;
    uint64_t bb;
    unsigned bc;
};

#define FAST_INLINE static inline __attribute__((always_inline))

/* After a literal: up to two more while the next codes are short literals
 * (56 bits cover three literals of at most 15 bits each). */
FAST_INLINE void fast_more_literals(struct fast_state *f, const uint32_t *litlen)
{
    for (int i = 0; i < 2; i++) {
        uint32_t e = litlen[f->bb & LITLEN_ROOT_MASK];
        if ((e & (ENTRY_LITERAL | ENTRY_SUBTABLE)) != ENTRY_LITERAL)
            return;
        f->bb >>= entry_bits(e);
        f->bc -= entry_bits(e);
        *f->out++ = (uint8_t)entry_value(e);
    }
}

/* Decodes a match's extra length bits, its distance, and copies it.  A
 * length (<= 20 bits with extra) and distance (<= 28) fit in the 56. */
FAST_INLINE int fast_match(struct inflater *s, struct fast_state *f,
                           const uint32_t *dist, uint32_t e)
{
    size_t len = entry_value(e) + (size_t)(f->bb & bitmask64(entry_extra(e)));
    f->bb >>= entry_extra(e);
    f->bc -= entry_extra(e);
    FAST_DECODE(e, dist, DIST_ROOT_BITS, f->bb, f->bc);
    if (e & ENTRY_INVALID) {
        s->in = f->in, s->bitcnt = f->bc; /* for the message's offset */
        return huff_invalid_symbol(s, HUFF_DIST, e);
    }
    size_t d = entry_value(e) + (size_t)(f->bb & bitmask64(entry_extra(e)));
    f->bb >>= entry_extra(e);
    f->bc -= entry_extra(e);
    if (d > (size_t)(f->out - s->out_start)) {
        s->in = f->in, s->out = f->out, s->bitcnt = f->bc;
        return inflate_bad_distance(s, d);
    }
    copy_match_fast(f->out, d, len);
    f->out += len;
    return HOP_OK;
}

/* Decodes symbols while both margins hold.  Sets *end at end of block.
 * Returns with the bit buffer holding exactly bitcnt valid bits. */
static int inflate_fast(struct inflater *s, const struct huff_tables *t, bool *end)
{
    struct fast_state f = { s->in, s->out, s->bitbuf, s->bitcnt };
    const uint32_t *litlen = t->litlen;
    int rc = HOP_OK;

    while ((size_t)(s->in_end - f.in) >= FAST_IN_MARGIN &&
           (size_t)(s->out_end - f.out) >= FAST_OUT_MARGIN) {
        /* Refill to 56..63 bits; whole bytes taken advance the input. */
        f.bb |= load_le64(f.in) << f.bc;
        f.in += (63 - f.bc) >> 3;
        f.bc |= 56;

        uint32_t e;
        FAST_DECODE(e, litlen, LITLEN_ROOT_BITS, f.bb, f.bc);
        if (e & ENTRY_LITERAL) {
            *f.out++ = (uint8_t)entry_value(e);
            fast_more_literals(&f, litlen);
        } else if (!(e & (ENTRY_END_OF_BLOCK | ENTRY_INVALID))) {
            if ((rc = fast_match(s, &f, t->dist, e)))
                break;
        } else if (e & ENTRY_END_OF_BLOCK) {
            *end = true;
            break;
        } else {
            s->in = f.in, s->bitcnt = f.bc;
            rc = huff_invalid_symbol(s, HUFF_LITLEN, e);
            break;
        }
    }
    s->in = f.in;
    s->out = f.out;
    s->bitbuf = f.bb & bitmask64(f.bc); /* drop bits the refill read ahead */
    s->bitcnt = f.bc;
    return rc;
}

/* Copies a match checking the distance and the room left. */
static int copy_match_checked(struct inflater *s, size_t len, size_t dist)
{
    if (dist > (size_t)(s->out - s->out_start))
        return inflate_bad_distance(s, dist);
    size_t room = (size_t)(s->out_end - s->out);
    size_t n = MIN(len, room);
    const uint8_t *src = s->out - dist;
    for (size_t i = 0; i < n; i++)
        s->out[i] = src[i];
    s->out += n;
    return n < len ? inflate_out_full(s) : HOP_OK;
}

/* Decodes one symbol with every check, for the ends of the buffers. */
static int inflate_slow_symbol(struct inflater *s, const struct huff_tables *t,
                               bool *end)
{
    uint32_t e, extra;
    int rc = huff_decode_slow(s, t->litlen, LITLEN_ROOT_BITS, HUFF_LITLEN, &e);
    if (rc)
        return rc;
    if (e & ENTRY_LITERAL) {
        if (s->out == s->out_end)
            return inflate_out_full(s);
        *s->out++ = (uint8_t)entry_value(e);
        return HOP_OK;
    }
    if (e & ENTRY_END_OF_BLOCK) {
        *end = true;
        return HOP_OK;
    }
    if ((rc = bits_get(s, entry_extra(e), &extra)))
        return rc;
    size_t len = entry_value(e) + extra;
    if ((rc = huff_decode_slow(s, t->dist, DIST_ROOT_BITS, HUFF_DIST, &e)) ||
        (rc = bits_get(s, entry_extra(e), &extra)))
        return rc;
    return copy_match_checked(s, len, entry_value(e) + (size_t)extra);
}

/* --- measuring without keeping the output --------------------------------- */

/* inflate_measure decodes into this scratch buffer: one window of history
 * that back-references may reach (RFC 1951 3.2: distances go back at most
 * 32 KiB) and a stretch to decode into.  When the stretch is used up the
 * output pointer moves back to one window from the start.  Nobody reads what
 * the buffer holds, so nothing is copied: the bytes behind the pointer are
 * stale, but every distance still lands inside the buffer, and with a full
 * window behind the pointer no valid distance reaches past its start, just
 * as none reaches past the start of the real output. */
#define DEFLATE_WINDOW_SIZE 32768u
#define MEASURE_STRETCH 4096u
_Static_assert(MEASURE_STRETCH > FAST_OUT_MARGIN, "the fast loop must fit in the stretch");

static uint8_t measure_window[DEFLATE_WINDOW_SIZE + MEASURE_STRETCH];

/* Measuring, with too little room for the fast loop: drops all but the last
 * window of output.  A no-op when decoding into real output. */
static void inflate_make_room(struct inflater *s)
{
    if (!s->measuring || (size_t)(s->out_end - s->out) >= FAST_OUT_MARGIN)
        return;
    /* Less room than the stretch: more than a window lies behind out. */
    s->dropped += (size_t)(s->out - s->out_start) - DEFLATE_WINDOW_SIZE;
    s->out = s->out_start + DEFLATE_WINDOW_SIZE;
}

static int inflate_huffman_block(struct inflater *s, const struct huff_tables *t)
{
    bool end = false;
    for (;;) {
        int rc = inflate_fast(s, t, &end);
        if (rc || end)
            return rc;
        /* The fast loop stops near the end of the input or the output; when
         * measuring, the latter means room can be made for it. */
        inflate_make_room(s);
        rc = inflate_slow_symbol(s, t, &end);
        if (rc || end)
            return rc;
    }
}

/* --- block headers -------------------------------------------------------- */

static int build_fixed_tables(struct inflater *s, struct huff_tables *t)
{
    /* RFC 1951 3.2.6. */
    uint8_t lens[DEFLATE_LITLEN_SYMS];
    unsigned sym = 0;
    for (; sym < 144; sym++)
        lens[sym] = 8;
    for (; sym < 256; sym++)
        lens[sym] = 9;
    for (; sym < 280; sym++)
        lens[sym] = 7;
    for (; sym < DEFLATE_LITLEN_SYMS; sym++)
        lens[sym] = 8;
    int rc = huff_build(s, t->litlen, LITLEN_TABLE_SIZE, LITLEN_ROOT_BITS, lens,
                        DEFLATE_LITLEN_SYMS, HUFF_LITLEN);
    if (rc)
        return rc;
    memset(lens, 5, DEFLATE_DIST_SYMS);
    return huff_build(s, t->dist, DIST_TABLE_SIZE, DIST_ROOT_BITS, lens,
                      DEFLATE_DIST_SYMS, HUFF_DIST);
}

/* Reads count code lengths coded with the code-length code (3.2.7); the
 * repeat codes may run from the literal/length lengths into the distance
 * lengths but not past the end. */
static int read_code_lengths(struct inflater *s, const uint32_t *precode,
                             uint8_t *lens, unsigned count)
{
    unsigned i = 0;
    while (i < count) {
        uint32_t e, rep, extra;
        int rc = huff_decode_slow(s, precode, PRECODE_ROOT_BITS, HUFF_PRECODE, &e);
        if (rc)
            return rc;
        unsigned sym = entry_value(e);
        if (sym < PRECODE_COPY_PREVIOUS) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        uint8_t value = 0;
        if (sym == PRECODE_COPY_PREVIOUS) {
            if (i == 0)
                return error_set(s->err, HOP_ERR_INVALID,
                                 "deflate: code length repeat with no previous "
                                 "length at input byte 0x%zx", inflater_offset(s));
            value = lens[i - 1];
            rc = bits_get(s, 2, &extra), rep = 3 + extra;
        } else if (sym == PRECODE_ZEROS_SHORT) {
            rc = bits_get(s, 3, &extra), rep = 3 + extra;
        } else {
            rc = bits_get(s, 7, &extra), rep = 11 + extra;
        }
        if (rc)
            return rc;
        if (rep > count - i)
            return error_set(s->err, HOP_ERR_INVALID,
                             "deflate: code length repeat of %u overruns the %u "
                             "lengths at input byte 0x%zx",
                             (unsigned)rep, count, inflater_offset(s));
        memset(lens + i, value, rep);
        i += rep;
    }
    return HOP_OK;
}

static int read_dynamic_tables(struct inflater *s, struct huff_tables *t)
{
    uint32_t hlit, hdist, hclen;
    int rc;
    if ((rc = bits_get(s, 5, &hlit)) || (rc = bits_get(s, 5, &hdist)) ||
        (rc = bits_get(s, 4, &hclen)))
        return rc;
    hlit += DEFLATE_HLIT_BASE;
    hdist += DEFLATE_HDIST_BASE;
    hclen += DEFLATE_HCLEN_BASE;
    if (hlit > DEFLATE_MAX_HLIT || hdist > DEFLATE_MAX_HDIST)
        return error_set(s->err, HOP_ERR_INVALID,
                         "deflate: %u literal/length and %u distance codes (at "
                         "most 286 and 30) at input byte 0x%zx",
                         (unsigned)hlit, (unsigned)hdist, inflater_offset(s));
    uint8_t pre_lens[DEFLATE_PRECODE_SYMS] = { 0 };
    for (unsigned i = 0; i < hclen; i++) {
        uint32_t len;
        if ((rc = bits_get(s, DEFLATE_PRECODE_LEN_BITS, &len)))
            return rc;
        pre_lens[precode_order[i]] = (uint8_t)len;
    }
    rc = huff_build(s, t->precode, PRECODE_TABLE_SIZE, PRECODE_ROOT_BITS, pre_lens,
                    DEFLATE_PRECODE_SYMS, HUFF_PRECODE);
    if (rc)
        return rc;
    uint8_t lens[DEFLATE_MAX_HLIT + DEFLATE_MAX_HDIST];
    if ((rc = read_code_lengths(s, t->precode, lens, hlit + hdist)))
        return rc;
    if (lens[DEFLATE_END_OF_BLOCK] == 0)
        return error_set(s->err, HOP_ERR_INVALID,
                         "deflate: dynamic block without an end-of-block code at "
                         "input byte 0x%zx", inflater_offset(s));
    rc = huff_build(s, t->litlen, LITLEN_TABLE_SIZE, LITLEN_ROOT_BITS, lens, hlit,
                    HUFF_LITLEN);
    if (rc)
        return rc;
    return huff_build(s, t->dist, DIST_TABLE_SIZE, DIST_ROOT_BITS, lens + hlit,
                      hdist, HUFF_DIST);
}

/* Moves the input to the next byte boundary: the bit buffer gives back the
 * whole bytes it read ahead, the rest of the current byte is skipped. */
static void inflate_align_to_byte(struct inflater *s)
{
    s->in -= s->bitcnt / 8;
    s->bitbuf = 0;
    s->bitcnt = 0;
}

#define STORED_LEN_FIELDS 4 /* LEN and NLEN, 16 bits each */

static int inflate_stored_block(struct inflater *s)
{
    inflate_align_to_byte(s);
    if ((size_t)(s->in_end - s->in) < STORED_LEN_FIELDS)
        return inflate_truncated(s);
    uint32_t len = s->in[0] | (uint32_t)s->in[1] << 8;
    uint32_t nlen = s->in[2] | (uint32_t)s->in[3] << 8;
    if (nlen != (len ^ 0xffffu))
        return error_set(s->err, HOP_ERR_INVALID,
                         "deflate: stored block length 0x%04x does not match its "
                         "complement 0x%04x at input byte 0x%zx",
                         (unsigned)len, (unsigned)nlen, inflater_offset(s));
    s->in += STORED_LEN_FIELDS;
    if ((size_t)(s->in_end - s->in) < len)
        return inflate_truncated(s);
    /* One piece into real output; several when measuring (a stored block
     * can be longer than the stretch). */
    while (len > 0) {
        inflate_make_room(s);
        size_t n = MIN((size_t)len, (size_t)(s->out_end - s->out));
        if (n == 0)
            return inflate_out_full(s);
        memcpy(s->out, s->in, n);
        s->out += n;
        s->in += n;
        len -= (uint32_t)n;
    }
    return HOP_OK;
}

static int inflate_blocks(struct inflater *s)
{
    struct huff_tables *t = &inflate_tables;
    for (;;) {
        uint32_t bfinal, btype;
        int rc;
        if ((rc = bits_get(s, 1, &bfinal)) || (rc = bits_get(s, 2, &btype)))
            return rc;
        switch (btype) {
        case BLOCK_STORED:
            rc = inflate_stored_block(s);
            break;
        case BLOCK_FIXED:
            if (!(rc = build_fixed_tables(s, t)))
                rc = inflate_huffman_block(s, t);
            break;
        case BLOCK_DYNAMIC:
            if (!(rc = read_dynamic_tables(s, t)))
                rc = inflate_huffman_block(s, t);
            break;
        default:
            rc = error_set(s->err, HOP_ERR_INVALID,
                           "deflate: reserved block type 3 at input byte 0x%zx",
                           inflater_offset(s));
            break;
        }
        if (!rc && inflate_progress && !s->measuring)
            inflate_progress(s->out_before + (size_t)(s->out - s->out_start));
        if (rc || bfinal)
            return rc;
    }
}

/* Runs the decoder set up in s on job's input; fills job's results. */
static int inflate_run(struct inflater *s, struct inflate_job *job, struct hop_error *err)
{
    s->in_start = s->in = job->src;
    s->in_end = job->src + job->src_len;
    s->offset_base = job->src_offset;
    s->err = err;
    int rc = inflate_blocks(s);
    inflate_align_to_byte(s);
    job->out_len = s->dropped + (size_t)(s->out - s->out_start);
    job->in_used = (size_t)(s->in - job->src);
    return rc;
}

int inflate_stream(struct inflate_job *job, struct hop_error *err)
{
    struct inflater s = {
        .out_start = job->dst, .out = job->dst, .out_end = job->dst + job->dst_cap,
        .out_before = job->out_before,
    };
    return inflate_run(&s, job, err);
}

int inflate_measure(struct inflate_job *job, struct hop_error *err)
{
    struct inflater s = {
        .out_start = measure_window, .out = measure_window,
        .out_end = measure_window + sizeof(measure_window), .measuring = true,
    };
    return inflate_run(&s, job, err);
}

/* A valid address for empty buffers: arithmetic on NULL is undefined. */
static uint8_t inflate_empty[1];

int inflate_raw(const void *src, size_t src_len, void *dst, size_t dst_cap,
                size_t *out_len, size_t *in_used, struct hop_error *err)
{
    if ((!src && src_len) || (!dst && dst_cap))
        return error_set(err, HOP_ERR_INVALID, "deflate: NULL buffer");
    struct inflate_job job = {
        .src = src ? src : inflate_empty, .src_len = src_len,
        .dst = dst ? dst : inflate_empty, .dst_cap = dst_cap,
    };
    int rc = inflate_stream(&job, err);
    if (out_len)
        *out_len = job.out_len;
    if (in_used)
        *in_used = job.in_used;
    return rc;
}
