#ifndef HOP_ARCH_VGA_H
#define HOP_ARCH_VGA_H
#include "lib/types.h"
/* Text console on a VGA/EGA text buffer (normally 0xB8000, 80x25). */
void vga_init(paddr_t base, uint32_t cols, uint32_t rows);
void vga_write(const char *s, size_t n);
/* The boot menu's screen on it (menu_add_screen). */
struct menu_screen;
const struct menu_screen *vga_menu_screen(void);
#endif
