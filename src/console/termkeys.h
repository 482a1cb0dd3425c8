/* Keys from a serial terminal: bytes in, keys (menu_keys.h) out.
 *
 * Terminals send most editing keys as escape sequences: arrows ESC [ A..D
 * (or ESC O A..D), Home ESC [ H, ESC [ 1 ~, ESC [ 7 ~ or ESC O H, End
 * ESC [ F, ESC [ 4 ~, ESC [ 8 ~ or ESC O F, Delete ESC [ 3 ~; Backspace is
 * DEL (0x7f) or BS.  A lone ESC is the Esc key only once nothing followed it
 * for TERMKEYS_ESC_MS: termkeys_idle says when.  An unknown sequence is one
 * KEY_OTHER, never its letters. */
#ifndef HOP_TERMKEYS_H
#define HOP_TERMKEYS_H

#include "lib/types.h"

#define TERMKEYS_ESC_MS 100
#define TERMKEYS_PARAM_MAX 4 /* digits kept of ESC [ <digits> ~ */

struct termkeys {
    int state;        /* where in a sequence (termkeys.c) */
    unsigned param;   /* the number of ESC [ n ~ */
    unsigned digits;
    uint64_t esc_ms;  /* when the ESC came */
};

/* A key when byte c completes one, else -1. */
int termkeys_byte(struct termkeys *t, int c, uint64_t now_ms);
/* KEY_ESC when a lone ESC has waited long enough, else -1. */
int termkeys_idle(struct termkeys *t, uint64_t now_ms);

#endif
