/* Reading the entry's kernel: open it (inflating a gzip file), find its
 * multiboot headers and ELF structure, and choose the protocol, the one the
 * entry names or the one the file asks for. */
#include "boot/attempt.h"

static int find_headers(struct proto_kernel *k, struct hop_error *err)
{
    /* A header that is there but wrong (bad checksum, unknown required
     * tag) fails the kernel, as it would under GRUB. */
    int rc = mb2_header_find(&k->mb2, k->data, k->size, k->path, err);
    if (rc && rc != HOP_ERR_NOTFOUND)
        return rc;
    k->has_mb2 = rc == HOP_OK;
    rc = mb1_header_find(&k->mb1, k->data, k->size, k->path, err);
    if (rc && rc != HOP_ERR_NOTFOUND)
        return rc;
    k->has_mb1 = rc == HOP_OK;
    return HOP_OK;
}

/* A Linux bzImage: its setup header (HOP_ERR_NOTFOUND when there is none)
 * and where its protected-mode part goes before any relocation: the
 * preferred address of a relocatable kernel, else code32_start. */
static int read_bzimage(struct proto_kernel *k, struct hop_error *err)
{
    int rc = bzimage_parse(k->data, k->size, k->path, &k->bz, err);
    if (rc)
        return rc;
    const struct bzimage *bz = &k->bz;
    uint64_t at = bz->relocatable ? bz->pref_address : bz->code32_start;
    k->is_bzimage = true;
    k->bz_layout = (struct mb_load_layout){
        .file_offset = bz->pm_offset, .load_size = bz->pm_size, .load_addr = at,
        .mem_end = at + bz->pm_size };
    return HOP_OK;
}

static int choose_protocol(struct boot_attempt *a, struct hop_error *err)
{
    const struct proto_kernel *k = &a->kernel;
    a->proto = a->entry->protocol == CONFIG_PROTO_AUTO ? proto_detect(k)
                                                        : proto_by_id(a->entry->protocol, k);
    if (!a->proto)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol %s is not supported yet",
                         k->path, config_protocol_name(a->entry->protocol));
    return HOP_OK;
}

int boot_read_kernel(struct boot_attempt *a, struct hop_error *err)
{
    struct proto_kernel *k = &a->kernel;
    int rc = ramdisk_open_file(a->env->rd, a->entry->kernel, &a->file, err);
    if (rc)
        return rc;
    *k = (struct proto_kernel){ .path = a->entry->kernel, .data = a->file.data,
                                .size = a->file.size };
    if ((rc = read_bzimage(k, err)) != HOP_ERR_NOTFOUND)
        return rc ? rc : choose_protocol(a, err);
    if ((rc = find_headers(k, err)))
        return rc;
    /* A multiboot kernel with load addresses need not be ELF at all. */
    bool aout = (k->has_mb2 && mb2_header_has(&k->mb2, MB2_HEADER_TAG_ADDRESS)) ||
                (k->has_mb1 && k->mb1.has_addresses);
    rc = elf_parse(&k->elf, k->data, k->size, k->path, err);
    if (rc && !aout)
        return rc;
    k->is_elf = rc == HOP_OK;
    if (!k->is_elf)
        k->elf.segment_count = 0;
    return choose_protocol(a, err);
}
