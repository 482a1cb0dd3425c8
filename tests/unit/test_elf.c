/* Unit tests of src/parse/elf.c: ELF files are built by hand in a buffer, then
 * copied into an exactly sized heap block so ASan sees any overread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/elf.h"

#define FILE_CAP 0x8000

/* A program header of either class, widened. */
struct ph {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf_spec {
    unsigned cls; /* 32 or 64 */
    uint16_t type;
    uint64_t entry;
    const struct ph *ph;
    unsigned phnum;
    size_t size;
};

static uint8_t file_buf[FILE_CAP];

static size_t ehdr_size(unsigned cls)
{
    return cls == 64 ? sizeof(struct elf64_ehdr) : sizeof(struct elf32_ehdr);
}

static size_t phdr_size(unsigned cls)
{
    return cls == 64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);
}

static void put_phdr(uint8_t *at, unsigned cls, const struct ph *p)
{
    if (cls == 64) {
        struct elf64_phdr q = { p->type, p->flags, p->offset, p->vaddr,
                                p->paddr, p->filesz, p->memsz, p->align };
        memcpy(at, &q, sizeof(q));
    } else {
        struct elf32_phdr q = {
            p->type, (uint32_t)p->offset, (uint32_t)p->vaddr,
            (uint32_t)p->paddr, (uint32_t)p->filesz, (uint32_t)p->memsz,
            p->flags, (uint32_t)p->align,
        };
        memcpy(at, &q, sizeof(q));
    }
}

/* Writes the file header and program headers (right after it) into
 * file_buf, the rest zero; returns the size. */
static size_t build(const struct elf_spec *s)
{
    uint8_t ident[EI_NIDENT] = { 0x7f, 'E', 'L', 'F',
                                 s->cls == 64 ? ELFCLASS64 : ELFCLASS32,
                                 ELFDATA2LSB, EV_CURRENT };
    memset(file_buf, 0, sizeof(file_buf));
    if (s->cls == 64) {
        struct elf64_ehdr e = { .e_type = s->type, .e_machine = EM_X86_64,
                                .e_version = EV_CURRENT, .e_entry = s->entry,
                                .e_phoff = 64, .e_ehsize = 64,
                                .e_phentsize = 56, .e_phnum = (uint16_t)s->phnum };
        memcpy(e.e_ident, ident, EI_NIDENT);
        memcpy(file_buf, &e, sizeof(e));
    } else {
        struct elf32_ehdr e = { .e_type = s->type, .e_machine = EM_386,
                                .e_version = EV_CURRENT,
                                .e_entry = (uint32_t)s->entry, .e_phoff = 52,
                                .e_ehsize = 52, .e_phentsize = 32,
                                .e_phnum = (uint16_t)s->phnum };
        memcpy(e.e_ident, ident, EI_NIDENT);
        memcpy(file_buf, &e, sizeof(e));
    }
    for (unsigned i = 0; i < s->phnum; i++)
        put_phdr(file_buf + ehdr_size(s->cls) + i * phdr_size(s->cls), s->cls,
                 &s->ph[i]);
    return s->size;
}

/* Patch a field of the ELF64/ELF32 file header or of program header i. */
#define SET_FIELD(off, type, member, value)                                    \
    do {                                                                       \
        __typeof__(((type *)0)->member) v_ = (value);                          \
        memcpy(file_buf + (off) + offsetof(type, member), &v_, sizeof(v_));    \
    } while (0)
#define SET_EH64(member, value) SET_FIELD(0, struct elf64_ehdr, member, value)
#define SET_EH32(member, value) SET_FIELD(0, struct elf32_ehdr, member, value)
#define SET_PH64(i, member, value)                                             \
    SET_FIELD(64 + (i) * 56, struct elf64_phdr, member, value)
#define SET_PH32(i, member, value)                                             \
    SET_FIELD(52 + (i) * 32, struct elf32_phdr, member, value)

static struct elf_image img;
static struct hop_error err;

/* Parses file_buf[0, size) from an exactly sized heap copy. */
static int parse_n(size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    int rc;
    memcpy(copy, file_buf, size);
    memset(&err, 0, sizeof(err));
    rc = elf_parse(&img, copy, size, "k.elf", &err);
    if (rc == HOP_OK) {
        /* Keep the image usable after the copy is gone: point at file_buf,
         * which holds the same bytes. */
        img.file = file_buf;
    }
    free(copy);
    return rc;
}

/* --- the reference files ------------------------------------------------------ */

#define KVIRT 0xffffffff80000000ull

static const struct ph ph64_ok[] = {
    { PT_LOAD, PF_R | PF_X, 0x1000, KVIRT + 0x100000, 0x100000, 0x100, 0x100,
      0x1000 },
    { PT_LOAD, PF_R | PF_W, 0x1100, KVIRT + 0x101000, 0x101000, 0x80, 0x2000,
      0x1000 },
};

static size_t build64(void)
{
    struct elf_spec s = { 64, ET_EXEC, KVIRT + 0x100010, ph64_ok, 2, 0x1180 };
    size_t n = build(&s);
    for (size_t i = 0x1000; i < n; i++)
        file_buf[i] = (uint8_t)i;
    return n;
}

/* A note: name and desc, each padded to align from the note's start. */
static size_t put_note(uint8_t *at, const char *name, uint32_t namesz,
                       uint32_t type, const void *desc, uint32_t descsz,
                       uint32_t align)
{
    struct elf_nhdr h = { namesz, descsz, type };
    size_t off = sizeof(h);
    memcpy(at, &h, sizeof(h));
    memcpy(at + off, name, namesz);
    off = (off + namesz + align - 1) & ~(size_t)(align - 1);
    memcpy(at + off, desc, descsz);
    off = (off + descsz + align - 1) & ~(size_t)(align - 1);
    return off;
}

#define NOTE32_OFF 0x200
static size_t note32_len;

static const uint32_t pvh_entry = 0x100040;

/* ELF32: text, data+bss, and a PT_NOTE with a GNU note and the Xen PVH
 * entry note. */
static size_t build32(void)
{
    static const uint8_t gnu_desc[5] = { 1, 2, 3, 4, 5 };
    struct ph ph[3] = {
        { PT_LOAD, PF_R | PF_X, 0x1000, 0x100000, 0x100000, 0x100, 0x100,
          0x1000 },
        { PT_LOAD, PF_R | PF_W, 0x1100, 0x101000, 0x101000, 0x80, 0x1000,
          0x1000 },
        { PT_NOTE, PF_R, NOTE32_OFF, 0, 0, 0, 0, 4 },
    };
    size_t n = 0;
    memset(file_buf, 0, sizeof(file_buf));
    n += put_note(file_buf + NOTE32_OFF, "GNU", 4, 3, gnu_desc, 5, 4);
    n += put_note(file_buf + NOTE32_OFF + n, "Xen", 4,
                  XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry, 4, 4);
    note32_len = n;
    ph[2].filesz = n;
    uint8_t notes[0x100];
    memcpy(notes, file_buf + NOTE32_OFF, n);
    struct elf_spec s = { 32, ET_EXEC, 0x100010, ph, 3, 0x1180 };
    build(&s);
    memcpy(file_buf + NOTE32_OFF, notes, n);
    return 0x1180;
}

/* --- valid files ------------------------------------------------------------ */

static void test_valid64(void **state)
{
    (void)state;
    size_t n = build64();
    uint64_t entry;
    const void *data;
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.elf_class, 64);
    assert_int_equal(img.machine, EM_X86_64);
    assert_int_equal(img.type, ET_EXEC);
    assert_int_equal(img.phnum, 2);
    assert_int_equal(img.segment_count, 2);
    assert_int_equal(img.segments[1].paddr, 0x101000);
    assert_int_equal(img.segments[1].vaddr, KVIRT + 0x101000);
    assert_int_equal(img.segments[1].offset, 0x1100);
    assert_int_equal(img.segments[1].filesz, 0x80);
    assert_int_equal(img.segments[1].memsz, 0x2000);
    assert_int_equal(img.segments[1].flags, PF_R | PF_W);
    assert_int_equal(img.segments[1].align, 0x1000);
    assert_int_equal(img.segments[1].phdr_index, 1);
    assert_int_equal(img.paddr_min, 0x100000);
    assert_int_equal(img.paddr_end, 0x103000);
    assert_int_equal(img.vaddr_min, KVIRT + 0x100000);
    assert_int_equal(img.vaddr_end, KVIRT + 0x103000);
    assert_int_equal(elf_entry_paddr(&img, &entry, &err), HOP_OK);
    assert_int_equal(entry, 0x100010);
    assert_int_equal(elf_segment_data(&img, 1, &data), HOP_OK);
    assert_ptr_equal(data, file_buf + 0x1100);
    assert_int_equal(elf_segment_data(&img, 2, &data), HOP_ERR_NOTFOUND);
    assert_int_equal(img.note_segment_count, 0);
    assert_int_equal(elf_find_note(&img, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
                                   &data, &n), HOP_ERR_NOTFOUND);
}

static void test_valid32_notes(void **state)
{
    (void)state;
    size_t n = build32(), len = 0;
    const void *desc = NULL;
    uint32_t v;
    struct elf_note_iter it = { 0, 0 };
    struct elf_note note;
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.elf_class, 32);
    assert_int_equal(img.machine, EM_386);
    assert_int_equal(img.segment_count, 2);
    assert_int_equal(img.note_segment_count, 1);
    assert_int_equal(elf_find_note(&img, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
                                   &desc, &len), HOP_OK);
    assert_int_equal(len, 4);
    memcpy(&v, desc, 4);
    assert_int_equal(v, pvh_entry);
    assert_int_equal(elf_find_note(&img, "Xen", 17, &desc, &len),
                     HOP_ERR_NOTFOUND);
    assert_int_equal(elf_find_note(&img, "Xe", XEN_ELFNOTE_PHYS32_ENTRY,
                                   &desc, &len), HOP_ERR_NOTFOUND);
    assert_true(elf_note_next(&img, &it, &note));
    assert_int_equal(note.type, 3);
    assert_int_equal(note.namesz, 4);
    assert_string_equal(note.name, "GNU");
    assert_int_equal(note.descsz, 5);
    assert_true(elf_note_next(&img, &it, &note));
    assert_int_equal(note.type, XEN_ELFNOTE_PHYS32_ENTRY);
    assert_false(elf_note_next(&img, &it, &note));
}

static void test_et_dyn(void **state)
{
    (void)state;
    size_t n = build64();
    SET_EH64(e_type, ET_DYN);
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.type, ET_DYN);
    n = build32();
    SET_EH32(e_type, ET_DYN);
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.type, ET_DYN);
}

/* Every prefix of a valid file fails cleanly: the last segment's data
 * reaches the end of the file, so no prefix is complete. */
static void truncate_everywhere(size_t (*builder)(void))
{
    size_t n = builder();
    for (size_t len = 0; len < n; len++) {
        builder();
        int rc = parse_n(len);
        assert_true(rc < 0);
        assert_int_equal(err.code, rc);
        assert_true(strlen(err.msg) > 0);
        assert_int_equal(img.segment_count, 0);
    }
    assert_int_equal(parse_n(n), HOP_OK);
}

static void test_truncated64(void **state)
{
    (void)state;
    truncate_everywhere(build64);
}

static void test_truncated32(void **state)
{
    (void)state;
    truncate_everywhere(build32);
}

/* --- identification and file header ------------------------------------------ */

static void expect(int rc, const char *needle)
{
    assert_int_equal(err.code, rc);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_bad_ident(void **state)
{
    (void)state;
    size_t n = build64();
    file_buf[1] = 'e';
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "k.elf: not an ELF file (magic 7f 65 4c 46)");
    build64();
    file_buf[EI_CLASS] = 0;
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "EI_CLASS 0");
    build64();
    file_buf[EI_CLASS] = 3;
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    build64();
    file_buf[EI_DATA] = 2; /* big-endian */
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "EI_DATA 2");
    build64();
    file_buf[EI_VERSION] = 2;
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "EI_VERSION 2");
    assert_int_equal(parse_n(3), HOP_ERR_TRUNCATED);
}

static void test_bad_header_fields(void **state)
{
    (void)state;
    size_t n = build64();
    SET_EH64(e_version, 0);
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "e_version 0");
    build64();
    SET_EH64(e_machine, EM_386); /* ELF64 must be x86-64 */
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "k.elf: e_machine 3, expected 62 for ELF64");
    n = build32();
    SET_EH32(e_machine, EM_X86_64); /* and ELF32 i386 */
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "e_machine 62, expected 3 for ELF32");
    build32();
    SET_EH32(e_type, 1); /* ET_REL */
    assert_int_equal(parse_n(n), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "e_type 1");
    n = build64();
    SET_EH64(e_ehsize, 52);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "e_ehsize 52, expected 64");
}

static void test_bad_phentsize(void **state)
{
    (void)state;
    size_t n = build64();
    SET_EH64(e_phentsize, 32);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "e_phentsize 32, expected 56 for ELF64");
    n = build32();
    SET_EH32(e_phentsize, 56);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "e_phentsize 56, expected 32 for ELF32");
    build32();
    SET_EH32(e_phentsize, 33);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
}

static void test_phnum_zero(void **state)
{
    (void)state;
    size_t n = build64();
    SET_EH64(e_phnum, 0);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "k.elf: e_phnum 0: no program headers");
}

static void test_phnum_too_many(void **state)
{
    (void)state;
    size_t n = build64();
    SET_EH64(e_phnum, 1000); /* the table would run past the file */
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "program header table");
    build64();
    SET_EH64(e_phoff, UINT64_MAX - 8); /* offset + table wraps */
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    build64();
    SET_EH64(e_phoff, 8); /* inside the file header */
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "e_phoff 0x8 inside the ELF header");
}

/* e_phnum == PN_XNUM (65535): the count is in section header 0. */
static void test_phnum_xnum(void **state)
{
    (void)state;
    size_t n = build64();
    struct elf64_shdr sh0 = { .sh_info = 2 };
    SET_EH64(e_phnum, PN_XNUM);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "PN_XNUM");
    SET_EH64(e_shoff, 0x200);
    SET_EH64(e_shentsize, 64);
    SET_EH64(e_shnum, 0);
    memcpy(file_buf + 0x200, &sh0, sizeof(sh0));
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.phnum, 2);
    assert_int_equal(img.segment_count, 2);
    sh0.sh_info = 0;
    memcpy(file_buf + 0x200, &sh0, sizeof(sh0));
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "sh_info 0");
    sh0.sh_info = 65535; /* more headers than the file holds */
    memcpy(file_buf + 0x200, &sh0, sizeof(sh0));
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    SET_EH64(e_shentsize, 40);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "e_shentsize 40");
    SET_EH64(e_shentsize, 64);
    SET_EH64(e_shoff, n - 8);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "section header 0");
}

static void test_phnum_xnum32(void **state)
{
    (void)state;
    size_t n = build32();
    struct elf32_shdr sh0 = { .sh_info = 3 };
    SET_EH32(e_phnum, PN_XNUM);
    SET_EH32(e_shoff, 0x400);
    SET_EH32(e_shentsize, 40);
    memcpy(file_buf + 0x400, &sh0, sizeof(sh0));
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.phnum, 3);
}

/* --- program headers -------------------------------------------------------- */

static void test_filesz_beyond_file(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(1, p_filesz, 0x100);
    SET_PH64(1, p_memsz, 0x100);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    assert_string_equal(err.msg, "k.elf: program header 1: p_offset+p_filesz "
                                 "0x1200 beyond file size 0x1180");
    build64();
    SET_PH64(0, p_offset, 0x1181);
    SET_PH64(0, p_filesz, 0);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
}

static void test_offset_overflow(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(0, p_offset, UINT64_MAX - 0x10);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "program header 0: p_offset 0xffffffffffffffef "
                              "+ p_filesz 0x100 overflows");
    build64();
    SET_PH64(1, p_filesz, UINT64_MAX);
    SET_PH64(1, p_memsz, UINT64_MAX);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
    n = build32();
    SET_PH32(0, p_offset, UINT32_MAX);
    assert_int_equal(parse_n(n), HOP_ERR_TRUNCATED);
}

static void test_filesz_above_memsz(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(0, p_memsz, 0xff);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    assert_string_equal(err.msg, "k.elf: program header 0: p_filesz 0x100 "
                                 "larger than p_memsz 0xff");
}

static void test_address_wrap64(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(1, p_paddr, UINT64_MAX - 0xfff);
    assert_int_equal(parse_n(n), HOP_ERR_RANGE);
    expect(HOP_ERR_RANGE, "program header 1: p_paddr 0xfffffffffffff000 + "
                          "p_memsz 0x2000 wraps the 64-bit address space");
    build64();
    SET_PH64(1, p_vaddr, UINT64_MAX - 0x100);
    assert_int_equal(parse_n(n), HOP_ERR_RANGE);
    expect(HOP_ERR_RANGE, "p_vaddr");
    build64();
    SET_PH64(1, p_paddr, UINT64_MAX - 0x1fff); /* ends exactly at 2^64 */
    assert_int_equal(parse_n(n), HOP_ERR_RANGE);
}

static void test_address_wrap32(void **state)
{
    (void)state;
    size_t n = build32();
    SET_PH32(1, p_paddr, 0xfffff800u);
    assert_int_equal(parse_n(n), HOP_ERR_RANGE);
    expect(HOP_ERR_RANGE, "p_paddr 0xfffff800 + p_memsz 0x1000 wraps the "
                          "32-bit address space");
    build32();
    SET_PH32(1, p_vaddr, 0xfffff001u);
    assert_int_equal(parse_n(n), HOP_ERR_RANGE);
    build32();
    SET_PH32(1, p_paddr, 0xfffff000u); /* ends exactly at 4 GiB: fine */
    SET_PH32(1, p_vaddr, 0xfffff000u);
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.paddr_end, 0x100000000ull);
}

static void test_memsz_zero_skipped(void **state)
{
    (void)state;
    struct ph ph[3] = { ph64_ok[0], ph64_ok[1], ph64_ok[0] };
    ph[2].filesz = 0;
    ph[2].memsz = 0; /* same addresses as header 0: no overlap, not kept */
    ph[2].offset = UINT64_MAX; /* nor is its offset looked at */
    struct elf_spec s = { 64, ET_EXEC, KVIRT + 0x100010, ph, 3, 0x1180 };
    size_t n = build(&s);
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.phnum, 3);
    assert_int_equal(img.segment_count, 2);
}

static void test_no_load_segment(void **state)
{
    (void)state;
    struct ph ph[1] = { ph64_ok[0] };
    ph[0].type = 6; /* PT_PHDR */
    struct elf_spec s = { 64, ET_EXEC, 0, ph, 1, 0x1180 };
    assert_int_equal(parse_n(build(&s)), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "no PT_LOAD");
}

static void test_overlap_physical(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(1, p_paddr, 0x1000ff);
    assert_int_equal(parse_n(n), HOP_ERR_OVERLAP);
    assert_string_equal(err.msg, "k.elf: program headers 0 and 1 overlap in "
                                 "physical memory: [0x100000, 0x100100) and "
                                 "[0x1000ff, 0x1020ff)");
    build64();
    SET_PH64(1, p_paddr, 0x100100); /* adjacent is fine */
    SET_PH64(1, p_vaddr, KVIRT + 0x100100);
    assert_int_equal(parse_n(n), HOP_OK);
    build64();
    SET_PH64(1, p_paddr, 0xff000); /* b contains a */
    assert_int_equal(parse_n(n), HOP_ERR_OVERLAP);
}

static void test_overlap_virtual(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(1, p_vaddr, KVIRT + 0x100080);
    assert_int_equal(parse_n(n), HOP_ERR_OVERLAP);
    expect(HOP_ERR_OVERLAP, "program headers 0 and 1 overlap in virtual "
                            "memory");
}

static void test_entry_outside(void **state)
{
    (void)state;
    size_t n = build64();
    uint64_t paddr = 0;
    SET_EH64(e_entry, 0x100010); /* the physical address, not the virtual */
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(elf_entry_paddr(&img, &paddr, &err), HOP_ERR_RANGE);
    assert_string_equal(err.msg, "k.elf: e_entry 0x100010 not inside any "
                                 "loadable segment");
    build64();
    SET_EH64(e_entry, KVIRT + 0x102fff); /* last byte of the bss */
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(elf_entry_paddr(&img, &paddr, &err), HOP_OK);
    assert_int_equal(paddr, 0x102fff);
    build64();
    SET_EH64(e_entry, KVIRT + 0x103000); /* one past it */
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(elf_entry_paddr(&img, &paddr, &err), HOP_ERR_RANGE);
}

static void test_bad_align(void **state)
{
    (void)state;
    size_t n = build64();
    SET_PH64(0, p_align, 0x3000);
    assert_int_equal(parse_n(n), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "p_align 0x3000 not a power of two");
    build64();
    SET_PH64(0, p_align, 0);
    assert_int_equal(parse_n(n), HOP_OK);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    enum { N = ELF_MAX_LOAD_SEGMENTS + 1 };
    static struct ph ph[N];
    for (unsigned i = 0; i < N; i++)
        ph[i] = (struct ph){ PT_LOAD, PF_R, 0, 0x100000 + i * 0x10,
                             0x100000 + i * 0x10, 0, 0x10, 0 };
    struct elf_spec s = { 64, ET_EXEC, 0x100000, ph, N, 64 + N * 56 };
    size_t n = build(&s);
    assert_int_equal(parse_n(n), HOP_ERR_LIMIT);
    expect(HOP_ERR_LIMIT, "program header 256: more than 256 loadable");
    s.phnum = N - 1;
    n = build(&s);
    assert_int_equal(parse_n(n), HOP_OK);
    assert_int_equal(img.segment_count, ELF_MAX_LOAD_SEGMENTS);
}

/* --- notes ------------------------------------------------------------------ */

/* ELF64 with one PT_NOTE at 0x200 holding what the caller put there. */
static size_t build64_note(uint64_t filesz, uint64_t align)
{
    struct ph ph[3] = { ph64_ok[0], ph64_ok[1],
                        { PT_NOTE, PF_R, 0x200, 0, 0, filesz, 0, align } };
    uint8_t keep[0x200];
    memcpy(keep, file_buf + 0x200, sizeof(keep));
    struct elf_spec s = { 64, ET_EXEC, KVIRT + 0x100010, ph, 3, 0x1180 };
    size_t n = build(&s);
    memcpy(file_buf + 0x200, keep, sizeof(keep));
    return n;
}

static void test_notes_align8(void **state)
{
    (void)state;
    static const uint8_t desc[12] = { 1 };
    const void *d;
    size_t len, n;
    memset(file_buf, 0, sizeof(file_buf));
    n = put_note(file_buf + 0x200, "GNU", 4, 5, desc, 12, 8);
    n += put_note(file_buf + 0x200 + n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY,
                  &pvh_entry, 4, 8);
    assert_int_equal(n, 0x20 + 0x18); /* desc at 16, not 20 */
    assert_int_equal(parse_n(build64_note(n, 8)), HOP_OK);
    assert_int_equal(elf_find_note(&img, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &d,
                                   &len), HOP_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(d, &pvh_entry, 4);
    /* The same bytes read with 4-byte alignment put the second note at the
     * wrong place, where it no longer fits. */
    assert_true(parse_n(build64_note(n, 4)) < 0);
}

static void test_notes_unpadded_end(void **state)
{
    (void)state;
    static const uint8_t desc[3] = { 7, 8, 9 };
    const void *d;
    size_t len, n;
    memset(file_buf, 0, sizeof(file_buf));
    n = put_note(file_buf + 0x200, "Xen", 3, 9, desc, 3, 4); /* no NUL */
    assert_int_equal(parse_n(build64_note(n - 1, 4)), HOP_OK);
    assert_int_equal(elf_find_note(&img, "Xen", 9, &d, &len), HOP_OK);
    assert_int_equal(len, 3);
    /* An empty PT_NOTE is kept out of the list. */
    assert_int_equal(parse_n(build64_note(0, 4)), HOP_OK);
    assert_int_equal(img.note_segment_count, 0);
}

static void test_notes_truncated(void **state)
{
    (void)state;
    static const uint8_t desc[8] = { 0 };
    size_t n;
    memset(file_buf, 0, sizeof(file_buf));
    n = put_note(file_buf + 0x200, "Xen", 4, 1, desc, 8, 4);
    assert_int_equal(parse_n(build64_note(n - 1, 4)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "program header 2: note at offset 0x200: "
                              "descriptor runs past");
    assert_int_equal(parse_n(build64_note(14, 4)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "name runs past");
    assert_int_equal(parse_n(build64_note(n + 5, 4)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "note at offset 0x218: header runs past");
    /* The segment itself past the end of the file. */
    assert_int_equal(parse_n(build64_note(0x1000, 4)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "p_offset+p_filesz 0x1200 beyond");
}

static void test_notes_huge_sizes(void **state)
{
    (void)state;
    struct elf_nhdr h = { UINT32_MAX, 0, 1 };
    memset(file_buf, 0, sizeof(file_buf));
    memcpy(file_buf + 0x200, &h, sizeof(h));
    assert_int_equal(parse_n(build64_note(0x40, 4)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "name runs past");
    h = (struct elf_nhdr){ 4, UINT32_MAX, 1 };
    memcpy(file_buf + 0x200, &h, sizeof(h));
    assert_int_equal(parse_n(build64_note(0x40, 8)), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "descriptor runs past");
    h = (struct elf_nhdr){ UINT32_MAX - 2, UINT32_MAX - 2, 1 };
    memcpy(file_buf + 0x200, &h, sizeof(h));
    assert_int_equal(parse_n(build64_note(0x40, 8)), HOP_ERR_TRUNCATED);
}

static void test_notes_misaligned(void **state)
{
    (void)state;
    static const uint8_t desc[4] = { 0 };
    size_t n;
    memset(file_buf, 0, sizeof(file_buf));
    n = put_note(file_buf + 0x200, "Xen", 4, 1, desc, 4, 4);
    size_t sz = build64_note(n, 4);
    SET_PH64(2, p_offset, 0x202);
    assert_int_equal(parse_n(sz), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "PT_NOTE p_offset 0x202 not 4-byte aligned");
    sz = build64_note(n, 8);
    SET_PH64(2, p_offset, 0x204);
    assert_int_equal(parse_n(sz), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "not 8-byte aligned");
}

static void test_too_many_note_segments(void **state)
{
    (void)state;
    enum { N = ELF_MAX_NOTE_SEGMENTS + 2 };
    static struct ph ph[N];
    static const uint8_t desc[4] = { 0 };
    ph[0] = ph64_ok[0];
    for (unsigned i = 1; i < N; i++)
        ph[i] = (struct ph){ PT_NOTE, PF_R, 0x800, 0, 0, 16, 0, 4 };
    struct elf_spec s = { 64, ET_EXEC, KVIRT + 0x100010, ph, N, 0x1100 };
    size_t n = build(&s);
    put_note(file_buf + 0x800, "A", 2, 1, desc, 0, 4);
    assert_int_equal(parse_n(n), HOP_ERR_LIMIT);
    expect(HOP_ERR_LIMIT, "more than 16 PT_NOTE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid64),
        cmocka_unit_test(test_valid32_notes),
        cmocka_unit_test(test_et_dyn),
        cmocka_unit_test(test_truncated64),
        cmocka_unit_test(test_truncated32),
        cmocka_unit_test(test_bad_ident),
        cmocka_unit_test(test_bad_header_fields),
        cmocka_unit_test(test_bad_phentsize),
        cmocka_unit_test(test_phnum_zero),
        cmocka_unit_test(test_phnum_too_many),
        cmocka_unit_test(test_phnum_xnum),
        cmocka_unit_test(test_phnum_xnum32),
        cmocka_unit_test(test_filesz_beyond_file),
        cmocka_unit_test(test_offset_overflow),
        cmocka_unit_test(test_filesz_above_memsz),
        cmocka_unit_test(test_address_wrap64),
        cmocka_unit_test(test_address_wrap32),
        cmocka_unit_test(test_memsz_zero_skipped),
        cmocka_unit_test(test_no_load_segment),
        cmocka_unit_test(test_overlap_physical),
        cmocka_unit_test(test_overlap_virtual),
        cmocka_unit_test(test_entry_outside),
        cmocka_unit_test(test_bad_align),
        cmocka_unit_test(test_too_many_segments),
        cmocka_unit_test(test_notes_align8),
        cmocka_unit_test(test_notes_unpadded_end),
        cmocka_unit_test(test_notes_truncated),
        cmocka_unit_test(test_notes_huge_sizes),
        cmocka_unit_test(test_notes_misaligned),
        cmocka_unit_test(test_too_many_note_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
