/* Keys as the boot menu sees them, whichever console they came from:
 * printable characters as themselves, the rest as these codes. */
#ifndef HOP_MENU_KEYS_H
#define HOP_MENU_KEYS_H
#define KEY_UP 0x100
#define KEY_DOWN 0x101
#define KEY_ESC 0x1B
#define KEY_OTHER 0x102
#endif
