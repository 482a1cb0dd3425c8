; Entry of our test kernels (32-bit, multiboot1 and multiboot2 headers).
; The loader jumps here in protected mode with EAX = magic, EBX = info.
%include "multiboot.inc"

extern tk_main, __tk_start, __tk_load_end, __tk_end
global tk_entry, tk_stack_top

TK_STACK_SIZE equ 16384

section .multiboot
align 4
mb1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO | MB1_FLAG_AOUT_KLUDGE
    dd -(MB1_HEADER_MAGIC + (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO | MB1_FLAG_AOUT_KLUDGE))
    dd mb1_header, __tk_start, __tk_load_end, __tk_end, tk_entry

align 8
mb2_header:
    dd MB2_HEADER_MAGIC, MB2_ARCH_I386, mb2_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_end - mb2_header))
    align 8
    dw MB2_TAG_MODULE_ALIGN, MB2_TAG_OPTIONAL
    dd 8
    align 8
mb2_info_request:                   ; the memory map, optional (tests patch it)
    dw MB2_TAG_INFO_REQUEST, MB2_TAG_OPTIONAL
    dd 12
    dd MB2_INFO_MMAP
    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_end:

section .text
bits 32
tk_entry:
    cli
    cld
    mov esp, tk_stack_top
    push ebx
    push eax
    call tk_main
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
tk_stack: resb TK_STACK_SIZE
tk_stack_top:
