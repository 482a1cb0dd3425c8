/* The menu screen as text: what each row of a cols x rows screen shows.
 * Portable and pure, for every console alike (menu_draw.c draws it).
 *
 *   row 0          hop VERSION boot menu (or: editing the command line of ...)
 *   rows 2 ...     the entries, "  N  TITLE", the chosen one in inverse video;
 *                  in the editor: the kernel, then the line being edited with
 *                  the cursor's cell in inverse video
 *   row rows - 3   a message (editing refused, the editor's limit), if any
 *   row rows - 2   the countdown, until a key stops it
 *   row rows - 1   the keys
 *
 * Text from the configuration is escaped as kprintf does (fmt_message: a
 * control byte shows as \xHH), and a row too long for the screen ends in
 * "..." rather than being cut silently. */
#ifndef HOP_MENU_LAYOUT_H
#define HOP_MENU_LAYOUT_H

#include "console/menu.h"

#define MENU_MAX_COLS 256   /* wider screens use this many columns */
#define MENU_MIN_ROWS 8     /* fewer rows: the layout of 8, cut at the bottom */
#define MENU_CLIP_MARK "..."
#define MENU_TOP_ROWS 2     /* the title and a blank row */
#define MENU_BOTTOM_ROWS 3  /* message, countdown, keys */

struct menu_row {
    char text[MENU_MAX_COLS + 1]; /* cols bytes, padded with spaces */
    uint32_t inverse_from, inverse_to; /* columns shown in inverse video */
};

/* Row `row` of the menu on a cols x rows screen (cols at most MENU_MAX_COLS).
 * *edit_first is the screen's own window onto the line being edited
 * (lineedit_view). */
void menu_layout_row(const struct menu *m, uint64_t now_ms, uint32_t cols, uint32_t rows,
                     uint32_t row, size_t *edit_first, struct menu_row *out);

/* text, escaped already, into out->text: clipped to cols with "...", padded. */
void menu_clip(struct menu_row *out, uint32_t cols, const char *text);

#endif
