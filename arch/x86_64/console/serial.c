/* COM1, a 16550-compatible UART, at 115200 8N1.  Many machines (and OVMF
 * setups) have no UART: we probe with the scratch register and stay silent
 * when nothing answers, instead of spinning on a status that never comes. */
#include "console/serial.h"
#include "console/menu_draw.h"
#include "io.h"
#include "lib/fmt.h"

#define COM1_BASE 0x3F8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear both */
#define MCR_DTR_RTS_OUT2 0x0B
#define LSR_THR_EMPTY 0x20
#define LSR_DATA_READY 0x01
#define UART_CLOCK_DIVISOR_115200 1
#define THR_WAIT_SPINS 100000
/* A terminal of the usual size; the last column stays empty, so that no
 * terminal wraps or scrolls when the bottom right cell is written. */
#define TERM_COLS 79
#define TERM_ROWS 24
#define ANSI_MAX 24

static bool serial_present;

bool serial_init(void)
{
    outb(COM1_BASE + UART_SCR, 0x5A);
    if (inb(COM1_BASE + UART_SCR) != 0x5A)
        return serial_present = false;
    outb(COM1_BASE + UART_IER, 0);
    outb(COM1_BASE + UART_LCR, LCR_DLAB);
    outb(COM1_BASE + UART_DLL, UART_CLOCK_DIVISOR_115200);
    outb(COM1_BASE + UART_DLH, 0);
    outb(COM1_BASE + UART_LCR, LCR_8N1);
    outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
    return serial_present = true;
}

static void serial_putc(char c)
{
    for (int i = 0; i < THR_WAIT_SPINS; i++)
        if (inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY)
            break;
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    if (!serial_present)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

int serial_getc(void)
{
    if (!serial_present || !(inb(COM1_BASE + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1_BASE + UART_THR);
}

/* The boot menu on a serial terminal through ANSI (VT100) sequences: hide
 * the cursor and clear, then each run of cells at its place. */
static void serial_menu_begin(void)
{
    static const char hide_clear[] = "\x1b[?25l\x1b[0m\x1b[2J";
    serial_write(hide_clear, sizeof(hide_clear) - 1);
}

static void serial_menu_end(void)
{
    static const char clear_home_show[] = "\x1b[0m\x1b[2J\x1b[H\x1b[?25h";
    serial_write(clear_home_show, sizeof(clear_home_show) - 1);
}

static void serial_menu_put(uint32_t row, uint32_t col, const char *s, size_t n, bool inverse)
{
    char seq[ANSI_MAX];
    int len = fmt_snprintf(seq, sizeof(seq), "\x1b[%u;%uH%s", row + 1, col + 1,
                           inverse ? "\x1b[7m" : "");
    serial_write(seq, (size_t)len);
    serial_write(s, n);
    static const char normal[] = "\x1b[0m";
    if (inverse)
        serial_write(normal, sizeof(normal) - 1);
}

static const struct menu_screen serial_screen = {
    .cols = TERM_COLS, .rows = TERM_ROWS, .begin = serial_menu_begin, .put = serial_menu_put,
    .end = serial_menu_end, .write = serial_write,
};

const struct menu_screen *serial_menu_screen(void)
{
    return serial_present ? &serial_screen : NULL;
}
