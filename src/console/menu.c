#include "console/menu.h"
#include "console/console.h"
#include "console/menu_keys.h"

#define ANSI_ESC 0x1B

/* Serial terminals send arrows as ESC [ A / ESC [ B; fold them into KEY_UP
 * and KEY_DOWN.  ESC only starts a sequence: ESC followed by anything but
 * "[" yields that next key. */
static int read_key(const struct menu_input *in)
{
    static int pending;
    int c = in->getc();
    if (c < 0)
        return -1;
    if (c == ANSI_ESC) {
        pending = 1;
        return -1;
    }
    if (pending == 1) {
        pending = c == '[' ? 2 : 0;
        return c == '[' ? -1 : c;
    }
    if (pending == 2) {
        pending = 0;
        return c == 'A' ? KEY_UP : c == 'B' ? KEY_DOWN : KEY_OTHER;
    }
    return c == '\n' ? '\r' : c;
}

static void show(const struct hop_config *cfg, size_t sel)
{
    kprintf("hop: boot menu (digits or arrows choose, Enter boots):\n");
    for (size_t i = 0; i < cfg->entry_count; i++)
        kprintf("hop: %s %zu: %s (%s)\n", i == sel ? "->" : "  ", i, cfg->entries[i].title,
                cfg->entries[i].kernel);
}

size_t menu_choose(const struct hop_config *cfg, const struct menu_input *in)
{
    size_t sel = cfg->default_index;
    if (cfg->timeout == 0 || cfg->entry_count == 0 || !in->getc || !in->now_ms)
        return sel;
    show(cfg, sel);
    uint64_t deadline = in->now_ms() + (uint64_t)cfg->timeout * 1000;
    uint64_t shown = ~0ull;
    bool counting = true;
    for (;;) {
        uint64_t now = in->now_ms();
        if (counting) {
            if (now >= deadline) {
                kprintf("hop: timeout: booting entry %zu\n", sel);
                return sel;
            }
            uint64_t left = (deadline - now + 999) / 1000;
            if (left != shown)
                kprintf("hop: booting entry %zu in %llu s (any key stops)\n", sel,
                        (unsigned long long)(shown = left));
        }
        int c = read_key(in);
        if (c < 0)
            continue;
        counting = false;
        if (c == '\r') {
            kprintf("hop: chosen: entry %zu\n", sel);
            return sel;
        }
        if (c >= '0' && c <= '9' && (size_t)(c - '0') < cfg->entry_count)
            sel = (size_t)(c - '0');
        else if (c == KEY_UP && sel > 0)
            sel--;
        else if (c == KEY_DOWN && sel + 1 < cfg->entry_count)
            sel++;
        else
            continue;
        show(cfg, sel);
    }
}
