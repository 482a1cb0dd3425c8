/* Unit tests of src/console/lineedit.c: the editing keys, the limit, and the
 * window onto a line wider than it (scrolling, marks, escaped bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console/lineedit.h"
#include "console/menu_keys.h"

static struct lineedit ed;
static size_t first; /* the test's view */

static void keys(const char *s)
{
    for (; *s; s++)
        assert_int_equal(lineedit_key(&ed, (unsigned char)*s), LINEEDIT_GOING);
}

static void test_keys_edit_the_line(void **state)
{
    (void)state;
    assert_true(lineedit_start(&ed, "root=/dev/sda"));
    assert_int_equal(ed.cur, 13);
    lineedit_key(&ed, KEY_BACKSPACE);
    keys("b1");
    assert_string_equal(ed.buf, "root=/dev/sdb1");
    lineedit_key(&ed, KEY_HOME);
    keys("quiet ");
    lineedit_key(&ed, KEY_END);
    keys(" x");
    assert_string_equal(ed.buf, "quiet root=/dev/sdb1 x");
    lineedit_key(&ed, KEY_HOME);
    lineedit_key(&ed, KEY_DELETE);
    lineedit_key(&ed, KEY_RIGHT);
    lineedit_key(&ed, KEY_RIGHT);
    lineedit_key(&ed, KEY_LEFT);
    keys("Q");
    assert_string_equal(ed.buf, "uQiet root=/dev/sdb1 x");
    assert_int_equal(ed.len, strlen(ed.buf));
}

static void test_keys_at_the_ends_and_meaningless_keys_change_nothing(void **state)
{
    (void)state;
    assert_true(lineedit_start(&ed, "ab"));
    int nothing[] = { KEY_RIGHT, KEY_DELETE, KEY_UP, KEY_DOWN, KEY_OTHER, '\t', 0x01, 0x7f,
                      0x80, 0xff, 0x1000 };
    for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++)
        assert_int_equal(lineedit_key(&ed, nothing[i]), LINEEDIT_GOING);
    lineedit_key(&ed, KEY_HOME);
    lineedit_key(&ed, KEY_LEFT);
    lineedit_key(&ed, KEY_BACKSPACE);
    assert_string_equal(ed.buf, "ab");
    assert_int_equal(ed.cur, 0);
}

static void test_enter_accepts_esc_cancels(void **state)
{
    (void)state;
    assert_true(lineedit_start(&ed, ""));
    assert_int_equal(lineedit_key(&ed, '\r'), LINEEDIT_ACCEPT);
    assert_int_equal(lineedit_key(&ed, KEY_ESC), LINEEDIT_CANCEL);
}

static void test_limit(void **state)
{
    (void)state;
    static char big[LINEEDIT_MAX + 2];
    memset(big, 'a', LINEEDIT_MAX + 1);
    assert_false(lineedit_start(&ed, big));
    big[LINEEDIT_MAX] = '\0';
    assert_true(lineedit_start(&ed, big));
    keys("b");
    assert_true(ed.at_limit);
    assert_int_equal(ed.len, LINEEDIT_MAX);
    assert_null(strchr(ed.buf, 'b'));
    lineedit_key(&ed, KEY_BACKSPACE);
    assert_false(ed.at_limit);
    keys("b");
    assert_false(ed.at_limit);
    assert_int_equal(ed.buf[LINEEDIT_MAX - 1], 'b');
}

static void test_view_fits(void **state)
{
    (void)state;
    char v[64];
    first = 0;
    assert_true(lineedit_start(&ed, "hello"));
    assert_int_equal(lineedit_view(&ed, &first, 20, v), 5);
    assert_string_equal(v, "hello               ");
    lineedit_key(&ed, KEY_HOME);
    assert_int_equal(lineedit_view(&ed, &first, 20, v), 0);
}

static void test_view_scrolls_with_marks(void **state)
{
    (void)state;
    char v[64];
    first = 0;
    assert_true(lineedit_start(&ed, "0123456789abcdefghijklmnopqrstuvwxyz"));
    /* cursor at the end: the end shown, '<' for what lies left */
    size_t cur = lineedit_view(&ed, &first, 12, v);
    assert_string_equal(v, "<qrstuvwxyz ");
    assert_int_equal(strlen(v), 12);
    assert_int_equal(cur, 11); /* on the empty cell after the last byte */
    lineedit_key(&ed, KEY_HOME);
    cur = lineedit_view(&ed, &first, 12, v);
    assert_string_equal(v, "0123456789a>");
    assert_int_equal(cur, 0);
    for (int i = 0; i < 15; i++)
        lineedit_key(&ed, KEY_RIGHT);
    cur = lineedit_view(&ed, &first, 12, v);
    assert_int_equal(v[0], '<');
    assert_int_equal(v[11], '>');
    assert_int_equal(v[cur], 'f'); /* the cursor's byte, always inside the marks */
    assert_true(cur > 0 && cur < 11);
}

static void test_view_escapes_control_bytes(void **state)
{
    (void)state;
    char v[64];
    first = 0;
    assert_true(lineedit_start(&ed, "a\x1b[2Jb"));
    size_t cur = lineedit_view(&ed, &first, 20, v);
    assert_string_equal(v, "a\\x1b[2Jb           ");
    assert_int_equal(cur, 9);
    lineedit_key(&ed, KEY_HOME);
    lineedit_key(&ed, KEY_RIGHT);
    assert_int_equal(lineedit_view(&ed, &first, 20, v), 1); /* on the ESC, drawn as 4 cells */
    lineedit_key(&ed, KEY_DELETE);
    lineedit_view(&ed, &first, 20, v);
    assert_string_equal(v, "a[2Jb               ");
}

/* Two views of one line, of different widths, each keep their own window. */
static void test_views_of_different_widths(void **state)
{
    (void)state;
    char narrow[64], wide[64], again[64];
    size_t f_narrow = 0, f_wide = 0;
    assert_true(lineedit_start(&ed, "0123456789abcdefghijklmnopqrstuvwxyz"));
    lineedit_view(&ed, &f_narrow, 12, narrow);
    lineedit_view(&ed, &f_wide, 30, wide);
    for (int i = 0; i < 8; i++)
        lineedit_key(&ed, KEY_LEFT);
    size_t c1 = lineedit_view(&ed, &f_narrow, 12, narrow);
    lineedit_view(&ed, &f_wide, 30, wide);
    size_t c2 = lineedit_view(&ed, &f_narrow, 12, again);
    assert_string_equal(narrow, again);
    assert_int_equal(c1, c2);
    assert_int_equal(narrow[c1], ed.buf[ed.cur]);
}

static void test_view_never_wider_than_asked(void **state)
{
    (void)state;
    char v[64];
    assert_true(lineedit_start(&ed, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"));
    for (size_t w = LINEEDIT_MIN_WIDTH; w < 40; w++) {
        for (size_t pos = 0; pos <= ed.len; pos++) {
            ed.cur = pos;
            size_t cur = lineedit_view(&ed, &first, w, v);
            assert_int_equal(strlen(v), w);
            assert_true(cur < w);
            for (size_t i = 0; i < w; i++)
                assert_true(v[i] >= 0x20 && v[i] <= 0x7e);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_edit_the_line),
        cmocka_unit_test(test_keys_at_the_ends_and_meaningless_keys_change_nothing),
        cmocka_unit_test(test_enter_accepts_esc_cancels),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_view_fits),
        cmocka_unit_test(test_view_scrolls_with_marks),
        cmocka_unit_test(test_view_escapes_control_bytes),
        cmocka_unit_test(test_views_of_different_widths),
        cmocka_unit_test(test_view_never_wider_than_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
