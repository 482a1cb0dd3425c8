/* Polled PS/2 keyboard (scan code set 1 as the 8042 translates it): enough
 * keys for the boot menu: digits, Enter, arrows, Escape. */
#include "console/keyboard.h"
#include "io.h"

#define I8042_DATA 0x60
#define I8042_STATUS 0x64
#define I8042_STATUS_OUTPUT_FULL 0x01
#define I8042_STATUS_AUX_DATA 0x20 /* the byte is from the mouse */
#define SCAN_RELEASE 0x80
#define SCAN_EXTENDED 0xE0
#define SCAN_ESC 0x01
#define SCAN_1 0x02 /* 1..9 are 0x02..0x0A, 0 is 0x0B */
#define SCAN_0 0x0B
#define SCAN_ENTER 0x1C
#define SCAN_UP 0x48
#define SCAN_DOWN 0x50

static bool extended;

int keyboard_getc(void)
{
    uint8_t st = inb(I8042_STATUS);
    if (st == 0xFF || !(st & I8042_STATUS_OUTPUT_FULL))
        return -1; /* no controller, or nothing waiting */
    uint8_t sc = inb(I8042_DATA);
    if (st & I8042_STATUS_AUX_DATA)
        return -1;
    if (sc == SCAN_EXTENDED) {
        extended = true;
        return -1;
    }
    bool ext = extended;
    extended = false;
    if (sc & SCAN_RELEASE)
        return -1;
    if (ext)
        return sc == SCAN_UP ? KEY_UP : sc == SCAN_DOWN ? KEY_DOWN : -1;
    if (sc >= SCAN_1 && sc < SCAN_0)
        return '1' + (sc - SCAN_1);
    if (sc == SCAN_0)
        return '0';
    if (sc == SCAN_ENTER)
        return '\r';
    if (sc == SCAN_ESC)
        return KEY_ESC;
    return KEY_OTHER;
}
