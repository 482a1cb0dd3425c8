/* The protocol table: which descriptor a configured protocol names, and
 * which one a kernel file asks for by itself.  A new protocol is one line
 * here (and its file). */
#include "protos/proto.h"

/* Detection order: the most specific mark first (a bzImage's setup header
 * names its protocol outright); plain ELF takes any ELF. */
static const struct proto *const protos_by_precedence[] = {
    &proto_linux_bzimage, &proto_multiboot2, &proto_multiboot1, &proto_pvh, &proto_linux,
    &proto_elf,
};

const struct proto *proto_by_id(enum config_protocol id, const struct proto_kernel *k)
{
    const struct proto *first = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(protos_by_precedence); i++) {
        const struct proto *p = protos_by_precedence[i];
        if (p->id != id)
            continue;
        if (p->detect(k))
            return p;
        first = first ? first : p;
    }
    return first;
}

const struct proto *proto_detect(const struct proto_kernel *k)
{
    for (size_t i = 0; i < ARRAY_SIZE(protos_by_precedence); i++)
        if (protos_by_precedence[i]->detect(k))
            return protos_by_precedence[i];
    return &proto_elf; /* not ELF either: its loading says so */
}

