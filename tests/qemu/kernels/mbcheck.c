/* mbcheck: a multiboot1/multiboot2 test kernel that checks what it was given
 * against expectations on its own command line, from inside the guest:
 *   proto=mb1|mb2         the magic it must have been entered with
 *   mem=MiB               RAM QEMU has: usable RAM in the map must be close
 *   mods=N                number of modules
 *   modK=SIZE:CRC32       size and CRC-32 of module K (hex)
 *   modcmdK=WORD          first word of module K's command line
 *   loader=NAME           the boot loader name's first word
 *   efi=0|1               EFI system table and EFI memory map present
 *   elfsyms=1             an ELF-sections tag (9) whose symbol table, loaded
 *                         by the loader, holds tk_main at its real address
 * It also checks that modules are page aligned, that the info block and the
 * modules do not overlap the kernel or each other, and that basic meminfo
 * agrees with the memory map. */
#include "tk.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define MIB (1024ull * 1024)
#define FIRMWARE_SLACK (48 * MIB) /* what firmware may keep for itself */
#define MAX_WORD 64

extern char __tk_start[], __tk_end[];
static struct bootinfo bi;

/* The value of key=... on the command line, copied into out (first word). */
static bool arg(const char *key, char *out, size_t size)
{
    size_t n = strlen(key);
    for (const char *p = bi.cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, n) && p[n] == '=') {
            size_t i = 0;
            for (p += n + 1; *p && *p != ' ' && i + 1 < size; p++)
                out[i++] = *p;
            out[i] = 0;
            return true;
        }
        while (*p && *p != ' ')
            p++;
    }
    return false;
}

static uint64_t parse_num(const char *s, unsigned base)
{
    uint64_t v = 0;
    for (; *s && *s != ':'; s++) {
        unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
                   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) : 99;
        if (d >= base)
            break;
        v = v * base + d;
    }
    return v;
}

static bool overlaps(paddr_t a, paddr_t b, paddr_t c, paddr_t d)
{
    return a < d && c < b;
}

static void check_modules(void)
{
    char v[MAX_WORD], key[16];
    if (arg("mods", v, sizeof(v)))
        tk_check(bi.module_count == parse_num(v, 10), "%u modules, expected %s",
                 (unsigned)bi.module_count, v);
    paddr_t ks = (uintptr_t)__tk_start, ke = (uintptr_t)__tk_end;
    for (size_t i = 0; i < bi.module_count; i++) {
        const struct boot_module *m = &bi.modules[i];
        size_t len = (size_t)(m->end - m->start);
        uint32_t crc = tk_crc32((const void *)(uintptr_t)m->start, len);
        tk_printf("mbcheck: module %u at 0x%llx, %u bytes, crc32 %08x, \"%s\"\n", (unsigned)i,
                  (unsigned long long)m->start, (unsigned)len, crc, m->cmdline);
        tk_check(m->start % 4096 == 0, "module %u at 0x%llx not page aligned", (unsigned)i,
                 (unsigned long long)m->start);
        tk_check(!overlaps(m->start, m->end, ks, ke), "module %u overlaps the kernel", (unsigned)i);
        tk_check(!overlaps(m->start, m->end, bi.info_addr, bi.info_addr + bi.info_size),
                 "module %u overlaps the boot info", (unsigned)i);
        for (size_t j = 0; j < i; j++)
            tk_check(!overlaps(m->start, m->end, bi.modules[j].start, bi.modules[j].end),
                     "modules %u and %u overlap", (unsigned)j, (unsigned)i);
        fmt_snprintf(key, sizeof(key), "mod%u", (unsigned)i);
        if (arg(key, v, sizeof(v))) {
            const char *colon = strchr(v, ':');
            tk_check(len == parse_num(v, 16), "module %u size %u, expected 0x%s", (unsigned)i,
                     (unsigned)len, v);
            tk_check(colon && crc == (uint32_t)parse_num(colon + 1, 16),
                     "module %u crc32 %08x, expected %s", (unsigned)i, crc, colon ? colon + 1 : "?");
        }
        fmt_snprintf(key, sizeof(key), "modcmd%u", (unsigned)i);
        if (arg(key, v, sizeof(v)))
            tk_check(!strncmp(m->cmdline, v, strlen(v)) &&
                         (m->cmdline[strlen(v)] == 0 || m->cmdline[strlen(v)] == ' '),
                     "module %u command line \"%s\", expected \"%s\"", (unsigned)i, m->cmdline, v);
    }
}

static void check_memory(void)
{
    char v[MAX_WORD];
    uint64_t usable = bootinfo_total(&bi, MEM_USABLE);
    tk_printf("mbcheck: %u map entries, %llu KiB usable, meminfo %u/%u KiB\n",
              (unsigned)bi.map_count, (unsigned long long)(usable >> 10), bi.mem_lower_kib,
              bi.mem_upper_kib);
    tk_check(bi.map_count > 0, "no memory map");
    if (arg("mem", v, sizeof(v))) {
        uint64_t mem = parse_num(v, 10) * MIB;
        tk_check(usable <= mem && usable + FIRMWARE_SLACK >= mem,
                 "usable %llu KiB does not match %llu MiB of RAM",
                 (unsigned long long)(usable >> 10), (unsigned long long)(mem / MIB));
    }
    tk_check(bi.has_meminfo, "no basic memory information");
    /* mem_upper is the RAM contiguous from 1 MiB, as the firmware reported
     * it; the map handed on may mark the loader's info and modules in it, so
     * the usable run from 1 MiB may be shorter, never longer. */
    for (size_t i = 0; i < bi.map_count; i++)
        if (bi.map[i].type == MEM_USABLE && bi.map[i].start <= MIB && bi.map[i].end > MIB)
            tk_check(bi.mem_upper_kib >= (bi.map[i].end - MIB) >> 10,
                     "mem_upper %u KiB, but the map has %llu KiB usable from 1 MiB",
                     bi.mem_upper_kib, (unsigned long long)((bi.map[i].end - MIB) >> 10));
    if (arg("mem", v, sizeof(v)))
        tk_check(((uint64_t)bi.mem_upper_kib << 10) + MIB <= parse_num(v, 10) * MIB,
                 "mem_upper %u KiB beyond the RAM", bi.mem_upper_kib);
    paddr_t ks = (uintptr_t)__tk_start, ke = (uintptr_t)__tk_end;
    tk_check(!overlaps(bi.info_addr, bi.info_addr + bi.info_size, ks, ke),
             "boot info 0x%llx overlaps the kernel", (unsigned long long)bi.info_addr);
}

void tk_main(uint32_t magic, uint32_t info);

#define MB2_TAG_ELF_SECTIONS 9
#define SHT_SYMTAB 2
#define ELF32_SHDR_SIZE 40
#define ELF32_SYM_SIZE 16

struct shdr32 {
    uint32_t name, type, flags, addr, offset, size, link, info, addralign, entsize;
};

/* The raw multiboot2 tag of this type, or NULL. */
static const uint8_t *mb2_tag(uint32_t info, uint32_t type)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)info;
    uint32_t total = *(const uint32_t *)p;
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t t = *(const uint32_t *)(p + off), size = *(const uint32_t *)(p + off + 4);
        if (t == type)
            return p + off;
        if (t == 0 || size < 8)
            return NULL;
        off += (size + 7) & ~7u;
    }
    return NULL;
}

/* Tag 9: GRUB's layout (u32 num, entsize, shndx, then the headers).  Finds
 * .symtab and its string table through the loaded addresses and looks for
 * tk_main there. */
static void check_elf_sections(uint32_t info)
{
    const uint8_t *tag = mb2_tag(info, MB2_TAG_ELF_SECTIONS);
    tk_check(tag != NULL, "no ELF-sections tag");
    if (!tag)
        return;
    uint32_t num = *(const uint32_t *)(tag + 8), entsize = *(const uint32_t *)(tag + 12);
    uint32_t shndx = *(const uint32_t *)(tag + 16);
    const struct shdr32 *sh = (const struct shdr32 *)(tag + 20);
    tk_printf("mbcheck: ELF sections: %u headers of %u bytes, names in %u\n", num, entsize, shndx);
    tk_check(entsize == ELF32_SHDR_SIZE && num > 1 && shndx < num, "bad ELF-sections tag");
    bool found = false;
    for (uint32_t i = 0; i < num && entsize == ELF32_SHDR_SIZE; i++) {
        if (sh[i].type != SHT_SYMTAB || sh[i].link >= num)
            continue;
        const uint8_t *syms = (const uint8_t *)(uintptr_t)sh[i].addr;
        const char *strs = (const char *)(uintptr_t)sh[sh[i].link].addr;
        tk_check(syms && strs, "symbol table at 0x%x, strings at 0x%x: not loaded",
                 sh[i].addr, sh[sh[i].link].addr);
        for (uint32_t k = 0; syms && strs && k < sh[i].size / ELF32_SYM_SIZE; k++) {
            uint32_t name = *(const uint32_t *)(syms + k * ELF32_SYM_SIZE);
            uint32_t value = *(const uint32_t *)(syms + k * ELF32_SYM_SIZE + 4);
            if (name < sh[sh[i].link].size && !strcmp(strs + name, "tk_main")) {
                tk_printf("mbcheck: symbol tk_main = 0x%x (really 0x%x)\n", value,
                          (unsigned)(uintptr_t)tk_main);
                found = value == (uint32_t)(uintptr_t)tk_main;
            }
        }
    }
    tk_check(found, "tk_main not found at its address in the loaded symbol table");
}

void tk_main(uint32_t magic, uint32_t info)
{
    char v[MAX_WORD];
    tk_parse_bootinfo(&bi, magic, info);
    tk_printf("mbcheck: multiboot%d from \"%s\", info at 0x%x, command line \"%s\"\n",
              bi.proto == BOOT_PROTO_MB2 ? 2 : 1, bi.loader_name, info, bi.cmdline);
    if (arg("proto", v, sizeof(v)))
        tk_check(!strcmp(v, "mb2") ? magic == MB2_BOOTLOADER_MAGIC : magic == MB1_BOOTLOADER_MAGIC,
                 "entered with magic 0x%x, expected %s", magic, v);
    if (arg("loader", v, sizeof(v)))
        tk_check(!strncmp(bi.loader_name, v, strlen(v)), "loader \"%s\", expected \"%s\"",
                 bi.loader_name, v);
    if (arg("efi", v, sizeof(v))) {
        bool efi = bi.efi_system_table64 || bi.efi_system_table32;
        tk_check(efi == (v[0] == '1'), "EFI system table %s", efi ? "present" : "absent");
        if (v[0] == '1')
            tk_check(bi.efi_mmap && bi.efi_mmap_size > 0, "no EFI memory map");
    }
    if (bi.proto == BOOT_PROTO_MB2 && arg("rsdp", v, sizeof(v)))
        tk_check(bi.rsdp_v1 || bi.rsdp_v2, "no ACPI RSDP tag");
    if (bi.proto == BOOT_PROTO_MB2 && arg("elfsyms", v, sizeof(v)))
        check_elf_sections(info);
    check_memory();
    check_modules();
    tk_finish();
}
