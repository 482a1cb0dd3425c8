/* The boot menu: when the configuration has a timeout, list the entries on
 * every console and count down; a key stops the countdown, digits choose an
 * entry, arrows move, Enter boots.  Returns the index to boot first. */
#ifndef HOP_MENU_H
#define HOP_MENU_H

#include "parse/config.h"

struct menu_input {
    int (*getc)(void);        /* a key (menu_keys.h) or -1 */
    uint64_t (*now_ms)(void);
};

size_t menu_choose(const struct hop_config *cfg, const struct menu_input *in);

#endif
