/* hop's own bitmap font: 8x16 cells for printable ASCII (32-126), drawn for
 * hop (src/console/font8x16.c holds the glyphs as '#'/'.' art).  Row r of glyph g
 * is font8x16[g][r]; bit 7 is the leftmost pixel. */
#ifndef HOP_FONT8X16_H
#define HOP_FONT8X16_H

#include "lib/types.h"

#define FONT_WIDTH 8
#define FONT_HEIGHT 16
#define FONT_FIRST 32 /* ' ' */
#define FONT_LAST 126 /* '~' */
#define FONT_GLYPHS (FONT_LAST - FONT_FIRST + 1)
#define FONT_REPLACEMENT '?' /* drawn for bytes the font lacks */

extern const uint8_t font8x16[FONT_GLYPHS][FONT_HEIGHT];

/* The glyph rows for byte c (FONT_REPLACEMENT's when c is not printable). */
static inline const uint8_t *font8x16_glyph(unsigned char c)
{
    if (c < FONT_FIRST || c > FONT_LAST)
        c = FONT_REPLACEMENT;
    return font8x16[c - FONT_FIRST];
}

#endif
