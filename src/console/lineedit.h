/* A one-line text editor for a kernel command line (the boot menu's `e`).
 * Portable: it only sees keys (menu_keys.h) and produces the text of a
 * window onto the line; the consoles draw that window.
 *
 * The line holds at most LINEEDIT_MAX bytes (the limit of one command-line
 * value, config.h).  A byte that is not printable ASCII (a control byte from
 * hop.cfg) is kept as it is but shown as \xHH, four cells wide, and the
 * cursor steps over it whole.  A line wider than the window scrolls so that
 * the cursor stays visible; '<' and '>' at the window's edges say that text
 * lies beyond them.  Where the window starts is kept by each view (a
 * screen of its own width), not by the line. */
#ifndef HOP_LINEEDIT_H
#define HOP_LINEEDIT_H

#include "lib/types.h"

#define LINEEDIT_MAX 4096
#define LINEEDIT_MIN_WIDTH 12 /* narrower windows are drawn as this */

enum lineedit_result {
    LINEEDIT_GOING,  /* the key was taken (or ignored) */
    LINEEDIT_ACCEPT, /* Enter: boot with the line */
    LINEEDIT_CANCEL, /* Esc: back to the menu, line dropped */
};

struct lineedit {
    char buf[LINEEDIT_MAX + 1]; /* NUL-terminated */
    size_t len, cur;            /* bytes; cursor before buf[cur] */
    bool at_limit;              /* the last insertion was refused */
};

/* Starts editing text; false (and nothing changed) when text is longer than
 * LINEEDIT_MAX bytes. */
bool lineedit_start(struct lineedit *e, const char *text);
enum lineedit_result lineedit_key(struct lineedit *e, int key);

/* The window onto the line, width cells (at least LINEEDIT_MIN_WIDTH),
 * written to out (MAX(width, LINEEDIT_MIN_WIDTH) + 1 bytes, NUL-terminated,
 * printable ASCII only);
 * returns the cursor's cell in it.  *first is the first byte the window
 * shows (0 for a new view), moved as needed to keep the cursor inside. */
size_t lineedit_view(const struct lineedit *e, size_t *first, size_t width, char *out);

#endif
