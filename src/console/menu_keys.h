/* Keys as the boot menu and its editor see them, whichever console they
 * came from: printable ASCII as itself, Enter as '\r', the rest as these
 * codes.  The consoles' own encodings (PS/2 scan codes, a terminal's escape
 * sequences) are turned into these by the code that reads them. */
#ifndef HOP_MENU_KEYS_H
#define HOP_MENU_KEYS_H
#define KEY_BACKSPACE 0x08
#define KEY_ESC 0x1B
#define KEY_UP 0x100
#define KEY_DOWN 0x101
#define KEY_OTHER 0x102 /* a key that means nothing to the menu */
#define KEY_LEFT 0x103
#define KEY_RIGHT 0x104
#define KEY_HOME 0x105
#define KEY_END 0x106
#define KEY_DELETE 0x107
#endif
