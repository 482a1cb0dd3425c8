; hop's entry: both multiboot loaders jump here in 32-bit protected mode,
; paging off, EAX = magic, EBX = info.  We check the CPU, identity-map the
; first 4 GiB with 2 MiB pages (arch/x86_64/paging.c maps RAM above that
; once the memory map is known), enter long mode and call hop_main.
%include "x86.inc"

BOOT_STACK_SIZE equ 32768
LOW_MAP_GIB     equ 4               ; GiB identity-mapped before C

extern hop_main, __bss_start, __image_end
global hop_entry32, boot_pml4, boot_pdpt, boot_stack_top, gdt64, gdt64_ptr

section .text.entry
bits 32
hop_entry32:
    cli
    cld
    mov ebp, eax                    ; keep magic and info across bss zeroing
    mov esi, ebx
    mov edi, __bss_start            ; the loaders zero bss, but trust nothing
    mov ecx, __image_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov esp, boot_stack_top
    mov [boot_magic], ebp
    mov [boot_info], esi

    call check_cpu
    call build_low_map

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    lgdt [gdt64_ptr]
    jmp SEL_CODE64:long_mode

; Halts with a message unless the CPU has CPUID, PAE and long mode.
check_cpu:
    pushfd                          ; CPUID exists iff EFLAGS.ID can flip
    pop eax
    mov ecx, eax
    xor eax, EFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_cpuid
    mov eax, 1
    cpuid
    test edx, CPUID_FEAT_PAE
    jz .no_pae
    mov eax, CPUID_EXT_MAX
    cpuid
    cmp eax, CPUID_EXT_FEAT
    jb .no_long
    mov eax, CPUID_EXT_FEAT
    cpuid
    test edx, CPUID_EXT_LM
    jz .no_long
    ret
.no_cpuid:
    mov esi, msg_no_cpuid
    jmp fatal32
.no_pae:
    mov esi, msg_no_pae
    jmp fatal32
.no_long:
    mov esi, msg_no_long
    jmp fatal32

; PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages: 0..4 GiB.
build_low_map:
    mov eax, boot_pdpt
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pml4], eax
    xor ecx, ecx                    ; ecx = GiB index
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_low_pds
    mov edx, eax                    ; edx = this PD
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pdpt + ecx * 8], eax
    xor ebx, ebx                    ; ebx = entry in PD
.pd:
    mov eax, ecx
    shl eax, 9
    add eax, ebx                    ; 2 MiB page number
    mov edi, eax
    shl eax, 21
    shr edi, 11                     ; bits 32+ of the address
    or eax, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov [edx + ebx * 8], eax
    mov [edx + ebx * 8 + 4], edi
    inc ebx
    cmp ebx, 512
    jb .pd
    inc ecx
    cmp ecx, LOW_MAP_GIB
    jb .pdpt
    ret

; Prints the NUL-terminated string at ESI on COM1 and the VGA text screen,
; then halts for good.  Used only before long mode.
fatal32:
    mov dx, COM1 + 3                ; LCR: DLAB on, divisor 1 = 115200
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3                ; 8N1, DLAB off
    mov al, 3
    out dx, al
    mov edi, 0xB8000
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x4F                    ; white on red
    mov [edi], ax
    add edi, 2
    mov bl, al
    mov dx, COM1 + 5                ; LSR: wait for THR empty (bounded)
    mov ecx, 100000
.wait:
    in al, dx
    test al, 0x20
    jnz .send
    loop .wait
.send:
    mov dx, COM1
    mov al, bl
    out dx, al
    jmp .next
.halt:
    cli
    hlt
    jmp .halt

bits 64
long_mode:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    xor ebp, ebp
    mov edi, [boot_magic]
    mov esi, [boot_info]
    call hop_main
.hang:
    cli
    hlt
    jmp .hang

section .rodata
msg_no_cpuid: db "hop: fatal: this CPU has no CPUID instruction; hop needs an x86_64 CPU", 13, 10, 0
msg_no_pae:   db "hop: fatal: this CPU lacks PAE; hop needs an x86_64 CPU", 13, 10, 0
msg_no_long:  db "hop: fatal: this CPU has no long mode (not x86_64); hop cannot run", 13, 10, 0

align 16
gdt64:
    dq 0                            ; null
    dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, DPL 0
    dq 0x00CF92000000FFFF           ; 0x10: flat data
    dq 0x00CF9A000000FFFF           ; 0x18: 32-bit flat code (hand-offs)
gdt64_end:
gdt64_ptr:
    dw gdt64_end - gdt64 - 1
    dq gdt64

section .bss
alignb 4096
boot_pml4:      resb 4096
boot_pdpt:      resb 4096
boot_low_pds:   resb 4096 * LOW_MAP_GIB
alignb 16
boot_stack:     resb BOOT_STACK_SIZE
boot_stack_top:
boot_magic:     resd 1
boot_info:      resd 1
