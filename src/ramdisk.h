/* The RAM disk: where hop finds the files its configuration names.
 *
 * It is a cpio newc archive given as a boot module: the module whose command
 * line's first word is "ramdisk", else the first module that is a cpio
 * archive or a gzip file of one.  A gzip-compressed archive is decompressed
 * once, into memory from the caller's allocator.
 *
 * Files are looked up by path (see cpio_lookup: normalised, symlinks and
 * hard links followed).  A path the archive lacks may name another boot
 * module instead: by its command line's first word, or that word's last
 * component ("/boot/vmlinuz" and "vmlinuz" both find a module loaded as
 * "/boot/vmlinuz").  Either way, contents starting with the gzip magic are
 * decompressed transparently. */
#ifndef HOP_RAMDISK_H
#define HOP_RAMDISK_H

#include "parse/bootinfo.h"
#include "parse/cpio.h"
#include "lib/error.h"
#include "lib/types.h"

#define RAMDISK_MODULE_NAME "ramdisk"
/* Default cap on the size of anything decompressed: gzip's ISIZE is only a
 * claim, and a false one must not make hop allocate all of memory. */
#define RAMDISK_INFLATE_MAX ((size_t)1 << 30)
/* Decompressed data is page-aligned so later stages may use it in place. */
#define RAMDISK_INFLATE_ALIGN PAGE_SIZE

/* hop's allocator: size bytes aligned to align, or NULL when out of memory.
 * Memory is never given back. */
typedef void *(*ramdisk_alloc_fn)(void *ctx, size_t size, size_t align);

/* What the RAM disk needs from its caller. */
struct ramdisk_source {
    struct phys_access phys; /* readable views of module ranges */
    ramdisk_alloc_fn alloc;
    void *alloc_ctx;
    size_t inflate_max; /* 0: RAMDISK_INFLATE_MAX */
};

struct ramdisk {
    const struct bootinfo *bi;
    struct ramdisk_source src;
    const struct boot_module *module; /* holding the archive; NULL if none */
    size_t module_index;
    const uint8_t *archive; /* the cpio archive (decompressed); NULL if none */
    size_t archive_size;
    bool archive_was_compressed;
};

struct ramdisk_file {
    const uint8_t *data; /* in the archive, a module or allocated memory */
    size_t size;
    bool was_compressed;  /* data is the decompressed contents */
    bool from_module;     /* found as a boot module, not in the archive */
    char path[CPIO_PATH_MAX + 1]; /* the path asked for, normalised, with '/' */
};

/* Chooses the RAM disk among bi's modules, decompresses it if needed and
 * checks the whole archive (structure and 070702 checksums).  Having no RAM
 * disk module is not an error (rd->archive is then NULL and only modules can
 * be opened; ramdisk_why_not tells why each module is none); a module named
 * "ramdisk" that is not a (gzipped) cpio archive is, and so is a RAM disk
 * that does not lie in RAM (bi's memory map, when it has one).  bi must
 * outlive rd. */
int ramdisk_open(struct ramdisk *rd, const struct bootinfo *bi,
                 const struct ramdisk_source *src, struct hop_error *err);

/* Why module i of rd's bootinfo is not a RAM disk, for telling the user why
 * there is none: fills err ("module 1 \"foo\": not a RAM disk: starts with
 * 3f 8a 00 11, neither cpio newc (...) nor gzip (1f 8b)"; "...: 0 bytes";
 * "...: gzip: ..."; or "module 1 \"foo\": [a, b) runs past the end of RAM:
 * c is in no region of the memory map, beyond usable RAM [d, e)") and
 * returns its code, or HOP_OK when the module is a cpio archive or a gzip
 * of one. */
int ramdisk_why_not(const struct ramdisk *rd, size_t i, struct hop_error *err);

/* Finds a regular file by path (or a module by name) and returns its
 * contents, decompressed if gzip.  Errors name the path ("/boot/k.gz: gzip:
 * CRC32 0x1234abcd does not match trailer 0xdeadbeef"); HOP_ERR_NOTFOUND when
 * neither the archive nor a module has it. */
int ramdisk_open_file(const struct ramdisk *rd, const char *path,
                      struct ramdisk_file *file, struct hop_error *err);

/* Lists the archive directory dir (see cpio_list_dir). */
int ramdisk_list_dir(const struct ramdisk *rd, const char *dir, cpio_list_fn fn,
                     void *ctx, struct hop_error *err);

#endif
