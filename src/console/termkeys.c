/* Terminal escape sequences to keys (see termkeys.h). */
#include "console/termkeys.h"
#include "console/menu_keys.h"

#define ASCII_ESC 0x1b
#define ASCII_DEL 0x7f

enum { TK_PLAIN, TK_ESC, TK_CSI, TK_SS3 };

static int csi_final(unsigned param, int c)
{
    switch (c) {
    case 'A': return KEY_UP;
    case 'B': return KEY_DOWN;
    case 'C': return KEY_RIGHT;
    case 'D': return KEY_LEFT;
    case 'H': return KEY_HOME;
    case 'F': return KEY_END;
    case '~':
        return param == 1 || param == 7 ? KEY_HOME
             : param == 4 || param == 8 ? KEY_END
             : param == 3               ? KEY_DELETE
                                        : KEY_OTHER;
    default: return KEY_OTHER;
    }
}

static int plain_byte(struct termkeys *t, int c, uint64_t now_ms)
{
    if (c == ASCII_ESC) {
        t->state = TK_ESC;
        t->esc_ms = now_ms;
        return -1;
    }
    if (c == ASCII_DEL || c == '\b')
        return KEY_BACKSPACE;
    return c == '\n' ? '\r' : c;
}

int termkeys_byte(struct termkeys *t, int c, uint64_t now_ms)
{
    switch (t->state) {
    case TK_ESC:
        t->param = t->digits = 0;
        t->state = c == '[' ? TK_CSI : c == 'O' ? TK_SS3 : TK_PLAIN;
        if (t->state != TK_PLAIN)
            return -1;
        /* ESC then a key within TERMKEYS_ESC_MS: Esc, and that key is lost
         * (Alt+key on some terminals); ESC ESC: Esc, and a new ESC waits */
        if (c == ASCII_ESC) {
            t->state = TK_ESC;
            t->esc_ms = now_ms;
        }
        return KEY_ESC;
    case TK_CSI:
        if (c >= '0' && c <= '9') {
            if (t->digits++ < TERMKEYS_PARAM_MAX)
                t->param = t->param * 10 + (unsigned)(c - '0');
            return -1;
        }
        if (c == ';') { /* modifiers (ESC [ 1 ; 5 C): the key without them */
            t->digits = TERMKEYS_PARAM_MAX + 1;
            return -1;
        }
        t->state = TK_PLAIN;
        return csi_final(t->param, c);
    case TK_SS3:
        t->state = TK_PLAIN;
        return csi_final(0, c);
    default:
        return plain_byte(t, c, now_ms);
    }
}

int termkeys_idle(struct termkeys *t, uint64_t now_ms)
{
    if (t->state != TK_ESC || now_ms - t->esc_ms < TERMKEYS_ESC_MS)
        return -1;
    t->state = TK_PLAIN;
    return KEY_ESC;
}
