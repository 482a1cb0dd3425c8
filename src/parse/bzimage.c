/* Reading the setup header of a Linux bzImage (boot.rst, "The Real-Mode
 * Kernel Header" and "Details of Header Fields").  Every field is read
 * through bz_field, which checks it against the part of the file already
 * known to be header; sizes and offsets taken from the header are checked
 * against the file before they are used. */
#include "parse/bzimage.h"

typedef unsigned long long ull; /* what %llx prints */

/* What the reader knows so far: fields may be read below limit. */
struct bz_reader {
    const uint8_t *data;
    size_t limit;
    const char *limit_name; /* what ends at limit */
    uint16_t version;
    const char *path;
    struct hop_error *err;
};

static unsigned bz_major(uint16_t version) { return version >> 8; }
static unsigned bz_minor(uint16_t version) { return version & 0xff; }

/* Reads the little-endian field of width bytes at off into *val, or fails
 * naming it when it lies past what is known to be header. */
static int bz_field(const struct bz_reader *r, size_t off, size_t width,
                    const char *name, uint64_t *val)
{
    *val = 0;
    if (off > r->limit || width > r->limit - off) {
        if (r->version == 0) /* not read yet */
            return error_set(r->err, HOP_ERR_TRUNCATED,
                             "%s: %s at 0x%zx, before %s at 0x%zx", r->path,
                             r->limit_name, r->limit, name, off);
        return error_set(r->err, HOP_ERR_TRUNCATED,
                         "%s: %s at 0x%zx, before %s at 0x%zx (boot "
                         "protocol %u.%02u)", r->path, r->limit_name,
                         r->limit, name, off, bz_major(r->version),
                         bz_minor(r->version));
    }
    for (size_t i = width; i-- > 0;)
        *val = *val << 8 | r->data[off + i];
    return HOP_OK;
}

#define BZ_READ(r, off, type, name, dst)                                       \
    do {                                                                       \
        uint64_t v_;                                                           \
        int rc_ = bz_field((r), (off), sizeof(type), (name), &v_);             \
        if (rc_)                                                               \
            return rc_;                                                        \
        (dst) = (type)v_;                                                      \
    } while (0)

static bool bz_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* The signatures, the version and where the header ends. */
static int bz_identify(struct bz_reader *r, size_t size, struct bzimage *out)
{
    uint16_t boot_flag, version;
    uint32_t magic;
    uint8_t jump_opcode, jump_offset;
    size_t end;

    r->limit = MIN(size, (size_t)BZ_OFF_VERSION + sizeof(uint16_t));
    r->limit_name = "file ends";
    /* Too short for a boot sector: nothing says it was meant to be a bzImage
     * (an ELF or a multiboot image can be this small). */
    if (size < BZ_OFF_BOOT_FLAG + sizeof(uint16_t))
        return error_set(r->err, HOP_ERR_NOTFOUND, "%s: not a bzImage: %zu bytes, shorter "
                         "than a boot sector", r->path, size);
    BZ_READ(r, BZ_OFF_BOOT_FLAG, uint16_t, "boot_flag", boot_flag);
    if (boot_flag != BZ_BOOT_FLAG)
        return error_set(r->err, HOP_ERR_NOTFOUND,
                         "%s: not a bzImage: boot_flag at 0x1fe is 0x%04x, "
                         "not 0x%04x", r->path, boot_flag, BZ_BOOT_FLAG);
    BZ_READ(r, BZ_OFF_HEADER, uint32_t, "header (\"HdrS\")", magic);
    if (magic != BZ_HEADER_MAGIC)
        return error_set(r->err, HOP_ERR_NOTFOUND,
                         "%s: not a bzImage: header at 0x202 is 0x%08x, not "
                         "\"HdrS\" 0x%08x", r->path, magic, BZ_HEADER_MAGIC);
    BZ_READ(r, BZ_OFF_VERSION, uint16_t, "version", version);
    r->version = out->version = version;
    if (version < BZ_PROTOCOL_MIN)
        return error_set(r->err, HOP_ERR_UNSUPPORTED,
                         "%s: boot protocol %u.%02u is older than %u.%02u "
                         "(version 0x%04x at 0x206)", r->path,
                         bz_major(version), bz_minor(version),
                         bz_major(BZ_PROTOCOL_MIN), bz_minor(BZ_PROTOCOL_MIN),
                         version);

    BZ_READ(r, BZ_OFF_JUMP, uint8_t, "jump", jump_opcode);
    BZ_READ(r, BZ_OFF_JUMP + 1, uint8_t, "jump offset", jump_offset);
    if (jump_opcode != BZ_JUMP_OPCODE || jump_offset > BZ_JUMP_MAX_FORWARD)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: jump at 0x200 is %02x %02x, not a forward short "
                         "jump (0x%02x, 0..0x%02x) giving the header's end",
                         r->path, jump_opcode, jump_offset, BZ_JUMP_OPCODE,
                         BZ_JUMP_MAX_FORWARD);
    end = (size_t)BZ_JUMP_BASE + jump_offset;
    if (end > size)
        return error_set(r->err, HOP_ERR_TRUNCATED,
                         "%s: setup header ends at 0x%zx (jump offset 0x%02x "
                         "at 0x201), past the file end 0x%zx", r->path, end,
                         jump_offset, size);
    r->limit = end;
    r->limit_name = "setup header ends (jump at 0x200)";
    out->header = r->data + BZ_SETUP_HEADER_START;
    out->header_size = end - BZ_SETUP_HEADER_START;
    return HOP_OK;
}

/* The real-mode and protected-mode parts lie within the file. */
static int bz_parts(struct bz_reader *r, size_t size, struct bzimage *out)
{
    uint8_t loadflags;
    uint32_t syssize;
    size_t sects, pm_end;

    BZ_READ(r, BZ_OFF_LOADFLAGS, uint8_t, "loadflags", loadflags);
    out->loadflags = loadflags;
    if (!(loadflags & BZ_LOADED_HIGH))
        return error_set(r->err, HOP_ERR_UNSUPPORTED,
                         "%s: loadflags 0x%02x lacks LOADED_HIGH: a zImage, "
                         "loaded at 0x10000", r->path, loadflags);

    BZ_READ(r, BZ_OFF_SETUP_SECTS, uint8_t, "setup_sects", out->setup_sects);
    sects = out->setup_sects ? out->setup_sects : BZ_SETUP_SECTS_DEFAULT;
    out->setup_size = (sects + 1) * BZ_SECTOR_SIZE; /* at most 256 * 512 */
    if (out->setup_size > size)
        return error_set(r->err, HOP_ERR_TRUNCATED,
                         "%s: setup_sects %u: the real-mode part (0x%zx "
                         "bytes) runs past the file end 0x%zx", r->path,
                         out->setup_sects, out->setup_size, size);

    BZ_READ(r, BZ_OFF_SYSSIZE, uint32_t, "syssize", syssize);
    if (syssize == 0)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: syssize 0: no protected-mode code", r->path);
    out->pm_offset = out->setup_size;
    if (MUL_OVERFLOWS((size_t)syssize, (size_t)BZ_SYSSIZE_UNIT, &out->pm_size) ||
        ADD_OVERFLOWS(out->pm_offset, out->pm_size, &pm_end) || pm_end > size)
        return error_set(r->err, HOP_ERR_TRUNCATED,
                         "%s: syssize 0x%x: the protected-mode part (0x%llx "
                         "bytes from 0x%zx) runs past the file end 0x%zx",
                         r->path, syssize,
                         (ull)syssize * BZ_SYSSIZE_UNIT, out->pm_offset, size);
    if (out->pm_size > UINT32_MAX) /* init_size, a u32, must cover it */
        return error_set(r->err, HOP_ERR_RANGE,
                         "%s: syssize 0x%x: a protected-mode part of 0x%zx "
                         "bytes does not fit in 4 GiB", r->path, syssize,
                         out->pm_size);
    return HOP_OK;
}

/* kernel_alignment, relocatable_kernel and min_alignment (2.05+, 2.10+). */
static int bz_alignment(struct bz_reader *r, struct bzimage *out)
{
    uint8_t relocatable, min_log2 = 0;

    BZ_READ(r, BZ_OFF_KERNEL_ALIGNMENT, uint32_t, "kernel_alignment",
            out->kernel_alignment);
    BZ_READ(r, BZ_OFF_RELOCATABLE_KERNEL, uint8_t, "relocatable_kernel",
            relocatable);
    out->relocatable = relocatable != 0;
    if (!bz_is_pow2(out->kernel_alignment) &&
        (out->relocatable || out->kernel_alignment != 0))
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: kernel_alignment 0x%x is not a power of two%s",
                         r->path, out->kernel_alignment,
                         out->relocatable ? " (relocatable kernel)" : "");

    out->min_alignment = out->kernel_alignment;
    if (r->version >= BZ_PROTOCOL(2, 10))
        BZ_READ(r, BZ_OFF_MIN_ALIGNMENT, uint8_t, "min_alignment", min_log2);
    if (min_log2 == 0)
        return HOP_OK;
    if (min_log2 >= 32 ||
        (out->relocatable && (1ull << min_log2) > out->kernel_alignment))
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: min_alignment %u (2^%u bytes) is above "
                         "kernel_alignment 0x%x", r->path, min_log2, min_log2,
                         out->kernel_alignment);
    out->min_alignment = 1u << min_log2;
    return HOP_OK;
}

/* An offset into the protected-mode part: off + need bytes lie inside it. */
static int bz_pm_range(const struct bz_reader *r, const struct bzimage *out,
                       const char *name, uint64_t off, uint64_t need)
{
    if (off > out->pm_size || need > out->pm_size - off)
        return error_set(r->err, HOP_ERR_RANGE,
                         "%s: %s 0x%llx (+0x%llx bytes) lies outside the "
                         "protected-mode part (0x%zx bytes)", r->path, name,
                         (ull)off, (ull)need, out->pm_size);
    return HOP_OK;
}

static uint32_t bz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* kernel_info (2.15+): "LToP", size <= size_total, inside the part. */
static int bz_kernel_info(const struct bz_reader *r, struct bzimage *out)
{
    const uint8_t *ki;
    uint32_t magic, ki_size, ki_total;
    int rc;

    if (out->kernel_info_offset == 0)
        return HOP_OK;
    rc = bz_pm_range(r, out, "kernel_info_offset", out->kernel_info_offset,
                     BZ_KERNEL_INFO_FIXED_SIZE);
    if (rc)
        return rc;
    ki = r->data + out->pm_offset + out->kernel_info_offset;
    magic = bz_le32(ki);
    ki_size = bz_le32(ki + BZ_KERNEL_INFO_OFF_SIZE);
    ki_total = bz_le32(ki + BZ_KERNEL_INFO_OFF_SIZE_TOTAL);
    if (magic != BZ_KERNEL_INFO_MAGIC)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: kernel_info at 0x%x: header 0x%08x, not \"LToP\" "
                         "0x%08x", r->path, out->kernel_info_offset, magic,
                         BZ_KERNEL_INFO_MAGIC);
    if (ki_size < BZ_KERNEL_INFO_FIXED_SIZE || ki_size > ki_total)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: kernel_info at 0x%x: size 0x%x below 0x%x or "
                         "above size_total 0x%x", r->path,
                         out->kernel_info_offset, ki_size,
                         BZ_KERNEL_INFO_FIXED_SIZE, ki_total);
    rc = bz_pm_range(r, out, "kernel_info size_total", out->kernel_info_offset,
                     ki_total);
    if (rc)
        return rc;
    out->setup_type_max = bz_le32(ki + BZ_KERNEL_INFO_OFF_SETUP_TYPE_MAX);
    return HOP_OK;
}

/* Where the kernel runs and how much room it needs (2.10+), or the
 * fallback documented in bzimage.h. */
static int bz_placement(struct bz_reader *r, struct bzimage *out)
{
    if (r->version < BZ_PROTOCOL(2, 10)) {
        uint64_t guess = ALIGN_UP((uint64_t)out->pm_size, PAGE_SIZE) *
                         BZ_INIT_SIZE_GUESS_FACTOR;
        out->pref_address = BZ_LOAD_ADDRESS_DEFAULT;
        out->init_size = guess > UINT32_MAX ? UINT32_MAX : (uint32_t)guess;
        out->init_size_guessed = true;
        return HOP_OK;
    }
    BZ_READ(r, BZ_OFF_PREF_ADDRESS, uint64_t, "pref_address",
            out->pref_address);
    BZ_READ(r, BZ_OFF_INIT_SIZE, uint32_t, "init_size", out->init_size);
    if (out->init_size < out->pm_size)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: init_size 0x%x is smaller than the "
                         "protected-mode part (0x%zx bytes)%s", r->path,
                         out->init_size, out->pm_size,
                         out->relocatable ? " of a relocatable kernel" : "");
    if (out->relocatable && out->pref_address % out->min_alignment)
        return error_set(r->err, HOP_ERR_INVALID,
                         "%s: pref_address 0x%llx is not aligned to the "
                         "kernel's minimum alignment 0x%x", r->path,
                         (ull)out->pref_address, out->min_alignment);
    uint64_t end;
    if (ADD_OVERFLOWS(out->pref_address, (uint64_t)out->init_size, &end))
        return error_set(r->err, HOP_ERR_RANGE,
                         "%s: pref_address 0x%llx + init_size 0x%x passes "
                         "the end of the address space", r->path,
                         (ull)out->pref_address, out->init_size);
    return HOP_OK;
}

/* handover_offset (2.11+): the EFI handover entries xloadflags announce lie
 * in the protected-mode part (boot.rst, "EFI Handover Protocol"). */
static int bz_handover(struct bz_reader *r, struct bzimage *out)
{
    int rc = HOP_OK;

    if (r->version >= BZ_PROTOCOL(2, 11))
        BZ_READ(r, BZ_OFF_HANDOVER_OFFSET, uint32_t, "handover_offset",
                out->handover_offset);
    if (out->xloadflags & XLF_EFI_HANDOVER_32)
        rc = bz_pm_range(r, out, "handover_offset (XLF_EFI_HANDOVER_32)",
                         out->handover_offset, 1);
    if (!rc && (out->xloadflags & XLF_EFI_HANDOVER_64))
        rc = bz_pm_range(r, out, "handover_offset + 0x200 (XLF_EFI_HANDOVER_64)",
                         (uint64_t)out->handover_offset + BZ_ENTRY64_OFFSET, 1);
    return rc;
}

/* The entries and embedded structures the protected-mode part holds. */
static int bz_entries(struct bz_reader *r, struct bzimage *out)
{
    int rc;

    if (r->version >= BZ_PROTOCOL(2, 12))
        BZ_READ(r, BZ_OFF_XLOADFLAGS, uint16_t, "xloadflags", out->xloadflags);
    out->has_entry64 = (out->xloadflags & XLF_KERNEL_64) != 0;
    if (out->has_entry64) {
        rc = bz_pm_range(r, out, "64-bit entry (XLF_KERNEL_64)",
                         BZ_ENTRY64_OFFSET, 1);
        if (rc)
            return rc;
        out->entry64_offset = BZ_ENTRY64_OFFSET;
    }

    if (r->version >= BZ_PROTOCOL(2, 8)) {
        BZ_READ(r, BZ_OFF_PAYLOAD_OFFSET, uint32_t, "payload_offset",
                out->payload_offset);
        BZ_READ(r, BZ_OFF_PAYLOAD_LENGTH, uint32_t, "payload_length",
                out->payload_length);
        rc = bz_pm_range(r, out, "payload_offset", out->payload_offset,
                         out->payload_length);
        if (rc)
            return rc;
    }

    rc = bz_handover(r, out);
    if (rc)
        return rc;

    if (r->version >= BZ_PROTOCOL(2, 15))
        BZ_READ(r, BZ_OFF_KERNEL_INFO_OFFSET, uint32_t, "kernel_info_offset",
                out->kernel_info_offset);
    return bz_kernel_info(r, out);
}

int bzimage_parse(const uint8_t *data, size_t size, const char *path,
                  struct bzimage *out, struct hop_error *err)
{
    struct bz_reader r = { data, 0, "file ends", 0, path, err };
    int rc;

    *out = (struct bzimage){ 0 };
    rc = bz_identify(&r, size, out);
    if (!rc)
        rc = bz_parts(&r, size, out);
    if (rc)
        return rc;
    BZ_READ(&r, BZ_OFF_CODE32_START, uint32_t, "code32_start",
            out->code32_start);
    BZ_READ(&r, BZ_OFF_INITRD_ADDR_MAX, uint32_t, "initrd_addr_max",
            out->initrd_addr_max);
    BZ_READ(&r, BZ_OFF_CMDLINE_SIZE, uint32_t, "cmdline_size",
            out->cmdline_size);
    rc = bz_alignment(&r, out);
    if (!rc)
        rc = bz_placement(&r, out);
    if (!rc)
        rc = bz_entries(&r, out);
    return rc;
}
