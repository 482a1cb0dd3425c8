/* The whole boot flow on the host: hop's command line, the RAM disk (a cpio
 * archive built here) and its hop.cfg, the menu, each entry's attempt
 * (read the kernel, detect the protocol, lay out, plan, build the info),
 * fallback to the next entry, and a fake jump.  Memory is the simulator's
 * (sim.c); the jump runs the trampoline's op list with the reference
 * executor, and the test then reads from "physical memory" what the kernel
 * would find: its segment, its module and its multiboot2 info, parsed back
 * with hop's own bootinfo parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.c"
#include "hop.h"
#include "capture.h"
#include "sim_machine.h"
#include "bzimage_fixture.h"
#include "exitcode.h"
#include "version.h"
#include "parse/elf.h"
#include "parse/mbheader.h"
#include "parse/multiboot.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define RAM_START (1 * MiB)
#define RAM_END (64 * MiB)
#define ARCHIVE_AT (48 * MiB)
#define KERNEL_PADDR (4 * MiB)
#define KERNEL_FILESZ 0x1800
#define KERNEL_MEMSZ 0x3000
#define KERNEL_ENTRY_OFF 0x100

static struct sim *S;
static jmp_buf jumped;
static int jumps;
static struct handoff_cpu cpu;
static uint8_t kernel_bytes[KERNEL_FILESZ];
static const char module_text[] = "the module's bytes";

/* --- the machine: the simulator, and a jump that comes back here ---------- */

/* What the trampoline would do before entering the kernel: the op list. */
static void jump(struct kimage *k, const struct handoff_cpu *c)
{
    size_t bad = 0;
    assert_int_equal(reloc_run_ops(kimage_ops(k), &S->rw, &bad), HOP_OK);
    cpu = *c;
    jumps++;
    longjmp(jumped, 1);
}

static struct boot_machine machine;

/* --- building the RAM disk -------------------------------------------------- */

/* A plain ELF64 kernel: one PT_LOAD at KERNEL_PADDR, a bss after it, the
 * entry at entry_off; with linux_note, a PT_NOTE "Linux" as a vmlinux has. */
static size_t make_elf(uint8_t *buf, uint64_t entry_off, bool linux_note)
{
    struct elf64_ehdr eh = { 0 };
    struct elf64_phdr ph = { 0 };
    memcpy(eh.e_ident, "\177ELF", 4);
    eh.e_ident[4] = 2; /* ELFCLASS64 */
    eh.e_ident[5] = 1; /* little-endian */
    eh.e_ident[6] = 1;
    eh.e_type = 2;     /* ET_EXEC */
    eh.e_machine = 62; /* EM_X86_64 */
    eh.e_version = 1;
    eh.e_entry = KERNEL_PADDR + entry_off;
    eh.e_phoff = sizeof(eh);
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(ph);
    eh.e_phnum = linux_note ? 2 : 1;
    ph.p_type = 1; /* PT_LOAD */
    ph.p_flags = 7;
    ph.p_offset = 0x1000;
    ph.p_vaddr = ph.p_paddr = KERNEL_PADDR;
    ph.p_filesz = KERNEL_FILESZ;
    ph.p_memsz = KERNEL_MEMSZ;
    ph.p_align = 0x1000;
    memset(buf, 0, 0x1000);
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), &ph, sizeof(ph));
    if (linux_note) {
        /* namesz 6 ("Linux\0"), descsz 4, type 6 (LINUX_ELFNOTE_LINUX_VERSION) */
        static const uint8_t note[] = { 6, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 'L', 'i', 'n',
                                        'u', 'x', 0, 0, 0, 1, 2, 3, 4 };
        struct elf64_phdr nh = { .p_type = 4 /* PT_NOTE */, .p_offset = 0x800,
                                 .p_filesz = sizeof(note), .p_align = 4 };
        memcpy(buf + sizeof(eh) + sizeof(ph), &nh, sizeof(nh));
        memcpy(buf + 0x800, note, sizeof(note));
    }
    for (size_t i = 0; i < KERNEL_FILESZ; i++)
        kernel_bytes[i] = (uint8_t)(i * 7 + 3);
    memcpy(buf + 0x1000, kernel_bytes, KERNEL_FILESZ);
    return 0x1000 + KERNEL_FILESZ;
}

/* A flat multiboot2 kernel loaded by its address tag at base, the whole file
 * (header first), entered at entry by its entry-address tag. */
static size_t make_mb2_flat(uint8_t *buf, uint32_t base, uint32_t entry)
{
    uint32_t h[] = { MB2_HEADER_MAGIC, MB2_ARCH_I386, 0, 0,
                     MB2_HEADER_TAG_ADDRESS, 24, base, base, 0, 0,
                     MB2_HEADER_TAG_ENTRY_ADDRESS, 12, entry, 0,
                     MB2_HEADER_TAG_END, 8 };
    h[2] = sizeof(h);
    h[3] = -(h[0] + h[1] + h[2]);
    memset(buf, 0x90, 0x1000);
    memcpy(buf, h, sizeof(h));
    return 0x1000;
}

/* The archive at ARCHIVE_AT as the loader's module 0, with hop.cfg and
 * kernels: k.elf (good), bss-entry.elf (entered in its bss), vmlinux (a
 * "Linux" note), mb2-out.bin (entry tag past the image). */
static void make_ramdisk(const char *cfg)
{
    static uint8_t kernel[0x1000 + KERNEL_FILESZ];
    size_t ksize = make_elf(kernel, KERNEL_ENTRY_OFF, false);
    uint8_t *at = sim_at(S, ARCHIVE_AT, 1 * MiB);
    assert_non_null(at);
    size_t n = sim_put_cpio(at, "hop.cfg", cfg, strlen(cfg));
    n += sim_put_cpio(at + n, "boot/k.elf", kernel, ksize);
    ksize = make_elf(kernel, KERNEL_FILESZ + 0x100, false);
    n += sim_put_cpio(at + n, "boot/bss-entry.elf", kernel, ksize);
    ksize = make_elf(kernel, KERNEL_ENTRY_OFF, true);
    n += sim_put_cpio(at + n, "boot/vmlinux", kernel, ksize);
    ksize = make_mb2_flat(kernel, 0x600000, 0x700000);
    n += sim_put_cpio(at + n, "boot/mb2-out.bin", kernel, ksize);
    ksize = make_elf(kernel, KERNEL_ENTRY_OFF, false); /* k.elf's bytes again */
    n += sim_put_cpio(at + n, "boot/mod.bin", module_text, sizeof(module_text) - 1);
    n += sim_put_cpio(at + n, "boot/mod2.bin", "ab", 2);
    if (img_size) /* the test's bzImage (bzimage_fixture.h) */
        n += sim_put_cpio(at + n, "boot/vmlinuz", img, img_size);
    n += sim_put_cpio(at + n, "TRAILER!!!", "", 0);
    S->bi.modules[0] = (struct boot_module){ ARCHIVE_AT, ARCHIVE_AT + n, "ramdisk" };
    S->bi.module_count = 1;
    sim_live(S, ARCHIVE_AT, ALIGN_UP(ARCHIVE_AT + n, PAGE_SIZE), "module");
}

static int setup(void **state)
{
    (void)state;
    capture_start();
    jumps = 0;
    img_size = 0;
    S = sim_new();
    sim_reset(S);
    sim_window(S, 0, RAM_START, RAM_END - RAM_START);
    memset(S->win[0].mem, 0xAA, RAM_END - RAM_START);
    sim_region(S, RAM_START, RAM_END, MEM_USABLE);
    S->bi.cmdline = "hop.elf debug-exit";
    S->bi.loader_name = "test";
    machine = sim_boot_machine(S, jump);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_free(S);
    return 0;
}

/* hop_run up to the jump (1) or its return (0, *rc set). */
static int run_hop(int *rc)
{
    sim_start(S);
    hop_read_cmdline(S->bi.cmdline);
    if (setjmp(jumped))
        return 1;
    *rc = hop_run(&S->bi, &S->pm, &machine);
    return 0;
}

static const void *sim_view(void *ctx, paddr_t addr, size_t len)
{
    return sim_at(ctx, addr, len);
}

static const char good_entries[] =
    "timeout=0\n"
    "entry=missing\nkernel=/boot/missing.elf\n"
    "entry=good\nkernel=/boot/k.elf\ncmdline=hello world\nmodule=/boot/mod.bin the module\n";

/* Entry 0's kernel is missing: hop says so and boots entry 1, whose kernel
 * the trampoline's ops put in place; its info block says what it should. */
static void test_fallback_then_boot(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk(good_entries);
    assert_int_equal(run_hop(&rc), 1);
    assert_int_equal(jumps, 1);
    assert_non_null(strstr(capture_out, "hop: booting entry 0 \"missing\": /boot/missing.elf\n"));
    assert_non_null(strstr(capture_out, "hop: entry 0 \"missing\" failed: /boot/missing.elf"));
    assert_non_null(strstr(capture_out, "hop: booting entry 1 \"good\": /boot/k.elf\n"));
    assert_non_null(strstr(capture_out, "protocol elf\n"));

    /* plain ELF64: long mode, RAX = multiboot2 magic, RBX = RDI = info */
    assert_int_equal(cpu.mode, HANDOFF_MODE_LONG);
    assert_int_equal(cpu.entry, KERNEL_PADDR + KERNEL_ENTRY_OFF);
    assert_int_equal(cpu.rax, MB2_BOOTLOADER_MAGIC);
    assert_int_equal(cpu.rbx, cpu.rdi);
    assert_string_equal(cpu.protocol, "elf");

    /* the segment and its bss, where the kernel asked */
    const uint8_t *seg = sim_at(S, KERNEL_PADDR, KERNEL_MEMSZ);
    assert_memory_equal(seg, kernel_bytes, KERNEL_FILESZ);
    for (size_t i = KERNEL_FILESZ; i < KERNEL_MEMSZ; i++)
        assert_int_equal(seg[i], 0);

    /* the info, read back as a kernel would */
    static struct bootinfo got;
    struct hop_error err = { 0 };
    assert_int_equal(bootinfo_parse(&got, MB2_BOOTLOADER_MAGIC, cpu.rbx,
                                    &(struct phys_access){ sim_view, S }, &err), HOP_OK);
    assert_string_equal(got.cmdline, "hello world");
    assert_string_equal(got.loader_name, HOP_LOADER_NAME);
    assert_int_equal(got.module_count, 1);
    assert_string_equal(got.modules[0].cmdline, "the module");
    assert_int_equal(got.modules[0].end - got.modules[0].start, sizeof(module_text) - 1);
    assert_int_equal(got.modules[0].start % PAGE_SIZE, 0);
    assert_memory_equal(sim_at(S, got.modules[0].start, sizeof(module_text) - 1), module_text,
                        sizeof(module_text) - 1);
    /* the module and the info block are not usable RAM in the map it gets
     * (docs/protocols.md, "Memory maps") */
    for (size_t i = 0; i < got.map_count; i++) {
        if (got.map[i].type != MEM_USABLE)
            continue;
        assert_false(got.map[i].start < got.modules[0].end &&
                     got.modules[0].start < got.map[i].end);
        assert_false(got.map[i].start <= cpu.rbx && cpu.rbx < got.map[i].end);
    }
}

/* The default entry is tried first, the others after it in order. */
static void test_default_first(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk("timeout=0\ndefault=good\n"
                 "entry=missing\nkernel=/boot/missing.elf\n"
                 "entry=good\nkernel=/boot/k.elf\ncmdline=direct\n");
    assert_int_equal(run_hop(&rc), 1);
    assert_null(strstr(capture_out, "booting entry 0"));
    static struct bootinfo got;
    struct hop_error err = { 0 };
    assert_int_equal(bootinfo_parse(&got, MB2_BOOTLOADER_MAGIC, cpu.rbx,
                                    &(struct phys_access){ sim_view, S }, &err), HOP_OK);
    assert_string_equal(got.cmdline, "direct");
    assert_int_equal(got.module_count, 0);
}

/* Every entry fails: no jump, each reason listed, hop's exit code. */
static void test_all_fail(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk("timeout=0\n"
                 "entry=a\nkernel=/boot/missing.elf\n"
                 "entry=b\nkernel=/boot/mod.bin\n");
    assert_int_equal(run_hop(&rc), 0);
    assert_int_equal(jumps, 0);
    assert_int_equal(rc, HOP_EXIT_ERROR);
    assert_non_null(strstr(capture_out, "hop: no entry could be booted:\n"));
    assert_non_null(strstr(capture_out, "hop:   0 \"a\": /boot/missing.elf"));
    assert_non_null(strstr(capture_out, "hop:   1 \"b\": /boot/mod.bin"));
}

/* A failed attempt gives back the memory it took: the live ranges after a
 * fallback are those of the start plus what the booting attempt took. */
static void test_attempt_memory_given_back(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk("timeout=0\n"
                 "entry=a\nkernel=/boot/k.elf\nmodule=/boot/missing.bin\n"
                 "entry=b\nkernel=/boot/k.elf\nmodule=/boot/missing.bin\n");
    assert_int_equal(run_hop(&rc), 0);
    size_t live_after_both = S->pm.live_count;
    uint64_t allocated = S->pm.allocated;
    teardown(NULL);
    setup(NULL);
    make_ramdisk("timeout=0\nentry=a\nkernel=/boot/k.elf\nmodule=/boot/missing.bin\n");
    assert_int_equal(run_hop(&rc), 0);
    assert_int_equal(S->pm.live_count, live_after_both);
    assert_int_equal(S->pm.allocated, allocated);
}

/* A command-line error is reported after the map, and nothing is booted;
 * debug-exit after the bad word still counts. */
static void test_cmdline_error(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk(good_entries);
    S->bi.cmdline = "hop.elf kernel=/boot/k.elf bogus debug-exit";
    sim_start(S);
    assert_true(hop_read_cmdline(S->bi.cmdline)->debug_exit);
    if (setjmp(jumped))
        fail_msg("jumped despite a command-line error");
    rc = hop_run(&S->bi, &S->pm, &machine);
    assert_int_equal(rc, HOP_EXIT_ERROR);
    assert_non_null(strstr(capture_out, "unknown flag 'bogus'"));
    assert_true(strstr(capture_out, "hop: memory map") < strstr(capture_out, "unknown flag"));
}

/* Entry 0 is refused with reason (a substring of the failure line); entry
 * 1, the good kernel, boots. */
static void expect_refused_then_boot(const char *entry0, const char *reason)
{
    char cfg[512];
    int rc = 0;
    snprintf(cfg, sizeof(cfg), "timeout=0\nentry=bad\n%s\nentry=good\nkernel=/boot/k.elf\n",
             entry0);
    make_ramdisk(cfg);
    assert_int_equal(run_hop(&rc), 1);
    const char *failed = strstr(capture_out, "hop: entry 0 \"bad\" failed: ");
    if (!failed || !strstr(failed, reason) || strchr(failed, '\n') < strstr(failed, reason))
        fail_msg("expected entry 0 to fail with \"%s\"; log:\n%s", reason, capture_out);
    assert_non_null(strstr(capture_out, "hop: booting entry 1 \"good\""));
    assert_int_equal(cpu.entry, KERNEL_PADDR + KERNEL_ENTRY_OFF);
}

static void test_entry_in_bss_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/bss-entry.elf",
                             "/boot/bss-entry.elf: entry point 0x401900 (elf) is not in the "
                             "bytes loaded from the file (0x400000-0x401800)");
}

static void test_mb2_entry_outside_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/mb2-out.bin",
                             "/boot/mb2-out.bin: entry point 0x700000 (multiboot2) is not in "
                             "the bytes loaded from the file (0x600000-0x601000)");
}

static void test_forced_multiboot2_without_header_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/k.elf\nprotocol=multiboot2",
                             "protocol multiboot2 asked for, but the kernel has no multiboot2 "
                             "header");
}

static void test_forced_multiboot1_without_header_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/k.elf\nprotocol=multiboot1",
                             "protocol multiboot1 asked for, but the kernel has no multiboot1 "
                             "header");
}

static void test_forced_linux_without_notes_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/k.elf\nprotocol=linux",
                             "protocol linux asked for, but the kernel has no \"Linux\" ELF "
                             "notes");
}

static void test_forced_pvh_without_note_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/k.elf\nprotocol=pvh",
                             "/boot/k.elf: no Xen PHYS32_ENTRY note for PVH");
}

/* Linux takes one initrd: a second file is never dropped in silence. */
static void test_linux_two_modules_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/vmlinux\nmodule=/boot/mod.bin\nmodule=/boot/k.elf",
                             "protocol linux passes one initrd, but the entry names 2 module= "
                             "file(s): \"/boot/k.elf\" would be dropped");
}

static void test_linux_initrd_and_module_refused(void **state)
{
    (void)state;
    expect_refused_then_boot("kernel=/boot/vmlinux\ninitrd=/boot/mod.bin\nmodule=/boot/k.elf",
                             "the entry names initrd= and 1 module= file(s): \"/boot/k.elf\" "
                             "would be dropped");
}

/* The only module= of a Linux entry is its initrd: boot_params say so. */
static void test_linux_one_module_is_initrd(void **state)
{
    (void)state;
    int rc = 0;
    make_ramdisk("timeout=0\nentry=l\nkernel=/boot/vmlinux\nmodule=/boot/mod.bin\n");
    assert_int_equal(run_hop(&rc), 1);
    assert_int_equal(cpu.mode, HANDOFF_MODE_LONG);
    const uint8_t *bp = sim_at(S, cpu.rsi, 4096);
    uint32_t image, size;
    memcpy(&image, bp + 0x218, 4); /* boot.rst: ramdisk_image, ramdisk_size */
    memcpy(&size, bp + 0x21c, 4);
    assert_int_equal(size, sizeof(module_text) - 1);
    assert_memory_equal(sim_at(S, image, size), module_text, size);
}

/* --- Linux bzImage ----------------------------------------------------- */

static uint32_t bp32(paddr_t bp, size_t off)
{
    uint32_t v;
    memcpy(&v, sim_at(S, bp + off, 4), 4);
    return v;
}

/* The protected-mode part at pref_address, entered at +0x200 in long mode
 * with RSI = boot_params made from the image's own header; the two initrds
 * concatenated (each padded to 4 bytes) as one; nothing of hop's in the
 * init_size workspace, which is not written. */
static void test_bzimage_boots(void **state)
{
    (void)state;
    int rc = 0;
    build_valid();
    for (size_t i = 0; i < IMG_KERNEL_INFO_OFFSET; i++) /* code up to the kernel_info */
        img[IMG_SETUP_SIZE + i] = (uint8_t)(i * 13 + 1);
    make_ramdisk("timeout=0\nentry=l\nkernel=/boot/vmlinuz\ncmdline=root=/dev/x\n"
                 "initrd=/boot/mod.bin\ninitrd=/boot/mod2.bin\n");
    const uint8_t *ws = sim_at(S, IMG_PREF_ADDRESS + IMG_PM_SIZE, IMG_INIT_SIZE - IMG_PM_SIZE);
    static uint8_t before[IMG_INIT_SIZE - IMG_PM_SIZE];
    memcpy(before, ws, sizeof(before));
    if (run_hop(&rc) != 1)
        fail_msg("no jump:\n%s", capture_out);
    assert_int_equal(cpu.mode, HANDOFF_MODE_LONG);
    assert_int_equal(cpu.entry, IMG_PREF_ADDRESS + BZ_ENTRY64_OFFSET);
    assert_memory_equal(sim_at(S, IMG_PREF_ADDRESS, IMG_PM_SIZE), img + IMG_SETUP_SIZE,
                        IMG_PM_SIZE);
    assert_memory_equal(ws, before, sizeof(before)); /* the workspace: not written */
    paddr_t bp = cpu.rsi;
    assert_true(bp + 4096 <= IMG_PREF_ADDRESS || bp >= IMG_PREF_ADDRESS + IMG_INIT_SIZE);
    assert_int_equal(bp32(bp, BZ_OFF_HEADER), BZ_HEADER_MAGIC);
    assert_int_equal(bp32(bp, BZ_OFF_VERSION) & 0xffff, BZ_PROTOCOL(2, 15));
    assert_int_equal(bp32(bp, BZ_OFF_CODE32_START), IMG_PREF_ADDRESS);
    assert_int_equal(bp32(bp, BZ_OFF_CMDLINE_SIZE), IMG_CMDLINE_SIZE);
    assert_int_equal(bp32(bp, BZ_OFF_TYPE_OF_LOADER) & 0xff, 0xff);
    assert_string_equal((const char *)sim_at(S, bp32(bp, BZ_OFF_CMD_LINE_PTR), 11),
                        "root=/dev/x");
    paddr_t rd = bp32(bp, BZ_OFF_RAMDISK_IMAGE);
    uint32_t rd_size = bp32(bp, BZ_OFF_RAMDISK_SIZE);
    size_t first = sizeof(module_text) - 1, padded = (first + 3) & ~(size_t)3;
    assert_int_equal(rd_size, padded + 4);
    const uint8_t *r = sim_at(S, rd, rd_size);
    assert_memory_equal(r, module_text, first);
    for (size_t i = first; i < padded; i++)
        assert_int_equal(r[i], 0);
    assert_memory_equal(r + padded, "ab\0\0", 4);
    assert_true(rd + rd_size <= IMG_PREF_ADDRESS || rd >= IMG_PREF_ADDRESS + IMG_INIT_SIZE);
    assert_non_null(strstr(capture_out, "hop:   workspace 0x1001000-0x1020000"));
}

/* pref_address taken by something live: the kernel goes to the next base
 * aligned to kernel_alignment that is free, and code32_start says where. */
static void test_bzimage_pref_address_occupied(void **state)
{
    (void)state;
    int rc = 0;
    build_valid();
    make_ramdisk("timeout=0\nentry=l\nkernel=/boot/vmlinuz\n");
    sim_live(S, IMG_PREF_ADDRESS + 0x10000, IMG_PREF_ADDRESS + 0x11000, "in the way");
    assert_int_equal(run_hop(&rc), 1);
    paddr_t at = cpu.entry - BZ_ENTRY64_OFFSET;
    assert_true(at != IMG_PREF_ADDRESS);
    assert_int_equal(at % IMG_ALIGN, 0);
    assert_int_equal(bp32(cpu.rsi, BZ_OFF_CODE32_START), at);
    assert_memory_equal(sim_at(S, at, IMG_PM_SIZE), img + IMG_SETUP_SIZE, IMG_PM_SIZE);
}

/* Refused before anything is copied, naming the file and the field. */
static void test_bzimage_refusals(void **state)
{
    (void)state;
    build_valid();
    put32(BZ_OFF_INIT_SIZE, 0x8000000); /* 128 MiB, more than the 63 of RAM */
    expect_refused_then_boot("kernel=/boot/vmlinuz",
                             "/boot/vmlinuz: no usable 0x8000000 bytes for the relocatable image");
    teardown(NULL);
    setup(NULL);
    build_valid();
    put32(BZ_OFF_CMDLINE_SIZE, 8);
    expect_refused_then_boot("kernel=/boot/vmlinuz\ncmdline=123456789",
                             "/boot/vmlinuz: command line of 9 bytes; the kernel's cmdline_size "
                             "(0x238) is 8");
    teardown(NULL);
    setup(NULL);
    build_valid();
    put16(BZ_OFF_XLOADFLAGS, XLF_KERNEL_64);
    put32(BZ_OFF_INITRD_ADDR_MAX, 0x100010); /* 17 bytes above 1 MiB */
    expect_refused_then_boot("kernel=/boot/vmlinuz\ninitrd=/boot/mod.bin",
                             "/boot/vmlinuz: initrd of 0x12 bytes cannot lie below 0x100011, the "
                             "kernel's initrd_addr_max (0x22c)");
    teardown(NULL);
    setup(NULL);
    build_valid();
    set_pm_size(IMG_PM_SIZE);
    img_size -= 0x800; /* syssize says more than the file has */
    expect_refused_then_boot("kernel=/boot/vmlinuz", "/boot/vmlinuz: ");
    assert_non_null(strstr(capture_out, "syssize"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_fallback_then_boot),
        T(test_default_first),
        T(test_all_fail),
        T(test_attempt_memory_given_back),
        T(test_cmdline_error),
        T(test_entry_in_bss_refused),
        T(test_mb2_entry_outside_refused),
        T(test_forced_multiboot2_without_header_refused),
        T(test_forced_multiboot1_without_header_refused),
        T(test_forced_linux_without_notes_refused),
        T(test_forced_pvh_without_note_refused),
        T(test_linux_two_modules_refused),
        T(test_linux_initrd_and_module_refused),
        T(test_linux_one_module_is_initrd),
        T(test_bzimage_boots),
        T(test_bzimage_pref_address_occupied),
        T(test_bzimage_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
