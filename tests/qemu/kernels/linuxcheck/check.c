/* linuxcheck: a test kernel in bzImage form that checks, from inside the
 * guest, what a loader speaking the Linux boot protocol gave it
 * (Documentation/arch/x86/boot.rst, zero-page.rst):
 *   - the CPU state of the entry it came through (head.asm recorded it):
 *     64-bit: long mode, paging on; 32-bit: protected mode, paging off,
 *     EBX = EDI = EBP = 0; both: interrupts off, CS = __BOOT_CS and
 *     DS = ES = SS = __BOOT_DS, boot_params below 4 GiB;
 *   - where it runs: a relocatable kernel at its minimum alignment, a fixed
 *     one at pref_address, the 64-bit entry 0x200 past the start;
 *   - boot_params: the whole setup header copied (HdrS, version,
 *     xloadflags... up to kernel_info_offset, the last field),
 *     type_of_loader set, the sentinel clear;
 *   - that nothing the loader passed lies in [start, start + init_size),
 *     which it then scribbles over as a real kernel would;
 *   - the command line, the initrd (printed with its CRC-32) and the e820
 *     map, in which the kernel, boot_params, command line and initrd must
 *     lie in usable RAM.
 * Built twice: for x86_64 (position-independent, linuxcheck.bzimage and
 * linuxcheck-fixed.bzimage) and i386 at 1 MiB (linuxcheck32.bzimage).
 * Output: "linuxcheck: KEY ..." lines, then tk_finish's summary. */
#pragma GCC visibility push(hidden) /* no GOT: every symbol is ours */
#include "tk.h"
#include "lib/string.h"
#include "parse/bzimage.h"

/* zero-page.rst: boot_params fields outside the setup header */
#define BP_SIZE 4096u
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_SENTINEL 0x1ef
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128u
#define E820_ENTRY_SIZE 20u
#define E820_RAM 1u

#define BOOT_CS 0x10 /* boot.rst: __BOOT_CS, __BOOT_DS */
#define BOOT_DS 0x18
#define EFLAGS_IF (1u << 9)
#define CR0_PE (1u << 0)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define MSR_EFER 0xc0000080u
#define EFER_LMA (1u << 10)
#define FOUR_GIB 0x100000000ull
#define SCRIBBLE 0x5a

/* head.asm: the state at entry, every field a u64 */
struct lc_entry {
    uint64_t bp, base, flags, ebx, edi, ebp, cs, ds, es, ss, bits, entry;
};
/* head.asm: what setup.asm wrote into this image's header */
struct lc_expect {
    uint64_t pref_address;
    uint32_t protocol, xloadflags, relocatable, kernel_alignment;
    uint32_t min_alignment_log2, kernel_info_offset, init_extra;
    uint32_t load_address, initrd_addr_max, cmdline_size;
};

extern struct lc_entry lc_entry;
extern const struct lc_expect lc_expect;
extern char __lc_start[], __lc_end[];

void lc_main(void);

static const uint8_t *bp;

static uint8_t bp8(unsigned off) { return bp[off]; }
static uint16_t bp16(unsigned off) { uint16_t v; memcpy(&v, bp + off, 2); return v; }
static uint32_t bp32(unsigned off) { uint32_t v; memcpy(&v, bp + off, 4); return v; }
static uint64_t bp64(unsigned off) { uint64_t v; memcpy(&v, bp + off, 8); return v; }

typedef unsigned long long ull;

static unsigned long read_cr0(void)
{
    unsigned long v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static unsigned long read_cr4(void)
{
    unsigned long v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static uint64_t read_msr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    return a_len && b_len && a < b + b_len && b < a + a_len;
}

/* The CPU state head.asm recorded, against the entry's protocol. */
static void check_cpu(const struct lc_entry *e)
{
    unsigned long cr0 = read_cr0();
    tk_printf("linuxcheck: mode %s, paging %s, IF %u, cs 0x%x ds 0x%x es 0x%x ss 0x%x\n",
              e->bits == 64 ? "long" : (cr0 & CR0_PE) ? "protected" : "real",
              (cr0 & CR0_PG) ? "on" : "off", (e->flags & EFLAGS_IF) ? 1 : 0,
              (unsigned)e->cs, (unsigned)e->ds, (unsigned)e->es, (unsigned)e->ss);
    tk_check(!(e->flags & EFLAGS_IF), "interrupts enabled at entry");
    tk_check(e->cs == BOOT_CS, "cs 0x%x, not __BOOT_CS 0x%x", (unsigned)e->cs, BOOT_CS);
    tk_check(e->ds == BOOT_DS && e->es == BOOT_DS && e->ss == BOOT_DS,
             "ds/es/ss 0x%x/0x%x/0x%x, not __BOOT_DS 0x%x", (unsigned)e->ds,
             (unsigned)e->es, (unsigned)e->ss, BOOT_DS);
    tk_check(cr0 & CR0_PE, "protected mode off");
    if (e->bits == 64) {
        tk_check(cr0 & CR0_PG, "paging off in 64-bit mode");
        tk_check(read_cr4() & CR4_PAE, "CR4.PAE off");
        tk_check(read_msr(MSR_EFER) & EFER_LMA, "EFER.LMA clear: not in long mode");
    } else {
        tk_check(!(cr0 & CR0_PG), "paging on at the 32-bit entry");
        tk_check(e->ebx == 0 && e->edi == 0 && e->ebp == 0,
                 "ebx/edi/ebp 0x%llx/0x%llx/0x%llx, not 0", (ull)e->ebx,
                 (ull)e->edi, (ull)e->ebp);
    }
}

/* Where we run, against relocatable_kernel, min_alignment, pref_address. */
static void check_location(const struct lc_entry *e)
{
    const struct lc_expect *x = &lc_expect;
    tk_printf("linuxcheck: entry %u at 0x%llx, loaded at 0x%llx, boot_params 0x%llx\n",
              (unsigned)e->bits, (ull)e->entry, (ull)e->base, (ull)e->bp);
    tk_printf("linuxcheck: relocatable %u, pref_address 0x%llx, kernel_alignment 0x%x\n",
              x->relocatable, (ull)x->pref_address, x->kernel_alignment);
    tk_check(e->base == (uintptr_t)__lc_start, "base 0x%llx != __lc_start %p",
             (ull)e->base, (void *)__lc_start);
    if (e->bits == 64)
        tk_check(e->entry == e->base + BZ_ENTRY64_OFFSET,
                 "64-bit entry 0x%llx is not the start 0x%llx + 0x200",
                 (ull)e->entry, (ull)e->base);
    if (x->relocatable)
        tk_check(e->base % (1ull << x->min_alignment_log2) == 0,
                 "loaded at 0x%llx, not aligned to min_alignment 2^%u",
                 (ull)e->base, x->min_alignment_log2);
    else
        tk_check(e->base == x->pref_address,
                 "non-relocatable kernel loaded at 0x%llx, not pref_address 0x%llx",
                 (ull)e->base, (ull)x->pref_address);
    tk_check(e->bp != 0 && e->bp + BP_SIZE <= FOUR_GIB,
             "boot_params at 0x%llx, not in the first 4 GiB", (ull)e->bp);
}

/* The setup header the loader copied into boot_params. */
static void check_header(uint32_t init_size)
{
    const struct lc_expect *x = &lc_expect;
    uint32_t magic = bp32(BZ_OFF_HEADER);
    uint16_t version = bp16(BZ_OFF_VERSION);
    uint8_t loader = bp8(BZ_OFF_TYPE_OF_LOADER);
    tk_printf("linuxcheck: header %.4s version 0x%04x type_of_loader 0x%02x "
              "xloadflags 0x%x init_size 0x%x kernel_info_offset 0x%x\n",
              (const char *)bp + BZ_OFF_HEADER, version, loader,
              bp16(BZ_OFF_XLOADFLAGS), bp32(BZ_OFF_INIT_SIZE),
              bp32(BZ_OFF_KERNEL_INFO_OFFSET));
    tk_check(bp16(BZ_OFF_BOOT_FLAG) == BZ_BOOT_FLAG, "boot_flag 0x%x", bp16(BZ_OFF_BOOT_FLAG));
    tk_check(magic == BZ_HEADER_MAGIC, "header 0x%08x, not HdrS", magic);
    tk_check(version == x->protocol, "version 0x%04x, not ours 0x%04x", version, x->protocol);
    tk_check(loader != 0, "type_of_loader 0: the loader did not set it");
    tk_check(bp8(BZ_OFF_LOADFLAGS) & BZ_LOADED_HIGH, "loadflags 0x%x lacks LOADED_HIGH",
             bp8(BZ_OFF_LOADFLAGS));
    tk_check(bp16(BZ_OFF_XLOADFLAGS) == x->xloadflags, "xloadflags 0x%x, not ours 0x%x",
             bp16(BZ_OFF_XLOADFLAGS), x->xloadflags);
    tk_check(bp8(BZ_OFF_RELOCATABLE_KERNEL) == x->relocatable, "relocatable_kernel %u",
             bp8(BZ_OFF_RELOCATABLE_KERNEL));
    tk_check(bp64(BZ_OFF_PREF_ADDRESS) == x->pref_address, "pref_address 0x%llx",
             (ull)bp64(BZ_OFF_PREF_ADDRESS));
    tk_check(bp32(BZ_OFF_INIT_SIZE) == init_size, "init_size 0x%x, not ours 0x%x",
             bp32(BZ_OFF_INIT_SIZE), init_size);
    tk_check(bp32(BZ_OFF_KERNEL_INFO_OFFSET) == x->kernel_info_offset,
             "kernel_info_offset 0x%x (the header's last field), not 0x%x",
             bp32(BZ_OFF_KERNEL_INFO_OFFSET), x->kernel_info_offset);
    tk_check(bp8(BP_SENTINEL) == 0, "sentinel 0x%x set: boot_params not built by "
             "copying the header into zeroes", bp8(BP_SENTINEL));
    if (lc_entry.bits == 32)
        tk_check(bp32(BZ_OFF_CODE32_START) == lc_entry.base,
                 "code32_start 0x%x, not where the 32-bit entry runs",
                 bp32(BZ_OFF_CODE32_START));
}

struct lc_passed {
    uint64_t cmdline, cmdline_len, initrd, initrd_size;
};

/* What the loader passed must lie outside [start, start + init_size). */
static void check_outside(const struct lc_passed *p, uint64_t base, uint32_t init_size)
{
    tk_check(!overlaps(lc_entry.bp, BP_SIZE, base, init_size),
             "boot_params 0x%llx inside the kernel's init_size area", (ull)lc_entry.bp);
    tk_check(!overlaps(p->cmdline, p->cmdline_len + 1, base, init_size),
             "command line 0x%llx inside the kernel's init_size area", (ull)p->cmdline);
    tk_check(!overlaps(p->initrd, p->initrd_size, base, init_size),
             "initrd 0x%llx inside the kernel's init_size area", (ull)p->initrd);
}

static size_t cmdline_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n <= max && s[n])
        n++;
    return n;
}

/* [addr, addr+len) inside one e820 entry of the type (any type when
 * any_type). */
static bool in_e820(uint64_t addr, uint64_t len, bool any_type)
{
    unsigned n = MIN(bp8(BP_E820_ENTRIES), BP_E820_MAX);
    for (unsigned i = 0; i < n; i++) {
        unsigned off = BP_E820_TABLE + i * E820_ENTRY_SIZE;
        uint64_t start = bp64(off), size = bp64(off + 8);
        if ((any_type || bp32(off + 16) == E820_RAM) && addr >= start &&
            addr - start <= size && len <= size - (addr - start))
            return true;
    }
    return false;
}

static bool in_ram(uint64_t addr, uint64_t len)
{
    return in_e820(addr, len, false);
}

static void check_e820(const struct lc_passed *p, uint64_t base, uint32_t init_size)
{
    unsigned n = bp8(BP_E820_ENTRIES);
    tk_printf("linuxcheck: e820 %u entries\n", n);
    tk_check(n >= 1 && n <= BP_E820_MAX, "e820_entries %u", n);
    for (unsigned i = 0; i < MIN(n, BP_E820_MAX); i++) {
        unsigned off = BP_E820_TABLE + i * E820_ENTRY_SIZE;
        tk_printf("linuxcheck: e820 0x%016llx-0x%016llx type %u\n", (ull)bp64(off),
                  (ull)(bp64(off) + bp64(off + 8)), bp32(off + 16));
    }
    tk_check(in_ram(base, init_size), "kernel [0x%llx, +0x%x) not in usable RAM",
             (ull)base, init_size);
    /* boot_params and the command line lie in RAM the map lists: a loader
     * may mark their pages reserved (hop does when they hold its copy of
     * the RSDP, docs/protocols.md "Memory maps"); Linux copies both first. */
    tk_check(in_e820(lc_entry.bp, BP_SIZE, true), "boot_params not in RAM the e820 lists");
    tk_check(in_e820(p->cmdline, p->cmdline_len + 1, true),
             "command line not in RAM the e820 lists");
    if (p->initrd_size)
        tk_check(in_ram(p->initrd, p->initrd_size), "initrd not in usable RAM");
}

void lc_main(void)
{
    const struct lc_entry *e = &lc_entry;
    const struct lc_expect *x = &lc_expect;
    uint64_t base = e->base;
    uint32_t init_size = ALIGN_UP((uint32_t)(__lc_end - __lc_start), 4096u) + x->init_extra;
    struct lc_passed p;

    bp = (const uint8_t *)(uintptr_t)e->bp;
    check_cpu(e);
    check_location(e);
    if (!e->bp || e->bp + BP_SIZE > FOUR_GIB)
        tk_finish();
    check_header(init_size);

    p.cmdline = bp32(BZ_OFF_CMD_LINE_PTR) | (uint64_t)bp32(BP_EXT_CMD_LINE_PTR) << 32;
    p.initrd = bp32(BZ_OFF_RAMDISK_IMAGE) | (uint64_t)bp32(BP_EXT_RAMDISK_IMAGE) << 32;
    p.initrd_size = bp32(BZ_OFF_RAMDISK_SIZE) | (uint64_t)bp32(BP_EXT_RAMDISK_SIZE) << 32;
    tk_check(p.cmdline != 0 && p.cmdline < FOUR_GIB, "cmd_line_ptr 0x%llx", (ull)p.cmdline);
    if (p.cmdline == 0 || p.cmdline >= FOUR_GIB)
        tk_finish();
    p.cmdline_len = cmdline_len((const char *)(uintptr_t)p.cmdline, x->cmdline_size);
    check_outside(&p, base, init_size);
    if (overlaps(e->bp, BP_SIZE, base, init_size))
        tk_finish(); /* scribbling would destroy what we report on */
    /* A kernel owns [start, start + init_size) from its first instruction. */
    memset(__lc_end, SCRIBBLE, base + init_size - (uintptr_t)__lc_end);

    p.cmdline_len = cmdline_len((const char *)(uintptr_t)p.cmdline, x->cmdline_size);
    tk_check(p.cmdline_len <= x->cmdline_size, "command line longer than cmdline_size %u",
             x->cmdline_size);
    tk_printf("linuxcheck: cmdline \"%.*s\"\n", (int)MIN(p.cmdline_len, (uint64_t)x->cmdline_size),
              (const char *)(uintptr_t)p.cmdline);

    if (p.initrd_size) {
        tk_check(p.initrd + p.initrd_size - 1 <= x->initrd_addr_max,
                 "initrd ends at 0x%llx, above initrd_addr_max 0x%x",
                 (ull)(p.initrd + p.initrd_size), x->initrd_addr_max);
        tk_printf("linuxcheck: initrd at 0x%llx, %llu bytes, crc32 %08x\n", (ull)p.initrd,
                  (ull)p.initrd_size,
                  p.initrd + p.initrd_size <= FOUR_GIB
                      ? tk_crc32((const void *)(uintptr_t)p.initrd, (size_t)p.initrd_size)
                      : 0);
    } else {
        tk_printf("linuxcheck: initrd none\n");
    }
    check_e820(&p, base, init_size);
    tk_finish();
}
