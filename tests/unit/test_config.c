/* Unit tests of src/parse/config.c.  File texts are copied into exactly sized
 * heap blocks without a NUL, so ASan catches any read past len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/config.h"

static struct hop_config cfg;
static struct hop_error err;

static int parse_file_n(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    int rc;
    memcpy(copy, text, len);
    rc = config_parse_file(&cfg, copy, len, "/hop.cfg", &err);
    free(copy);
    return rc;
}

static int parse_file(const char *text)
{
    return parse_file_n(text, strlen(text));
}

static int cmdline(const char *text)
{
    return config_parse_cmdline(&cfg, text, &err);
}

static int setup(void **state)
{
    (void)state;
    config_init(&cfg);
    memset(&err, 0, sizeof(err));
    return 0;
}

static void expect_msg(int code, const char *msg)
{
    assert_int_equal(err.code, code);
    assert_string_equal(err.msg, msg);
}

static const char full_cfg[] =
    "# hop test configuration\r\n"
    "\r\n"
    "  timeout = 5  \r\n"
    "default=Xen\r\n"
    "\r\n"
    "entry=Linux\r\n"
    "kernel=/boot/vmlinuz\r\n"
    "initrd=/boot/initrd.img\r\n"
    "cmdline=console=ttyS0 a=\"b c\" # not a comment\r\n"
    "protocol=linux\r\n"
    "   # indented comment\r\n"
    "title=Xen\r\n"
    "\tkernel=/boot/xen.gz\r\n"
    "cmdline=\r\n"
    "module=/boot/vmlinuz  console=hvc0 root=/dev/ram0  \r\n"
    "module=/boot/initrd.img\r\n"
    "protocol=multiboot2\r\n"
    "entry=plain\n"
    "kernel=/k.elf"; /* no line end at the end */

static void test_full_file(void **state)
{
    (void)state;
    assert_int_equal(parse_file(full_cfg), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.entry_count, 3);
    assert_int_equal(cfg.timeout, 5);
    assert_int_equal(cfg.default_index, 1);
    assert_ptr_equal(config_default_entry(&cfg), &cfg.entries[1]);

    const struct config_entry *e = &cfg.entries[0];
    assert_string_equal(e->title, "Linux");
    assert_string_equal(e->kernel, "/boot/vmlinuz");
    assert_int_equal(e->initrd_count, 1);
    assert_string_equal(e->initrds[0], "/boot/initrd.img");
    assert_string_equal(e->cmdline, "console=ttyS0 a=\"b c\" # not a comment");
    assert_int_equal(e->protocol, CONFIG_PROTO_LINUX);
    assert_int_equal(e->module_count, 0);
    assert_int_equal(e->line, 6);

    e = &cfg.entries[1];
    assert_string_equal(e->title, "Xen");
    assert_string_equal(e->kernel, "/boot/xen.gz");
    assert_string_equal(e->cmdline, "");
    assert_true(e->has_cmdline);
    assert_int_equal(e->initrd_count, 0);
    assert_int_equal(e->protocol, CONFIG_PROTO_MULTIBOOT2);
    assert_int_equal(e->module_count, 2);
    assert_string_equal(e->modules[0].path, "/boot/vmlinuz");
    assert_string_equal(e->modules[0].cmdline, "console=hvc0 root=/dev/ram0");
    assert_string_equal(e->modules[1].path, "/boot/initrd.img");
    assert_string_equal(e->modules[1].cmdline, "");
    assert_int_equal(e->line, 12);

    e = &cfg.entries[2];
    assert_string_equal(e->kernel, "/k.elf");
    assert_string_equal(e->cmdline, "");
    assert_false(e->has_cmdline);
    assert_int_equal(e->protocol, CONFIG_PROTO_AUTO);
}

static void test_all_protocols(void **state)
{
    (void)state;
    static const char *const names[] = { "auto", "multiboot2", "multiboot1",
                                         "pvh", "linux", "elf" };
    char text[512] = "";
    for (size_t i = 0; i < 6; i++) {
        char line[96];
        snprintf(line, sizeof(line), "entry=%s\nkernel=/k\nprotocol=%s\n",
                 names[i], names[i]);
        strcat(text, line);
    }
    assert_int_equal(parse_file(text), HOP_OK);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(cfg.entries[i].protocol, (enum config_protocol)i);
        assert_string_equal(config_protocol_name(cfg.entries[i].protocol),
                            names[i]);
    }
    assert_string_equal(config_protocol_name((enum config_protocol)99),
                        "unknown");
    setup(NULL);
    assert_int_equal(parse_file("entry=a\nkernel=/k\nprotocol=Linux\n"),
                     HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:3: protocol 'Linux' is not one of "
                                "auto, multiboot2, multiboot1, pvh, linux, elf");
}

static void test_unknown_key(void **state)
{
    (void)state;
    assert_int_equal(parse_file("timeout=1\n\n# c\nentry=a\n\nkernel=/k\n"
                                "kernl=/x\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:7: unknown key 'kernl'");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    assert_int_equal(parse_file("entry=a\nkernel /k\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:2: expected key=value, got 'kernel /k'");
    setup(NULL);
    assert_int_equal(parse_file(" = x\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: no key before '='");
    setup(NULL);
    assert_int_equal(parse_file("entry=a\nkernel=\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:2: 'kernel' needs a value");
    setup(NULL);
    assert_int_equal(parse_file("entry=\n"), HOP_ERR_INVALID);
    setup(NULL);
    assert_int_equal(parse_file("kernel=/k\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: 'kernel' before the first "
                                "entry= line");
    setup(NULL);
    assert_int_equal(parse_file("config=/x.cfg\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: 'config' belongs on hop's "
                                "command line, not in the file");
    setup(NULL);
    /* A key longer than the quote in the message is shortened. */
    assert_int_equal(parse_file("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaa=1"), HOP_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown key 'aaaa"));
    assert_non_null(strstr(err.msg, "...'"));
}

static void test_entry_without_kernel(void **state)
{
    (void)state;
    assert_int_equal(parse_file("entry=one\nkernel=/a\n\nentry=two\n"
                                "cmdline=x\nentry=three\nkernel=/c\n"),
                     HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:4: entry 'two' has no kernel=");
    setup(NULL);
    assert_int_equal(parse_file("entry=last\ncmdline=x"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: entry 'last' has no kernel=");
}

/* initrd= is repeatable (one initrd, the files in order), up to
 * CONFIG_MAX_INITRDS; on the command line the list replaces the default
 * entry's. */
static void test_initrd_repeatable(void **state)
{
    (void)state;
    assert_int_equal(parse_file("entry=a\nkernel=/a\ninitrd=/ucode.cpio\ninitrd=/i.gz\n"),
                     HOP_OK);
    const struct config_entry *e = &cfg.entries[0];
    assert_int_equal(e->initrd_count, 2);
    assert_string_equal(e->initrds[0], "/ucode.cpio");
    assert_string_equal(e->initrds[1], "/i.gz");
    setup(NULL);
    char text[256] = "entry=a\nkernel=/a\n";
    for (int i = 0; i <= CONFIG_MAX_INITRDS; i++)
        strcat(text, "initrd=/i\n");
    assert_int_equal(parse_file(text), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "/hop.cfg:11: more than 8 initrd= in one entry");
    setup(NULL);
    assert_int_equal(parse_file("entry=a\nkernel=/a\ninitrd=/i\n"), HOP_OK);
    assert_int_equal(cmdline("initrd=/x initrd=/y"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.entries[0].initrd_count, 2);
    assert_string_equal(cfg.entries[0].initrds[1], "/y");
}

static void test_duplicates(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "timeout=1\ntimeout=2\n",
        "default=1\ndefault=1\n",
        "entry=a\nkernel=/a\nkernel=/b\n",
        "entry=a\nkernel=/a\ncmdline=\ncmdline=x\n",
        "entry=a\nkernel=/a\nprotocol=elf\nprotocol=elf\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        setup(NULL);
        assert_int_equal(parse_file(texts[i]), HOP_ERR_INVALID);
        assert_non_null(strstr(err.msg, "given twice"));
    }
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:4: 'protocol' given twice in this "
                                "entry");
    setup(NULL); /* a global key repeated inside an entry */
    assert_int_equal(parse_file("timeout=1\nentry=a\nkernel=/a\ntimeout=2\n"),
                     HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:4: 'timeout' given twice");
    setup(NULL);
    assert_int_equal(cmdline("title=a entry=b"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: 'title' given twice");
    /* The same key in two entries is fine. */
    setup(NULL);
    assert_int_equal(parse_file("entry=a\nkernel=/a\nentry=b\nkernel=/b\n"),
                     HOP_OK);
}

static void test_timeout_values(void **state)
{
    (void)state;
    assert_int_equal(parse_file("timeout=3600\n"), HOP_OK);
    assert_int_equal(cfg.file_globals.timeout, 3600);
    static const char *const bad[] = { "timeout=3601\n", "timeout=-1\n",
                                       "timeout=1s\n", "timeout=\n",
                                       "timeout=99999999999999999999\n" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        setup(NULL);
        assert_int_equal(parse_file(bad[i]), HOP_ERR_INVALID);
    }
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: timeout '99999999999999999999' is "
                                "not a number of seconds from 0 to 3600");
}

static void test_default_resolution(void **state)
{
    (void)state;
    static const char two[] = "default=%s\nentry=a\nkernel=/a\nentry=b b\n"
                              "kernel=/b\n";
    char text[128];
    snprintf(text, sizeof(text), two, "1");
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_string_equal(config_default_entry(&cfg)->kernel, "/b");

    setup(NULL);
    snprintf(text, sizeof(text), two, "b b");
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.default_index, 1);

    setup(NULL);
    snprintf(text, sizeof(text), two, "2");
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    expect_msg(HOP_ERR_NOTFOUND, "/hop.cfg:1: default=2 is out of range: the "
                                 "entries are numbered 0 to 1 (2 in all)");
    assert_null(config_default_entry(&cfg));

    setup(NULL);
    snprintf(text, sizeof(text), two, "c");
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    expect_msg(HOP_ERR_NOTFOUND, "/hop.cfg:1: default=c matches no entry title");

    /* digits only are an index, however many: past 2^64 too */
    static const char *const huge[] = { "16", "65536", "4294967296",
                                        "18446744073709551616", "0000000000000000000002" };
    for (size_t i = 0; i < ARRAY_SIZE(huge); i++) {
        char want[160];
        setup(NULL);
        snprintf(text, sizeof(text), two, huge[i]);
        assert_int_equal(parse_file(text), HOP_OK);
        assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
        snprintf(want, sizeof(want), "/hop.cfg:1: default=%s is out of range: the entries "
                 "are numbered 0 to 1 (2 in all)", huge[i]);
        expect_msg(HOP_ERR_NOTFOUND, want);
    }
    setup(NULL); /* leading zeros: still the index */
    snprintf(text, sizeof(text), two, "0000000000000000000001");
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.default_index, 1);
    setup(NULL); /* on the command line, counting the appended entry */
    assert_int_equal(cmdline("kernel=/c default=99999999999999999999999"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    expect_msg(HOP_ERR_NOTFOUND, "hop command line: default=99999999999999999999999 is "
                                 "out of range: the entries are numbered 0 to 0 (1 in all)");

    setup(NULL); /* no default: entry 0 */
    assert_int_equal(parse_file("entry=a\nkernel=/a\nentry=b\nkernel=/b\n"),
                     HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.default_index, 0);
    assert_int_equal(cfg.timeout, 0);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    assert_null(config_default_entry(&cfg));
    assert_int_equal(parse_file_n("", 0), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    expect_msg(HOP_ERR_NOTFOUND, "nothing to boot: no kernel= on hop's command "
                                 "line and no entry in /hop.cfg");
    setup(NULL);
    assert_int_equal(cmdline(""), HOP_OK);
    assert_int_equal(cmdline(NULL), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    setup(NULL);
    assert_int_equal(parse_file("\n\r\n  \t\n# only comments\n"), HOP_OK);
    assert_int_equal(cfg.entry_count, 0);
}

static void test_odd_bytes(void **state)
{
    (void)state;
    static const char nul[] = "entry=a\nkernel=/a\0b\n";
    assert_int_equal(parse_file_n(nul, sizeof(nul) - 1), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:2: NUL byte in the line");
    setup(NULL);
    assert_int_equal(parse_file("\xef\xbb\xbf" "entry=a\nkernel=/a\n"), HOP_OK);
    assert_string_equal(cfg.entries[0].title, "a");
    setup(NULL); /* a lone CR ends no line: it is a blank at the end */
    assert_int_equal(parse_file("entry=a\r\nkernel=/a\r"), HOP_OK);
    assert_string_equal(cfg.entries[0].kernel, "/a");
    setup(NULL); /* every prefix of a good file: no overread, no crash */
    for (size_t len = 0; len <= sizeof(full_cfg) - 1; len++) {
        setup(NULL);
        int rc = parse_file_n(full_cfg, len);
        assert_true(rc == HOP_OK || (rc < 0 && strlen(err.msg) > 0));
    }
}

static void test_limits(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < CONFIG_MAX_ENTRIES + 1; i++) {
        char line[48];
        snprintf(line, sizeof(line), "entry=e%d\nkernel=/k\n", i);
        strcat(text, line);
    }
    assert_int_equal(parse_file(text), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "/hop.cfg:33: more than 16 entries");

    setup(NULL);
    strcpy(text, "entry=m\nkernel=/k\n");
    for (int i = 0; i < CONFIG_MAX_MODULES + 1; i++)
        strcat(text, "module=/m arg\n");
    assert_int_equal(parse_file(text), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "/hop.cfg:19: more than 16 modules in one entry");

    setup(NULL); /* 16 entries with 16 modules each, all allowed */
    char *big = malloc(65536);
    big[0] = '\0';
    for (int i = 0; i < CONFIG_MAX_ENTRIES; i++) {
        char line[48];
        snprintf(line, sizeof(line), "entry=e%d\nkernel=/k\n", i);
        strcat(big, line);
        for (int m = 0; m < CONFIG_MAX_MODULES; m++)
            strcat(big, "module=/m\n");
    }
    assert_int_equal(parse_file(big), HOP_OK);
    assert_int_equal(cfg.entry_count, 16);
    assert_int_equal(cfg.entries[15].module_count, 16);

    setup(NULL); /* strings beyond the arena */
    strcpy(big, "entry=a\nkernel=/k\ncmdline=");
    size_t n = strlen(big);
    memset(big + n, 'x', CONFIG_ARENA_SIZE);
    big[n + CONFIG_ARENA_SIZE] = '\0';
    assert_int_equal(parse_file(big), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "/hop.cfg:3: configuration strings exceed 16384 "
                              "bytes");

    /* exactly full: the file name, "a", "/k" and the command line, each
     * with its NUL, are CONFIG_ARENA_SIZE bytes; one more is too many */
    size_t used = sizeof("/hop.cfg") + sizeof("a") + sizeof("/k");
    for (size_t extra = 0; extra <= 1; extra++) {
        setup(NULL);
        strcpy(big, "entry=a\nkernel=/k\ncmdline=");
        n = strlen(big);
        size_t len = CONFIG_ARENA_SIZE - used - 1 + extra;
        memset(big + n, 'x', len);
        big[n + len] = '\0';
        assert_int_equal(parse_file(big), extra ? HOP_ERR_LIMIT : HOP_OK);
        if (!extra)
            assert_int_equal(strlen(cfg.entries[0].cmdline), len);
    }
    free(big);
}

/* A 4000-byte name (config= allows 4096) is cut in its middle; the line
 * number and the reason after it survive. */
static void test_long_names_keep_the_reason(void **state)
{
    (void)state;
    char *name = malloc(4001);
    memset(name, 'n', 4000);
    name[0] = '/';
    name[3999] = 'Z';
    name[4000] = '\0';
    assert_int_equal(config_parse_file(&cfg, "entry=a\nkernl=/k\n", 17, name, &err),
                     HOP_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nZ:2: unknown key 'kernl'"));
    assert_true(strncmp(err.msg, "/nnn", 4) == 0);
    assert_non_null(strstr(err.msg, "..."));
    free(name);

    setup(NULL); /* a long title in a message */
    char *text = malloc(5000);
    strcpy(text, "entry=");
    memset(text + 6, 't', 3000);
    strcpy(text + 3006, "\nentry=b\nkernel=/b\n");
    assert_int_equal(parse_file(text), HOP_ERR_INVALID);
    assert_non_null(strstr(err.msg, "ttt' has no kernel="));
    assert_true(strncmp(err.msg, "/hop.cfg:1: entry 'ttt", 22) == 0);
    free(text);
}

/* Control bytes are kept as they are in the configuration (a kernel may
 * want any byte but NUL), and shown escaped in messages. */
static void test_control_bytes(void **state)
{
    (void)state;
    static const char text[] = "entry=\x1b[2Jevil\a\nkernel=/k\x1b\ncmdline=a\x1b]0;x\x07b\r\n"
                               "k\x1b[31m=v\n";
    assert_int_equal(parse_file(text), HOP_ERR_INVALID);
    assert_string_equal(cfg.entries[0].title, "\x1b[2Jevil\a");
    assert_string_equal(cfg.entries[0].kernel, "/k\x1b");
    assert_string_equal(cfg.entries[0].cmdline, "a\x1b]0;x\x07b");
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:4: unknown key 'k\\x1b[31m'");
    setup(NULL);
    assert_int_equal(parse_file("entry=\x1b[2J\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: entry '\\x1b[2J' has no kernel=");
}

/* --- the command line ------------------------------------------------------------- */

static void test_cmdline_kernel_only(void **state)
{
    (void)state;
    assert_int_equal(cmdline("kernel=/boot/k.elf"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.entry_count, 1);
    const struct config_entry *e = config_default_entry(&cfg);
    assert_non_null(e);
    assert_string_equal(e->title, CONFIG_CMDLINE_TITLE);
    assert_string_equal(e->kernel, "/boot/k.elf");
    assert_string_equal(e->cmdline, "");
    assert_int_equal(e->line, 0);
    assert_int_equal(cfg.timeout, 0);
    assert_string_equal(cfg.config_path, CONFIG_DEFAULT_PATH);
    assert_false(cfg.config_path_given);
    assert_false(cfg.debug_exit);
    assert_false(cfg.bench);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_INVALID);
}

static void test_cmdline_all_keys(void **state)
{
    (void)state;
    assert_int_equal(cmdline("  /hop.elf\tkernel=/k cmdline=\"console=ttyS0 "
                             "x=\\\"a b\\\" \\\\\" module=\"/m1 arg1 arg2\" "
                             "module=/m2 initrd=/i protocol=pvh title=\"My "
                             "kernel\" config=/etc/h.cfg timeout=7 default=0 "
                             "debug-exit bench "), HOP_OK);
    assert_string_equal(cfg.config_path, "/etc/h.cfg");
    assert_true(cfg.config_path_given);
    assert_true(cfg.debug_exit);
    assert_true(cfg.bench);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    const struct config_entry *e = config_default_entry(&cfg);
    assert_string_equal(e->title, "My kernel");
    assert_string_equal(e->kernel, "/k");
    assert_string_equal(e->cmdline, "console=ttyS0 x=\"a b\" \\");
    assert_int_equal(e->module_count, 2);
    assert_string_equal(e->modules[0].path, "/m1");
    assert_string_equal(e->modules[0].cmdline, "arg1 arg2");
    assert_string_equal(e->modules[1].path, "/m2");
    assert_int_equal(e->initrd_count, 1);
    assert_string_equal(e->initrds[0], "/i");
    assert_int_equal(e->protocol, CONFIG_PROTO_PVH);
    assert_int_equal(cfg.timeout, 7);
}

static void test_cmdline_quotes(void **state)
{
    (void)state;
    assert_int_equal(cmdline("kernel=/k cmdline=x\"y z\"w\\n"), HOP_OK);
    assert_string_equal(cfg.cmd_entry.cmdline, "xy zw\\n");
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k cmdline=\"\""), HOP_OK);
    assert_string_equal(cfg.cmd_entry.cmdline, "");
    assert_true(cfg.cmd_entry.has_cmdline);
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k cmdline=\"abc"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: unterminated quote");
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k cmdline=\"abc\\\""), HOP_ERR_INVALID);
}

/* GRUB quotes a whole word that has a blank and escapes " ' and \. */
static void test_cmdline_grub_quoting(void **state)
{
    (void)state;
    assert_int_equal(cmdline("/boot/hop.elf \"kernel=/b k\" \"cmdline=a \\\"b\\\" c\\'d\" debug-exit"),
                     HOP_OK);
    assert_string_equal(cfg.cmd_entry.kernel, "/b k");
    assert_string_equal(cfg.cmd_entry.cmdline, "a \"b\" c'd");
    assert_true(cfg.debug_exit);
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k \"debug-exit\""), HOP_OK);
    assert_true(cfg.debug_exit);
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k \"cmdline=a"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: unterminated quote");
}

/* An error stops nothing being read: a flag after it still counts, and the
 * message is the first error's. */
static void test_cmdline_flags_after_error(void **state)
{
    (void)state;
    assert_int_equal(cmdline("kernel=/k bogus timeout=x debug-exit bench"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: unknown flag 'bogus'");
    assert_true(cfg.debug_exit);
    assert_true(cfg.bench);
}

static void test_cmdline_errors(void **state)
{
    (void)state;
    assert_int_equal(cmdline("kernel=/k kernl=/x"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: unknown key 'kernl'");
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k debug"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: unknown flag 'debug'");
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k kernel=/j"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 2: 'kernel' given twice");
    setup(NULL);
    assert_int_equal(cmdline("config=/a config=/b"), HOP_ERR_INVALID);
    setup(NULL);
    assert_int_equal(cmdline("timeout=soon"), HOP_ERR_INVALID);
    setup(NULL);
    assert_int_equal(cmdline("=x"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 1: unknown key ''");
    setup(NULL);
    assert_int_equal(cmdline("kernel="), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: word 1: 'kernel' needs a "
                                "value");
    setup(NULL); /* a value beyond the scratch buffer */
    char *big = malloc(CONFIG_MAX_VALUE + 32);
    strcpy(big, "cmdline=");
    memset(big + 8, 'y', CONFIG_MAX_VALUE + 1);
    big[8 + CONFIG_MAX_VALUE + 1] = '\0';
    assert_int_equal(cmdline(big), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "hop command line: word 1: value longer than "
                              "4096 bytes");
    big[8 + CONFIG_MAX_VALUE] = '\0'; /* exactly the maximum is fine */
    setup(NULL);
    assert_int_equal(cmdline(big), HOP_OK);
    free(big);
}

/* The first word is an image path only when it is first. */
static void test_cmdline_image_path(void **state)
{
    (void)state;
    assert_int_equal(cmdline("/boot/hop.elf kernel=/k"), HOP_OK);
    assert_string_equal(cfg.cmd_entry.kernel, "/k");
    setup(NULL);
    assert_int_equal(cmdline("debug-exit kernel=/k"), HOP_OK);
    assert_true(cfg.debug_exit);
    setup(NULL);
    assert_int_equal(cmdline("kernel=/k /boot/hop.elf"), HOP_ERR_INVALID);
}

static const char two_entries[] = "timeout=9\ndefault=1\n"
                                  "entry=a\nkernel=/a\ncmdline=one\n"
                                  "module=/ma\n"
                                  "entry=b\nkernel=/b\ncmdline=two\n"
                                  "module=/mb x\ninitrd=/ib\n";

static void test_override_globals(void **state)
{
    (void)state;
    assert_int_equal(cmdline("timeout=0 default=a"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.timeout, 0);
    assert_int_equal(cfg.default_index, 0);
    setup(NULL);
    assert_int_equal(cmdline("default=zz"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
    expect_msg(HOP_ERR_NOTFOUND, "hop command line: default=zz matches no "
                                 "entry title");
}

/* kernel= on the command line appends an entry and makes it the default. */
static void test_override_kernel(void **state)
{
    (void)state;
    assert_int_equal(cmdline("kernel=/c cmdline=three"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.entry_count, 3);
    assert_int_equal(cfg.default_index, 2);
    assert_string_equal(config_default_entry(&cfg)->cmdline, "three");
    assert_string_equal(cfg.entries[1].cmdline, "two"); /* untouched */
    assert_int_equal(cfg.timeout, 9);
    setup(NULL); /* unless default= says otherwise */
    assert_int_equal(cmdline("kernel=/c default=0"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.default_index, 0);
    setup(NULL); /* default= may name the appended entry */
    assert_int_equal(cmdline("kernel=/c title=mine default=mine"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cfg.default_index, 2);
}

/* Without kernel=, entry keys amend the file's default entry. */
static void test_override_amend(void **state)
{
    (void)state;
    assert_int_equal(cmdline("cmdline=\"single user\" module=\"/extra e\" "
                             "protocol=multiboot1 initrd=/i2"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    const struct config_entry *e = config_default_entry(&cfg);
    assert_ptr_equal(e, &cfg.entries[1]);
    assert_string_equal(e->cmdline, "single user");
    assert_int_equal(e->initrd_count, 1);
    assert_string_equal(e->initrds[0], "/i2");
    assert_int_equal(e->protocol, CONFIG_PROTO_MULTIBOOT1);
    assert_int_equal(e->module_count, 2);
    assert_string_equal(e->modules[0].path, "/mb");
    assert_string_equal(e->modules[1].path, "/extra");
    assert_string_equal(e->modules[1].cmdline, "e");
    assert_string_equal(cfg.entries[0].cmdline, "one"); /* untouched */

    setup(NULL);
    assert_int_equal(cmdline("title=x"), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "hop command line: title= names the entry "
                                "kernel= makes, and there is no kernel=");

    setup(NULL); /* amending modules past the limit */
    char words[512] = "";
    for (int i = 0; i < CONFIG_MAX_MODULES; i++)
        strcat(words, "module=/m ");
    assert_int_equal(cmdline(words), HOP_OK);
    assert_int_equal(parse_file(two_entries), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "hop command line: module= would give entry 'b' "
                              "more than 16 modules");

    setup(NULL); /* entry keys with nothing to amend */
    assert_int_equal(cmdline("cmdline=x"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_NOTFOUND);
}

static void test_cmdline_entry_limit(void **state)
{
    (void)state;
    char text[2048] = "";
    for (int i = 0; i < CONFIG_MAX_ENTRIES; i++) {
        char line[48];
        snprintf(line, sizeof(line), "entry=e%d\nkernel=/k\n", i);
        strcat(text, line);
    }
    assert_int_equal(cmdline("kernel=/c"), HOP_OK);
    assert_int_equal(parse_file(text), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_ERR_LIMIT);
    expect_msg(HOP_ERR_LIMIT, "hop command line: kernel= would make entry 17, "
                              "more than 16");
}

static void test_one_file_only(void **state)
{
    (void)state;
    assert_int_equal(parse_file("entry=a\nkernel=/a\n"), HOP_OK);
    assert_int_equal(parse_file("entry=b\nkernel=/b\n"), HOP_ERR_INVALID);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_int_equal(cmdline("kernel=/x"), HOP_ERR_INVALID);
}

static void test_serial_and_menu_edit(void **state)
{
    (void)state;
    assert_int_equal(parse_file("serial=plain\nmenu-edit=no\nentry=a\nkernel=/a\n"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_true(cfg.serial_plain);
    assert_false(cfg.menu_edit);
    config_init(&cfg);
    assert_int_equal(parse_file("serial=plain\nentry=a\nkernel=/a\n"), HOP_OK);
    assert_int_equal(cmdline("serial=ansi menu-edit=yes"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_false(cfg.serial_plain); /* the command line wins */
    assert_true(cfg.menu_edit);
    config_init(&cfg);
    assert_int_equal(parse_file("entry=a\nkernel=/a\n"), HOP_OK);
    assert_int_equal(config_finish(&cfg, &err), HOP_OK);
    assert_false(cfg.serial_plain); /* defaults: ANSI, editing on */
    assert_true(cfg.menu_edit);
    config_init(&cfg);
    assert_int_equal(parse_file("serial=vt100\n"), HOP_ERR_INVALID);
    expect_msg(HOP_ERR_INVALID, "/hop.cfg:1: serial 'vt100' is neither plain nor ansi");
    config_init(&cfg);
    assert_int_equal(parse_file("menu-edit=no\nmenu-edit=no\n"), HOP_ERR_INVALID);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_full_file),
        T(test_serial_and_menu_edit),
        T(test_all_protocols),
        T(test_unknown_key),
        T(test_syntax_errors),
        T(test_entry_without_kernel),
        T(test_duplicates),
        T(test_timeout_values),
        T(test_default_resolution),
        T(test_empty_inputs),
        T(test_odd_bytes),
        T(test_limits),
        T(test_long_names_keep_the_reason),
        T(test_control_bytes),
        T(test_cmdline_kernel_only),
        T(test_cmdline_all_keys),
        T(test_cmdline_quotes),
        T(test_cmdline_grub_quoting),
        T(test_cmdline_flags_after_error),
        T(test_initrd_repeatable),
        T(test_cmdline_errors),
        T(test_cmdline_image_path),
        T(test_override_globals),
        T(test_override_kernel),
        T(test_override_amend),
        T(test_cmdline_entry_limit),
        T(test_one_file_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
