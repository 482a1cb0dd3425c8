/* Unit tests of src/console/progress.c: the bar's text, and when it is drawn (a
 * fake clock, a console sink that records what the consoles got). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "console/console.h"
#include "parse/gzip.h"
#include "console/progress.h"
#include "capture.h"

#define MIB (1ull << 20)
#define CONSOLE_WIDTH 80 /* VGA text: a bar must never wrap */

static uint64_t now;

static uint64_t fake_clock(void)
{
    return now;
}

static int setup(void **state)
{
    (void)state;
    capture_start();
    now = 1000;
    progress_set_clock(fake_clock);
    return 0;
}

static int count(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_format(void **state)
{
    (void)state;
    char buf[128];
    size_t n = progress_format(buf, sizeof(buf), "inflating", "/boot/vmlinuz", 5 * MIB, 10 * MIB);
    assert_string_equal(buf,
        "hop: inflating /boot/vmlinuz      [##########----------]  50%    5.0/10.0 MiB");
    assert_int_equal(n, strlen(buf));
    progress_format(buf, sizeof(buf), "inflating", "/boot/vmlinuz-6.1.0-18-amd64",
                    35 * MIB / 10, 10 * MIB);
    assert_string_equal(buf,
        "hop: inflating ...-6.1.0-18-amd64 [#######-------------]  35%    3.5/10.0 MiB");
    progress_format(buf, sizeof(buf), "loading", "", 0, 0);
    assert_string_equal(buf,
        "hop: loading                      [####################] 100%    0.0/0.0 MiB");
    /* done beyond total counts as total */
    progress_format(buf, sizeof(buf), "x", NULL, 20 * MIB, 10 * MIB);
    assert_non_null(strstr(buf, "100%   10.0/10.0 MiB"));
}

/* Huge and odd values: exact percentages, no overflow, never wider than
 * the VGA console. */
static void test_format_extremes(void **state)
{
    (void)state;
    char buf[128];
    const uint64_t totals[] = { 1, 3, 1023, MIB, 1000 * MIB, 1ull << 40, UINT64_MAX };
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        uint64_t t = totals[i];
        const uint64_t dones[] = { 0, t / 3, t / 2, t - 1, t };
        for (size_t j = 0; j < 5; j++) {
            size_t n = progress_format(buf, sizeof(buf), "CRC32C of", "kernel and modules",
                                       dones[j], t);
            if (t <= 1000 * MIB)
                assert_true(n < CONSOLE_WIDTH);
            unsigned pct;
            const char *p = strchr(buf, ']');
            assert_non_null(p);
            assert_int_equal(sscanf(p + 1, "%u%%", &pct), 1);
            assert_true(pct <= 100);
            if (dones[j] == t)
                assert_int_equal(pct, 100);
            if (dones[j] == 0)
                assert_int_equal(pct, 0);
            unsigned exact = (unsigned)((unsigned __int128)dones[j] * 100 / t);
            if (t <= (1ull << 56))
                assert_int_equal(pct, exact);
            else
                assert_true(pct + 1 >= exact && pct <= exact + 1);
        }
    }
}

/* Work done within PROGRESS_DELAY_MS leaves no trace. */
static void test_quick_work_draws_nothing(void **state)
{
    (void)state;
    progress_begin("inflating", "/small", 10 * MIB);
    for (int i = 1; i <= 10; i++) {
        now += 20;
        progress_update((uint64_t)i * MIB);
    }
    progress_end();
    assert_int_equal(capture_len, 0);
}

/* Slow work: the first draw after the delay, then at most one per
 * interval, all on one line ('\r'), ended by progress_end with the final
 * count and a newline. */
static void test_slow_work_redraws_in_place(void **state)
{
    (void)state;
    progress_begin("inflating", "/boot/big", 100 * MIB);
    for (int i = 1; i <= 100; i++) { /* 100 updates over 2 s */
        now += 20;
        progress_update((uint64_t)i * MIB);
    }
    progress_end();
    int draws = count(capture_out, '\r');
    /* first at 260 ms, then every 200 ms up to 2000 ms: 9, plus the end */
    assert_int_equal(draws, 10);
    assert_int_equal(count(capture_out, '\n'), 1);
    assert_int_equal(capture_out[capture_len - 1], '\n');
    assert_non_null(strstr(capture_out, "\rhop: inflating /boot/big"));
    const char *last = strrchr(capture_out, '\r');
    assert_non_null(strstr(last, "100%  100.0/100.0 MiB\n"));
    assert_non_null(strstr(capture_out, " 13%")); /* the first draw, at 260 ms */
}

/* A failure mid-way: the bar stays at what was done. */
static void test_end_after_failure(void **state)
{
    (void)state;
    progress_begin("loading", "kernel and modules", 10 * MIB);
    now += 1000;
    progress_update(3 * MIB);
    progress_end();
    const char *last = strrchr(capture_out, '\r');
    assert_non_null(strstr(last, " 30%    3.0/10.0 MiB\n"));
}

static void test_add_and_nesting(void **state)
{
    (void)state;
    progress_begin("a", NULL, 4 * MIB);
    now += 300;
    progress_add(MIB);
    progress_add(10 * MIB); /* saturates */
    progress_begin("b", NULL, MIB); /* ends "a" first */
    assert_non_null(strstr(capture_out, "\rhop: a "));
    assert_non_null(strstr(capture_out, "100%    4.0/4.0 MiB\n"));
    progress_end();
    assert_null(strstr(capture_out, "hop: b ")); /* quick: nothing */
}

/* The name comes from the configuration: its control bytes are shown
 * escaped, the bar's own \r and \n are the only ones sent. */
static void test_name_escaped(void **state)
{
    (void)state;
    progress_begin("inflating", "/k\x1b[2J\a", MIB);
    now += 1000;
    progress_update(MIB / 2);
    progress_end();
    assert_non_null(strstr(capture_out, "\rhop: inflating /k\\x1b[2J\\x07 "));
    assert_int_equal(count(capture_out, '\x1b'), 0);
    assert_int_equal(count(capture_out, '\a'), 0);
}

/* Without a clock (before the machine calibrated its timer; the host)
 * nothing is drawn and nothing breaks. */
static void test_no_clock(void **state)
{
    (void)state;
    progress_set_clock(NULL);
    progress_begin("inflating", "/x", MIB);
    progress_update(MIB / 2);
    progress_add(MIB);
    progress_end();
    progress_update(1); /* no bar: ignored */
    assert_int_equal(capture_len, 0);
}

static uint64_t reported[4096];
static size_t report_count;

static void record(uint64_t done)
{
    assert_true(report_count < 4096);
    reported[report_count++] = done;
}

/* gzip (two members, many blocks) with zlib; inflate reports the bytes
 * decoded so far after every block, counting both members. */
static void test_inflate_reports_progress(void **state)
{
    (void)state;
    const size_t half = 3 << 20;
    uint8_t *plain = malloc(2 * half), *gz = malloc(4 * half), *back = malloc(2 * half);
    uint64_t seed = 42;
    for (size_t i = 0; i < 2 * half; i++) { /* compressible, not trivially */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        plain[i] = (uint8_t)('a' + (seed >> 60));
    }
    size_t gz_len = 0;
    for (int m = 0; m < 2; m++) {
        z_stream z = { 0 };
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = plain + m * half;
        z.avail_in = (uInt)half;
        z.next_out = gz + gz_len;
        z.avail_out = (uInt)(4 * half - gz_len);
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        gz_len += z.total_out;
        deflateEnd(&z);
    }
    size_t capture_len = 0;
    report_count = 0;
    inflate_progress = record;
    assert_int_equal(gzip_inflate(gz, gz_len, back, 2 * half, &capture_len, NULL), HOP_OK);
    inflate_progress = NULL;
    assert_int_equal(capture_len, 2 * half);
    assert_memory_equal(back, plain, 2 * half);
    assert_true(report_count > 10);
    for (size_t i = 1; i < report_count; i++)
        assert_true(reported[i] > reported[i - 1]);
    assert_int_equal(reported[report_count - 1], 2 * half); /* the last block counts */
    bool saw_first_member_end = false;
    for (size_t i = 0; i < report_count; i++)
        saw_first_member_end |= reported[i] == half;
    assert_true(saw_first_member_end);
    free(plain);
    free(gz);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_format, setup),
        cmocka_unit_test_setup(test_format_extremes, setup),
        cmocka_unit_test_setup(test_quick_work_draws_nothing, setup),
        cmocka_unit_test_setup(test_slow_work_redraws_in_place, setup),
        cmocka_unit_test_setup(test_end_after_failure, setup),
        cmocka_unit_test_setup(test_add_and_nesting, setup),
        cmocka_unit_test_setup(test_name_escaped, setup),
        cmocka_unit_test_setup(test_no_clock, setup),
        cmocka_unit_test(test_inflate_reports_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
