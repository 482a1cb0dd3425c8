/* The protocol table: which descriptor a configured protocol names, and
 * which one a kernel file asks for by itself.  A new protocol is one line
 * here (and its file). */
#include "protos/proto.h"

/* Detection order: the most specific mark first; plain ELF takes any ELF. */
static const struct proto *const protos_by_precedence[] = {
    &proto_multiboot2, &proto_multiboot1, &proto_pvh, &proto_linux, &proto_elf,
};

const struct proto *proto_by_id(enum config_protocol id)
{
    for (size_t i = 0; i < ARRAY_SIZE(protos_by_precedence); i++)
        if (protos_by_precedence[i]->id == id)
            return protos_by_precedence[i];
    return NULL;
}

const struct proto *proto_detect(const struct proto_kernel *k)
{
    for (size_t i = 0; i < ARRAY_SIZE(protos_by_precedence); i++)
        if (protos_by_precedence[i]->detect(k))
            return protos_by_precedence[i];
    return &proto_elf; /* not ELF either: its loading says so */
}

