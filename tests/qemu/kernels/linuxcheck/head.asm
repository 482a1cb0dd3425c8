; The start of the linuxcheck kernels' protected-mode part: the entries a
; loader jumps to (boot.rst, "32-bit Boot Protocol" and "64-bit Boot
; Protocol"), the kernel_info, and what the checks in check.c expect of the
; header.  Each entry records the CPU state it was given in lc_entry before
; it changes anything, sets up a stack and calls lc_main.
;
;   offset 0x000  startup_32.  LC_KERNEL64=0: the kernel's entry, linked at
;                 1 MiB (code32_start).  LC_KERNEL64=1: a 64-bit image
;                 entered here by mistake: prints a FAIL line and exits.
;   offset 0x200  startup_64 (LC_KERNEL64=1): position-independent.
;   offset 0x300  kernel_info ("LToP")
%include "linuxcheck.inc"

; boot_params.scratch (zero-page.rst 0x1e4): 4 bytes a 32-bit entry may use
; as a stack before it has one, to learn its own address by call/pop.
BP_SCRATCH      equ 0x1e4

; struct lc_entry (check.c): every field a u64
E_BP            equ 0
E_BASE          equ 8
E_FLAGS         equ 16
E_EBX           equ 24
E_EDI           equ 32
E_EBP           equ 40
E_CS            equ 48
E_DS            equ 56
E_ES            equ 64
E_SS            equ 72
E_BITS          equ 80
E_ENTRY         equ 88
E_SIZE          equ 96

LC_STACK_SIZE   equ 16384

global startup_32, lc_entry, lc_expect, lc_stack_top
extern lc_main

section .head progbits alloc exec nowrite align=16
bits 32
startup_32:
    cli
%if LC_KERNEL64
    lea esp, [esi + BP_SCRATCH + 4]
    call .here
.here:
    pop ebx
    lea esi, [ebx + msg_wrong_entry - .here]
    mov dx, COM1
.putc:
    lodsb
    test al, al
    jz .exit
    out dx, al
    jmp .putc
.exit:
    mov eax, HOP_EXIT_FAIL
    out DEBUG_EXIT_PORT, eax
.halt:
    hlt
    jmp .halt
msg_wrong_entry:
    db "linuxcheck: FAIL entered at the 32-bit entry (offset 0) of a 64-bit image", 13, 10
    db "tk: 1 checks, 1 failed: FAIL", 13, 10, 0
%else
    ; Linked at 1 MiB; before using an absolute address, learn where we run
    ; (EAX and ESP are the only registers the protocol leaves to us).
    lea esp, [esi + BP_SCRATCH + 4]
    call .here
.here:
    pop eax
    sub eax, .here - startup_32          ; EAX = where we really are
    cmp eax, startup_32
    jne .misplaced
    mov [lc_entry + E_BP], esi
    mov [lc_entry + E_EBX], ebx
    mov [lc_entry + E_EDI], edi
    mov [lc_entry + E_EBP], ebp
    mov [lc_entry + E_BASE], eax
    mov dword [lc_entry + E_ENTRY], startup_32
    mov dword [lc_entry + E_BITS], 32
    mov esp, lc_stack_top
    pushfd
    pop eax
    mov [lc_entry + E_FLAGS], eax
    mov ax, cs
    mov [lc_entry + E_CS], ax
    mov ax, ds
    mov [lc_entry + E_DS], ax
    mov ax, es
    mov [lc_entry + E_ES], ax
    mov ax, ss
    mov [lc_entry + E_SS], ax
    call lc_main
.halt:
    cli
    hlt
    jmp .halt
.misplaced:                              ; position-independent from here
    lea esi, [eax + msg_misplaced - startup_32]
    mov dx, COM1
.putc:
    lodsb
    test al, al
    jz .exit
    out dx, al
    jmp .putc
.exit:
    mov eax, HOP_EXIT_FAIL
    out DEBUG_EXIT_PORT, eax
    jmp .halt
msg_misplaced:
    db "linuxcheck: FAIL the 32-bit kernel runs away from code32_start 0x100000", 13, 10
    db "tk: 1 checks, 1 failed: FAIL", 13, 10, 0
%endif

    times LC_ENTRY64_OFFSET - ($ - $$) db 0
%if LC_KERNEL64
bits 64
startup_64:
    lea rsp, [rel lc_stack_top]          ; leaves the flags alone
    pushfq
    pop rax
    mov [rel lc_entry + E_FLAGS], rax
    mov [rel lc_entry + E_BP], rsi
    mov [rel lc_entry + E_EBX], rbx
    mov [rel lc_entry + E_EDI], rdi
    mov [rel lc_entry + E_EBP], rbp
    mov ax, cs
    mov [rel lc_entry + E_CS], ax
    mov ax, ds
    mov [rel lc_entry + E_DS], ax
    mov ax, es
    mov [rel lc_entry + E_ES], ax
    mov ax, ss
    mov [rel lc_entry + E_SS], ax
    lea rax, [rel startup_32]
    mov [rel lc_entry + E_BASE], rax
    lea rax, [rel startup_64]
    mov [rel lc_entry + E_ENTRY], rax
    mov qword [rel lc_entry + E_BITS], 64
    call lc_main
.halt:
    cli
    hlt
    jmp .halt
%endif

    times LC_KERNEL_INFO_OFFSET - ($ - $$) db 0
kernel_info:
    dd LC_KERNEL_INFO_MAGIC
    dd LC_KERNEL_INFO_SIZE               ; size
    dd kernel_info_end - kernel_info     ; size_total
    dd LC_SETUP_TYPE_MAX
kernel_info_end:

; What check.c compares the loader's boot_params header with (struct
; lc_expect): the values setup.asm wrote into this image's header.
section .rodata
align 8
lc_expect:
    dq LC_PREF_ADDRESS
    dd LC_PROTOCOL
    dd LC_XLOADFLAGS
    dd LC_RELOCATABLE
    dd LC_KERNEL_ALIGNMENT
    dd LC_MIN_ALIGNMENT_LOG2
    dd LC_KERNEL_INFO_OFFSET
    dd LC_INIT_EXTRA
    dd LC_LOAD_ADDRESS
    dd LC_INITRD_ADDR_MAX
    dd LC_CMDLINE_SIZE

section .bss
align 16
lc_entry:
    resb E_SIZE
lc_stack:
    resb LC_STACK_SIZE
lc_stack_top:
