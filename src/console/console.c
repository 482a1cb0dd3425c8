#include "console/console.h"
#include "lib/fmt.h"

#define CONSOLE_LINE_MAX 512

static console_write_fn sinks[CONSOLE_MAX_SINKS];
static size_t sink_count;

void console_add_sink(console_write_fn fn)
{
    if (sink_count < CONSOLE_MAX_SINKS)
        sinks[sink_count++] = fn;
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < sink_count; i++)
        sinks[i](s, n);
}

/* What reaches the consoles is a message for people: strings from a
 * configuration file or a loader cannot drive the terminal (fmt_vmessage). */
int kvprintf(const char *fmt, va_list ap)
{
    char buf[CONSOLE_LINE_MAX];
    int n = fmt_vmessage(buf, sizeof(buf), fmt, ap);
    size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    console_write(buf, len);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}
