/* bench: the kernel make bench boots (tools/bench/run_bench.py) to measure
 * hop's relocation from inside the guest.
 *
 * hop, started with its `bench` flag, appends " hop.control=0x..." to our
 * command line: the trampoline's control area.  Its struct tramp_params
 * (arch/x86_64/jump/tramp.h, at TRAMP_PARAMS_OFFSET) holds the op list's address
 * and the TSC stamps the trampoline took when its ops started and after its
 * last COPY, ZERO and VERIFY.  Neither is a destination, so both are intact.
 *
 * We sum the op list's bytes by kind, then time plain copies of the same
 * buffers in this same boot: every COPY op again, in the same order and the
 * same direction (memmove semantics), in long mode like the trampoline, with
 * `rep movsb` and with `rep movsq` (what the trampoline uses), three passes
 * of each, alternating.  The
 * data left behind is garbage, but nothing reads it any more; an op writing
 * our own image is skipped.  run_bench.py divides throughputs measured on
 * one TSC, so the emulator's speed cancels out.  Prints
 *   bench: tsc_per_ms=... ops=... copy_ops=... zero_ops=... verify_ops=... skipped_ops=...
 *   bench: tramp_copy_bytes=... tramp_copy_tsc=... zero_bytes=... zero_tsc=...
 *          verify_bytes=... verify_tsc=...              (one line)
 *   bench: memcpy_bytes=... memcpy_tsc=... movsq_tsc=... memcpy_tsc_median=...
 *          movsq_tsc_median=...     (one line; memcpy: rep movsb; fastest pass)
 * and exits through tk_finish (0 when hop.control was found and sane). */
#include "tk.h"
#include "reloc/oplist.h"
#include "lib/string.h"
#include "../arch/x86_64/jump/tramp.h"

#define MAX_OPS (1u << 22) /* a sanity bound on the op list's length */
#define REF_PASSES 3       /* reference copies of each kind */

/* PIT channel 2, gated through port 0x61 (as arch/x86_64/timer.c). */
#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE_CMD 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xB0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 10u

extern char __tk_start[], __tk_end[];
static struct bootinfo bi;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t tsc_per_ms(void)
{
    uint32_t ticks = PIT_HZ * CALIBRATE_MS / 1000;
    uint8_t b = inb(PORT_B);
    outb(PORT_B, (uint8_t)(b & ~(PORT_B_SPEAKER | PORT_B_GATE2)));
    outb(PIT_MODE_CMD, PIT_CMD_CH2_LOHI_MODE0);
    outb(PIT_CH2_DATA, (uint8_t)ticks);
    outb(PIT_CH2_DATA, (uint8_t)(ticks >> 8));
    outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    uint64_t t0 = rdtsc();
    for (uint32_t spins = 0; !(inb(PORT_B) & PORT_B_OUT2) && spins < 100000000u; spins++)
        ;
    uint64_t t1 = rdtsc();
    outb(PORT_B, (uint8_t)(b & ~PORT_B_GATE2));
    return (t1 - t0) / CALIBRATE_MS;
}

/* The value of " hop.control=0x..." in the command line, or 0. */
static uint64_t control_addr(const char *cmdline)
{
    static const char key[] = "hop.control=0x";
    size_t n = sizeof(key) - 1;
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, n))
            continue;
        uint64_t v = 0;
        for (p += n; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
            v = v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        return v;
    }
    return 0;
}

/* --- the reference copies, in long mode ------------------------------------
 * The trampoline copies in 64-bit mode with paging on; so do the references,
 * so that the CPU mode and the page walks are the same: bench_long_copy
 * switches to long mode (identity map of 4 GiB with 2 MiB pages, our own
 * GDT), runs every COPY op with memmove semantics, with `rep movsb`
 * (bench_lm_wide 0) or as the trampoline does, `rep movsq` and the 0-7 bytes
 * left (bench_lm_wide 1), timed with rdtsc in 64-bit mode, and comes back to
 * 32-bit protected mode without paging.  Ops writing [skip_lo, skip_hi) (our
 * own image) are skipped. */
#define SEL_CODE64 0x08
#define SEL_CODE32 0x10
#define SEL_DATA 0x18

uint64_t bench_pml4[512] __attribute__((aligned(4096)));
uint64_t bench_pdpt[512] __attribute__((aligned(4096)));
uint64_t bench_pd[4][512] __attribute__((aligned(4096)));
uint64_t bench_gdt[4] __attribute__((aligned(16))) = {
    0, 0x00AF9A000000FFFFull /* 64-bit code */, 0x00CF9A000000FFFFull /* 32-bit code */,
    0x00CF92000000FFFFull /* data */,
};
struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) bench_gdtr;
/* bench_long_copy's argument (offsets used by the asm) */
struct lm_block {
    uint32_t ops, n, skip_lo, skip_hi, wide, pad;
    uint64_t tsc;
};
_Static_assert(__builtin_offsetof(struct lm_block, tsc) == 24, "the asm below");
void bench_long_copy(struct lm_block *b);

_Static_assert(SEL_CODE64 == 0x08 && SEL_CODE32 == 0x10 && SEL_DATA == 0x18, "the asm below");

__asm__(".text\n"
        ".code32\n"
        ".globl bench_long_copy\n"
        "bench_long_copy:\n"
        "    pushl %ebp\n pushl %ebx\n pushl %esi\n pushl %edi\n pushfl\n cli\n"
        "    movl 24(%esp), %edi\n"                                         /* the block */
        "    lgdt bench_gdtr\n"
        "    ljmp $0x10, $1f\n"
        "1:  movl $0x18, %eax\n movl %eax, %ds\n movl %eax, %es\n movl %eax, %ss\n"
        "    movl %eax, %fs\n movl %eax, %gs\n"
        "    movl %cr4, %eax\n orl $0x20, %eax\n movl %eax, %cr4\n"          /* PAE */
        "    movl $bench_pml4, %eax\n movl %eax, %cr3\n"
        "    movl $0xC0000080, %ecx\n rdmsr\n orl $0x100, %eax\n wrmsr\n"     /* EFER.LME */
        "    movl %cr0, %eax\n orl $0x80000000, %eax\n movl %eax, %cr0\n"    /* PG */
        "    ljmp $0x08, $2f\n"
        ".code64\n"
        "2:  movl %esp, %esp\n movl %edi, %r11d\n"
        "    movl 0(%r11), %ebx\n movl 4(%r11), %ebp\n"
        "    rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n movq %rax, %r8\n"
        "3:  testl %ebp, %ebp\n jz 9f\n"
        "    cmpq $1, (%rbx)\n jne 8f\n"                                       /* COPY only */
        "    movq 8(%rbx), %rdi\n movq 16(%rbx), %rsi\n movq 24(%rbx), %rcx\n"
        "    movl 12(%r11), %eax\n cmpq %rax, %rdi\n jae 4f\n"
        "    leaq (%rdi,%rcx), %rdx\n movl 8(%r11), %eax\n cmpq %rdx, %rax\n jb 8f\n"
        "4:  cmpl $0, 16(%r11)\n je 6f\n"
        "    cmpq %rsi, %rdi\n jbe 5f\n leaq (%rsi,%rcx), %rax\n cmpq %rax, %rdi\n jae 5f\n"
        "    movq %rcx, %rdx\n andq $7, %rdx\n shrq $3, %rcx\n leaq -8(%rdx,%rcx,8), %rax\n"
        "    addq %rax, %rsi\n addq %rax, %rdi\n std\n rep movsq\n addq $7, %rsi\n"
        "    addq $7, %rdi\n movq %rdx, %rcx\n rep movsb\n cld\n jmp 8f\n"
        "5:  movq %rcx, %rdx\n shrq $3, %rcx\n rep movsq\n movq %rdx, %rcx\n andq $7, %rcx\n"
        "    rep movsb\n jmp 8f\n"
        "6:  cmpq %rsi, %rdi\n jbe 7f\n leaq (%rsi,%rcx), %rax\n cmpq %rax, %rdi\n jae 7f\n"
        "    leaq -1(%rdi,%rcx), %rdi\n leaq -1(%rsi,%rcx), %rsi\n std\n rep movsb\n cld\n"
        "    jmp 8f\n"
        "7:  rep movsb\n"
        "8:  addq $32, %rbx\n decl %ebp\n jmp 3b\n"
        "9:  rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n subq %r8, %rax\n"
        "    movq %rax, 24(%r11)\n"
        "    leaq 10f(%rip), %rax\n pushq $0x10\n pushq %rax\n lretq\n"
        ".code32\n"
        "10: movl %cr0, %eax\n andl $0x7fffffff, %eax\n movl %eax, %cr0\n"
        "    movl $0xC0000080, %ecx\n rdmsr\n andl $~0x100, %eax\n wrmsr\n"
        "    movl %cr4, %eax\n andl $~0x20, %eax\n movl %eax, %cr4\n"
        "    popfl\n popl %edi\n popl %esi\n popl %ebx\n popl %ebp\n ret\n");

static void long_mode_setup(void)
{
    for (uint32_t i = 0; i < 4; i++) {
        bench_pdpt[i] = (uint32_t)(uintptr_t)bench_pd[i] | 3; /* present, writable */
        for (uint32_t j = 0; j < 512; j++)
            bench_pd[i][j] = ((uint64_t)(i * 512 + j) << 21) | 0x83; /* 2 MiB page */
    }
    bench_pml4[0] = (uint32_t)(uintptr_t)bench_pdpt | 3;
    bench_gdtr.limit = sizeof(bench_gdt) - 1;
    bench_gdtr.base = (uint32_t)(uintptr_t)bench_gdt;
}

/* Runs every COPY op (but those writing our image) in long mode; returns
 * the TSC ticks taken. */
static uint64_t copy_pass(const struct reloc_op *ops, size_t n, bool wide)
{
    struct lm_block b = { (uint32_t)(uintptr_t)ops, (uint32_t)n, (uint32_t)(uintptr_t)__tk_start,
                          (uint32_t)(uintptr_t)__tk_end, wide, 0, 0 };
    bench_long_copy(&b);
    return b.tsc;
}

static uint64_t median3(const uint64_t v[3])
{
    uint64_t a = v[0], b = v[1], c = v[2];
    if (a > b) {
        uint64_t t = a;
        a = b;
        b = t;
    }
    return c <= a ? a : c >= b ? b : c;
}
_Static_assert(REF_PASSES == 3, "median3");

static uint64_t min3(const uint64_t v[3])
{
    uint64_t m = v[0] < v[1] ? v[0] : v[1];
    return m < v[2] ? m : v[2];
}

static bool touches_us(const struct reloc_op *op)
{
    uint64_t lo = (uintptr_t)__tk_start, hi = (uintptr_t)__tk_end;
    return op->dst < hi && lo < op->dst + op->len;
}

void tk_main(uint32_t magic, uint32_t info)
{
    tk_parse_bootinfo(&bi, magic, info);
    uint64_t control = control_addr(bi.cmdline);
    tk_check(control != 0 && control < UINT32_MAX,
             "no hop.control= in the command line \"%s\" (boot hop with its bench flag)",
             bi.cmdline);
    if (control == 0 || control >= UINT32_MAX)
        tk_finish();
    const struct tramp_params *p =
        (const struct tramp_params *)(uintptr_t)(control + TRAMP_PARAMS_OFFSET);
    tk_check(p->ops != 0 && p->ops < UINT32_MAX && p->tsc_start != 0 &&
                 p->tsc_copied >= p->tsc_start && p->tsc_zeroed >= p->tsc_start &&
                 p->tsc_verified >= p->tsc_start,
             "tramp_params at 0x%llx look wrong (ops 0x%llx, tsc %llu %llu %llu %llu)",
             (unsigned long long)(control + TRAMP_PARAMS_OFFSET), (unsigned long long)p->ops,
             (unsigned long long)p->tsc_start, (unsigned long long)p->tsc_copied,
             (unsigned long long)p->tsc_zeroed, (unsigned long long)p->tsc_verified);
    if (p->ops == 0 || p->ops >= UINT32_MAX || p->tsc_start == 0)
        tk_finish();

    /* The stamps: each phase ends at its last op's stamp; a kind with no op
     * kept tsc_start. */
    uint64_t t_copy = p->tsc_copied, t_zero = p->tsc_zeroed, t_verify = p->tsc_verified;
    uint64_t copy_tsc = t_copy - p->tsc_start;
    uint64_t zero_tsc = t_zero > t_copy ? t_zero - t_copy : 0;
    uint64_t before_verify = t_zero > t_copy ? t_zero : t_copy;
    uint64_t verify_tsc = t_verify > before_verify ? t_verify - before_verify : 0;

    const struct reloc_op *ops = (const struct reloc_op *)(uintptr_t)p->ops;
    size_t n = 0, copies = 0, zeros = 0, verifies = 0, skipped = 0;
    uint64_t copy_bytes = 0, zero_bytes = 0, verify_bytes = 0, measured_bytes = 0;
    for (; n < MAX_OPS && ops[n].kind != RELOC_OP_END; n++) {
        const struct reloc_op *op = &ops[n];
        if (op->kind == RELOC_OP_COPY) {
            copies++;
            copy_bytes += op->len;
            if (!touches_us(op))
                measured_bytes += op->len;
            else
                skipped++;
        } else if (op->kind == RELOC_OP_ZERO) {
            zeros++;
            zero_bytes += op->len;
        } else if (op->kind == RELOC_OP_VERIFY) {
            verifies++;
            verify_bytes += op->len;
        }
    }
    tk_check(n < MAX_OPS, "no END in the first %u ops", MAX_OPS);
    bool low = true;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == RELOC_OP_COPY &&
            (ops[i].dst + ops[i].len > (1ull << 32) ||
             ops[i].src_or_expected + ops[i].len > (1ull << 32)))
            low = false;
    tk_check(low, "a COPY op above 4 GiB: the reference copies map only 4 GiB");

    uint64_t per_ms = tsc_per_ms();
    tk_printf("bench: tsc_per_ms=%llu ops=%u copy_ops=%u zero_ops=%u verify_ops=%u "
              "skipped_ops=%u\n", (unsigned long long)per_ms, (unsigned)n, (unsigned)copies,
              (unsigned)zeros, (unsigned)verifies, (unsigned)skipped);
    tk_printf("bench: tramp_copy_bytes=%llu tramp_copy_tsc=%llu zero_bytes=%llu zero_tsc=%llu "
              "verify_bytes=%llu verify_tsc=%llu\n", (unsigned long long)copy_bytes,
              (unsigned long long)copy_tsc, (unsigned long long)zero_bytes,
              (unsigned long long)zero_tsc, (unsigned long long)verify_bytes,
              (unsigned long long)verify_tsc);
    /* REF_PASSES of each, alternating; the fastest and the median of each
     * are printed (the host is shared: a pass may be preempted, which only
     * ever adds time). */
    uint64_t movsb[REF_PASSES] = { 0 }, movsq[REF_PASSES] = { 0 };
    long_mode_setup();
    for (int i = 0; i < REF_PASSES && low; i++) {
        movsb[i] = copy_pass(ops, n, false);
        movsq[i] = copy_pass(ops, n, true);
    }
    uint64_t movsb_tsc = min3(movsb), movsq_tsc = min3(movsq);
    tk_printf("bench: memcpy_bytes=%llu memcpy_tsc=%llu movsq_tsc=%llu memcpy_tsc_median=%llu "
              "movsq_tsc_median=%llu\n", (unsigned long long)measured_bytes,
              (unsigned long long)movsb_tsc, (unsigned long long)movsq_tsc,
              (unsigned long long)median3(movsb), (unsigned long long)median3(movsq));
    tk_finish();
}
