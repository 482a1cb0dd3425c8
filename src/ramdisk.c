/* The RAM disk layer: picks the archive module, decompresses what is gzip,
 * and resolves paths in the archive or, failing that, among the modules. */
#include "ramdisk.h"

#include "parse/gzip.h"
#include "console/progress.h"
#include "lib/fmt.h"
#include "lib/string.h"

/* What a zero-length file or module points at (never NULL). */
static const uint8_t ramdisk_empty[1];

/* The first word of a module command line: [*word, *word + *len). */
static void ramdisk_first_word(const char *cmdline, const char **word, size_t *len)
{
    while (*cmdline == ' ' || *cmdline == '\t')
        cmdline++;
    size_t n = 0;
    while (cmdline[n] && cmdline[n] != ' ' && cmdline[n] != '\t')
        n++;
    *word = cmdline;
    *len = n;
}

static bool ramdisk_word_is(const char *cmdline, const char *name)
{
    const char *word;
    size_t len;
    ramdisk_first_word(cmdline, &word, &len);
    return len == strlen(name) && memcmp(word, name, len) == 0;
}

/* Module i's bytes where the loader says it put them, without asking
 * whether that is RAM (so that a RAM disk running past the end of RAM is
 * still recognised, and then refused by ramdisk_check_ram). */
static int ramdisk_view_module(const struct ramdisk *rd, size_t i,
                               const uint8_t **data, size_t *size,
                               struct hop_error *err)
{
    const struct boot_module *m = &rd->bi->modules[i];
    if (m->end < m->start || m->end - m->start > SIZE_MAX)
        return error_set(err, HOP_ERR_INVALID,
                         "module %zu \"%s\": end 0x%llx before start 0x%llx",
                         i, m->cmdline, (unsigned long long)m->end,
                         (unsigned long long)m->start);
    *size = (size_t)(m->end - m->start);
    *data = ramdisk_empty;
    if (*size == 0)
        return HOP_OK;
    *data = rd->src.phys.map(rd->src.phys.ctx, m->start, *size);
    if (!*data)
        return error_set(err, HOP_ERR_RANGE,
                         "module %zu \"%s\": [0x%llx, 0x%llx) is not accessible",
                         i, m->cmdline, (unsigned long long)m->start,
                         (unsigned long long)m->end);
    return HOP_OK;
}

/* The region of bi's map holding addr, or NULL. */
static const struct mem_region *ramdisk_region_at(const struct bootinfo *bi, paddr_t addr)
{
    for (size_t i = 0; i < bi->map_count; i++)
        if (bi->map[i].start <= addr && addr < bi->map[i].end)
            return &bi->map[i];
    return NULL;
}

#define RAMDISK_RANGE_TEXT_MAX 64 /* ", beyond usable RAM [0x..., 0x...)" */

/* Is there RAM at addr?  Any region but bad memory: a loader may list the
 * modules it placed as reserved (hop itself does, docs/protocols.md). */
static bool ramdisk_is_ram(const struct mem_region *r)
{
    return r && r->type != MEM_BAD;
}

/* A loader may place a module past the end of RAM (QEMU's -initrd does,
 * when RAM is short): what lies there reads as zeros or garbage, so say so,
 * with the usable RAM the module starts in, rather than let the cpio reader
 * find bad magic in it.  Without a map there is nothing to check against. */
static int ramdisk_check_ram(const struct ramdisk *rd, size_t i, struct hop_error *err)
{
    const struct boot_module *m = &rd->bi->modules[i];
    const struct mem_region *first = ramdisk_region_at(rd->bi, m->start), *r = first;
    paddr_t at = m->start;
    if (rd->bi->map_count == 0)
        return HOP_OK;
    while (at < m->end && ramdisk_is_ram(r = ramdisk_region_at(rd->bi, at)))
        at = r->end;
    if (at >= m->end)
        return HOP_OK;
    const char *what = r ? "bad memory" : "in no region of the memory map";
    char usable[RAMDISK_RANGE_TEXT_MAX] = "";
    if (at != m->start && first->type == MEM_USABLE) /* first is RAM, then */
        fmt_snprintf(usable, sizeof(usable), ", beyond usable RAM [0x%llx, 0x%llx)",
                     (unsigned long long)first->start, (unsigned long long)first->end);
    return error_set(err, HOP_ERR_RANGE, "module %zu \"%s\": [0x%llx, 0x%llx) %s: 0x%llx is %s%s",
                     i, m->cmdline, (unsigned long long)m->start, (unsigned long long)m->end,
                     at == m->start ? "is not in RAM" : "runs past the end of RAM",
                     (unsigned long long)at, what, usable);
}

/* Module i's contents, which must lie in RAM. */
static int ramdisk_map_module(const struct ramdisk *rd, size_t i,
                              const uint8_t **data, size_t *size,
                              struct hop_error *err)
{
    int rc = ramdisk_check_ram(rd, i, err);
    return rc ? rc : ramdisk_view_module(rd, i, data, size, err);
}

/* After a gzip failure (code rc, err filled): a file cut short is said to
 * be truncated first, whatever its missing bytes made go wrong; the walk
 * costs a decode, so only failures pay for it. */
static int ramdisk_gunzip_failed(const uint8_t *gz, size_t gz_len, int rc,
                                 struct hop_error *err)
{
    struct hop_error whole = { 0 };
    int why = gzip_check_whole(gz, gz_len, &whole);
    if (why == HOP_ERR_TRUNCATED) {
        *err = whole;
        return why;
    }
    return rc;
}

/* Decompresses a gzip file into allocated memory, sized by its ISIZE
 * trailer once that has been checked against the cap and against what the
 * compressed size can possibly expand to.  A progress bar names it (name). */
static int ramdisk_gunzip(const struct ramdisk *rd, const char *name, const uint8_t *gz,
                          size_t gz_len, const uint8_t **out, size_t *out_len,
                          struct hop_error *err)
{
    uint32_t isize;
    size_t most;
    int rc = gzip_isize(gz, gz_len, &isize, err);
    if (rc)
        return rc;
    if (MUL_OVERFLOWS(gz_len, (size_t)DEFLATE_MAX_EXPANSION, &most))
        most = SIZE_MAX;
    if (isize > rd->src.inflate_max)
        return ramdisk_gunzip_failed(gz, gz_len,
                                     error_set(err, HOP_ERR_LIMIT,
                                               "gzip: ISIZE %u is over the %zu-byte limit",
                                               (unsigned)isize, rd->src.inflate_max),
                                     err);
    if (isize > most)
        return ramdisk_gunzip_failed(gz, gz_len,
                                     error_set(err, HOP_ERR_INVALID, "gzip: ISIZE %u is "
                                               "impossible for %zu compressed bytes",
                                               (unsigned)isize, gz_len),
                                     err);
    uint8_t *buf = NULL;
    if (isize > 0) {
        buf = rd->src.alloc(rd->src.alloc_ctx, isize, RAMDISK_INFLATE_ALIGN);
        if (!buf)
            return error_set(err, HOP_ERR_NOMEM,
                             "gzip: no memory for %u decompressed bytes",
                             (unsigned)isize);
    }
    progress_begin("inflating", name, isize);
    inflate_progress = progress_update;
    rc = gzip_inflate(gz, gz_len, buf, isize, out_len, err);
    inflate_progress = NULL;
    progress_end();
    if (rc == HOP_ERR_LIMIT)
        rc = error_set(err, HOP_ERR_INVALID,
                       "gzip: data goes on past the ISIZE of %u bytes (several "
                       "members, or padding after the trailer?)", (unsigned)isize);
    if (rc)
        return ramdisk_gunzip_failed(gz, gz_len, rc, err);
    *out = buf ? buf : ramdisk_empty;
    return rc;
}

#define RAMDISK_SHOW_BYTES 4 /* of what a module that is no RAM disk starts with */
#define RAMDISK_CPIO_MAGICS "cpio newc (\"" CPIO_MAGIC_NEWC "\"/\"" CPIO_MAGIC_CRC "\")"

/* Why data (inside_gzip: a gzip file's contents) is not a cpio newc
 * archive, naming what it starts with. */
static int ramdisk_not_cpio(const uint8_t *data, size_t size, bool inside_gzip,
                            struct hop_error *err)
{
    char head[RAMDISK_SHOW_BYTES * 3 + 1] = "";
    size_t n = 0;
    if (size == 0)
        return error_set(err, HOP_ERR_INVALID, "%s0 bytes",
                         inside_gzip ? "a gzip file of " : "");
    for (size_t i = 0; i < MIN(size, (size_t)RAMDISK_SHOW_BYTES); i++)
        n += (size_t)fmt_snprintf(head + n, sizeof(head) - n, "%s%02x", i ? " " : "", data[i]);
    if (inside_gzip)
        return error_set(err, HOP_ERR_INVALID,
                         "a gzip file whose contents start with %s, not " RAMDISK_CPIO_MAGICS,
                         head);
    return error_set(err, HOP_ERR_INVALID,
                     "starts with %s, neither " RAMDISK_CPIO_MAGICS " nor gzip (%02x %02x)",
                     head, GZIP_ID1, GZIP_ID2);
}

/* Is data a cpio archive, or a gzip file whose contents start as one?  If
 * not, err says why. */
static int ramdisk_check_cpio(const uint8_t *data, size_t size, struct hop_error *err)
{
    uint8_t head[CPIO_HEADER_SIZE];
    size_t got = 0;
    if (cpio_has_magic(data, size))
        return HOP_OK;
    if (!gzip_has_magic(data, size))
        return ramdisk_not_cpio(data, size, false, err);
    int rc = gzip_peek(data, size, head, sizeof(head), &got, err);
    if (rc)
        return rc;
    return cpio_has_magic(head, got) ? HOP_OK : ramdisk_not_cpio(head, got, true, err);
}

int ramdisk_why_not(const struct ramdisk *rd, size_t i, struct hop_error *err)
{
    const struct boot_module *m = &rd->bi->modules[i];
    const uint8_t *data;
    size_t size;
    int rc = ramdisk_map_module(rd, i, &data, &size, err);
    if (rc)
        return rc;
    rc = ramdisk_check_cpio(data, size, err);
    if (rc)
        error_prefix(err, "module %zu \"%s\": not a RAM disk", i, m->cmdline);
    return rc;
}

/* Module index of the RAM disk, or bi->module_count when there is none.
 * A module past the end of RAM may still be chosen by what it starts with:
 * opening it then says where it lies. */
static size_t ramdisk_choose(const struct ramdisk *rd)
{
    const struct bootinfo *bi = rd->bi;
    for (size_t i = 0; i < bi->module_count; i++)
        if (ramdisk_word_is(bi->modules[i].cmdline, RAMDISK_MODULE_NAME))
            return i;
    for (size_t i = 0; i < bi->module_count; i++) {
        const uint8_t *data;
        size_t size;
        if (ramdisk_view_module(rd, i, &data, &size, NULL) == HOP_OK &&
            ramdisk_check_cpio(data, size, NULL) == HOP_OK)
            return i;
    }
    return bi->module_count;
}

/* Decompresses if needed, then walks the whole archive once so that damage
 * shows up now, with the module named, rather than at some later lookup. */
static int ramdisk_load_archive(struct ramdisk *rd, const uint8_t *data,
                                size_t size, struct hop_error *err)
{
    int rc;
    if (gzip_has_magic(data, size)) {
        if ((rc = ramdisk_gunzip(rd, "the RAM disk", data, size, &data, &size, err)))
            return rc;
        rd->archive_was_compressed = true;
    }
    if (!cpio_has_magic(data, size))
        return ramdisk_not_cpio(data, size, rd->archive_was_compressed, err);
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_iter_init(&it, data, size);
    while ((rc = cpio_next(&it, &e, err)) > 0)
        ;
    if (rc < 0)
        return rc;
    rd->archive = data;
    rd->archive_size = size;
    return HOP_OK;
}

int ramdisk_open(struct ramdisk *rd, const struct bootinfo *bi,
                 const struct ramdisk_source *src, struct hop_error *err)
{
    *rd = (struct ramdisk){ .bi = bi, .src = *src };
    if (rd->src.inflate_max == 0)
        rd->src.inflate_max = RAMDISK_INFLATE_MAX;
    size_t i = ramdisk_choose(rd);
    if (i == bi->module_count)
        return HOP_OK;
    const uint8_t *data;
    size_t size;
    int rc = ramdisk_map_module(rd, i, &data, &size, err);
    if (rc) { /* the message names the module */
        error_prefix(err, "ramdisk");
        return rc;
    }
    rc = ramdisk_load_archive(rd, data, size, err);
    if (rc) {
        rd->archive = NULL;
        error_prefix(err, "ramdisk (module %zu)", i);
        return rc;
    }
    rd->module = &bi->modules[i];
    rd->module_index = i;
    return HOP_OK;
}

/* Does the module's first word, or its last component, equal path (both
 * normalised)? */
static bool ramdisk_module_matches(const struct boot_module *m, const char *path)
{
    char name[CPIO_PATH_MAX];
    const char *word;
    size_t len;
    ramdisk_first_word(m->cmdline, &word, &len);
    if (cpio_path_normalize(word, len, name, sizeof(name), NULL) != HOP_OK)
        return false;
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/')
            base = p + 1;
    return strcmp(name, path) == 0 || strcmp(base, path) == 0;
}

#define RAMDISK_NOT_FOUND "not in the ramdisk nor a module name"
#define RAMDISK_NOT_FOUND_NONE "not a module name, and there is no ramdisk"

/* A path found nowhere.  Without a RAM disk, say why there is none: the
 * file asked for was most likely meant to be in it. */
static int ramdisk_not_found(const struct ramdisk *rd, struct hop_error *err)
{
    size_t n = rd->bi->module_count;
    if (rd->archive)
        return error_set(err, HOP_ERR_NOTFOUND, RAMDISK_NOT_FOUND);
    if (n == 0)
        return error_set(err, HOP_ERR_NOTFOUND, RAMDISK_NOT_FOUND_NONE ": no modules were given");
    if (n == 1 && ramdisk_why_not(rd, 0, err) != HOP_OK) {
        error_prefix(err, RAMDISK_NOT_FOUND_NONE);
        if (err)
            err->code = HOP_ERR_NOTFOUND;
        return HOP_ERR_NOTFOUND;
    }
    return error_set(err, HOP_ERR_NOTFOUND, RAMDISK_NOT_FOUND_NONE ": none of the %zu "
                     "module(s) is a cpio newc archive or a gzip of one", n);
}

static int ramdisk_find_in_modules(const struct ramdisk *rd, const char *path,
                                   struct ramdisk_file *file, struct hop_error *err)
{
    for (size_t i = 0; path[0] && i < rd->bi->module_count; i++) {
        if (!ramdisk_module_matches(&rd->bi->modules[i], path))
            continue;
        file->from_module = true;
        return ramdisk_map_module(rd, i, &file->data, &file->size, err);
    }
    return ramdisk_not_found(rd, err);
}

static int ramdisk_find_in_archive(const struct ramdisk *rd, const char *path,
                                   struct ramdisk_file *file, struct hop_error *err)
{
    struct cpio_entry e;
    if (!rd->archive)
        return HOP_ERR_NOTFOUND;
    int rc = cpio_lookup(rd->archive, rd->archive_size, path, &e, err);
    if (rc)
        return rc;
    if (e.type != CPIO_REGULAR)
        return error_set(err, HOP_ERR_INVALID, "is a %s, not a regular file",
                         e.type == CPIO_DIRECTORY ? "directory" : "special file");
    file->data = e.data;
    file->size = e.size;
    return HOP_OK;
}

int ramdisk_open_file(const struct ramdisk *rd, const char *path,
                      struct ramdisk_file *file, struct hop_error *err)
{
    char norm[CPIO_PATH_MAX];
    *file = (struct ramdisk_file){ .data = ramdisk_empty };
    int rc = cpio_path_normalize(path, strlen(path), norm, sizeof(norm), err);
    if (rc) {
        error_prefix(err, "%s", path);
        return rc;
    }
    fmt_snprintf(file->path, sizeof(file->path), "/%s", norm);
    rc = ramdisk_find_in_archive(rd, norm, file, err);
    if (rc == HOP_ERR_NOTFOUND)
        rc = ramdisk_find_in_modules(rd, norm, file, err);
    if (rc == HOP_OK && gzip_has_magic(file->data, file->size)) {
        rc = ramdisk_gunzip(rd, file->path, file->data, file->size, &file->data, &file->size,
                            err);
        file->was_compressed = true;
    }
    if (rc) {
        file->data = ramdisk_empty;
        file->size = 0;
        error_prefix(err, "%s", file->path);
        return rc;
    }
    return HOP_OK;
}

int ramdisk_list_dir(const struct ramdisk *rd, const char *dir, cpio_list_fn fn,
                     void *ctx, struct hop_error *err)
{
    if (!rd->archive)
        return error_set(err, HOP_ERR_NOTFOUND, "%s: there is no ramdisk", dir);
    int rc = cpio_list_dir(rd->archive, rd->archive_size, dir, fn, ctx, err);
    if (rc < 0)
        error_prefix(err, "%s", dir);
    return rc;
}
