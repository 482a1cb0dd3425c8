/* A synthetic bzImage for the tests (boot sector, setup header, a
 * protected-mode part with a kernel_info): build_valid() makes a valid
 * protocol 2.15 image, relocatable and 64-bit, in img[0, img_size); the
 * put* helpers damage or change one field.  Header-only: each test binary
 * is built from its one .c file. */
#ifndef HOP_TEST_BZIMAGE_FIXTURE_H
#define HOP_TEST_BZIMAGE_FIXTURE_H

#include <string.h>

#include "parse/bzimage.h"

#define IMG_CAP 0x40000
#define IMG_SETUP_SECTS 4
#define IMG_SETUP_SIZE ((IMG_SETUP_SECTS + 1) * BZ_SECTOR_SIZE)
#define IMG_PM_SIZE 0x1000
#define IMG_PAYLOAD_OFFSET 0x600
#define IMG_PAYLOAD_LENGTH 0x800
#define IMG_HANDOVER_OFFSET 0x190
#define IMG_KERNEL_INFO_OFFSET 0x400
#define IMG_KERNEL_INFO_TOTAL 0x20
#define IMG_SETUP_TYPE_MAX 0x8
#define IMG_PREF_ADDRESS 0x1000000ull
#define IMG_INIT_SIZE 0x20000
#define IMG_ALIGN 0x200000
#define IMG_MIN_ALIGN_LOG2 21
#define IMG_CMDLINE_SIZE 2047
#define IMG_INITRD_ADDR_MAX 0x7fffffff

static uint8_t img[IMG_CAP];
static size_t img_size;

static void put8(size_t off, uint8_t v) { img[off] = v; }
static void put16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

/* syssize and the file size for a protected-mode part of pm_size bytes. */
static void set_pm_size(size_t pm_size)
{
    put32(BZ_OFF_SYSSIZE, (uint32_t)(pm_size / BZ_SYSSIZE_UNIT));
    img_size = IMG_SETUP_SIZE + pm_size;
}

/* A valid protocol 2.15 image, as a relocatable 64-bit kernel has it. */
static void build_valid(void)
{
    size_t ki = IMG_SETUP_SIZE + IMG_KERNEL_INFO_OFFSET;
    memset(img, 0, sizeof(img));
    put8(BZ_OFF_SETUP_SECTS, IMG_SETUP_SECTS);
    put16(BZ_OFF_BOOT_FLAG, BZ_BOOT_FLAG);
    put8(BZ_OFF_JUMP, BZ_JUMP_OPCODE);
    put8(BZ_OFF_JUMP + 1, BZ_OFF_HEADER_FIELDS_END - BZ_JUMP_BASE);
    put32(BZ_OFF_HEADER, BZ_HEADER_MAGIC);
    put16(BZ_OFF_VERSION, BZ_PROTOCOL(2, 15));
    put8(BZ_OFF_LOADFLAGS, BZ_LOADED_HIGH);
    put32(BZ_OFF_CODE32_START, BZ_LOAD_ADDRESS_DEFAULT);
    put32(BZ_OFF_INITRD_ADDR_MAX, IMG_INITRD_ADDR_MAX);
    put32(BZ_OFF_KERNEL_ALIGNMENT, IMG_ALIGN);
    put8(BZ_OFF_RELOCATABLE_KERNEL, 1);
    put8(BZ_OFF_MIN_ALIGNMENT, IMG_MIN_ALIGN_LOG2);
    put16(BZ_OFF_XLOADFLAGS, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G |
                                 XLF_EFI_HANDOVER_64);
    put32(BZ_OFF_CMDLINE_SIZE, IMG_CMDLINE_SIZE);
    put32(BZ_OFF_PAYLOAD_OFFSET, IMG_PAYLOAD_OFFSET);
    put32(BZ_OFF_PAYLOAD_LENGTH, IMG_PAYLOAD_LENGTH);
    put64(BZ_OFF_PREF_ADDRESS, IMG_PREF_ADDRESS);
    put32(BZ_OFF_INIT_SIZE, IMG_INIT_SIZE);
    put32(BZ_OFF_HANDOVER_OFFSET, IMG_HANDOVER_OFFSET);
    put32(BZ_OFF_KERNEL_INFO_OFFSET, IMG_KERNEL_INFO_OFFSET);
    put32(ki, BZ_KERNEL_INFO_MAGIC);
    put32(ki + BZ_KERNEL_INFO_OFF_SIZE, BZ_KERNEL_INFO_FIXED_SIZE);
    put32(ki + BZ_KERNEL_INFO_OFF_SIZE_TOTAL, IMG_KERNEL_INFO_TOTAL);
    put32(ki + BZ_KERNEL_INFO_OFF_SETUP_TYPE_MAX, IMG_SETUP_TYPE_MAX);
    set_pm_size(IMG_PM_SIZE);
}

#endif
