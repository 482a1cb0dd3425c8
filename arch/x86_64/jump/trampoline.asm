; The relocation trampoline.  tramp.c copies this blob into a control page
; that is neither a destination nor live, and jumps to it in long mode with
; RDI = struct tramp_params.  It switches to its own GDT, page tables and
; stack (all in control pages), runs the op list the C planner made (copy
; with memmove semantics, zero, verify a CRC32C), then sets the CPU state the
; protocol wants and jumps to the kernel.  Position-independent; no decisions.
; It records TSC stamps in the params (start; after each COPY, ZERO and
; VERIFY, so the last one of each kind stays) for make bench.
%include "x86.inc"
%include "tramp.inc"

%macro STAMP 1                      ; [rbp + %1] = TSC; clobbers rax, rdx
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov [rbp + %1], rax
%endmacro

global tramp_blob_start, tramp_blob_end

section .rodata
bits 64
align 16
tramp_blob_start:
    cli
    cld
    mov rbp, rdi
    lgdt [rbp + P_GDTR]
    mov rax, [rbp + P_CR3]
    mov cr3, rax
    mov rsp, [rbp + P_STACK]
    lea rax, [rel .new_cs]
    push TSEL_CODE64
    push rax
    retfq
.new_cs:
    mov eax, TSEL_DATA
    mov ds, eax
    mov es, eax
    mov ss, eax
    mov fs, eax
    mov gs, eax
    mov rax, cr4                    ; no global pages: every TLB entry goes
    and rax, ~CR4_PGE
    mov cr4, rax
    mov rax, cr0                    ; writes to any page, whatever its flags
    and rax, ~CR0_WP
    mov cr0, rax

    STAMP P_TSC_START
    mov [rbp + P_TSC_COPIED], rax
    mov [rbp + P_TSC_ZEROED], rax
    mov [rbp + P_TSC_VERIFIED], rax
    mov rbx, [rbp + P_OPS]
.next_op:
    mov rax, [rbx + OP_KIND]
    cmp rax, OP_COPY
    je .copy
    cmp rax, OP_ZERO
    je .zero
    cmp rax, OP_VERIFY
    je .verify
    jmp .handoff                    ; OP_END (or anything unknown)
.advance:
    add rbx, OP_SIZE
    jmp .next_op

; memmove: forward unless the destination starts inside the source
.copy:
    mov rdi, [rbx + OP_DST]
    mov rsi, [rbx + OP_SRC]
    mov rcx, [rbx + OP_LEN]
    cmp rdi, rsi
    jbe .copy_forward
    lea rax, [rsi + rcx]
    cmp rdi, rax
    jae .copy_forward
    mov rdx, rcx                    ; backward: qwords from the top down,
    and rdx, 7                      ; then the rdx leading bytes
    shr rcx, 3
    lea rax, [rdx + rcx * 8 - 8]
    add rsi, rax
    add rdi, rax
    std
    rep movsq
    add rsi, 7
    add rdi, 7
    mov rcx, rdx
    rep movsb
    cld
    jmp .copied
.copy_forward:
    mov rdx, rcx
    shr rcx, 3
    rep movsq
    mov rcx, rdx
    and rcx, 7
    rep movsb
.copied:
    STAMP P_TSC_COPIED
    jmp .advance

.zero:
    mov rdi, [rbx + OP_DST]
    mov rcx, [rbx + OP_LEN]
    mov rdx, rcx
    xor eax, eax
    shr rcx, 3
    rep stosq
    mov rcx, rdx
    and rcx, 7
    rep stosb
    STAMP P_TSC_ZEROED
    jmp .advance

; CRC32C (Castagnoli) of [dst, dst+len), compared with the planner's value
.verify:
    mov rsi, [rbx + OP_DST]
    mov rcx, [rbx + OP_LEN]
    mov eax, 0xFFFFFFFF
    test qword [rbp + P_FLAGS], FLAG_HW_CRC32C
    jz .crc_soft
    mov rdx, rcx
    shr rcx, 3
    jz .crc_hw_tail
.crc_hw_qwords:
    crc32 rax, qword [rsi]
    add rsi, 8
    dec rcx
    jnz .crc_hw_qwords
.crc_hw_tail:
    and rdx, 7
    jz .crc_done
.crc_hw_bytes:
    crc32 eax, byte [rsi]
    inc rsi
    dec rdx
    jnz .crc_hw_bytes
    jmp .crc_done
.crc_soft:                          ; table-driven, one byte at a time
    mov r8, [rbp + P_CRC_TABLE]
    test rcx, rcx
    jz .crc_done
.crc_soft_byte:
    movzx edx, byte [rsi]
    xor dl, al
    shr eax, 8
    xor eax, [r8 + rdx * 4]
    inc rsi
    dec rcx
    jnz .crc_soft_byte
.crc_done:
    not eax
    cmp eax, [rbx + OP_SRC]
    jne .verify_failed
    STAMP P_TSC_VERIFIED
    jmp .advance
.verify_failed:
    mov [rbp + P_FAILED_OP], rbx
    jmp verify_failed

.handoff:
    push 2                          ; RFLAGS: IF=0, DF=0
    popfq
    cmp qword [rbp + P_MODE], MODE_LONG
    jne .to_prot32
    push qword [rbp + P_ENTRY]
    mov rax, [rbp + P_RAX]
    mov rbx, [rbp + P_RBX]
    mov rcx, [rbp + P_RCX]
    mov rdx, [rbp + P_RDX]
    mov rsi, [rbp + P_RSI]
    mov rdi, [rbp + P_RDI]
    xor r8, r8
    xor r9, r9
    xor r10, r10
    xor r11, r11
    xor r12, r12
    xor r13, r13
    xor r14, r14
    xor r15, r15
    mov rbp, [rbp + P_RBP]
    ret

.to_prot32:                         ; via compatibility mode (SDM 9.8.5.4)
    lea rax, [rel .compat]
    push TSEL_CODE32
    push rax
    retfq
bits 32
.compat:
    mov eax, cr0                    ; paging off: we run identity-mapped
    and eax, ~CR0_PG
    mov cr0, eax
    mov ecx, MSR_EFER
    rdmsr
    and eax, ~EFER_LME
    wrmsr
    mov eax, cr4
    and eax, ~(CR4_PAE | CR4_PGE)
    mov cr4, eax
    xor eax, eax
    mov cr3, eax
    mov esp, [ebp + P_STACK]
    cmp dword [ebp + P_MODE], MODE_LINUX32
    jne .cs_done
    mov eax, [ebp + P_GDTR + 2]     ; the GDT (below 4 GiB): 0x10 becomes 32-bit code
    mov dword [eax + TSEL_CODE64], GDT_CODE32_LOW
    mov dword [eax + TSEL_CODE64 + 4], GDT_CODE32_HIGH
    call .here                      ; position-independent far return to CS = 0x10
.here:
    pop eax
    add eax, .cs_done - .here
    push dword TSEL_CODE64
    push eax
    retf
.cs_done:
    push dword [ebp + P_ENTRY]
    mov eax, [ebp + P_RAX]
    mov ebx, [ebp + P_RBX]
    mov ecx, [ebp + P_RCX]
    mov edx, [ebp + P_RDX]
    mov esi, [ebp + P_RSI]
    mov edi, [ebp + P_RDI]
    mov ebp, [ebp + P_RBP]
    ret

bits 64
; Prints "hop: trampoline: verify failed at DST +LEN" on COM1 and halts (after
; reporting on QEMU's exit port when asked).  RBX = the failing op.
verify_failed:
    lea rsi, [rel msg_verify]
    call .puts
    mov rax, [rbx + OP_DST]
    call .puthex
    lea rsi, [rel msg_len]
    call .puts
    mov rax, [rbx + OP_LEN]
    call .puthex
    lea rsi, [rel msg_eol]
    call .puts
    test qword [rbp + P_FLAGS], FLAG_DEBUG_EXIT
    jz .halt
    mov dx, 0xf4
    mov eax, HOP_EXIT_VERIFY
    out dx, eax
.halt:
    cli
    hlt
    jmp .halt
.puts:                              ; RSI = NUL-terminated string
    lodsb
    test al, al
    jz .puts_done
    call .putc
    jmp .puts
.puts_done:
    ret
.puthex:                            ; RAX as 16 hex digits
    mov rdi, rax
    mov ecx, 16
.hex_digit:
    rol rdi, 4
    mov eax, edi
    and eax, 0xF
    add al, '0'
    cmp al, '9'
    jbe .hex_out
    add al, 'a' - '9' - 1
.hex_out:
    call .putc
    dec ecx
    jnz .hex_digit
    ret
.putc:                              ; AL to COM1, waiting (bounded) for room
    push rcx
    push rdx
    mov ah, al
    mov ecx, 100000
    mov dx, COM1 + 5
.putc_wait:
    in al, dx
    test al, 0x20
    jnz .putc_send
    dec ecx
    jnz .putc_wait
.putc_send:
    mov al, ah
    mov dx, COM1
    out dx, al
    pop rdx
    pop rcx
    ret

msg_verify: db 13, 10, "hop: trampoline: verify failed at 0x", 0
msg_len:    db " length 0x", 0
msg_eol:    db " (destination corrupted after the moves)", 13, 10, 0
tramp_blob_end:
