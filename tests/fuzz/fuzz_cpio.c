/* libFuzzer target for src/parse/cpio.c and src/ramdisk.c: the input is walked as
 * a cpio archive, the names found are looked up again and listed, and the
 * same bytes are offered to the RAM disk layer as a boot module (which also
 * decompresses gzip inputs and the gzip files inside them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/cpio.h"
#include "ramdisk.h"

#define FUZZ_MAX_NAMES 8
#define FUZZ_MODULE_BASE 0x100000u
#define FUZZ_INFLATE_MAX (1u << 20)
#define FUZZ_MAX_ALLOCS 16

static void check_inside(const uint8_t *base, size_t size, const uint8_t *p, size_t n)
{
    if (n > 0 && (p < base || p > base + size || n > (size_t)(base + size - p)))
        abort();
}

static int count_entry(void *ctx, const struct cpio_entry *e, const char *name)
{
    (void)e;
    if (!name[0] || strchr(name, '/'))
        abort();
    (*(int *)ctx)++;
    return 0;
}

static void fuzz_archive(const uint8_t *data, size_t size)
{
    struct cpio_iter it;
    struct cpio_entry e, found;
    struct hop_error err;
    const char *names[FUZZ_MAX_NAMES];
    int n = 0, rc, listed = 0;
    cpio_iter_init(&it, data, size);
    while ((rc = cpio_next(&it, &e, &err)) > 0) {
        check_inside(data, size, e.data, e.size);
        check_inside(data, size, (const uint8_t *)e.name, e.name_len + 1);
        if (n < FUZZ_MAX_NAMES)
            names[n++] = e.name;
    }
    if (rc < 0 && (err.code != rc || !err.msg[0]))
        abort();
    for (int i = 0; i < n; i++) {
        if (cpio_lookup(data, size, names[i], &found, &err) == HOP_OK)
            check_inside(data, size, found.data, found.size);
        cpio_list_dir(data, size, names[i], count_entry, &listed, &err);
    }
    cpio_list_dir(data, size, "/", count_entry, &listed, &err);
}

/* --- the RAM disk over one module holding the input --------------------------- */

struct fuzz_env {
    const uint8_t *data;
    size_t size;
    void *allocs[FUZZ_MAX_ALLOCS];
    int nallocs;
};

static const void *fuzz_map(void *ctx, paddr_t addr, size_t len)
{
    struct fuzz_env *env = ctx;
    if (addr < FUZZ_MODULE_BASE || addr - FUZZ_MODULE_BASE > env->size ||
        len > env->size - (addr - FUZZ_MODULE_BASE))
        return NULL;
    return env->data + (addr - FUZZ_MODULE_BASE);
}

static void *fuzz_alloc(void *ctx, size_t size, size_t align)
{
    struct fuzz_env *env = ctx;
    (void)align;
    if (env->nallocs == FUZZ_MAX_ALLOCS)
        return NULL;
    return env->allocs[env->nallocs++] = malloc(size);
}

static int open_each(void *ctx, const struct cpio_entry *e, const char *name)
{
    struct ramdisk_file f;
    struct hop_error err;
    (void)name;
    if (ramdisk_open_file(ctx, e->name, &f, &err) == HOP_OK && f.size > 0)
        (void)*(volatile const uint8_t *)(f.data + f.size - 1);
    return 0;
}

static void fuzz_ramdisk(const uint8_t *data, size_t size)
{
    static struct bootinfo bi;
    struct fuzz_env env = { .data = data, .size = size };
    struct ramdisk_source src = { .phys = { fuzz_map, &env }, .alloc = fuzz_alloc,
                                  .alloc_ctx = &env, .inflate_max = FUZZ_INFLATE_MAX };
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    bi.module_count = 1;
    bi.modules[0] = (struct boot_module){ FUZZ_MODULE_BASE, FUZZ_MODULE_BASE + size,
                                          "ramdisk" };
    if (ramdisk_open(&rd, &bi, &src, &err) == HOP_OK) {
        ramdisk_list_dir(&rd, "/", open_each, &rd, &err);
        ramdisk_open_file(&rd, "/ramdisk", &f, &err);
    }
    for (int i = 0; i < env.nallocs; i++)
        free(env.allocs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_archive(data, size);
    fuzz_ramdisk(data, size);
    return 0;
}
