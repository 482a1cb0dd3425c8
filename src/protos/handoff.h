/* The boot information hop hands to the kernel it boots: one builder per
 * protocol (src/protos/multiboot2.c, multiboot1.c, pvh.c, linux.c), each a
 * struct handoff_builder that says how to lay its block out, all fed the
 * same struct handoff_input and sized and built by one generic path
 * (handoff_info_size, handoff_build_info).  docs/protocols.md says what each
 * protocol gets and the machine state at its entry.
 *
 * Every builder is pure: it reads the input, writes the info into a buffer
 * the caller gives (which will live at physical address buf_paddr, so each
 * pointer inside the info is buf_paddr + an offset), never writes beyond the
 * buffer's capacity and touches no other memory.
 *
 * The layouts are little-endian and packed, written with memcpy, so buf may
 * have any alignment on the host. */
#ifndef HOP_PROTOS_HANDOFF_H
#define HOP_PROTOS_HANDOFF_H

#include "parse/bootinfo.h"
#include "parse/bzimage.h"
#include "lib/error.h"
#include "lib/types.h"
#include "parse/mbheader.h"
#include "mm/physmem.h"

/* buf_paddr alignment every builder requires: the largest alignment any
 * structure inside an info block asks for (an RSDP copy, 16), so offsets
 * inside the buffer and physical addresses align alike. */
#define HANDOFF_BUF_ALIGN 16u

/* First address a 32-bit register cannot hold: multiboot1/2 and PVH give
 * the kernel their info's address in EBX. */
#define HANDOFF_LIMIT_4GIB 0x100000000ull

struct handoff_module {
    paddr_t start, end;  /* final physical addresses, end exclusive */
    const char *cmdline; /* never NULL; "" when none */
};

struct handoff_input {
    /* What hop was given: memory map, framebuffer, RSDP and SMBIOS copies,
     * EFI system table and memory map. */
    const struct bootinfo *bi;
    const char *cmdline;     /* the kernel's command line, never NULL */
    const char *loader_name; /* "hop 0.1", never NULL */

    /* The modules at their final physical addresses, in order. */
    const struct handoff_module *modules;
    size_t module_count;

    /* Linux: modules[initrd_index] is the initial RAM disk (the only module
     * a Linux kernel sees).  Other protocols ignore it. */
    bool has_initrd;
    size_t initrd_index;

    /* Memory hop leaves live for the kernel (the info buffer, the modules,
     * ...).  Each builder marks these in the memory map it hands on, or
     * deliberately not: see docs/protocols.md, "Memory maps".  Each builder
     * also treats its own buffer as live without being told. */
    const struct phys_range *reserved;
    size_t reserved_count;

    paddr_t rsdp_addr; /* the real ACPI RSDP's address, 0 if unknown */

    /* multiboot2 tag 9 when the kernel asks: its section header table with
     * every sh_addr final (sections that were not loaded hop placed and
     * patched), or NULL. */
    const void *elf_sections;
    uint32_t elf_shnum, elf_shentsize, elf_shndx;

    /* multiboot2 relocatable kernels: the base hop chose (tag 21). */
    bool has_load_base;
    paddr_t load_base;

    /* Linux from a bzImage: its setup header, copied into boot_params, and
     * where its protected-mode part was loaded; NULL for a vmlinux. */
    const struct bzimage *linux_bzimage;
    paddr_t linux_load_addr;
};

/* ==========================================================================
 * The builders
 * ========================================================================== */

struct handoff_buf;
struct handoff_map;
struct handoff_marking;

/* How one protocol's info block is made. */
struct handoff_builder {
    const char *name; /* prefixes messages: "multiboot2 info" */
    paddr_t limit;    /* the whole block lies below this */
    /* What the protocol cannot represent, beyond handoff_check_input (the
     * 32-bit fields of multiboot, Linux's command-line limit); NULL: none. */
    int (*check)(const struct handoff_input *in, struct hop_error *err);
    /* What it marks in the map it hands on, besides in->reserved: sets
     * mark_own and the exempt modules (the generic path fills in own);
     * NULL: its own block marked, nothing exempt. */
    void (*marking)(const struct handoff_input *in, struct handoff_marking *mk);
    /* Lays the whole block out in b (measuring when b->buf is NULL, with
     * map->entries NULL and map->count an upper bound).  Cannot fail: check
     * has refused what it cannot lay out. */
    void (*lay_out)(struct handoff_buf *b, const struct handoff_input *in,
                    const struct handoff_map *map);
};

/* Multiboot2 (Multiboot2 specification 2.0, 3.6 "Boot information"),
 * multiboot 0.6.96 (3.3 "Boot information format"; the info and every
 * module below 4 GiB), PVH (Xen public/arch-x86/hvm/start_info.h, struct
 * hvm_start_info version 1, below 4 GiB: EBX), Linux x86 64-bit boot
 * protocol (Documentation/arch/x86/boot.rst and zero-page.rst: struct
 * boot_params at offset 0 (RSI), then the command line and setup_data). */
extern const struct handoff_builder handoff_mb2, handoff_mb1, handoff_pvh, handoff_linux;

/* An upper bound of the bytes handoff_build_info will use (0 when the input
 * is malformed, SIZE_MAX when it cannot be represented). */
size_t handoff_info_size(const struct handoff_builder *p, const struct handoff_input *in);

/* Writes p's complete info at buf[0, cap) and stores its length in *used.
 * buf_paddr must be HANDOFF_BUF_ALIGN-aligned.  When cap is too small it
 * returns HOP_ERR_NOMEM with *used set to the size needed.  The memory map
 * handed on treats [buf_paddr, buf_paddr + handoff_info_size(p, in)) as the
 * block's place: allocate that much. */
int handoff_build_info(const struct handoff_builder *p, const struct handoff_input *in,
                       void *buf, size_t cap, paddr_t buf_paddr, size_t *used,
                       struct hop_error *err);

/* Fails, naming the tag, when the kernel's information request tags ask,
 * not marked optional, for a tag hop cannot give this time (or one it does
 * not know), or when its framebuffer, console flags or EFI boot services
 * header tags require what hop cannot provide. */
int mb2_check_requests(const struct mb2_header *hdr,
                       const struct handoff_input *in, struct hop_error *err);

/* Fails when the header's required flags (bits 0-15) ask for what hop
 * cannot give: video information (bit 2) without a framebuffer hop knows,
 * memory information (bit 1) without a map, page-aligned modules (bit 0)
 * when a module is not. */
int mb1_check_requests(const struct mb1_header *hdr,
                       const struct handoff_input *in, struct hop_error *err);

/* hop never changes the video mode: the kernel sees the mode hop has.  When
 * the header asks for a mode (flags bit 2) that differs from it, writes a
 * one-line note for the console into note[0, size) and returns true. */
bool mb1_video_mismatch(const struct mb1_header *hdr, const struct bootinfo *bi,
                        char *note, size_t size);


/* ==========================================================================
 * Shared by the builders
 * ========================================================================== */

/* Checks what every builder relies on: bi, cmdline, loader_name set; each
 * module and reserved range with start <= end and a command line; the
 * initrd index in range.  proto prefixes the message. */
int handoff_check_input(const struct handoff_input *in, const char *proto,
                        struct hop_error *err);

/* Checks buf_paddr's alignment and that [buf_paddr, +1) lies below limit. */
int handoff_check_buf(paddr_t buf_paddr, paddr_t limit, const char *proto,
                      struct hop_error *err);

/* --- Laying out an info block ------------------------------------------- */

/* A cursor over the caller's buffer.  Laying out goes on past the capacity
 * (nothing is written there), so one pass both builds the block and learns
 * its size; with buf NULL it only measures. */
struct handoff_buf {
    uint8_t *buf;  /* NULL: measure only */
    size_t cap;
    paddr_t paddr; /* where buf[0] will live */
    size_t used;   /* bytes laid out so far, may exceed cap */
    bool overflow; /* the layout's size does not fit a size_t */
};

void hbuf_init(struct handoff_buf *b, void *buf, size_t cap, paddr_t paddr);

/* Appends size bytes at an offset aligned to align (a power of two, at most
 * HANDOFF_BUF_ALIGN), zeroes them and the padding before them where they
 * fit, and returns their offset. */
size_t hbuf_alloc(struct handoff_buf *b, size_t size, size_t align);

/* hbuf_alloc of count elements of elem_size bytes, overflow-checked. */
size_t hbuf_alloc_array(struct handoff_buf *b, size_t count, size_t elem_size,
                        size_t align);

/* Copies src to buf[off, off+len) if that lies within the capacity. */
void hbuf_write(struct handoff_buf *b, size_t off, const void *src, size_t len);

/* Appends s with its NUL; returns its offset. */
size_t hbuf_string(struct handoff_buf *b, const char *s);

static inline paddr_t hbuf_paddr(const struct handoff_buf *b, size_t off)
{
    return b->paddr + off; /* checked against the limit in hbuf_finish */
}

/* Stores the size laid out in *used and checks it: HOP_ERR_NOMEM when it
 * exceeds the capacity, HOP_ERR_RANGE when the block would reach limit. */
int hbuf_finish(const struct handoff_buf *b, const char *proto, paddr_t limit,
                size_t *used, struct hop_error *err);

/* Writes a value of the field's own type at the field's offset of the
 * structure type laid out at base: the layouts are described by packed
 * structures, the bytes written one field at a time. */
#define HBUF_SET(b, base, type, field, value)                                  \
    do {                                                                       \
        __typeof__(((type *)0)->field) hbuf_v_ = (value);                      \
        hbuf_write((b), (base) + offsetof(type, field), &hbuf_v_,              \
                   sizeof(hbuf_v_));                                           \
    } while (0)

/* --- The memory map handed on ------------------------------------------- */

struct handoff_range {
    paddr_t start, end; /* [start, end) */
};

/* What a protocol marks reserved in the map it hands on, besides
 * in->reserved: its own info buffer (own) when mark_own, and what it never
 * marks: exempt modules (whole pages) and, unless mark_own, own. */
struct handoff_marking {
    struct handoff_range own;
    bool mark_own;
    const struct handoff_module *exempt;
    size_t exempt_count;
};

struct handoff_map {
    const struct mem_region *entries; /* sorted, disjoint, merged */
    size_t count;
};

/* bi's map with every marked range, rounded out to whole pages, made
 * MEM_RESERVED where it lies in usable RAM (other types are left as they
 * are: reserved must not turn ACPI NVS into something the kernel would not
 * save).  The entries live in a static table valid until the next call:
 * the table is 6 KiB, too much for hop's stack.  Fails with HOP_ERR_LIMIT
 * when the result exceeds BOOTINFO_MAX_REGIONS entries. */
int handoff_map_build(const struct handoff_input *in,
                      const struct handoff_marking *mk, struct handoff_map *out,
                      struct hop_error *err);

/* An upper bound of handoff_map_build's count for a marking with
 * exempt_count exempt modules. */
size_t handoff_map_max_entries(const struct handoff_input *in,
                               size_t exempt_count);

/* [buf_paddr, buf_paddr + bound): where a builder's info can lie, bound
 * being its handoff_info_size.  Independent of the capacity, so the map, and the
 * size needed, are the same whatever buffer the caller offers. */
struct handoff_range handoff_own_range(paddr_t buf_paddr, size_t bound);

/* --- Facts derived from bi ---------------------------------------------- */

/* Basic memory information, from bi's map: lower = KiB of usable RAM
 * contiguous from address 0 (at most 640), upper = KiB of usable RAM
 * contiguous from 1 MiB (saturating at UINT32_MAX). */
void handoff_meminfo(const struct bootinfo *bi, uint32_t *lower_kib,
                     uint32_t *upper_kib);

/* The framebuffer hop has, or NULL: none, or of a type no protocol can
 * describe. */
const struct framebuffer *handoff_framebuffer(const struct bootinfo *bi);

/* True when hop was booted from UEFI (the loader gave an EFI system table). */
bool handoff_booted_from_efi(const struct bootinfo *bi);

/* Where BIOS firmware puts the RSDP; kept for copies.  Its lengths,
 * ACPI_RSDP_V1_LEN and ACPI_RSDP_V2_LEN, are in bootinfo.h. */
#define ACPI_RSDP_ALIGN 16u

/* The RSDP copy hop was given, the ACPI 2.0+ one when there is one (it has
 * the XSDT): true with *data, *len set, false when there is none. */
bool handoff_rsdp_copy(const struct bootinfo *bi, const void **data,
                       size_t *len);

/* The real RSDP's address when hop knows it, else a copy of the one the
 * loader gave placed in b (an RSDP is valid anywhere: the tables it points
 * at do not move), else 0.  PVH and Linux. */
paddr_t handoff_put_rsdp(struct handoff_buf *b, const struct handoff_input *in);

#endif
