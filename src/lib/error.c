#include "error.h"
#include "fmt.h"
#include "string.h"

int error_vset(struct hop_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        fmt_vmessage(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

int error_set(struct hop_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

#define ERROR_PREFIX_SEP ": "
#define ERROR_PREFIX_SEP_LEN (sizeof(ERROR_PREFIX_SEP) - 1)

/* The old message is already escaped and fitted: it is copied exactly, and
 * only cut (in its middle) when a prefix of ERROR_PREFIX_MIN bytes would not
 * leave it room. */
int error_prefix(struct hop_error *err, const char *fmt, ...)
{
    char old[HOP_ERROR_MSG_MAX], prefix[HOP_ERROR_MSG_MAX];
    size_t room = sizeof(err->msg) - 1 - ERROR_PREFIX_SEP_LEN;
    va_list ap;
    if (!err)
        return HOP_ERR_INVALID;
    memcpy(old, err->msg, sizeof(old));
    size_t old_len = strlen(old);
    size_t prefix_max = old_len + ERROR_PREFIX_MIN <= room ? room - old_len : ERROR_PREFIX_MIN;
    va_start(ap, fmt);
    size_t prefix_len = (size_t)fmt_vmessage(prefix, prefix_max + 1, fmt, ap);
    va_end(ap);
    prefix_len = MIN(prefix_len, prefix_max);
    if (old_len + prefix_len > room)
        fmt_message(old, room - prefix_len + 1, "%s", err->msg);
    fmt_snprintf(err->msg, sizeof(err->msg), "%s" ERROR_PREFIX_SEP "%s", prefix, old);
    return err->code;
}

const char *error_name(int code)
{
    switch (code) {
    case HOP_OK: return "success";
    case HOP_ERR_INVALID: return "malformed input";
    case HOP_ERR_TRUNCATED: return "truncated input";
    case HOP_ERR_NOMEM: return "out of memory";
    case HOP_ERR_NOTFOUND: return "not found";
    case HOP_ERR_UNSUPPORTED: return "unsupported";
    case HOP_ERR_OVERLAP: return "overlap";
    case HOP_ERR_RANGE: return "address out of range";
    case HOP_ERR_CHECKSUM: return "checksum mismatch";
    case HOP_ERR_LIMIT: return "table full";
    default: return "unknown error";
    }
}
