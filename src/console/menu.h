/* The boot menu: when the configuration has a timeout, a menu screen on
 * every console that can show one (menu_screen.h), a countdown that the
 * first key stops, digits and arrows to choose, Enter to boot, and `e` to
 * edit the chosen entry's command line for this boot (lineedit.h), unless
 * menu-edit=no.  The state machine is here; menu_draw.c lays it out. */
#ifndef HOP_MENU_H
#define HOP_MENU_H

#include "console/lineedit.h"
#include "parse/config.h"

struct menu_input {
    int (*term_getc)(void);   /* a byte from a serial terminal, or -1 */
    int (*key_getc)(void);    /* a key (menu_keys.h) from a keyboard, or -1 */
    uint64_t (*now_ms)(void);
};

enum menu_mode { MENU_LIST, MENU_EDIT, MENU_DONE };

struct menu {
    const struct hop_config *cfg;
    enum menu_mode mode;
    size_t sel;
    bool counting;          /* no key yet: the countdown runs */
    bool timed_out;         /* MENU_DONE by the countdown */
    bool edited;            /* MENU_DONE from the editor: boot with ed.buf */
    uint64_t deadline_ms;
    const char *note;       /* a message on the status line, or NULL */
    struct lineedit ed;
};

/* What the menu decided: the entry to boot first and, when it was edited,
 * its command line for this boot (else NULL). */
struct menu_choice {
    size_t index;
    const char *cmdline;
};

void menu_start(struct menu *m, const struct hop_config *cfg, uint64_t now_ms);
/* Seconds left, rounded up; 0 once the countdown stopped. */
unsigned menu_seconds_left(const struct menu *m, uint64_t now_ms);
/* Ends the menu (MENU_DONE) when the countdown ran out. */
void menu_tick(struct menu *m, uint64_t now_ms);
void menu_key(struct menu *m, int key);

/* The whole menu on the consoles; returns at once (the default) without a
 * timeout, entries or a clock. */
struct menu_choice menu_choose(const struct hop_config *cfg, const struct menu_input *in);

#endif
