#include "quiesce/linebuf.h"
#include "lib/fmt.h"

void linebuf_add(struct linebuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(b->text + b->len, sizeof(b->text) - b->len, fmt, ap);
    va_end(ap);
    b->len = MIN(b->len + (size_t)(n > 0 ? n : 0), sizeof(b->text) - 1);
}
