/* hop_main: the C entry, called by arch/x86_64/entry/multiboot/entry.asm in long mode with the
 * loader's magic and info address.  It brings up the consoles, reads the
 * boot information, takes stock of what memory is live, and hands over to
 * the portable boot flow. */
#include "console/console.h"
#include "cpu.h"
#include "machine.h"
#include "console/serial.h"
#include "trap.h"
#include "console/vga.h"
#include "parse/bootinfo.h"
#include "mm/physmem.h"
#include "hop.h"
#include "jump/boot_machine.h"
#include "jump/crc32c_hw.h"
#include "console/fbcon.h"
#include "console/menu_draw.h"
#include "console/progress.h"
#include "quiesce/quiesce.h"
#include "timer.h"
#include "lib/string.h"
#include "version.h"

#define VGA_TEXT_BASE 0xB8000
#define VGA_TEXT_COLS 80
#define VGA_TEXT_ROWS 25
#define IDENTITY_LIMIT (4ull << 30) /* mapped by arch/x86_64/entry/multiboot/entry.asm */

extern char __image_start[], __image_end[];

static struct bootinfo boot_info;
static struct physmem phys_mem;

/* The boot info lies below 4 GiB, which the entry code identity-mapped. */
static const void *identity_map(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    if (addr == 0 || addr >= IDENTITY_LIMIT || len > IDENTITY_LIMIT - addr)
        return NULL;
    return (const void *)(uintptr_t)addr;
}

/* A linear framebuffer (not EGA text) that the entry code's map covers. */
static bool fb_low(const struct bootinfo *bi)
{
    uint64_t size = (uint64_t)bi->fb.pitch * bi->fb.height;
    return bi->has_fb && bi->fb.type != FB_EGA_TEXT && bi->fb.addr < IDENTITY_LIMIT &&
           size <= IDENTITY_LIMIT - bi->fb.addr;
}

/* hop's text on the loader's linear framebuffer (src/console/fbcon.c). */
static void console_setup_fb(const struct bootinfo *bi)
{
    struct hop_error err = { 0 };
    if (fbcon_init((void *)(uintptr_t)bi->fb.addr, &bi->fb, &err) == HOP_OK) {
        console_add_sink(fbcon_write);
        menu_add_screen(fbcon_menu_screen());
    } else
        kprintf("hop: no framebuffer console: %s\n", err.msg);
}

/* A framebuffer above 4 GiB gets its console once paging can map it. */
static void console_setup_fb_high(const struct bootinfo *bi, struct physmem *pm)
{
    struct hop_error err = { 0 };
    if (!bi->has_fb || bi->fb.type == FB_EGA_TEXT || fb_low(bi))
        return;
    if (paging_map_device(pm, bi->fb.addr, bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height,
                          &err) == HOP_OK)
        console_setup_fb(bi);
    else
        kprintf("hop: no framebuffer console: mapping 0x%llx: %s\n",
                (unsigned long long)bi->fb.addr, err.msg);
}

/* VGA text when the loader says the screen is in text mode, or says nothing
 * about the screen on a BIOS machine (multiboot1 from QEMU); the framebuffer
 * console when it gave a linear framebuffer (GRUB on UEFI: GOP). */
static void console_setup_display(const struct bootinfo *bi)
{
    bool efi = bi->efi_system_table64 || bi->efi_system_table32;
    if (bi->has_fb && bi->fb.type == FB_EGA_TEXT)
        vga_init(bi->fb.addr, bi->fb.width, bi->fb.height);
    else if (!bi->has_fb && !efi)
        vga_init(VGA_TEXT_BASE, VGA_TEXT_COLS, VGA_TEXT_ROWS);
    else {
        if (fb_low(bi))
            console_setup_fb(bi);
        return;
    }
    console_add_sink(vga_write);
    menu_add_screen(vga_menu_screen());
}

/* Everything hop must not hand out or overwrite before the jump. */
static int reserve_live(struct physmem *pm, const struct bootinfo *bi)
{
    int rc = physmem_reserve(pm, (paddr_t)(uintptr_t)__image_start,
                             (paddr_t)(uintptr_t)__image_end, "hop image");
    rc = rc ? rc : physmem_reserve(pm, bi->info_addr, bi->info_addr + bi->info_size, "boot info");
    for (size_t i = 0; !rc && i < bi->module_count; i++)
        rc = physmem_reserve(pm, bi->modules[i].start,
                             ALIGN_UP(bi->modules[i].end, PAGE_SIZE), "module");
    return rc;
}

void hop_main(uint32_t magic, uint32_t info)
{
    struct hop_error err = { 0 };
    if (serial_init()) {
        console_add_sink(serial_write);
        menu_add_screen(serial_menu_screen());
    }
    idt_init();

    if (bootinfo_parse(&boot_info, magic, info, &(struct phys_access){ identity_map, NULL }, &err)) {
        vga_init(VGA_TEXT_BASE, VGA_TEXT_COLS, VGA_TEXT_ROWS);
        console_add_sink(vga_write);
        kprintf("hop: cannot read the boot information: %s\n", err.msg);
        hop_halt(HOP_EXIT_ERROR);
    }
    console_setup_display(&boot_info);
    if (hop_read_cmdline(boot_info.cmdline)->debug_exit)
        machine_enable_debug_exit();

    kprintf("hop %s: loaded by %s (multiboot%d) at 0x%llx-0x%llx\n", HOP_VERSION,
            boot_info.loader_name[0] ? boot_info.loader_name : "an unnamed loader",
            boot_info.proto == BOOT_PROTO_MB2 ? 2 : 1,
            (unsigned long long)(uintptr_t)__image_start,
            (unsigned long long)(uintptr_t)__image_end);

    quiesce_prepare(&boot_info); /* ACPI tables, while the loader's copy is intact */
    physmem_init(&phys_mem, &boot_info);
    if (reserve_live(&phys_mem, &boot_info) || paging_map_ram(&phys_mem, &err)) {
        kprintf("hop: setting up memory: %s\n", err.msg[0] ? err.msg : "too many live ranges");
        hop_halt(HOP_EXIT_ERROR);
    }
    console_setup_fb_high(&boot_info, &phys_mem);
    timer_calibrate();
    progress_set_clock(timer_now_ms);
    crc32c_hw_install();
    hop_halt(hop_run(&boot_info, &phys_mem, &x86_boot_machine));
}
