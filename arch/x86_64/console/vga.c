/* VGA text-mode console: characters with an attribute byte in a cols x rows
 * buffer; scrolls; moves the hardware cursor through the CRTC. */
#include "console/vga.h"
#include "console/menu_draw.h"
#include "io.h"
#include "lib/string.h"

#define VGA_ATTR 0x07 /* light grey on black */
#define VGA_ATTR_INVERSE 0x70 /* black on light grey: the menu's highlight */
#define CRTC_CURSOR_START 0x0A
#define CURSOR_DISABLE 0x20
#define CURSOR_START_LINE 0x0D /* an underline cursor, as the BIOS sets it */
#define ASCII_FIRST 0x20
#define ASCII_LAST 0x7E
#define CRTC_INDEX 0x3D4
#define CRTC_DATA 0x3D5
#define CRTC_CURSOR_HIGH 0x0E
#define CRTC_CURSOR_LOW 0x0F

static volatile uint16_t *vga_buf;
static uint32_t vga_cols, vga_rows, vga_x, vga_y;

void vga_init(paddr_t base, uint32_t cols, uint32_t rows)
{
    vga_buf = (volatile uint16_t *)(uintptr_t)base;
    vga_cols = cols;
    vga_rows = rows;
    vga_x = vga_y = 0;
    for (uint32_t i = 0; i < cols * rows; i++)
        vga_buf[i] = (VGA_ATTR << 8) | ' ';
}

static void vga_scroll(void)
{
    for (uint32_t i = 0; i < vga_cols * (vga_rows - 1); i++)
        vga_buf[i] = vga_buf[i + vga_cols];
    for (uint32_t i = 0; i < vga_cols; i++)
        vga_buf[vga_cols * (vga_rows - 1) + i] = (VGA_ATTR << 8) | ' ';
    vga_y = vga_rows - 1;
}

static void vga_cursor(void)
{
    uint16_t pos = (uint16_t)(vga_y * vga_cols + vga_x);
    outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    outb(CRTC_DATA, pos >> 8);
    outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    outb(CRTC_DATA, pos & 0xFF);
}

void vga_write(const char *s, size_t n)
{
    if (!vga_buf)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            vga_x = 0;
            vga_y++;
        } else if (c == '\r') {
            vga_x = 0;
        } else {
            vga_buf[vga_y * vga_cols + vga_x] = (VGA_ATTR << 8) | (uint8_t)c;
            if (++vga_x == vga_cols) {
                vga_x = 0;
                vga_y++;
            }
        }
        if (vga_y == vga_rows)
            vga_scroll();
    }
    vga_cursor();
}

static void vga_cursor_shown(bool on)
{
    outb(CRTC_INDEX, CRTC_CURSOR_START);
    outb(CRTC_DATA, on ? CURSOR_START_LINE : CURSOR_DISABLE);
}

static void vga_blank(void)
{
    for (uint32_t i = 0; i < vga_cols * vga_rows; i++)
        vga_buf[i] = (VGA_ATTR << 8) | ' ';
    vga_x = vga_y = 0;
}

/* The boot menu draws cells directly; bytes outside 32-126 show as '?',
 * as on the framebuffer.  No blinking cursor while it is up. */
static void vga_menu_begin(void)
{
    vga_blank();
    vga_cursor_shown(false);
}

static void vga_menu_end(void)
{
    vga_blank();
    vga_cursor_shown(true);
    vga_cursor();
}

static void vga_menu_put(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse)
{
    uint16_t attr = (inverse ? VGA_ATTR_INVERSE : VGA_ATTR) << 8;
    for (size_t i = 0; i < n && col < vga_cols && row < vga_rows; i++, col++) {
        uint8_t c = (uint8_t)s[i];
        vga_buf[row * vga_cols + col] = attr | (c >= ASCII_FIRST && c <= ASCII_LAST ? c : '?');
    }
}

static struct menu_screen vga_screen = {
    .begin = vga_menu_begin, .put = vga_menu_put, .end = vga_menu_end,
};

const struct menu_screen *vga_menu_screen(void)
{
    vga_screen.cols = vga_cols;
    vga_screen.rows = vga_rows;
    return &vga_screen;
}
