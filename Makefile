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
CPPFLAGS_PW := -D_GNU_SOURCE -Icommon
CFLAGS ?= -O2 -g
CFLAGS_PW := -std=c11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) -MMD -MP
LDFLAGS_PW :=
ifneq ($(SANITIZE),)
CFLAGS_PW += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_PW += -fsanitize=$(SANITIZE)
endif

# Recursive '=' so pkg-config runs only when a link needs it (after install-deps).
pc_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null || echo $(2))
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
CHECK_LIBS = $(call pc_libs,check,-lcheck -lsubunit -lrt -lpthread -lm)

# --- libraries -----------------------------------------------------------
# common/ is cut by layer (common/README.md); each layer and each adapter is
# its own archive, $(B)/libpw-NAME.a, built from common/NAME/*.c with the
# compile flags of its own dependency only (cflags_NAME). Adapters wrap one
# heavy dependency each and are the only code that sees its headers:
#   tls   wolfSSL: TLS client, wolfCrypt primitives
#   nss   NSS/NSPR: DTLS and the browser TLS persona
#   srtp  libsrtp2    ice  libnice (the only place GLib's flags appear)
#   sctp  usrsctp     ws   wslay      h2  nghttp2    redis  hiredis
#   gcm   libcrypto: AES-GCM for tls's records (linked wherever tls is)
# A slot is built once its folder holds sources. Link order: users first.
LAYERS := rtc call stun tt net proto base
ADAPTERS := ice sctp srtp nss ws h2 redis tls gcm
PWLIBS := $(LAYERS) $(ADAPTERS) llhttp
LINK_ORDER := rtc call stun tt ice sctp srtp nss ws h2 redis net proto tls gcm llhttp base

cflags_proto = -I$(LLHTTP_INC)
cflags_tls = $(call pc_cflags,wolfssl)
cflags_gcm = $(call pc_cflags,libcrypto)
cflags_nss = $(call pc_cflags,nss)
cflags_srtp = $(call pc_cflags,libsrtp2)
cflags_ice = $(call pc_cflags,nice)
cflags_sctp = $(call pc_cflags,usrsctp)
cflags_ws = $(call pc_cflags,libwslay)
cflags_h2 = $(call pc_cflags,libnghttp2)
cflags_redis = $(call pc_cflags,hiredis)
cflags_llhttp = -I$(LLHTTP_INC)

# What each archive needs at link time, and the system libraries by name.
needs_stun := ev
needs_rtc := ev jansson
needs_tt := ev
needs_call := ev m
needs_net := ev cares
needs_base := ev
needs_tls = $(call pc_libs,wolfssl,-lwolfssl)
needs_gcm = $(call pc_libs,libcrypto,-lcrypto)
needs_nss = $(call pc_libs,nss,-lnss3 -lnspr4) $(call pc_libs,zlib libbrotlidec libbrotlienc libzstd,-lz -lbrotlidec -lbrotlienc -lzstd)
needs_srtp = $(call pc_libs,libsrtp2,-lsrtp2)
needs_ice = $(call pc_libs,nice,-lnice)
needs_sctp = $(call pc_libs,usrsctp,-lusrsctp)
needs_ws = $(call pc_libs,libwslay,-lwslay)
needs_h2 = $(call pc_libs,libnghttp2,-lnghttp2)
needs_redis = $(call pc_libs,hiredis,-lhiredis)
sys_ev := -lev
sys_cares = $(call pc_libs,libcares,-lcares)
sys_jansson = $(call pc_libs,jansson,-ljansson)
sys_m := -lm

lib_srcs = $(sort $(wildcard common/$(1)/*.c))
LLHTTP_SRCS := $(addprefix $(LLHTTP_SRC)/,llhttp.c api.c http.c)
BUILT_LIBS := $(foreach l,$(LAYERS) $(ADAPTERS),$(if $(call lib_srcs,$(l)),$(l))) llhttp
COMMON_SRCS := $(foreach l,$(BUILT_LIBS),$(call lib_srcs,$(l)))

# --- programs ------------------------------------------------------------
# One line each: the folder (its main is FOLDER/NAME.c, its other .c files
# the program's own archive), then what it links: pipeworks libraries and
# system libraries (sys_NAME).
prog_socks-client := client/socks-client    tt net ws proto tls llhttp base ev
prog_meek-client := client/meek-client      net proto tls nss h2 llhttp base ev
prog_stun-prober := client/stun-prober      stun net proto tls base ev jansson
prog_egress := egress/egress                tt net ws proto tls llhttp base ev jansson m
prog_peerconn-watch := egress/peerconn-watch net proto base ev m
prog_meek-server := server/meek-server      net proto llhttp base ev
prog_rendezvous := rendezvous/rendezvous  redis net proto llhttp base ev jansson
prog_lanturn-egress := egress/lanturn-egress call nss srtp net proto tls llhttp base ev m
prog_lanturn-client := client/lanturn-client call stun tt nss srtp net proto tls base ev cares m
prog_peer-client := client/peer-client      rtc ice sctp nss net proto tls llhttp base ev jansson
prog_peer-proxy := server/peer-proxy        rtc ice sctp nss ws net proto tls llhttp base ev jansson
ALL_PROGS := socks-client meek-client stun-prober egress peerconn-watch meek-server
ALL_PROGS += rendezvous lanturn-egress lanturn-client peer-client peer-proxy

dir_of = $(firstword $(prog_$(1)))
# tls seals AES-GCM records through gcm (libcrypto): whoever links tls links gcm.
uses_of = $(wordlist 2,99,$(prog_$(1))) $(if $(filter tls,$(prog_$(1))),gcm)
# A program is built once its main exists.
PROGS := $(foreach p,$(ALL_PROGS),$(if $(wildcard $(call dir_of,$(p))/$(p).c),$(p)))
PROG_DIRS := $(foreach p,$(PROGS),$(call dir_of,$(p)))
MAINS := $(foreach p,$(PROGS),$(call dir_of,$(p))/$(p).c)
dirlib_srcs = $(filter-out $(MAINS),$(sort $(wildcard $(1)/*.c)))

# The archives and system libraries of a list of uses, in link order.
pw_archives = $(foreach l,$(filter $(1),$(LINK_ORDER)),$(B)/libpw-$(l).a)
sys_libs_of = $(foreach u,$(sort $(filter-out $(PWLIBS),$(1)) \
	$(foreach l,$(filter $(1),$(PWLIBS)),$(needs_$(l)))),$(if $(filter -%,$(u)),$(u),$(sys_$(u))))

UNIT_SRCS := $(sort $(wildcard t/unit/check_*.c))
HELPER_SRCS := $(sort $(wildcard t/helpers/*.c))
FUZZ_SRCS := $(sort $(wildcard t/fuzz/fuzz_*.c))

prog_archive = $(B)/lib$(subst /,-,$(call dir_of,$(1))).a
PROG_ARCHIVES := $(foreach p,$(PROGS),$(if $(call dirlib_srcs,$(call dir_of,$(p))),$(call prog_archive,$(p))))
PROG_BINS := $(addprefix $(BIN)/,$(PROGS))
UNIT_BINS := $(patsubst t/unit/%.c,$(B)/t/%,$(UNIT_SRCS))
HELPER_BINS := $(patsubst t/helpers/%.c,$(B)/t/%,$(HELPER_SRCS))
FUZZ_BINS := $(patsubst t/fuzz/%.c,$(BF)/%,$(FUZZ_SRCS))
# Tests and helpers link everything that is built.
ALL_USES := $(BUILT_LIBS) ev m cares jansson

obj = $(patsubst %.c,$(B)/%.o,$(1))

.SECONDEXPANSION:
# Keep per-folder objects after archiving them, or every build recompiles them.
.SECONDARY:
.PHONY: all deps check check-run unit sh demo lint fuzz fuzz-smoke bench install clean
.DEFAULT_GOAL := all

all: $(PROG_BINS) $(HELPER_BINS)

# --- compile and link ----------------------------------------------------
# Per-folder flags: a library's sources see its own dependency's headers;
# tests reach program modules as "PROGRAM/x.h" through -Iclient -Iegress
# -Iserver, never by a relative path.
$(foreach l,$(PWLIBS),$(eval $(B)/common/$(l)/%.o: XFLAGS = $$(cflags_$(l))))
$(B)/t/%.o: XFLAGS = -Iclient -Iegress -Iserver -Irendezvous
# The release number, from VERSION, reaches cli.o only: a bump rebuilds one file.
PW_VERSION := $(shell cat VERSION 2>/dev/null)
$(B)/common/base/cli.o: XFLAGS = $(cflags_base) -DPW_VERSION='"$(PW_VERSION)"'
$(B)/common/base/cli.o: VERSION

$(B)/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_PW) $(XFLAGS) $(CPPFLAGS) $(CFLAGS_PW) $(CFLAGS) -c -o $@ $<

# llhttp is compiled from Debian's node-llhttp sources, with its own flags.
$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -I$(LLHTTP_INC) $(CFLAGS) $(if $(SANITIZE),-fsanitize=$(SANITIZE)) -w -c -o $@ $<

LLHTTP_OBJS := $(patsubst $(LLHTTP_SRC)/%.c,$(B)/llhttp/%.o,$(LLHTTP_SRCS))

$(B)/libpw-llhttp.a: $(LLHTTP_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libpw-%.a: $$(call obj,$$(call lib_srcs,%))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(foreach p,$(PROGS),$(eval $(call prog_archive,$(p)): $$(call obj,$$(call dirlib_srcs,$(call dir_of,$(p))))))
$(PROG_ARCHIVES):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(PROG_BINS): $(BIN)/%: $(B)/$$(call dir_of,$$*)/$$*.o $$(filter $$(call prog_archive,$$*),$(PROG_ARCHIVES)) \
		$$(call pw_archives,$$(call uses_of,$$*))
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(call sys_libs_of,$(call uses_of,$*))

$(UNIT_BINS): $(B)/t/%: $(B)/t/unit/%.o $(PROG_ARCHIVES) $(call pw_archives,$(ALL_USES))
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(call sys_libs_of,$(ALL_USES))

$(HELPER_BINS): $(B)/t/%: $(B)/t/helpers/%.o $(call pw_archives,$(ALL_USES))
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_PW) $(LDFLAGS) -o $@ $^ $(call sys_libs_of,$(ALL_USES))

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
SH_SCRIPTS := $(wildcard scripts/install-deps scripts/demo scripts/smoketest-* t/run-* t/lib*.sh t/helpers/*.sh \
	t/sh/*.t bench/run bench/*.sh .ci/run)

lint:
	$(Q)mandoc -Tlint -Wwarning $(MAN_PAGES)
	$(Q)shellcheck -s sh $(SH_SCRIPTS) t/lint-style
	$(Q)t/lint-style

# --- fuzzing (clang libFuzzer) -------------------------------------------
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
$(foreach l,$(PWLIBS),$(eval $(BF)/obj/common/$(l)/%.o: XFLAGS = $$(cflags_$(l))))
$(BF)/obj/t/%.o: XFLAGS = -Iclient -Iegress -Iserver -Irendezvous
$(BF)/obj/%.o: %.c
	$(call msg,FUZZCC,$<)
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(CPPFLAGS_PW) $(XFLAGS) -std=c11 -MMD -MP $(FUZZ_FLAGS) -c -o $@ $<

$(BF)/obj/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) -I$(LLHTTP_INC) $(FUZZ_FLAGS) -w -c -o $@ $<

FUZZ_LIB_OBJS := $(patsubst %.c,$(BF)/obj/%.o,$(filter-out $(LLHTTP_SRCS),$(COMMON_SRCS)) \
	$(foreach d,$(PROG_DIRS),$(call dirlib_srcs,$(d)))) \
	$(patsubst $(LLHTTP_SRC)/%.c,$(BF)/obj/llhttp/%.o,$(LLHTTP_SRCS))
$(BF)/libfuzz.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(BF)/%: $(BF)/obj/t/fuzz/%.o $(BF)/libfuzz.a
	$(call msg,LD,$@)
	$(Q)$(FUZZCC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(call sys_libs_of,$(ALL_USES))

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
