/* Parsing hop's command line and configuration file into struct
 * hop_config, and merging the two.  Both inputs share one set of key
 * handlers; only how a line or word is cut into key and value differs.
 * The syntax is described in docs/config.md. */
#include "parse/config.h"

#include "lib/fmt.h"
#include "lib/string.h"

#define CONFIG_SHOW_MAX 40 /* bytes of offending input quoted in a message */

/* A piece of the input: not NUL-terminated. */
struct span {
    const char *s;
    size_t n;
};

/* Where a key came from, for messages: "NAME:LINE: " or "NAME: word W: ". */
struct where {
    const char *name;
    unsigned line; /* file line, 1-based; 0 on the command line */
    unsigned word; /* command line word, 1-based */
};

struct parser {
    struct hop_config *cfg;
    struct where where;
    bool cmdline;
    struct config_globals *globals;
    struct config_entry *entry; /* where entry keys go; NULL: none yet */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static struct span span_trim(struct span sp)
{
    while (sp.n && is_blank(sp.s[0])) {
        sp.s++;
        sp.n--;
    }
    while (sp.n && is_blank(sp.s[sp.n - 1]))
        sp.n--;
    return sp;
}

static bool span_is(struct span sp, const char *lit)
{
    return strlen(lit) == sp.n && memcmp(sp.s, lit, sp.n) == 0;
}

/* The span as a short C string for a message.  Copying matters: the input
 * is not NUL-terminated, so it must never reach %s directly. */
static const char *span_show(struct span sp, char *buf, size_t size)
{
    size_t n = MIN(sp.n, size - 1);
    memcpy(buf, sp.s, n);
    buf[n] = '\0';
    if (n < sp.n && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* The message, then where (error_prefix keeps the message whole when a
 * long file name must be cut). */
__attribute__((format(printf, 4, 5)))
static int where_error(struct hop_error *err, const struct where *w, int code,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, fmt, ap);
    va_end(ap);
    if (w->line)
        error_prefix(err, "%s:%u", w->name, w->line);
    else if (w->word)
        error_prefix(err, "%s: word %u", w->name, w->word);
    else
        error_prefix(err, "%s", w->name);
    return code;
}

/* Copies sp into the arena as a C string; NULL when it is full. */
static const char *arena_put(struct hop_config *cfg, struct span sp)
{
    char *dst = cfg->arena + cfg->arena_used;
    if (sp.n >= CONFIG_ARENA_SIZE - cfg->arena_used)
        return NULL;
    memcpy(dst, sp.s, sp.n);
    dst[sp.n] = '\0';
    cfg->arena_used += sp.n + 1;
    return dst;
}

static int store(struct parser *p, struct span sp, const char **out,
                 struct hop_error *err)
{
    *out = arena_put(p->cfg, sp);
    if (!*out)
        return where_error(err, &p->where, HOP_ERR_LIMIT,
                           "configuration strings exceed %d bytes",
                           CONFIG_ARENA_SIZE);
    return HOP_OK;
}

/* A decimal number no larger than max (which is far below UINT_MAX/10). */
static bool span_to_uint(struct span sp, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (sp.n == 0)
        return false;
    for (size_t i = 0; i < sp.n; i++) {
        if (sp.s[i] < '0' || sp.s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(sp.s[i] - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static const char *const protocol_names[] = {
    [CONFIG_PROTO_AUTO] = "auto",
    [CONFIG_PROTO_MULTIBOOT2] = "multiboot2",
    [CONFIG_PROTO_MULTIBOOT1] = "multiboot1",
    [CONFIG_PROTO_PVH] = "pvh",
    [CONFIG_PROTO_LINUX] = "linux",
    [CONFIG_PROTO_ELF] = "elf",
};

const char *config_protocol_name(enum config_protocol proto)
{
    if ((unsigned)proto < ARRAY_SIZE(protocol_names))
        return protocol_names[proto];
    return "unknown";
}

/* --- key handlers ------------------------------------------------------------ */

/* A key that may be given once (per entry, for entry keys in the file). */
static int duplicate(struct parser *p, const char *key, bool entry_key,
                     struct hop_error *err)
{
    return where_error(err, &p->where, HOP_ERR_INVALID, "'%s' given twice%s",
                       key, entry_key && !p->cmdline ? " in this entry" : "");
}

static int need_value(struct parser *p, const char *key, struct span v,
                      struct hop_error *err)
{
    if (v.n == 0)
        return where_error(err, &p->where, HOP_ERR_INVALID,
                           "'%s' needs a value", key);
    return HOP_OK;
}

static int key_timeout(struct parser *p, struct span v, struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    if (p->globals->has_timeout)
        return duplicate(p, "timeout", false, err);
    if (!span_to_uint(v, CONFIG_MAX_TIMEOUT, &p->globals->timeout))
        return where_error(err, &p->where, HOP_ERR_INVALID,
                           "timeout '%s' is not a number of seconds from 0 "
                           "to %d", span_show(v, show, sizeof(show)),
                           CONFIG_MAX_TIMEOUT);
    p->globals->has_timeout = true;
    return HOP_OK;
}

static int key_default(struct parser *p, struct span v, struct hop_error *err)
{
    int rc;
    if (p->globals->default_spec)
        return duplicate(p, "default", false, err);
    if ((rc = need_value(p, "default", v, err)))
        return rc;
    p->globals->default_line = p->where.line;
    return store(p, v, &p->globals->default_spec, err);
}

/* A global that is one of two words: *has and *first say which was given. */
static int key_choice(struct parser *p, const char *key, struct span v, const char *first,
                      const char *second, bool *has, bool *is_first, struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    if (*has)
        return duplicate(p, key, false, err);
    bool a = v.n == strlen(first) && memcmp(v.s, first, v.n) == 0;
    bool b = v.n == strlen(second) && memcmp(v.s, second, v.n) == 0;
    if (!a && !b)
        return where_error(err, &p->where, HOP_ERR_INVALID, "%s '%s' is neither %s nor %s",
                           key, span_show(v, show, sizeof(show)), first, second);
    *has = true;
    *is_first = a;
    return HOP_OK;
}

static int key_serial(struct parser *p, struct span v, struct hop_error *err)
{
    return key_choice(p, "serial", v, "plain", "ansi", &p->globals->has_serial,
                      &p->globals->serial_plain, err);
}

static int key_menu_edit(struct parser *p, struct span v, struct hop_error *err)
{
    return key_choice(p, "menu-edit", v, "yes", "no", &p->globals->has_menu_edit,
                      &p->globals->menu_edit, err);
}

/* A kernel is what makes an entry bootable: refuse one without. */
static int check_entry(const struct parser *p, const struct config_entry *e,
                       struct hop_error *err)
{
    struct where w = { p->where.name, e->line, 0 };
    if (e->kernel)
        return HOP_OK;
    return where_error(err, &w, HOP_ERR_INVALID, "entry '%s' has no kernel=",
                       e->title);
}

/* In the file, "entry=TITLE" (or "title=TITLE") starts an entry; on the
 * command line it names the entry that kernel= makes. */
static int key_entry(struct parser *p, struct span v, struct hop_error *err)
{
    struct hop_config *cfg = p->cfg;
    struct config_entry *e;
    int rc;
    if ((rc = need_value(p, "entry", v, err)))
        return rc;
    if (p->cmdline) {
        if (p->entry->title)
            return duplicate(p, "title", true, err);
        p->cfg->cmd_has_entry_keys = true;
        return store(p, v, &p->entry->title, err);
    }
    if (p->entry && (rc = check_entry(p, p->entry, err)))
        return rc;
    if (cfg->entry_count == CONFIG_MAX_ENTRIES)
        return where_error(err, &p->where, HOP_ERR_LIMIT,
                           "more than %d entries", CONFIG_MAX_ENTRIES);
    e = &cfg->entries[cfg->entry_count++];
    *e = (struct config_entry){ .cmdline = "", .line = p->where.line };
    p->entry = e;
    return store(p, v, &e->title, err);
}

/* kernel=: a path, given once per entry. */
static int set_path(struct parser *p, const char *key, const char **slot,
                    struct span v, struct hop_error *err)
{
    int rc;
    if (*slot)
        return duplicate(p, key, true, err);
    if ((rc = need_value(p, key, v, err)))
        return rc;
    return store(p, v, slot, err);
}

static int key_kernel(struct parser *p, struct span v, struct hop_error *err)
{
    return set_path(p, "kernel", &p->entry->kernel, v, err);
}

/* initrd=: repeatable; the files make one initrd in the order given (an
 * uncompressed early-microcode archive, then the compressed one). */
static int key_initrd(struct parser *p, struct span v, struct hop_error *err)
{
    struct config_entry *e = p->entry;
    int rc;
    if ((rc = need_value(p, "initrd", v, err)))
        return rc;
    if (e->initrd_count == CONFIG_MAX_INITRDS)
        return where_error(err, &p->where, HOP_ERR_LIMIT,
                           "more than %d initrd= in one entry", CONFIG_MAX_INITRDS);
    if ((rc = store(p, v, &e->initrds[e->initrd_count], err)))
        return rc;
    e->initrd_count++;
    return HOP_OK;
}

static int key_cmdline(struct parser *p, struct span v, struct hop_error *err)
{
    if (p->entry->has_cmdline)
        return duplicate(p, "cmdline", true, err);
    p->entry->has_cmdline = true;
    return store(p, v, &p->entry->cmdline, err);
}

/* module=PATH [CMDLINE...]: the first word is the path, the rest (trimmed)
 * the module's own command line. */
static int key_module(struct parser *p, struct span v, struct hop_error *err)
{
    struct config_entry *e = p->entry;
    struct config_module *m;
    struct span path = { v.s, 0 }, rest;
    int rc;
    if ((rc = need_value(p, "module", v, err)))
        return rc;
    if (e->module_count == CONFIG_MAX_MODULES)
        return where_error(err, &p->where, HOP_ERR_LIMIT,
                           "more than %d modules in one entry",
                           CONFIG_MAX_MODULES);
    while (path.n < v.n && !is_blank(v.s[path.n]))
        path.n++;
    rest = span_trim((struct span){ v.s + path.n, v.n - path.n });
    m = &e->modules[e->module_count];
    if ((rc = store(p, path, &m->path, err)) ||
        (rc = store(p, rest, &m->cmdline, err)))
        return rc;
    e->module_count++;
    return HOP_OK;
}

static int key_protocol(struct parser *p, struct span v, struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    if (p->entry->has_protocol)
        return duplicate(p, "protocol", true, err);
    for (size_t i = 0; i < ARRAY_SIZE(protocol_names); i++) {
        if (span_is(v, protocol_names[i])) {
            p->entry->protocol = (enum config_protocol)i;
            p->entry->has_protocol = true;
            return HOP_OK;
        }
    }
    return where_error(err, &p->where, HOP_ERR_INVALID,
                       "protocol '%s' is not one of auto, multiboot2, "
                       "multiboot1, pvh, linux, elf",
                       span_show(v, show, sizeof(show)));
}

static int key_config(struct parser *p, struct span v, struct hop_error *err)
{
    int rc;
    if (p->cfg->config_path_given)
        return duplicate(p, "config", false, err);
    if ((rc = need_value(p, "config", v, err)))
        return rc;
    p->cfg->config_path_given = true;
    return store(p, v, &p->cfg->config_path, err);
}

enum key_scope {
    KEY_GLOBAL,       /* anywhere */
    KEY_ENTRY,        /* inside an entry (the command line's own one) */
    KEY_CMDLINE_ONLY, /* hop's command line only */
};

static const struct key_handler {
    const char *key;
    enum key_scope scope;
    int (*set)(struct parser *p, struct span value, struct hop_error *err);
} key_handlers[] = {
    { "timeout", KEY_GLOBAL, key_timeout },
    { "default", KEY_GLOBAL, key_default },
    { "serial", KEY_GLOBAL, key_serial },
    { "menu-edit", KEY_GLOBAL, key_menu_edit },
    { "entry", KEY_GLOBAL, key_entry },
    { "title", KEY_GLOBAL, key_entry },
    { "kernel", KEY_ENTRY, key_kernel },
    { "cmdline", KEY_ENTRY, key_cmdline },
    { "module", KEY_ENTRY, key_module },
    { "initrd", KEY_ENTRY, key_initrd },
    { "protocol", KEY_ENTRY, key_protocol },
    { "config", KEY_CMDLINE_ONLY, key_config },
};

static int set_key(struct parser *p, struct span key, struct span value,
                   struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    for (size_t i = 0; i < ARRAY_SIZE(key_handlers); i++) {
        const struct key_handler *h = &key_handlers[i];
        if (!span_is(key, h->key))
            continue;
        if (h->scope == KEY_CMDLINE_ONLY && !p->cmdline)
            return where_error(err, &p->where, HOP_ERR_INVALID,
                               "'%s' belongs on hop's command line, not in "
                               "the file", h->key);
        if (h->scope == KEY_ENTRY && !p->entry)
            return where_error(err, &p->where, HOP_ERR_INVALID,
                               "'%s' before the first entry= line", h->key);
        if (h->scope == KEY_ENTRY && p->cmdline)
            p->cfg->cmd_has_entry_keys = true;
        return h->set(p, value, err);
    }
    return where_error(err, &p->where, HOP_ERR_INVALID, "unknown key '%s'",
                       span_show(key, show, sizeof(show)));
}

/* --- the file -------------------------------------------------------------- */

static int parse_line(struct parser *p, struct span line,
                      struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    size_t eq = 0;
    line = span_trim(line);
    if (line.n == 0 || line.s[0] == '#')
        return HOP_OK;
    while (eq < line.n && line.s[eq] != '=')
        eq++;
    if (eq == line.n)
        return where_error(err, &p->where, HOP_ERR_INVALID,
                           "expected key=value, got '%s'",
                           span_show(line, show, sizeof(show)));
    struct span key = span_trim((struct span){ line.s, eq });
    struct span value = span_trim((struct span){ line.s + eq + 1,
                                                 line.n - eq - 1 });
    if (key.n == 0)
        return where_error(err, &p->where, HOP_ERR_INVALID,
                           "no key before '='");
    return set_key(p, key, value, err);
}

/* Cuts the next line (without its '\n') out of text[*pos, len). */
static struct span next_line(const char *text, size_t len, size_t *pos)
{
    struct span line = { text + *pos, 0 };
    while (*pos + line.n < len && line.s[line.n] != '\n')
        line.n++;
    *pos += line.n + (*pos + line.n < len); /* past the '\n' if any */
    return line;
}

static bool has_nul(struct span sp)
{
    for (size_t i = 0; i < sp.n; i++)
        if (sp.s[i] == '\0')
            return true;
    return false;
}

int config_parse_file(struct hop_config *cfg, const char *text, size_t len,
                      const char *name, struct hop_error *err)
{
    static const char bom[3] = { '\xef', '\xbb', '\xbf' }; /* UTF-8 BOM */
    struct parser p = { .cfg = cfg, .globals = &cfg->file_globals };
    size_t pos = 0;
    int rc;
    name = name ? name : CONFIG_DEFAULT_PATH;
    p.where.name = name;
    if (cfg->file_name || cfg->finished)
        return error_set(err, HOP_ERR_INVALID, "%s: a configuration takes "
                         "one file, before config_finish()", name);
    if ((rc = store(&p, (struct span){ name, strlen(name) }, &cfg->file_name,
                    err)))
        return rc;
    p.where.name = cfg->file_name;
    if (len >= sizeof(bom) && memcmp(text, bom, sizeof(bom)) == 0)
        pos = sizeof(bom);
    while (pos < len) {
        struct span line = next_line(text, len, &pos);
        p.where.line++;
        if (has_nul(line))
            return where_error(err, &p.where, HOP_ERR_INVALID,
                               "NUL byte in the line");
        if ((rc = parse_line(&p, line, err)))
            return rc;
    }
    return p.entry ? check_entry(&p, p.entry, err) : HOP_OK;
}

/* --- the command line ---------------------------------------------------------- */

/* Unquotes the value at *sp into cfg->scratch: "..." groups blanks into the
 * value, and inside quotes \" \' and \\ stand for " ' and \ (GRUB escapes
 * them so).  Stops at the first blank outside quotes. */
static int cmdline_value(struct parser *p, const char **sp, struct span *out,
                         struct hop_error *err)
{
    char *dst = p->cfg->scratch;
    const char *s = *sp;
    size_t n = 0;
    bool quoted = false;
    for (; *s && (quoted || !is_blank(*s)); s++) {
        char c = *s;
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && c == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '\''))
            c = *++s;
        if (n == sizeof(p->cfg->scratch))
            return where_error(err, &p->where, HOP_ERR_LIMIT,
                               "value longer than %zu bytes",
                               sizeof(p->cfg->scratch));
        dst[n++] = c;
    }
    if (quoted)
        return where_error(err, &p->where, HOP_ERR_INVALID,
                           "unterminated quote");
    *sp = s;
    *out = (struct span){ dst, n };
    return HOP_OK;
}

static int cmdline_flag(struct parser *p, struct span word,
                        struct hop_error *err)
{
    char show[CONFIG_SHOW_MAX];
    if (span_is(word, "debug-exit")) {
        p->cfg->debug_exit = true;
        return HOP_OK;
    }
    if (span_is(word, "bench")) {
        p->cfg->bench = true;
        return HOP_OK;
    }
    /* Some loaders (multiboot1 ones, QEMU) put the image path first. */
    if (p->where.word == 1)
        return HOP_OK;
    return where_error(err, &p->where, HOP_ERR_INVALID, "unknown flag '%s'",
                       span_show(word, show, sizeof(show)));
}

/* A word quoted whole, as GRUB passes `cmdline="a b"`: "cmdline=a b". */
static int cmdline_quoted_word(struct parser *p, const char **sp,
                               struct hop_error *err)
{
    struct span whole;
    int rc = cmdline_value(p, sp, &whole, err);
    if (rc)
        return rc;
    size_t eq = 0;
    while (eq < whole.n && whole.s[eq] != '=')
        eq++;
    if (eq == whole.n)
        return cmdline_flag(p, whole, err);
    return set_key(p, (struct span){ whole.s, eq },
                   (struct span){ whole.s + eq + 1, whole.n - eq - 1 }, err);
}

/* One word: KEY=VALUE or a flag, or either quoted whole. */
static int cmdline_word(struct parser *p, const char **sp,
                        struct hop_error *err)
{
    struct span key = { *sp, 0 }, value;
    int rc;
    if (**sp == '"')
        return cmdline_quoted_word(p, sp, err);
    while (key.s[key.n] && !is_blank(key.s[key.n]) && key.s[key.n] != '=')
        key.n++;
    *sp = key.s + key.n;
    if (**sp != '=')
        return cmdline_flag(p, key, err);
    (*sp)++;
    if ((rc = cmdline_value(p, sp, &value, err)))
        return rc;
    return set_key(p, key, value, err);
}

int config_parse_cmdline(struct hop_config *cfg, const char *cmdline,
                         struct hop_error *err)
{
    struct parser p = {
        .cfg = cfg, .cmdline = true, .globals = &cfg->cmd_globals,
        .entry = &cfg->cmd_entry, .where = { CONFIG_CMDLINE_NAME, 0, 0 },
    };
    const char *s = cmdline ? cmdline : "";
    if (cfg->finished)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: parsed after config_finish()",
                         CONFIG_CMDLINE_NAME);
    /* Past an error every word is still read (into a configuration nobody
     * will boot from), so that a flag later on the line, debug-exit above
     * all, takes effect whatever came before it. */
    int first = HOP_OK;
    for (;;) {
        while (*s && is_blank(*s))
            s++;
        if (!*s)
            return first;
        p.where.word++;
        const char *word = s;
        int rc = cmdline_word(&p, &s, first ? NULL : err);
        if (rc) {
            first = first ? first : rc;
            for (s = word; *s && !is_blank(*s);)
                s++;
        }
    }
}

void config_init(struct hop_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->config_path = CONFIG_DEFAULT_PATH;
    cfg->cmd_entry.cmdline = "";
}

/* --- merging ------------------------------------------------------------------- */

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* default= names an entry by index (all digits, however many: a value too
 * large for any number type is still an index, out of range) or by exact
 * title. */
static int resolve_default(struct hop_config *cfg,
                           const struct config_globals *g, const char *source,
                           struct hop_error *err)
{
    struct where w = { source, g->default_line, 0 };
    unsigned index;
    struct span spec = { g->default_spec, strlen(g->default_spec) };
    if (all_digits(g->default_spec)) {
        if (span_to_uint(spec, CONFIG_MAX_ENTRIES, &index) && index < cfg->entry_count) {
            cfg->default_index = index;
            return HOP_OK;
        }
        return where_error(err, &w, HOP_ERR_NOTFOUND,
                           "default=%s is out of range: the entries are numbered "
                           "0 to %zu (%zu in all)", g->default_spec,
                           cfg->entry_count - 1, cfg->entry_count);
    }
    for (size_t i = 0; i < cfg->entry_count; i++) {
        if (strcmp(cfg->entries[i].title, g->default_spec) == 0) {
            cfg->default_index = i;
            return HOP_OK;
        }
    }
    return where_error(err, &w, HOP_ERR_NOTFOUND,
                       "default=%s matches no entry title", g->default_spec);
}

/* Without kernel=, the command line's entry keys amend the default entry:
 * cmdline, initrd and protocol replace its own, modules are added. */
static int amend_default(struct hop_config *cfg, struct hop_error *err)
{
    const struct config_entry *c = &cfg->cmd_entry;
    struct config_entry *e = &cfg->entries[cfg->default_index];
    struct where w = { CONFIG_CMDLINE_NAME, 0, 0 };
    if (c->title)
        return where_error(err, &w, HOP_ERR_INVALID,
                           "title= names the entry kernel= makes, and there "
                           "is no kernel=");
    if (e->module_count + c->module_count > CONFIG_MAX_MODULES)
        return where_error(err, &w, HOP_ERR_LIMIT,
                           "module= would give entry '%s' more than %d "
                           "modules", e->title, CONFIG_MAX_MODULES);
    if (c->has_cmdline) {
        e->cmdline = c->cmdline;
        e->has_cmdline = true;
    }
    if (c->initrd_count) { /* the command line's initrds replace the entry's */
        memcpy(e->initrds, c->initrds, sizeof(e->initrds));
        e->initrd_count = c->initrd_count;
    }
    if (c->has_protocol) {
        e->protocol = c->protocol;
        e->has_protocol = true;
    }
    for (size_t i = 0; i < c->module_count; i++)
        e->modules[e->module_count++] = c->modules[i];
    return HOP_OK;
}

/* kernel= on the command line makes an entry of its own, appended after
 * the file's so that the file's indexes keep their meaning. */
static int append_cmdline_entry(struct hop_config *cfg, struct hop_error *err)
{
    struct config_entry *e;
    if (cfg->entry_count == CONFIG_MAX_ENTRIES)
        return error_set(err, HOP_ERR_LIMIT,
                         "%s: kernel= would make entry %d, more than %d",
                         CONFIG_CMDLINE_NAME, CONFIG_MAX_ENTRIES + 1,
                         CONFIG_MAX_ENTRIES);
    e = &cfg->entries[cfg->entry_count++];
    *e = cfg->cmd_entry;
    if (!e->title)
        e->title = CONFIG_CMDLINE_TITLE;
    return HOP_OK;
}

int config_finish(struct hop_config *cfg, struct hop_error *err)
{
    bool cmd_kernel = cfg->cmd_entry.kernel != NULL;
    const struct config_globals *cg = &cfg->cmd_globals, *fg = &cfg->file_globals;
    int rc = HOP_OK;
    if (cfg->finished)
        return error_set(err, HOP_ERR_INVALID, "config_finish() called twice");
    if (cmd_kernel && (rc = append_cmdline_entry(cfg, err)))
        return rc;
    if (cfg->entry_count == 0)
        return error_set(err, HOP_ERR_NOTFOUND,
                         "nothing to boot: no kernel= on hop's command line "
                         "and no entry in %s", cfg->file_name
                             ? cfg->file_name : "a configuration file");
    if (cg->default_spec)
        rc = resolve_default(cfg, cg, CONFIG_CMDLINE_NAME, err);
    else if (cmd_kernel)
        cfg->default_index = cfg->entry_count - 1;
    else if (fg->default_spec)
        rc = resolve_default(cfg, fg, cfg->file_name, err);
    if (!rc && !cmd_kernel && cfg->cmd_has_entry_keys)
        rc = amend_default(cfg, err);
    if (rc)
        return rc;
    cfg->timeout = cg->has_timeout ? cg->timeout
                   : fg->has_timeout ? fg->timeout : 0;
    cfg->serial_plain = cg->has_serial ? cg->serial_plain : fg->has_serial && fg->serial_plain;
    cfg->menu_edit = cg->has_menu_edit ? cg->menu_edit : !fg->has_menu_edit || fg->menu_edit;
    cfg->finished = true;
    return HOP_OK;
}

const struct config_entry *config_default_entry(const struct hop_config *cfg)
{
    if (!cfg->finished || cfg->default_index >= cfg->entry_count)
        return NULL;
    return &cfg->entries[cfg->default_index];
}
