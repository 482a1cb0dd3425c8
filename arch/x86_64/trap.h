#ifndef HOP_ARCH_TRAP_H
#define HOP_ARCH_TRAP_H
#include "lib/types.h"

/* Layout pushed by arch/x86_64/idt.asm, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void idt_init(void);
#endif
