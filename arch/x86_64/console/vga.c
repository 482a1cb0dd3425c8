/* VGA text-mode console: characters with an attribute byte in a cols x rows
 * buffer; scrolls; moves the hardware cursor through the CRTC. */
#include "console/vga.h"
#include "io.h"
#include "lib/string.h"

#define VGA_ATTR 0x07 /* light grey on black */
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
