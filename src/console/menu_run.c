/* The boot menu's loop (see menu.h): keys from the terminal and the
 * keyboard into the state machine (menu.c), the screens redrawn
 * (menu_draw.c) until it is done. */
#include "console/console.h"
#include "console/menu.h"
#include "console/menu_draw.h"
#include "console/termkeys.h"

static int next_key(const struct menu_input *in, struct termkeys *tk, uint64_t now)
{
    int c = in->term_getc ? in->term_getc() : -1;
    int key = c >= 0 ? termkeys_byte(tk, c, now) : termkeys_idle(tk, now);
    if (key < 0 && in->key_getc)
        key = in->key_getc();
    return key;
}

struct menu_choice menu_choose(const struct hop_config *cfg, const struct menu_input *in)
{
    static struct menu m; /* the editor's line outlives the call */
    struct termkeys tk = { 0 };
    struct menu_choice choice = { cfg->default_index, NULL };
    if (cfg->timeout == 0 || cfg->entry_count == 0 || !in->now_ms)
        return choice;
    menu_start(&m, cfg, in->now_ms());
    menu_draw_begin(&m);
    while (m.mode != MENU_DONE) {
        uint64_t now = in->now_ms();
        menu_draw(&m, now);
        menu_tick(&m, now);
        int key = next_key(in, &tk, now);
        if (key >= 0)
            menu_key(&m, key);
    }
    menu_draw_end(&m);
    choice.index = m.sel;
    if (m.edited)
        choice.cmdline = m.ed.buf;
    if (m.timed_out)
        kprintf("hop: timeout: booting entry %zu\n", m.sel);
    else
        kprintf("hop: chosen: entry %zu%s\n", m.sel, m.edited ? ", command line edited" : "");
    if (m.edited)
        kprintf("hop: command line for this boot: %s\n", m.ed.buf);
    return choice;
}
