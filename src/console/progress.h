/* A progress bar for long work (inflating, digesting, loading a large
 * kernel), drawn on hop's log: one line, redrawn in place with '\r' (the
 * serial terminal and the VGA and framebuffer consoles all return to the
 * line's start), at most every PROGRESS_INTERVAL_MS:
 *
 *   hop: inflating /boot/vmlinuz         [#########-----------]  45%   12.1/26.9 MiB
 *
 * Nothing is drawn for work that ends within PROGRESS_DELAY_MS, so small
 * files leave the log as it was; once drawn, progress_end draws the final
 * state and ends the line.  Without a clock (progress_set_clock not called:
 * the host, or before the machine calibrated its timer) nothing is drawn.
 *
 * One bar at a time, global: src/ code calls progress_update from its inner
 * loops in chunks of PROGRESS_CHUNK bytes or so; with no bar begun the call
 * returns at once. */
#ifndef HOP_PROGRESS_H
#define HOP_PROGRESS_H

#include "lib/types.h"

#define PROGRESS_DELAY_MS 250    /* work shorter than this shows no bar */
#define PROGRESS_INTERVAL_MS 200 /* redraws at most five times a second */
#define PROGRESS_CHUNK ((size_t)1 << 20) /* what callers do between updates */
#define PROGRESS_WHAT_MAX 28     /* verb and name; a longer name keeps its end */
#define PROGRESS_VERB_MAX 15
#define PROGRESS_BAR_WIDTH 20     /* the whole line stays within 79 columns */

typedef uint64_t (*progress_clock_fn)(void);

/* Milliseconds since any fixed point; NULL turns the bars off. */
void progress_set_clock(progress_clock_fn now_ms);

/* Starts a bar for total bytes of work described by verb and name
 * ("inflating", "/boot/vmlinuz"; both copied, the name shortened from the
 * left when the two are longer than PROGRESS_WHAT_MAX).  A bar still open
 * is ended first. */
void progress_begin(const char *verb, const char *name, uint64_t total);

/* done bytes of the total are finished (values above total count as total). */
void progress_update(uint64_t done);

/* n more bytes are finished. */
void progress_add(uint64_t n);

/* The work is over (or failed): a bar that was drawn is drawn once more
 * with the last count and its line ended. */
void progress_end(void);

/* Formats the bar line into buf (no '\r', no newline); returns its length.
 * For the tests. */
size_t progress_format(char *buf, size_t size, const char *verb, const char *name,
                       uint64_t done, uint64_t total);

#endif
