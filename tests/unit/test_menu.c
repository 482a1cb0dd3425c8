/* Unit tests of the boot menu: the state machine (src/console/menu.c), the
 * layout of its screen (menu_layout.c), drawing on screens and the plain
 * serial form (menu_draw.c), and menu_choose driven by a fake terminal and
 * a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console/menu.h"
#include "console/menu_draw.h"
#include "console/menu_keys.h"
#include "console/menu_layout.h"
#include "capture.h"

#define COLS 80
#define ROWS 25

static struct hop_config cfg;
static struct menu m;

static void load(const char *text)
{
    struct hop_error err = { 0 };
    static char copy[4096];
    config_init(&cfg);
    strcpy(copy, text);
    assert_int_equal(config_parse_file(&cfg, copy, strlen(copy), "/hop.cfg", &err), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
}

static const char three[] = "timeout=5\ndefault=1\n"
                            "entry=zero\nkernel=/k0\ncmdline=a b\n"
                            "entry=one\nkernel=/k1\ncmdline=root=/dev/sda\n"
                            "entry=two\nkernel=/k2\n";

/* --- a screen that keeps its cells ---------------------------------------------- */

static char grid[ROWS][COLS + 1];
static bool inv[ROWS][COLS];
static int puts_per_row[ROWS];

static void fake_begin(void)
{
    for (int r = 0; r < ROWS; r++) {
        memset(grid[r], '#', COLS); /* anything the menu does not draw shows */
        grid[r][COLS] = '\0';
        puts_per_row[r] = 0;
    }
    memset(inv, 0, sizeof(inv));
}

static void fake_put(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse)
{
    assert_true(row < ROWS && col + n <= COLS);
    memcpy(&grid[row][col], s, n);
    for (size_t i = 0; i < n; i++)
        inv[row][col + i] = inverse;
    puts_per_row[row]++;
}

static const struct menu_screen fake_screen = { .cols = COLS, .rows = ROWS,
                                                .begin = fake_begin, .put = fake_put };

static char plain_out[16384];
static size_t plain_len;

static void fake_write(const char *s, size_t n)
{
    assert_true(plain_len + n < sizeof(plain_out));
    memcpy(plain_out + plain_len, s, n);
    plain_len += n;
    plain_out[plain_len] = '\0';
}

static int terminal_puts;

static void terminal_put(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse)
{
    (void)s, (void)inverse;
    assert_true(row < 24 && col + n <= 79);
    terminal_puts++;
}

/* A terminal: the plain form with serial=plain, else its own screen. */
static const struct menu_screen fake_terminal = { .cols = 79, .rows = 24, .put = terminal_put,
                                                  .write = fake_write };

static int setup(void **state)
{
    (void)state;
    static bool added;
    if (!added) {
        menu_add_screen(&fake_screen);
        menu_add_screen(&fake_terminal); /* only ever plain here */
    }
    added = true;
    plain_len = 0;
    plain_out[0] = '\0';
    terminal_puts = 0;
    capture_start();
    return 0;
}

static void trimmed(int row, char *out)
{
    strcpy(out, grid[row]);
    for (size_t n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
        out[n - 1] = '\0';
}

static void assert_row(int row, const char *want)
{
    char got[COLS + 1];
    trimmed(row, got);
    assert_string_equal(got, want);
}

static bool row_inverse(int row)
{
    for (int c = 0; c < COLS; c++)
        if (!inv[row][c])
            return false;
    return true;
}

/* --- the state machine ---------------------------------------------------------- */

static void test_keys_choose(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    assert_int_equal(m.sel, 1);
    menu_key(&m, KEY_UP);
    menu_key(&m, KEY_UP);
    assert_int_equal(m.sel, 0);
    menu_key(&m, KEY_END);
    menu_key(&m, KEY_DOWN);
    assert_int_equal(m.sel, 2);
    menu_key(&m, '9'); /* no entry 9 */
    menu_key(&m, 'x');
    menu_key(&m, KEY_OTHER);
    menu_key(&m, KEY_ESC);
    menu_key(&m, KEY_LEFT);
    assert_int_equal(m.sel, 2);
    assert_int_equal(m.mode, MENU_LIST);
    menu_key(&m, '0');
    menu_key(&m, '\r');
    assert_int_equal(m.mode, MENU_DONE);
    assert_int_equal(m.sel, 0);
    assert_false(m.timed_out || m.edited);
}

static void test_countdown(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 1000);
    assert_int_equal(menu_seconds_left(&m, 1000), 5);
    assert_int_equal(menu_seconds_left(&m, 1001), 5);
    assert_int_equal(menu_seconds_left(&m, 2000), 4);
    menu_tick(&m, 5999);
    assert_int_equal(m.mode, MENU_LIST);
    menu_tick(&m, 6000);
    assert_int_equal(m.mode, MENU_DONE);
    assert_true(m.timed_out);
    /* a key, even one that means nothing, stops it for good */
    menu_start(&m, &cfg, 1000);
    menu_key(&m, KEY_OTHER);
    assert_int_equal(menu_seconds_left(&m, 1000), 0);
    menu_tick(&m, 100000);
    assert_int_equal(m.mode, MENU_LIST);
}

static void test_edit_then_boot(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    menu_key(&m, 'e');
    assert_int_equal(m.mode, MENU_EDIT);
    assert_string_equal(m.ed.buf, "root=/dev/sda");
    menu_key(&m, KEY_DOWN); /* means nothing in the editor */
    menu_key(&m, ' ');
    menu_key(&m, '1');
    menu_key(&m, '\r');
    assert_int_equal(m.mode, MENU_DONE);
    assert_true(m.edited);
    assert_int_equal(m.sel, 1);
    assert_string_equal(m.ed.buf, "root=/dev/sda 1");
    assert_string_equal(cfg.entries[1].cmdline, "root=/dev/sda"); /* the config unchanged */
}

static void test_edit_escape_returns(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    menu_key(&m, 'e');
    menu_key(&m, 'x');
    menu_key(&m, KEY_ESC);
    assert_int_equal(m.mode, MENU_LIST);
    menu_key(&m, KEY_DOWN);
    menu_key(&m, 'e'); /* entry 2 has no command line */
    assert_string_equal(m.ed.buf, "");
}

static void test_editing_turned_off(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text), "menu-edit=no\n%s", three);
    load(text);
    menu_start(&m, &cfg, 0);
    menu_key(&m, 'e');
    assert_int_equal(m.mode, MENU_LIST);
    assert_non_null(strstr(m.note, "menu-edit=no"));
    menu_key(&m, KEY_DOWN);
    assert_null(m.note);
}

/* --- the screen ------------------------------------------------------------------ */

static void test_menu_screen(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    menu_draw_begin(&m);
    menu_draw(&m, 0);
    assert_row(0, "hop 0.1 - boot menu");
    assert_row(1, "");
    assert_row(2, "  0  zero");
    assert_row(3, "  1  one");
    assert_row(4, "  2  two");
    assert_row(5, "");
    assert_false(row_inverse(2));
    assert_true(row_inverse(3));
    assert_row(ROWS - 3, "");
    assert_row(ROWS - 2, "Entry 1 boots in 5 s (any key stops the countdown)");
    assert_row(ROWS - 1, "Up/Down or 0-9: choose   Enter: boot   e: edit the command line");
    for (int r = 0; r < ROWS; r++)
        assert_int_equal(strlen(grid[r]), COLS); /* every cell drawn */
}

static void test_only_changed_rows_are_drawn(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    menu_draw_begin(&m);
    menu_draw(&m, 0);
    memset(puts_per_row, 0, sizeof(puts_per_row));
    menu_draw(&m, 10);
    menu_draw(&m, 1000);
    for (int r = 0; r < ROWS; r++)
        assert_int_equal(puts_per_row[r], r == ROWS - 2 ? 1 : 0);
    menu_key(&m, KEY_DOWN);
    memset(puts_per_row, 0, sizeof(puts_per_row));
    menu_draw(&m, 1000);
    assert_true(puts_per_row[3] > 0 && puts_per_row[4] > 0 && puts_per_row[ROWS - 2] > 0);
    assert_int_equal(puts_per_row[2] + puts_per_row[0] + puts_per_row[ROWS - 1], 0);
    assert_row(ROWS - 2, "");
    assert_true(row_inverse(4));
}

static void test_editor_screen(void **state)
{
    (void)state;
    load(three);
    menu_start(&m, &cfg, 0);
    menu_draw_begin(&m);
    menu_key(&m, 'e');
    menu_key(&m, KEY_LEFT);
    menu_draw(&m, 0);
    assert_row(0, "hop 0.1 - command line of entry 1: one");
    assert_row(2, "kernel: /k1");
    assert_row(4, "root=/dev/sda");
    for (int c = 0; c < COLS; c++)
        assert_int_equal(inv[4][c], c == 12); /* the cursor, on the 'a' */
    assert_row(ROWS - 2, "");
    assert_row(ROWS - 1,
               "Left/Right Home End Backspace Delete: edit   Enter: boot it once   Esc: back");
}

static void test_long_text_is_clipped_with_a_mark(void **state)
{
    (void)state;
    char text[2048], title[300];
    memset(title, 'T', 200);
    title[200] = '\0';
    snprintf(text, sizeof(text), "timeout=1\nentry=%s\nkernel=/k\nentry=e\x1b[2Jvil\x07\nkernel=/k\n",
             title);
    load(text);
    menu_start(&m, &cfg, 0);
    menu_draw_begin(&m);
    menu_draw(&m, 0);
    assert_int_equal(strlen(grid[2]), COLS);
    assert_memory_equal(grid[2], "  0  TTT", 8);
    assert_memory_equal(grid[2] + COLS - 3, "...", 3);
    assert_row(3, "  1  e\\x1b[2Jvil\\x07"); /* escaped, as kprintf shows it */
    struct menu_row r;
    menu_layout_row(&m, 0, 20, ROWS, ROWS - 1, &(size_t){ 0 }, &r);
    assert_string_equal(r.text, "Up/Down or 0-9: c...");
}

static void test_many_entries_scroll_on_a_short_screen(void **state)
{
    (void)state;
    char text[2048] = "timeout=1\n";
    for (int i = 0; i < 16; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "entry=e%d\nkernel=/k\n", i);
    load(text);
    menu_start(&m, &cfg, 0);
    struct menu_row r;
    m.sel = 15;
    uint32_t rows = 12, body = rows - MENU_TOP_ROWS - MENU_BOTTOM_ROWS;
    bool shown = false;
    for (uint32_t row = MENU_TOP_ROWS; row < MENU_TOP_ROWS + body; row++) {
        menu_layout_row(&m, 0, COLS, rows, row, &(size_t){ 0 }, &r);
        if (strncmp(r.text, "  15  e15", 9) == 0)
            shown = r.inverse_to == COLS;
    }
    assert_true(shown);
}

/* --- the plain serial form ------------------------------------------------------- */

static void test_plain_form(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text), "serial=plain\n%s", three);
    load(text);
    menu_start(&m, &cfg, 0);
    menu_draw_begin(&m);
    menu_draw(&m, 0);
    menu_draw(&m, 500);
    menu_draw(&m, 1000);
    assert_string_equal(plain_out,
                        "hop: boot menu (digits or arrows choose, Enter boots, e edits the "
                        "command line):\n"
                        "hop:    0: zero (/k0)\nhop: -> 1: one (/k1)\nhop:    2: two (/k2)\n"
                        "hop: booting entry 1 in 5 s (any key stops)\n"
                        "hop: booting entry 1 in 4 s (any key stops)\n");
    plain_len = 0;
    menu_key(&m, 'e');
    menu_draw(&m, 1000);
    menu_key(&m, 'x');
    menu_draw(&m, 1000);
    menu_key(&m, KEY_ESC);
    menu_draw(&m, 1000);
    assert_non_null(strstr(plain_out, "hop: editing the command line of entry 1"));
    assert_non_null(strstr(plain_out, "\rhop: edit> root=/dev/sda "));
    assert_non_null(strstr(plain_out, "\rhop: edit> root=/dev/sdax "));
    assert_non_null(strstr(plain_out, "\nhop: boot menu"));
    assert_null(strchr(plain_out, '\x1b'));
    assert_int_equal(terminal_puts, 0); /* plain: no screen on the terminal */
}

/* --- menu_choose ----------------------------------------------------------------- */

static const char *typed;
static uint64_t clock_ms;

static int fake_term(void)
{
    return *typed ? (unsigned char)*typed++ : -1;
}

static uint64_t fake_clock(void)
{
    return clock_ms += 10;
}

static void test_choose_edits_over_a_terminal(void **state)
{
    (void)state;
    load(three);
    typed = "\x1b[Ae\x1b[D\x7f\x1b[H!\r";
    clock_ms = 0;
    struct menu_choice c = menu_choose(&cfg, &(struct menu_input){ fake_term, NULL, fake_clock });
    assert_int_equal(c.index, 0);
    assert_string_equal(c.cmdline, "!ab");
    assert_non_null(strstr(capture_out, "hop: chosen: entry 0, command line edited\n"));
    assert_non_null(strstr(capture_out, "hop: command line for this boot: !ab\n"));
}

static void test_choose_times_out(void **state)
{
    (void)state;
    load(three);
    typed = "";
    clock_ms = 0;
    struct menu_choice c = menu_choose(&cfg, &(struct menu_input){ fake_term, NULL, fake_clock });
    assert_int_equal(c.index, 1);
    assert_null(c.cmdline);
    assert_true(clock_ms >= 5000);
    assert_non_null(strstr(capture_out, "hop: timeout: booting entry 1\n"));
}

/* '|' in the script: the terminal is silent for PAUSE_MS. */
#define PAUSE_MS 300
static uint64_t silent_until;

static int paused_term(void)
{
    if (clock_ms < silent_until)
        return -1;
    if (*typed == '|') {
        typed++;
        silent_until = clock_ms + PAUSE_MS;
        return -1;
    }
    return fake_term();
}

static void test_choose_lone_esc_over_a_terminal(void **state)
{
    (void)state;
    load(three);
    /* edit, type, Esc alone (taken once the terminal stays silent), then an
     * unknown sequence and Enter on the menu: entry 1 as it is */
    typed = "exy\x1b|\x1b[Z\r";
    clock_ms = silent_until = 0;
    struct menu_choice c = menu_choose(&cfg, &(struct menu_input){ paused_term, NULL, fake_clock });
    assert_int_equal(c.index, 1);
    assert_null(c.cmdline);
    assert_non_null(strstr(capture_out, "hop: chosen: entry 1\n"));
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_keys_choose),
        T(test_countdown),
        T(test_edit_then_boot),
        T(test_edit_escape_returns),
        T(test_editing_turned_off),
        T(test_menu_screen),
        T(test_only_changed_rows_are_drawn),
        T(test_editor_screen),
        T(test_long_text_is_clipped_with_a_mark),
        T(test_many_entries_scroll_on_a_short_screen),
        T(test_plain_form),
        T(test_choose_edits_over_a_terminal),
        T(test_choose_times_out),
        T(test_choose_lone_esc_over_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
