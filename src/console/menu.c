/* The boot menu's state machine (see menu.h); menu_run.c runs it. */
#include "console/menu.h"
#include "console/menu_keys.h"

#define MS_PER_S 1000
#define STRINGIFY(x) #x
#define NUMBER_TEXT(x) STRINGIFY(x)
#define EDIT_LIMIT_TEXT NUMBER_TEXT(LINEEDIT_MAX) " bytes"

void menu_start(struct menu *m, const struct hop_config *cfg, uint64_t now_ms)
{
    m->cfg = cfg;
    m->mode = MENU_LIST;
    m->sel = cfg->default_index;
    m->counting = true;
    m->timed_out = m->edited = false;
    m->deadline_ms = now_ms + (uint64_t)cfg->timeout * MS_PER_S;
    m->note = NULL;
}

unsigned menu_seconds_left(const struct menu *m, uint64_t now_ms)
{
    if (!m->counting || now_ms >= m->deadline_ms)
        return 0;
    return (unsigned)((m->deadline_ms - now_ms + MS_PER_S - 1) / MS_PER_S);
}

void menu_tick(struct menu *m, uint64_t now_ms)
{
    if (m->mode == MENU_LIST && m->counting && now_ms >= m->deadline_ms) {
        m->timed_out = true;
        m->mode = MENU_DONE;
    }
}

static void start_editing(struct menu *m)
{
    if (!m->cfg->menu_edit)
        m->note = "editing is turned off (menu-edit=no in the configuration)";
    else if (!lineedit_start(&m->ed, m->cfg->entries[m->sel].cmdline))
        m->note = "this command line is longer than the editor's " EDIT_LIMIT_TEXT;
    else
        m->mode = MENU_EDIT;
}

static void list_key(struct menu *m, int key)
{
    size_t n = m->cfg->entry_count;
    if (key == '\r')
        m->mode = MENU_DONE;
    else if (key >= '0' && key <= '9' && (size_t)(key - '0') < n)
        m->sel = (size_t)(key - '0');
    else if (key == KEY_UP && m->sel > 0)
        m->sel--;
    else if (key == KEY_DOWN && m->sel + 1 < n)
        m->sel++;
    else if (key == KEY_HOME)
        m->sel = 0;
    else if (key == KEY_END)
        m->sel = n - 1;
    else if (key == 'e')
        start_editing(m);
}

static void edit_key(struct menu *m, int key)
{
    enum lineedit_result r = lineedit_key(&m->ed, key);
    m->note = m->ed.at_limit ? "the command line is full: at most " EDIT_LIMIT_TEXT : NULL;
    if (r == LINEEDIT_ACCEPT) {
        m->edited = true;
        m->mode = MENU_DONE;
    } else if (r == LINEEDIT_CANCEL) {
        m->mode = MENU_LIST;
    }
}

/* Any key stops the countdown; one that means nothing does nothing else. */
void menu_key(struct menu *m, int key)
{
    m->counting = false;
    if (m->mode == MENU_LIST) {
        m->note = NULL;
        list_key(m, key);
    } else if (m->mode == MENU_EDIT) {
        edit_key(m, key);
    }
}
