/* The formatter.  It writes through a small cursor that counts what would
 * have been written, so truncation never loses the return value.
 *
 * Messages for people (fmt_vmessage) differ in two ways from the exact
 * fmt_vsnprintf: %s and %c show bytes that could drive a terminal escaped,
 * and when the message does not fit, its longest %s arguments lose their
 * middle so that the text after them survives. */
#include "fmt.h"

#define FMT_CUT_MARK "..."
#define FMT_CUT_MARK_LEN (sizeof(FMT_CUT_MARK) - 1)
/* Only the first so many %s arguments of a message may be cut. */
#define FMT_CUT_ARGS 16
#define FMT_ESCAPE_LEN 4 /* "\xHH" */
#define ASCII_DEL 0x7f
#define ASCII_PRINTABLE_MIN 0x20

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
    bool escape; /* a message for people: %s and %c escaped */
    size_t keep; /* %s arguments shown longer than this are cut; 0: never */
    size_t strings; /* %s arguments seen */
    size_t shown[FMT_CUT_ARGS]; /* their lengths as shown, uncut */
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

/* The well-formed UTF-8 characters of more than one byte (RFC 3629,
 * section 4): the range of the first byte gives the length and the range of
 * the second; the others are continuation bytes.  U+0080-U+009F, the C1
 * controls (some terminals obey them too), are left out as if ill-formed. */
static const struct utf8_form {
    unsigned char first_lo, first_hi, len, second_lo, second_hi;
} utf8_forms[] = {
    { 0xc2, 0xc2, 2, 0xa0, 0xbf }, /* U+00A0-U+00BF: above the C1 controls */
    { 0xc3, 0xdf, 2, 0x80, 0xbf },
    { 0xe0, 0xe0, 3, 0xa0, 0xbf }, /* no overlong forms */
    { 0xe1, 0xec, 3, 0x80, 0xbf },
    { 0xed, 0xed, 3, 0x80, 0x9f }, /* no UTF-16 surrogates */
    { 0xee, 0xef, 3, 0x80, 0xbf },
    { 0xf0, 0xf0, 4, 0x90, 0xbf }, /* no overlong forms */
    { 0xf1, 0xf3, 4, 0x80, 0xbf },
    { 0xf4, 0xf4, 4, 0x80, 0x8f }, /* up to U+10FFFF */
};
#define UTF8_CONT_MASK 0xc0
#define UTF8_CONT 0x80

/* Length of the UTF-8 character at s[0..n) (2 to 4), or 0 when there is no
 * well-formed one (see utf8_forms). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    for (size_t f = 0; f < ARRAY_SIZE(utf8_forms); f++) {
        const struct utf8_form *u = &utf8_forms[f];
        if (s[0] < u->first_lo || s[0] > u->first_hi)
            continue;
        if (n < u->len || s[1] < u->second_lo || s[1] > u->second_hi)
            return 0;
        for (size_t i = 2; i < u->len; i++)
            if ((s[i] & UTF8_CONT_MASK) != UTF8_CONT)
                return 0;
        return u->len;
    }
    return 0;
}

/* The piece of text at s[0..n) that is shown as one: a byte, or a whole
 * UTF-8 character.  Returns its length in s; *shown is its length in the
 * output (FMT_ESCAPE_LEN when escaped). */
static size_t text_piece(const char *s, size_t n, bool escape, size_t *shown)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len;
    *shown = 1;
    if (!escape || (u[0] >= ASCII_PRINTABLE_MIN && u[0] < ASCII_DEL))
        return 1;
    if (u[0] > ASCII_DEL && (len = utf8_len(u, n)) != 0) {
        *shown = len;
        return len;
    }
    *shown = FMT_ESCAPE_LEN;
    return 1;
}

static void out_piece(struct out *o, const char *s, size_t len, size_t shown)
{
    static const char hex[] = "0123456789abcdef";
    if (shown == len) {
        for (size_t i = 0; i < len; i++)
            out_char(o, s[i]);
        return;
    }
    out_char(o, '\\');
    out_char(o, 'x');
    out_char(o, hex[(unsigned char)s[0] >> 4]);
    out_char(o, hex[(unsigned char)s[0] & 0xf]);
}

/* Where text s[0..n) must be cut so that what is shown of s[0..*at) is the
 * longest that fits in max (from_end: of s[*at..n)).  Returns the length
 * shown. */
static size_t text_cut(const char *s, size_t n, bool escape, size_t max, bool from_end,
                       size_t *at)
{
    size_t total = 0, done = 0, i = 0, shown, len;
    for (size_t j = 0; j < n; j += len) {
        len = text_piece(s + j, n - j, escape, &shown);
        total += shown;
    }
    for (; i < n; i += len) {
        len = text_piece(s + i, n - i, escape, &shown);
        if (from_end ? total - done <= max : done + shown > max)
            break;
        done += shown;
    }
    *at = i;
    return from_end ? total - done : done;
}

static void out_text_range(struct out *o, const char *s, size_t from, size_t to)
{
    size_t shown, len;
    for (size_t i = from; i < to; i += len) {
        len = text_piece(s + i, to - i, o->escape, &shown);
        out_piece(o, s + i, len, shown);
    }
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec; /* -1: none */
};

/* A string: exact, or escaped and, past o->keep, cut in its middle (the
 * %s arguments only: cuttable). */
static void out_str(struct out *o, const struct spec *sp, const char *s, bool cuttable)
{
    size_t n = 0, head, tail;
    if (!s)
        s = "(null)";
    while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
        n++;
    size_t shown = text_cut(s, n, o->escape, SIZE_MAX, false, &head);
    size_t slot = cuttable ? o->strings++ : FMT_CUT_ARGS;
    if (slot < FMT_CUT_ARGS)
        o->shown[slot] = shown;
    bool cut = slot < FMT_CUT_ARGS && o->keep && shown > o->keep;
    if (cut) {
        size_t room = o->keep - FMT_CUT_MARK_LEN;
        shown = text_cut(s, n, o->escape, room / 2, false, &head);
        shown += text_cut(s, n, o->escape, room - room / 2, true, &tail) + FMT_CUT_MARK_LEN;
    }
    int pad = sp->width > (int)shown ? sp->width - (int)shown : 0;
    if (!sp->left)
        out_pad(o, ' ', pad);
    if (cut) {
        out_text_range(o, s, 0, head);
        for (size_t i = 0; i < FMT_CUT_MARK_LEN; i++)
            out_char(o, FMT_CUT_MARK[i]);
        out_text_range(o, s, tail, n);
    } else {
        out_text_range(o, s, 0, n);
    }
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

/* Formats into o (its buffer is NUL-terminated by out_end). */
static void fmt_run(struct out *o, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            out_char(o, *f);
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
            out_num(o, &sp, mag, v < 0, 10, false);
            break;
        }
        case 'u': out_num(o, &sp, fetch_unsigned(&ap, len), false, 10, false); break;
        case 'x': out_num(o, &sp, fetch_unsigned(&ap, len), false, 16, false); break;
        case 'X': out_num(o, &sp, fetch_unsigned(&ap, len), false, 16, true); break;
        case 'o': out_num(o, &sp, fetch_unsigned(&ap, len), false, 8, false); break;
        case 'p':
            sp.alt = true;
            out_num(o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        case 's': out_str(o, &sp, va_arg(ap, const char *), true); break;
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            sp.prec = 1;
            out_str(o, &sp, c, false);
            break;
        }
        case '%': out_char(o, '%'); break;
        case '\0': f--; break; /* a lone '%' at the end */
        default: out_char(o, '%'); out_char(o, *f); break;
        }
    }
    va_end(ap);
}

static int out_end(struct out *o)
{
    if (o->size)
        o->buf[o->len < o->size ? o->len : o->size - 1] = 0;
    return (int)o->len;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size };
    fmt_run(&o, fmt, ap);
    return out_end(&o);
}

/* The output's length when %s arguments shown longer than keep are cut to
 * keep bytes, given the uncut lengths o->shown[] of a first pass. */
static size_t cut_len(const struct out *o, size_t keep)
{
    size_t len = o->len;
    for (size_t i = 0; i < MIN(o->strings, (size_t)FMT_CUT_ARGS); i++)
        if (o->shown[i] > keep)
            len -= o->shown[i] - keep;
    return len;
}

/* The largest keep (at least FMT_CUT_MIN) with which the output fits in
 * room bytes: every long argument gives up the same, the short ones
 * nothing. */
static size_t cut_keep(const struct out *o, size_t room)
{
    size_t lo = FMT_CUT_MIN, hi = FMT_CUT_MIN;
    for (size_t i = 0; i < MIN(o->strings, (size_t)FMT_CUT_ARGS); i++)
        hi = MAX(hi, o->shown[i]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (cut_len(o, mid) <= room)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int fmt_vmessage(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size, .escape = true };
    fmt_run(&o, fmt, ap);
    if (o.len < size || size == 0)
        return out_end(&o);
    struct out cut = { .buf = buf, .size = size, .escape = true,
                       .keep = cut_keep(&o, size - 1) };
    fmt_run(&cut, fmt, ap);
    return out_end(&cut);
}

int fmt_message(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vmessage(buf, size, fmt, ap);
    va_end(ap);
    return n;
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
