; Exception entry stubs for vectors 0-31.  Each pushes a uniform frame
; (vector, error code, then the general registers) and calls trap_dispatch,
; which prints it and halts: hop takes no interrupts, so any exception is a bug.
%include "x86.inc"

extern trap_dispatch
global trap_stubs

; vectors whose CPU-pushed frame carries an error code (SDM vol. 3, 6.13)
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
bits 64
%assign v 0
%rep 32
trap_stub_%+v:
%if !HAS_ERROR(v)
    push 0
%endif
    push v
    jmp trap_common
    align 16
%assign v v+1
%endrep

trap_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    and rsp, -16
    call trap_dispatch
.hang:
    cli
    hlt
    jmp .hang

section .rodata
align 8
trap_stubs:
%assign v 0
%rep 32
    dq trap_stub_%+v
%assign v v+1
%endrep
