/* The framebuffer console (see fbcon.h). */
#include "console/fbcon.h"
#include "console/font8x16.h"
#include "console/menu_draw.h"
#include "lib/string.h"

#define FBCON_MIN_BPP 8
#define FBCON_MAX_BPP 32
#define FBCON_INDEXED_BPP 8
#define RGB_RED(rgb) (((rgb) >> 16) & 0xffu)
#define RGB_GREEN(rgb) (((rgb) >> 8) & 0xffu)
#define RGB_BLUE(rgb) ((rgb) & 0xffu)
#define GLYPH_LEFT_BIT 0x80u
/* A grid cell is the character (32-126; anything else is stored as
 * FONT_REPLACEMENT) with this bit for inverse video (the boot menu's
 * highlight): one byte per cell still. */
#define CELL_INVERSE 0x80u
#define CELL_CHAR 0x7fu

/* Video memory need not be aligned for the pixel size (24 bpp never is). */
typedef uint16_t unaligned_u16 __attribute__((aligned(1), may_alias));
typedef uint32_t unaligned_u32 __attribute__((aligned(1), may_alias));

static uint32_t fbcon_channel(uint32_t v8, uint8_t pos, uint8_t size)
{
    if (size == 0)
        return 0;
    uint32_t v = size >= 8 ? v8 << (size - 8) : v8 >> (8 - size);
    return v << pos;
}

uint32_t fbcon_pack(const struct framebuffer *fb, uint32_t rgb)
{
    return fbcon_channel(RGB_RED(rgb), fb->red_pos, fb->red_size) |
           fbcon_channel(RGB_GREEN(rgb), fb->green_pos, fb->green_size) |
           fbcon_channel(RGB_BLUE(rgb), fb->blue_pos, fb->blue_size);
}

static bool fbcon_field_fits(uint8_t pos, uint8_t size, uint32_t bpp)
{
    return (uint32_t)pos + size <= bpp;
}

static int fbcon_check_format(const struct framebuffer *fb, struct hop_error *err)
{
    if (fb->type == FB_INDEXED) {
        if (fb->bpp != FBCON_INDEXED_BPP)
            return error_set(err, HOP_ERR_UNSUPPORTED,
                             "framebuffer: indexed colour at %u bits per pixel (only 8)",
                             fb->bpp);
        return HOP_OK;
    }
    if (fb->type != FB_RGB)
        return error_set(err, HOP_ERR_UNSUPPORTED, "framebuffer: type %u is not RGB or indexed",
                         fb->type);
    if (fb->bpp < FBCON_MIN_BPP || fb->bpp > FBCON_MAX_BPP)
        return error_set(err, HOP_ERR_UNSUPPORTED, "framebuffer: %u bits per pixel", fb->bpp);
    if (!fbcon_field_fits(fb->red_pos, fb->red_size, fb->bpp) ||
        !fbcon_field_fits(fb->green_pos, fb->green_size, fb->bpp) ||
        !fbcon_field_fits(fb->blue_pos, fb->blue_size, fb->bpp))
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "framebuffer: colour fields red %u:%u green %u:%u blue %u:%u "
                         "(position:size) do not fit %u bits per pixel",
                         fb->red_pos, fb->red_size, fb->green_pos, fb->green_size,
                         fb->blue_pos, fb->blue_size, fb->bpp);
    if (fb->red_size + fb->green_size + fb->blue_size == 0)
        return error_set(err, HOP_ERR_UNSUPPORTED, "framebuffer: RGB without colour fields");
    return HOP_OK;
}

static int fbcon_check_size(const struct framebuffer *fb, uint32_t pixel_bytes,
                            struct hop_error *err)
{
    if (fb->width < FONT_WIDTH || fb->height < FONT_HEIGHT)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "framebuffer: %ux%u is smaller than one character", fb->width,
                         fb->height);
    if ((uint64_t)fb->width * pixel_bytes > fb->pitch)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "framebuffer: pitch %u bytes is less than %u pixels of %u bytes",
                         fb->pitch, fb->width, pixel_bytes);
    if ((uint64_t)fb->pitch * fb->height > SIZE_MAX)
        return error_set(err, HOP_ERR_UNSUPPORTED, "framebuffer: %u lines of %u bytes",
                         fb->height, fb->pitch);
    return HOP_OK;
}

static inline void fbcon_store(uint8_t *p, uint32_t bytes, uint32_t v)
{
    switch (bytes) {
    case 4:
        *(unaligned_u32 *)p = v;
        break;
    case 3:
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        break;
    case 2:
        *(unaligned_u16 *)p = (uint16_t)v;
        break;
    default:
        p[0] = (uint8_t)v;
        break;
    }
}

/* The whole visible screen in the background colour. */
static void fbcon_clear(struct fbcon *c)
{
    uint8_t *line = c->base;
    for (uint32_t y = 0; y < c->height; y++, line += c->pitch) {
        uint8_t *p = line;
        for (uint32_t x = 0; x < c->width; x++, p += c->pixel_bytes)
            fbcon_store(p, c->pixel_bytes, c->bg);
    }
}

static void fbcon_draw_cell(struct fbcon *c, uint32_t col, uint32_t row, uint8_t cell)
{
    const uint8_t *glyph = font8x16_glyph(cell & CELL_CHAR);
    uint32_t ink = cell & CELL_INVERSE ? c->bg : c->fg, paper = cell & CELL_INVERSE ? c->fg : c->bg;
    uint32_t s = c->scale, bytes = c->pixel_bytes;
    uint8_t *line = c->base + (size_t)row * FONT_HEIGHT * s * c->pitch +
                    (size_t)col * FONT_WIDTH * s * bytes;
    for (uint32_t gy = 0; gy < FONT_HEIGHT; gy++) {
        for (uint32_t sy = 0; sy < s; sy++, line += c->pitch) {
            uint8_t *p = line;
            for (uint32_t bit = GLYPH_LEFT_BIT; bit; bit >>= 1) {
                uint32_t v = glyph[gy] & bit ? ink : paper;
                for (uint32_t sx = 0; sx < s; sx++, p += bytes)
                    fbcon_store(p, bytes, v);
            }
        }
    }
}

static void fbcon_mark(struct fbcon *c, uint32_t row)
{
    c->dirty_lo = MIN(c->dirty_lo, row);
    c->dirty_hi = MAX(c->dirty_hi, row + 1);
}

/* Draws the cells whose text differs from what the screen shows. */
static void fbcon_flush(struct fbcon *c)
{
    for (uint32_t row = c->dirty_lo; row < c->dirty_hi; row++) {
        size_t i = (size_t)row * c->cols;
        for (uint32_t col = 0; col < c->cols; col++, i++) {
            if (c->text[i] == c->shown[i])
                continue;
            fbcon_draw_cell(c, col, row, c->text[i]);
            c->shown[i] = c->text[i];
        }
    }
    c->dirty_lo = c->rows;
    c->dirty_hi = 0;
}

/* The largest scale (up to FBCON_MAX_SCALE) that leaves FBCON_MIN_COLS
 * columns, at least 1. */
static uint32_t fbcon_choose_scale(uint32_t width, uint32_t height)
{
    uint32_t s = FBCON_MAX_SCALE;
    while (s > 1 && (width / (FONT_WIDTH * s) < FBCON_MIN_COLS || height / (FONT_HEIGHT * s) < 1))
        s--;
    return s;
}

int fbcon_setup(struct fbcon *c, void *base, const struct framebuffer *fb,
                struct hop_error *err)
{
    if (!base)
        return error_set(err, HOP_ERR_UNSUPPORTED, "framebuffer: not mapped");
    int rc = fbcon_check_format(fb, err);
    uint32_t bytes = (fb->bpp + 7u) / 8u;
    rc = rc ? rc : fbcon_check_size(fb, bytes, err);
    if (rc)
        return rc;
    memset(c, 0, sizeof(*c));
    c->base = base;
    c->fb = *fb;
    c->pitch = fb->pitch;
    c->width = fb->width;
    c->height = fb->height;
    c->pixel_bytes = bytes;
    c->scale = fbcon_choose_scale(fb->width, fb->height);
    c->cols = MIN(fb->width / (FONT_WIDTH * c->scale), (uint32_t)FBCON_MAX_CELLS);
    c->rows = MIN(fb->height / (FONT_HEIGHT * c->scale), (uint32_t)FBCON_MAX_CELLS / c->cols);
    memset(c->text, ' ', sizeof(c->text));
    fbcon_set_colors(c, FBCON_FG_RGB, FBCON_BG_RGB);
    return HOP_OK;
}

void fbcon_set_colors(struct fbcon *c, uint32_t fg_rgb, uint32_t bg_rgb)
{
    bool indexed = c->fb.type == FB_INDEXED;
    c->fg = indexed ? FBCON_INDEXED_FG : fbcon_pack(&c->fb, fg_rgb);
    c->bg = indexed ? FBCON_INDEXED_BG : fbcon_pack(&c->fb, bg_rgb);
    fbcon_clear(c);
    memset(c->shown, ' ', sizeof(c->shown));
    c->dirty_lo = 0;
    c->dirty_hi = c->rows;
    fbcon_flush(c);
}

/* Moves the text up by a quarter of the grid (at least a line). */
static void fbcon_scroll(struct fbcon *c)
{
    uint32_t n = MAX(c->rows / FBCON_SCROLL_DIVISOR, 1u);
    size_t keep = (size_t)(c->rows - n) * c->cols;
    memmove(c->text, c->text + (size_t)n * c->cols, keep);
    memset(c->text + keep, ' ', (size_t)n * c->cols);
    c->y = c->rows - n;
    c->dirty_lo = 0;
    c->dirty_hi = c->rows;
}

static uint8_t fbcon_cell(uint8_t ch, bool inverse)
{
    if (ch < FONT_FIRST || ch > FONT_LAST)
        ch = FONT_REPLACEMENT;
    return inverse ? (uint8_t)(ch | CELL_INVERSE) : ch;
}

static void fbcon_newline(struct fbcon *c)
{
    c->x = 0;
    if (++c->y == c->rows)
        fbcon_scroll(c);
}

/* A line longer than the grid goes on in the next row: the wrap happens
 * when the next character comes, so a line of exactly cols characters and
 * its '\n' take one row. */
static void fbcon_putc(struct fbcon *c, uint8_t ch)
{
    if (c->x >= c->cols)
        fbcon_newline(c);
    c->text[(size_t)c->y * c->cols + c->x] = fbcon_cell(ch, false);
    fbcon_mark(c, c->y);
    c->x++;
}

void fbcon_put(struct fbcon *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = (uint8_t)s[i];
        switch (ch) {
        case '\n':
            fbcon_newline(c);
            break;
        case '\r':
            c->x = 0;
            break;
        case '\t':
            do
                fbcon_putc(c, ' ');
            while (c->x < c->cols && c->x % FBCON_TAB);
            break;
        case '\b':
            if (c->x > 0)
                c->x--;
            break;
        default:
            fbcon_putc(c, ch);
            break;
        }
    }
    fbcon_flush(c);
}

void fbcon_put_at(struct fbcon *c, uint32_t col, uint32_t row, const char *s, size_t n,
                  bool inverse)
{
    if (row >= c->rows)
        return;
    for (size_t i = 0; i < n && col < c->cols; i++, col++)
        c->text[(size_t)row * c->cols + col] = fbcon_cell((uint8_t)s[i], inverse);
    fbcon_mark(c, row);
    fbcon_flush(c);
}

void fbcon_blank(struct fbcon *c)
{
    memset(c->text, ' ', (size_t)c->cols * c->rows);
    c->x = c->y = 0;
    c->dirty_lo = 0;
    c->dirty_hi = c->rows;
    fbcon_flush(c);
}

static struct fbcon fbcon_main;
static bool fbcon_ready, fbcon_busy;

int fbcon_init(void *base, const struct framebuffer *fb, struct hop_error *err)
{
    int rc = fbcon_setup(&fbcon_main, base, fb, err);
    fbcon_ready = rc == HOP_OK;
    return rc;
}

/* Entered again only from a CPU exception taken while drawing (hop draws
 * with interrupts off): the trap's report then goes to the other consoles,
 * and this one stops rather than fault again. */
void fbcon_write(const char *s, size_t n)
{
    if (!fbcon_ready)
        return;
    if (fbcon_busy) {
        fbcon_ready = false;
        return;
    }
    fbcon_busy = true;
    fbcon_put(&fbcon_main, s, n);
    fbcon_busy = false;
}

/* The boot menu's screen on hop's framebuffer console. */
static void fbcon_menu_put(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse)
{
    if (fbcon_ready)
        fbcon_put_at(&fbcon_main, col, row, s, n, inverse);
}

static void fbcon_menu_blank(void)
{
    if (fbcon_ready)
        fbcon_blank(&fbcon_main);
}

static struct menu_screen fbcon_screen = {
    .begin = fbcon_menu_blank, .put = fbcon_menu_put, .end = fbcon_menu_blank,
};

const struct menu_screen *fbcon_menu_screen(void)
{
    fbcon_screen.cols = fbcon_main.cols;
    fbcon_screen.rows = fbcon_main.rows;
    return &fbcon_screen;
}
