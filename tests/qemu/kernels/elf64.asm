; elf64: a plain ELF64 test kernel (no multiboot header, no notes), so hop
; boots it by its "plain ELF" protocol: long mode on hop's identity map,
; RAX = the multiboot2 magic, RBX = RDI = a multiboot2 info block
; (docs/protocols.md).  It checks, from inside the guest, that it runs in
; 64-bit mode with paging on, that the registers are as documented, that
; interrupts are off and that the info block is sane (total_size, an end
; tag, a memory map tag), prints "elf64: ... PASS" or the failed check, and
; exits through QEMU's debug port (0 pass, 1 fail).
bits 64
default rel

MB2_MAGIC       equ 0x36d76289
MB2_TAG_END     equ 0
MB2_TAG_MMAP    equ 6
MSR_EFER        equ 0xC0000080
EFER_LMA        equ 1 << 10
CR0_PG          equ 1 << 31
RFLAGS_IF       equ 1 << 9
COM1            equ 0x3F8
DEBUG_EXIT      equ 0xf4

section .text
global _start
_start:
    cli
    lea rsp, [stack_top]
    mov r12, rax                    ; keep the entry registers
    mov r13, rbx
    mov r14, rdi
    pushfq
    pop r15

    lea rsi, [msg_magic]
    cmp r12d, MB2_MAGIC
    jne fail
    lea rsi, [msg_regs]
    cmp r13, r14
    jne fail
    test r13, r13
    jz fail
    lea rsi, [msg_if]
    test r15, RFLAGS_IF
    jnz fail
    lea rsi, [msg_mode]
    mov ecx, MSR_EFER
    rdmsr
    test eax, EFER_LMA
    jz fail
    mov rax, cr0
    test eax, CR0_PG
    jz fail

    ; the info: u32 total_size, u32 reserved, then 8-aligned tags to END
    lea rsi, [msg_info]
    mov ecx, [r13]                  ; total_size
    cmp ecx, 16
    jb fail
    lea rbx, [r13 + 8]
    lea rdx, [r13 + rcx]            ; end of the block
    xor r8d, r8d                    ; saw a memory map
.tag:
    cmp rbx, rdx
    jae fail                        ; ran off the end without an END tag
    mov eax, [rbx]
    cmp eax, MB2_TAG_END
    je .tags_done
    cmp eax, MB2_TAG_MMAP
    jne .next
    mov r8d, 1
.next:
    mov eax, [rbx + 4]
    cmp eax, 8
    jb fail
    add eax, 7
    and eax, ~7
    add rbx, rax
    jmp .tag
.tags_done:
    lea rsi, [msg_mmap]
    test r8d, r8d
    jz fail

    lea rsi, [msg_pass]
    call puts
    xor eax, eax
    jmp exit

fail:                               ; RSI names the failed check
    push rsi
    lea rsi, [msg_fail]
    call puts
    pop rsi
    call puts
    lea rsi, [msg_eol]
    call puts
    mov eax, 1
exit:
    mov dx, DEBUG_EXIT
    out dx, eax
.halt:
    hlt
    jmp .halt

puts:
    lodsb
    test al, al
    jz .done
    mov dx, COM1
    out dx, al
    jmp puts
.done:
    ret

section .rodata
msg_pass:  db "elf64: long mode, paging on, RAX magic, RBX=RDI info, IF=0, info sane: PASS", 13, 10, 0
msg_fail:  db "elf64: FAIL ", 0
msg_eol:   db 13, 10, 0
msg_magic: db "RAX is not the multiboot2 magic", 0
msg_regs:  db "RBX and RDI differ or are 0", 0
msg_if:    db "interrupts enabled", 0
msg_mode:  db "not in long mode with paging", 0
msg_info:  db "info block malformed", 0
msg_mmap:  db "no memory map tag", 0

section .bss
align 16
    resb 8192
stack_top:
