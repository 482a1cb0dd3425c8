/* TEST ONLY: linked into build/hop-corrupt.elf, never into build/hop.elf
 * (kernels/kernels.mk).  Proves that the trampoline's VERIFY ops
 * catch a destination that is wrong after the moves.
 *
 * The link wraps tramp_enter (ld --wrap=tramp_enter): boot_machine.c's call
 * lands here, after kimage_load and just before the trampoline runs.  We
 * insert one 1-byte COPY op before the first VERIFY that writes a byte of a
 * verified destination with a value that differs from what the byte will
 * hold after the moves, then call the real tramp_enter.  No production code
 * changes; the trampoline then runs every move, our COPY, and the VERIFYs,
 * and must halt with "verify failed at <that destination>".
 *
 * A byte's final value is known without simulating the moves when it lies
 * in a ZERO op (ZEROs run after every COPY: it ends 0), or in no COPY/ZERO
 * op at all (a direct destination, already final).  The first VERIFY range
 * holding such a byte is chosen, trampoline-zeroed bytes first.
 *
 * Room: the op list is shifted up one record from the first VERIFY on.  The
 * record after END is the first of the load list (kimage_plan puts it right
 * after the trampoline list), which kimage_load has already run: dead.  The
 * wrong byte itself is kept in the new END record's unused dst field, in the
 * control area, which no op writes. */
#include "console/console.h"
#include "reloc/oplist.h"
#include "jump/tramp.h"

void __real_tramp_enter(paddr_t control, struct tramp_params *p) __attribute__((noreturn));
void __wrap_tramp_enter(paddr_t control, struct tramp_params *p) __attribute__((noreturn));

static bool in_op(const struct reloc_op *ops, size_t n, uint64_t kind, uint64_t a)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == kind && ops[i].dst <= a && a - ops[i].dst < ops[i].len)
            return true;
    return false;
}

/* A byte of ops[v]'s range whose final value is known: *final gets it. */
static bool pick_byte(const struct reloc_op *ops, size_t n, size_t v, bool zeroed_only,
                      uint64_t *at, uint8_t *final)
{
    const struct reloc_op *o = &ops[v];
    for (size_t i = 0; i < n; i++) { /* trampoline-zeroed bytes */
        if (ops[i].kind != RELOC_OP_ZERO || !ops[i].len)
            continue;
        uint64_t lo = ops[i].dst > o->dst ? ops[i].dst : o->dst;
        uint64_t hi_z = ops[i].dst + ops[i].len, hi_v = o->dst + o->len;
        if (lo < (hi_z < hi_v ? hi_z : hi_v)) {
            *at = lo;
            *final = 0;
            return true;
        }
    }
    if (zeroed_only)
        return false;
    uint64_t cand[3] = { o->dst, o->dst + o->len / 2, o->dst + o->len - 1 };
    for (int c = 0; c < 3; c++) /* bytes no op writes: final already */
        if (!in_op(ops, n, RELOC_OP_COPY, cand[c]) && !in_op(ops, n, RELOC_OP_ZERO, cand[c])) {
            *at = cand[c];
            *final = *(volatile const uint8_t *)(uintptr_t)cand[c];
            return true;
        }
    return false;
}

void __wrap_tramp_enter(paddr_t control, struct tramp_params *p)
{
    struct reloc_op *ops = (struct reloc_op *)(uintptr_t)p->ops;
    size_t n = 0, first_verify = SIZE_MAX, v = SIZE_MAX;
    uint64_t at = 0;
    uint8_t final = 0;
    while (ops[n].kind != RELOC_OP_END)
        n++;
    for (size_t i = 0; i < n && first_verify == SIZE_MAX; i++)
        if (ops[i].kind == RELOC_OP_VERIFY)
            first_verify = i;
    for (int pass = 0; pass < 2 && v == SIZE_MAX; pass++)
        for (size_t i = first_verify; i < n && v == SIZE_MAX; i++)
            if (ops[i].kind == RELOC_OP_VERIFY && ops[i].len &&
                pick_byte(ops, n, i, pass == 0, &at, &final))
                v = i;
    if (v == SIZE_MAX) {
        kprintf("hop-corrupt: no byte to corrupt (%zu ops); booting unchanged\n", n);
        __real_tramp_enter(control, p);
    }
    for (size_t i = n + 1; i-- > first_verify;) /* END included */
        ops[i + 1] = ops[i];
    struct reloc_op *end = &ops[n + 1];
    end->dst = (uint8_t)(final ^ 0x5A);
    ops[first_verify] = (struct reloc_op){ RELOC_OP_COPY, at, (uintptr_t)&end->dst, 1 };
    kprintf("hop-corrupt: op %zu: COPY 1 byte 0x%02x over 0x%llx (final 0x%02x), inside VERIFY "
            "0x%llx length 0x%llx\n",
            first_verify, (unsigned)(uint8_t)end->dst, (unsigned long long)at, final,
            (unsigned long long)ops[v + 1].dst, (unsigned long long)ops[v + 1].len);
    __real_tramp_enter(control, p);
}
