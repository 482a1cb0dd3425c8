/* The one-line editor (see lineedit.h). */
#include "console/lineedit.h"
#include "console/menu_keys.h"
#include "lib/string.h"

#define ASCII_FIRST 0x20
#define ASCII_LAST 0x7e
#define ESCAPED_CELLS 4 /* \xHH */

static bool printable(char c)
{
    return (unsigned char)c >= ASCII_FIRST && (unsigned char)c <= ASCII_LAST;
}

static size_t cells(char c)
{
    return printable(c) ? 1 : ESCAPED_CELLS;
}

bool lineedit_start(struct lineedit *e, const char *text)
{
    size_t n = strlen(text);
    if (n > LINEEDIT_MAX)
        return false;
    memcpy(e->buf, text, n + 1);
    e->len = e->cur = n;
    e->at_limit = false;
    return true;
}

static void insert(struct lineedit *e, char c)
{
    if (e->len == LINEEDIT_MAX) {
        e->at_limit = true;
        return;
    }
    memmove(e->buf + e->cur + 1, e->buf + e->cur, e->len - e->cur + 1);
    e->buf[e->cur++] = c;
    e->len++;
}

static void delete_at(struct lineedit *e, size_t at)
{
    memmove(e->buf + at, e->buf + at + 1, e->len - at);
    e->len--;
}

enum lineedit_result lineedit_key(struct lineedit *e, int key)
{
    e->at_limit = false;
    if (key == '\r')
        return LINEEDIT_ACCEPT;
    if (key == KEY_ESC)
        return LINEEDIT_CANCEL;
    if (key == KEY_LEFT && e->cur > 0)
        e->cur--;
    else if (key == KEY_RIGHT && e->cur < e->len)
        e->cur++;
    else if (key == KEY_HOME)
        e->cur = 0;
    else if (key == KEY_END)
        e->cur = e->len;
    else if (key == KEY_BACKSPACE && e->cur > 0)
        delete_at(e, --e->cur);
    else if (key == KEY_DELETE && e->cur < e->len)
        delete_at(e, e->cur);
    else if (key >= ASCII_FIRST && key <= ASCII_LAST)
        insert(e, (char)key);
    return LINEEDIT_GOING; /* any other key means nothing here */
}

static size_t span_cells(const struct lineedit *e, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += cells(e->buf[i]);
    return n;
}

/* Moves the window so that the cursor's cell lies inside it, left of the
 * '>' mark that says there is more text. */
static size_t scroll_to_cursor(const struct lineedit *e, size_t first, size_t width)
{
    first = MIN(first, e->cur);
    /* the left mark, the text up to the cursor, its cell and the right mark */
    while (first < e->cur && (first > 0) + span_cells(e, first, e->cur) + 2 > width)
        first++;
    /* after a deletion near the end, show as much of the line as fits */
    while (first > 0 && (first - 1 > 0) + span_cells(e, first - 1, e->len) + 1 <= width)
        first--;
    return first;
}

static void put_cell_text(char *out, size_t *at, char c)
{
    static const char hex[] = "0123456789abcdef";
    if (printable(c)) {
        out[(*at)++] = c;
        return;
    }
    out[(*at)++] = '\\';
    out[(*at)++] = 'x';
    out[(*at)++] = hex[(unsigned char)c >> 4];
    out[(*at)++] = hex[(unsigned char)c & 0xf];
}

size_t lineedit_view(const struct lineedit *e, size_t *first, size_t width, char *out)
{
    width = MAX(width, (size_t)LINEEDIT_MIN_WIDTH);
    *first = scroll_to_cursor(e, *first, width);
    size_t at = 0, cursor = 0, i = *first;
    if (i > 0)
        out[at++] = '<';
    for (; i < e->len; i++) {
        if (i == e->cur)
            cursor = at;
        if (at + cells(e->buf[i]) > width)
            break;
        put_cell_text(out, &at, e->buf[i]);
    }
    if (i == e->len && e->cur == e->len)
        cursor = at;
    if (i < e->len) { /* more to the right: the last cell says so */
        while (at >= width)
            at--;
        out[at++] = '>';
    }
    while (at < width)
        out[at++] = ' ';
    out[at] = '\0';
    return MIN(cursor, width - 1);
}
