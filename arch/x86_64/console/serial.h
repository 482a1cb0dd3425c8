#ifndef HOP_ARCH_SERIAL_H
#define HOP_ARCH_SERIAL_H
#include "lib/types.h"
bool serial_init(void);                 /* false when no UART answers */
void serial_write(const char *s, size_t n);
int serial_getc(void);                  /* -1 when nothing is waiting */
/* The boot menu's screen on a terminal (ANSI), NULL without a UART. */
struct menu_screen;
const struct menu_screen *serial_menu_screen(void);
#endif
