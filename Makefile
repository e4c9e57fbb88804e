# SPDX-License-Identifier: MIT
# pipeworks — one GNU Makefile for the whole tree (see STYLE.md "Build").
#
#   make                 build every program into bin/
#   make check           install missing packages, build, run unit + integration tests
#   make demo            install missing packages, build, run the loopback demo
#   make lint fuzz fuzz-smoke bench install clean
#
# Knobs: WERROR=1, SANITIZE=address,undefined, V=1, PREFIX, DESTDIR, CC.

CC ?= cc
FUZZCC ?= clang
PREFIX ?= /usr/local
DESTDIR ?=
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),)
B := build
BIN := bin
else
B := build-san
BIN := build-san/bin
endif
BF := build-fuzz

ifeq ($(V),1)
Q :=
msg = @:
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

LLHTTP_SRC ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla
CPPFLAGS_PW := -D_GNU_SOURCE -Icommon -I$(LLHTTP_INC)
CFLAGS ?= -O2 -g
CFLAGS_PW := -std=c11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) -MMD -MP
LDFLAGS_PW :=
ifneq ($(SANITIZE),)
CFLAGS_PW += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_PW += -fsanitize=$(SANITIZE)
endif

# Recursive '=' so pkg-config runs only when a link needs it (after install-deps).
pc_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null || echo $(2))
LIBS = -lev $(call pc_libs,libcares,-lcares) $(call pc_libs,jansson,-ljansson) \
	$(call pc_libs,wolfssl,-lwolfssl) -lm
CHECK_LIBS = $(call pc_libs,check,-lcheck -lsubunit -lrt -lpthread -lm)

# --- sources -------------------------------------------------------------
COMMON_SRCS := $(sort $(wildcard common/*.c))
LLHTTP_SRCS := $(addprefix $(LLHTTP_SRC)/,llhttp.c api.c http.c)

# program name -> folder; its main is FOLDER/NAME.c; the other .c files of
# the folder form a per-folder archive, so each program links only what it uses.
ALL_PROGS := socks-client meek-client stun-prober egress peerconn-watch meek-server
dir_socks-client := client
dir_meek-client := client
dir_stun-prober := client
dir_egress := egress
dir_peerconn-watch := egress
dir_meek-server := server
# A program is built once its main exists.
PROGS := $(foreach p,$(ALL_PROGS),$(if $(wildcard $(dir_$(p))/$(p).c),$(p)))

PROG_DIRS := client egress server
MAINS := $(foreach p,$(PROGS),$(dir_$(p))/$(p).c)
dirlib_srcs = $(filter-out $(MAINS),$(sort $(wildcard $(1)/*.c)))

UNIT_SRCS := $(sort $(wildcard t/unit/check_*.c))
HELPER_SRCS := $(sort $(wildcard t/helpers/*.c))
FUZZ_SRCS := $(sort $(wildcard t/fuzz/fuzz_*.c))

LIB := $(B)/libpipeworks.a
DIRLIBS := $(foreach d,$(PROG_DIRS),$(if $(call dirlib_srcs,$(d)),$(B)/lib$(d).a))
PROG_BINS := $(addprefix $(BIN)/,$(PROGS))
UNIT_BINS := $(patsubst t/unit/%.c,$(B)/t/%,$(UNIT_SRCS))
HELPER_BINS := $(patsubst t/helpers/%.c,$(B)/t/%,$(HELPER_SRCS))
FUZZ_BINS := $(patsubst t/fuzz/%.c,$(BF)/%,$(FUZZ_SRCS))

obj = $(patsubst %.c,$(B)/%.o,$(1))

.SECONDEXPANSION:
# Keep per-folder objects after archiving them, or every build recompiles them.
.SECONDARY:
.PHONY: all deps check check-run unit sh demo lint fuzz fuzz-smoke bench install clean
.DEFAULT_GOAL := all

all: $(PROG_BINS) $(HELPER_BINS)

# --- compile and link ----------------------------------------------------
$(B)/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_PW) $(CPPFLAGS) $(CFLAGS_PW) $(CFLAGS) -c -o $@ $<

# llhttp is compiled from Debian's node-llhttp sources, with its own flags.
$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -I$(LLHTTP_INC) $(CFLAGS) $(if $(SANITIZE),-fsanitize=$(SANITIZE)) -w -c -o $@ $<

LLHTTP_OBJS := $(patsubst $(LLHTTP_SRC)/%.c,$(B)/llhttp/%.o,$(LLHTTP_SRCS))

$(LIB): $(call obj,$(COMMON_SRCS)) $(LLHTTP_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/lib%.a: $$(call obj,$$(call dirlib_srcs,%))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(PROG_BINS): $(BIN)/%: $(B)/$$(dir_$$*)/$$*.o $$(filter $(B)/lib$$(dir_$$*).a,$(DIRLIBS)) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_BINS): $(B)/t/%: $(B)/t/unit/%.o $(DIRLIBS) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(HELPER_BINS): $(B)/t/%: $(B)/t/helpers/%.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(LIBS)

# --- tests ---------------------------------------------------------------
deps:
	$(Q)scripts/install-deps

check: deps
	$(Q)$(MAKE) --no-print-directory check-run

check-run: unit sh

unit: $(UNIT_BINS)
	$(Q)t/run-unit $(UNIT_BINS)

# ASan's quarantine keeps freed memory resident (256 MB by default), which
# the tests that watch RSS would read as growth: keep it small.
sh: $(PROG_BINS) $(HELPER_BINS)
	$(Q)ASAN_OPTIONS=$${ASAN_OPTIONS:-quarantine_size_mb=4} \
		PW_BIN=$(CURDIR)/$(BIN) PW_HELPERS=$(CURDIR)/$(B)/t t/run-sh $(T)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)PW_BIN=$(CURDIR)/$(BIN) PW_HELPERS=$(CURDIR)/$(B)/t scripts/demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)PW_BIN=$(CURDIR)/$(BIN) PW_HELPERS=$(CURDIR)/$(B)/t bench/run

MAN_PAGES := $(sort $(wildcard man/*.[1-8]))
SH_SCRIPTS := $(wildcard scripts/install-deps scripts/demo scripts/smoketest-* t/run-* t/lib*.sh \
	t/sh/*.t bench/run bench/*.sh .ci/run)

lint:
	$(Q)mandoc -Tlint -Wwarning $(MAN_PAGES)
	$(Q)shellcheck -s sh $(SH_SCRIPTS)

# --- fuzzing (clang libFuzzer) -------------------------------------------
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
$(BF)/obj/%.o: %.c
	$(call msg,FUZZCC,$<)
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(CPPFLAGS_PW) -std=c11 -MMD -MP $(FUZZ_FLAGS) -c -o $@ $<

$(BF)/obj/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) -I$(LLHTTP_INC) $(FUZZ_FLAGS) -w -c -o $@ $<

FUZZ_LIB_OBJS := $(patsubst %.c,$(BF)/obj/%.o,$(COMMON_SRCS) $(foreach d,$(PROG_DIRS),$(call dirlib_srcs,$(d)))) \
	$(patsubst $(LLHTTP_SRC)/%.c,$(BF)/obj/llhttp/%.o,$(LLHTTP_SRCS))
$(BF)/libfuzz.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(BF)/%: $(BF)/obj/t/fuzz/%.o $(BF)/libfuzz.a
	$(call msg,LD,$@)
	$(Q)$(FUZZCC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)

# Each target briefly, from its seed corpus; crashes land in $(BF)/crashes.
FUZZ_SECONDS ?= 10
fuzz-smoke: $(FUZZ_BINS)
	$(Q)t/run-fuzz $(BF) $(FUZZ_SECONDS) $(FUZZ_BINS)

# --- install -------------------------------------------------------------
install: $(PROG_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(PROG_BINS) $(DESTDIR)$(PREFIX)/bin
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s; done

clean:
	rm -rf build build-* bin

-include $(shell find $(B) $(BF) -name "*.d" 2>/dev/null)
