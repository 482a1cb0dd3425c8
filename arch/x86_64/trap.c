/* The IDT and what happens on an exception: print everything a person needs
 * to find the bug (vector, error code, RIP, CR2, registers) and halt. */
#include "trap.h"
#include "cpu.h"
#include "console/console.h"
#include "idt.h"
#include "machine.h"

#define IDT_VECTORS 32
#define SEL_CODE64 0x08

extern const uint64_t trap_stubs[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS];

static const char *const vector_names[IDT_VECTORS] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault",
    "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved",
    "x87 error", "alignment check", "machine check", "SIMD error",
    "virtualization", "control protection",
    [28] = "hypervisor injection", "VMM communication", "security",
};

void idt_init(void)
{
    for (int v = 0; v < IDT_VECTORS; v++)
        idt[v] = idt_interrupt_gate(trap_stubs[v], SEL_CODE64);
    struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    idt_load(&p);
}

void trap_dispatch(const struct trap_frame *f)
{
    const char *name = f->vector < IDT_VECTORS && vector_names[f->vector]
                           ? vector_names[f->vector] : "unknown";
    kprintf("\nhop: FATAL exception %llu (%s), error code 0x%llx\n",
            (unsigned long long)f->vector, name, (unsigned long long)f->error);
    kprintf("  RIP %016llx  CS %04llx  RFLAGS %016llx\n", (unsigned long long)f->rip,
            (unsigned long long)f->cs, (unsigned long long)f->rflags);
    kprintf("  RSP %016llx  SS %04llx  CR2 %016llx  CR3 %016llx\n", (unsigned long long)f->rsp,
            (unsigned long long)f->ss, (unsigned long long)read_cr2(),
            (unsigned long long)read_cr3());
    kprintf("  RAX %016llx  RBX %016llx  RCX %016llx  RDX %016llx\n",
            (unsigned long long)f->rax, (unsigned long long)f->rbx,
            (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    kprintf("  RSI %016llx  RDI %016llx  RBP %016llx\n", (unsigned long long)f->rsi,
            (unsigned long long)f->rdi, (unsigned long long)f->rbp);
    kprintf("  R8  %016llx  R9  %016llx  R10 %016llx  R11 %016llx\n",
            (unsigned long long)f->r8, (unsigned long long)f->r9,
            (unsigned long long)f->r10, (unsigned long long)f->r11);
    kprintf("  R12 %016llx  R13 %016llx  R14 %016llx  R15 %016llx\n",
            (unsigned long long)f->r12, (unsigned long long)f->r13,
            (unsigned long long)f->r14, (unsigned long long)f->r15);
    hop_halt(HOP_EXIT_EXCEPTION);
}
