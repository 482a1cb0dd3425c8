/* The reference executor of relocation ops (see reloc.h). */
#include "reloc/oplist.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/* Maps [addr, addr+len), refusing lengths that do not fit a size_t or wrap. */
static void *reloc_map(const struct phys_rw *mem, paddr_t addr, uint64_t len)
{
    paddr_t end;
    if (len > SIZE_MAX || ADD_OVERFLOWS(addr, len, &end))
        return NULL;
    return mem->map(mem->ctx, addr, (size_t)len);
}

bool reloc_digest(const struct phys_rw *mem, paddr_t addr, uint64_t len, uint32_t *crc)
{
    const void *p = len ? reloc_map(mem, addr, len) : NULL;
    if (len && !p)
        return false;
    *crc = len ? crc32c_update(0, p, (size_t)len) : 0;
    return true;
}

/* One op; HOP_OK or the status reloc_run_ops reports. */
static int reloc_run_one(const struct reloc_op *op, const struct phys_rw *mem)
{
    void *dst, *src;
    uint32_t crc;
    switch (op->kind) {
    case RELOC_OP_COPY:
        if (op->len == 0 || op->dst == op->src_or_expected)
            return HOP_OK;
        dst = reloc_map(mem, op->dst, op->len);
        src = reloc_map(mem, op->src_or_expected, op->len);
        if (!dst || !src)
            return HOP_ERR_RANGE;
        memmove(dst, src, (size_t)op->len); /* direction chosen by overlap */
        return HOP_OK;
    case RELOC_OP_ZERO:
        if (op->len == 0)
            return HOP_OK;
        if (!(dst = reloc_map(mem, op->dst, op->len)))
            return HOP_ERR_RANGE;
        memset(dst, 0, (size_t)op->len);
        return HOP_OK;
    case RELOC_OP_VERIFY:
        if (!reloc_digest(mem, op->dst, op->len, &crc))
            return HOP_ERR_RANGE;
        return crc == (uint32_t)op->src_or_expected ? HOP_OK : HOP_ERR_CHECKSUM;
    default:
        return HOP_ERR_INVALID;
    }
}

int reloc_run_ops(const struct reloc_op *ops, const struct phys_rw *mem, size_t *stopped_at)
{
    for (size_t i = 0; ops[i].kind != RELOC_OP_END; i++) {
        int rc = reloc_run_one(&ops[i], mem);
        if (rc != HOP_OK) {
            if (stopped_at)
                *stopped_at = i;
            return rc;
        }
    }
    return HOP_OK;
}
