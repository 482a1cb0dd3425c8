/* The setup header of a Linux bzImage ("vmlinuz"), read from the file in
 * memory before anything in it is trusted.
 *
 * Layout (Linux Documentation/arch/x86/boot.rst): the file starts with the
 * real-mode part, a legacy boot sector plus setup_sects sectors of setup
 * code, with the setup header at 0x1f1; the protected-mode part follows at
 * (setup_sects + 1) * 512 and runs for syssize 16-byte paragraphs.  A loader
 * copies the setup header into struct boot_params, fills in its own fields,
 * loads the protected-mode part and enters it: at its start in 32-bit mode
 * ("32-bit Boot Protocol"), or 0x200 past its start in 64-bit mode when
 * xloadflags has XLF_KERNEL_64 ("64-bit Boot Protocol").
 *
 * bzimage_parse accepts boot protocol 2.06 and later (cmdline_size is a
 * field from 2.06 on; every x86_64 kernel since 2.6.22 speaks it). */
#ifndef HOP_BZIMAGE_H
#define HOP_BZIMAGE_H

#include "lib/error.h"
#include "lib/types.h"

/* boot.rst, "The Real-Mode Kernel Header": "a sector" is 512 bytes whatever
 * the medium's sector size. */
#define BZ_SECTOR_SIZE 512u
#define BZ_SETUP_SECTS_DEFAULT 4u  /* setup_sects 0 means 4 (note 1) */
#define BZ_SYSSIZE_UNIT 16u        /* syssize counts 16-byte paragraphs */

/* Offsets of the setup header fields in the file (and in boot_params, which
 * holds the header at the same offsets).  boot.rst, "The Real-Mode Kernel
 * Header", and "Details of Header Fields" for each. */
enum bz_field_offset {
    BZ_OFF_SETUP_SECTS = 0x1f1,        /* u8,  ALL */
    BZ_OFF_ROOT_FLAGS = 0x1f2,         /* u16, ALL */
    BZ_OFF_SYSSIZE = 0x1f4,            /* u32, 2.04+ */
    BZ_OFF_RAM_SIZE = 0x1f8,           /* u16, obsolete */
    BZ_OFF_VID_MODE = 0x1fa,           /* u16, ALL */
    BZ_OFF_ROOT_DEV = 0x1fc,           /* u16, ALL */
    BZ_OFF_BOOT_FLAG = 0x1fe,          /* u16, ALL: 0xAA55 */
    BZ_OFF_JUMP = 0x200,               /* u16, 2.00+: 0xEB, signed offset */
    BZ_OFF_HEADER = 0x202,             /* u32, 2.00+: "HdrS" */
    BZ_OFF_VERSION = 0x206,            /* u16, 2.00+ */
    BZ_OFF_REALMODE_SWTCH = 0x208,     /* u32, 2.00+ */
    BZ_OFF_START_SYS_SEG = 0x20c,      /* u16, obsolete */
    BZ_OFF_KERNEL_VERSION = 0x20e,     /* u16, 2.00+ */
    BZ_OFF_TYPE_OF_LOADER = 0x210,     /* u8,  2.00+, written by the loader */
    BZ_OFF_LOADFLAGS = 0x211,          /* u8,  2.00+ */
    BZ_OFF_SETUP_MOVE_SIZE = 0x212,    /* u16, 2.00-2.01 */
    BZ_OFF_CODE32_START = 0x214,       /* u32, 2.00+ */
    BZ_OFF_RAMDISK_IMAGE = 0x218,      /* u32, 2.00+, written by the loader */
    BZ_OFF_RAMDISK_SIZE = 0x21c,       /* u32, 2.00+, written by the loader */
    BZ_OFF_BOOTSECT_KLUDGE = 0x220,    /* u32, obsolete */
    BZ_OFF_HEAP_END_PTR = 0x224,       /* u16, 2.01+ */
    BZ_OFF_EXT_LOADER_VER = 0x226,     /* u8,  2.02+ */
    BZ_OFF_EXT_LOADER_TYPE = 0x227,    /* u8,  2.02+ */
    BZ_OFF_CMD_LINE_PTR = 0x228,       /* u32, 2.02+, written by the loader */
    BZ_OFF_INITRD_ADDR_MAX = 0x22c,    /* u32, 2.03+ */
    BZ_OFF_KERNEL_ALIGNMENT = 0x230,   /* u32, 2.05+ */
    BZ_OFF_RELOCATABLE_KERNEL = 0x234, /* u8,  2.05+ */
    BZ_OFF_MIN_ALIGNMENT = 0x235,      /* u8,  2.10+: log2 */
    BZ_OFF_XLOADFLAGS = 0x236,         /* u16, 2.12+ */
    BZ_OFF_CMDLINE_SIZE = 0x238,       /* u32, 2.06+ */
    BZ_OFF_HARDWARE_SUBARCH = 0x23c,   /* u32, 2.07+ */
    BZ_OFF_HARDWARE_SUBARCH_DATA = 0x240, /* u64, 2.07+ */
    BZ_OFF_PAYLOAD_OFFSET = 0x248,     /* u32, 2.08+ */
    BZ_OFF_PAYLOAD_LENGTH = 0x24c,     /* u32, 2.08+ */
    BZ_OFF_SETUP_DATA = 0x250,         /* u64, 2.09+ */
    BZ_OFF_PREF_ADDRESS = 0x258,       /* u64, 2.10+ */
    BZ_OFF_INIT_SIZE = 0x260,          /* u32, 2.10+ */
    BZ_OFF_HANDOVER_OFFSET = 0x264,    /* u32, 2.11+ */
    BZ_OFF_KERNEL_INFO_OFFSET = 0x268, /* u32, 2.15+ */
    BZ_OFF_HEADER_FIELDS_END = 0x26c,  /* end of the last field boot.rst knows */
};

#define BZ_BOOT_FLAG 0xAA55u
#define BZ_HEADER_MAGIC 0x53726448u /* "HdrS" */
#define BZ_JUMP_OPCODE 0xEBu        /* jump: short jmp, offset from 0x202 */
#define BZ_SETUP_HEADER_START BZ_OFF_SETUP_SECTS

/* "jump ... can be used to determine the size of the header" and the
 * 32/64-bit boot protocols: the header ends at 0x202 + the byte at 0x201.
 * That byte is a signed short-jump offset, so the header ends by 0x202 +
 * 0x7f; boot.rst's kernel_info section: "setup_header is permanently
 * limited to 144 bytes". */
#define BZ_JUMP_BASE BZ_OFF_HEADER
#define BZ_JUMP_MAX_FORWARD 0x7fu
#define BZ_SETUP_HEADER_MAX_SIZE 144u

/* version: (major << 8) | minor */
#define BZ_PROTOCOL(major, minor) ((uint16_t)((major) << 8 | (minor)))
#define BZ_PROTOCOL_MIN BZ_PROTOCOL(2, 6)

/* loadflags (0x211) */
#define BZ_LOADED_HIGH (1u << 0)   /* protected-mode code goes to 1 MiB */
#define BZ_KASLR_FLAG (1u << 1)
#define BZ_QUIET_FLAG (1u << 5)
#define BZ_KEEP_SEGMENTS (1u << 6)
#define BZ_CAN_USE_HEAP (1u << 7)

/* xloadflags (0x236, 2.12+); bits 5-6 are in the kernel's bootparam.h */
#define XLF_KERNEL_64 (1u << 0)              /* 64-bit entry at +0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1) /* kernel, boot_params,
                                              * cmdline, ramdisk above 4G */
#define XLF_EFI_HANDOVER_32 (1u << 2)        /* at handover_offset */
#define XLF_EFI_HANDOVER_64 (1u << 3)        /* at handover_offset + 0x200 */
#define XLF_EFI_KEXEC (1u << 4)
#define XLF_5LEVEL (1u << 5)
#define XLF_5LEVEL_ENABLED (1u << 6)

/* "64-bit Boot Protocol": the entry is the loaded kernel's start + 0x200;
 * the EFI handover's 64-bit entry is handover_offset + 0x200 likewise. */
#define BZ_ENTRY64_OFFSET 0x200u

/* "Loading The Rest of The Kernel": a bzImage's protected-mode code goes to
 * 1 MiB; the load address when the header has no pref_address (< 2.10). */
#define BZ_LOAD_ADDRESS_DEFAULT 0x100000u

/* Before 2.10 the header does not say how much memory the kernel needs from
 * its start while it decompresses itself.  hop then assumes this many times
 * the page-rounded protected-mode size, the guess GRUB makes for such
 * kernels; init_size_guessed says so. */
#define BZ_INIT_SIZE_GUESS_FACTOR 3u

/* kernel_info (boot.rst, "Details of the kernel_info Fields"), at
 * kernel_info_offset into the protected-mode part. */
#define BZ_KERNEL_INFO_MAGIC 0x506f544cu /* "LToP" */
#define BZ_KERNEL_INFO_OFF_SIZE 0x4u
#define BZ_KERNEL_INFO_OFF_SIZE_TOTAL 0x8u
#define BZ_KERNEL_INFO_OFF_SETUP_TYPE_MAX 0xcu
#define BZ_KERNEL_INFO_FIXED_SIZE 0x10u

struct bzimage {
    uint16_t version;     /* BZ_PROTOCOL(major, minor) */

    /* The real-mode part: boot sector + setup, (setup_sects + 1) * 512
     * bytes from the file's start (setup_sects 0 taken as 4). */
    uint8_t setup_sects;  /* as written in the file */
    size_t setup_size;

    /* The setup header to copy into boot_params at BZ_SETUP_HEADER_START:
     * from 0x1f1 to 0x202 + the byte at 0x201, inside the file. */
    const uint8_t *header;
    size_t header_size;

    /* The protected-mode part: syssize * 16 bytes from setup_size. */
    size_t pm_offset;
    size_t pm_size;

    uint8_t loadflags;        /* BZ_LOADED_HIGH is set */
    uint32_t code32_start;    /* the 32-bit entry the kernel was built for */
    bool relocatable;         /* relocatable_kernel != 0 */
    uint32_t kernel_alignment; /* a power of two when relocatable, else 0 or
                                * a power of two */
    /* The least alignment the kernel boots at, in bytes: 1 << min_alignment
     * from 2.10 on when that is nonzero, else kernel_alignment.  Never above
     * kernel_alignment when relocatable. */
    uint32_t min_alignment;
    uint16_t xloadflags;      /* XLF_*; 0 before 2.12 */
    uint32_t cmdline_size;    /* most command-line bytes, NUL excluded */
    uint32_t initrd_addr_max; /* highest address the initrd may occupy */

    /* 2.10+: where the kernel prefers to run and how much memory it needs
     * from there.  Before 2.10, pref_address is BZ_LOAD_ADDRESS_DEFAULT and
     * init_size BZ_INIT_SIZE_GUESS_FACTOR times the page-rounded pm_size,
     * with init_size_guessed set.  init_size >= pm_size always. */
    uint64_t pref_address;
    uint32_t init_size;
    bool init_size_guessed;

    /* 2.08+: the (compressed) payload, relative to pm_offset, inside the
     * protected-mode part; both 0 when absent. */
    uint32_t payload_offset, payload_length;

    /* 2.11+: EFI handover entry, relative to pm_offset; checked to lie in
     * the protected-mode part when an XLF_EFI_HANDOVER_* bit is set. */
    uint32_t handover_offset;

    /* 2.15+: kernel_info, relative to pm_offset; 0 when absent.  When not 0
     * it holds "LToP" and its sizes, inside the protected-mode part. */
    uint32_t kernel_info_offset;
    uint32_t setup_type_max; /* from kernel_info; 0 when absent */

    /* XLF_KERNEL_64: the 64-bit entry, BZ_ENTRY64_OFFSET past the loaded
     * protected-mode part's start (inside it). */
    bool has_entry64;
    size_t entry64_offset;
};

/* Reads and validates the setup header of the bzImage data[0, size); path
 * names the file in messages.  Returns HOP_OK with *out filled;
 * HOP_ERR_NOTFOUND when the file is not a bzImage at all (no 0xAA55 at
 * 0x1fe or no "HdrS" at 0x202); HOP_ERR_UNSUPPORTED for protocols before
 * 2.06 and zImages; HOP_ERR_TRUNCATED or HOP_ERR_INVALID for a damaged
 * header, with err naming the field and its value.  out->header points into
 * data. */
int bzimage_parse(const uint8_t *data, size_t size, const char *path,
                  struct bzimage *out, struct hop_error *err);

#endif
