# hop: build, test, run.  GNU make.  Nothing generated is committed; all
# output goes under build/.
#
#   make            build/hop.elf (the loader) and the test kernels
#   make run        install what is missing, build, boot the demo through GRUB in QEMU
#   make test       install what is missing, run every test (unit, fuzz, QEMU)
#   make unit       host unit tests of src/ (cmocka)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 5)
#   make qemu-test  QEMU scenarios (pytest driving tools/hop-run)
#   make bench      benchmarks
#   make man        the manual pages (build/man/, from docs/man/*.scd by scdoc)
#   make deb        the Debian package (build/deb/hop_VERSION_amd64.deb); installs
#                   what it needs (tools/install-deps deb)

BUILD      ?= build
CROSS_COMPILE ?=
CC         ?= gcc
ifeq ($(origin CC),default)
CC         := $(CROSS_COMPILE)gcc
endif
# GNU ld for every compiler: the linker script and flags are GNU ld's.
LD         := $(CROSS_COMPILE)ld
NASM       ?= nasm
HOSTCC     ?= gcc
FUZZCC     ?= clang
PYTEST     ?= /usr/bin/python3 -m pytest
FUZZ_SECONDS ?= 5
# V=1 shows the full commands
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)

# --- the freestanding image --------------------------------------------------
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-nostdlib -fno-stack-protector -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -mcmodel=kernel -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -ffunction-sections -fdata-sections -m64 -Isrc -Iarch/x86_64
# -mcmodel=kernel needs a negative address; hop runs identity-mapped below
# 4 GiB, so the small code model is the right one.
KCFLAGS := $(filter-out -mcmodel=kernel,$(KCFLAGS)) -mcmodel=small
KASFLAGS := -f elf64 -g -F dwarf -Iarch/x86_64/ -Iarch/x86_64/entry/multiboot/ -Iarch/x86_64/jump/
KLDFLAGS := -nostdlib --gc-sections -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld

SRC_C    := $(sort $(wildcard src/*.c src/*/*.c))
HOST_SRC := $(filter-out src/lib/string.c,$(SRC_C))
ARCH_C   := $(sort $(wildcard arch/x86_64/*.c arch/x86_64/*/*.c arch/x86_64/*/*/*.c))
ASM      := $(sort $(wildcard arch/x86_64/*.asm arch/x86_64/*/*.asm arch/x86_64/*/*/*.asm))
KOBJS    := $(patsubst %.c,$(BUILD)/k/%.o,$(SRC_C) $(ARCH_C)) \
	    $(patsubst %.asm,$(BUILD)/k/%.o,$(ASM))

all: $(BUILD)/hop.elf kernels man

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/k/%.o: %.asm
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)$(NASM) $(KASFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# hop-debug.elf keeps the symbols and DWARF for gdb; hop.elf, the image
# loaders read whole, is stripped of them.
$(BUILD)/hop-debug.elf: $(KOBJS) linker.ld
	$(call say,LD,$@)$(LD) $(KLDFLAGS) $(KOBJS) -o $@

$(BUILD)/hop.elf: $(BUILD)/hop-debug.elf
	$(call say,STRIP,$@)$(CROSS_COMPILE)objcopy --strip-debug --strip-unneeded $< $@
	@size $@ | tail -1 | awk '{printf "hop.elf: text %d data %d bss %d (total %d bytes)\n", $$1, $$2, $$3, $$4}'

# --- kernels: the demo and bench kernels (kernels/) and the test kernels
# (tests/qemu/kernels), sharing kernels/lib ------------------------------------
include kernels/kernels.mk

# --- manual pages: one scdoc source per page, docs/man/NAME.SECTION.scd ------
MAN_SRC := $(sort $(wildcard docs/man/*.scd))
MAN     := $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(MAN_SRC))

$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	@command -v scdoc >/dev/null || { echo "scdoc is missing: make deps (or apt-get install scdoc)" >&2; exit 1; }
	$(call say,SCDOC,$@)scdoc < $< > $@

man: $(MAN)

# --- the Debian package: dpkg-buildpackage on a copy of the tree under
# $(BUILD)/deb (it writes the .deb to the parent directory: $(BUILD)/deb) ----
DEB_SRC := $(BUILD)/deb/src

deb:
	@tools/install-deps deb
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git --exclude=__pycache__ . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

# --- host unit tests (cmocka) ---------------------------------------------------
HCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -DHOP_HOST \
	-fsanitize=address,undefined -fno-omit-frame-pointer
HOBJS   := $(patsubst %.c,$(BUILD)/host/%.o,$(HOST_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)$(HOSTCC) $(HCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/libhop.a: $(HOBJS)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/host/libhop.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(call say,UNIT,$@)$(HOSTCC) $(HCFLAGS) -Itests/unit -MMD -MP $< $(BUILD)/host/libhop.a -lcmocka -lz -o $@

unit: $(UNIT_BIN)
	@tools/run-unit $(UNIT_BIN)

# --- fuzzing (libFuzzer, ASan+UBSan) --------------------------------------------
FCFLAGS := -std=gnu11 -O1 -g -Isrc -DHOP_HOST -DHOP_FUZZ \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(HOST_SRC) $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(FUZZCC) $(FCFLAGS) $< $(HOST_SRC) -o $@

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tools/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

# --- QEMU scenarios -------------------------------------------------------------
qemu-test: all
	$(PYTEST) -q tests/qemu

# --- the two commands ----------------------------------------------------------
deps:
	@tools/install-deps

run: deps
	@$(MAKE) --no-print-directory all
	tools/hop-run --via grub-bios $(BUILD)/kernels/demo.elf --cmdline "hello from hop"

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(FUZZ_BIN)
	@tools/run-tests

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/run-bench

clean:
	rm -rf $(BUILD)

.PHONY: all unit fuzz fuzz-build qemu-test deps run test bench clean kernels man deb
.DELETE_ON_ERROR:
.SECONDARY:

# (not the package's copy of the tree in $(BUILD)/deb, whose etc/grub.d is a directory)
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

# --- install: make install [PREFIX=/usr/local] [DESTDIR=] ----------------------
# Installs what `make` built (it builds nothing: run make first, then
# sudo make install):
#   build/hop.elf               $(DESTDIR)$(HOPDIR)/hop.elf (HOPDIR: BOOTDIR,
#                               the package's /usr/lib/hop; it copies it to /boot)
#   tools/hop-run ...           $(DESTDIR)$(PREFIX)/bin/
#   tools/hoplib/*.py           $(DESTDIR)$(PREFIX)/lib/hop/hoplib/ (the tools
#                               look there when no hoplib is next to them)
#   tools/grub.d/hop-kernels.in $(DESTDIR)$(PREFIX)/lib/hop/hop-kernels: RAM disks
#                               for the installed kernels (HOP_KERNELS=auto)
#   tools/grub.d/42_hop.in      $(DESTDIR)$(SYSCONFDIR)/grub.d/42_hop: update-grub
#                               adds the hop entries /etc/default/hop lists
#   tools/grub.d/zz-hop.in      $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/zz-hop,
#                               postrm.d/zz-hop (run on kernel install and removal)
#                               and initramfs/post-update.d/zz-hop (new initrd)
#   tools/grub.d/default-hop    $(DESTDIR)$(PREFIX)/share/hop/default-hop (example)
#   build/man/*                 $(DESTDIR)$(MANDIR)/manN/
# docs/tools.md has the details; make uninstall removes these files.
PREFIX     ?= /usr/local
DESTDIR    ?=
BOOTDIR    ?= /boot
HOPDIR     ?= $(BOOTDIR)
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
INSTALL    ?= install
INSTALL_TOOLS := hop-run hop-mkimage hop-ramdisk hop-extract-vmlinux
HOP_LIBDIR := $(DESTDIR)$(PREFIX)/lib/hop
KERNEL_HOOKS := $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/zz-hop \
	$(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/zz-hop \
	$(DESTDIR)$(SYSCONFDIR)/initramfs/post-update.d/zz-hop
# @WORDS@ in the scripts of tools/grub.d/
SUBST := sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@HOP_ELF@|$(BOOTDIR)/hop.elf|g' \
	-e 's|@BOOTDIR@|$(BOOTDIR)|g' -e 's|@BINDIR@|$(PREFIX)/bin|g' \
	-e 's|@HOP_LIB@|$(PREFIX)/lib/hop|g'

install:
	@test -f $(BUILD)/hop.elf || { echo "make install: $(BUILD)/hop.elf is missing: run make first" >&2; exit 1; }
	@for m in $(MAN); do test -f $$m || { echo "make install: $$m is missing: run make first" >&2; exit 1; }; done
	$(INSTALL) -d $(DESTDIR)$(HOPDIR) $(DESTDIR)$(PREFIX)/bin $(HOP_LIBDIR)/hoplib \
		$(DESTDIR)$(SYSCONFDIR)/grub.d $(DESTDIR)$(PREFIX)/share/hop \
		$(dir $(KERNEL_HOOKS))
	$(INSTALL) -m 644 $(BUILD)/hop.elf $(DESTDIR)$(HOPDIR)/hop.elf
	$(INSTALL) -m 755 $(addprefix tools/,$(INSTALL_TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	$(INSTALL) -m 644 tools/hoplib/*.py $(HOP_LIBDIR)/hoplib/
	sed -e 's|^INSTALLED_HOP = .*|INSTALLED_HOP = "$(HOPDIR)/hop.elf"|' \
		tools/hoplib/paths.py > $(HOP_LIBDIR)/hoplib/paths.py
	$(SUBST) tools/grub.d/42_hop.in > $(DESTDIR)$(SYSCONFDIR)/grub.d/42_hop
	chmod 755 $(DESTDIR)$(SYSCONFDIR)/grub.d/42_hop
	$(SUBST) tools/grub.d/hop-kernels.in > $(HOP_LIBDIR)/hop-kernels
	chmod 755 $(HOP_LIBDIR)/hop-kernels
	for f in $(KERNEL_HOOKS); do $(SUBST) tools/grub.d/zz-hop.in > $$f && chmod 755 $$f || exit 1; done
	$(SUBST) tools/grub.d/default-hop > $(DESTDIR)$(PREFIX)/share/hop/default-hop
	chmod 644 $(DESTDIR)$(PREFIX)/share/hop/default-hop
	for m in $(MAN); do s=$${m##*.}; $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(HOPDIR)/hop.elf $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(INSTALL_TOOLS)) \
		$(DESTDIR)$(SYSCONFDIR)/grub.d/42_hop $(KERNEL_HOOKS)
	for m in $(notdir $(MAN)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -rf $(HOP_LIBDIR) $(DESTDIR)$(PREFIX)/share/hop

.PHONY: install uninstall
