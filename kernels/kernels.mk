# Kernels: 32-bit multiboot1+2 ELF images at 1 MiB, sharing the runtime in
# kernels/lib (serial output, checks, libgcc helpers) and hop's own portable
# code compiled for i386.
#   kernels/NAME.c           -> build/kernels/NAME.elf: the demo (make run) and
#                               the bench kernel (make bench)
#   tests/qemu/kernels/NAME.c -> build/tests/kernels/NAME.elf: test kernels
KLIB_DIR  := kernels/lib
TK_DIR    := tests/qemu/kernels
TK_BUILD  := $(BUILD)/tests/kernels
KBUILD    := $(BUILD)/kernels
TK_CC     ?= gcc
TK_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -m32 -march=i686 -ffreestanding \
	-fno-builtin -nostdlib -fno-stack-protector -fno-pic -fno-pie -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -Isrc -I$(KLIB_DIR)
TK_LIB_SRC := $(KLIB_DIR)/tk.c $(KLIB_DIR)/tk_libgcc.c $(KLIB_DIR)/tk_string.c src/parse/bootinfo.c src/parse/bootinfo_mb2.c src/parse/bootinfo_mb1.c src/mm/memmap.c src/lib/fmt.c src/lib/error.c src/lib/string.c
TK_LIB_OBJ := $(patsubst %.c,$(TK_BUILD)/obj/%.o,$(TK_LIB_SRC)) $(TK_BUILD)/obj/tk_entry.o
TK_LD     := ld -m elf_i386 -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T $(KLIB_DIR)/kernel.ld
TK_NAMES  := $(patsubst $(TK_DIR)/%.c,%,$(wildcard $(TK_DIR)/*.c))
TK_ELFS   := $(patsubst %,$(TK_BUILD)/%.elf,$(TK_NAMES))
K_NAMES   := $(patsubst kernels/%.c,%,$(wildcard kernels/*.c))
K_ELFS    := $(patsubst %,$(KBUILD)/%.elf,$(K_NAMES))

$(TK_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,TKCC,$<)$(TK_CC) $(TK_CFLAGS) -MMD -MP -c $< -o $@

$(TK_BUILD)/obj/tk_entry.o: $(KLIB_DIR)/tk_entry.asm arch/x86_64/entry/multiboot/multiboot.inc
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)$(NASM) -f elf32 -Iarch/x86_64/entry/multiboot/ $< -o $@

$(TK_BUILD)/%.elf: $(TK_BUILD)/obj/$(TK_DIR)/%.o $(TK_LIB_OBJ) $(KLIB_DIR)/kernel.ld
	$(call say,TKLD,$@)$(TK_LD) $< $(TK_LIB_OBJ) -o $@

$(KBUILD)/%.elf: $(TK_BUILD)/obj/kernels/%.o $(TK_LIB_OBJ) $(KLIB_DIR)/kernel.ld
	@mkdir -p $(dir $@)
	$(call say,TKLD,$@)$(TK_LD) $< $(TK_LIB_OBJ) -o $@

kernels: $(K_ELFS)
kernels: $(TK_ELFS)

# reloc.bin: a flat, position-independent multiboot2 kernel with the
# relocatable header tag (tests/qemu/kernels/reloc.asm).
$(TK_BUILD)/reloc.bin: $(TK_DIR)/reloc.asm arch/x86_64/entry/multiboot/multiboot.inc
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)$(NASM) -f bin -Iarch/x86_64/entry/multiboot/ $< -o $@

$(TK_BUILD)/reloc-low.bin: $(TK_DIR)/reloc.asm arch/x86_64/entry/multiboot/multiboot.inc
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)$(NASM) -f bin -Iarch/x86_64/entry/multiboot/ -DRELOC_PREF=1 -DRELOC_MIN=0x3000000 $< -o $@

kernels: $(TK_BUILD)/reloc.bin $(TK_BUILD)/reloc-low.bin

# --- test-only loader: build/hop-corrupt.elf ----------------------------------
# hop's own objects plus tests/qemu/hop_test_corrupt.c, which wraps
# tramp_enter (ld --wrap) to corrupt one destination byte after the moves, so
# that tests/qemu/test_relocation.py can show the trampoline's VERIFY catching
# it.  build/hop.elf is not affected.
HOP_CORRUPT_OBJ := $(BUILD)/k/tests/qemu/hop_test_corrupt.o

$(BUILD)/hop-corrupt.elf: $(KOBJS) $(HOP_CORRUPT_OBJ) linker.ld
	$(call say,LD,$@)$(LD) $(KLDFLAGS) --wrap=tramp_enter $(KOBJS) $(HOP_CORRUPT_OBJ) -o $@

kernels: $(BUILD)/hop-corrupt.elf

# --- quiescing (tests/qemu/test_quiesce.py) -----------------------------------
# quietcheck.elf also needs hop's ACPI parser; build/hop-dirty.elf is hop's
# own objects plus tests/qemu/hop_dirty.c, which wraps quiesce_machine
# (ld --wrap) to make the machine dirty first and to skip the steps the test
# names.  build/hop.elf is not affected.
QUIETCHECK_OBJ := $(TK_BUILD)/obj/$(TK_DIR)/quietcheck.o $(TK_BUILD)/obj/src/parse/acpi.o

$(TK_BUILD)/quietcheck.elf: $(QUIETCHECK_OBJ) $(TK_LIB_OBJ) $(KLIB_DIR)/kernel.ld
	$(call say,TKLD,$@)$(TK_LD) $(QUIETCHECK_OBJ) $(TK_LIB_OBJ) -o $@

HOP_DIRTY_OBJ := $(BUILD)/k/tests/qemu/hop_dirty.o

$(BUILD)/hop-dirty.elf: $(KOBJS) $(HOP_DIRTY_OBJ) linker.ld
	$(call say,LD,$@)$(LD) $(KLDFLAGS) --wrap=quiesce_machine $(KOBJS) $(HOP_DIRTY_OBJ) -o $@

kernels: $(BUILD)/hop-dirty.elf

# elf64.elf: a plain ELF64 kernel (no multiboot header) for the "elf"
# protocol's long-mode entry (tests/qemu/kernels/elf64.asm), linked at 3 MiB.
$(TK_BUILD)/elf64.o: $(TK_DIR)/elf64.asm
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)$(NASM) -f elf64 $< -o $@

$(TK_BUILD)/elf64.elf: $(TK_BUILD)/elf64.o
	$(call say,TKLD,$@)ld -nostdlib -z max-page-size=0x1000 -z noexecstack -Ttext=0x300000 -e _start $< -o $@

kernels: $(TK_BUILD)/elf64.elf

# --- linuxcheck: test kernels in bzImage form (tests/qemu/kernels/linuxcheck/)
# Each bzImage is setup.asm (boot sector, setup header, real-mode setup for
# QEMU's -kernel) with the protected-mode part appended: head.asm + check.c
# + kernels/lib, linked flat by pm.ld.  Three variants:
#   linuxcheck.bzimage        64-bit entry, relocatable, pref_address 16 MiB
#   linuxcheck-fixed.bzimage  64-bit entry, not relocatable, runs at 1 MiB
#   linuxcheck32.bzimage      32-bit entry only (no XLF_KERNEL_64), at 1 MiB
# and two that only QEMU's -kernel can use, whose setup moves linuxcheck's
# protected-mode part before entering it, as a relocating loader would:
#   linuxcheck-moved.bzimage       to 16 MiB: passes
#   linuxcheck-misaligned.bzimage  to 16 MiB + 2 KiB: the kernel must FAIL
# The x86_64 part is position-independent: linked at two bases, and the two
# flat images must be identical.
LC_DIR      := $(TK_DIR)/linuxcheck
LC_BUILD    := $(TK_BUILD)/linuxcheck
LC_INIT_EXTRA := 0x40000
LC_ALT_BASE := 0x200000
LC_VARIANTS := linuxcheck linuxcheck-fixed linuxcheck32
LC_DEFS_linuxcheck       := -DLC_KERNEL64=1 -DLC_RELOCATABLE=1 -DLC_PREF_ADDRESS=0x1000000
LC_DEFS_linuxcheck-fixed := -DLC_KERNEL64=1 -DLC_RELOCATABLE=0 -DLC_PREF_ADDRESS=0x100000
LC_DEFS_linuxcheck32     := -DLC_KERNEL64=0 -DLC_RELOCATABLE=0 -DLC_PREF_ADDRESS=0x100000
LC_ARCH_linuxcheck       := 64
LC_ARCH_linuxcheck-fixed := 64
LC_ARCH_linuxcheck32     := 32
LC_SECTIONS := -ffunction-sections -fdata-sections
LC64_CFLAGS := $(filter-out -m32 -march=i686,$(TK_CFLAGS)) -m64 -fpie -mno-red-zone $(LC_SECTIONS)
LC32_CFLAGS := $(TK_CFLAGS) $(LC_SECTIONS)
LC_LIB_SRC  := $(KLIB_DIR)/tk.c $(KLIB_DIR)/tk_string.c src/lib/fmt.c src/lib/string.c \
	src/lib/error.c src/parse/bootinfo.c $(LC_DIR)/check.c
LC_OBJ_64   := $(patsubst %.c,$(LC_BUILD)/obj64/%.o,$(LC_LIB_SRC))
LC_OBJ_32   := $(patsubst %.c,$(LC_BUILD)/obj32/%.o,$(LC_LIB_SRC) $(KLIB_DIR)/tk_libgcc.c)
LC_LD_64    := ld -m elf_x86_64 -static -nostdlib --gc-sections -z noexecstack \
	--no-warn-rwx-segments -T $(LC_DIR)/pm.ld
LC_LD_32    := ld -m elf_i386 -static -nostdlib --gc-sections -z noexecstack \
	--no-warn-rwx-segments -T $(LC_DIR)/pm.ld --defsym=LC_BASE=0x100000
LC_NASM_FLAGS = -I$(LC_DIR)/ -DLC_INIT_EXTRA=$(LC_INIT_EXTRA) $(LC_DEFS_$*)

$(LC_BUILD)/obj64/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,TKCC,$<)$(TK_CC) $(LC64_CFLAGS) -MMD -MP -c $< -o $@

$(LC_BUILD)/obj32/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,TKCC,$<)$(TK_CC) $(LC32_CFLAGS) -MMD -MP -c $< -o $@

$(LC_BUILD)/head-%.o: $(LC_DIR)/head.asm $(LC_DIR)/linuxcheck.inc
	@mkdir -p $(dir $@)
	$(call say,NASM,$@)$(NASM) -f elf$(LC_ARCH_$*) $(LC_NASM_FLAGS) $< -o $@

$(LC_BUILD)/pm-%.elf: $(LC_BUILD)/head-%.o $(LC_OBJ_64) $(LC_OBJ_32) $(LC_DIR)/pm.ld
	$(call say,TKLD,$@)$(if $(filter 64,$(LC_ARCH_$*)),\
	$(LC_LD_64) --defsym=LC_BASE=0 $< $(LC_OBJ_64) -o $@ && \
	$(LC_LD_64) --defsym=LC_BASE=$(LC_ALT_BASE) $< $(LC_OBJ_64) -o $@.alt && \
	objcopy -O binary $@ $@.bin && objcopy -O binary $@.alt $@.alt.bin && \
	{ cmp -s $@.bin $@.alt.bin || { echo "$@: not position-independent" >&2; rm -f $@; exit 1; }; },\
	$(LC_LD_32) $< $(LC_OBJ_32) -o $@)

$(LC_BUILD)/pm-%.bin: $(LC_BUILD)/pm-%.elf
	$(call say,OBJCOPY,$@)objcopy -O binary $< $@

$(TK_BUILD)/%.bzimage: $(LC_DIR)/setup.asm $(LC_DIR)/linuxcheck.inc $(LC_BUILD)/pm-%.bin
	$(call say,NASM,$@)$(NASM) -f bin $(LC_NASM_FLAGS) -DLC_PM_BIN='"$(LC_BUILD)/pm-$*.bin"' $< -o $@

LC_MOVED    := linuxcheck-moved linuxcheck-misaligned
LC_MOVE_linuxcheck-moved      := 0x1000000
LC_MOVE_linuxcheck-misaligned := 0x1000800

$(patsubst %,$(TK_BUILD)/%.bzimage,$(LC_MOVED)): $(TK_BUILD)/%.bzimage: $(LC_DIR)/setup.asm \
		$(LC_DIR)/linuxcheck.inc $(LC_BUILD)/pm-linuxcheck.bin
	$(call say,NASM,$@)$(NASM) -f bin -I$(LC_DIR)/ -DLC_INIT_EXTRA=$(LC_INIT_EXTRA) \
		$(LC_DEFS_linuxcheck) -DLC_MOVE_TO=$(LC_MOVE_$*) \
		-DLC_PM_BIN='"$(LC_BUILD)/pm-linuxcheck.bin"' $< -o $@

kernels: $(patsubst %,$(TK_BUILD)/%.bzimage,$(LC_VARIANTS) $(LC_MOVED))
