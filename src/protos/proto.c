/* Rules several protocols share: the ELF entry point, ELF notes. */
#include "protos/proto.h"
#include "lib/string.h"

int proto_elf_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err)
{
    const struct elf_image *elf = &k->elf;
    uint64_t e;
    if (elf_entry_paddr(elf, &e, NULL) == HOP_OK) {
        *entry = e;
        return HOP_OK;
    }
    for (size_t i = 0; i < elf->segment_count; i++) {
        const struct elf_segment *s = &elf->segments[i];
        if (elf->entry >= s->paddr && elf->entry - s->paddr < s->memsz) {
            *entry = elf->entry;
            return HOP_OK;
        }
    }
    int rc = elf_entry_paddr(elf, &e, err);
    return rc ? rc : error_set(err, HOP_ERR_INVALID, "%s: no entry point", k->path);
}

bool proto_has_note(const struct proto_kernel *k, const char *name)
{
    struct elf_note_iter it = { 0 };
    struct elf_note n;
    size_t len = strlen(name) + 1;
    while (elf_note_next(&k->elf, &it, &n))
        if (n.namesz == len && !memcmp(n.name, name, len))
            return true;
    return false;
}
