#include "error.h"
#include "fmt.h"
#include "string.h"

int error_set(struct hop_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        fmt_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

int error_prefix(struct hop_error *err, const char *prefix)
{
    char old[HOP_ERROR_MSG_MAX];
    if (!err)
        return HOP_ERR_INVALID;
    memcpy(old, err->msg, sizeof(old));
    fmt_snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
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
