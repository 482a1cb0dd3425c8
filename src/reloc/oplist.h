/* The relocation op list: what the trampoline executes after hop let go of
 * the machine, and what kimage_load executes before.  Kept dumb and packed
 * for the NASM trampoline: 32-byte records, read in order until END.
 *
 *   COPY   {dst, src, len}       memmove semantics: when dst > src and the
 *                                ranges overlap, copy from the top down.
 *   ZERO   {dst, len}            fill with zero bytes.
 *   VERIFY {dst, expected, len}  CRC32C of [dst, dst+len) (see crc32c.h)
 *                                must equal the low 32 bits of expected.
 *   END                          stop.
 *
 * reloc_run_ops is the portable reference executor: the host simulator uses
 * it, the trampoline mirrors it. */
#ifndef HOP_RELOC_H
#define HOP_RELOC_H

#include "lib/error.h"
#include "lib/types.h"

enum reloc_op_kind {
    RELOC_OP_END = 0,
    RELOC_OP_COPY = 1,
    RELOC_OP_ZERO = 2,
    RELOC_OP_VERIFY = 3,
};

struct reloc_op {
    uint64_t kind;            /* enum reloc_op_kind */
    uint64_t dst;
    uint64_t src_or_expected; /* COPY: source address; VERIFY: the CRC32C */
    uint64_t len;
};

_Static_assert(sizeof(struct reloc_op) == 32, "the trampoline reads 32-byte ops");

/* Writable access to physical memory: map returns a pointer to
 * [addr, addr+len) or NULL when that range is not accessible.  On the
 * machine it is the identity map; on the host a simulated memory. */
typedef void *(*phys_rw_map_fn)(void *ctx, paddr_t addr, size_t len);

struct phys_rw {
    phys_rw_map_fn map;
    void *ctx;
};

/* Executes ops up to END, as the trampoline will.  Returns HOP_OK;
 * HOP_ERR_CHECKSUM at the first VERIFY that fails, HOP_ERR_RANGE when an op's
 * memory cannot be mapped, HOP_ERR_INVALID for an unknown kind: then
 * *stopped_at (if not NULL) is that op's index and the ops after it did not
 * run. */
int reloc_run_ops(const struct reloc_op *ops, const struct phys_rw *mem, size_t *stopped_at);

/* The CRC32C a VERIFY of [addr, addr+len) computes, through mem; false when
 * the range cannot be mapped. */
bool reloc_digest(const struct phys_rw *mem, paddr_t addr, uint64_t len, uint32_t *crc);

#endif
