/* The progress bar (see progress.h). */
#include "console/progress.h"
#include "console/console.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define PROGRESS_LINE_MAX 128
#define MIB_SHIFT 20
#define TENTHS 10
#define PROGRESS_EXACT_LIMIT ((uint64_t)1 << 56)
#define ELLIPSIS "..."
/* A name escaped (fmt_message) before its end is kept: room for its end. */
#define PROGRESS_NAME_SHOWN_MAX 128

struct progress {
    progress_clock_fn now_ms;
    bool active, shown;
    char verb[PROGRESS_VERB_MAX + 1];
    char name[PROGRESS_WHAT_MAX + 1];
    uint64_t total, done;
    uint64_t start_ms, drawn_ms;
};

static struct progress progress;

void progress_set_clock(progress_clock_fn now_ms)
{
    progress.now_ms = now_ms;
}

/* src in at most max characters: its end after "..." when it is longer
 * ("...vmlinuz-6.1.0-18-amd64"); dst holds max + 1 bytes. */
static void progress_copy_tail(char *dst, const char *src, size_t max)
{
    size_t len = strlen(src);
    if (len <= max) {
        memcpy(dst, src, len + 1);
    } else if (max < sizeof(ELLIPSIS)) {
        memcpy(dst, src + len - max, max + 1);
    } else {
        memcpy(dst, ELLIPSIS, sizeof(ELLIPSIS) - 1);
        memcpy(dst + sizeof(ELLIPSIS) - 1, src + len - (max - (sizeof(ELLIPSIS) - 1)),
               max - (sizeof(ELLIPSIS) - 1) + 1);
    }
}

/* "verb name", the name shortened to fit PROGRESS_WHAT_MAX. */
static void progress_what(char *dst, const char *verb, const char *name)
{
    size_t v = strnlen(verb, PROGRESS_VERB_MAX);
    memcpy(dst, verb, v);
    dst[v] = '\0';
    if (!name || !name[0])
        return;
    if (v)
        dst[v++] = ' ';
    progress_copy_tail(dst + v, name, PROGRESS_WHAT_MAX - v);
}

/* "12.3": bytes in MiB with one decimal, rounded down. */
static void progress_mib(char *buf, size_t size, uint64_t bytes)
{
    uint64_t tenths = (bytes >> MIB_SHIFT) * TENTHS +
                      ((bytes & (((uint64_t)1 << MIB_SHIFT) - 1)) * TENTHS >> MIB_SHIFT);
    fmt_snprintf(buf, size, "%llu.%llu", (unsigned long long)(tenths / TENTHS),
                 (unsigned long long)(tenths % TENTHS));
}

size_t progress_format(char *buf, size_t size, const char *verb, const char *name,
                       uint64_t done, uint64_t total)
{
    char what[PROGRESS_WHAT_MAX + 1], bar[PROGRESS_BAR_WIDTH + 1], d[24], t[24];
    uint64_t num = MIN(done, total), den = total;
    while (den > PROGRESS_EXACT_LIMIT) { /* so that num * 100 cannot overflow */
        num >>= 8;
        den >>= 8;
    }
    uint64_t percent = den ? num * 100 / den : 100;
    uint64_t filled = den ? num * PROGRESS_BAR_WIDTH / den : PROGRESS_BAR_WIDTH;
    progress_what(what, verb, name);
    for (size_t i = 0; i < PROGRESS_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '-';
    bar[PROGRESS_BAR_WIDTH] = '\0';
    progress_mib(d, sizeof(d), MIN(done, total));
    progress_mib(t, sizeof(t), total);
    int n = fmt_snprintf(buf, size, "hop: %-*s [%s] %3llu%% %6s/%s MiB", PROGRESS_WHAT_MAX, what,
                         bar, (unsigned long long)percent, d, t);
    return n < 0 ? 0 : MIN((size_t)n, size ? size - 1 : 0);
}

static void progress_draw(bool last)
{
    char line[PROGRESS_LINE_MAX];
    size_t n = progress_format(line + 1, sizeof(line) - 2, progress.verb, progress.name,
                               progress.done, progress.total);
    line[0] = '\r';
    n++;
    if (last)
        line[n++] = '\n';
    console_write(line, n);
    progress.shown = true;
}

/* The name is a path from the configuration: escaped, as kprintf would. */
void progress_begin(const char *verb, const char *name, uint64_t total)
{
    char shown[PROGRESS_NAME_SHOWN_MAX];
    if (progress.active)
        progress_end();
    fmt_message(shown, sizeof(shown), "%s", name ? name : "");
    progress_copy_tail(progress.verb, verb, PROGRESS_VERB_MAX);
    progress_copy_tail(progress.name, shown, PROGRESS_WHAT_MAX);
    progress.total = total;
    progress.done = 0;
    progress.shown = false;
    progress.active = progress.now_ms != NULL;
    if (progress.active)
        progress.start_ms = progress.drawn_ms = progress.now_ms();
}

void progress_update(uint64_t done)
{
    if (!progress.active)
        return;
    progress.done = MIN(done, progress.total);
    uint64_t now = progress.now_ms();
    if (progress.shown ? now - progress.drawn_ms < PROGRESS_INTERVAL_MS
                       : now - progress.start_ms < PROGRESS_DELAY_MS)
        return;
    progress.drawn_ms = now;
    progress_draw(false);
}

void progress_add(uint64_t n)
{
    if (progress.active)
        progress_update(progress.done + MIN(n, progress.total - progress.done));
}

void progress_end(void)
{
    if (progress.active && progress.shown)
        progress_draw(true);
    progress.active = false;
    progress.shown = false;
}
