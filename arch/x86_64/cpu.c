/* Stopping: the last thing hop does when it cannot go on. */
#include "cpu.h"
#include "io.h"
#include "machine.h"
#include "console/console.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4

static bool debug_exit_enabled;

void machine_enable_debug_exit(void)
{
    debug_exit_enabled = true;
}

bool machine_debug_exit_enabled(void)
{
    return debug_exit_enabled;
}

void machine_debug_exit(int code)
{
    if (debug_exit_enabled)
        outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)code);
}

__attribute__((noreturn)) void cpu_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void hop_halt(int code)
{
    kprintf("hop: halted (code %d)\n", code);
    machine_debug_exit(code);
    cpu_halt();
}
