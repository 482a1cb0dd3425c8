/* The boot information entry point: bootinfo_parse picks the parser by the
 * magic the loader passed (multiboot2 in bootinfo_mb2.c, multiboot1 in
 * bootinfo_mb1.c), and bootinfo_find_module looks up what they found.  What
 * the two parsers share is inline in bootinfo_priv.h: calls between files go
 * one way (docs/conventions.md), and this file calls the parsers. */
#include "parse/bootinfo_priv.h"

#include "lib/string.h"

/* ==========================================================================
 * Modules
 * ========================================================================== */

static size_t first_word_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != ' ' && s[n] != '\t')
        n++;
    return n;
}

const struct boot_module *bootinfo_find_module(const struct bootinfo *bi,
                                               const char *name)
{
    if (!bi || !name)
        return NULL;
    if (name[0] == '/')
        name++;
    size_t name_len = strlen(name);
    if (name_len == 0)
        return NULL;
    for (size_t i = 0; i < bi->module_count && i < BOOTINFO_MAX_MODULES; i++) {
        const char *word = bi->modules[i].cmdline;
        if (word[0] == '/')
            word++;
        if (first_word_len(word) == name_len && memcmp(word, name, name_len) == 0)
            return &bi->modules[i];
    }
    return NULL;
}

/* ==========================================================================
 * Entry point
 * ========================================================================== */

int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info_addr,
                   const struct phys_access *pa, struct hop_error *err)
{
    if (!bi || !pa || !pa->map)
        return error_set(err, HOP_ERR_INVALID, "bootinfo_parse: no bootinfo or phys_access");
    memset(bi, 0, sizeof(*bi));
    bi->cmdline = "";
    bi->loader_name = "";
    switch (magic) {
    case MB2_BOOTLOADER_MAGIC: return bootinfo_parse_mb2(bi, info_addr, pa, err);
    case MB1_BOOTLOADER_MAGIC: return bootinfo_parse_mb1(bi, info_addr, pa, err);
    default:
        return error_set(err, HOP_ERR_UNSUPPORTED, "unknown boot loader magic 0x%x", magic);
    }
}
