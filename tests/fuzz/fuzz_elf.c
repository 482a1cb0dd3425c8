/* libFuzzer target: src/parse/elf.c, and src/parse/mbheader.c on the same bytes (a
 * kernel file is searched for both).  The input is copied into an exactly
 * sized heap block so ASan reports any read past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/elf.h"
#include "parse/mbheader.h"

static volatile uint8_t sink; /* keeps the byte reads below alive */

static void touch(const void *p, uint64_t len)
{
    const uint8_t *b = p;
    uint8_t x = 0;
    for (uint64_t i = 0; i < len; i++)
        x ^= b[i];
    sink = x;
}

/* What elf_parse promises about a file it accepted. */
static void check_image(const struct elf_image *img, size_t size)
{
    uint64_t entry;
    struct hop_error err;
    struct elf_note_iter it = { 0, 0 };
    struct elf_note note;
    const void *desc;
    size_t len;
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct elf_segment *s = &img->segments[i];
        const void *data;
        if (s->offset > size || s->filesz > size - s->offset ||
            s->filesz > s->memsz || s->memsz == 0 ||
            s->paddr + s->memsz < s->paddr || s->vaddr + s->memsz < s->vaddr)
            abort();
        if (elf_segment_data(img, i, &data) != HOP_OK)
            abort();
        touch(data, s->filesz);
        for (size_t j = 0; j < i; j++) {
            const struct elf_segment *t = &img->segments[j];
            if (s->paddr < t->paddr + t->memsz && t->paddr < s->paddr + s->memsz)
                abort();
        }
    }
    if (elf_entry_paddr(img, &entry, &err) == HOP_OK &&
        (entry < img->paddr_min || entry >= img->paddr_end))
        abort();
    while (elf_note_next(img, &it, &note)) {
        touch(note.name, note.namesz);
        touch(note.desc, note.descsz);
    }
    if (elf_find_note(img, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len) ==
        HOP_OK)
        touch(desc, len);
}

static void check_mb(const uint8_t *data, size_t size)
{
    static struct mb1_header h1;
    static struct mb2_header h2;
    struct hop_error err;
    if (mb1_header_find(&h1, data, size, "fuzz", &err) == HOP_OK &&
        h1.has_addresses) {
        if (h1.layout.file_offset > size ||
            h1.layout.load_size > size - h1.layout.file_offset)
            abort();
        touch(data + h1.layout.file_offset, h1.layout.load_size);
    }
    if (mb2_header_find(&h2, data, size, "fuzz", &err) == HOP_OK) {
        if (h2.offset + h2.header_length > size || h2.header_length < 16 ||
            h2.info_request_count > MB2_MAX_INFO_REQUESTS)
            abort();
        if (mb2_header_has(&h2, MB2_HEADER_TAG_ADDRESS))
            touch(data + h2.layout.file_offset, h2.layout.load_size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct elf_image img;
    struct hop_error err;
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (elf_parse(&img, copy, size, "fuzz", &err) == HOP_OK)
        check_image(&img, size);
    else if (err.msg[0] == '\0' || err.code >= 0)
        abort();
    check_mb(copy, size);
    free(copy);
    return 0;
}
