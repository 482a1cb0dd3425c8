#ifndef HOP_ARCH_BOOT_MACHINE_H
#define HOP_ARCH_BOOT_MACHINE_H
#include "boot/boot.h"
extern const struct boot_machine x86_boot_machine;
#endif
