/* EXPECT_MAP: the map in a struct bootinfo is exactly the regions given
 * (test_bootinfo.c, test_memmap.c). */
#ifndef HOP_MAP_EXPECT_H
#define HOP_MAP_EXPECT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parse/bootinfo.h"

__attribute__((unused))
static void expect_map(const struct bootinfo *b, const struct mem_region *want, size_t n)
{
    if (b->map_count != n) {
        for (size_t i = 0; i < b->map_count; i++)
            print_message("  got [0x%llx, 0x%llx) %u\n", (unsigned long long)b->map[i].start,
                          (unsigned long long)b->map[i].end, b->map[i].type);
    }
    assert_int_equal(b->map_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b->map[i].start, want[i].start);
        assert_int_equal(b->map[i].end, want[i].end);
        assert_int_equal(b->map[i].type, want[i].type);
    }
}

#define EXPECT_MAP(b, ...)                                                                  \
    do {                                                                                    \
        const struct mem_region want_[] = { __VA_ARGS__ };                                  \
        expect_map((b), want_, sizeof(want_) / sizeof(want_[0]));                           \
    } while (0)

#endif
