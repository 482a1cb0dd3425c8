/* The simulated machine (see sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct sim *sim_new(void)
{
    struct sim *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->rw = (struct phys_rw){ sim_map, s };
    return s;
}

void sim_free(struct sim *s)
{
    for (size_t i = 0; i < SIM_MAX_WINDOWS; i++)
        free(s->win[i].mem);
    free(s->fixed_copy);
    free(s);
}

void sim_reset(struct sim *s)
{
    for (size_t i = 0; i < SIM_MAX_WINDOWS; i++)
        s->win[i].size = 0;
    s->win_count = 0;
    free(s->fixed_copy);
    s->fixed_copy = NULL;
    s->bi.map_count = 0;
    s->bi.module_count = 0;
    physmem_init(&s->pm, &s->bi);
}

void sim_window(struct sim *s, size_t i, paddr_t base, uint64_t size)
{
    struct sim_window *w = &s->win[i];
    if (size > w->cap) {
        free(w->mem);
        w->mem = malloc(size);
        if (!w->mem)
            abort();
        w->cap = size;
    }
    w->base = base;
    w->size = size;
    if (i >= s->win_count)
        s->win_count = i + 1;
}

void sim_region(struct sim *s, paddr_t start, paddr_t end, uint32_t type)
{
    if (end <= start)
        return;
    if (s->bi.map_count == BOOTINFO_MAX_REGIONS ||
        (s->bi.map_count && s->bi.map[s->bi.map_count - 1].end > start))
        abort();
    s->bi.map[s->bi.map_count++] = (struct mem_region){ start, end, type };
}

void sim_live(struct sim *s, paddr_t start, paddr_t end, const char *what)
{
    if (physmem_reserve(&s->pm, start, end, what) != HOP_OK)
        abort();
}

void sim_start(struct sim *s)
{
    kimage_init(&s->k, &s->bi, &s->pm, &s->rw);
}

uint8_t *sim_at(struct sim *s, paddr_t addr, uint64_t len)
{
    for (size_t i = 0; i < s->win_count; i++) {
        const struct sim_window *w = &s->win[i];
        if (addr >= w->base && addr - w->base <= w->size && len <= w->size - (addr - w->base))
            return w->mem + (addr - w->base);
    }
    return NULL;
}

void *sim_map(void *ctx, paddr_t addr, size_t len)
{
    return sim_at(ctx, addr, len);
}

uint64_t sim_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t sim_below(uint64_t *state, uint64_t n)
{
    return sim_rand(state) % n;
}

void sim_fill_random(struct sim *s, uint64_t seed)
{
    for (size_t i = 0; i < s->win_count; i++) {
        struct sim_window *w = &s->win[i];
        for (uint64_t off = 0; off < w->size; off += 8) {
            uint64_t v = sim_rand(&seed);
            memcpy(w->mem + off, &v, MIN((uint64_t)8, w->size - off));
        }
    }
}

int sim_run_ops(struct sim *s, size_t *stopped_at)
{
    const struct reloc_op *ops = kimage_ops(&s->k);
    if (!ops)
        return HOP_ERR_INVALID;
    return reloc_run_ops(ops, &s->rw, stopped_at);
}

int sim_load_run(struct sim *s, struct hop_error *err)
{
    size_t bad = 0;
    int rc = kimage_load(&s->k, err);
    if (rc == HOP_OK) {
        size_t bytes = s->k.fixed_count * sizeof(struct kimage_fixed);
        free(s->fixed_copy);
        s->fixed_copy = malloc(bytes ? bytes : 1);
        if (!s->fixed_copy)
            abort();
        memcpy(s->fixed_copy, s->k.fixed, bytes);
    }
    if (rc == HOP_OK && (rc = sim_run_ops(s, &bad)) != HOP_OK)
        error_set(err, rc, "op %zu failed", bad);
    return rc;
}

int sim_plan_load_run(struct sim *s, struct hop_error *err)
{
    int rc = kimage_plan(&s->k, err);
    return rc ? rc : sim_load_run(s, err);
}

struct sim_orig sim_snapshot(const struct sim *s)
{
    struct sim_orig o = { { NULL } };
    for (size_t i = 0; i < s->win_count; i++) {
        uint8_t *copy = malloc(s->win[i].size ? s->win[i].size : 1);
        if (!copy)
            abort();
        memcpy(copy, s->win[i].mem, s->win[i].size);
        o.win[i] = copy;
    }
    return o;
}

void sim_orig_free(struct sim_orig *o)
{
    for (size_t i = 0; i < SIM_MAX_WINDOWS; i++) {
        free((void *)o->win[i]);
        o->win[i] = NULL;
    }
}

/* The original bytes at [addr, addr+len), or NULL. */
static const uint8_t *sim_orig_at(const struct sim *s, const struct sim_orig *o, paddr_t addr,
                                  uint64_t len)
{
    for (size_t i = 0; i < s->win_count; i++) {
        const struct sim_window *w = &s->win[i];
        if (addr >= w->base && addr - w->base <= w->size && len <= w->size - (addr - w->base))
            return o->win[i] + (addr - w->base);
    }
    return NULL;
}

static bool sim_all_zero(const uint8_t *p, uint64_t n)
{
    static const uint8_t zeros[4096];
    for (uint64_t done = 0; done < n; done += sizeof(zeros))
        if (memcmp(p + done, zeros, MIN((uint64_t)sizeof(zeros), n - done)))
            return false;
    return true;
}

/* Final bytes at dst: filesz from the original src, then zeros to memsz. */
static bool sim_check_item(struct sim *s, const struct sim_orig *o, paddr_t dst, paddr_t src,
                           uint64_t filesz, uint64_t memsz, const char *name, char *why,
                           size_t whylen)
{
    const uint8_t *now = sim_at(s, dst, memsz), *was = sim_orig_at(s, o, src, filesz);
    if (!now || (filesz && !was)) {
        snprintf(why, whylen, "%s: not in simulated memory", name);
        return false;
    }
    if (filesz && memcmp(now, was, filesz)) {
        uint64_t i = 0;
        while (now[i] == was[i])
            i++;
        snprintf(why, whylen, "%s: byte 0x%llx of 0x%llx at 0x%llx is %02x, source said %02x",
                 name, (unsigned long long)i, (unsigned long long)filesz,
                 (unsigned long long)dst, now[i], was[i]);
        return false;
    }
    if (!sim_all_zero(now + filesz, memsz - filesz)) {
        snprintf(why, whylen, "%s: zero tail at 0x%llx is not zero", name,
                 (unsigned long long)(dst + filesz));
        return false;
    }
    return true;
}

struct sim_span {
    paddr_t start, end;
};

static int sim_span_cmp(const void *a, const void *b)
{
    const struct sim_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Everything the plan may have written, sorted. */
static size_t sim_allowed(const struct sim *s, struct sim_span **out)
{
    const struct kimage *k = &s->k;
    const struct kimage_fixed *fixed = s->fixed_copy ? s->fixed_copy : k->fixed;
    size_t n = 0, cap = k->fixed_count + k->placed_count + k->alloc_count + 1;
    struct sim_span *a = malloc(cap * sizeof(*a));
    if (!a)
        abort();
    for (size_t i = 0; i < k->fixed_count; i++)
        a[n++] = (struct sim_span){ fixed[i].dst, fixed[i].dst + fixed[i].memsz };
    for (size_t i = 0; i < k->placed_count; i++)
        if (!k->placed[i].in_place)
            a[n++] = (struct sim_span){ k->placed[i].addr,
                                        k->placed[i].addr + k->placed[i].req.size };
    for (size_t i = 0; i < k->alloc_count; i++)
        a[n++] = (struct sim_span){ k->allocs[i].start, k->allocs[i].end };
    qsort(a, n, sizeof(*a), sim_span_cmp);
    *out = a;
    return n;
}

/* Bytes of window w outside the allowed spans must be unchanged. */
static bool sim_check_window(const struct sim_window *w, const uint8_t *was,
                             const struct sim_span *a, size_t n, char *why, size_t whylen)
{
    paddr_t pos = w->base, end = w->base + w->size;
    for (size_t i = 0; i <= n && pos < end; i++) {
        paddr_t stop = i < n ? MAX(MIN(a[i].start, end), pos) : end;
        if (stop > pos && memcmp(w->mem + (pos - w->base), was + (pos - w->base), stop - pos)) {
            paddr_t at = pos;
            while (w->mem[at - w->base] == was[at - w->base])
                at++;
            snprintf(why, whylen, "byte at 0x%llx changed but belongs to nothing planned",
                     (unsigned long long)at);
            return false;
        }
        if (i < n)
            pos = MAX(pos, a[i].end);
    }
    return true;
}

bool sim_check(struct sim *s, const struct sim_orig *o, char *why, size_t whylen)
{
    char scratch[256];
    const struct kimage *k = &s->k;
    struct sim_span *allowed;
    bool ok = true;
    if (!why) {
        why = scratch;
        whylen = sizeof(scratch);
    }
    const struct kimage_fixed *fixed = s->fixed_copy ? s->fixed_copy : k->fixed;
    for (size_t i = 0; ok && i < k->fixed_count; i++) {
        const struct kimage_fixed *f = &fixed[i];
        ok = sim_check_item(s, o, f->dst, f->src, f->filesz, f->memsz, f->name, why, whylen);
    }
    for (size_t i = 0; ok && i < k->placed_count; i++) {
        const struct kimage_placed *p = &k->placed[i];
        ok = sim_check_item(s, o, p->addr, p->req.src, p->req.filesz, p->req.size, p->req.name,
                            why, whylen);
    }
    size_t n = sim_allowed(s, &allowed);
    for (size_t i = 0; ok && i < s->win_count; i++)
        ok = sim_check_window(&s->win[i], o->win[i], allowed, n, why, whylen);
    free(allowed);
    return ok;
}
