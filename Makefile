# mailtap — one non-recursive Makefile.
#   make            build build/libmailtap.a and build/bin/*
#   make test       install what is missing, build, run unit + e2e tests
#   make run        install what is missing, build, run mailtapd on the bundled capture
#   make CPU=native build for this machine's exact CPU (appliance build)
#   V=1             show full compiler command lines

.DEFAULT_GOAL := all
.SECONDEXPANSION:
.SECONDARY:
BUILD   ?= build
CC      ?= cc
# libpcre2-8/libpcre2-dev: lib/fp fingerprint rules need regex captures (versions), which Hyperscan lacks.
# libcares/libc-ares-dev: lib/probe resolves MX hosts asynchronously.
PKGS    := libdpdk libhs libpcap libcrypto libpcre2-8 libcares
DEB_BUILD := build-essential pkg-config libdpdk-dev libhyperscan-dev libpcap-dev \
             libnuma-dev libcmocka-dev libssl-dev libpcre2-dev libc-ares-dev
# python3-aiosmtpd: a real SMTP server for tests/e2e/test_probe.py.
# dnsmasq-base: a local DNS server (binary only) for tests/e2e/test_probe_survey.py.
# dpdk-dev: DPDK's own telemetry client (/usr/bin/dpdk-telemetry.py) and
# iproute2: network namespaces, for tests/e2e/test_telemetry.py.
# tcpdump: tests/fp/servers.py --pcap (captures of probe dialogues); openssl: its
# chasquid certificate.  The other servers of tests/e2e/test_fp_live.py conflict
# with postfix: servers.py fetches them with apt-get download into build/fp-debs
# (dpkg -x, not installed).
DEB_TEST  := python3 python3-pytest python3-aiosmtpd postfix swaks dnsmasq-base dpdk-dev \
             iproute2 tcpdump openssl

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Deps are checked lazily so that `make deps` can run on a bare machine.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lrte_net_ring -lnuma

# DPDK's pkg-config cflags carry -march=corei7 (SSE4.2, any x86-64 of the
# last 15 years).  CPU=native appends -march=native, which overrides it.
ifneq ($(CPU),)
ARCH_FLAGS := -march=$(CPU)
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-address-of-packed-member
MT_CFLAGS  = -std=gnu11 -O2 -g $(WARN) -MMD -MP -D_GNU_SOURCE -Ilib/base \
             $(addprefix -I,$(LIB_DIRS)) $(PKG_CFLAGS) $(ARCH_FLAGS) $(CFLAGS)
MT_LDFLAGS = $(LDFLAGS)

LIB_DIRS  := $(sort $(dir $(wildcard lib/*/)))
LIB_SRCS  := $(wildcard lib/*/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBMT     := $(BUILD)/libmailtap.a

APPS      := $(notdir $(wildcard app/*))
APP_BINS  := $(APPS:%=$(BUILD)/bin/%)
GEN_BIN   := $(BUILD)/bin/mtgen

UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

.PHONY: all deps check-deps test unit e2e run bench fuzz soak install clean

all: check-deps $(LIBMT) $(APP_BINS) $(GEN_BIN)

check-deps:
	@for p in $(PKGS); do pkg-config --exists $$p || { \
	  echo "error: pkg-config cannot find $$p; run 'make deps' (apt-get install $(DEB_BUILD))" >&2; exit 1; }; done

# Installs the Debian packages that are missing (root, apt-get only).
deps:
	@# postfix (a test peer) must not configure or start a system MTA
	@echo "postfix postfix/main_mailer_type select No configuration" | \
	  debconf-set-selections 2>/dev/null || true
	@tests/tools/ensure-debs.sh $(DEB_BUILD) $(DEB_TEST)

$(BUILD)/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(MT_CFLAGS) -c -o $@ $<

$(LIBMT): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(LIBMT) $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard app/$$*/*.c)))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MT_CFLAGS) -o $@ $(filter %.o,$^) $(LIBMT) $(MT_LDFLAGS) $(PKG_LIBS) -lm

$(GEN_BIN): $(BUILD)/tests/gen/mtgen.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MT_CFLAGS) -o $@ $^ $(MT_LDFLAGS) -lpcap -lm

$(BUILD)/tests/unit/%.o: MT_CFLAGS += -Itests/unit/fixtures

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MT_CFLAGS) -o $@ $< $(LIBMT) $(MT_LDFLAGS) $(PKG_LIBS) -lcmocka -lm

unit: all $(UNIT_BINS)
	@tests/tools/run-tests.sh unit $(UNIT_BINS)

e2e: all
	@tests/tools/run-tests.sh e2e

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@tests/tools/run-tests.sh all $(UNIT_BINS)

run: deps
	@$(MAKE) --no-print-directory all
	@tests/tools/demo.sh

# libFuzzer harnesses for the parsers (clang from Debian); each runs
# FUZZ_SECONDS (default 60).  Pure-C modules only: no EAL needed.
FUZZ_SECONDS ?= 60
FUZZ_LIBSRC  := $(wildcard lib/base/*.c lib/decode/*.c lib/tcp/*.c lib/smtp/*.c lib/mime/*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-Ilib/base -Ilib/decode -Ilib/tcp -Ilib/smtp -Ilib/mime -o $@ $^

fuzz:
	@tests/tools/ensure-debs.sh clang
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f); \
	  echo "fuzz $$f for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(BUILD)/fuzz/corpus-$$(basename $$f) > $$f.log 2>&1 || \
	    { tail -40 $$f.log; echo "fuzz: $$f FAILED (crash input above)"; exit 1; }; \
	  grep -E 'stat::(number_of_executed_units|new_units_added)' $$f.log; done

# make bench: mailtapd on a generated capture (build/bench/, cached) against
# the machine's limits and peer tools, medians of BENCH_RUNS (3) runs; see
# docs/PERFORMANCE.md.  Installs the peers (Debian packages).  Not part of
# make test.
BENCH_DEBS   := tcpflow tshark dsniff time
BENCH_BINS   := $(BUILD)/bench/limits $(BUILD)/bench/replay $(BUILD)/bench/scanstage

$(BUILD)/bench/%: tests/bench/%.c $(LIBMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MT_CFLAGS) -o $@ $< $(LIBMT) $(MT_LDFLAGS) $(PKG_LIBS) -lm

bench: deps
	@echo "wireshark-common wireshark-common/install-setuid boolean false" | \
	  debconf-set-selections 2>/dev/null || true
	@tests/tools/ensure-debs.sh $(BENCH_DEBS)
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@python3 tests/bench/bench.py
	@$(MAKE) --no-print-directory bench-probe

# make bench-probe: completed probes per second of `mailtap probe` at >= 1,000
# concurrent sessions against a loopback fleet replaying recorded dialogues,
# next to the source article's rate (tests/bench/probe_bench.py,
# docs/PERFORMANCE.md).  Loopback only; needs nothing beyond make deps.
.PHONY: bench-probe
bench-probe:
	@$(MAKE) --no-print-directory all $(BUILD)/bench/probe_fleet
	@/usr/bin/python3 tests/bench/probe_bench.py

# make install [PREFIX=/usr/local] [DESTDIR=staging root]: a tree a package
# could ship.  Binaries in BINDIR, mailtap-setup in SBINDIR, the systemd
# units in UNITDIR (paths rewritten for PREFIX), config under
# SYSCONFDIR/mailtap (an existing, edited file is kept and the new one put
# beside it as .dist), /etc/default/mailtapd, logrotate, docs, the spool.
# make uninstall removes what install put there except config and spool.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/mailtap
SPOOLDIR   ?= /var/spool/mailtap
INST_SED   := -e 's|/usr/bin/|$(BINDIR)/|g' -e 's|/usr/sbin/|$(SBINDIR)/|g' \
              -e 's|/usr/share/doc/mailtap|$(DOCDIR)|g' -e 's|/etc/|$(SYSCONFDIR)/|g' \
              -e 's|/var/spool/mailtap|$(SPOOLDIR)|g'
INST_UNITS := deploy/systemd/mailtapd.service deploy/systemd/mailtap-setup.service
INST_DOCS  := README.md $(wildcard docs/*.md)
# install_conf SRC DST MODE: install unless DST exists with other content
install_conf = if [ -e $(2) ] && ! cmp -s $(1) $(2); then \
	  install -m $(3) $(1) $(2).dist; echo "kept $(2); new version in $(2).dist"; \
	else install -m $(3) $(1) $(2); fi

.PHONY: uninstall
install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/mailtap $(DESTDIR)$(SYSCONFDIR)/mailtap/rules \
	  $(DESTDIR)$(SYSCONFDIR)/mailtap/fingerprints $(DESTDIR)$(SPOOLDIR)
	install -m 0755 $(BUILD)/bin/mailtapd $(BUILD)/bin/mailtap $(DESTDIR)$(BINDIR)/
	sed $(INST_SED) deploy/scripts/mailtap-setup > $(DESTDIR)$(SBINDIR)/mailtap-setup
	chmod 0755 $(DESTDIR)$(SBINDIR)/mailtap-setup
	for u in $(INST_UNITS); do sed $(INST_SED) $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	install -m 0644 deploy/logrotate/mailtap $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mailtap
	@$(call install_conf,config/mailtap.conf,$(DESTDIR)$(SYSCONFDIR)/mailtap/mailtap.conf,0640)
	@for r in config/rules/*; do $(call install_conf,$$r,$(DESTDIR)$(SYSCONFDIR)/mailtap/rules/$${r##*/},0640); done
	@for r in config/fingerprints/*.fp; do $(call install_conf,$$r,$(DESTDIR)$(SYSCONFDIR)/mailtap/fingerprints/$${r##*/},0640); done
	@$(call install_conf,deploy/default/mailtapd,$(DESTDIR)$(SYSCONFDIR)/default/mailtapd,0644)
	install -m 0644 $(INST_DOCS) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailtapd $(DESTDIR)$(BINDIR)/mailtap \
	  $(DESTDIR)$(SBINDIR)/mailtap-setup $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mailtap \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INST_UNITS)))
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/mailtap, $(DESTDIR)$(SYSCONFDIR)/default/mailtapd and $(DESTDIR)$(SPOOLDIR)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
