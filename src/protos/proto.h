/* One descriptor per boot protocol: everything hop knows about handing a
 * kernel over one way, from how to recognise it in the file to the register
 * state at its entry.  The boot flow (src/boot/) reads only descriptors and
 * knows no protocol by name; each protocol's file in src/protos/ defines its
 * own (multiboot2.c, multiboot1.c, pvh.c, linux.c, elf.c).
 *
 * docs/protocols.md says, per protocol, what the kernel gets and the state
 * it starts in. */
#ifndef HOP_PROTOS_PROTO_H
#define HOP_PROTOS_PROTO_H

#include "lib/error.h"
#include "lib/types.h"
#include "parse/bzimage.h"
#include "parse/config.h"
#include "parse/elf.h"
#include "parse/mbheader.h"
#include "protos/handoff.h"

/* The kernel file as hop parsed it, before a protocol is chosen. */
struct proto_kernel {
    const char *path; /* for messages */
    const uint8_t *data;
    size_t size;
    bool is_elf;      /* elf is valid; otherwise its segment_count is 0 */
    struct elf_image elf;
    bool has_mb1, has_mb2; /* the headers were found (and are valid) */
    struct mb1_header mb1;
    struct mb2_header mb2;
    bool is_bzimage;  /* a Linux setup header was found (and is valid) */
    struct bzimage bz;
    struct mb_load_layout bz_layout; /* the protected-mode part at its address */
};

enum handoff_cpu_mode {
    HANDOFF_MODE_PROT32,  /* 32-bit protected mode, paging off */
    HANDOFF_MODE_LONG,    /* 64-bit mode on the trampoline's identity map */
    HANDOFF_MODE_LINUX32, /* PROT32 with Linux's segments: CS = 0x10 (32-bit code) */
};

/* The CPU state the kernel is entered with. */
struct handoff_cpu {
    enum handoff_cpu_mode mode;
    paddr_t entry;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    const char *protocol; /* for the summary */
};

/* A relocatable image: it may lie anywhere in the window [min, max] (both
 * inclusive) at a base aligned to align, the whole image sliding together. */
struct proto_reloc {
    paddr_t min, max;
    uint64_t align;    /* a power of two; 1 when the kernel does not care */
    bool prefer_high;  /* the highest base that fits, else the lowest */
    bool has_preferred; /* try this base first (a bzImage's pref_address) */
    paddr_t preferred;
};

/* Every file an entry names reaches the kernel, or the entry fails naming
 * the one that would not (docs/config.md, "Files and protocols"). */
enum proto_files {
    PROTO_FILES_MODULES,      /* every module= in order, then initrd= as the last module */
    PROTO_FILES_INITRD_FIRST, /* initrd= first (Linux under PVH takes module 0 as its
                                 initrd), then every module= */
    PROTO_FILES_ONE_INITRD,   /* one initrd: initrd=, or the only module= line */
};

struct proto {
    const char *name;         /* "multiboot2", as config's protocol= says */
    enum config_protocol id;

    /* protocol=auto: true when the file carries this protocol's mark. */
    bool (*detect)(const struct proto_kernel *k);
    /* The kernel can be booted this way at all (a forced protocol too);
     * NULL: any file whose segments hop can find. */
    int (*check_kernel)(const struct proto_kernel *k, struct hop_error *err);
    /* The a.out-kludge layout to load by, or NULL to load the ELF PT_LOADs
     * by p_paddr.  NULL function: always the PT_LOADs. */
    const struct mb_load_layout *(*load_layout)(const struct proto_kernel *k);
    /* True, with *r, when the image may be loaded elsewhere; NULL: never. */
    bool (*relocation)(const struct proto_kernel *k, struct proto_reloc *r);
    /* Bytes from the image's start that the kernel claims as its workspace
     * after the jump (Linux's init_size), kept clear of everything hop
     * places but neither copied nor zeroed; NULL: none. */
    uint64_t (*workspace)(const struct proto_kernel *k);
    /* The entry point before any slide; NULL: the ELF entry (proto_elf_entry). */
    int (*entry)(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err);
    /* Refuses, naming it, what the kernel's header demands and hop cannot
     * give this time; NULL: it demands nothing. */
    int (*check_requests)(const struct proto_kernel *k, const struct handoff_input *in,
                          struct hop_error *err);
    /* True when the kernel asks for its ELF section headers (multiboot2 tag
     * 9); NULL: never. */
    bool (*wants_elf_sections)(const struct proto_kernel *k);

    /* How the entry's files (module= lines, initrd=) reach the kernel, and
     * the end (exclusive) of where the initrd may lie; NULL: 4 GiB. */
    enum proto_files files;
    paddr_t (*initrd_limit)(const struct proto_kernel *k);
    const char *initrd_limit_field; /* names it in messages: "initrd_addr_max (0x22c)" */

    /* The info block: how it is built, and its alignment (its limit is the
     * builder's). */
    const struct handoff_builder *info;
    size_t info_align;

    /* The registers and mode at the entry, info being the block's address. */
    void (*enter)(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                  struct handoff_cpu *cpu);
};

extern const struct proto proto_multiboot2, proto_multiboot1, proto_pvh, proto_linux,
    proto_linux_bzimage, proto_elf;

/* The descriptor for a configured protocol, for this kernel where a protocol
 * has more than one (Linux: a bzImage or a vmlinux); NULL for
 * CONFIG_PROTO_AUTO. */
const struct proto *proto_by_id(enum config_protocol id, const struct proto_kernel *k);

/* protocol=auto: the first protocol whose mark the file carries, in the
 * order Linux setup header, multiboot2, multiboot1, PVH note, Linux notes,
 * plain ELF. */
const struct proto *proto_detect(const struct proto_kernel *k);

/* e_entry through the ELF's virtual->physical rule (the segment holding it
 * by p_vaddr), else e_entry itself when it lies inside a segment by
 * p_paddr (a Linux vmlinux gives a physical e_entry). */
int proto_elf_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err);

/* The ELF note `name` (with its NUL) is present. */
bool proto_has_note(const struct proto_kernel *k, const char *name);

#endif
