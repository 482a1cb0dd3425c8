/* libFuzzer target: src/parse/mbheader.c.  The input is copied into an exactly
 * sized heap block so ASan reports any read past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/mbheader.h"

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t len)
{
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= p[i];
    sink = x;
}

/* What the finders promise about a layout they accepted. */
static void check_layout(const struct mb_load_layout *l, const uint8_t *data,
                         size_t size)
{
    if (l->file_offset > size || l->load_size > size - l->file_offset ||
        l->load_addr + l->load_size > 0x100000000ull ||
        l->mem_end < l->load_addr + l->load_size)
        abort();
    touch(data + l->file_offset, l->load_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mb1_header h1;
    static struct mb2_header h2;
    struct hop_error err = { 0, "" };
    uint8_t *copy = malloc(size ? size : 1);
    int rc;
    memcpy(copy, data, size);
    rc = mb1_header_find(&h1, copy, size, "fuzz", &err);
    if (rc == HOP_OK) {
        if (h1.offset % MB1_HEADER_ALIGN || h1.offset + 12 > MB1_SEARCH_END)
            abort();
        if (h1.has_addresses)
            check_layout(&h1.layout, copy, size);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    rc = mb2_header_find(&h2, copy, size, "fuzz", &err);
    if (rc == HOP_OK) {
        if (h2.offset % MB2_HEADER_ALIGN ||
            h2.offset + h2.header_length > MIN(size, (size_t)MB2_SEARCH_END))
            abort();
        if (mb2_header_has(&h2, MB2_HEADER_TAG_ADDRESS))
            check_layout(&h2.layout, copy, size);
    }
    free(copy);
    return 0;
}
