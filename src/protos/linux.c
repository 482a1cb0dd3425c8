/* struct boot_params ("the zero page") for the x86 64-bit boot protocol of
 * a vmlinux ELF (Linux Documentation/arch/x86/boot.rst, "64-bit Boot
 * Protocol", and zero-page.rst).  A vmlinux carries no setup header of its
 * own, so hop writes the fields the 64-bit entry and the kernel proper read:
 * the header magic and version, the loader type, the command line, the
 * initrd, the e820 map (entries past 128 in a SETUP_E820_EXT setup_data),
 * the ACPI RSDP address and the screen.  RSI carries the block's address,
 * which may lie anywhere (the 64-bit fields have high halves). */
#include "protos/proto.h"

#include "lib/string.h"

#define LINUX_PROTO "Linux boot_params"
#define LINUX_INFO_ALIGN 16

/* boot.rst, "The real-mode kernel header" and "Details of header fields" */
#define LINUX_BOOT_FLAG 0xAA55u
#define LINUX_HEADER_MAGIC 0x53726448u /* "HdrS" */
#define LINUX_PROTOCOL_VERSION 0x020Fu /* 2.15 */
#define LINUX_LOADER_UNDEFINED 0xFFu   /* type_of_loader: no assigned ID */
#define LINUX_LOADED_HIGH (1u << 0)    /* loadflags: kernel not at 0x10000 */
/* root_flags: what every bzImage header says (ROOT_RDONLY), so one command
 * line mounts the root alike whether GRUB boots the bzImage or hop the
 * vmlinux ("rw" on the command line overrides). */
#define LINUX_ROOT_RDONLY 1u
/* cmdline_size: x86's COMMAND_LINE_SIZE is 2048, the NUL included; the
 * kernel copies no more. */
#define LINUX_CMDLINE_MAX 2047u
#define LINUX_SUBARCH_PC 0u

/* zero-page.rst: e820_table holds 128 entries; the rest go in setup_data. */
#define LINUX_E820_MAX_ZEROPAGE 128u
#define LINUX_SETUP_E820_EXT 1u /* setup_data type */

/* screen_info (zero-page.rst offset 0, include/uapi/linux/screen_info.h) */
#define VIDEO_TYPE_VGAC 0x22u /* VGA+ colour text */
#define VIDEO_TYPE_VLFB 0x23u /* VESA linear framebuffer */
#define VIDEO_TYPE_EFI 0x70u  /* EFI graphic output */
#define VIDEO_CAPABILITY_64BIT_BASE (1u << 1) /* ext_lfb_base is valid */
#define VGA_MODE_COLOR_TEXT 3u   /* BIOS mode 3: colour text */
#define VGA_TEXT_FONT_HEIGHT 16u /* orig_video_points: the VGA 8x16 font */
#define VLFB_SIZE_UNIT 65536u    /* VLFB lfb_size counts 64 KiB; EFI, bytes */

struct linux_screen_info {
    uint8_t orig_x, orig_y;             /* 0x00 */
    uint16_t ext_mem_k;                 /* 0x02 */
    uint16_t orig_video_page;           /* 0x04 */
    uint8_t orig_video_mode;            /* 0x06 */
    uint8_t orig_video_cols;            /* 0x07 */
    uint8_t flags, unused2;             /* 0x08 */
    uint16_t orig_video_ega_bx;         /* 0x0a */
    uint16_t unused3;                   /* 0x0c */
    uint8_t orig_video_lines;           /* 0x0e */
    uint8_t orig_video_isVGA;           /* 0x0f */
    uint16_t orig_video_points;         /* 0x10 */
    uint16_t lfb_width, lfb_height;     /* 0x12 */
    uint16_t lfb_depth;                 /* 0x16 */
    uint32_t lfb_base;                  /* 0x18 */
    uint32_t lfb_size;                  /* 0x1c */
    uint16_t cl_magic, cl_offset;       /* 0x20 */
    uint16_t lfb_linelength;            /* 0x24 */
    uint8_t red_size, red_pos;          /* 0x26 */
    uint8_t green_size, green_pos;      /* 0x28 */
    uint8_t blue_size, blue_pos;        /* 0x2a */
    uint8_t rsvd_size, rsvd_pos;        /* 0x2c */
    uint16_t vesapm_seg, vesapm_off;    /* 0x2e */
    uint16_t pages;                     /* 0x32 */
    uint16_t vesa_attributes;           /* 0x34 */
    uint32_t capabilities;              /* 0x36 */
    uint32_t ext_lfb_base;              /* 0x3a */
    uint8_t reserved[2];                /* 0x3e */
} __attribute__((packed));

/* boot.rst: the setup header, at 0x1F1 of boot_params. */
struct linux_setup_header {
    uint8_t setup_sects;                /* 0x1f1 */
    uint16_t root_flags;                /* 0x1f2 */
    uint32_t syssize;                   /* 0x1f4 */
    uint16_t ram_size, vid_mode;        /* 0x1f8 */
    uint16_t root_dev;                  /* 0x1fc */
    uint16_t boot_flag;                 /* 0x1fe */
    uint16_t jump;                      /* 0x200 */
    uint32_t header;                    /* 0x202 */
    uint16_t version;                   /* 0x206 */
    uint32_t realmode_swtch;            /* 0x208 */
    uint16_t start_sys_seg;             /* 0x20c */
    uint16_t kernel_version;            /* 0x20e */
    uint8_t type_of_loader;             /* 0x210 */
    uint8_t loadflags;                  /* 0x211 */
    uint16_t setup_move_size;           /* 0x212 */
    uint32_t code32_start;              /* 0x214 */
    uint32_t ramdisk_image;             /* 0x218 */
    uint32_t ramdisk_size;              /* 0x21c */
    uint32_t bootsect_kludge;           /* 0x220 */
    uint16_t heap_end_ptr;              /* 0x224 */
    uint8_t ext_loader_ver, ext_loader_type; /* 0x226 */
    uint32_t cmd_line_ptr;              /* 0x228 */
    uint32_t initrd_addr_max;           /* 0x22c */
    uint32_t kernel_alignment;          /* 0x230 */
    uint8_t relocatable_kernel;         /* 0x234 */
    uint8_t min_alignment;              /* 0x235 */
    uint16_t xloadflags;                /* 0x236 */
    uint32_t cmdline_size;              /* 0x238 */
    uint32_t hardware_subarch;          /* 0x23c */
    uint64_t hardware_subarch_data;     /* 0x240 */
    uint32_t payload_offset, payload_length; /* 0x248 */
    uint64_t setup_data;                /* 0x250 */
    uint64_t pref_address;              /* 0x258 */
    uint32_t init_size;                 /* 0x260 */
    uint32_t handover_offset;           /* 0x264 */
    uint32_t kernel_info_offset;        /* 0x268 */
} __attribute__((packed));

struct linux_e820_entry {
    uint64_t addr, size;
    uint32_t type; /* e820 numbers: hop's enum mem_type */
} __attribute__((packed));

/* zero-page.rst.  Fields hop leaves zero are opaque bytes here. */
struct linux_boot_params {
    struct linux_screen_info screen_info;      /* 0x000 */
    uint8_t apm_bios_info[0x14];               /* 0x040 */
    uint8_t pad_054[4];
    uint64_t tboot_addr;                       /* 0x058 */
    uint8_t ist_info[0x10];                    /* 0x060 */
    uint64_t acpi_rsdp_addr;                   /* 0x070 */
    uint8_t pad_078[8];
    uint8_t hd_info[0x20];                     /* 0x080 */
    uint8_t sys_desc_table[0x10];              /* 0x0a0 */
    uint8_t olpc_ofw_header[0x10];             /* 0x0b0 */
    uint32_t ext_ramdisk_image;                /* 0x0c0 */
    uint32_t ext_ramdisk_size;                 /* 0x0c4 */
    uint32_t ext_cmd_line_ptr;                 /* 0x0c8 */
    uint8_t pad_0cc[0x13c - 0xcc];
    uint32_t cc_blob_address;                  /* 0x13c */
    uint8_t edid_info[0x80];                   /* 0x140 */
    uint8_t efi_info[0x20];                    /* 0x1c0 */
    uint32_t alt_mem_k;                        /* 0x1e0 */
    uint32_t scratch;                          /* 0x1e4 */
    uint8_t e820_entries;                      /* 0x1e8 */
    uint8_t eddbuf_entries;                    /* 0x1e9 */
    uint8_t edd_mbr_sig_buf_entries;           /* 0x1ea */
    uint8_t kbd_status;                        /* 0x1eb */
    uint8_t secure_boot;                       /* 0x1ec */
    uint8_t pad_1ed[2];
    uint8_t sentinel;                          /* 0x1ef: must stay 0 */
    uint8_t pad_1f0;
    struct linux_setup_header hdr;             /* 0x1f1 */
    uint8_t pad_26c[0x290 - 0x26c];
    uint8_t edd_mbr_sig_buffer[0x40];          /* 0x290 */
    struct linux_e820_entry e820_table[LINUX_E820_MAX_ZEROPAGE]; /* 0x2d0 */
    uint8_t pad_cd0[0xd00 - 0xcd0];
    uint8_t eddbuf[0x1ec];                     /* 0xd00 */
    uint8_t pad_eec[0x1000 - 0xeec];
} __attribute__((packed));

/* include/uapi/asm/bootparam.h's struct setup_data, as boot.rst describes. */
struct linux_setup_data {
    uint64_t next; /* physical address of the next node, 0 for none */
    uint32_t type;
    uint32_t len;  /* of the data that follows */
} __attribute__((packed));

_Static_assert(sizeof(struct linux_screen_info) == 0x40, "screen_info");
_Static_assert(offsetof(struct linux_screen_info, lfb_base) == 0x18, "lfb_base");
_Static_assert(offsetof(struct linux_screen_info, capabilities) == 0x36, "capabilities");
_Static_assert(offsetof(struct linux_screen_info, ext_lfb_base) == 0x3a, "ext_lfb_base");
_Static_assert(sizeof(struct linux_e820_entry) == 20, "boot_e820_entry");
_Static_assert(sizeof(struct linux_setup_data) == 16, "setup_data");
_Static_assert(sizeof(struct linux_boot_params) == 4096, "boot_params");
_Static_assert(offsetof(struct linux_boot_params, acpi_rsdp_addr) == 0x070, "0x070");
_Static_assert(offsetof(struct linux_boot_params, ext_ramdisk_image) == 0x0c0, "0x0c0");
_Static_assert(offsetof(struct linux_boot_params, ext_cmd_line_ptr) == 0x0c8, "0x0c8");
_Static_assert(offsetof(struct linux_boot_params, alt_mem_k) == 0x1e0, "0x1e0");
_Static_assert(offsetof(struct linux_boot_params, e820_entries) == 0x1e8, "0x1e8");
_Static_assert(offsetof(struct linux_boot_params, sentinel) == 0x1ef, "0x1ef");
_Static_assert(offsetof(struct linux_boot_params, hdr) == 0x1f1, "0x1f1");
_Static_assert(offsetof(struct linux_boot_params, hdr.boot_flag) == 0x1fe, "0x1fe");
_Static_assert(offsetof(struct linux_boot_params, hdr.header) == 0x202, "0x202");
_Static_assert(offsetof(struct linux_boot_params, hdr.type_of_loader) == 0x210, "0x210");
_Static_assert(offsetof(struct linux_boot_params, hdr.ramdisk_image) == 0x218, "0x218");
_Static_assert(offsetof(struct linux_boot_params, hdr.cmd_line_ptr) == 0x228, "0x228");
_Static_assert(offsetof(struct linux_boot_params, hdr.cmdline_size) == 0x238, "0x238");
_Static_assert(offsetof(struct linux_boot_params, hdr.setup_data) == 0x250, "0x250");
_Static_assert(offsetof(struct linux_boot_params, hdr.kernel_info_offset) == 0x268, "0x268");
_Static_assert(offsetof(struct linux_boot_params, e820_table) == 0x2d0, "0x2d0");
_Static_assert(offsetof(struct linux_boot_params, eddbuf) == 0xd00, "0xd00");

#define BP struct linux_boot_params

static uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }

/* ==========================================================================
 * The screen
 * ========================================================================== */

static int linux_screen_text(const struct framebuffer *fb, struct linux_screen_info *si,
                             struct hop_error *err)
{
    if (fb->width > UINT8_MAX || fb->height > UINT8_MAX)
        return error_set(err, HOP_ERR_RANGE, LINUX_PROTO ": text mode %ux%u does not "
                         "fit screen_info's 8-bit columns and lines", fb->width, fb->height);
    si->orig_video_isVGA = VIDEO_TYPE_VGAC;
    si->orig_video_mode = VGA_MODE_COLOR_TEXT;
    si->orig_video_cols = (uint8_t)fb->width;
    si->orig_video_lines = (uint8_t)fb->height;
    si->orig_video_points = VGA_TEXT_FONT_HEIGHT;
    return HOP_OK;
}

/* The bits of a pixel above the colour channels, when some are left. */
static void linux_screen_rsvd(const struct framebuffer *fb, struct linux_screen_info *si)
{
    unsigned top = MAX(fb->red_pos + fb->red_size,
                       MAX(fb->green_pos + fb->green_size, fb->blue_pos + fb->blue_size));
    if (fb->type == FB_RGB && top < fb->bpp) {
        si->rsvd_pos = (uint8_t)top;
        si->rsvd_size = (uint8_t)(fb->bpp - top);
    }
}

/* A linear framebuffer: the EFI type when UEFI's GOP set it up, VESA's
 * otherwise (their lfb_size units differ). */
static int linux_screen_lfb(const struct framebuffer *fb, bool efi,
                            struct linux_screen_info *si, struct hop_error *err)
{
    uint64_t bytes = (uint64_t)fb->pitch * fb->height;
    bool efi_type = efi && fb->type == FB_RGB;
    uint64_t size = efi_type ? bytes : (bytes + VLFB_SIZE_UNIT - 1) / VLFB_SIZE_UNIT;
    if (fb->width > UINT16_MAX || fb->height > UINT16_MAX || fb->pitch > UINT16_MAX ||
        size > UINT32_MAX)
        return error_set(err, HOP_ERR_RANGE, LINUX_PROTO ": framebuffer %ux%u pitch %u "
                         "does not fit screen_info's 16-bit fields", fb->width,
                         fb->height, fb->pitch);
    si->orig_video_isVGA = efi_type ? VIDEO_TYPE_EFI : VIDEO_TYPE_VLFB;
    si->lfb_width = (uint16_t)fb->width;
    si->lfb_height = (uint16_t)fb->height;
    si->lfb_depth = fb->bpp;
    si->lfb_linelength = (uint16_t)fb->pitch;
    si->lfb_size = (uint32_t)size;
    si->lfb_base = lo32(fb->addr);
    si->ext_lfb_base = hi32(fb->addr);
    if (si->ext_lfb_base)
        si->capabilities |= VIDEO_CAPABILITY_64BIT_BASE;
    if (fb->type == FB_RGB) {
        si->red_size = fb->red_size;
        si->red_pos = fb->red_pos;
        si->green_size = fb->green_size;
        si->green_pos = fb->green_pos;
        si->blue_size = fb->blue_size;
        si->blue_pos = fb->blue_pos;
        linux_screen_rsvd(fb, si);
    }
    return HOP_OK;
}

/* All zero (no video information) without a framebuffer. */
static int linux_screen(const struct bootinfo *bi, struct linux_screen_info *si,
                        struct hop_error *err)
{
    const struct framebuffer *fb = handoff_framebuffer(bi);
    memset(si, 0, sizeof(*si));
    if (!fb)
        return HOP_OK;
    if (fb->type == FB_EGA_TEXT)
        return linux_screen_text(fb, si, err);
    return linux_screen_lfb(fb, handoff_booted_from_efi(bi), si, err);
}

/* ==========================================================================
 * Laying out the block
 * ========================================================================== */

static void linux_put_e820(struct handoff_buf *b, size_t off,
                           const struct mem_region *r, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct linux_e820_entry e = { .addr = r[i].start, .size = r[i].end - r[i].start,
                                      .type = r[i].type };
        hbuf_write(b, off + i * sizeof(e), &e, sizeof(e));
    }
}

/* The entries past the zero page's 128, in a SETUP_E820_EXT node; returns
 * its address, 0 when all fit in the zero page.  map->entries is NULL
 * while measuring. */
static paddr_t linux_put_e820_ext(struct handoff_buf *b, const struct handoff_map *map)
{
    if (map->count <= LINUX_E820_MAX_ZEROPAGE)
        return 0;
    size_t n = map->count - LINUX_E820_MAX_ZEROPAGE; /* <= BOOTINFO_MAX_REGIONS */
    size_t len = n * sizeof(struct linux_e820_entry);
    size_t off = hbuf_alloc(b, sizeof(struct linux_setup_data) + len, LINUX_INFO_ALIGN);
    struct linux_setup_data sd = { .next = 0, .type = LINUX_SETUP_E820_EXT,
                                   .len = (uint32_t)len };
    hbuf_write(b, off, &sd, sizeof(sd));
    if (map->entries)
        linux_put_e820(b, off + sizeof(sd), map->entries + LINUX_E820_MAX_ZEROPAGE, n);
    return hbuf_paddr(b, off);
}

/* True when the RSDP the kernel gets is a copy inside the block. */
static bool linux_rsdp_in_block(const struct handoff_input *in)
{
    const void *copy;
    size_t len;
    return !in->rsdp_addr && handoff_rsdp_copy(in->bi, &copy, &len);
}

/* A bzImage's own setup header, copied as boot.rst says ("the setup header
 * ... is loaded into boot_params"), then the loader's fields on top:
 * where the protected-mode part went (code32_start), and the rest as for a
 * vmlinux but for what the header itself says (version, cmdline_size). */
static void linux_put_bzimage_header(struct handoff_buf *b, size_t bp,
                                     const struct handoff_input *in)
{
    const struct bzimage *bz = in->linux_bzimage;
    hbuf_write(b, bp + offsetof(BP, hdr), bz->header,
               MIN(bz->header_size, sizeof(struct linux_setup_header)));
    HBUF_SET(b, bp, BP, hdr.code32_start, lo32(in->linux_load_addr));
}

static void linux_put_header(struct handoff_buf *b, size_t bp, const struct handoff_input *in,
                             paddr_t cmdline, paddr_t setup_data)
{
    if (in->linux_bzimage) {
        linux_put_bzimage_header(b, bp, in);
    } else {
        HBUF_SET(b, bp, BP, hdr.root_flags, LINUX_ROOT_RDONLY);
        HBUF_SET(b, bp, BP, hdr.boot_flag, LINUX_BOOT_FLAG);
        HBUF_SET(b, bp, BP, hdr.header, LINUX_HEADER_MAGIC);
        HBUF_SET(b, bp, BP, hdr.version, LINUX_PROTOCOL_VERSION);
        HBUF_SET(b, bp, BP, hdr.loadflags, LINUX_LOADED_HIGH);
        HBUF_SET(b, bp, BP, hdr.cmdline_size, LINUX_CMDLINE_MAX);
    }
    HBUF_SET(b, bp, BP, hdr.type_of_loader, LINUX_LOADER_UNDEFINED);
    HBUF_SET(b, bp, BP, hdr.hardware_subarch, LINUX_SUBARCH_PC);
    HBUF_SET(b, bp, BP, hdr.cmd_line_ptr, lo32(cmdline));
    HBUF_SET(b, bp, BP, ext_cmd_line_ptr, hi32(cmdline));
    HBUF_SET(b, bp, BP, hdr.setup_data, setup_data);
    if (in->has_initrd) {
        const struct handoff_module *rd = &in->modules[in->initrd_index];
        uint64_t size = rd->end - rd->start;
        HBUF_SET(b, bp, BP, hdr.ramdisk_image, lo32(rd->start));
        HBUF_SET(b, bp, BP, ext_ramdisk_image, hi32(rd->start));
        HBUF_SET(b, bp, BP, hdr.ramdisk_size, lo32(size));
        HBUF_SET(b, bp, BP, ext_ramdisk_size, hi32(size));
    }
}

/* map->entries is NULL while measuring.  The screen was checked by
 * linux_check_input. */
static void linux_lay_out(struct handoff_buf *b, const struct handoff_input *in,
                          const struct handoff_map *map)
{
    struct linux_screen_info si;
    uint32_t lower_kib, upper_kib;
    size_t bp = hbuf_alloc(b, sizeof(BP), LINUX_INFO_ALIGN);
    paddr_t cmdline = hbuf_paddr(b, hbuf_string(b, in->cmdline));
    paddr_t setup_data = linux_put_e820_ext(b, map);
    paddr_t rsdp = handoff_put_rsdp(b, in);
    size_t zeropage = MIN(map->count, (size_t)LINUX_E820_MAX_ZEROPAGE);

    if (linux_screen(in->bi, &si, NULL) == HOP_OK)
        hbuf_write(b, bp + offsetof(BP, screen_info), &si, sizeof(si));
    HBUF_SET(b, bp, BP, acpi_rsdp_addr, rsdp);
    handoff_meminfo(in->bi, &lower_kib, &upper_kib);
    HBUF_SET(b, bp, BP, alt_mem_k, upper_kib);
    HBUF_SET(b, bp, BP, e820_entries, (uint8_t)zeropage);
    if (map->entries)
        linux_put_e820(b, bp + offsetof(BP, e820_table), map->entries, zeropage);
    linux_put_header(b, bp, in, cmdline, setup_data);
}

/* ==========================================================================
 * Entry points
 * ========================================================================== */

static int linux_check_input(const struct handoff_input *in, struct hop_error *err)
{
    struct linux_screen_info si;
    size_t len = strlen(in->cmdline);
    if (len > LINUX_CMDLINE_MAX)
        return error_set(err, HOP_ERR_RANGE, LINUX_PROTO ": command line of %zu bytes; "
                         "x86 Linux reads at most %u", len, LINUX_CMDLINE_MAX);
    if (in->linux_bzimage && len > in->linux_bzimage->cmdline_size)
        return error_set(err, HOP_ERR_RANGE, LINUX_PROTO ": command line of %zu bytes; the "
                         "kernel's cmdline_size (0x238) is %u", len,
                         in->linux_bzimage->cmdline_size);
    return linux_screen(in->bi, &si, err);
}

/* Linux reserves and frees its initrd itself, and copies boot_params and
 * the command line before it allocates anything: neither is marked.  The
 * block is marked only when it holds the RSDP copy, which the kernel reads
 * late.  See docs/protocols.md, "Memory maps". */
static void linux_marking(const struct handoff_input *in, struct handoff_marking *mk)
{
    mk->mark_own = linux_rsdp_in_block(in);
    mk->exempt = in->has_initrd ? &in->modules[in->initrd_index] : NULL;
    mk->exempt_count = in->has_initrd;
}

const struct handoff_builder handoff_linux = {
    .name = LINUX_PROTO,
    .limit = UINT64_MAX,
    .check = linux_check_input,
    .marking = linux_marking,
    .lay_out = linux_lay_out,
};

/* ==========================================================================
 * The descriptor (src/protos/proto.h): a vmlinux by the 64-bit protocol
 * ========================================================================== */

#define LINUX_NOTE_NAME "Linux"

static bool linux_detect(const struct proto_kernel *k)
{
    return proto_has_note(k, LINUX_NOTE_NAME);
}

static int linux_check_kernel(const struct proto_kernel *k, struct hop_error *err)
{
    if (!k->is_elf || k->elf.elf_class != 64)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: the Linux 64-bit boot protocol needs an ELF64 vmlinux", k->path);
    if (!linux_detect(k))
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol linux asked for, but the "
                         "kernel has no \"" LINUX_NOTE_NAME "\" ELF notes: not a vmlinux",
                         k->path);
    return HOP_OK;
}

/* boot.rst "64-bit Boot Protocol": long mode on an identity map, RSI the
 * boot_params' physical address. */
static void linux_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                        struct handoff_cpu *cpu)
{
    (void)k;
    *cpu = (struct handoff_cpu){ .mode = HANDOFF_MODE_LONG, .entry = entry, .rsi = info,
                                 .protocol = proto_linux.name };
}

const struct proto proto_linux = {
    .name = "linux",
    .id = CONFIG_PROTO_LINUX,
    .detect = linux_detect,
    .check_kernel = linux_check_kernel,
    .files = PROTO_FILES_ONE_INITRD,
    .info = &handoff_linux,
    .info_align = PAGE_SIZE, /* boot_params: the "zero page" */
    .enter = linux_enter,
};

/* ==========================================================================
 * The descriptor for a bzImage (boot.rst, "64-bit Boot Protocol" and
 * "32-bit Boot Protocol"): the protected-mode part loaded where the header
 * says, init_size bytes kept for it, boot_params from its own header.
 * ========================================================================== */

#define LINUX_4GIB (4ull << 30)

static bool bzimage_detect(const struct proto_kernel *k)
{
    return k->is_bzimage;
}

/* protocol=linux on what is not a bzImage: an ELF gets the vmlinux rule's
 * message (what it lacks to be one), anything else says both. */
static int bzimage_check_kernel(const struct proto_kernel *k, struct hop_error *err)
{
    if (k->is_bzimage)
        return HOP_OK;
    if (k->is_elf)
        return linux_check_kernel(k, err);
    return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol linux asked for, but the kernel "
                     "is neither a bzImage (no \"HdrS\" setup header) nor a vmlinux", k->path);
}

/* The protected-mode part and the init_size bytes after its start. */
static const struct mb_load_layout *bzimage_load_layout(const struct proto_kernel *k)
{
    return &k->bz_layout;
}

/* A relocatable kernel goes anywhere aligned to kernel_alignment, its
 * pref_address first; below 4 GiB unless XLF_CAN_BE_LOADED_ABOVE_4G. */
static bool bzimage_relocation(const struct proto_kernel *k, struct proto_reloc *r)
{
    const struct bzimage *bz = &k->bz;
    if (!bz->relocatable)
        return false;
    bool above_4g = bz->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G;
    *r = (struct proto_reloc){ .min = BZ_LOAD_ADDRESS_DEFAULT,
                               .max = above_4g ? UINT64_MAX : LINUX_4GIB - 1,
                               .align = bz->kernel_alignment ? bz->kernel_alignment : 1,
                               .has_preferred = true, .preferred = bz->pref_address };
    return true;
}

/* Before anything is placed: the command line fits the header's
 * cmdline_size (the builder checks again; this fails the entry before the
 * plan). */
static int bzimage_check_requests(const struct proto_kernel *k, const struct handoff_input *in,
                                  struct hop_error *err)
{
    size_t len = strlen(in->cmdline);
    if (len > k->bz.cmdline_size)
        return error_set(err, HOP_ERR_RANGE, "%s: command line of %zu bytes; the kernel's "
                         "cmdline_size (0x238) is %u", k->path, len, k->bz.cmdline_size);
    return HOP_OK;
}

/* init_size: the memory the kernel decompresses itself into, from its
 * load address (boot.rst, "init_size"). */
static uint64_t bzimage_workspace(const struct proto_kernel *k)
{
    return k->bz.init_size;
}

/* 64-bit entry at the start + 0x200 when XLF_KERNEL_64, else the 32-bit
 * entry at the start (code32_start). */
static int bzimage_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err)
{
    (void)err;
    *entry = k->bz_layout.load_addr + (k->bz.has_entry64 ? k->bz.entry64_offset : 0);
    return HOP_OK;
}

/* initrd_addr_max is the last byte the initrd may occupy. */
static paddr_t bzimage_initrd_limit(const struct proto_kernel *k)
{
    if (k->bz.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
        return UINT64_MAX;
    return (paddr_t)k->bz.initrd_addr_max + 1;
}

/* 64-bit: long mode on an identity map, RSI = boot_params.  32-bit:
 * protected mode, paging off, ESI = boot_params, EBP = EDI = EBX = 0, and
 * CS = __BOOT_CS (0x10), DS = ES = SS = __BOOT_DS (0x18), flat. */
static void bzimage_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                          struct handoff_cpu *cpu)
{
    *cpu = (struct handoff_cpu){
        .mode = k->bz.has_entry64 ? HANDOFF_MODE_LONG : HANDOFF_MODE_LINUX32,
        .entry = entry, .rsi = info, .protocol = proto_linux_bzimage.name };
}

const struct proto proto_linux_bzimage = {
    .name = "linux",
    .id = CONFIG_PROTO_LINUX,
    .detect = bzimage_detect,
    .check_kernel = bzimage_check_kernel,
    .load_layout = bzimage_load_layout,
    .relocation = bzimage_relocation,
    .workspace = bzimage_workspace,
    .entry = bzimage_entry,
    .check_requests = bzimage_check_requests,
    .files = PROTO_FILES_ONE_INITRD,
    .initrd_limit = bzimage_initrd_limit,
    .initrd_limit_field = "initrd_addr_max (0x22c)",
    .info = &handoff_linux,
    .info_align = PAGE_SIZE, /* boot_params: the "zero page" */
    .enter = bzimage_enter,
};
