/* The demo kernel: `make run` boots it.  It says hello, shows what it was
 * given, and exits through QEMU's debug port. */
#include "tk.h"
#include "lib/string.h"

static struct bootinfo bi;

/* A command line as Xen 4.17 reads a multiboot one (its cmdline_cook, our
 * own rendering of the rule): leading blanks skipped, then the first word
 * taken for the image path and dropped, unless the loader's name shows GRUB
 * 2's convention ("GRUB " followed by anything but '0', which was GRUB
 * Legacy's).  docs/protocols.md, "Command lines". */
static bool loader_is_grub2(const char *name)
{
    for (; *name; name++)
        if (!strncmp(name, "GRUB ", 5))
            return name[5] != '0';
    return false;
}

static const char *as_xen_reads(const char *s)
{
    while (*s == ' ')
        s++;
    if (loader_is_grub2(bi.loader_name))
        return s;
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

void tk_main(uint32_t magic, uint32_t info)
{
    tk_parse_bootinfo(&bi, magic, info);
    tk_printf("demo: hello from the demo kernel (multiboot%d, loaded by \"%s\")\n",
              bi.proto == BOOT_PROTO_MB2 ? 2 : 1, bi.loader_name);
    tk_printf("demo: command line \"%s\"\n", bi.cmdline);
    tk_printf("demo: command line as Xen reads it \"%s\"\n", as_xen_reads(bi.cmdline));
    tk_printf("demo: %llu KiB usable RAM, %u module(s)\n",
              (unsigned long long)(bootinfo_total(&bi, MEM_USABLE) >> 10),
              (unsigned)bi.module_count);
    for (size_t i = 0; i < bi.module_count; i++)
        tk_printf("demo: module \"%s\" %llu bytes crc32 %08x\n", bi.modules[i].cmdline,
                  (unsigned long long)(bi.modules[i].end - bi.modules[i].start),
                  tk_crc32((const void *)(uintptr_t)bi.modules[i].start,
                           (size_t)(bi.modules[i].end - bi.modules[i].start)));
    for (size_t i = 0; i < bi.module_count; i++)
        tk_printf("demo: module %u as Xen reads it \"%s\"\n", (unsigned)i,
                  as_xen_reads(bi.modules[i].cmdline));
    tk_check(magic == MB2_BOOTLOADER_MAGIC || magic == MB1_BOOTLOADER_MAGIC,
             "unknown magic 0x%x", magic);
    tk_finish();
}
