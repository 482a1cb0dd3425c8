; The single interrupt gate of arch/x86_64/quiesce/irq_drain.c: saves the registers
; a C call may clobber (the System V caller-saved ones; hop's C code uses no
; SSE, -mgeneral-regs-only), calls irq_drain_interrupt and returns from the
; interrupt.  (No compiler's interrupt attribute: clang refuses calls from
; one.)  hop is built without a red zone, so the CPU's pushes clobber nothing.
extern irq_drain_interrupt
global irq_drain_entry

section .text
bits 64
irq_drain_entry:
    push rax                        ; the CPU pushed 5 quadwords on a 16-byte
    push rcx                        ; boundary; 9 more keep the stack aligned
    push rdx                        ; for the call
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    cld
    call irq_drain_interrupt
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    iretq
