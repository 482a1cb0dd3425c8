#include "hop.h"
#include "console/console.h"
#include "parse/config.h"
#include "console/menu.h"
#include "ramdisk.h"
#include "exitcode.h"
#include "lib/fmt.h"
#include "lib/string.h"

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

static struct hop_config config;
static int cmdline_rc;
static struct hop_error cmdline_err;
static struct ramdisk ramdisk;

const struct hop_config *hop_read_cmdline(const char *cmdline)
{
    config_init(&config);
    cmdline_rc = config_parse_cmdline(&config, cmdline, &cmdline_err);
    return &config;
}

/* The RAM disk's view of a module: the machine's, refusing address 0 (no
 * loader puts a module there; a 0 is a field nobody filled). */
static const void *ramdisk_view(void *ctx, paddr_t addr, size_t len)
{
    const struct boot_machine *m = ctx;
    if (addr == 0 || len > UINTPTR_MAX - addr)
        return NULL;
    return m->phys.map(m->phys.ctx, addr, len);
}

/* Inflated files: from the top of RAM down, marked live. */
struct live_alloc {
    struct physmem *pm;
    const struct boot_machine *m;
};

static void *alloc_live(void *ctx, size_t size, size_t align)
{
    const struct live_alloc *la = ctx;
    paddr_t at;
    if (physmem_alloc(la->pm, size, MAX(align, (size_t)PAGE_SIZE), ~(paddr_t)0,
                      "inflated file", &at, NULL))
        return NULL;
    return la->m->phys.map(la->m->phys.ctx, at, size);
}

static int read_config(const struct bootinfo *bi, struct physmem *pm,
                       const struct boot_machine *m, struct hop_error *err)
{
    static struct live_alloc la;
    la = (struct live_alloc){ pm, m };
    struct ramdisk_source src = { { ramdisk_view, (void *)m }, alloc_live, &la, 0 };
    int rc = ramdisk_open(&ramdisk, bi, &src, err);
    if (rc)
        return rc;
    if (ramdisk.archive)
        kprintf("hop: RAM disk: module %zu, %zu bytes%s\n", ramdisk.module_index,
                ramdisk.archive_size, ramdisk.archive_was_compressed ? " (inflated)" : "");
    else /* say, for each module, why it is not one */
        for (size_t i = 0; i < bi->module_count; i++)
            if (ramdisk_why_not(&ramdisk, i, err) != HOP_OK)
                kprintf("hop: %s\n", err->msg);
    struct ramdisk_file f;
    rc = ramdisk_open_file(&ramdisk, config.config_path, &f, err);
    if (rc == HOP_OK)
        rc = config_parse_file(&config, (const char *)f.data, f.size, config.config_path, err);
    else if (rc == HOP_ERR_NOTFOUND && !config.config_path_given)
        rc = HOP_OK; /* no /hop.cfg: the command line alone */
    return rc ? rc : config_finish(&config, err);
}

int hop_run(const struct bootinfo *bi, struct physmem *pm, const struct boot_machine *m)
{
    struct hop_error err = cmdline_err;
    hop_print_bootinfo(bi);
    int rc = cmdline_rc ? cmdline_rc : read_config(bi, pm, m, &err);
    if (rc) {
        kprintf("hop: %s\n", err.msg);
        return rc == HOP_ERR_NOTFOUND && config.entry_count == 0 ? HOP_EXIT_NOTHING
                                                                 : HOP_EXIT_ERROR;
    }
    struct boot_env env = { bi, &config, pm, &ramdisk, m };
    struct menu_choice choice =
        menu_choose(&config, &(struct menu_input){ m->term_getc, m->key_getc, m->now_ms });
    if (choice.cmdline) /* edited in the menu: this boot only, nothing is saved */
        config.entries[choice.index].cmdline = choice.cmdline;
    return boot_all(&env, choice.index);
}
