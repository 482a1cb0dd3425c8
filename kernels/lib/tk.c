#include "tk.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THR_EMPTY 0x20
#define QEMU_DEBUG_EXIT_PORT 0xf4

static inline void tk_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void tk_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t tk_inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static unsigned tk_failures, tk_checks;

static void tk_putc(char c)
{
    for (int i = 0; i < 100000 && !(tk_inb(COM1_LSR) & LSR_THR_EMPTY); i++)
        ;
    tk_outb(COM1, (uint8_t)c);
}

void tk_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++) {
        if (*p == '\n')
            tk_putc('\r');
        tk_putc(*p);
    }
}

void tk_exit(int code)
{
    tk_outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void tk_check(bool ok, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    tk_checks++;
    if (ok)
        return;
    tk_failures++;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    tk_printf("tk: FAIL %s\n", buf);
}

void tk_finish(void)
{
    tk_printf("tk: %u checks, %u failed: %s\n", tk_checks, tk_failures,
              tk_failures ? "FAIL" : "PASS");
    tk_exit(tk_failures ? HOP_EXIT_FAIL : HOP_EXIT_PASS);
}

static const void *tk_identity(void *ctx, paddr_t addr, size_t len)
{
    (void)ctx;
    if (addr == 0 || addr > UINT32_MAX || len > (uint64_t)UINT32_MAX + 1 - addr)
        return NULL;
    return (const void *)(uintptr_t)addr;
}

void tk_parse_bootinfo(struct bootinfo *bi, uint32_t magic, uint32_t info)
{
    struct hop_error err = { 0 };
    if (bootinfo_parse(bi, magic, info, &(struct phys_access){ tk_identity, NULL }, &err)) {
        tk_printf("tk: FAIL boot info: %s\n", err.msg);
        tk_exit(HOP_EXIT_FAIL);
    }
}

uint32_t tk_crc32(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *b++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}
