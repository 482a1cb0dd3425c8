/* hop's configuration: its own command line, plus an optional file
 * (/hop.cfg unless config= says otherwise) listing boot entries.  The syntax
 * and the rules for combining the two are in docs/config.md.
 *
 * Use:
 *     config_init(&cfg);
 *     config_parse_cmdline(&cfg, cmdline, &err);    -- may set cfg.config_path
 *     config_parse_file(&cfg, text, len, cfg.config_path, &err);  -- if found
 *     config_finish(&cfg, &err);                    -- merge, pick the default
 *     entry = config_default_entry(&cfg);
 *
 * Everything lives inside struct hop_config: fixed tables and an arena the
 * strings are copied into, so neither input needs to outlive parsing.  The
 * strings point into the arena: do not copy the structure by value. */
#ifndef HOP_CONFIG_H
#define HOP_CONFIG_H

#include "lib/error.h"
#include "lib/types.h"

#define CONFIG_DEFAULT_PATH "/hop.cfg"
#define CONFIG_MAX_ENTRIES 16
#define CONFIG_MAX_MODULES 16 /* per entry */
#define CONFIG_MAX_INITRDS 8  /* initrd= lines per entry */
#define CONFIG_ARENA_SIZE 16384 /* bytes for all strings, NULs included */
#define CONFIG_MAX_VALUE 4096 /* one unquoted command line value */
#define CONFIG_MAX_TIMEOUT 3600 /* seconds */
#define CONFIG_CMDLINE_NAME "hop command line" /* in messages */
#define CONFIG_CMDLINE_TITLE "command line" /* entry made from kernel= */

enum config_protocol {
    CONFIG_PROTO_AUTO = 0, /* decided from the kernel file */
    CONFIG_PROTO_MULTIBOOT2,
    CONFIG_PROTO_MULTIBOOT1,
    CONFIG_PROTO_PVH,
    CONFIG_PROTO_LINUX,
    CONFIG_PROTO_ELF,
};

struct config_module {
    const char *path;
    const char *cmdline; /* the words after the path; "" when none */
};

struct config_entry {
    const char *title;
    const char *kernel; /* never NULL after config_finish() */
    const char *cmdline; /* "" when none */
    const char *initrds[CONFIG_MAX_INITRDS]; /* in order: one initrd, concatenated */
    size_t initrd_count;
    enum config_protocol protocol;
    size_t module_count;
    struct config_module modules[CONFIG_MAX_MODULES];
    unsigned line; /* where the entry began in the file; 0: command line */
    bool has_cmdline, has_protocol; /* given explicitly */
};

/* The global keys as one source (file or command line) gave them. */
struct config_globals {
    bool has_timeout;
    unsigned timeout;
    const char *default_spec; /* index or title; NULL when not given */
    unsigned default_line;
    bool has_serial, serial_plain;  /* serial=ansi|plain */
    bool has_menu_edit, menu_edit;  /* menu-edit=yes|no */
};

struct hop_config {
    /* The result, complete after config_finish(). */
    size_t entry_count;
    struct config_entry entries[CONFIG_MAX_ENTRIES];
    size_t default_index;
    unsigned timeout; /* seconds; 0 boots the default at once */
    bool serial_plain; /* serial=plain: the menu as a numbered list, no ANSI */
    bool menu_edit;    /* menu-edit=no makes it false: no editing in the menu */

    /* Settings only the command line can give. */
    const char *config_path; /* CONFIG_DEFAULT_PATH unless config= */
    bool config_path_given;
    bool debug_exit; /* flag "debug-exit": exit QEMU through isa-debug-exit */
    bool bench;      /* flag "bench": make bench's kernel gets hop.control= */

    /* What each source said, kept apart until config_finish() merges. */
    struct config_globals file_globals, cmd_globals;
    struct config_entry cmd_entry; /* entry keys of the command line */
    bool cmd_has_entry_keys;
    const char *file_name; /* NULL when no file was parsed */
    bool finished;

    size_t arena_used;
    char arena[CONFIG_ARENA_SIZE];
    char scratch[CONFIG_MAX_VALUE]; /* a command line value, unquoted */
};

void config_init(struct hop_config *cfg);

/* Parses hop's own command line (NUL-terminated): whitespace-separated
 * key=value words, values optionally in "double quotes", and flags.  A first
 * word without '=' that is no known flag is the image path some loaders put
 * first, and is skipped.  Returns the first error; the words after it are
 * still read, so that flags such as debug-exit anywhere on the line count. */
int config_parse_cmdline(struct hop_config *cfg, const char *cmdline,
                         struct hop_error *err);

/* Parses a configuration file of len bytes (not NUL-terminated; nothing
 * past len is read).  name is used in messages ("/hop.cfg:7: unknown key
 * 'kernl'").  At most one file per configuration. */
int config_parse_file(struct hop_config *cfg, const char *text, size_t len,
                      const char *name, struct hop_error *err);

/* Merges the command line into what the file gave, resolves the default
 * entry and the timeout.  HOP_ERR_NOTFOUND when there is nothing to boot. */
int config_finish(struct hop_config *cfg, struct hop_error *err);

/* The entry to boot when nobody chooses; NULL before a successful
 * config_finish(). */
const struct config_entry *config_default_entry(const struct hop_config *cfg);

const char *config_protocol_name(enum config_protocol proto);

#endif
