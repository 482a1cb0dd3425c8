/* TEST ONLY: linked into build/hop-dirty.elf, never into build/hop.elf
 * (kernels/kernels.mk).  Proves that quiescing works from a
 * machine that is as busy as firmware or a crashed kernel could leave it.
 *
 * The link wraps quiesce_machine (ld --wrap=quiesce_machine): the call in
 * boot_machine.c, right before the jump, lands here.  We make the machine
 * dirty, prove that it is, then run the production steps through
 * quiesce_steps(), minus those named in QEMU's fw_cfg file
 * "opt/hop/dirty" ("skip=pic,lapic,..."; see tests/qemu/test_quiesce.py),
 * so that each of quietcheck's checks can be shown to fail without its step.
 *
 * The dirt, all live at once:
 *  - the 8259s reprogrammed to vectors 0x20-0x2F, IRQ0 (PIT) unmasked, and
 *    one IRQ0 left in service (its handler skips the EOI once);
 *  - the local APIC timer periodic at about 1 kHz (vector 0x40), and an
 *    interrupt left in service in the local APIC (self-IPI 0x30, no EOI);
 *  - the IO-APIC routing ISA IRQ0 (vector 0x41) and HPET timer 0 (0x42);
 *  - the PIT periodic at 1 kHz, the HPET counting with timer 0 periodic;
 *  - an e1000/e1000e receiving: a ring of RX_DESCS descriptors all pointing
 *    at one buffer, so that every packet the test sends (UDP through QEMU's
 *    socket netdev) is DMA-written into RAM; on an e1000e MSI-X on too
 *    (0x43), and MSI on the q35 AHCI controller (0x44);
 *  - VT-d translation (pass-through for the NIC) and queued invalidation
 *    on, or AMD-Vi on (all devices pass through);
 *  - all eight 8237 channels unmasked;
 *  - interrupts enabled until each source has been seen firing, then
 *    disabled with more of them pending in the local APIC's IRR.
 * Every handler counts into `dirty_counts`; the NIC writes `dirty_rx_ring`
 * and `dirty_rx_buffer`: the test passes those (found with nm) to
 * quietcheck as canaries. */
#include "quiesce/acpi_tables.h"
#include "console/console.h"
#include "cpu.h"
#include "quiesce/hpet.h"
#include "io.h"
#include "quiesce/ioapic.h"
#include "quiesce/lapic.h"
#include "mmio.h"
#include "quiesce/pci_cfg.h"
#include "quiesce/pic.h"
#include "quiesce/pit.h"
#include "quiesce/quiesce.h"
#include "timer.h"
#include "lib/string.h"

#define VEC_PIC_BASE 0x20
#define VEC_HELD 0x30 /* below 0x40: an ISR bit at 0x30 blocks none of the rest */
#define VEC_LAPIC_TIMER 0x40
#define VEC_IOAPIC_PIT 0x41
#define VEC_HPET 0x42
#define VEC_MSIX 0x43
#define VEC_MSI 0x44
#define VEC_SPURIOUS 0xFF
#define PIC_ISR_IRQ0 0x01
#define IDT_VECTORS 256
#define IDT_GATE_INTERRUPT64 0x8E
#define LIVE_TIMEOUT_MS 4000
#define PENDING_TIMEOUT_MS 200
#define RX_DESCS 8192 /* QEMU delivers about one packet per ms: seconds of DMA */
#define RX_BUFFER_SIZE 2048

void __wrap_quiesce_machine(void);

struct dirty_counts {
    volatile uint32_t lapic_timer, ioapic_pit, pic_pit, hpet, msix, held, spurious, other;
};

struct rx_desc {
    uint64_t addr;
    uint16_t length, checksum;
    uint8_t status, errors;
    uint16_t special;
};

struct dirty_counts dirty_counts;
struct rx_desc dirty_rx_ring[RX_DESCS] __attribute__((aligned(4096)));
uint8_t dirty_rx_buffer[RX_BUFFER_SIZE] __attribute__((aligned(4096)));

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_high, reserved;
} __attribute__((packed));

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct interrupt_frame;

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static volatile bool pic_hold; /* the next IRQ0 stays in service at the 8259 */
static const struct acpi_info *acpi;
static uint32_t apic_id;

/* ---- fw_cfg: the test's instructions (QEMU docs/specs/fw_cfg.txt) -------- */

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_LEN 56

static uint32_t fw_cfg_be(int bytes)
{
    uint32_t v = 0;
    while (bytes--)
        v = v << 8 | inb(FW_CFG_DATA);
    return v;
}

/* Reads fw_cfg file `name` into buf as a string; false if absent. */
static bool fw_cfg_read(const char *name, char *buf, size_t size)
{
    outw(FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
    if (fw_cfg_be(4) != ('Q' << 24 | 'E' << 16 | 'M' << 8 | 'U'))
        return false;
    outw(FW_CFG_SELECTOR, FW_CFG_FILE_DIR);
    for (uint32_t n = fw_cfg_be(4); n--;) {
        uint32_t len = fw_cfg_be(4);
        uint16_t select = (uint16_t)fw_cfg_be(2);
        char file[FW_CFG_NAME_LEN];
        (void)fw_cfg_be(2);
        for (int i = 0; i < FW_CFG_NAME_LEN; i++)
            file[i] = (char)inb(FW_CFG_DATA);
        file[FW_CFG_NAME_LEN - 1] = 0;
        if (strcmp(file, name) != 0)
            continue;
        outw(FW_CFG_SELECTOR, select);
        size_t i = 0;
        for (; i + 1 < size && i < len; i++)
            buf[i] = (char)inb(FW_CFG_DATA);
        buf[i] = 0;
        return true;
    }
    return false;
}

static const struct { const char *name; uint32_t bit; } step_names[] = {
    { "pic", QUIESCE_PIC }, { "lapic", QUIESCE_LAPIC }, { "ioapic", QUIESCE_IOAPIC },
    { "pci", QUIESCE_PCI }, { "iommu", QUIESCE_IOMMU }, { "hpet", QUIESCE_HPET },
    { "pit", QUIESCE_PIT }, { "isadma", QUIESCE_ISADMA }, { "pending", QUIESCE_PENDING },
};

/* Whether the space-separated configuration has `word`. */
static bool has_word(const char *cfg, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = cfg; *p; p++)
        if ((p == cfg || p[-1] == ' ') && strncmp(p, word, n) == 0 && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

/* "skip=a,b" in the configuration: the steps not to run. */
static uint32_t parse_skip(const char *cfg)
{
    const char *p = strchr(cfg, '=');
    uint32_t skip = 0;
    if (strncmp(cfg, "skip=", sizeof("skip=") - 1) != 0 || !p)
        return 0;
    for (p++; *p && *p != ' ';) {
        size_t n = 0;
        while (p[n] && p[n] != ',' && p[n] != ' ')
            n++;
        for (size_t i = 0; i < ARRAY_SIZE(step_names); i++)
            if (strlen(step_names[i].name) == n && strncmp(p, step_names[i].name, n) == 0)
                skip |= step_names[i].bit;
        p += n + (p[n] == ',');
    }
    return skip;
}

/* ---- interrupt handlers: count, and end the interrupt -------------------- */

/* clang warns about calls from interrupt handlers for fear of SSE state;
 * hop's code uses none (-mgeneral-regs-only). */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winterrupt-service-routine"
#endif

#define HANDLER(name, counter, end)                                                  \
    __attribute__((interrupt)) static void name(struct interrupt_frame *f)           \
    {                                                                                \
        (void)f;                                                                     \
        dirty_counts.counter++;                                                      \
        end;                                                                         \
    }

HANDLER(on_lapic_timer, lapic_timer, lapic_eoi())
HANDLER(on_ioapic_pit, ioapic_pit, lapic_eoi())
HANDLER(on_hpet, hpet, lapic_eoi())
HANDLER(on_msix, msix, lapic_eoi())
HANDLER(on_held, held, (void)0) /* no EOI: stays in service */
HANDLER(on_spurious, spurious, (void)0)
HANDLER(on_other, other, lapic_eoi())

/* PIC IRQ0 arrives as ExtINT: the 8259 wants the EOI, not the local APIC.
 * (A spurious IRQ 7 sets no in-service bit and wants none.) */
__attribute__((interrupt)) static void on_pic(struct interrupt_frame *f)
{
    (void)f;
    outb(PIC1_CMD, PIC_OCW3_READ_ISR);
    uint8_t isr = inb(PIC1_CMD);
    outb(PIC1_CMD, PIC_OCW3_READ_IRR);
    if (!(isr & PIC_ISR_IRQ0)) {
        dirty_counts.spurious++;
        return;
    }
    dirty_counts.pic_pit++;
    if (pic_hold)
        pic_hold = false;
    else
        outb(PIC1_CMD, PIC_EOI);
}

static void set_gate(unsigned v, void (*handler)(struct interrupt_frame *))
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    uint64_t a = (uint64_t)(uintptr_t)handler;
    idt[v] = (struct idt_gate){ .offset_low = (uint16_t)a, .selector = cs,
                                .type_attr = IDT_GATE_INTERRUPT64,
                                .offset_mid = (uint16_t)(a >> 16),
                                .offset_high = (uint32_t)(a >> 32) };
}

/* hop's exception gates (0-31) and ours for every other vector. */
static void dirty_idt(void)
{
    struct idt_ptr old, mine = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("sidt %0" : "=m"(old));
    memcpy(idt, (const void *)(uintptr_t)old.base, MIN((size_t)old.limit + 1, 32 * sizeof(idt[0])));
    for (unsigned v = 32; v < IDT_VECTORS; v++)
        set_gate(v, on_other);
    for (unsigned v = VEC_PIC_BASE; v < VEC_PIC_BASE + 16; v++)
        set_gate(v, on_pic);
    set_gate(VEC_HELD, on_held);
    set_gate(VEC_LAPIC_TIMER, on_lapic_timer);
    set_gate(VEC_IOAPIC_PIT, on_ioapic_pit);
    set_gate(VEC_HPET, on_hpet);
    set_gate(VEC_MSIX, on_msix);
    set_gate(VEC_SPURIOUS, on_spurious);
    __asm__ volatile("lidt %0" ::"m"(mine));
}

/* ---- interrupt controllers and timers --------------------------------------- */

#define ICW1_INIT_ICW4 0x11
#define ICW3_MASTER_SLAVE_ON_IR2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01
#define PIC_UNMASK_IRQ0_AND_CASCADE 0xFA
#define PIC_MASK_ALL 0xFF

static void dirty_pic(void)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, VEC_PIC_BASE);
    outb(PIC2_DATA, VEC_PIC_BASE + 8);
    outb(PIC1_DATA, ICW3_MASTER_SLAVE_ON_IR2);
    outb(PIC2_DATA, ICW3_SLAVE_ID);
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    outb(PIC1_DATA, PIC_UNMASK_IRQ0_AND_CASCADE);
    outb(PIC2_DATA, PIC_MASK_ALL);
}

#define LAPIC_DIVIDE_16 0x3
#define LAPIC_TIMER_1MS_QEMU 62500 /* QEMU's APIC timer runs at 1 GHz / divider */

static const char *dirty_lapic(bool x2apic)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (x2apic && (cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) && !(base & APIC_BASE_EXTD))
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_EXTD);
    paddr_t mmio;
    const char *why;
    enum lapic_mode mode = lapic_probe(&mmio, &why);
    apic_id = lapic_read(LAPIC_ID);
    if (mode == LAPIC_XAPIC)
        apic_id >>= 24;
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LAPIC_DELIVERY_EXTINT); /* the 8259's way in */
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_INITIAL, LAPIC_TIMER_1MS_QEMU);
    return mode == LAPIC_X2APIC ? "x2APIC" : mode == LAPIC_XAPIC ? "xAPIC" : why;
}

/* Routes `gsi` to `vector` on the IO-APIC that has it; false if none. */
static bool route_gsi(uint32_t gsi, uint8_t vector, uint32_t flags_lo)
{
    for (size_t i = 0; acpi && i < acpi->ioapic_count; i++) {
        const struct acpi_ioapic *io = &acpi->ioapics[i];
        uint32_t count = IOAPIC_VERSION_MAX_ENTRY(ioapic_read(io->addr, IOAPIC_REG_VERSION)) + 1;
        if (gsi < io->gsi_base || gsi - io->gsi_base >= count)
            continue;
        uint32_t reg = IOAPIC_REG_REDIR0 + 2 * (gsi - io->gsi_base);
        ioapic_write(io->addr, reg + 1, apic_id << 24); /* physical destination */
        ioapic_write(io->addr, reg, vector | flags_lo);
        return true;
    }
    return false;
}

#define MPS_POLARITY_LOW 0x3  /* MPS INTI flags: bits 1:0 */
#define MPS_TRIGGER_LEVEL 0xC /* bits 3:2 */
#define IOAPIC_REDIR_ACTIVE_LOW (1u << 13)
#define PIT_COUNT_1KHZ (PIT_HZ / 1000)

static uint32_t dirty_pit(void)
{
    uint16_t flags = 0;
    uint32_t gsi = acpi ? acpi_isa_gsi(acpi, 0, &flags) : 0;
    uint32_t lo = ((flags & MPS_POLARITY_LOW) == MPS_POLARITY_LOW ? IOAPIC_REDIR_ACTIVE_LOW : 0) |
                  ((flags & MPS_TRIGGER_LEVEL) == MPS_TRIGGER_LEVEL ? IOAPIC_REDIR_LEVEL : 0);
    route_gsi(gsi, VEC_IOAPIC_PIT, lo);
    outb(PIT_COMMAND, PIT_SELECT_CH0 | PIT_ACCESS_LOHI | PIT_MODE_RATE);
    outb(PIT_CH0_DATA, PIT_COUNT_1KHZ & 0xFF);
    outb(PIT_CH0_DATA, PIT_COUNT_1KHZ >> 8);
    return gsi;
}

#define HPET_ROUTE_CAP_SHIFT 32 /* Tn_INT_ROUTE_CAP: timer config bits 63:32 */
#define FEMTOSECONDS_PER_MS 1000000000000ull
#define IOAPIC_PINS_TRIED 24

/* HPET timer 0, periodic 1 ms, on a GSI it may use (not the PIT's if it
 * has another choice: QEMU's pc offers only GSI 2).  Returns the GSI. */
static int dirty_hpet(uint32_t pit_gsi)
{
    if (!acpi || !acpi->hpet_count || !mmio_reachable(acpi->hpets[0].base, HPET_MMIO_SIZE))
        return -1;
    paddr_t b = acpi->hpets[0].base;
    uint64_t cap = mmio_read64(b + HPET_CAPABILITIES);
    uint32_t routes = (uint32_t)(mmio_read64(b + HPET_TIMER_CONFIG(0)) >> HPET_ROUTE_CAP_SHIFT);
    int gsi = -1;
    for (int g = IOAPIC_PINS_TRIED - 1; g > 0; g--)
        if ((routes & (1u << g)) && (gsi < 0 || (uint32_t)gsi == pit_gsi))
            gsi = g;
    if (gsi < 0 || ((uint32_t)gsi != pit_gsi && !route_gsi((uint32_t)gsi, VEC_HPET, 0)))
        return -1; /* (on the PIT's GSI, it shares the PIT's entry and vector) */
    uint32_t ticks = (uint32_t)(FEMTOSECONDS_PER_MS / (cap >> 32));
    mmio_write32(b + HPET_CONFIG, 0);
    mmio_write64(b + HPET_COUNTER, 0);
    mmio_write32(b + HPET_TIMER_CONFIG(0), HPET_TIMER_INT_ENABLE | HPET_TIMER_PERIODIC |
                                               HPET_TIMER_VAL_SET |
                                               (uint32_t)gsi << HPET_TIMER_ROUTE_SHIFT);
    mmio_write32(b + HPET_TIMER_COMPARATOR(0), ticks);
    mmio_write32(b + HPET_CONFIG, HPET_CONFIG_ENABLE);
    return gsi;
}

#define DMA1_UNMASK_ALL 0x0F /* write-all-mask registers, written with 0 */
#define DMA2_UNMASK_ALL 0xDE

static void dirty_isadma(void)
{
    outb(DMA1_UNMASK_ALL, 0);
    outb(DMA2_UNMASK_ALL, 0);
}

/* ---- PCI: a NIC doing DMA, MSI-X and MSI on -------------------------------- */

#define VENDOR_INTEL 0x8086
#define DEVICE_E1000 0x100E  /* 82540EM: no MSI */
#define DEVICE_E1000E 0x10D3 /* 82574L: MSI and MSI-X */
#define DEVICE_ICH9_AHCI 0x2922
#define PCI_BAR_MEM_MASK 0xFFFFFFF0u
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_IMS 0x00D0
#define E1000_IMC 0x00D8
#define E1000_IVAR 0x00E4
#define E1000_RCTL 0x0100
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_UPE (1u << 3) /* promiscuous: the test's frames are accepted */
#define E1000_RCTL_MPE (1u << 4)
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_SECRC (1u << 26) /* BSIZE 00: 2048-byte buffers */
#define E1000_ICR_RXT0 (1u << 7)
#define E1000_ICR_RXQ0 (1u << 20)
#define E1000_IVAR_RXQ0_VECTOR0 0x8 /* RxQ0 -> MSI-X vector 0, valid */
#define E1000_ALL_INTERRUPTS 0xFFFFFFFFu
#define E1000_RESET_TIMEOUT_MS 100
#define MSIX_TABLE_OFFSET 4 /* capability dword: BIR in bits 2:0 */
#define MSIX_BIR_MASK 0x7u
#define MSI_ADDRESS_BASE 0xFEE00000u
#define MSI_DEST_SHIFT 12
#define MSIX_ENTRY_ADDR_LOW 0 /* PCI Local Bus 3.0 6.8.2.6: 16-byte table entries */
#define MSIX_ENTRY_ADDR_HIGH 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CONTROL 12
#define MSI_ADDR_LOW 4 /* PCI Local Bus 3.0 6.8.1 */
#define MSI_DATA_32 8
#define MSI_DATA_64 12
#define MSI_64BIT (1u << 7)

struct nic {
    struct pci_func f;
    struct pci_space space;
    paddr_t regs;
    uint16_t device;
};

static bool find_device(uint16_t device, struct pci_func *out, struct pci_space *space)
{
    *space = (struct pci_space){ 0, 0, 0, PCI_MAX_BUSES - 1 }; /* ports: bus 0 is enough */
    for (uint8_t dev = 0; dev < PCI_MAX_DEVICES; dev++) {
        for (uint8_t fn = 0; fn < PCI_MAX_FUNCTIONS; fn++) {
            struct pci_func f = { space, 0, dev, fn };
            if (pci_read16(&f, PCI_VENDOR_ID) == VENDOR_INTEL &&
                pci_read16(&f, PCI_DEVICE_ID) == device) {
                *out = f;
                return true;
            }
        }
    }
    return false;
}

static uint32_t msi_address(void)
{
    return MSI_ADDRESS_BASE | apic_id << MSI_DEST_SHIFT;
}

static void nic_msix(struct nic *n)
{
    uint16_t cap = pci_find_cap(&n->f, PCI_CAP_ID_MSIX);
    if (!cap)
        return;
    uint32_t table = pci_read32(&n->f, (uint16_t)(cap + MSIX_TABLE_OFFSET));
    uint16_t bar = (uint16_t)(PCI_BAR0 + 4 * (table & MSIX_BIR_MASK));
    paddr_t entry = (pci_read32(&n->f, bar) & PCI_BAR_MEM_MASK) + (table & ~MSIX_BIR_MASK);
    mmio_write32(entry + MSIX_ENTRY_ADDR_LOW, msi_address());
    mmio_write32(entry + MSIX_ENTRY_ADDR_HIGH, 0);
    mmio_write32(entry + MSIX_ENTRY_DATA, VEC_MSIX);
    mmio_write32(entry + MSIX_ENTRY_CONTROL, 0); /* unmasked */
    uint16_t ctl = pci_read16(&n->f, (uint16_t)(cap + PCI_CAP_CONTROL));
    pci_write16(&n->f, (uint16_t)(cap + PCI_CAP_CONTROL),
                (uint16_t)((ctl | PCI_MSIX_ENABLE) & ~PCI_MSIX_FUNCTION_MASK));
    mmio_write32(n->regs + E1000_IVAR, E1000_IVAR_RXQ0_VECTOR0);
    mmio_write32(n->regs + E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_RXQ0);
}

static bool nic_find(struct nic *n)
{
    if (!find_device(DEVICE_E1000E, &n->f, &n->space) && !find_device(DEVICE_E1000, &n->f, &n->space))
        return false;
    n->f.space = &n->space;
    n->device = pci_read16(&n->f, PCI_DEVICE_ID);
    n->regs = pci_read32(&n->f, PCI_BAR0) & PCI_BAR_MEM_MASK;
    return true;
}

/* Receiving into the ring, bus mastering on. */
static void nic_start(struct nic *n)
{
    pci_write16(&n->f, PCI_COMMAND, pci_read16(&n->f, PCI_COMMAND) | PCI_COMMAND_MEMORY |
                                        PCI_COMMAND_MASTER);
    mmio_write32(n->regs + E1000_IMC, E1000_ALL_INTERRUPTS);
    mmio_write32(n->regs + E1000_CTRL, mmio_read32(n->regs + E1000_CTRL) | E1000_CTRL_RST);
    uint64_t t0 = timer_now_ms();
    while ((mmio_read32(n->regs + E1000_CTRL) & E1000_CTRL_RST) && timer_now_ms() - t0 < E1000_RESET_TIMEOUT_MS)
        ;
    mmio_write32(n->regs + E1000_IMC, E1000_ALL_INTERRUPTS);
    mmio_write32(n->regs + E1000_CTRL, mmio_read32(n->regs + E1000_CTRL) | E1000_CTRL_SLU);
    for (size_t i = 0; i < RX_DESCS; i++)
        dirty_rx_ring[i] = (struct rx_desc){ .addr = (uint64_t)(uintptr_t)dirty_rx_buffer };
    mmio_write32(n->regs + E1000_RDBAL, (uint32_t)(uintptr_t)dirty_rx_ring);
    mmio_write32(n->regs + E1000_RDBAH, 0);
    mmio_write32(n->regs + E1000_RDLEN, sizeof(dirty_rx_ring));
    mmio_write32(n->regs + E1000_RDH, 0);
    mmio_write32(n->regs + E1000_RDT, RX_DESCS - 1);
    if (n->device == DEVICE_E1000E)
        nic_msix(n);
    mmio_write32(n->regs + E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_MPE |
                                           E1000_RCTL_BAM | E1000_RCTL_SECRC);
}

/* MSI on the q35 AHCI controller: only its enable bit matters here. */
static bool dirty_msi(void)
{
    struct pci_func f;
    struct pci_space space;
    if (!find_device(DEVICE_ICH9_AHCI, &f, &space))
        return false;
    f.space = &space;
    uint16_t cap = pci_find_cap(&f, PCI_CAP_ID_MSI);
    if (!cap)
        return false;
    uint16_t ctl = pci_read16(&f, (uint16_t)(cap + PCI_CAP_CONTROL));
    pci_write32(&f, (uint16_t)(cap + MSI_ADDR_LOW), msi_address());
    pci_write16(&f, (uint16_t)(cap + (ctl & MSI_64BIT ? MSI_DATA_64 : MSI_DATA_32)), VEC_MSI);
    pci_write16(&f, (uint16_t)(cap + PCI_CAP_CONTROL), ctl | PCI_MSI_ENABLE);
    return true;
}

/* ---- IOMMUs ------------------------------------------------------------------ */

#define VTD_RTADDR 0x020
#define VTD_GCMD 0x018
#define VTD_GSTS 0x01C
#define VTD_ECAP 0x010
#define VTD_IQT 0x088
#define VTD_IQA 0x090
#define VTD_TE (1u << 31)
#define VTD_SRTP (1u << 30)
#define VTD_QIE (1u << 26)
#define VTD_ECAP_QI (1u << 1)
#define VTD_ECAP_PT (1u << 6)
#define VTD_PRESENT 1ull
#define VTD_CONTEXT_PASS_THROUGH (2ull << 2)
#define VTD_CONTEXT_AW_39 1ull
#define VTD_CONTEXT_DOMAIN_SHIFT 8
#define VTD_WAIT_US 100000
#define AMDVI_DEVICE_TABLE 0x0000
#define AMDVI_CONTROL 0x0018
#define AMDVI_IOMMU_EN (1u << 0)

static uint64_t vtd_root[512] __attribute__((aligned(4096)));    /* 256 x 128 bits */
static uint64_t vtd_context[512] __attribute__((aligned(4096))); /* bus 0's functions */
static uint64_t vtd_queue[512] __attribute__((aligned(4096)));
static uint64_t amdvi_devices[512] __attribute__((aligned(4096))); /* all invalid: pass through */

static bool vtd_command(paddr_t base, uint32_t bit)
{
    uint32_t on = mmio_read32(base + VTD_GSTS) & (VTD_TE | VTD_QIE);
    mmio_write32(base + VTD_GCMD, on | bit);
    return mmio_wait32(base + VTD_GSTS, bit, bit, VTD_WAIT_US, NULL);
}

/* Translation on with the NIC passed through (everything else blocked),
 * and queued invalidation on. */
static const char *dirty_vtd(const struct nic *n)
{
    if (!acpi || !acpi->dmar_count)
        return "none";
    paddr_t base = acpi->dmar[0].base;
    uint64_t ecap = mmio_read64(base + VTD_ECAP);
    if (n->regs && (ecap & VTD_ECAP_PT)) {
        unsigned devfn = (unsigned)n->f.dev << 3 | n->f.fn;
        vtd_context[2 * devfn] = VTD_PRESENT | VTD_CONTEXT_PASS_THROUGH;
        vtd_context[2 * devfn + 1] = VTD_CONTEXT_AW_39 | 1ull << VTD_CONTEXT_DOMAIN_SHIFT;
    }
    vtd_root[0] = (uint64_t)(uintptr_t)vtd_context | VTD_PRESENT; /* bus 0 */
    mmio_write64(base + VTD_RTADDR, (uint64_t)(uintptr_t)vtd_root);
    bool te = vtd_command(base, VTD_SRTP) && vtd_command(base, VTD_TE);
    bool qi = false;
    if (ecap & VTD_ECAP_QI) {
        mmio_write64(base + VTD_IQT, 0);
        mmio_write64(base + VTD_IQA, (uint64_t)(uintptr_t)vtd_queue); /* 256 entries */
        qi = vtd_command(base, VTD_QIE);
    }
    return te && qi ? "VT-d translation and queued invalidation on"
                    : te ? "VT-d translation on" : "VT-d FAILED to turn on";
}

static const char *dirty_amdvi(void)
{
    if (!acpi || !acpi->ivrs_count)
        return "none";
    paddr_t base = acpi->ivrs[0].base;
    mmio_write64(base + AMDVI_DEVICE_TABLE, (uint64_t)(uintptr_t)amdvi_devices);
    mmio_write32(base + AMDVI_CONTROL, mmio_read32(base + AMDVI_CONTROL) | AMDVI_IOMMU_EN);
    return mmio_read32(base + AMDVI_CONTROL) & AMDVI_IOMMU_EN ? "AMD-Vi on" : "AMD-Vi FAILED";
}

/* ---- proving it -------------------------------------------------------------- */

static bool all_live(const struct nic *n, int hpet_gsi, uint32_t pit_gsi, uint32_t rdh0)
{
    bool hpet_own = hpet_gsi >= 0 && (uint32_t)hpet_gsi != pit_gsi;
    return dirty_counts.lapic_timer > 2 && dirty_counts.ioapic_pit > 2 &&
           dirty_counts.pic_pit > 2 && (!hpet_own || dirty_counts.hpet > 2) &&
           (!n->regs || mmio_read32(n->regs + E1000_RDH) - rdh0 > 2) &&
           (n->device != DEVICE_E1000E || dirty_counts.msix > 0);
}

/* Interrupts on until every source has fired (and the NIC has written
 * packets); then one interrupt left in service at each controller, and
 * interrupts off with more pending. */
static bool dirty_run(const struct nic *n, int hpet_gsi, uint32_t pit_gsi)
{
    uint32_t rdh0 = n->regs ? mmio_read32(n->regs + E1000_RDH) : 0;
    uint64_t t0 = timer_now_ms();
    __asm__ volatile("sti" ::: "memory");
    while (!all_live(n, hpet_gsi, pit_gsi, rdh0) && timer_now_ms() - t0 < LIVE_TIMEOUT_MS)
        cpu_relax();
    uint32_t seen = dirty_counts.pic_pit;
    pic_hold = true;
    lapic_write(LAPIC_ICR_LOW, LAPIC_ICR_SHORTHAND_SELF | VEC_HELD);
    while ((pic_hold || !dirty_counts.held || dirty_counts.pic_pit == seen) &&
           timer_now_ms() - t0 < LIVE_TIMEOUT_MS)
        cpu_relax();
    __asm__ volatile("cli" ::: "memory");
    uint64_t t1 = timer_now_ms();
    while (!lapic_vector_bit(LAPIC_IRR0, VEC_LAPIC_TIMER) && timer_now_ms() - t1 < PENDING_TIMEOUT_MS)
        cpu_relax();
    return all_live(n, hpet_gsi, pit_gsi, rdh0);
}

static void dirty_report(const struct nic *n, bool live, const char *lapic, const char *iommu)
{
    kprintf("hop-dirty: %s: local APIC %s; interrupts taken: lapic-timer %u, ioapic-pit %u, "
            "pic-pit %u, hpet %u, msix %u, held %u, spurious %u, other %u; NIC %04x rx ring index %u at 0x%llx "
            "(buffer 0x%llx); %s; ISR highest 0x%x, IRR highest 0x%x; 8259 ISR 0x%x\n",
            live ? "LIVE" : "NOT ALL LIVE", lapic, dirty_counts.lapic_timer,
            dirty_counts.ioapic_pit, dirty_counts.pic_pit, dirty_counts.hpet, dirty_counts.msix,
            dirty_counts.held, dirty_counts.spurious, dirty_counts.other, n->device,
            n->regs ? mmio_read32(n->regs + E1000_RDH) : 0,
            (unsigned long long)(uintptr_t)dirty_rx_ring,
            (unsigned long long)(uintptr_t)dirty_rx_buffer, iommu, lapic_highest(LAPIC_ISR0),
            lapic_highest(LAPIC_IRR0), (outb(PIC1_CMD, PIC_OCW3_READ_ISR), inb(PIC1_CMD)));
}

void __wrap_quiesce_machine(void)
{
    char cfg[128] = "";
    fw_cfg_read("opt/hop/dirty", cfg, sizeof(cfg));
    uint32_t skip = parse_skip(cfg);
    acpi = acpi_tables();
    dirty_idt();
    dirty_pic();
    const char *lapic = dirty_lapic(has_word(cfg, "x2apic"));
    uint32_t pit_gsi = dirty_pit();
    int hpet_gsi = dirty_hpet(pit_gsi);
    struct nic n = { 0 };
    bool nic = nic_find(&n);
    /* the IOMMU first: the NIC's DMA then goes through it */
    const char *iommu = acpi && acpi->dmar_count ? dirty_vtd(&n) : dirty_amdvi();
    if (nic)
        nic_start(&n);
    bool msi = dirty_msi();
    dirty_isadma();
    bool live = dirty_run(&n, hpet_gsi, pit_gsi);
    dirty_report(&n, live, lapic, iommu);
    kprintf("hop-dirty: config \"%s\": skipping 0x%x; MSI on AHCI %s; HPET on GSI %d, PIT on GSI %u\n",
            cfg, skip, msi ? "on" : "absent", hpet_gsi, pit_gsi);
    quiesce_steps(QUIESCE_ALL & ~skip);
}
