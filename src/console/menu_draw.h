/* The menu on the consoles.  Each console that can show a menu screen
 * registers a menu_screen (arch code: VGA text, the framebuffer, a serial
 * terminal through ANSI sequences); menu_draw lays the menu out for each
 * (menu_layout.h) and sends only the rows that changed.  A screen with a
 * `write` (a serial terminal) gets the plain form instead when the
 * configuration says serial=plain: the numbered list and the countdown as
 * log lines, and the editor as one line redrawn with '\r'.  Terminals are
 * drawn after the displays. */
#ifndef HOP_MENU_DRAW_H
#define HOP_MENU_DRAW_H

#include "console/menu.h"

#define MENU_MAX_SCREENS 4
#define MENU_MAX_ROWS 128 /* rows kept track of; taller screens use this many */
#define MENU_PLAIN_COLS 79 /* the plain editor line fits an 80-column terminal */

struct menu_screen {
    uint32_t cols, rows;
    void (*begin)(void); /* blank the screen for the menu */
    void (*put)(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse);
    void (*end)(void);   /* blank it again: the log goes on at the top */
    void (*write)(const char *s, size_t n); /* a terminal: text as it is, or NULL */
};

void menu_add_screen(const struct menu_screen *s);

void menu_draw_begin(struct menu *m);
void menu_draw(struct menu *m, uint64_t now_ms);
void menu_draw_end(struct menu *m);

#endif
