/* A simulated machine for the kimage and relocation tests: physical memory
 * as a few windows of host memory, a memory map, live ranges, and a kimage
 * whose memory access goes through sim_map.  Tests #include "sim.c" (the
 * Makefile links each test binary from its one .c file). */
#ifndef HOP_TEST_SIM_H
#define HOP_TEST_SIM_H

#include "parse/bootinfo.h"
#include "reloc/kimage.h"
#include "mm/physmem.h"

#define SIM_MAX_WINDOWS 4

struct sim_window {
    paddr_t base;
    uint64_t size; /* bytes in use now */
    uint64_t cap;  /* bytes allocated */
    uint8_t *mem;
};

struct sim {
    struct sim_window win[SIM_MAX_WINDOWS];
    size_t win_count;
    struct bootinfo bi;
    struct physmem pm;
    struct phys_rw rw;
    struct kimage k;
    /* The fixed table copied after kimage_load: the trampoline may overwrite
     * the original (it is dead by then). */
    struct kimage_fixed *fixed_copy;
};

struct sim *sim_new(void);
void sim_free(struct sim *s);

/* Forgets map, live ranges and the kimage; windows stay allocated (their
 * sizes drop to 0 until sim_window sets them again). */
void sim_reset(struct sim *s);

/* Window i at base with size bytes (reallocated when larger than before;
 * contents unspecified). */
void sim_window(struct sim *s, size_t i, paddr_t base, uint64_t size);

/* Appends a map entry; entries must come in address order. */
void sim_region(struct sim *s, paddr_t start, paddr_t end, uint32_t type);

/* Marks [start, end) live (what must be a string literal). */
void sim_live(struct sim *s, paddr_t start, paddr_t end, const char *what);

/* physmem_init and kimage_init over the map so far. */
void sim_start(struct sim *s);

void *sim_map(void *ctx, paddr_t addr, size_t len);
uint8_t *sim_at(struct sim *s, paddr_t addr, uint64_t len); /* NULL when outside */

/* Deterministic PRNG (splitmix64) and a random fill. */
uint64_t sim_rand(uint64_t *state);
uint64_t sim_below(uint64_t *state, uint64_t n); /* uniform in [0, n), n > 0 */
void sim_fill_random(struct sim *s, uint64_t seed);

/* Runs the trampoline ops with the reference executor. */
int sim_run_ops(struct sim *s, size_t *stopped_at);

/* kimage_load, a copy of the fixed table into fixed_copy, then the
 * trampoline's ops: HOP_OK or the first failure's code with err filled. */
int sim_load_run(struct sim *s, struct hop_error *err);

/* kimage_plan, then sim_load_run. */
int sim_plan_load_run(struct sim *s, struct hop_error *err);

/* The memory as it was before planning: one pointer per window, each
 * covering the window's size. */
struct sim_orig {
    const uint8_t *win[SIM_MAX_WINDOWS];
};

/* Copies every window (free with sim_orig_free). */
struct sim_orig sim_snapshot(const struct sim *s);
void sim_orig_free(struct sim_orig *o);

/* After sim_plan_load_run: every destination holds its source's original
 * bytes then zeros, every placed item its source's bytes then zeros, and
 * nothing else changed but what kimage allocated.  False with why filled
 * (why may be NULL) otherwise. */
bool sim_check(struct sim *s, const struct sim_orig *o, char *why, size_t whylen);

#endif
