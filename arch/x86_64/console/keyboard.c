/* Polled PS/2 keyboard (scan code set 1 as the 8042 translates it), US
 * layout: printable keys with Shift, Enter, Backspace, Escape, the arrows,
 * Home, End and Delete; everything the boot menu and its editor take.
 * Other keys are KEY_OTHER (they stop the countdown and do nothing else). */
#include "console/keyboard.h"
#include "io.h"

#define I8042_DATA 0x60
#define I8042_STATUS 0x64
#define I8042_STATUS_OUTPUT_FULL 0x01
#define I8042_STATUS_AUX_DATA 0x20 /* the byte is from the mouse */
#define SCAN_RELEASE 0x80
#define SCAN_EXTENDED 0xE0
#define SCAN_LSHIFT 0x2A
#define SCAN_RSHIFT 0x36
#define SCAN_HOME 0x47 /* with SCAN_EXTENDED, as the next five */
#define SCAN_UP 0x48
#define SCAN_LEFT 0x4B
#define SCAN_RIGHT 0x4D
#define SCAN_END 0x4F
#define SCAN_DOWN 0x50
#define SCAN_DELETE 0x53

/* Scan codes 0x00-0x39 to characters; 0 where the key is none of ours. */
static const char us_plain[] = "\0\x1b" "1234567890-=" "\b\t" "qwertyuiop[]" "\r\0"
                               "asdfghjkl;'`" "\0\\" "zxcvbnm,./" "\0*\0 ";
static const char us_shift[] = "\0\x1b" "!@#$%^&*()_+" "\b\t" "QWERTYUIOP{}" "\r\0"
                               "ASDFGHJKL:\"~" "\0|" "ZXCVBNM<>?" "\0*\0 ";

static bool extended, shift;

static int extended_key(uint8_t sc)
{
    switch (sc) {
    case SCAN_UP: return KEY_UP;
    case SCAN_DOWN: return KEY_DOWN;
    case SCAN_LEFT: return KEY_LEFT;
    case SCAN_RIGHT: return KEY_RIGHT;
    case SCAN_HOME: return KEY_HOME;
    case SCAN_END: return KEY_END;
    case SCAN_DELETE: return KEY_DELETE;
    default: return KEY_OTHER;
    }
}

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
    uint8_t code = sc & (uint8_t)~SCAN_RELEASE;
    if (!ext && (code == SCAN_LSHIFT || code == SCAN_RSHIFT)) {
        shift = !(sc & SCAN_RELEASE);
        return -1;
    }
    if (sc & SCAN_RELEASE)
        return -1;
    if (ext)
        return extended_key(sc);
    char c = sc < sizeof(us_plain) - 1 ? (shift ? us_shift : us_plain)[sc] : 0;
    return c ? (unsigned char)c : KEY_OTHER;
}
