#include "hop.h"
#include "console.h"
#include "exitcode.h"
#include "lib/fmt.h"
#include "lib/string.h"

bool hop_option_present(const char *cmdline, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if ((size_t)(p - w) >= n && !strncmp(w, name, n) && (w + n == p || w[n] == '='))
            return true;
    }
    return false;
}

void hop_print_bootinfo(const struct bootinfo *bi)
{
    char total[32];
    fmt_size(total, sizeof(total), bootinfo_total(bi, MEM_USABLE));
    kprintf("hop: command line: \"%s\"\n", bi->cmdline);
    kprintf("hop: memory map (%s, %zu entries, usable %s = %llu bytes):\n",
            bi->map_from_efi ? "from the EFI memory map" : "from the loader's map",
            bi->map_count, total, (unsigned long long)bootinfo_total(bi, MEM_USABLE));
    for (size_t i = 0; i < bi->map_count; i++) {
        const struct mem_region *r = &bi->map[i];
        kprintf("hop:   mem %016llx-%016llx %s\n", (unsigned long long)r->start,
                (unsigned long long)r->end, mem_type_name(r->type));
    }
    kprintf("hop: %zu module(s):\n", bi->module_count);
    for (size_t i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        kprintf("hop:   module %zu %016llx-%016llx %llu bytes \"%s\"\n", i,
                (unsigned long long)m->start, (unsigned long long)m->end,
                (unsigned long long)(m->end - m->start), m->cmdline);
    }
    if (bi->rsdp_v2 || bi->rsdp_v1)
        kprintf("hop: ACPI RSDP given (%s)\n", bi->rsdp_v2 ? "v2" : "v1");
    if (bi->efi_system_table64 || bi->efi_system_table32)
        kprintf("hop: EFI system table at 0x%llx\n",
                (unsigned long long)(bi->efi_system_table64 ? bi->efi_system_table64
                                                            : bi->efi_system_table32));
    if (bi->has_fb)
        kprintf("hop: framebuffer %ux%u %u bpp type %u at 0x%llx\n", bi->fb.width,
                bi->fb.height, bi->fb.bpp, bi->fb.type, (unsigned long long)bi->fb.addr);
}

int hop_run(const struct bootinfo *bi, struct physmem *pm)
{
    (void)pm;
    hop_print_bootinfo(bi);
    kprintf("hop: no kernel to boot\n");
    return HOP_EXIT_NOTHING;
}
