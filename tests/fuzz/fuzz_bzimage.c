/* libFuzzer target: src/parse/bzimage.c.  The input is copied into an exactly
 * sized heap block so ASan reports any read past its end; an accepted image
 * must keep the promises bzimage.h makes about it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/bzimage.h"

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t len)
{
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= p[i];
    sink = x;
}

static bool inside_pm(const struct bzimage *bz, uint64_t off, uint64_t len)
{
    return off <= bz->pm_size && len <= bz->pm_size - off;
}

static void check(const struct bzimage *bz, const uint8_t *data, size_t size)
{
    if (bz->version < BZ_PROTOCOL_MIN || bz->setup_size > size ||
        bz->pm_offset != bz->setup_size || bz->pm_size == 0 ||
        bz->pm_size > size - bz->pm_offset)
        abort();
    if (bz->header != data + BZ_SETUP_HEADER_START ||
        bz->header_size > BZ_SETUP_HEADER_MAX_SIZE ||
        BZ_SETUP_HEADER_START + bz->header_size > size)
        abort();
    if (bz->relocatable && (bz->kernel_alignment == 0 ||
                            (bz->kernel_alignment & (bz->kernel_alignment - 1)) ||
                            bz->min_alignment > bz->kernel_alignment))
        abort();
    if (bz->init_size < bz->pm_size || !(bz->loadflags & BZ_LOADED_HIGH))
        abort();
    if (bz->has_entry64 && !inside_pm(bz, bz->entry64_offset, 1))
        abort();
    if (!inside_pm(bz, bz->payload_offset, bz->payload_length))
        abort();
    if (bz->kernel_info_offset &&
        !inside_pm(bz, bz->kernel_info_offset, BZ_KERNEL_INFO_FIXED_SIZE))
        abort();
    touch(bz->header, bz->header_size);
    touch(data + bz->pm_offset + bz->payload_offset, bz->payload_length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bzimage bz;
    struct hop_error err = { 0, "" };
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (bzimage_parse(copy, size, "fuzz", &bz, &err) == HOP_OK)
        check(&bz, copy, size);
    else if (err.msg[0] == '\0' || err.code == HOP_OK)
        abort();
    free(copy);
    return 0;
}
