/* Unit tests of src/console/termkeys.c: a terminal's bytes to keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console/menu_keys.h"
#include "console/termkeys.h"

/* The keys the bytes of s make, all at time `now`, -1 terminated. */
static void decode(const char *s, const int *want)
{
    struct termkeys t = { 0 };
    size_t k = 0;
    for (; *s; s++) {
        int key = termkeys_byte(&t, (unsigned char)*s, 1000);
        if (key >= 0)
            assert_int_equal(key, want[k++]);
    }
    assert_int_equal(want[k], -1);
}

static void test_plain_bytes(void **state)
{
    (void)state;
    decode("ab\r\n", (int[]){ 'a', 'b', '\r', '\r', -1 });
    decode("\x7f\b", (int[]){ KEY_BACKSPACE, KEY_BACKSPACE, -1 });
}

static void test_sequences(void **state)
{
    (void)state;
    decode("\x1b[A\x1b[B\x1b[C\x1b[D", (int[]){ KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT, -1 });
    decode("\x1bOA\x1bOH\x1bOF", (int[]){ KEY_UP, KEY_HOME, KEY_END, -1 });
    decode("\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1b[3~",
           (int[]){ KEY_HOME, KEY_END, KEY_HOME, KEY_END, KEY_HOME, KEY_END, KEY_DELETE, -1 });
    decode("\x1b[1;5C\x1b[3;2~", (int[]){ KEY_RIGHT, KEY_DELETE, -1 });
}

static void test_unknown_sequences_are_one_key(void **state)
{
    (void)state;
    decode("\x1b[15~x\x1b[Zy\x1b[99999999~", (int[]){ KEY_OTHER, 'x', KEY_OTHER, 'y',
                                                     KEY_OTHER, -1 });
}

static void test_lone_esc_after_a_pause(void **state)
{
    (void)state;
    struct termkeys t = { 0 };
    assert_int_equal(termkeys_byte(&t, 0x1b, 1000), -1);
    assert_int_equal(termkeys_idle(&t, 1000 + TERMKEYS_ESC_MS - 1), -1);
    assert_int_equal(termkeys_idle(&t, 1000 + TERMKEYS_ESC_MS), KEY_ESC);
    assert_int_equal(termkeys_idle(&t, 5000), -1);
    assert_int_equal(termkeys_byte(&t, 'a', 5000), 'a');
    /* ESC ESC [ A: an Esc, then the arrow */
    decode("\x1b\x1b[A", (int[]){ KEY_ESC, KEY_UP, -1 });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_bytes),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_unknown_sequences_are_one_key),
        cmocka_unit_test(test_lone_esc_after_a_pause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
