; The real-mode part of the linuxcheck bzImages, and the whole file: boot
; sector, setup header, real-mode setup code, then the protected-mode part
; (LC_PM_BIN, built from head.asm + check.c) appended with incbin.
;
; A loader speaking the 32/64-bit boot protocol (hop, later) reads only the
; setup header from here and loads the protected-mode part itself.  The
; setup code below is for loaders that run the real-mode kernel instead:
; QEMU's own -kernel (its linuxboot option ROM jumps to setup + 0x200 in real
; mode, boot.rst "Running the Kernel").  It does, in miniature, what Linux's
; setup does: builds boot_params from the header the loader filled in plus
; the BIOS e820 map, enters protected mode (and, for the 64-bit variants,
; long mode on an identity map of the first 4 GiB), and jumps to the
; kernel's entry with ESI/RSI = boot_params.
;
; Layout of the real-mode segment X (boot.rst, "Memory Layout"): the code up
; to X + 0xa00, page tables at X + 0x1000, boot_params at X + 0x8000, stack
; below X + 0xe000 (boot.rst's sample heap end).
%include "linuxcheck.inc"

bits 16
org 0

LC_PT_OFF        equ 0x1000   ; PML4, PDPT, 4 page directories
LC_PT_PAGES      equ 6
LC_BP_OFF        equ 0x8000   ; struct boot_params (zero-page.rst), 4 KiB
LC_BP_SIZE       equ 4096
LC_STACK_TOP     equ 0xe000
LC_REAL_CS_DELTA equ 0x20     ; the loader enters at segment X/16 + 0x20

; zero-page.rst: boot_params fields the setup fills
BP_E820_ENTRIES  equ 0x1e8
BP_E820_TABLE    equ 0x2d0
E820_ENTRY_SIZE  equ 20
E820_MAX         equ 128
E820_SMAP        equ 0x534d4150   ; "SMAP"
BIOS_E820        equ 0xe820
HDR_START        equ 0x1f1
HDR_JUMP_BASE    equ 0x202
HDR_CODE32_START equ 0x214
HDR_SYSSIZE      equ 0x1f4

CR0_PE           equ 1 << 0
CR0_PG           equ 1 << 31
CR4_PAE          equ 1 << 5
MSR_EFER         equ 0xc0000080
EFER_LME         equ 1 << 8
PTE_PRESENT_RW   equ 0x3
PDE_2M           equ 0x83         ; present, writable, page size
PAGE_2M          equ 0x200000
FAST_A20_PORT    equ 0x92
FAST_A20_ENABLE  equ 1 << 1
FAST_A20_RESET   equ 1 << 0

; --- the boot sector: not bootable by itself ------------------------------
boot_sector:
    cli
.halt:
    hlt
    jmp .halt
    times HDR_START - ($ - $$) db 0

; --- the setup header (boot.rst, "The Real-Mode Kernel Header") -------------
hdr:
setup_sects:        db LC_SETUP_SECTS
root_flags:         dw 0
syssize:            dd (pm_end - pm_start) / 16
ram_size:           dw 0
vid_mode:           dw 0xffff            ; "normal"
root_dev:           dw 0
boot_flag:          dw 0xaa55
jump:               db 0xeb, setup_start - HDR_JUMP_BASE
header:             db "HdrS"
version:            dw LC_PROTOCOL
realmode_swtch:     dd 0
start_sys_seg:      dw 0x1000
kernel_version:     dw kernel_version_string - 0x200
type_of_loader:     db 0
loadflags:          db LOADED_HIGH
setup_move_size:    dw 0
code32_start:       dd LC_LOAD_ADDRESS
ramdisk_image:      dd 0
ramdisk_size:       dd 0
bootsect_kludge:    dd 0
heap_end_ptr:       dw 0
ext_loader_ver:     db 0
ext_loader_type:    db 0
cmd_line_ptr:       dd 0
initrd_addr_max:    dd LC_INITRD_ADDR_MAX
kernel_alignment:   dd LC_KERNEL_ALIGNMENT
relocatable_kernel: db LC_RELOCATABLE
min_alignment:      db LC_MIN_ALIGNMENT_LOG2
xloadflags:         dw LC_XLOADFLAGS
cmdline_size:       dd LC_CMDLINE_SIZE
hardware_subarch:   dd 0
hardware_subarch_data: dq 0
payload_offset:     dd 0                 ; nothing compressed inside
payload_length:     dd 0
setup_data:         dq 0
pref_address:       dq LC_PREF_ADDRESS
init_size:          dd ((pm_end - pm_start + LC_PAGE_SIZE - 1) & ~(LC_PAGE_SIZE - 1)) + LC_INIT_EXTRA
handover_offset:    dd 0
kernel_info_offset: dd LC_KERNEL_INFO_OFFSET
setup_start:                             ; the header ends here

; --- real mode: entered at X/16 + 0x20 : 0 with DS = ES = SS = X/16 ----------
    cli
    cld
    mov ax, cs
    sub ax, LC_REAL_CS_DELTA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, LC_STACK_TOP
    push ax                              ; CS = X/16, IP = this file's offsets
    push word .normalized
    retf
.normalized:
    ; boot_params: zeroed, then the setup header as the loader left it
    mov di, LC_BP_OFF
    mov cx, LC_BP_SIZE / 2
    xor ax, ax
    rep stosw
    mov si, HDR_START
    mov di, LC_BP_OFF + HDR_START
    movzx cx, byte [jump + 1]
    add cx, HDR_JUMP_BASE - HDR_START
    rep movsb

    ; the BIOS memory map into boot_params.e820_table
    xor ebx, ebx
    xor bp, bp
    mov di, LC_BP_OFF + BP_E820_TABLE
.e820:
    mov eax, BIOS_E820
    mov edx, E820_SMAP
    mov ecx, E820_ENTRY_SIZE
    int 0x15
    jc .e820_done
    cmp eax, E820_SMAP
    jne .e820_done
    add di, E820_ENTRY_SIZE
    inc bp
    cmp bp, E820_MAX
    jae .e820_done
    test ebx, ebx
    jnz .e820
.e820_done:
    mov ax, bp
    mov [LC_BP_OFF + BP_E820_ENTRIES], al

    ; A20 on (port 0x92), then protected mode on our GDT, whose base and the
    ; far pointers' offsets are linear: patched with X now
    in al, FAST_A20_PORT
    or al, FAST_A20_ENABLE
    and al, ~FAST_A20_RESET & 0xff
    out FAST_A20_PORT, al
    mov ax, ds
    movzx ebx, ax
    shl ebx, 4                           ; EBX = X, kept to the end
    add [gdt_desc + 2], ebx
    add [pm32_ptr], ebx
    add [lm64_ptr], ebx
    lgdt [gdt_desc]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp far dword [pm32_ptr]

; --- 32-bit protected mode, EBX = X -----------------------------------------
bits 32
pm32:
    mov ax, BOOT_DS
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    lea esp, [ebx + LC_STACK_TOP]
    lea esi, [ebx + msg_enter]
    call puts32
    lea esi, [ebx + LC_BP_OFF]           ; ESI = boot_params from here on
%ifdef LC_MOVE_TO
    ; Test-only variants: act as a relocating loader would, moving the
    ; protected-mode part from where QEMU put it to LC_MOVE_TO (which must
    ; not overlap it) and saying so in code32_start (boot.rst, field
    ; relocatable_kernel: "the boot loader must set the code32_start field").
    push esi
    mov ecx, [esi + HDR_SYSSIZE]
    shl ecx, 4
    mov edi, LC_MOVE_TO
    mov esi, [esi + HDR_CODE32_START]
    rep movsb
    pop esi
    mov dword [esi + HDR_CODE32_START], LC_MOVE_TO
%endif
%if LC_KERNEL64
    ; identity map of [0, 4 GiB) with 2 MiB pages: PML4 -> PDPT -> 4 PDs
    lea edi, [ebx + LC_PT_OFF]
    mov ecx, LC_PT_PAGES * LC_PAGE_SIZE / 4
    xor eax, eax
    rep stosd
    lea edi, [ebx + LC_PT_OFF]
    lea eax, [edi + LC_PAGE_SIZE + PTE_PRESENT_RW]
    mov [edi], eax                       ; PML4[0] -> PDPT
    lea edx, [edi + LC_PAGE_SIZE]
    lea eax, [edi + 2 * LC_PAGE_SIZE + PTE_PRESENT_RW]
    mov ecx, 4
.pdpt:
    mov [edx], eax                       ; PDPT[i] -> PD i
    add eax, LC_PAGE_SIZE
    add edx, 8
    loop .pdpt
    lea edx, [edi + 2 * LC_PAGE_SIZE]
    mov eax, PDE_2M
    mov ecx, 4 * 512
.pd:
    mov [edx], eax
    add eax, PAGE_2M
    add edx, 8
    loop .pd
    mov cr3, edi
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp far dword [ebx + lm64_ptr]

bits 64
lm64:
    mov esi, esi                         ; the upper halves are undefined
    mov esp, esp
    mov ax, BOOT_DS
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, [rsi + HDR_CODE32_START]
    add rax, LC_ENTRY64_OFFSET
    xor ebx, ebx
    xor edi, edi
    xor ebp, ebp
    jmp rax
%else
    ; "32-bit Boot Protocol": EBX = EDI = EBP = 0, enter at code32_start
    mov eax, [esi + HDR_CODE32_START]
    xor ebx, ebx
    xor edi, edi
    xor ebp, ebp
    jmp eax
%endif

bits 32
puts32:                                  ; prints [ESI] to COM1
    mov dx, COM1
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    ret

align 8
gdt:
    dq 0                                 ; null
    dq 0x00cf9a000000ffff                ; 0x08: 32-bit code, flat
%if LC_KERNEL64
    dq 0x00af9a000000ffff                ; 0x10 __BOOT_CS: 64-bit code
%else
    dq 0x00cf9a000000ffff                ; 0x10 __BOOT_CS: 32-bit code, flat
%endif
    dq 0x00cf92000000ffff                ; 0x18 __BOOT_DS: data, flat
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt                               ; + X
%if LC_KERNEL64
pm32_ptr:   dd pm32                      ; + X; via the 32-bit code segment
            dw 0x08
%else
pm32_ptr:   dd pm32                      ; + X; straight into __BOOT_CS
            dw BOOT_CS
%endif
%if LC_KERNEL64
lm64_ptr:   dd lm64                      ; + X
            dw BOOT_CS
%else
lm64_ptr:   dd 0                         ; unused by the 32-bit variant
            dw 0
%endif

%if LC_KERNEL64
msg_enter:  db "linuxcheck-setup: real-mode setup done, entering the 64-bit entry", 13, 10, 0
%else
msg_enter:  db "linuxcheck-setup: real-mode setup done, entering the 32-bit entry", 13, 10, 0
%endif
kernel_version_string: db "linuxcheck (hop test kernel)", 0

    times (LC_SETUP_SECTS + 1) * LC_SECTOR_SIZE - ($ - $$) db 0

; --- the protected-mode part ---------------------------------------------------
pm_start:
    incbin LC_PM_BIN
    align 16, db 0                       ; syssize counts whole paragraphs
pm_end:
