/* Unit tests of src/lib/fmt.c's messages for people (fmt_message): control
 * bytes escaped, long arguments cut in their middle so the rest survives;
 * and of src/lib/error.c, which formats every error message so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/error.h"
#include "lib/fmt.h"

#define LONG_PATH_LEN 4000
#define REASON "not in the ramdisk nor a module name"

static char *long_path(size_t len, char fill)
{
    char *p = malloc(len + 1);
    memset(p, fill, len);
    p[0] = '/';
    p[len - 1] = 'Z'; /* the end of the path, to see that it is kept */
    p[len] = '\0';
    return p;
}

static void test_exact_is_exact(void **state)
{
    (void)state;
    char buf[32];
    /* fmt_snprintf builds data (a kernel command line): bytes pass as they are */
    assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s|%c", "a\x1b[2Jb\r", '\a'), 9);
    assert_memory_equal(buf, "a\x1b[2Jb\r|\a", 10);
}

static void test_control_bytes_escaped(void **state)
{
    (void)state;
    char buf[128];
    int n = fmt_message(buf, sizeof(buf), "title '%s' %c%c\n", "a\x1b[2J\a\r\tb\x7f", '\x07', 'x');
    assert_string_equal(buf, "title 'a\\x1b[2J\\x07\\x0d\\x09b\\x7f' \\x07x\n");
    assert_int_equal(n, (int)strlen(buf));
    /* the format's own bytes are hop's, not escaped */
    fmt_message(buf, sizeof(buf), "\r%s\n", "ok");
    assert_string_equal(buf, "\rok\n");
}

static void test_utf8_kept_invalid_escaped(void **state)
{
    (void)state;
    char buf[128];
    /* é, €, an emoji: whole characters pass */
    fmt_message(buf, sizeof(buf), "%s", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_string_equal(buf, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* C1 CSI raw and as UTF-8 (U+009B), a lone continuation byte, a cut
     * sequence, an overlong '/', a surrogate */
    fmt_message(buf, sizeof(buf), "%s|%s|%s|%s|%s|%s", "\x9b" "2J", "\xc2\x9b" "2J", "\x80",
                "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80");
    assert_string_equal(buf, "\\x9b2J|\\xc2\\x9b2J|\\x80|\\xe2\\x82|\\xc0\\xaf|\\xed\\xa0\\x80");
    /* overlong 3- and 4-byte forms, past U+10FFFF; U+00A0 and U+10FFFF pass */
    fmt_message(buf, sizeof(buf), "%s|%s|%s|%s", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
                "\xf4\x90\x80\x80", "\xc2\xa0\xf4\x8f\xbf\xbf");
    assert_string_equal(buf, "\\xe0\\x80\\xaf|\\xf0\\x80\\x80\\xaf|\\xf4\\x90\\x80\\x80|"
                             "\xc2\xa0\xf4\x8f\xbf\xbf");
}

static void test_escaping_twice_changes_nothing(void **state)
{
    (void)state;
    char once[64], twice[64];
    fmt_message(once, sizeof(once), "%s", "a\\x1b\x1b\\");
    assert_string_equal(once, "a\\x1b\\x1b\\");
    fmt_message(twice, sizeof(twice), "%s", once);
    assert_string_equal(twice, once);
}

static void test_width_and_precision(void **state)
{
    (void)state;
    char buf[64];
    /* precision counts bytes of the argument, width bytes shown */
    fmt_message(buf, sizeof(buf), "[%-8s][%.2s][%6s]", "\x1b", "\x1b\x1b\x1b", "ab");
    assert_string_equal(buf, "[\\x1b    ][\\x1b\\x1b][    ab]");
}

static void test_long_argument_cut_in_the_middle(void **state)
{
    (void)state;
    char buf[HOP_ERROR_MSG_MAX];
    char *path = long_path(LONG_PATH_LEN, 'a');
    int n = fmt_message(buf, sizeof(buf), "%s: %s", path, REASON);
    assert_int_equal(n, (int)sizeof(buf) - 1); /* filled exactly */
    assert_int_equal(strlen(buf), sizeof(buf) - 1);
    assert_true(strncmp(buf, "/aaa", 4) == 0);
    assert_non_null(strstr(buf, "aaa...aaa"));
    assert_non_null(strstr(buf, "aZ: " REASON));
    free(path);
}

static void test_short_arguments_stay_whole(void **state)
{
    (void)state;
    char buf[128];
    char *a = long_path(300, 'a'), *b = long_path(200, 'b');
    fmt_message(buf, sizeof(buf), "%s -> %s (%s)", a, b, "short one");
    /* both long ones are cut to the same length; the short one is whole */
    const char *arrow = strstr(buf, " -> ");
    assert_non_null(arrow);
    assert_non_null(strstr(buf, "(short one)"));
    /* two cut alike: the message fits to within a byte */
    assert_in_range(strlen(buf), sizeof(buf) - 2, sizeof(buf) - 1);
    size_t first = (size_t)(arrow - buf);
    size_t second = strlen(arrow + 4) - strlen(" (short one)");
    assert_int_equal(first, second);
    free(a);
    free(b);
}

static void test_cut_keeps_escapes_whole(void **state)
{
    (void)state;
    char buf[48], esc[200];
    memset(esc, '\x1b', sizeof(esc) - 1);
    esc[sizeof(esc) - 1] = '\0';
    fmt_message(buf, sizeof(buf), "%s!", esc);
    /* never half an escape: every backslash starts "\x1b" */
    for (const char *p = strchr(buf, '\\'); p; p = strchr(p + 1, '\\'))
        assert_true(strncmp(p, "\\x1b", 4) == 0);
    assert_non_null(strstr(buf, "...\\x1b"));
    assert_int_equal(buf[strlen(buf) - 1], '!');
}

static void test_error_set_keeps_the_reason(void **state)
{
    (void)state;
    struct hop_error err;
    char *path = long_path(LONG_PATH_LEN, 'p');
    assert_int_equal(error_set(&err, HOP_ERR_NOTFOUND, "%s: %s", path, REASON), HOP_ERR_NOTFOUND);
    assert_int_equal(err.code, HOP_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "pZ: " REASON));
    assert_true(strncmp(err.msg, "/ppp", 4) == 0);
    free(path);
}

static void test_error_prefix_keeps_the_message(void **state)
{
    (void)state;
    struct hop_error err;
    char *path = long_path(LONG_PATH_LEN, 'p');
    error_set(&err, HOP_ERR_INVALID, "gzip: CRC32 0x%08x does not match trailer 0x%08x",
              0x1234abcdu, 0xdeadbeefu);
    assert_int_equal(error_prefix(&err, "%s", path), HOP_ERR_INVALID);
    assert_non_null(strstr(err.msg, "pZ: gzip: CRC32 0x1234abcd does not match trailer 0xdeadbeef"));
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    /* a short prefix: nothing is cut */
    error_set(&err, HOP_ERR_INVALID, "bad");
    error_prefix(&err, "module %d", 3);
    assert_string_equal(err.msg, "module 3: bad");
    /* a message that fills the buffer still gets ERROR_PREFIX_MIN bytes of
     * prefix, and loses its own middle */
    error_set(&err, HOP_ERR_INVALID, "%s: the end", path);
    error_prefix(&err, "%s", path);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    assert_non_null(strstr(err.msg, "pZ: the end"));
    assert_int_equal(strstr(err.msg, ": ") - err.msg, ERROR_PREFIX_MIN);
    free(path);
}

static void test_error_escapes_config_text(void **state)
{
    (void)state;
    struct hop_error err;
    error_set(&err, HOP_ERR_INVALID, "entry '%s' has no kernel=", "evil\x1b]0;owned\a");
    assert_string_equal(err.msg, "entry 'evil\\x1b]0;owned\\x07' has no kernel=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_is_exact),
        cmocka_unit_test(test_control_bytes_escaped),
        cmocka_unit_test(test_utf8_kept_invalid_escaped),
        cmocka_unit_test(test_escaping_twice_changes_nothing),
        cmocka_unit_test(test_width_and_precision),
        cmocka_unit_test(test_long_argument_cut_in_the_middle),
        cmocka_unit_test(test_short_arguments_stay_whole),
        cmocka_unit_test(test_cut_keeps_escapes_whole),
        cmocka_unit_test(test_error_set_keeps_the_reason),
        cmocka_unit_test(test_error_prefix_keeps_the_message),
        cmocka_unit_test(test_error_escapes_config_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
