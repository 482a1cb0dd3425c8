#ifndef HOP_ARCH_CRC32C_HW_H
#define HOP_ARCH_CRC32C_HW_H
#include "lib/types.h"
/* Installs the SSE4.2 CRC32C when the CPU has it; false otherwise. */
bool crc32c_hw_install(void);
#endif
