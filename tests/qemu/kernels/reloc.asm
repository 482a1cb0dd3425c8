; A relocatable multiboot2 test kernel (flat binary, position-independent).
; Its header carries the address tag (load the file as it is), the entry
; address tag and the relocatable tag (10) with min/max/align/preference set
; at build time (-D RELOC_MIN=... etc.).  At run time it finds where it
; really runs (call/pop), finds the load-base tag (21) in the info, and
; checks that they agree, that the base is aligned and inside [min, max],
; printing "reloc: base 0x... (tag 0x...)" and exiting 0 (pass) or 1.
%include "multiboot.inc"

%ifndef RELOC_MIN
%define RELOC_MIN 0x2000000
%endif
%ifndef RELOC_MAX
%define RELOC_MAX 0x6000000
%endif
%ifndef RELOC_ALIGN
%define RELOC_ALIGN 0x200000
%endif
%ifndef RELOC_PREF
%define RELOC_PREF 2                ; 0 none, 1 low, 2 high
%endif

LINK_BASE           equ 0x100000    ; where the file says it goes
MB2_TAG_ADDRESS     equ 2
MB2_TAG_ENTRY       equ 3
MB2_TAG_RELOCATABLE equ 10
MB2_INFO_LOAD_BASE  equ 21
COM1                equ 0x3F8
DEBUG_EXIT          equ 0xf4

bits 32
org LINK_BASE
image_start:
align 8
mb2_header:
    dd MB2_HEADER_MAGIC, MB2_ARCH_I386, mb2_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_end - mb2_header))
    align 8
    dw MB2_TAG_ADDRESS, 0
    dd 24
    dd mb2_header, image_start, image_end, bss_end
    align 8
    dw MB2_TAG_ENTRY, 0
    dd 12
    dd entry
    align 8
    dw MB2_TAG_RELOCATABLE, 0
    dd 24
    dd RELOC_MIN, RELOC_MAX, RELOC_ALIGN, RELOC_PREF
    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_end:

entry:
    cli
    mov esi, ebx                    ; info
    call .here
.here:
    pop ebp
    sub ebp, .here - image_start    ; ebp = where the image really is
    lea esp, [ebp + stack_top - image_start]
    mov edi, 1                      ; result: fail until proven
    cmp eax, MB2_BOOTLOADER_MAGIC_VALUE
    jne .report
    ; walk the tags for the load base
    lea ebx, [esi + 8]
    xor ecx, ecx                    ; the tag's base, 0 if absent
.tag:
    mov eax, [ebx]
    test eax, eax
    jz .tags_done
    cmp eax, MB2_INFO_LOAD_BASE
    jne .next
    mov ecx, [ebx + 8]
.next:
    mov eax, [ebx + 4]
    add eax, 7
    and eax, ~7
    add ebx, eax
    jmp .tag
.tags_done:
    cmp ecx, ebp
    jne .report
    test ebp, RELOC_ALIGN - 1
    jnz .report
    cmp ebp, RELOC_MIN
    jb .report
    lea eax, [ebp + image_size]
    cmp eax, RELOC_MAX
    ja .report
    xor edi, edi                    ; pass
.report:
    lea esi, [ebp + msg_base - image_start]
    call puts
    mov eax, ebp
    call puthex
    lea esi, [ebp + msg_tag - image_start]
    call puts
    mov eax, ecx
    call puthex
    lea esi, [ebp + msg_ok - image_start]
    test edi, edi
    jz .say
    lea esi, [ebp + msg_bad - image_start]
.say:
    call puts
    mov eax, edi
    mov dx, DEBUG_EXIT
    out dx, eax
.halt:
    hlt
    jmp .halt

puts:                               ; ESI: NUL-terminated
    lodsb
    test al, al
    jz .done
    mov dx, COM1
    out dx, al
    jmp puts
.done:
    ret

puthex:                             ; EAX as 8 hex digits
    push ecx
    mov ebx, eax
    mov ecx, 8
.digit:
    rol ebx, 4
    mov al, bl
    and al, 0xF
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    mov dx, COM1
    out dx, al
    dec ecx
    jnz .digit
    pop ecx
    ret

MB2_BOOTLOADER_MAGIC_VALUE equ 0x36d76289
msg_base: db "reloc: base 0x", 0
msg_tag:  db " (tag 0x", 0
msg_ok:   db ") PASS", 13, 10, 0
msg_bad:  db ") FAIL", 13, 10, 0
image_end:
image_size equ image_end - image_start
    times 4096 db 0                 ; stack (beyond load_end: zeroed, not loaded)
stack_top:
bss_end:
