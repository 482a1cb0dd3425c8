; The multiboot1 and multiboot2 headers, first in the image (.multiboot is
; placed first by linker.ld): the multiboot1 header must lie in the first
; 8 KiB, the multiboot2 one in the first 32 KiB.
%include "multiboot.inc"

extern __image_start, __load_end, __image_end, hop_entry32

section .multiboot
align 4
mb1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO | MB1_FLAG_AOUT_KLUDGE
    dd -(MB1_HEADER_MAGIC + (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO | MB1_FLAG_AOUT_KLUDGE))
    ; a.out kludge: QEMU's -kernel refuses ELF64 multiboot images without it
    dd mb1_header           ; header_addr
    dd __image_start        ; load_addr
    dd __load_end           ; load_end_addr
    dd __image_end          ; bss_end_addr
    dd hop_entry32          ; entry_addr

align 8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    align 8
.info_request:
    dw MB2_TAG_INFO_REQUEST, MB2_TAG_OPTIONAL
    dd .info_request_end - .info_request
    dd MB2_INFO_MMAP, MB2_INFO_EFI_MMAP, MB2_INFO_ACPI_NEW, MB2_INFO_ACPI_OLD
    dd MB2_INFO_FRAMEBUFFER
.info_request_end:

    align 8
.module_align:                          ; modules page-aligned
    dw MB2_TAG_MODULE_ALIGN, MB2_TAG_OPTIONAL
    dd 8

    align 8
.end:
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:
