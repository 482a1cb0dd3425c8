/* Unit tests of src/parse/bzimage.c: a synthetic bzImage (boot sector, setup
 * header, a protected-mode part with a kernel_info) built here, then damaged
 * one field at a time.  Each image is parsed from an exactly sized heap copy
 * so ASan catches a read past its end.  When tools/fetch-debian-kernel has
 * run, Debian's own vmlinuz is read too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/bzimage.h"

#include "bzimage_fixture.h"

#define DEBIAN_VMLINUZ "build/debian/vmlinuz"

static struct bzimage bz;
static struct hop_error err;

static int parse_n(size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    int rc;
    memcpy(copy, img, size);
    memset(&err, 0, sizeof(err));
    memset(&bz, 0xa5, sizeof(bz));
    rc = bzimage_parse(copy, size, "vmlinuz", &bz, &err);
    if (rc == HOP_OK) /* the header pointer points into the copy */
        assert_ptr_equal(bz.header, copy + BZ_SETUP_HEADER_START);
    free(copy);
    return rc;
}

static int parse(void)
{
    return parse_n(img_size);
}

static void expect(int rc, int code, const char *needle)
{
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    if (!strstr(err.msg, "vmlinuz: "))
        fail_msg("message '%s' does not name the file", err.msg);
}

/* --- valid images --------------------------------------------------------- */

static void test_valid_2_15(void **state)
{
    (void)state;
    build_valid();
    assert_int_equal(parse(), HOP_OK);
    assert_int_equal(bz.version, 0x020f);
    assert_int_equal(bz.setup_sects, IMG_SETUP_SECTS);
    assert_int_equal(bz.setup_size, IMG_SETUP_SIZE);
    assert_int_equal(bz.header_size, BZ_OFF_HEADER_FIELDS_END - BZ_SETUP_HEADER_START);
    assert_true(bz.header_size <= BZ_SETUP_HEADER_MAX_SIZE);
    assert_int_equal(bz.pm_offset, IMG_SETUP_SIZE);
    assert_int_equal(bz.pm_size, IMG_PM_SIZE);
    assert_int_equal(bz.loadflags, BZ_LOADED_HIGH);
    assert_int_equal(bz.code32_start, BZ_LOAD_ADDRESS_DEFAULT);
    assert_true(bz.relocatable);
    assert_int_equal(bz.kernel_alignment, IMG_ALIGN);
    assert_int_equal(bz.min_alignment, 1u << IMG_MIN_ALIGN_LOG2);
    assert_int_equal(bz.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G |
                                        XLF_EFI_HANDOVER_64);
    assert_int_equal(bz.cmdline_size, IMG_CMDLINE_SIZE);
    assert_int_equal(bz.initrd_addr_max, IMG_INITRD_ADDR_MAX);
    assert_int_equal(bz.pref_address, IMG_PREF_ADDRESS);
    assert_int_equal(bz.init_size, IMG_INIT_SIZE);
    assert_false(bz.init_size_guessed);
    assert_int_equal(bz.payload_offset, IMG_PAYLOAD_OFFSET);
    assert_int_equal(bz.payload_length, IMG_PAYLOAD_LENGTH);
    assert_int_equal(bz.handover_offset, IMG_HANDOVER_OFFSET);
    assert_int_equal(bz.kernel_info_offset, IMG_KERNEL_INFO_OFFSET);
    assert_int_equal(bz.setup_type_max, IMG_SETUP_TYPE_MAX);
    assert_true(bz.has_entry64);
    assert_int_equal(bz.entry64_offset, BZ_ENTRY64_OFFSET);
}

static void test_setup_sects_zero_means_four(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_SETUP_SECTS, 0);
    assert_int_equal(parse(), HOP_OK);
    assert_int_equal(bz.setup_sects, 0);
    assert_int_equal(bz.setup_size, (BZ_SETUP_SECTS_DEFAULT + 1) * BZ_SECTOR_SIZE);
}

/* 2.06: no min_alignment, xloadflags, payload, pref_address, init_size,
 * handover or kernel_info; the header may end after cmdline_size. */
static void test_valid_2_06_fallbacks(void **state)
{
    (void)state;
    build_valid();
    put16(BZ_OFF_VERSION, BZ_PROTOCOL(2, 6));
    put8(BZ_OFF_JUMP + 1, BZ_OFF_HARDWARE_SUBARCH - BZ_JUMP_BASE);
    memset(img + BZ_OFF_HARDWARE_SUBARCH, 0xff,
           BZ_OFF_HEADER_FIELDS_END - BZ_OFF_HARDWARE_SUBARCH);
    put8(BZ_OFF_MIN_ALIGNMENT, 0xff); /* not a field in 2.06 */
    assert_int_equal(parse(), HOP_OK);
    assert_int_equal(bz.min_alignment, IMG_ALIGN);
    assert_int_equal(bz.xloadflags, 0);
    assert_false(bz.has_entry64);
    assert_int_equal(bz.pref_address, BZ_LOAD_ADDRESS_DEFAULT);
    assert_true(bz.init_size_guessed);
    assert_int_equal(bz.init_size, IMG_PM_SIZE * BZ_INIT_SIZE_GUESS_FACTOR);
    assert_int_equal(bz.payload_offset, 0);
    assert_int_equal(bz.handover_offset, 0);
    assert_int_equal(bz.kernel_info_offset, 0);
}

static void test_non_relocatable_alignment_zero(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_RELOCATABLE_KERNEL, 0);
    put32(BZ_OFF_KERNEL_ALIGNMENT, 0);
    put8(BZ_OFF_MIN_ALIGNMENT, 0);
    put64(BZ_OFF_PREF_ADDRESS, 0x100000);
    assert_int_equal(parse(), HOP_OK);
    assert_false(bz.relocatable);
    assert_int_equal(bz.pref_address, 0x100000);
}

static void test_no_kernel_info(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_KERNEL_INFO_OFFSET, 0);
    put16(BZ_OFF_XLOADFLAGS, 0);
    assert_int_equal(parse(), HOP_OK);
    assert_int_equal(bz.setup_type_max, 0);
    assert_false(bz.has_entry64);
}

/* --- not a bzImage, or one hop does not take ------------------------------ */

static void test_truncated_before_hdrs(void **state)
{
    (void)state;
    build_valid();
    expect(parse_n(BZ_OFF_HEADER), HOP_ERR_TRUNCATED, "header (\"HdrS\") at 0x202");
    /* shorter than a boot sector: not a bzImage at all (an ELF may be) */
    expect(parse_n(0x100), HOP_ERR_NOTFOUND, "256 bytes, shorter than a boot sector");
    expect(parse_n(0), HOP_ERR_NOTFOUND, "0 bytes, shorter than a boot sector");
}

static void test_bad_boot_flag(void **state)
{
    (void)state;
    build_valid();
    put16(BZ_OFF_BOOT_FLAG, 0x1234);
    expect(parse(), HOP_ERR_NOTFOUND, "boot_flag at 0x1fe is 0x1234");
}

static void test_bad_hdrs(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_HEADER, 0x53726449);
    expect(parse(), HOP_ERR_NOTFOUND, "header at 0x202 is 0x53726449");
}

static void test_version_2_04(void **state)
{
    (void)state;
    build_valid();
    put16(BZ_OFF_VERSION, BZ_PROTOCOL(2, 4));
    expect(parse(), HOP_ERR_UNSUPPORTED, "boot protocol 2.04 is older than 2.06");
}

static void test_zimage(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_LOADFLAGS, 0);
    expect(parse(), HOP_ERR_UNSUPPORTED, "loadflags 0x00 lacks LOADED_HIGH");
}

static void test_bad_jump(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_JUMP, 0xE9);
    expect(parse(), HOP_ERR_INVALID, "jump at 0x200 is e9");
    build_valid();
    put8(BZ_OFF_JUMP + 1, 0x80); /* backwards */
    expect(parse(), HOP_ERR_INVALID, "jump at 0x200 is eb 80");
}

/* The header's end (0x202 + the byte at 0x201) must hold every field the
 * version has: 2.15 has kernel_info_offset up to 0x26c. */
static void test_header_shorter_than_version(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_JUMP + 1, BZ_OFF_KERNEL_INFO_OFFSET - BZ_JUMP_BASE);
    expect(parse(), HOP_ERR_TRUNCATED, "before kernel_info_offset at 0x268");
    build_valid();
    put8(BZ_OFF_JUMP + 1, BZ_OFF_CMDLINE_SIZE - BZ_JUMP_BASE);
    expect(parse(), HOP_ERR_TRUNCATED, "before cmdline_size at 0x238");
}

static void test_header_past_file_end(void **state)
{
    (void)state;
    build_valid();
    expect(parse_n(BZ_OFF_HEADER_FIELDS_END - 1), HOP_ERR_TRUNCATED,
           "setup header ends at 0x26c (jump offset 0x6a at 0x201), past the file end");
}

static void test_setup_sects_past_end(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_SETUP_SECTS, 200);
    expect(parse(), HOP_ERR_TRUNCATED, "setup_sects 200");
}

static void test_syssize_past_end(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_SYSSIZE, IMG_PM_SIZE / BZ_SYSSIZE_UNIT + 1);
    expect(parse(), HOP_ERR_TRUNCATED, "syssize 0x101");
    build_valid();
    put32(BZ_OFF_SYSSIZE, 0xffffffff);
    expect(parse(), HOP_ERR_TRUNCATED, "syssize 0xffffffff");
    build_valid();
    put32(BZ_OFF_SYSSIZE, 0);
    expect(parse(), HOP_ERR_INVALID, "syssize 0");
}

static void test_kernel_alignment_not_pow2(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_KERNEL_ALIGNMENT, 0x300000);
    expect(parse(), HOP_ERR_INVALID, "kernel_alignment 0x300000 is not a power of two");
    build_valid();
    put32(BZ_OFF_KERNEL_ALIGNMENT, 0);
    expect(parse(), HOP_ERR_INVALID, "kernel_alignment 0x0");
}

static void test_min_alignment_above(void **state)
{
    (void)state;
    build_valid();
    put8(BZ_OFF_MIN_ALIGNMENT, 22);
    expect(parse(), HOP_ERR_INVALID, "min_alignment 22");
    build_valid();
    put8(BZ_OFF_MIN_ALIGNMENT, 40);
    expect(parse(), HOP_ERR_INVALID, "min_alignment 40");
}

static void test_init_size_zero(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_INIT_SIZE, 0);
    expect(parse(), HOP_ERR_INVALID, "init_size 0x0 is smaller");
    build_valid();
    put32(BZ_OFF_INIT_SIZE, IMG_PM_SIZE - 1);
    expect(parse(), HOP_ERR_INVALID, "init_size 0xfff");
}

static void test_pref_address(void **state)
{
    (void)state;
    build_valid();
    put64(BZ_OFF_PREF_ADDRESS, IMG_PREF_ADDRESS + 0x1000);
    expect(parse(), HOP_ERR_INVALID, "pref_address 0x1001000 is not aligned");
    build_valid();
    put64(BZ_OFF_PREF_ADDRESS, ~0ull - 0xfff);
    put8(BZ_OFF_MIN_ALIGNMENT, 12);
    expect(parse(), HOP_ERR_RANGE, "pref_address 0xfffffffffffff000 + init_size");
}

static void test_entry64_outside(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_INIT_SIZE, IMG_INIT_SIZE);
    set_pm_size(BZ_ENTRY64_OFFSET);
    expect(parse(), HOP_ERR_RANGE, "64-bit entry (XLF_KERNEL_64) 0x200");
}

static void test_payload_outside(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_PAYLOAD_LENGTH, IMG_PM_SIZE - IMG_PAYLOAD_OFFSET + 1);
    expect(parse(), HOP_ERR_RANGE, "payload_offset 0x600 (+0xa01 bytes)");
    build_valid();
    put32(BZ_OFF_PAYLOAD_OFFSET, 0xffffffff);
    expect(parse(), HOP_ERR_RANGE, "payload_offset 0xffffffff");
}

static void test_handover_outside(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_HANDOVER_OFFSET, IMG_PM_SIZE - BZ_ENTRY64_OFFSET);
    expect(parse(), HOP_ERR_RANGE, "handover_offset + 0x200 (XLF_EFI_HANDOVER_64) 0x1000");
    build_valid();
    put16(BZ_OFF_XLOADFLAGS, XLF_EFI_HANDOVER_32);
    put32(BZ_OFF_HANDOVER_OFFSET, 0xffffffff);
    expect(parse(), HOP_ERR_RANGE, "handover_offset (XLF_EFI_HANDOVER_32) 0xffffffff");
}

static void test_kernel_info_damaged(void **state)
{
    size_t ki = IMG_SETUP_SIZE + IMG_KERNEL_INFO_OFFSET;
    (void)state;
    build_valid();
    put32(ki, 0x506f544d);
    expect(parse(), HOP_ERR_INVALID, "kernel_info at 0x400: header 0x506f544d");
    build_valid();
    put32(ki + BZ_KERNEL_INFO_OFF_SIZE, IMG_KERNEL_INFO_TOTAL + 1);
    expect(parse(), HOP_ERR_INVALID, "size 0x21");
    build_valid();
    put32(ki + BZ_KERNEL_INFO_OFF_SIZE_TOTAL, IMG_PM_SIZE);
    expect(parse(), HOP_ERR_RANGE, "kernel_info size_total 0x400 (+0x1000 bytes)");
    build_valid();
    put32(BZ_OFF_KERNEL_INFO_OFFSET, IMG_PM_SIZE - 8);
    expect(parse(), HOP_ERR_RANGE, "kernel_info_offset 0xff8");
}

/* Every shorter file is refused, never read past (ASan watches). */
static void test_every_truncation(void **state)
{
    (void)state;
    build_valid();
    for (size_t n = 0; n < img_size; n++) {
        int rc = parse_n(n);
        assert_int_not_equal(rc, HOP_OK);
        assert_true(err.msg[0] != '\0');
    }
}

/* Debian's vmlinuz, when tools/fetch-debian-kernel has fetched it
 * (docs/REFERENCES: protocol 2.15, relocatable, pref_address 0x1000000,
 * init_size 0x3f98000, 64-bit entry, EFI handover 64). */
static void test_debian_vmlinuz(void **state)
{
    FILE *f = fopen(DEBIAN_VMLINUZ, "rb");
    uint8_t *data;
    long size;
    int rc;
    (void)state;
    if (!f) {
        skip();
        return;
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    data = malloc((size_t)size);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    rc = bzimage_parse(data, (size_t)size, DEBIAN_VMLINUZ, &bz, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(bz.version, BZ_PROTOCOL(2, 15));
    assert_true(bz.relocatable);
    assert_int_equal(bz.pref_address, 0x1000000);
    assert_int_equal(bz.init_size, 0x3f98000);
    assert_true(bz.has_entry64);
    assert_true(bz.xloadflags & XLF_EFI_HANDOVER_64);
    assert_true(bz.header_size <= BZ_SETUP_HEADER_MAX_SIZE);
    /* Debian signs its kernels: the PE signature follows the syssize bytes. */
    assert_true(bz.pm_offset + bz.pm_size <= (size_t)size);
    assert_true(bz.payload_length != 0);
    assert_true(bz.kernel_info_offset != 0);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_2_15),
        cmocka_unit_test(test_setup_sects_zero_means_four),
        cmocka_unit_test(test_valid_2_06_fallbacks),
        cmocka_unit_test(test_non_relocatable_alignment_zero),
        cmocka_unit_test(test_no_kernel_info),
        cmocka_unit_test(test_truncated_before_hdrs),
        cmocka_unit_test(test_bad_boot_flag),
        cmocka_unit_test(test_bad_hdrs),
        cmocka_unit_test(test_version_2_04),
        cmocka_unit_test(test_zimage),
        cmocka_unit_test(test_bad_jump),
        cmocka_unit_test(test_header_shorter_than_version),
        cmocka_unit_test(test_header_past_file_end),
        cmocka_unit_test(test_setup_sects_past_end),
        cmocka_unit_test(test_syssize_past_end),
        cmocka_unit_test(test_kernel_alignment_not_pow2),
        cmocka_unit_test(test_min_alignment_above),
        cmocka_unit_test(test_init_size_zero),
        cmocka_unit_test(test_pref_address),
        cmocka_unit_test(test_entry64_outside),
        cmocka_unit_test(test_payload_outside),
        cmocka_unit_test(test_handover_outside),
        cmocka_unit_test(test_kernel_info_damaged),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_debian_vmlinuz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
