/* The boot summary: one block, printed right before the jump (and so right
 * before the machine layer's quiesce lines), that says what hop is about to
 * hand over: protocol, entry state, where every segment and module lies and
 * how it gets there, and what the copying cost. */
#ifndef HOP_BOOT_SUMMARY_H
#define HOP_BOOT_SUMMARY_H

#include "boot/attempt.h"

#define BOOT_SUMMARY_MAX_SEGMENTS 16 /* more are counted, not listed */

/* Needs a->k loaded (kimage_load done) and h filled by the protocol. */
void boot_print_summary(const struct boot_attempt *a, const struct handoff_cpu *h);

#endif
