#ifndef HOP_ARCH_KEYBOARD_H
#define HOP_ARCH_KEYBOARD_H
#include "lib/types.h"
#include "console/menu_keys.h"
/* A key from the PS/2 keyboard, or -1 when none is waiting. */
int keyboard_getc(void);
#endif
