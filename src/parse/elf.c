/* The ELF reader: identification, file header, program headers, notes.
 * Each step trusts only what the steps before it have checked. */
#include "parse/elf.h"

#include "lib/string.h"

_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 file header layout");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 file header layout");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");
_Static_assert(sizeof(struct elf32_shdr) == 40, "ELF32 section header layout");
_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 section header layout");
_Static_assert(sizeof(struct elf_nhdr) == 12, "note header layout");
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "elf.c copies little-endian fields straight into host integers"
#endif

/* An ELF32 range may end at 4 GiB but not beyond: its addresses are 32-bit. */
#define ELF32_ADDR_END 0x100000000ull

typedef unsigned long long ull; /* what %llx prints */

/* The file header fields hop uses, widened to the ELF64 sizes. */
struct elf_hdr {
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint16_t ehsize, phentsize, phnum, shentsize;
};

static size_t elf_ehdr_size(const struct elf_image *img)
{
    return img->elf_class == 64 ? sizeof(struct elf64_ehdr)
                                : sizeof(struct elf32_ehdr);
}

static size_t elf_phdr_size(const struct elf_image *img)
{
    return img->elf_class == 64 ? sizeof(struct elf64_phdr)
                                : sizeof(struct elf32_phdr);
}

static size_t elf_shdr_size(const struct elf_image *img)
{
    return img->elf_class == 64 ? sizeof(struct elf64_shdr)
                                : sizeof(struct elf32_shdr);
}

/* e_ident: magic, class, byte order, version.  Sets img->elf_class. */
static int elf_check_ident(struct elf_image *img, struct hop_error *err)
{
    const uint8_t *id = img->file;
    if (img->size < EI_NIDENT)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: file size 0x%zx too small for an ELF header",
                         img->name, img->size);
    if (memcmp(id + EI_MAG0, ELFMAG, SELFMAG) != 0)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: not an ELF file (magic %02x %02x %02x %02x)",
                         img->name, id[0], id[1], id[2], id[3]);
    if (id[EI_CLASS] == ELFCLASS32)
        img->elf_class = 32;
    else if (id[EI_CLASS] == ELFCLASS64)
        img->elf_class = 64;
    else
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: EI_CLASS %u unknown",
                         img->name, id[EI_CLASS]);
    if (id[EI_DATA] != ELFDATA2LSB)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: EI_DATA %u, only little-endian (1) is supported",
                         img->name, id[EI_DATA]);
    if (id[EI_VERSION] != EV_CURRENT)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: EI_VERSION %u, expected %u", img->name,
                         id[EI_VERSION], EV_CURRENT);
    return HOP_OK;
}

/* Copies the file header of either class into h. */
static int elf_read_header(const struct elf_image *img, struct elf_hdr *h,
                           struct hop_error *err)
{
    if (img->size < elf_ehdr_size(img))
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: file size 0x%zx too small for the ELF%u header",
                         img->name, img->size, img->elf_class);
    if (img->elf_class == 64) {
        struct elf64_ehdr e;
        memcpy(&e, img->file, sizeof(e));
        *h = (struct elf_hdr){ e.e_type, e.e_machine, e.e_version, e.e_entry,
                               e.e_phoff, e.e_shoff, e.e_ehsize,
                               e.e_phentsize, e.e_phnum, e.e_shentsize };
    } else {
        struct elf32_ehdr e;
        memcpy(&e, img->file, sizeof(e));
        *h = (struct elf_hdr){ e.e_type, e.e_machine, e.e_version, e.e_entry,
                               e.e_phoff, e.e_shoff, e.e_ehsize,
                               e.e_phentsize, e.e_phnum, e.e_shentsize };
    }
    return HOP_OK;
}

/* The file header fields that do not depend on the rest of the file. */
static int elf_check_header(struct elf_image *img, const struct elf_hdr *h,
                            struct hop_error *err)
{
    uint16_t want_machine = img->elf_class == 64 ? EM_X86_64 : EM_386;
    if (h->version != EV_CURRENT)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: e_version %u, expected %u", img->name,
                         h->version, EV_CURRENT);
    if (h->type != ET_EXEC && h->type != ET_DYN)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: e_type %u, expected ET_EXEC (2) or ET_DYN (3)",
                         img->name, h->type);
    if (h->machine != want_machine)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "%s: e_machine %u, expected %u for ELF%u", img->name,
                         h->machine, want_machine, img->elf_class);
    if (h->ehsize != elf_ehdr_size(img))
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_ehsize %u, expected %zu for ELF%u", img->name,
                         h->ehsize, elf_ehdr_size(img), img->elf_class);
    if (h->phnum == 0)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_phnum 0: no program headers, nothing to load",
                         img->name);
    if (h->phentsize != elf_phdr_size(img))
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_phentsize %u, expected %zu for ELF%u",
                         img->name, h->phentsize, elf_phdr_size(img),
                         img->elf_class);
    img->type = h->type;
    img->machine = h->machine;
    img->entry = h->entry;
    return HOP_OK;
}

/* With e_phnum == PN_XNUM the real count lives in sh_info of section
 * header 0 (gABI "Extended Program Header Numbering"). */
static int elf_extended_phnum(struct elf_image *img, const struct elf_hdr *h,
                              struct hop_error *err)
{
    uint32_t count;
    if (h->shoff == 0)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_phnum PN_XNUM (0xffff) but e_shoff 0: no "
                         "section header 0 holds the count", img->name);
    if (h->shentsize != elf_shdr_size(img))
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_shentsize %u, expected %zu for ELF%u",
                         img->name, h->shentsize, elf_shdr_size(img),
                         img->elf_class);
    if (h->shoff > img->size || img->size - h->shoff < elf_shdr_size(img))
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: section header 0 at e_shoff 0x%llx beyond file "
                         "size 0x%zx", img->name, (ull)h->shoff, img->size);
    if (img->elf_class == 64) {
        struct elf64_shdr s;
        memcpy(&s, img->file + h->shoff, sizeof(s));
        count = s.sh_info;
    } else {
        struct elf32_shdr s;
        memcpy(&s, img->file + h->shoff, sizeof(s));
        count = s.sh_info;
    }
    if (count == 0)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_phnum PN_XNUM but section header 0 sh_info 0",
                         img->name);
    img->phnum = count;
    return HOP_OK;
}

/* Sets img->phnum and checks the program header table lies in the file. */
static int elf_check_phdr_table(struct elf_image *img, const struct elf_hdr *h,
                                struct hop_error *err)
{
    uint64_t table, end;
    int rc = HOP_OK;
    if (h->phnum == PN_XNUM)
        rc = elf_extended_phnum(img, h, err);
    else
        img->phnum = h->phnum;
    if (rc)
        return rc;
    if (h->phoff < elf_ehdr_size(img))
        return error_set(err, HOP_ERR_INVALID,
                         "%s: e_phoff 0x%llx inside the ELF header", img->name,
                         (ull)h->phoff);
    if (MUL_OVERFLOWS((uint64_t)img->phnum, (uint64_t)h->phentsize, &table) ||
        ADD_OVERFLOWS(h->phoff, table, &end) || end > img->size)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: program header table (e_phoff 0x%llx, %u "
                         "entries) beyond file size 0x%zx", img->name,
                         (ull)h->phoff, img->phnum, img->size);
    return HOP_OK;
}

/* Reads program header index, widened to the ELF64 layout. */
static void elf_read_phdr(const struct elf_image *img, uint64_t phoff,
                          uint32_t index, struct elf64_phdr *p)
{
    const uint8_t *at = img->file + phoff + (uint64_t)index * elf_phdr_size(img);
    if (img->elf_class == 64) {
        memcpy(p, at, sizeof(*p));
    } else {
        struct elf32_phdr q;
        memcpy(&q, at, sizeof(q));
        *p = (struct elf64_phdr){ .p_type = q.p_type, .p_flags = q.p_flags,
                                  .p_offset = q.p_offset, .p_vaddr = q.p_vaddr,
                                  .p_paddr = q.p_paddr, .p_filesz = q.p_filesz,
                                  .p_memsz = q.p_memsz, .p_align = q.p_align };
    }
}

/* The segment's file bytes [p_offset, p_offset+p_filesz) lie in the file. */
static int elf_check_file_range(const struct elf_image *img, uint32_t index,
                                const struct elf64_phdr *ph,
                                struct hop_error *err)
{
    uint64_t end;
    if (ADD_OVERFLOWS(ph->p_offset, ph->p_filesz, &end))
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: program header %u: p_offset 0x%llx + p_filesz "
                         "0x%llx overflows", img->name, index,
                         (ull)ph->p_offset, (ull)ph->p_filesz);
    if (end > img->size)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: program header %u: p_offset+p_filesz 0x%llx "
                         "beyond file size 0x%zx", img->name, index, (ull)end,
                         img->size);
    return HOP_OK;
}

/* [start, start+len) must not wrap, nor pass 4 GiB in an ELF32 file. */
static int elf_check_addr_range(const struct elf_image *img, uint32_t index,
                                const char *field, uint64_t start,
                                uint64_t len, struct hop_error *err)
{
    uint64_t end;
    if (ADD_OVERFLOWS(start, len, &end) ||
        (img->elf_class == 32 && end > ELF32_ADDR_END))
        return error_set(err, HOP_ERR_RANGE,
                         "%s: program header %u: %s 0x%llx + p_memsz 0x%llx "
                         "wraps the %u-bit address space", img->name, index,
                         field, (ull)start, (ull)len, img->elf_class);
    return HOP_OK;
}

/* Validates one PT_LOAD and keeps it if it occupies memory. */
static int elf_add_load(struct elf_image *img, uint32_t index,
                        const struct elf64_phdr *ph, struct hop_error *err)
{
    int rc;
    if (ph->p_filesz > ph->p_memsz)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: program header %u: p_filesz 0x%llx larger than "
                         "p_memsz 0x%llx", img->name, index,
                         (ull)ph->p_filesz, (ull)ph->p_memsz);
    if (ph->p_memsz == 0)
        return HOP_OK; /* occupies nothing: nothing to place or overlap */
    if ((rc = elf_check_file_range(img, index, ph, err)) ||
        (rc = elf_check_addr_range(img, index, "p_paddr", ph->p_paddr,
                                   ph->p_memsz, err)) ||
        (rc = elf_check_addr_range(img, index, "p_vaddr", ph->p_vaddr,
                                   ph->p_memsz, err)))
        return rc;
    if (ph->p_align & (ph->p_align - 1))
        return error_set(err, HOP_ERR_INVALID,
                         "%s: program header %u: p_align 0x%llx not a power "
                         "of two", img->name, index, (ull)ph->p_align);
    if (img->segment_count == ELF_MAX_LOAD_SEGMENTS)
        return error_set(err, HOP_ERR_LIMIT,
                         "%s: program header %u: more than %d loadable "
                         "segments", img->name, index, ELF_MAX_LOAD_SEGMENTS);
    img->segments[img->segment_count++] = (struct elf_segment){
        .paddr = ph->p_paddr, .vaddr = ph->p_vaddr, .offset = ph->p_offset,
        .filesz = ph->p_filesz, .memsz = ph->p_memsz, .align = ph->p_align,
        .flags = ph->p_flags, .phdr_index = index,
    };
    return HOP_OK;
}

/* Where the parts of one note lie, as offsets inside its segment. */
struct note_layout {
    struct elf_nhdr h;
    uint64_t name, desc, next;
};

/* Lays out the note at pos of the size-byte segment seg, or returns which
 * part of it runs past the segment's end.  Padding aligns offsets from the
 * segment start, which is align-aligned in the file (checked), so they are
 * aligned in the file too; with align 8 the name starts at 12 and the
 * descriptor at the next multiple of 8 after it. */
static const char *note_layout(const uint8_t *seg, uint64_t size, uint64_t pos,
                               uint32_t align, struct note_layout *l)
{
    uint64_t name_end, desc_end;
    if (pos > size || size - pos < sizeof(struct elf_nhdr))
        return "header";
    memcpy(&l->h, seg + pos, sizeof(l->h));
    l->name = pos + sizeof(struct elf_nhdr);
    /* n_namesz, n_descsz < 2^32 and size < 2^63: no sum here can wrap. */
    name_end = l->name + l->h.n_namesz;
    if (name_end > size)
        return "name";
    l->desc = ALIGN_UP(name_end, (uint64_t)align);
    if (l->h.n_descsz &&
        (l->desc > size || l->h.n_descsz > size - l->desc))
        return "descriptor";
    /* Padding after the last part may be cut off by the segment's end. */
    l->desc = MIN(l->desc, size);
    desc_end = l->desc + l->h.n_descsz;
    l->next = MIN(ALIGN_UP(desc_end, (uint64_t)align), size);
    return NULL;
}

/* Every note of a PT_NOTE segment must fit inside it. */
static int elf_check_notes(const struct elf_image *img, uint32_t index,
                           const struct elf_note_segment *ns,
                           struct hop_error *err)
{
    const uint8_t *seg = img->file + ns->offset;
    uint64_t pos = 0;
    while (pos < ns->size) {
        struct note_layout l;
        const char *part = note_layout(seg, ns->size, pos, ns->align, &l);
        if (part)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "%s: program header %u: note at offset 0x%llx: "
                             "%s runs past the PT_NOTE end (p_filesz 0x%llx)",
                             img->name, index, (ull)(ns->offset + pos), part,
                             (ull)ns->size);
        pos = l.next;
    }
    return HOP_OK;
}

/* Validates one PT_NOTE and keeps it for elf_note_next(). */
static int elf_add_notes(struct elf_image *img, uint32_t index,
                         const struct elf64_phdr *ph, struct hop_error *err)
{
    /* Notes are 4-byte aligned in both classes in practice, but toolchains
     * put 8-byte aligned notes (.note.gnu.property) in a PT_NOTE of their
     * own with p_align 8. */
    struct elf_note_segment ns = {
        .offset = ph->p_offset, .size = ph->p_filesz,
        .align = ph->p_align == 8 ? 8 : 4, .phdr_index = index,
    };
    int rc = elf_check_file_range(img, index, ph, err);
    if (rc)
        return rc;
    if (ns.offset % ns.align)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: program header %u: PT_NOTE p_offset 0x%llx not "
                         "%u-byte aligned", img->name, index, (ull)ns.offset,
                         ns.align);
    if ((rc = elf_check_notes(img, index, &ns, err)))
        return rc;
    if (ns.size == 0)
        return HOP_OK;
    if (img->note_segment_count == ELF_MAX_NOTE_SEGMENTS)
        return error_set(err, HOP_ERR_LIMIT,
                         "%s: program header %u: more than %d PT_NOTE "
                         "segments", img->name, index, ELF_MAX_NOTE_SEGMENTS);
    img->note_segments[img->note_segment_count++] = ns;
    return HOP_OK;
}

static int elf_read_phdrs(struct elf_image *img, const struct elf_hdr *h,
                          struct hop_error *err)
{
    for (uint32_t i = 0; i < img->phnum; i++) {
        struct elf64_phdr ph;
        int rc = HOP_OK;
        elf_read_phdr(img, h->phoff, i, &ph);
        if (ph.p_type == PT_LOAD)
            rc = elf_add_load(img, i, &ph, err);
        else if (ph.p_type == PT_NOTE)
            rc = elf_add_notes(img, i, &ph, err);
        if (rc)
            return rc;
    }
    if (img->segment_count == 0)
        return error_set(err, HOP_ERR_INVALID,
                         "%s: no PT_LOAD with p_memsz > 0: nothing to load",
                         img->name);
    return HOP_OK;
}

/* [a, a+alen) and [b, b+blen) share a byte; neither sum wraps (checked). */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                           uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static int elf_overlap_error(const struct elf_image *img,
                             const struct elf_segment *a,
                             const struct elf_segment *b, const char *space,
                             uint64_t a_start, uint64_t b_start,
                             struct hop_error *err)
{
    return error_set(err, HOP_ERR_OVERLAP,
                     "%s: program headers %u and %u overlap in %s memory: "
                     "[0x%llx, 0x%llx) and [0x%llx, 0x%llx)", img->name,
                     a->phdr_index, b->phdr_index, space, (ull)a_start,
                     (ull)(a_start + a->memsz), (ull)b_start,
                     (ull)(b_start + b->memsz));
}

/* Placing segments one after another must never overwrite an earlier one,
 * in physical memory (where hop copies them) nor in the kernel's virtual
 * view of itself. */
static int elf_check_overlaps(const struct elf_image *img,
                              struct hop_error *err)
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct elf_segment *a = &img->segments[i];
        for (size_t j = i + 1; j < img->segment_count; j++) {
            const struct elf_segment *b = &img->segments[j];
            if (ranges_overlap(a->paddr, a->memsz, b->paddr, b->memsz))
                return elf_overlap_error(img, a, b, "physical", a->paddr,
                                         b->paddr, err);
            if (ranges_overlap(a->vaddr, a->memsz, b->vaddr, b->memsz))
                return elf_overlap_error(img, a, b, "virtual", a->vaddr,
                                         b->vaddr, err);
        }
    }
    return HOP_OK;
}

static void elf_compute_span(struct elf_image *img)
{
    img->paddr_min = img->vaddr_min = UINT64_MAX;
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct elf_segment *s = &img->segments[i];
        img->paddr_min = MIN(img->paddr_min, s->paddr);
        img->vaddr_min = MIN(img->vaddr_min, s->vaddr);
        img->paddr_end = MAX(img->paddr_end, s->paddr + s->memsz);
        img->vaddr_end = MAX(img->vaddr_end, s->vaddr + s->memsz);
    }
}

int elf_parse(struct elf_image *img, const void *file, size_t size,
              const char *name, struct hop_error *err)
{
    struct elf_hdr h = { 0 }; /* gcc cannot see through the || chain */
    int rc;
    memset(img, 0, sizeof(*img));
    img->file = file;
    img->size = size;
    img->name = name ? name : "ELF file";
    if ((rc = elf_check_ident(img, err)) ||
        (rc = elf_read_header(img, &h, err)) ||
        (rc = elf_check_header(img, &h, err)) ||
        (rc = elf_check_phdr_table(img, &h, err)) ||
        (rc = elf_read_phdrs(img, &h, err)) ||
        (rc = elf_check_overlaps(img, err))) {
        /* Leave nothing half-validated behind for a careless caller. */
        img->segment_count = 0;
        img->note_segment_count = 0;
        return rc;
    }
    elf_compute_span(img);
    return HOP_OK;
}

static const struct elf_segment *elf_segment_holding(const struct elf_image *img,
                                                     uint64_t vaddr,
                                                     uint32_t need_flags)
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct elf_segment *s = &img->segments[i];
        if ((s->flags & need_flags) == need_flags && vaddr >= s->vaddr &&
            vaddr - s->vaddr < s->memsz)
            return s;
    }
    return NULL;
}

int elf_entry_paddr(const struct elf_image *img, uint64_t *paddr,
                    struct hop_error *err)
{
    /* Virtual ranges do not overlap, so at most one segment holds the entry;
     * asking for PF_X first only matters for the message's sake. */
    const struct elf_segment *s = elf_segment_holding(img, img->entry, PF_X);
    if (!s)
        s = elf_segment_holding(img, img->entry, 0);
    if (!s)
        return error_set(err, HOP_ERR_RANGE,
                         "%s: e_entry 0x%llx not inside any loadable segment",
                         img->name, (ull)img->entry);
    *paddr = img->entry - s->vaddr + s->paddr;
    return HOP_OK;
}

int elf_segment_data(const struct elf_image *img, size_t index,
                     const void **data)
{
    if (index >= img->segment_count)
        return HOP_ERR_NOTFOUND;
    *data = img->file + img->segments[index].offset;
    return HOP_OK;
}

bool elf_note_next(const struct elf_image *img, struct elf_note_iter *it,
                   struct elf_note *note)
{
    while (it->segment < img->note_segment_count) {
        const struct elf_note_segment *ns = &img->note_segments[it->segment];
        const uint8_t *seg = img->file + ns->offset;
        struct note_layout l;
        if (it->pos < ns->size &&
            !note_layout(seg, ns->size, it->pos, ns->align, &l)) {
            *note = (struct elf_note){
                .type = l.h.n_type, .name = (const char *)seg + l.name,
                .namesz = l.h.n_namesz, .desc = seg + l.desc,
                .descsz = l.h.n_descsz,
            };
            it->pos = l.next;
            return true;
        }
        it->segment++;
        it->pos = 0;
    }
    return false;
}

/* The gABI counts the terminating NUL in n_namesz; some producers leave it
 * out, and both spellings name the same owner. */
static bool elf_note_name_is(const struct elf_note *n, const char *name)
{
    size_t len = strlen(name);
    if (n->namesz == len + 1)
        return n->name[len] == '\0' && memcmp(n->name, name, len) == 0;
    return n->namesz == len && memcmp(n->name, name, len) == 0;
}

int elf_find_note(const struct elf_image *img, const char *name, uint32_t type,
                  const void **desc, size_t *len)
{
    struct elf_note_iter it = { 0, 0 };
    struct elf_note n;
    while (elf_note_next(img, &it, &n)) {
        if (n.type == type && elf_note_name_is(&n, name)) {
            *desc = n.desc;
            *len = n.descsz;
            return HOP_OK;
        }
    }
    return HOP_ERR_NOTFOUND;
}

/* --- section headers (for the multiboot2 ELF-sections tag) ---------------- */

#define SHN_UNDEF 0
#define SHN_XINDEX 0xffffu
#define ELF_MAX_SECTIONS 4096

/* Section header i of the table, widened to the ELF64 layout. */
void elf_section_get(const struct elf_image *img, const struct elf_section_table *t, size_t i,
                     struct elf64_shdr *out)
{
    const uint8_t *p = t->headers + i * t->entsize;
    if (img->elf_class == 64) {
        memcpy(out, p, sizeof(*out));
        return;
    }
    struct elf32_shdr s;
    memcpy(&s, p, sizeof(s));
    *out = (struct elf64_shdr){ s.sh_name, s.sh_type, s.sh_flags, s.sh_addr, s.sh_offset,
                                s.sh_size, s.sh_link, s.sh_info, s.sh_addralign, s.sh_entsize };
}

int elf_section_table(const struct elf_image *img, struct elf_section_table *t,
                      struct hop_error *err)
{
    uint64_t shoff, table, end;
    uint32_t count, shstrndx;
    if (img->elf_class == 64) {
        struct elf64_ehdr e;
        memcpy(&e, img->file, sizeof(e));
        shoff = e.e_shoff, count = e.e_shnum, shstrndx = e.e_shstrndx;
        t->entsize = e.e_shentsize;
    } else {
        struct elf32_ehdr e;
        memcpy(&e, img->file, sizeof(e));
        shoff = e.e_shoff, count = e.e_shnum, shstrndx = e.e_shstrndx;
        t->entsize = e.e_shentsize;
    }
    t->headers = NULL;
    t->count = t->shstrndx = 0;
    if (shoff == 0)
        return HOP_OK; /* no section headers: nothing to describe */
    if (t->entsize != elf_shdr_size(img))
        return error_set(err, HOP_ERR_INVALID, "%s: e_shentsize %u, expected %zu for ELF%u",
                         img->name, t->entsize, elf_shdr_size(img), img->elf_class);
    if (shoff > img->size || img->size - shoff < t->entsize)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: section headers at e_shoff 0x%llx beyond file size 0x%zx",
                         img->name, (ull)shoff, img->size);
    t->headers = img->file + shoff;
    struct elf64_shdr s0;
    elf_section_get(img, t, 0, &s0);
    if (count == 0) /* gABI extended numbering: the count is in section 0 */
        count = s0.sh_size > ELF_MAX_SECTIONS ? ELF_MAX_SECTIONS + 1 : (uint32_t)s0.sh_size;
    if (shstrndx == SHN_XINDEX)
        shstrndx = s0.sh_link;
    if (count > ELF_MAX_SECTIONS)
        return error_set(err, HOP_ERR_LIMIT, "%s: more than %u section headers", img->name,
                         ELF_MAX_SECTIONS);
    if (MUL_OVERFLOWS((uint64_t)count, (uint64_t)t->entsize, &table) ||
        ADD_OVERFLOWS(shoff, table, &end) || end > img->size)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "%s: section header table (e_shoff 0x%llx, %u entries) beyond file size "
                         "0x%zx", img->name, (ull)shoff, count, img->size);
    if (shstrndx >= count && shstrndx != SHN_UNDEF)
        return error_set(err, HOP_ERR_INVALID, "%s: e_shstrndx %u beyond %u sections",
                         img->name, shstrndx, count);
    t->count = count;
    t->shstrndx = shstrndx;
    return HOP_OK;
}
