/* The formatter.  It writes through a small cursor that counts what would
 * have been written, so truncation never loses the return value. */
#include "fmt.h"

static size_t strlen_local(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

struct out {
    char *buf;
    size_t size;
    size_t len; /* bytes the full output needs so far */
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec; /* -1: none */
};

static void out_str(struct out *o, const struct spec *sp, const char *s)
{
    size_t n = 0;
    if (!s)
        s = "(null)";
    while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
        n++;
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        out_pad(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        out_char(o, s[i]);
    if (sp->left)
        out_pad(o, ' ', pad);
}

static void out_num(struct out *o, const struct spec *sp, uint64_t v, bool neg,
                    unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int zeros = sp->prec > n ? sp->prec - n : 0;
    const char *prefix = "";
    if (neg)
        prefix = "-";
    else if (sp->plus)
        prefix = "+";
    else if (sp->space)
        prefix = " ";
    else if (sp->alt && base == 16)
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && zeros == 0 && tmp[n - 1] != '0')
        prefix = "0";
    int plen = (int)strlen_local(prefix);
    int total = plen + zeros + n;
    int pad = sp->width > total ? sp->width - total : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        out_pad(o, ' ', pad);
    for (int i = 0; i < plen; i++)
        out_char(o, prefix[i]);
    out_pad(o, '0', zeros);
    while (n)
        out_char(o, tmp[--n]);
    if (sp->left)
        out_pad(o, ' ', pad);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static const char *parse_int(const char *f, int *val)
{
    int v = 0;
    while (*f >= '0' && *f <= '9') {
        if (v < 100000)
            v = v * 10 + (*f - '0');
        f++;
    }
    *val = v;
    return f;
}

static uint64_t fetch_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_LONG: return va_arg(*ap, unsigned long);
    case LEN_LLONG: return va_arg(*ap, unsigned long long);
    case LEN_SIZE: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t fetch_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (signed char)va_arg(*ap, int);
    case LEN_SHORT: return (short)va_arg(*ap, int);
    case LEN_LONG: return va_arg(*ap, long);
    case LEN_LLONG: return va_arg(*ap, long long);
    case LEN_SIZE: return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    } else {
        f = parse_int(f, &sp->width);
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            f++;
        } else {
            f = parse_int(f, &sp->prec);
        }
    }
    return f;
}

static const char *parse_length(const char *f, enum length *len)
{
    *len = LEN_INT;
    if (f[0] == 'h' && f[1] == 'h') { *len = LEN_CHAR; return f + 2; }
    if (f[0] == 'l' && f[1] == 'l') { *len = LEN_LLONG; return f + 2; }
    switch (*f) {
    case 'h': *len = LEN_SHORT; return f + 1;
    case 'l': *len = LEN_LONG; return f + 1;
    case 'z': case 't': *len = LEN_SIZE; return f + 1;
    case 'j': *len = LEN_LLONG; return f + 1;
    default: return f;
    }
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            out_char(&o, *f);
            continue;
        }
        struct spec sp;
        enum length len;
        f = parse_spec(f + 1, &sp, &ap);
        f = parse_length(f, &len);
        switch (*f) {
        case 'd': case 'i': {
            int64_t v = fetch_signed(&ap, len);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            out_num(&o, &sp, mag, v < 0, 10, false);
            break;
        }
        case 'u': out_num(&o, &sp, fetch_unsigned(&ap, len), false, 10, false); break;
        case 'x': out_num(&o, &sp, fetch_unsigned(&ap, len), false, 16, false); break;
        case 'X': out_num(&o, &sp, fetch_unsigned(&ap, len), false, 16, true); break;
        case 'o': out_num(&o, &sp, fetch_unsigned(&ap, len), false, 8, false); break;
        case 'p':
            sp.alt = true;
            out_num(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        case 's': out_str(&o, &sp, va_arg(ap, const char *)); break;
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            sp.prec = 1;
            out_str(&o, &sp, c);
            break;
        }
        case '%': out_char(&o, '%'); break;
        case '\0': f--; break; /* a lone '%' at the end */
        default: out_char(&o, '%'); out_char(&o, *f); break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int fmt_size(char *buf, size_t size, uint64_t bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;
    while (u + 1 < ARRAY_SIZE(units) && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    return fmt_snprintf(buf, size, "%llu %s", (unsigned long long)bytes, units[u]);
}
