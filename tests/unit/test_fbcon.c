/* Unit tests of src/console/fbcon.c and src/console/font8x16.c: the console draws into host
 * buffers in several pixel formats; the tests read the pixels back and
 * recognise the glyphs in them, so they check what a person would see
 * (which character in which cell, in which colour) without storing
 * pictures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console/fbcon.h"
#include "console/font8x16.h"

#define SENTINEL 0xEE /* bytes the console must not touch */
#define FG 0x123456u  /* distinct channels, so swapped fields show */
#define BG 0x0a0b0cu

struct screen {
    struct framebuffer fb;
    uint8_t *mem;
    size_t size;
    struct fbcon *c;
};

static struct framebuffer rgb_format(uint32_t width, uint32_t height, uint32_t pitch, uint8_t bpp,
                                     uint8_t rp, uint8_t rs, uint8_t gp, uint8_t gs, uint8_t bp,
                                     uint8_t bs)
{
    return (struct framebuffer){ .addr = 0, .pitch = pitch, .width = width, .height = height,
                                 .bpp = bpp, .type = FB_RGB, .red_pos = rp, .red_size = rs,
                                 .green_pos = gp, .green_size = gs, .blue_pos = bp,
                                 .blue_size = bs };
}

/* The formats loaders report (GOP's BGRx and RGBx, 24-bit, 5:6:5, 5:5:5,
 * 10:10:10). */
static const struct framebuffer *formats(size_t *n)
{
    static struct framebuffer f[6];
    f[0] = rgb_format(0, 0, 0, 32, 16, 8, 8, 8, 0, 8);
    f[1] = rgb_format(0, 0, 0, 32, 0, 8, 8, 8, 16, 8);
    f[2] = rgb_format(0, 0, 0, 24, 16, 8, 8, 8, 0, 8);
    f[3] = rgb_format(0, 0, 0, 16, 11, 5, 5, 6, 0, 5);
    f[4] = rgb_format(0, 0, 0, 15, 10, 5, 5, 5, 0, 5);
    f[5] = rgb_format(0, 0, 0, 32, 20, 10, 10, 10, 0, 10);
    *n = 6;
    return f;
}

/* A screen of cols x rows cells (scale 1) with pad bytes after each line. */
static struct screen *screen_new(struct framebuffer fb, uint32_t width, uint32_t height,
                                 uint32_t pad)
{
    struct screen *s = calloc(1, sizeof(*s));
    fb.width = width;
    fb.height = height;
    fb.pitch = width * ((fb.bpp + 7u) / 8u) + pad;
    s->fb = fb;
    s->size = (size_t)fb.pitch * height;
    s->mem = malloc(s->size);
    memset(s->mem, SENTINEL, s->size);
    s->c = calloc(1, sizeof(*s->c));
    struct hop_error err = { 0 };
    assert_int_equal(fbcon_setup(s->c, s->mem, &s->fb, &err), HOP_OK);
    return s;
}

static void screen_free(struct screen *s)
{
    free(s->mem);
    free(s->c);
    free(s);
}

static uint32_t pixel_at(const struct screen *s, uint32_t x, uint32_t y)
{
    uint32_t bytes = (s->fb.bpp + 7u) / 8u;
    const uint8_t *p = s->mem + (size_t)y * s->fb.pitch + (size_t)x * bytes;
    uint32_t v = 0;
    for (uint32_t i = 0; i < bytes; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* The character whose glyph cell (col, row) shows, '\0' if none; asserts
 * that every pixel is the foreground or the background colour. */
static char cell_char(const struct screen *s, uint32_t col, uint32_t row)
{
    uint32_t sc = s->c->scale;
    uint8_t rows[FONT_HEIGHT];
    for (uint32_t gy = 0; gy < FONT_HEIGHT; gy++) {
        rows[gy] = 0;
        for (uint32_t gx = 0; gx < FONT_WIDTH; gx++) {
            for (uint32_t dy = 0; dy < sc; dy++)
                for (uint32_t dx = 0; dx < sc; dx++) {
                    uint32_t v = pixel_at(s, (col * FONT_WIDTH + gx) * sc + dx,
                                          (row * FONT_HEIGHT + gy) * sc + dy);
                    if (v != s->c->fg && v != s->c->bg)
                        fail_msg("cell %u,%u pixel %u,%u: 0x%x is neither fg 0x%x nor bg 0x%x",
                                 col, row, gx, gy, v, s->c->fg, s->c->bg);
                    if (v == s->c->fg)
                        rows[gy] |= (uint8_t)(0x80u >> gx);
                }
        }
    }
    for (int c = FONT_FIRST; c <= FONT_LAST; c++)
        if (!memcmp(rows, font8x16[c - FONT_FIRST], FONT_HEIGHT))
            return (char)c;
    return '\0';
}

/* Row `row` of the screen as text, trailing blanks removed. */
static void row_text(const struct screen *s, uint32_t row, char *out)
{
    uint32_t n = 0;
    for (uint32_t col = 0; col < s->c->cols; col++) {
        out[col] = cell_char(s, col, row);
        assert_true(out[col] != '\0');
        if (out[col] != ' ')
            n = col + 1;
    }
    out[n] = '\0';
}

static void assert_rows(const struct screen *s, const char *const *want, uint32_t count)
{
    char got[FBCON_MAX_CELLS + 1];
    for (uint32_t r = 0; r < count; r++) {
        row_text(s, r, got);
        assert_string_equal(got, want[r]);
    }
}

static void put(struct screen *s, const char *text)
{
    fbcon_put(s->c, text, strlen(text));
}

/* --- the font ------------------------------------------------------------------- */

static void test_font_glyphs_distinct_and_inked(void **state)
{
    (void)state;
    for (int a = FONT_FIRST; a <= FONT_LAST; a++) {
        const uint8_t *g = font8x16[a - FONT_FIRST];
        uint32_t ink = 0, right = 0;
        for (int r = 0; r < FONT_HEIGHT; r++) {
            ink |= g[r];
            right |= g[r] & 1u; /* column 7 keeps cells apart */
        }
        assert_true(a == ' ' ? ink == 0 : ink != 0);
        assert_int_equal(right, 0);
        for (int b = a + 1; b <= FONT_LAST; b++)
            if (!memcmp(g, font8x16[b - FONT_FIRST], FONT_HEIGHT))
                fail_msg("'%c' and '%c' have the same glyph", a, b);
    }
    assert_ptr_equal(font8x16_glyph(0x7f), font8x16['?' - FONT_FIRST]);
    assert_ptr_equal(font8x16_glyph(0x1b), font8x16['?' - FONT_FIRST]);
    assert_ptr_equal(font8x16_glyph('A'), font8x16['A' - FONT_FIRST]);
}

/* --- pixel formats -------------------------------------------------------------- */

static void test_pack(void **state)
{
    (void)state;
    size_t n;
    const struct framebuffer *f = formats(&n);
    assert_int_equal(fbcon_pack(&f[0], 0x123456), 0x123456);          /* x:R:G:B */
    assert_int_equal(fbcon_pack(&f[1], 0x123456), 0x563412);          /* x:B:G:R */
    assert_int_equal(fbcon_pack(&f[2], 0x123456), 0x123456);          /* 24 bit */
    assert_int_equal(fbcon_pack(&f[3], 0x123456), 2u << 11 | 13u << 5 | 10u); /* 5:6:5 */
    assert_int_equal(fbcon_pack(&f[4], 0x123456), 2u << 10 | 6u << 5 | 10u);  /* 5:5:5 */
    assert_int_equal(fbcon_pack(&f[5], 0xffffff), 0x3fcu << 20 | 0x3fcu << 10 | 0x3fcu);
    struct framebuffer red_only = rgb_format(0, 0, 0, 8, 5, 3, 0, 0, 0, 0);
    assert_int_equal(fbcon_pack(&red_only, 0xff00ff), 7u << 5);
}

static void check_text_in_format(const struct framebuffer *format)
{
    struct screen *s = screen_new(*format, 8 * 12, 16 * 3, 12);
    fbcon_set_colors(s->c, FG, BG);
    assert_int_equal(s->c->fg, fbcon_pack(format, FG));
    assert_int_equal(s->c->bg, fbcon_pack(format, BG));
    put(s, "Ag{~} hop!\n0x1f");
    const char *want[] = { "Ag{~} hop!", "0x1f", "" };
    assert_rows(s, want, 3);
    /* The glyph's pixels exactly: ink is fg, the rest bg. */
    const uint8_t *g = font8x16['A' - FONT_FIRST];
    for (uint32_t y = 0; y < FONT_HEIGHT; y++)
        for (uint32_t x = 0; x < FONT_WIDTH; x++)
            assert_int_equal(pixel_at(s, x, y), (g[y] << x) & 0x80 ? s->c->fg : s->c->bg);
    /* Padding after each line is never written. */
    uint32_t line = s->fb.width * ((s->fb.bpp + 7u) / 8u);
    for (uint32_t y = 0; y < s->fb.height; y++)
        for (uint32_t i = line; i < s->fb.pitch; i++)
            assert_int_equal(s->mem[(size_t)y * s->fb.pitch + i], SENTINEL);
    screen_free(s);
}

static void test_text_in_every_format(void **state)
{
    (void)state;
    size_t n;
    const struct framebuffer *f = formats(&n);
    for (size_t i = 0; i < n; i++)
        check_text_in_format(&f[i]);
}

static void test_indexed(void **state)
{
    (void)state;
    struct framebuffer fb = { .bpp = 8, .type = FB_INDEXED };
    struct screen *s = screen_new(fb, 8 * 4, 16, 0);
    assert_int_equal(s->c->fg, FBCON_INDEXED_FG);
    assert_int_equal(s->c->bg, FBCON_INDEXED_BG);
    put(s, "ok");
    const char *want[] = { "ok" };
    assert_rows(s, want, 1);
    screen_free(s);
}

/* The whole screen is cleared at setup, margins included (what the loader
 * drew before must go). */
static void test_setup_clears_screen(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 8 * 5 + 3, 16 * 2 + 7, 4);
    assert_int_equal(s->c->cols, 5);
    assert_int_equal(s->c->rows, 2);
    for (uint32_t y = 0; y < s->fb.height; y++)
        for (uint32_t x = 0; x < s->fb.width; x++)
            assert_int_equal(pixel_at(s, x, y), fbcon_pack(&s->fb, FBCON_BG_RGB));
    screen_free(s);
}

/* --- text layout ---------------------------------------------------------------- */

static void test_wrapping(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 8 * 10, 16 * 4, 0);
    put(s, "0123456789\nABCDEFGHIJKLMN\n");
    const char *want[] = { "0123456789", "ABCDEFGHIJ", "KLMN" };
    assert_rows(s, want, 3);
    assert_int_equal(s->c->y, 3); /* exactly cols wide: one row, no blank one */
    put(s, "a very long line indeed");
    const char *after[] = { "KLMN", "a very lon", "g line ind", "eed" };
    assert_rows(s, after, 4);
    assert_int_equal(s->c->x, 3);
    screen_free(s);
}

/* The boot menu's cells: written in place, inverse video swaps the colours,
 * the log's cursor does not move; fbcon_blank starts the log again at the
 * top. */
static void test_cells_in_place_and_inverse(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 8 * 10, 16 * 3, 0);
    put(s, "log");
    fbcon_put_at(s->c, 2, 1, "ab\x1b", 3, false);
    fbcon_put_at(s->c, 8, 2, "XYZ", 3, true); /* clipped at the edge */
    fbcon_put_at(s->c, 0, 3, "no row", 6, false);
    const char *want[] = { "log", "  ab?", "" };
    assert_rows(s, want, 2);
    assert_int_equal(s->c->x, 3);
    assert_int_equal(s->c->y, 0);
    /* an inverse cell: the glyph's ink in the background colour */
    uint32_t x0 = 8 * 8, y0 = 16 * 2;
    assert_int_equal(pixel_at(s, x0, y0), s->c->fg);            /* X's top row: paper */
    const uint8_t *g = font8x16['X' - FONT_FIRST];
    for (uint32_t gy = 0; gy < FONT_HEIGHT; gy++)
        for (uint32_t gx = 0; gx < FONT_WIDTH; gx++)
            assert_int_equal(pixel_at(s, x0 + gx, y0 + gy),
                             g[gy] & (0x80u >> gx) ? s->c->bg : s->c->fg);
    fbcon_blank(s->c);
    put(s, "new");
    const char *after[] = { "new", "", "" };
    assert_rows(s, after, 3);
    screen_free(s);
}

static void test_control_characters(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[2], 8 * 20, 16 * 4, 0);
    put(s, "hello\rHE\n");       /* a progress bar redrawn */
    put(s, "a\tb\tc\n");         /* tab stops every 8 columns */
    put(s, "abc\b\bX\n");        /* backspace */
    put(s, "\x1b[1m\x7f\xff");   /* no font: '?' */
    const char *want[] = { "HEllo", "a       b       c", "aXc", "?[1m??" };
    assert_rows(s, want, 4);
    screen_free(s);
}

static void test_scroll_one_line_on_small_screens(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 8 * 6, 16 * 3, 0); /* rows / 4 = 0: 1 */
    put(s, "l0\nl1\nl2\n");
    const char *want1[] = { "l1", "l2", "" };
    assert_rows(s, want1, 3);
    put(s, "l3\nl4");
    const char *want2[] = { "l2", "l3", "l4" };
    assert_rows(s, want2, 3);
    screen_free(s);
}

/* At the bottom the text jumps up by a quarter of the rows. */
static void test_scroll_by_a_quarter(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[3], 8 * 8, 16 * 8, 2);
    char line[32];
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof(line), "line %d\n", i);
        put(s, line);
    }
    const char *want1[] = { "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "", "" };
    assert_rows(s, want1, 8);
    assert_int_equal(s->c->y, 6);
    put(s, "line 8\nline 9\nline 10");
    const char *want2[] = { "line 4", "line 5", "line 6", "line 7", "line 8", "line 9",
                            "line 10", "" };
    assert_rows(s, want2, 8);
    screen_free(s);
}

/* Only cells whose text changed are drawn: a cell that stays the same is
 * never written again (here: a poisoned cell survives). */
static void test_only_changed_cells_are_drawn(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 8 * 40, 16 * 2, 0);
    put(s, "\rhop: inflating [####------]  40%");
    for (uint32_t y = 0; y < FONT_HEIGHT; y++) /* poison cell 0 ('h') */
        memset(s->mem + (size_t)y * s->fb.pitch, 0x77, FONT_WIDTH * 4);
    put(s, "\rhop: inflating [#####-----]  50%");
    assert_int_equal(pixel_at(s, 0, 0), 0x77777777u);
    /* The changed cells were drawn. */
    assert_int_equal(cell_char(s, 20, 0), '#');
    assert_int_equal(cell_char(s, 29, 0), '5');
    screen_free(s);
}

/* Wide screens get scaled glyphs, and the grid never exceeds
 * FBCON_MAX_CELLS. */
static void test_scale_and_limits(void **state)
{
    (void)state;
    size_t n;
    struct screen *s = screen_new(formats(&n)[0], 2560, 64, 0);
    assert_int_equal(s->c->scale, 2);
    assert_int_equal(s->c->cols, 160);
    assert_int_equal(s->c->rows, 2);
    put(s, "Hi\nthere");
    const char *want[] = { "Hi", "there" };
    assert_rows(s, want, 2);
    screen_free(s);

    s = screen_new(formats(&n)[0], 3840, 48, 0);
    assert_int_equal(s->c->scale, 3);
    assert_int_equal(s->c->cols, 160);
    screen_free(s);

    s = screen_new(formats(&n)[0], 1920, 1080, 0);
    assert_int_equal(s->c->scale, 1);
    assert_int_equal(s->c->cols, 240);
    assert_int_equal(s->c->rows, 67);
    screen_free(s);

    s = screen_new(formats(&n)[0], 1024, 4096, 0); /* portrait: 128 x 256 cells */
    assert_int_equal(s->c->cols, 128);
    assert_int_equal(s->c->rows, FBCON_MAX_CELLS / 128);
    for (int i = 0; i < 300; i++)
        put(s, "a line that scrolls\n");
    put(s, "last");
    assert_int_equal(cell_char(s, 0, s->c->y), 'l');
    screen_free(s);
}

static void test_unsupported_formats(void **state)
{
    (void)state;
    struct fbcon *c = calloc(1, sizeof(*c));
    uint8_t mem[64 * 64 * 4];
    struct hop_error err = { 0 };
    struct framebuffer ok = rgb_format(64, 32, 64 * 4, 32, 16, 8, 8, 8, 0, 8);
    struct framebuffer f;

    assert_int_equal(fbcon_setup(c, mem, &ok, &err), HOP_OK);
    assert_int_equal(fbcon_setup(c, NULL, &ok, &err), HOP_ERR_UNSUPPORTED);
    f = ok;
    f.type = FB_EGA_TEXT;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    f = ok;
    f.type = FB_INDEXED;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "indexed"));
    f = ok;
    f.bpp = 4;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    f = ok;
    f.bpp = 24;
    f.red_pos = 20; /* 20 + 8 > 24 */
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "red 20:8"));
    f = ok;
    f.red_size = f.green_size = f.blue_size = 0;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    f = ok;
    f.pitch = 64 * 4 - 1;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "pitch"));
    f = ok;
    f.width = 7;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    f = ok;
    f.height = 15;
    assert_int_equal(fbcon_setup(c, mem, &f, &err), HOP_ERR_UNSUPPORTED);
    free(c);
}

/* The console sink: nothing happens before fbcon_init. */
static void test_global_console(void **state)
{
    (void)state;
    static uint8_t mem[8 * 4 * 4 * 16];
    fbcon_write("ignored", 7);
    struct framebuffer fb = rgb_format(8 * 4, 16, 8 * 4 * 4, 32, 16, 8, 8, 8, 0, 8);
    assert_int_equal(fbcon_init(mem, &fb, NULL), HOP_OK);
    fbcon_write("ok", 2);
    struct screen s = { .fb = fb, .mem = mem, .size = sizeof(mem) };
    struct fbcon probe = { .scale = 1, .fg = fbcon_pack(&fb, FBCON_FG_RGB),
                           .bg = fbcon_pack(&fb, FBCON_BG_RGB), .cols = 4 };
    s.c = &probe;
    const char *want[] = { "ok" };
    assert_rows(&s, want, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_font_glyphs_distinct_and_inked),
        cmocka_unit_test(test_pack),
        cmocka_unit_test(test_text_in_every_format),
        cmocka_unit_test(test_indexed),
        cmocka_unit_test(test_setup_clears_screen),
        cmocka_unit_test(test_wrapping),
        cmocka_unit_test(test_cells_in_place_and_inverse),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_scroll_one_line_on_small_screens),
        cmocka_unit_test(test_scroll_by_a_quarter),
        cmocka_unit_test(test_only_changed_cells_are_drawn),
        cmocka_unit_test(test_scale_and_limits),
        cmocka_unit_test(test_unsupported_formats),
        cmocka_unit_test(test_global_console),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
