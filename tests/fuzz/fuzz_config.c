/* libFuzzer target: src/parse/config.c.  The whole input is parsed as a
 * configuration file; then, split at its first NUL byte, the part before as
 * hop's command line and the part after as the file.  The file text is
 * copied into an exactly sized heap block without a NUL, so ASan reports
 * any read past len. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/config.h"

static struct hop_config cfg;

static void check_entry(const struct config_entry *e)
{
    /* Every string must be a proper C string: strlen walks it under ASan. */
    if (!e->title || !e->kernel || !e->cmdline)
        abort();
    (void)strlen(e->title);
    (void)strlen(e->kernel);
    (void)strlen(e->cmdline);
    if (e->initrd_count > CONFIG_MAX_INITRDS)
        abort();
    for (size_t i = 0; i < e->initrd_count; i++)
        (void)strlen(e->initrds[i]);
    if (e->module_count > CONFIG_MAX_MODULES)
        abort();
    for (size_t m = 0; m < e->module_count; m++)
        (void)(strlen(e->modules[m].path) + strlen(e->modules[m].cmdline));
    if (!config_protocol_name(e->protocol))
        abort();
}

/* An error message is shown to people: bounded, and no byte of the input
 * reaches the console as a control byte (docs/config.md). */
static bool message_ok(const char *msg)
{
    size_t n = strnlen(msg, HOP_ERROR_MSG_MAX);
    if (n == HOP_ERROR_MSG_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] == 0x7f)
            return false;
    return true;
}

static void run(const char *cmdline, const uint8_t *text, size_t len)
{
    struct hop_error err = { 0, "" };
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    config_init(&cfg);
    if ((!cmdline || config_parse_cmdline(&cfg, cmdline, &err) == HOP_OK) &&
        config_parse_file(&cfg, copy, len, "/hop.cfg", &err) == HOP_OK &&
        config_finish(&cfg, &err) == HOP_OK) {
        const struct config_entry *e = config_default_entry(&cfg);
        if (!e || cfg.entry_count > CONFIG_MAX_ENTRIES ||
            cfg.arena_used > CONFIG_ARENA_SIZE ||
            cfg.timeout > CONFIG_MAX_TIMEOUT)
            abort();
        for (size_t i = 0; i < cfg.entry_count; i++)
            check_entry(&cfg.entries[i]);
    } else if (err.code >= 0 || err.msg[0] == '\0' || !message_ok(err.msg)) {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    run(NULL, data, size);
    if (nul) {
        size_t n = (size_t)(nul - data);
        char *cmdline = malloc(n + 1);
        memcpy(cmdline, data, n + 1);
        run(cmdline, nul + 1, size - n - 1);
        free(cmdline);
    }
    return 0;
}
