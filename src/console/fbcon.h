/* A text console on a linear framebuffer: hop's log drawn with hop's own
 * 8x16 font (src/console/font8x16.c), light grey on black.
 *
 * Pixel formats: RGB at 15/16, 24 and 32 bits per pixel with any channel
 * positions and sizes the loader reports (the multiboot2 framebuffer tag),
 * and 8-bit indexed (palette entries 15 and 0: white and black in the VGA
 * default palette).  EGA text is the VGA console's (arch/x86_64/console/vga.c).
 *
 * The screen is a grid of cells from the top left corner: 8x16 pixels, or
 * scaled up by the largest factor (up to FBCON_MAX_SCALE) that still leaves
 * FBCON_MIN_COLS columns, so that 2560 and 3840 pixel wide screens get 2x
 * and 3x glyphs.
 *
 * The text of the grid lives in RAM, and the framebuffer is only ever
 * written, never read (reads of video memory are very slow on real
 * machines), and only where a cell changed: the text of each write is
 * applied to the grid first, then the cells that differ from what the
 * screen shows are drawn.  So a progress bar redrawn with '\r' costs a few
 * cells.  Lines longer than the grid wrap to the next row, as on VGA text
 * (nothing is cut); at the bottom the grid scrolls by a quarter of the screen at
 * once, which keeps the redraws rare where video memory is uncached.
 *
 * Control characters: '\n' starts a new line, '\r' returns to the line's
 * start, '\t' advances to the next multiple of 8 columns, '\b' moves one
 * left; other bytes outside 32-126 are drawn as '?'.  The boot menu writes
 * cells directly (fbcon_put_at), in inverse video for its highlight.  Portable: the
 * framebuffer is a pointer the caller maps. */
#ifndef HOP_FBCON_H
#define HOP_FBCON_H

#include "parse/bootinfo.h"
#include "lib/error.h"
#include "lib/types.h"

#define FBCON_MAX_CELLS 16384 /* text kept in RAM: 240x67 (1920x1080) fits */
#define FBCON_MIN_COLS 128    /* scale glyphs up while at least this many columns remain */
#define FBCON_MAX_SCALE 4
#define FBCON_SCROLL_DIVISOR 4 /* scroll by rows / 4 lines (at least one) */
#define FBCON_TAB 8
#define FBCON_FG_RGB 0xd8d8d8u /* 0xRRGGBB */
#define FBCON_BG_RGB 0x000000u
#define FBCON_INDEXED_FG 15    /* VGA palette: white */
#define FBCON_INDEXED_BG 0     /* black */

struct fbcon {
    uint8_t *base;             /* pixel (0, 0) */
    uint32_t pitch, width, height; /* bytes per line, pixels */
    uint32_t pixel_bytes;      /* 1 to 4 */
    struct framebuffer fb;     /* the format */
    uint32_t fg, bg;           /* pixel values */
    uint32_t scale;            /* glyph pixels are scale x scale */
    uint32_t cols, rows;       /* the grid */
    uint32_t x, y;             /* the cursor; x == cols: the next character wraps */
    uint32_t dirty_lo, dirty_hi; /* rows [lo, hi) may differ from the screen */
    uint8_t text[FBCON_MAX_CELLS];  /* what the grid holds */
    uint8_t shown[FBCON_MAX_CELLS]; /* what the screen shows */
};

/* Checks the format of fb (type, bpp, channel fields, pitch, size), sizes
 * the grid and clears the screen.  base maps fb->pitch * fb->height bytes.
 * HOP_ERR_UNSUPPORTED, with err saying why, for what it cannot draw. */
int fbcon_setup(struct fbcon *c, void *base, const struct framebuffer *fb,
                struct hop_error *err);

/* Applies n bytes of text to the grid and draws the changed cells. */
void fbcon_put(struct fbcon *c, const char *s, size_t n);

/* Writes n bytes at a cell, inverse video or not, without moving the log's
 * cursor (the boot menu); bytes outside 32-126 show as '?'. */
void fbcon_put_at(struct fbcon *c, uint32_t col, uint32_t row, const char *s, size_t n,
                  bool inverse);
/* Blanks the grid; the log goes on from the top left corner. */
void fbcon_blank(struct fbcon *c);

/* Changes the colours (0xRRGGBB; an indexed framebuffer keeps 15/0) and
 * redraws the whole screen. */
void fbcon_set_colors(struct fbcon *c, uint32_t fg_rgb, uint32_t bg_rgb);

/* The pixel value of colour 0xRRGGBB in an RGB format: each 8-bit channel
 * cut (or widened) to its size and shifted to its position. */
uint32_t fbcon_pack(const struct framebuffer *fb, uint32_t rgb);

/* hop's framebuffer console: fbcon_init sets it up (as fbcon_setup), after
 * which fbcon_write is the console sink (see console_add_sink). */
int fbcon_init(void *base, const struct framebuffer *fb, struct hop_error *err);
void fbcon_write(const char *s, size_t n);
/* The boot menu's screen on it (menu_add_screen), sized as the grid. */
struct menu_screen;
const struct menu_screen *fbcon_menu_screen(void);

#endif
