/* segcheck: proves hop's relocation from inside the guest.
 *
 * tests/qemu/kernels/mksegkernel.py takes this kernel (build/tests/kernels/
 * segcheck.elf) and a layout, and writes a new ELF: this kernel's PT_LOAD
 * plus one PT_LOAD per pattern segment, with `segtab` below filled in.  Each
 * pattern segment holds filesz bytes of a deterministic pattern (seg_word
 * below; the generator computes the same in Python) then memsz - filesz
 * bytes of bss.  The kernel checks every byte of every segment, prints
 *   segcheck: segment I addr 0x... filesz 0x... memsz 0x... ok
 * or "... BAD at offset 0x..." and exits through tk_finish (0 pass, 1 fail).
 *
 * Also checked: the entry state (EAX magic, EBX info parsed by hop's own
 * parser), that neither the boot info nor a module lies in one of our
 * segments, and each module whose command line holds "crc32=XXXXXXXX".
 *
 * Segments at or above 4 GiB are read through PAE paging (see the window
 * functions): 32-bit code cannot address them otherwise. */
#include "tk.h"
#include "lib/string.h"

#define SEGTAB_MAGIC_EMPTY 0x45475453u  /* "STGE": the table was not filled in */
#define SEGTAB_MAGIC 0x54474553u        /* "SEGT": filled in by mksegkernel.py */
#define SEGTAB_MAX 256

#define PAT_BLOCK_WORDS 1024u           /* the stream restarts every 4 KiB */
#define PAT_BLOCK_KEY 0x9E3779B9u       /* block b's words are XORed with b * this */

/* Found by mksegkernel.py through the ELF symbol table; initialised so it
 * lies in .data (file bytes the generator can fill), not in .bss. */
struct segtab {
    uint32_t magic, count;
    struct {
        uint64_t addr, filesz, memsz;
        uint32_t seed, pad;
    } seg[SEGTAB_MAX];
};
_Static_assert(sizeof(struct segtab) == 8 + 32 * SEGTAB_MAX, "mksegkernel.py's layout");

struct segtab segtab = { .magic = SEGTAB_MAGIC_EMPTY };

extern char __tk_start[], __tk_end[];
static struct bootinfo bi;

/* --- the pattern ---------------------------------------------------------
 * Segment byte o is byte (o & 3) (little-endian) of word o / 4.  Word i of a
 * segment seeded s: block b = i / 1024 restarts a xorshift32 stream at s,
 * and the word is the stream's (i % 1024 + 1)-th value XOR b * 0x9E3779B9.
 * So every 4 KiB block differs (a copy misplaced by whole blocks is caught)
 * and the generator can build a 64 MiB segment from one block quickly. */
struct pat {
    uint32_t seed, x, key, word; /* word: the current word, for partial reads */
    uint64_t next;               /* index of the next word the stream yields */
    uint64_t off;                /* segment offset of the next byte to check */
};

static void pat_init(struct pat *p, uint32_t seed)
{
    *p = (struct pat){ .seed = seed };
}

static inline uint32_t pat_next(struct pat *p)
{
    if ((p->next & (PAT_BLOCK_WORDS - 1)) == 0) {
        p->x = p->seed;
        p->key = (uint32_t)(p->next >> 10) * PAT_BLOCK_KEY; /* block number */
    }
    p->x ^= p->x << 13;
    p->x ^= p->x >> 17;
    p->x ^= p->x << 5;
    p->next++;
    return p->x ^ p->key;
}

typedef uint32_t __attribute__((may_alias, aligned(1))) u32_unaligned;

/* Checks n bytes at ptr against the pattern at p->off.  On a mismatch sets
 * *bad to the segment offset and *got, *want to the bytes and returns false. */
static bool pat_check(struct pat *p, const volatile uint8_t *ptr, uint64_t n, uint64_t *bad,
                      uint8_t *got, uint8_t *want)
{
    uint64_t k = 0;
    while (k < n) {
        if ((p->off & 3) == 0) {
            while (n - k >= 4) { /* whole words: the fast path */
                uint32_t w = pat_next(p);
                uint32_t g = *(const volatile u32_unaligned *)(ptr + k);
                if (g != w) {
                    p->word = w;
                    break; /* the byte loop finds the byte */
                }
                k += 4;
                p->off += 4;
            }
            if (k == n)
                break;
            if (p->next * 4 == p->off) /* the word of this offset is not out yet */
                p->word = pat_next(p);
        }
        uint8_t w = (uint8_t)(p->word >> (8 * (p->off & 3)));
        if (ptr[k] != w) {
            *bad = p->off;
            *got = ptr[k];
            *want = w;
            return false;
        }
        k++;
        p->off++;
    }
    return true;
}

/* Checks that n bytes at ptr (segment offsets from off) are zero. */
static bool zero_check(const volatile uint8_t *ptr, uint64_t n, uint64_t off, uint64_t *bad,
                       uint8_t *got)
{
    uint64_t k = 0;
    for (; k < n && ((uintptr_t)(ptr + k) & 3); k++)
        if (ptr[k])
            goto found;
    for (; n - k >= 4; k += 4)
        if (*(const volatile uint32_t *)(ptr + k))
            break;
    for (; k < n; k++)
        if (ptr[k])
            goto found;
    return true;
found:
    *bad = off + k;
    *got = ptr[k];
    return false;
}

/* --- reading above 4 GiB: PAE paging with one movable 2 MiB window ------
 * 0-4 GiB is identity-mapped with 2 MiB pages (4 page directories under a
 * 4-entry PDPT), so this code, its stack and data keep working with paging
 * on.  The last 2 MiB slot (virtual 0xFFE00000, firmware ROM that we never
 * use) is the window: window_map points it at any 2 MiB-aligned physical
 * address, invlpg drops the stale translation. */
#define SIZE_2M 0x200000ull
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull    /* a 2 MiB page */
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20u
#define WINDOW_VA 0xFFE00000u

static uint64_t pae_pd[4][512] __attribute__((aligned(4096)));
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static bool paging_on;

static void paging_enable(void)
{
    uint32_t r;
    for (uint32_t i = 0; i < 4; i++) {
        pae_pdpt[i] = (uint32_t)(uintptr_t)pae_pd[i] | PTE_P; /* PDPTEs have no RW bit */
        for (uint32_t j = 0; j < 512; j++)
            pae_pd[i][j] = ((uint64_t)(i * 512 + j) * SIZE_2M) | PTE_P | PTE_RW | PTE_PS;
    }
    __asm__ volatile("mov %%cr4, %0" : "=r"(r));
    __asm__ volatile("mov %0, %%cr4" ::"r"(r | CR4_PAE));
    __asm__ volatile("mov %0, %%cr3" ::"r"((uint32_t)(uintptr_t)pae_pdpt) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(r));
    __asm__ volatile("mov %0, %%cr0" ::"r"(r | CR0_PG) : "memory");
    paging_on = true;
}

static void paging_disable(void)
{
    uint32_t r;
    if (!paging_on)
        return;
    __asm__ volatile("mov %%cr0, %0" : "=r"(r));
    __asm__ volatile("mov %0, %%cr0" ::"r"(r & ~CR0_PG) : "memory");
    __asm__ volatile("mov %%cr4, %0" : "=r"(r));
    __asm__ volatile("mov %0, %%cr4" ::"r"(r & ~CR4_PAE));
    paging_on = false;
}

static const volatile uint8_t *window_map(uint64_t phys_2m)
{
    pae_pd[WINDOW_VA >> 30][(WINDOW_VA >> 21) & 511] = phys_2m | PTE_P | PTE_RW | PTE_PS;
    __asm__ volatile("invlpg (%0)" ::"r"(WINDOW_VA) : "memory");
    return (const volatile uint8_t *)WINDOW_VA;
}

/* --- checking one segment ------------------------------------------------ */

/* Segment bytes [o0, o1) at ptr: pattern below filesz, zero above. */
static bool check_part(struct pat *p, uint64_t filesz, const volatile uint8_t *ptr, uint64_t o0,
                       uint64_t o1, uint64_t *bad, uint8_t *got, uint8_t *want)
{
    if (o0 < filesz) {
        uint64_t n = (o1 < filesz ? o1 : filesz) - o0;
        if (!pat_check(p, ptr, n, bad, got, want))
            return false;
        ptr += n;
        o0 += n;
    }
    *want = 0;
    return o0 >= o1 || zero_check(ptr, o1 - o0, o0, bad, got);
}

static void check_segment(uint32_t i)
{
    uint64_t addr = segtab.seg[i].addr, filesz = segtab.seg[i].filesz, memsz = segtab.seg[i].memsz;
    uint64_t bad = 0;
    uint8_t got = 0, want = 0;
    bool ok = true;
    struct pat p;
    pat_init(&p, segtab.seg[i].seed);
    if (addr + memsz <= (1ull << 32)) {
        ok = check_part(&p, filesz, (const volatile uint8_t *)(uintptr_t)addr, 0, memsz, &bad,
                        &got, &want);
    } else {
        if (!paging_on)
            paging_enable();
        for (uint64_t o = 0; ok && o < memsz;) { /* one 2 MiB frame at a time */
            uint64_t phys = addr + o, frame = phys & ~(SIZE_2M - 1);
            uint64_t n = frame + SIZE_2M - phys;
            if (n > memsz - o)
                n = memsz - o;
            const volatile uint8_t *w = window_map(frame);
            ok = check_part(&p, filesz, w + (phys - frame), o, o + n, &bad, &got, &want);
            o += n;
        }
    }
    if (ok)
        tk_printf("segcheck: segment %u addr 0x%llx filesz 0x%llx memsz 0x%llx ok\n", i,
                  (unsigned long long)addr, (unsigned long long)filesz,
                  (unsigned long long)memsz);
    else
        tk_printf("segcheck: segment %u addr 0x%llx filesz 0x%llx memsz 0x%llx BAD at offset "
                  "0x%llx (byte 0x%02x, expected 0x%02x)\n",
                  i, (unsigned long long)addr, (unsigned long long)filesz,
                  (unsigned long long)memsz, (unsigned long long)bad, got, want);
    tk_check(ok, "segment %u at 0x%llx: bad byte at offset 0x%llx", i, (unsigned long long)addr,
             (unsigned long long)bad);
}

/* --- what the loader gave us ---------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* Neither [start, start+len) of `what` may lie in our image or a segment. */
static void check_outside_segments(const char *what, uint64_t start, uint64_t len)
{
    uint64_t img = (uintptr_t)__tk_start, img_len = (uintptr_t)__tk_end - (uintptr_t)__tk_start;
    tk_check(!overlaps(start, len, img, img_len), "%s 0x%llx+0x%llx overlaps the kernel image",
             what, (unsigned long long)start, (unsigned long long)len);
    for (uint32_t i = 0; i < segtab.count; i++)
        tk_check(!overlaps(start, len, segtab.seg[i].addr, segtab.seg[i].memsz),
                 "%s 0x%llx+0x%llx overlaps segment %u", what, (unsigned long long)start,
                 (unsigned long long)len, i);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "crc32=XXXXXXXX" anywhere in s (as a word): the value, or false. */
static bool find_crc(const char *s, uint32_t *crc)
{
    static const char key[] = "crc32=";
    for (const char *p = s; *p; p++) {
        if ((p != s && p[-1] != ' ') || strncmp(p, key, sizeof(key) - 1))
            continue;
        uint32_t v = 0;
        const char *h = p + sizeof(key) - 1;
        int k = 0;
        for (; k < 8 && hexval(h[k]) >= 0; k++)
            v = v << 4 | (uint32_t)hexval(h[k]);
        if (k == 8) {
            *crc = v;
            return true;
        }
    }
    return false;
}

static void check_modules(void)
{
    for (size_t i = 0; i < bi.module_count; i++) {
        const struct boot_module *m = &bi.modules[i];
        uint64_t len = m->end - m->start;
        uint32_t want, got;
        check_outside_segments("module", m->start, len);
        if (!find_crc(m->cmdline, &want))
            continue;
        got = tk_crc32((const void *)(uintptr_t)m->start, (size_t)len);
        tk_printf("segcheck: module %zu 0x%llx+0x%llx crc32 %08x %s\n", i,
                  (unsigned long long)m->start, (unsigned long long)len, got,
                  got == want ? "ok" : "BAD");
        tk_check(got == want, "module %zu crc32 %08x, expected %08x", i, got, want);
    }
}

void tk_main(uint32_t magic, uint32_t info)
{
    tk_check(magic == MB2_BOOTLOADER_MAGIC || magic == MB1_BOOTLOADER_MAGIC,
             "entered with EAX 0x%x, not a multiboot magic", magic);
    tk_parse_bootinfo(&bi, magic, info);
    tk_printf("segcheck: entered with magic 0x%x (multiboot%d) info 0x%x+0x%zx by \"%s\"\n", magic,
              bi.proto == BOOT_PROTO_MB2 ? 2 : 1, info, bi.info_size, bi.loader_name);
    if (segtab.magic == SEGTAB_MAGIC_EMPTY) {
        tk_printf("segcheck: no segment table (not made by mksegkernel.py)\n");
        segtab.count = 0;
    }
    tk_check(segtab.magic == SEGTAB_MAGIC || segtab.magic == SEGTAB_MAGIC_EMPTY,
             "segment table magic 0x%x", segtab.magic);
    tk_check(segtab.count <= SEGTAB_MAX, "segment table count %u", segtab.count);
    if (segtab.magic != SEGTAB_MAGIC || segtab.count > SEGTAB_MAX)
        segtab.count = 0;
    tk_printf("segcheck: %u segment(s)\n", segtab.count);

    check_outside_segments("boot info", bi.info_addr, bi.info_size);
    check_modules();
    for (uint32_t i = 0; i < segtab.count; i++)
        check_segment(i);
    paging_disable();
    tk_finish();
}
