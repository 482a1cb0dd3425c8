/* The menu on the consoles (see menu_draw.h). */
#include "console/menu_draw.h"
#include "console/menu_layout.h"
#include "lib/crc32.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define PLAIN_LINE_MAX 600
#define PLAIN_PROMPT "hop: edit> "

struct screen {
    const struct menu_screen *s;
    uint32_t row_crc[MENU_MAX_ROWS]; /* of what each row shows; 0: unknown */
    size_t edit_first;               /* its window onto the edited line */
};

/* What the plain form last printed, to print only what changed. */
struct plain_state {
    enum menu_mode mode;
    size_t sel;
    unsigned left;
    const char *note;
    uint32_t edit_crc;
    size_t edit_first;
};

static struct screen screens[MENU_MAX_SCREENS];
static size_t screen_count;
static struct plain_state plain;

void menu_add_screen(const struct menu_screen *s)
{
    if (screen_count < MENU_MAX_SCREENS)
        screens[screen_count++].s = s;
}

static bool is_plain(const struct menu *m, const struct screen *sc)
{
    return sc->s->write && m->cfg->serial_plain;
}

static void put_row(const struct menu_screen *s, uint32_t row, const struct menu_row *r,
                    uint32_t cols)
{
    uint32_t a = MIN(r->inverse_from, cols), b = MIN(MAX(r->inverse_to, a), cols);
    if (a > 0)
        s->put(row, 0, r->text, a, false);
    if (b > a)
        s->put(row, a, r->text + a, b - a, true);
    if (cols > b)
        s->put(row, b, r->text + b, cols - b, false);
}

static void draw_screen(struct menu *m, uint64_t now_ms, struct screen *sc)
{
    struct menu_row r;
    uint32_t cols = MIN(sc->s->cols, (uint32_t)MENU_MAX_COLS);
    uint32_t rows = MIN(sc->s->rows, (uint32_t)MENU_MAX_ROWS);
    for (uint32_t row = 0; row < rows; row++) {
        menu_layout_row(m, now_ms, cols, rows, row, &sc->edit_first, &r);
        uint32_t crc = crc32_update(0, r.text, cols);
        crc = crc32_update(crc, &r.inverse_from, sizeof(r.inverse_from) * 2) | 1;
        if (crc != sc->row_crc[row]) {
            put_row(sc->s, row, &r, cols);
            sc->row_crc[row] = crc;
        }
    }
}

static void plain_printf(const struct menu_screen *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void plain_printf(const struct menu_screen *s, const char *fmt, ...)
{
    char buf[PLAIN_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vmessage(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    s->write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

static void plain_list(const struct menu *m, const struct menu_screen *s)
{
    plain_printf(s, "hop: boot menu (digits or arrows choose, Enter boots%s):\n",
                 m->cfg->menu_edit ? ", e edits the command line" : "");
    for (size_t i = 0; i < m->cfg->entry_count; i++)
        plain_printf(s, "hop: %s %zu: %s (%s)\n", i == m->sel ? "->" : "  ", i,
                     m->cfg->entries[i].title, m->cfg->entries[i].kernel);
}

/* The editor's line, redrawn in place with '\r'. */
static void plain_edit(struct menu *m, const struct menu_screen *s)
{
    char view[MENU_PLAIN_COLS + 1];
    lineedit_view(&m->ed, &plain.edit_first, MENU_PLAIN_COLS - (sizeof(PLAIN_PROMPT) - 1), view);
    uint32_t crc = crc32_update(0, view, strlen(view)) | 1;
    if (crc != plain.edit_crc)
        plain_printf(s, "\r" PLAIN_PROMPT "%s", view);
    plain.edit_crc = crc;
}

static void draw_plain(struct menu *m, uint64_t now_ms, const struct menu_screen *s)
{
    unsigned left = menu_seconds_left(m, now_ms);
    bool mode_changed = m->mode != plain.mode;
    if (mode_changed && plain.mode == MENU_EDIT)
        s->write("\n", 1);
    if (m->mode == MENU_LIST && (mode_changed || m->sel != plain.sel))
        plain_list(m, s);
    if (m->mode == MENU_EDIT && mode_changed) {
        plain_printf(s, "hop: editing the command line of entry %zu (Enter boots it once, "
                        "Esc returns):\n", m->sel);
        plain.edit_crc = 0;
    }
    if (m->note && m->note != plain.note)
        plain_printf(s, "%shop: %s\n", m->mode == MENU_EDIT ? "\n" : "", m->note);
    if (m->note != plain.note && m->mode == MENU_EDIT)
        plain.edit_crc = 0;
    if (m->mode == MENU_LIST && left > 0 && left != plain.left)
        plain_printf(s, "hop: booting entry %zu in %u s (any key stops)\n", m->sel, left);
    if (m->mode == MENU_EDIT)
        plain_edit(m, s);
    plain.mode = m->mode;
    plain.sel = m->sel;
    plain.left = left;
    plain.note = m->note;
}

void menu_draw_begin(struct menu *m)
{
    plain.mode = MENU_DONE; /* nothing printed yet */
    plain.left = 0;
    plain.note = NULL;
    plain.edit_first = 0;
    for (size_t i = 0; i < screen_count; i++) {
        memset(screens[i].row_crc, 0, sizeof(screens[i].row_crc));
        screens[i].edit_first = 0;
        if (!is_plain(m, &screens[i]) && screens[i].s->begin)
            screens[i].s->begin();
    }
}

/* Terminals last: once a serial line shows a state, every display shows it
 * too (the screen tests take their pictures on what the serial port says). */
void menu_draw(struct menu *m, uint64_t now_ms)
{
    for (int terminals = 0; terminals < 2; terminals++) {
        for (size_t i = 0; i < screen_count; i++) {
            if ((screens[i].s->write != NULL) != terminals)
                continue;
            if (is_plain(m, &screens[i]))
                draw_plain(m, now_ms, screens[i].s);
            else
                draw_screen(m, now_ms, &screens[i]);
        }
    }
}

void menu_draw_end(struct menu *m)
{
    for (size_t i = 0; i < screen_count; i++) {
        if (is_plain(m, &screens[i]) && plain.mode == MENU_EDIT)
            screens[i].s->write("\n", 1);
        else if (!is_plain(m, &screens[i]) && screens[i].s->end)
            screens[i].s->end();
    }
}
