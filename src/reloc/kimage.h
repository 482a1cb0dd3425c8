/* The kernel image being assembled: the one structure every stage after the
 * boot information reads and fills, and the relocation plan that puts it in
 * place.  docs/relocation.md describes the design and its invariants.
 *
 * Flow:
 *   kimage_init            memory map, live ranges, memory access
 *   kimage_add_fixed  ...  bytes that must land at a given address (ELF
 *                          PT_LOAD segments): dst, src, filesz, memsz
 *   kimage_add_placed ...  bytes hop may put anywhere suitable (module
 *                          copies, the kernel's boot info, command lines)
 *   kimage_set_control     bytes the machine layer needs for the trampoline
 *   kimage_plan            decide: load now, or defer to the trampoline's
 *                          op list; place, order, bounce, digest
 *   (machine layer writes the trampoline into the control area)
 *   kimage_load            the copies that are safe before the jump
 *   (hop fills sourceless placed items, kimage_placed_seal)
 *   jump to the trampoline with kimage.ops_addr
 *
 * All addresses are physical.  Memory is only touched through k->mem.
 * Everything hop needs after kimage_plan must be asked for before it (a
 * placed item, or room in the control area): physmem_alloc knows nothing of
 * destinations.  The fixed table (k->fixed) may lie in memory the trampoline
 * overwrites; nothing reads it after kimage_load. */
#ifndef HOP_KIMAGE_H
#define HOP_KIMAGE_H

#include "parse/bootinfo.h"
#include "mm/physmem.h"
#include "reloc/oplist.h"

#define KIMAGE_MAX_PLACED 128
#define KIMAGE_INLINE_FIXED 32       /* fixed segments before the table moves to RAM */
#define KIMAGE_MAX_BOUNCE_CHUNKS 16  /* bounce memory comes in at most this many pieces */
#define KIMAGE_MAX_SCRATCH 32        /* planner scratch blocks (a plan makes ~16 requests) */
#define KIMAGE_MAX_ALLOCS 96         /* record of everything kimage allocated */
#define KIMAGE_CONTROL_LIMIT (4ull << 30) /* the control area lies below 4 GiB */
#define KIMAGE_MAX_RESERVED 4        /* kernel workspaces (Linux's init_size) */

/* A segment whose bytes must end at [dst, dst+memsz): filesz bytes from src
 * (anywhere in live memory, any alignment), then memsz - filesz zero bytes. */
struct kimage_fixed {
    paddr_t dst, src;
    uint64_t filesz, memsz;
    const char *name; /* "/boot/k.elf PT_LOAD 1"; must outlive the kimage */
    uint32_t digest;  /* CRC32C of the final destination bytes (kimage_plan) */
    uint32_t flags;   /* KIMAGE_FIXED_* */
};

enum kimage_fixed_flags {
    KIMAGE_FIXED_DIRECT = 1u << 0, /* loaded by kimage_load, not by the trampoline */
};

enum kimage_place_flags {
    /* The source may serve as the item itself when it is suitably aligned,
     * below max_end, exactly size bytes and no fixed destination touches it
     * (a module staying where the loader put it: zero copies). */
    KIMAGE_PLACE_KEEP = 1u << 0,
};

/* A placeable item: size bytes aligned to align, ending at or below max_end,
 * holding filesz bytes from src then zeros (filesz 0: no source; hop fills
 * it after kimage_load and calls kimage_placed_seal). */
struct kimage_place_req {
    uint64_t size;
    uint64_t align;   /* a power of two; 0 means 1 */
    paddr_t max_end;  /* 0 means no limit */
    paddr_t src;
    uint64_t filesz;
    uint32_t flags;   /* KIMAGE_PLACE_* */
    const char *name;
};

struct kimage_placed {
    struct kimage_place_req req;
    paddr_t addr;     /* where it is after kimage_load (kimage_plan) */
    bool in_place;    /* addr == req.src, nothing copied */
    uint32_t digest;
    size_t verify_op; /* index of its VERIFY op in the trampoline list */
};

/* What the plan costs.  Copy amplification counts every byte written from a
 * source (load-time, trampoline and bounce copies) per byte of segment data;
 * 1000 means each byte is copied exactly once. */
struct kimage_stats {
    size_t fixed_count, direct_count, deferred_count;
    size_t placed_count, in_place_count;
    size_t piece_count;          /* deferred copies after splitting */
    size_t bounced_pieces;       /* cycles broken */
    size_t op_count, load_op_count; /* without the END records */
    uint64_t data_bytes;         /* sum of filesz, fixed and placed */
    uint64_t load_copy_bytes;    /* copied by kimage_load to final places */
    uint64_t trampoline_copy_bytes;
    uint64_t zero_bytes;         /* bss and placed tails, at load or in the trampoline */
    uint64_t bounce_bytes;       /* copied twice: source -> bounce -> destination */
    uint64_t bounce_pages;
    uint32_t copy_permille;      /* (load + trampoline + bounce) * 1000 / data */
    uint64_t control_bytes;      /* control area + op lists, page-rounded */
    uint64_t placed_bytes;       /* placed items that were allocated */
    uint64_t extra_bytes;        /* control + bounce + placed: all hop allocated */
    uint64_t scratch_bytes;      /* planner scratch, released when the plan ends */
};

enum kimage_state { KIMAGE_ADDING, KIMAGE_PLANNED, KIMAGE_LOADED, KIMAGE_FAILED };

struct kimage_scratch_block {
    paddr_t addr;
    uint8_t *base;
    uint64_t size, used;
};

/* About 15.5 KiB: keep it in static storage, not on hop's 32 KiB stack. */
struct kimage {
    const struct bootinfo *bi;
    struct physmem *pm;
    struct phys_rw mem;
    enum kimage_state state;

    struct kimage_fixed *fixed; /* fixed_inline, or a table from the allocator */
    size_t fixed_count, fixed_cap;
    paddr_t fixed_table;        /* its address when allocated, else 0 */
    struct kimage_fixed fixed_inline[KIMAGE_INLINE_FIXED];

    struct kimage_placed placed[KIMAGE_MAX_PLACED];
    size_t placed_count;

    /* Kernel workspaces, sorted and disjoint: [start, end) as key, val. */
    struct kimage_reserved {
        uint64_t start, end;
        const char *name;
    } reserved[KIMAGE_MAX_RESERVED];
    size_t reserved_count;

    uint64_t control_size, control_align;

    /* Set by kimage_plan. */
    paddr_t control_addr;       /* control_size bytes for the machine layer */
    paddr_t ops_addr;           /* the trampoline's op list, END-terminated */
    size_t op_count;            /* ops before END */
    paddr_t load_ops_addr;      /* bounce copies kimage_load runs first */
    size_t load_op_count;
    struct phys_range bounce[KIMAGE_MAX_BOUNCE_CHUNKS];
    size_t bounce_count;

    /* Every range kimage took from the allocator for itself (tables, scratch,
     * bounce, control area; released ones included; placed items are in
     * placed[]). */
    struct phys_range allocs[KIMAGE_MAX_ALLOCS];
    size_t alloc_count;
    struct kimage_scratch_block scratch[KIMAGE_MAX_SCRATCH];
    size_t scratch_count;
    uint64_t scratch_hint;      /* size of the next scratch block */
    size_t live_hint;           /* pm->live entry that held the last source */

    struct kimage_stats stats;
};

void kimage_init(struct kimage *k, const struct bootinfo *bi, struct physmem *pm,
                 const struct phys_rw *mem);

/* Adds a fixed segment.  Checks at once: memsz >= filesz, no address
 * overflow, the destination inside usable RAM, the source inside live
 * memory.  memsz 0 adds an empty segment that is ignored (it keeps the
 * numbering).  Overlaps between destinations are found by kimage_plan.  The
 * table grows in memory from pm's allocator (which may make a destination
 * there load through the trampoline; it never costs a copy). */
int kimage_add_fixed(struct kimage *k, paddr_t dst, paddr_t src, uint64_t filesz,
                     uint64_t memsz, const char *name, struct hop_error *err);

/* Adds a placeable item; *index (if not NULL) receives its index in
 * k->placed. */
int kimage_add_placed(struct kimage *k, const struct kimage_place_req *req, size_t *index,
                      struct hop_error *err);

/* The machine layer's bytes (trampoline code, its page tables, GDT, stack):
 * placed below 4 GiB with the op list right after them (align: a power of
 * two; the area is at least page aligned). */
int kimage_set_control(struct kimage *k, uint64_t size, uint64_t align, struct hop_error *err);

/* Memory the kernel claims after the jump without hop writing it (Linux
 * decompresses itself into init_size bytes from its load address): usable
 * RAM, and nothing hop places or leaves behind (placed items, kept
 * modules, bounce buffers, the control area) lies there.  Fixed
 * destinations may (the kernel's own image starts it). */
int kimage_add_reserved(struct kimage *k, paddr_t start, paddr_t end, const char *name,
                        struct hop_error *err);

/* Whether [start, end) overlaps a workspace; *index is then the lowest.
 * Inline: the allocator and the planner ask it too. */
static inline bool kimage_reserved_overlap(const struct kimage *k, paddr_t start, paddr_t end,
                                           size_t *index)
{
    for (size_t i = 0; i < k->reserved_count; i++)
        if (k->reserved[i].start < end && start < k->reserved[i].end) {
            *index = i;
            return true;
        }
    return false;
}

/* Plans everything (docs/relocation.md).  Afterwards k->placed[].addr,
 * control_addr, ops_addr, the fixed segments' flags and digests and k->stats
 * are set.  Once only; on failure the kimage is unusable. */
int kimage_plan(struct kimage *k, struct hop_error *err);

/* Performs the plan's load-time work: bounce copies, placed copies, direct
 * loads with their zero tails.  Nothing it writes is read later by anything
 * but the kernel. */
int kimage_load(struct kimage *k, struct hop_error *err);

/* After hop wrote a placed item's final bytes (after kimage_load): records
 * their digest in the item's VERIFY op. */
int kimage_placed_seal(struct kimage *k, size_t index, struct hop_error *err);

/* The trampoline's op list, mapped (NULL before kimage_plan). */
struct reloc_op *kimage_ops(const struct kimage *k);

#endif
