/* The multiboot1 boot information (Multiboot Specification 0.6.96, section
 * 3.3 "Boot information format"): a fixed structure whose flags say which
 * fields are valid, pointing at the module list, the memory map and the
 * strings.  Every address is 32-bit, so the block and the modules lie below
 * 4 GiB; the memory map's entries are 64-bit and list RAM above it too. */
#include "protos/proto.h"

#include "lib/fmt.h"
#include "lib/string.h"
#include "parse/multiboot.h"

#define MB1_PROTO "multiboot1 info"
#define MB1_INFO_ALIGN 8 /* 4 would do: every field is at most 32-bit aligned */

/* ==========================================================================
 * Laying out the block
 * ========================================================================== */

/* Addresses inside the block fit 32 bits: hbuf_finish keeps it below 4 GiB. */
static uint32_t mb1_addr(const struct handoff_buf *b, size_t off)
{
    return (uint32_t)hbuf_paddr(b, off);
}

static void mb1_put_framebuffer(struct mb1_info *info, const struct framebuffer *fb)
{
    info->flags |= MB1_INFO_FRAMEBUFFER;
    info->framebuffer_addr = fb->addr;
    info->framebuffer_pitch = fb->pitch;
    info->framebuffer_width = fb->width;
    info->framebuffer_height = fb->height;
    info->framebuffer_bpp = fb->bpp;
    info->framebuffer_type = fb->type;
    if (fb->type == FB_RGB) {
        struct mb_fb_rgb c = { fb->red_pos, fb->red_size, fb->green_pos,
                                fb->green_size, fb->blue_pos, fb->blue_size };
        memcpy(info->color_info, &c, sizeof(c));
    }
    /* Indexed: hop keeps no palette, so palette_addr and num_colors stay
     * 0.  EGA text: no color_info. */
}

/* map->entries is NULL while measuring. */
static size_t mb1_put_mmap(struct handoff_buf *b, const struct handoff_map *map)
{
    size_t off = hbuf_alloc_array(b, map->count, sizeof(struct mb1_mmap_entry),
                                  MB1_INFO_ALIGN);
    for (size_t i = 0; map->entries && i < map->count; i++) {
        const struct mem_region *r = &map->entries[i];
        struct mb1_mmap_entry e = { .size = MB1_MMAP_ENTRY_BODY_SIZE,
                                    .base_addr = r->start,
                                    .length = r->end - r->start, .type = r->type };
        hbuf_write(b, off + i * sizeof(e), &e, sizeof(e));
    }
    return off;
}

/* The module list, then each module's string. */
static size_t mb1_put_modules(struct handoff_buf *b, const struct handoff_input *in)
{
    size_t list = hbuf_alloc_array(b, in->module_count, sizeof(struct mb1_module),
                                   MB1_INFO_ALIGN);
    for (size_t i = 0; i < in->module_count; i++) {
        const struct handoff_module *m = &in->modules[i];
        size_t str = hbuf_string(b, m->cmdline);
        struct mb1_module e = { .mod_start = (uint32_t)m->start,
                                .mod_end = (uint32_t)m->end,
                                .string = mb1_addr(b, str) };
        hbuf_write(b, list + i * sizeof(e), &e, sizeof(e));
    }
    return list;
}

static void mb1_lay_out(struct handoff_buf *b, const struct handoff_input *in,
                        const struct handoff_map *map)
{
    const struct framebuffer *fb = handoff_framebuffer(in->bi);
    struct mb1_info info = { .flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE |
                                           MB1_INFO_MODS | MB1_INFO_LOADER_NAME };
    uint32_t lower_kib, upper_kib;
    size_t at = hbuf_alloc(b, sizeof(info), MB1_INFO_ALIGN);
    handoff_meminfo(in->bi, &lower_kib, &upper_kib);
    info.mem_lower = lower_kib;
    info.mem_upper = upper_kib;
    if (map->count) {
        info.flags |= MB1_INFO_MMAP;
        info.mmap_addr = mb1_addr(b, mb1_put_mmap(b, map));
        info.mmap_length = (uint32_t)(map->count * sizeof(struct mb1_mmap_entry));
    }
    /* The list of 16-byte entries ends below 4 GiB (hbuf_finish), so the
     * count fits; a larger one fails there. */
    info.mods_count = (uint32_t)in->module_count;
    if (in->module_count)
        info.mods_addr = mb1_addr(b, mb1_put_modules(b, in));
    info.cmdline = mb1_addr(b, hbuf_string(b, in->cmdline));
    info.boot_loader_name = mb1_addr(b, hbuf_string(b, in->loader_name));
    if (fb)
        mb1_put_framebuffer(&info, fb);
    hbuf_write(b, at, &info, sizeof(info));
}

/* ==========================================================================
 * Entry points
 * ========================================================================== */

static int mb1_check_input(const struct handoff_input *in, struct hop_error *err)
{
    for (size_t i = 0; i < in->module_count; i++)
        if (in->modules[i].end > UINT32_MAX)
            return error_set(err, HOP_ERR_RANGE,
                             MB1_PROTO ": module %zu (0x%llx-0x%llx) not below 4 GiB: "
                             "multiboot1 addresses are 32-bit", i,
                             (unsigned long long)in->modules[i].start,
                             (unsigned long long)in->modules[i].end);
    return HOP_OK;
}

/* The info and everything in in->reserved are marked reserved: see
 * docs/protocols.md, "Memory maps". */
const struct handoff_builder handoff_mb1 = {
    .name = MB1_PROTO,
    .limit = HANDOFF_LIMIT_4GIB,
    .check = mb1_check_input,
    .lay_out = mb1_lay_out,
};

/* ==========================================================================
 * What the kernel's header asks for (3.1.2, the flags field)
 * ========================================================================== */

#define MB1_MODULE_PAGE 4096u /* "aligned on page (4KB) boundaries" */

int mb1_check_requests(const struct mb1_header *hdr, const struct handoff_input *in,
                       struct hop_error *err)
{
    int rc = handoff_check_input(in, MB1_PROTO, err);
    if (rc != HOP_OK)
        return rc;
    uint32_t unknown = hdr->flags & MB1_FLAGS_REQUIRED_MASK & ~MB1_FLAGS_KNOWN_REQUIRED;
    if (unknown)
        return error_set(err, HOP_ERR_UNSUPPORTED, "kernel requires multiboot1 features "
                         "0x%x (header flags), which hop does not know", unknown);
    if (hdr->flags & MB1_FLAG_PAGE_ALIGN_MODULES)
        for (size_t i = 0; i < in->module_count; i++)
            if (in->modules[i].start % MB1_MODULE_PAGE)
                return error_set(err, HOP_ERR_INVALID, "kernel requires page-aligned "
                                 "modules (multiboot1 header flags bit 0): module %zu at "
                                 "0x%llx is not", i,
                                 (unsigned long long)in->modules[i].start);
    if ((hdr->flags & MB1_FLAG_MEMORY_INFO) && in->bi->map_count == 0)
        return error_set(err, HOP_ERR_UNSUPPORTED, "kernel requires memory information "
                         "(multiboot1 header flags bit 1), which hop cannot give: it has "
                         "no memory map");
    if ((hdr->flags & MB1_FLAG_VIDEO_MODE) && !handoff_framebuffer(in->bi))
        return error_set(err, HOP_ERR_UNSUPPORTED, "kernel requires video information "
                         "(multiboot1 header flags bit 2), which hop cannot give: it was "
                         "given no framebuffer and never changes modes");
    return HOP_OK;
}

/* A request's 0 means "no preference". */
static bool mb1_dim_differs(uint32_t want, uint32_t have)
{
    return want != 0 && want != have;
}

bool mb1_video_mismatch(const struct mb1_header *hdr, const struct bootinfo *bi,
                        char *note, size_t size)
{
    if (!(hdr->flags & MB1_FLAG_VIDEO_MODE))
        return false;
    const struct framebuffer *fb = handoff_framebuffer(bi);
    bool want_text = hdr->mode_type == MB1_VIDEO_EGA_TEXT;
    const char *want = want_text ? "EGA text" : "linear";
    if (!fb) {
        fmt_snprintf(note, size, "multiboot1: kernel asked for %s video %ux%ux%u; hop "
                     "knows no video mode and never changes modes", want, hdr->width,
                     hdr->height, hdr->depth);
        return true;
    }
    bool have_text = fb->type == FB_EGA_TEXT;
    if (want_text == have_text && !mb1_dim_differs(hdr->width, fb->width) &&
        !mb1_dim_differs(hdr->height, fb->height) &&
        !(!want_text && mb1_dim_differs(hdr->depth, fb->bpp)))
        return false;
    fmt_snprintf(note, size, "multiboot1: kernel asked for %s video %ux%ux%u; hop gives "
                 "the mode it has, %s %ux%ux%u (it never changes modes)", want,
                 hdr->width, hdr->height, hdr->depth, have_text ? "EGA text" : "linear",
                 fb->width, fb->height, fb->bpp);
    return true;
}

/* ==========================================================================
 * The descriptor (src/protos/proto.h)
 * ========================================================================== */

static bool mb1_detect(const struct proto_kernel *k)
{
    return k->has_mb1;
}

/* Header flags bit 16, the a.out kludge: load and entry addresses given. */
static const struct mb_load_layout *mb1_load_layout(const struct proto_kernel *k)
{
    return k->has_mb1 && k->mb1.has_addresses ? &k->mb1.layout : NULL;
}

static int mb1_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err)
{
    if (k->has_mb1 && k->mb1.has_addresses) {
        *entry = k->mb1.entry_addr;
        return HOP_OK;
    }
    return proto_elf_entry(k, entry, err);
}

/* protocol=multiboot1 on a file without the header: refused, as for
 * multiboot2. */
static int mb1_check_kernel(const struct proto_kernel *k, struct hop_error *err)
{
    if (!k->has_mb1)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol multiboot1 asked for, but "
                         "the kernel has no multiboot1 header in its first %u bytes",
                         k->path, MB1_SEARCH_END);
    return HOP_OK;
}

static int mb1_kernel_requests(const struct proto_kernel *k, const struct handoff_input *in,
                               struct hop_error *err)
{
    return k->has_mb1 ? mb1_check_requests(&k->mb1, in, err) : HOP_OK;
}

/* Multiboot 0.6.96 3.2 "Machine state": EAX the magic, EBX the info. */
static void mb1_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                      struct handoff_cpu *cpu)
{
    (void)k;
    *cpu = (struct handoff_cpu){ .mode = HANDOFF_MODE_PROT32, .entry = entry,
                                 .rax = MB1_BOOTLOADER_MAGIC, .rbx = info,
                                 .protocol = proto_multiboot1.name };
}

const struct proto proto_multiboot1 = {
    .name = "multiboot1",
    .id = CONFIG_PROTO_MULTIBOOT1,
    .detect = mb1_detect,
    .check_kernel = mb1_check_kernel,
    .load_layout = mb1_load_layout,
    .entry = mb1_entry,
    .check_requests = mb1_kernel_requests,
    .info = &handoff_mb1,
    .info_align = HANDOFF_BUF_ALIGN,
    .enter = mb1_enter,
};
