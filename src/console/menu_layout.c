/* The menu screen as text (see menu_layout.h). */
#include "console/menu_layout.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "version.h"

#define UTF8_CONT_MASK 0xc0
#define UTF8_CONT 0x80
#define ENTRY_TEXT_MAX 512 /* longer titles lose their middle (fmt_message) */

static const char help_list[] = "Up/Down or 0-9: choose   Enter: boot   e: edit the command line";
static const char help_list_noedit[] = "Up/Down or 0-9: choose   Enter: boot";
static const char help_edit[] =
    "Left/Right Home End Backspace Delete: edit   Enter: boot it once   Esc: back";

void menu_clip(struct menu_row *out, uint32_t cols, const char *text)
{
    size_t n = strlen(text), mark = sizeof(MENU_CLIP_MARK) - 1;
    if (n > cols) {
        n = cols > mark ? cols - mark : 0;
        /* never half a UTF-8 character before the mark */
        while (n > 0 && ((unsigned char)text[n] & UTF8_CONT_MASK) == UTF8_CONT)
            n--;
        memcpy(out->text, text, n);
        memcpy(out->text + n, MENU_CLIP_MARK, MIN(mark, (size_t)cols - n));
        n += MIN(mark, (size_t)cols - n);
    } else {
        memcpy(out->text, text, n);
    }
    memset(out->text + n, ' ', cols - n);
    out->text[cols] = '\0';
}

static void title_row(const struct menu *m, uint32_t cols, struct menu_row *out)
{
    char buf[ENTRY_TEXT_MAX];
    if (m->mode == MENU_EDIT)
        fmt_message(buf, sizeof(buf), "hop %s - command line of entry %zu: %s", HOP_VERSION,
                    m->sel, m->cfg->entries[m->sel].title);
    else
        fmt_message(buf, sizeof(buf), "hop %s - boot menu", HOP_VERSION);
    menu_clip(out, cols, buf);
}

/* The entries, scrolled so that the chosen one is among the `room` shown. */
static void entry_row(const struct menu *m, uint32_t cols, uint32_t room, uint32_t i,
                      struct menu_row *out)
{
    char buf[ENTRY_TEXT_MAX];
    size_t first = m->sel >= room ? m->sel - room + 1 : 0, e = first + i;
    if (i >= room || e >= m->cfg->entry_count) {
        menu_clip(out, cols, "");
        return;
    }
    fmt_message(buf, sizeof(buf), "  %zu  %s", e, m->cfg->entries[e].title);
    menu_clip(out, cols, buf);
    if (e == m->sel) {
        out->inverse_from = 0;
        out->inverse_to = cols;
    }
}

static void edit_row(const struct menu *m, uint32_t cols, uint32_t i, size_t *edit_first,
                     struct menu_row *out)
{
    char buf[ENTRY_TEXT_MAX];
    if (i == 0) {
        fmt_message(buf, sizeof(buf), "kernel: %s", m->cfg->entries[m->sel].kernel);
        menu_clip(out, cols, buf);
    } else if (i == 2) {
        char view[MENU_MAX_COLS + 1];
        size_t cur = lineedit_view(&m->ed, edit_first, cols, view);
        menu_clip(out, cols, view);
        out->inverse_from = (uint32_t)cur;
        out->inverse_to = (uint32_t)cur + 1;
    } else {
        menu_clip(out, cols, "");
    }
}

static void countdown_row(const struct menu *m, uint64_t now_ms, uint32_t cols,
                          struct menu_row *out)
{
    char buf[ENTRY_TEXT_MAX];
    unsigned left = menu_seconds_left(m, now_ms);
    if (m->mode == MENU_LIST && left > 0)
        fmt_message(buf, sizeof(buf), "Entry %zu boots in %u s (any key stops the countdown)",
                    m->sel, left);
    else
        buf[0] = '\0';
    menu_clip(out, cols, buf);
}

void menu_layout_row(const struct menu *m, uint64_t now_ms, uint32_t cols, uint32_t rows,
                     uint32_t row, size_t *edit_first, struct menu_row *out)
{
    cols = MIN(cols, (uint32_t)MENU_MAX_COLS);
    rows = MAX(rows, (uint32_t)MENU_MIN_ROWS);
    out->inverse_from = out->inverse_to = 0;
    uint32_t body = rows - MENU_TOP_ROWS - MENU_BOTTOM_ROWS;
    if (row == 0)
        title_row(m, cols, out);
    else if (row < MENU_TOP_ROWS)
        menu_clip(out, cols, "");
    else if (row < MENU_TOP_ROWS + body && m->mode == MENU_EDIT)
        edit_row(m, cols, row - MENU_TOP_ROWS, edit_first, out);
    else if (row < MENU_TOP_ROWS + body)
        entry_row(m, cols, body - 1, row - MENU_TOP_ROWS, out);
    else if (row == rows - 3)
        menu_clip(out, cols, m->note ? m->note : "");
    else if (row == rows - 2)
        countdown_row(m, now_ms, cols, out);
    else
        menu_clip(out, cols, m->mode == MENU_EDIT ? help_edit
                             : m->cfg->menu_edit ? help_list : help_list_noedit);
}
