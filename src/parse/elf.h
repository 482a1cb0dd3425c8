/* An ELF reader for the kernels hop loads: ELF32 (EM_386) and ELF64
 * (EM_X86_64), ET_EXEC and ET_DYN, little-endian.
 *
 * elf_parse() validates the whole file header and program header table
 * before anything else looks at them: every size against the file, every
 * address range against wrap-around, every pair of loadable segments against
 * overlap, every note in every PT_NOTE segment against its segment.  What it
 * hands back (struct elf_image) can then be trusted by the code that places
 * the segments in memory, without re-checking.
 *
 * It reads the file with memcpy into the on-disk structures below, so the
 * buffer may sit at any alignment.  hop only runs on little-endian x86, and
 * only accepts ELFDATA2LSB files, so the bytes are already in host order. */
#ifndef HOP_ELF_H
#define HOP_ELF_H

#include "lib/error.h"
#include "lib/types.h"

/* e_ident */
#define EI_NIDENT 16
#define EI_MAG0 0
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFMAG "\177ELF"
#define SELFMAG 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

/* e_type, e_machine */
#define ET_EXEC 2
#define ET_DYN 3
#define EM_386 3
#define EM_X86_64 62

/* Program header types and flags */
#define PT_NULL 0
#define PT_LOAD 1
#define PT_NOTE 4
#define PF_X 0x1u
#define PF_W 0x2u
#define PF_R 0x4u

/* e_phnum == PN_XNUM: the real count is in sh_info of section header 0. */
#define PN_XNUM 0xffffu

/* Notes of the Xen ELF note namespace ("Xen") that hop looks for: the
 * 32-bit physical entry point of a PVH kernel. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* The on-disk structures, exactly as the ELF gABI lays them out. */
struct elf32_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version, e_entry, e_phoff, e_shoff, e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf32_phdr {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags,
        p_align;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct elf32_shdr {
    uint32_t sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link,
        sh_info, sh_addralign, sh_entsize;
};

struct elf64_shdr {
    uint32_t sh_name, sh_type;
    uint64_t sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info;
    uint64_t sh_addralign, sh_entsize;
};

/* The header of one note; name and desc follow, each padded to the note
 * alignment (4, or 8 in a PT_NOTE segment whose p_align is 8). */
struct elf_nhdr {
    uint32_t n_namesz, n_descsz, n_type;
};

#define ELF_MAX_LOAD_SEGMENTS 256
#define ELF_MAX_NOTE_SEGMENTS 16

/* One PT_LOAD with p_memsz > 0, in program header order.  Guaranteed by
 * elf_parse: offset+filesz lies inside the file, filesz <= memsz,
 * paddr+memsz and vaddr+memsz do not wrap (nor pass 4 GiB for ELF32), align
 * is 0 or a power of two, and no two segments overlap, physically or
 * virtually. */
struct elf_segment {
    uint64_t paddr, vaddr;
    uint64_t offset; /* in the file */
    uint64_t filesz, memsz;
    uint64_t align;
    uint32_t flags; /* PF_* */
    uint32_t phdr_index; /* for messages: "program header 3" */
};

/* One PT_NOTE segment whose notes all fit inside it. */
struct elf_note_segment {
    uint64_t offset, size;
    uint32_t align; /* 4 or 8 */
    uint32_t phdr_index;
};

struct elf_image {
    const uint8_t *file;
    size_t size;
    const char *name; /* the caller's string, used in messages */

    unsigned elf_class; /* 32 or 64 */
    uint16_t machine; /* EM_386 or EM_X86_64 */
    uint16_t type; /* ET_EXEC or ET_DYN */
    uint64_t entry; /* e_entry, a virtual address */
    uint32_t phnum; /* program headers, after the PN_XNUM extension */

    size_t segment_count;
    struct elf_segment segments[ELF_MAX_LOAD_SEGMENTS];

    /* The span of all segments: [paddr_min, paddr_end), likewise virtual. */
    uint64_t paddr_min, paddr_end, vaddr_min, vaddr_end;

    size_t note_segment_count;
    struct elf_note_segment note_segments[ELF_MAX_NOTE_SEGMENTS];
};

/* One note as found in the file.  name points at namesz bytes (normally
 * NUL-terminated, but that is the producer's promise, not ours). */
struct elf_note {
    uint32_t type;
    const char *name;
    uint32_t namesz;
    const void *desc;
    uint32_t descsz;
};

struct elf_note_iter {
    size_t segment;
    uint64_t pos; /* offset inside that segment */
};

/* Validates file[0, size) as an ELF kernel and fills img (which keeps
 * pointers into file and name: both must outlive it).  name is used in error
 * messages ("/boot/k.elf: program header 3: ...").  Returns HOP_OK or a
 * negative hop_status with err filled.  The entry point is not checked here:
 * a multiboot kernel may name its own entry; elf_entry_paddr() checks it. */
int elf_parse(struct elf_image *img, const void *file, size_t size,
              const char *name, struct hop_error *err);

/* Finds the segment whose virtual range holds e_entry (preferring an
 * executable one) and translates the entry to a physical address:
 * entry - vaddr + paddr.  HOP_ERR_RANGE when no segment holds it. */
int elf_entry_paddr(const struct elf_image *img, uint64_t *paddr,
                    struct hop_error *err);

/* Points *data at segment index's file bytes (segments[index].filesz of
 * them).  HOP_ERR_NOTFOUND when index is out of range. */
int elf_segment_data(const struct elf_image *img, size_t index,
                     const void **data);

/* Iterates over every note of every PT_NOTE segment: start with *it zeroed;
 * returns false when there are no more. */
bool elf_note_next(const struct elf_image *img, struct elf_note_iter *it,
                   struct elf_note *note);

/* Finds the first note with the given owner name ("Xen") and type.  On
 * success points *desc at its descriptor and sets *len to its size.
 * Returns HOP_OK or HOP_ERR_NOTFOUND. */
int elf_find_note(const struct elf_image *img, const char *name, uint32_t type,
                  const void **desc, size_t *len);

/* The section header table, for the multiboot2 ELF-sections tag: validated
 * (e_shentsize the class's size, the whole table inside the file, at most
 * 4096 entries, e_shstrndx in range; gABI extended numbering through
 * section 0).  count is 0 when the file has no section headers. */
struct elf_section_table {
    const uint8_t *headers; /* in the file, count * entsize bytes */
    uint32_t count, entsize, shstrndx;
};

#define SHT_NULL 0
#define SHT_NOBITS 8

int elf_section_table(const struct elf_image *img, struct elf_section_table *t,
                      struct hop_error *err);

/* Section header i (< t->count) widened to the ELF64 layout. */
void elf_section_get(const struct elf_image *img, const struct elf_section_table *t, size_t i,
                     struct elf64_shdr *out);

#endif
