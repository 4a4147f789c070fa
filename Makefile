# customsd - customs clearance daemon for CEB603 export declarations (Mishan port).
#
#   make            build customsd and customsctl (into build/, linked at the top level)
#   make check      unit tests, then integration tests on a throwaway local stack
#   make asan       the whole test suite built with -fsanitize=address,undefined
#   make valgrind   the unit tests under valgrind memcheck
#   make demo       clear 10,000 generated declarations end to end on the local stack
#   make chaos      exactly-once under crashes, rebalances and outages (CHAOS_LONG=1: long run)
#   make soak       SOAK_MINUTES (60) of steady mixed traffic: RSS, descriptors, exact counts
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each (default 60)
#   make install    PREFIX=/usr/local DESTDIR= ; make uninstall
#   make format-check / make format
#   make deps       install the Debian packages that are missing (as root), else print the line

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR  ?= $(PREFIX)/share/customsd
DOCDIR   ?= $(PREFIX)/share/doc/customsd
UNITDIR  ?= /lib/systemd/system
DESTDIR  ?=

BUILD    ?= build
CC       ?= cc
PKGS     := rdkafka libpq yaml-0.1 json-c libsystemd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

OPTFLAGS ?= -O2 -g
SANFLAGS ?=
CFLAGS   += $(OPTFLAGS) $(SANFLAGS) -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 \
            -D_GNU_SOURCE -Idaemon -I$(BUILD) $(PKG_CFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread

LIB_SRCS  := $(filter-out daemon/main.c daemon/customsctl.c,$(wildcard daemon/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c) $(wildcard tests/stack/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/tools/%,$(notdir $(TOOL_SRCS)))
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/tests/%)
FORMAT_SRCS := $(wildcard daemon/*.[ch] tests/*/*.[ch])

# Keep intermediate objects (tests and tools link from them); no "rm ..." noise after builds.
.SECONDARY:

.PHONY: FORCE all check unit-test integration-test asan valgrind demo install uninstall clean format \
        format-check deps tests bench

all: $(BUILD)/customsd $(BUILD)/customsctl customsd customsctl

customsd customsctl: %: $(BUILD)/%
	ln -sf $< $@

$(BUILD)/customsd: $(BUILD)/daemon/main.o $(BUILD)/libcustoms.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/customsctl: $(BUILD)/daemon/customsctl.o $(BUILD)/libcustoms.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libcustoms.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# The schema release customsd is built for, from sql/ (daemon/schema.h), and where
# migrate.sh is installed. Made on every run (a few checksums); replaced only when it
# changed, so schema.o is rebuilt only then.
$(BUILD)/schema_release.h: FORCE
	@mkdir -p $(dir $@)
	@sh daemon/schema_release.sh sql '$(DATADIR)/sql/migrate.sh' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "generated $@"; fi

FORCE:

$(BUILD)/daemon/schema.o: $(BUILD)/schema_release.h

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libcustoms.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/integration/test_%.o $(BUILD)/libcustoms.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libcustoms.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/tests/stack/%.o $(BUILD)/libcustoms.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: all $(UNIT_BINS) $(INTEG_BINS) $(TOOL_BINS)

deps:
	@sh tests/stack/deps.sh

check: deps
	$(MAKE) tests
	BUILD=$(BUILD) sh tests/run-tests.sh

unit-test: tests
	BUILD=$(BUILD) sh tests/run-tests.sh unit

integration-test: tests
	BUILD=$(BUILD) sh tests/run-tests.sh integration

# The unit tests under valgrind (memcheck): no invalid access, no leak, exit 1 otherwise.
valgrind: deps
	$(MAKE) tests
	@for t in $(UNIT_BINS); do \
	    echo "=== valgrind $$t"; \
	    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	        $$t >/dev/null || exit 1; \
	done; echo "=== valgrind: $(words $(UNIT_BINS)) unit test programs clean"

asan: deps
	$(MAKE) BUILD=build-asan OPTFLAGS="-O1 -g" \
	    SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    tests
	BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run-tests.sh

demo: deps
	$(MAKE) tests
	BUILD=$(BUILD) bash tests/demo.sh

bench: tests
	BUILD=$(BUILD) BENCH_N=$(BENCH_N) bash tests/bench.sh

# Configuration an operator has edited is never overwritten: a file that already exists is
# installed beside it as FILE.dist instead.
CONFIG_FILES := customsd.yaml rules.yaml rates.yaml $(addprefix lists/,$(notdir $(wildcard config/lists/*.yaml)))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/customsd/lists \
	    $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/customsd $(BUILD)/customsctl $(DESTDIR)$(BINDIR)/
	@for f in $(CONFIG_FILES); do \
	    dest=$(DESTDIR)$(SYSCONFDIR)/customsd/$$f; \
	    if [ -e "$$dest" ]; then \
	        install -m 644 config/$$f "$$dest.dist"; echo "kept $$dest (new one: $$dest.dist)"; \
	    else \
	        install -m 644 config/$$f "$$dest"; echo "installed $$dest"; \
	    fi; \
	done
	install -m 644 README.md config/RULES.md docs/*.md $(DESTDIR)$(DOCDIR)/
	@# sql/ is replaced whole: a migration an earlier release shipped must not linger.
	rm -rf $(DESTDIR)$(DATADIR)/sql
	install -d $(DESTDIR)$(DATADIR)/sql/repeatable
	install -m 644 sql/*.sql sql/README.md $(DESTDIR)$(DATADIR)/sql/
	install -m 644 sql/repeatable/*.sql $(DESTDIR)$(DATADIR)/sql/repeatable/
	install -m 755 sql/migrate.sh $(DESTDIR)$(DATADIR)/sql/
	sed 's|@BINDIR@|$(BINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@DOCDIR@|$(DOCDIR)|g' \
	    systemd/customsd.service > $(DESTDIR)$(UNITDIR)/customsd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/customsd.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/customsd $(DESTDIR)$(BINDIR)/customsctl
	rm -f $(DESTDIR)$(UNITDIR)/customsd.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@echo "left $(DESTDIR)$(SYSCONFDIR)/customsd in place (configuration)"

# Fuzzing (tests/fuzz/README.md): clang + libFuzzer + ASan/UBSan. The library is built a
# second time by clang in build-fuzz/, instrumented for coverage (fuzzer-no-link); each
# tests/fuzz/fuzz_NAME.c is linked with it into build-fuzz/fuzz/fuzz_NAME.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

.PHONY: fuzz fuzz-build chaos

fuzz: deps
	@sh tests/stack/deps.sh fuzz
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPTFLAGS="-O1 -g" \
	    SANFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_TARGETS)

build-fuzz/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build-fuzz/libcustoms.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< build-fuzz/libcustoms.a $(LDLIBS)

# Chaos scenarios (tests/chaos/README.md) on the local stack; CHAOS_LONG=1 for the long run,
# CHAOS_SCENARIOS="crash zombie" for a subset.
chaos: deps
	$(MAKE) tests
	BUILD=$(BUILD) bash tests/chaos/run.sh

# Soak (tests/soak.sh): steady traffic at half the measured maximum for SOAK_MINUTES, with
# scans, amendments, cancellations and officer calls; customsd's RSS and descriptors sampled
# every 10 s. Not part of check or CI.
SOAK_MINUTES ?= 60
.PHONY: soak
soak: deps
	$(MAKE) tests
	BUILD=$(BUILD) SOAK_MINUTES=$(SOAK_MINUTES) bash tests/soak.sh

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf build build-asan build-fuzz customsd customsctl

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
