/* CRC32C with the SSE4.2 crc32 instruction, installed into src/lib/crc32c.c when
 * the CPU has it: the same digest the trampoline checks, at hardware speed. */
#include "jump/crc32c_hw.h"
#include "cpu.h"
#include "lib/crc32c.h"

#define CPUID_FEATURES 1u
#define CPUID_ECX_SSE42 (1u << 20)

static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t c = ~crc & 0xFFFFFFFFu;
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t q;
        __builtin_memcpy(&q, p, 8);
        __asm__("crc32q %1, %0" : "+r"(c) : "rm"(q));
    }
    uint32_t c32 = (uint32_t)c;
    for (; len; len--, p++)
        __asm__("crc32b %1, %0" : "+r"(c32) : "rm"(*p));
    return ~c32;
}

bool crc32c_hw_install(void)
{
    if (!(cpuid(CPUID_FEATURES, 0).ecx & CPUID_ECX_SSE42))
        return false;
    crc32c_set_impl(crc32c_hw);
    return true;
}
