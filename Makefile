# Corridor — build, test, bench, install.
#   make            build/corridor and build/libcorridor.a
#   make test       install missing packages, build, run every test
#   make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       install missing packages, build, run the demo
#   make demo-server the corridor year over the network, compared with a local run
#   make bench      throughput figures
#   make bench-scale the cost of operations on one year and on ten years of data
#   make install PREFIX=/usr/local DESTDIR=

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=

MSGPACK_PC := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
PKGS    := lmdb libsodium $(MSGPACK_PC) jansson libxml-2.0

WARN := -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings \
        -Wformat=2 -Wundef -Wnull-dereference -Werror
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O2 $(WARN) -Iinclude

ifeq ($(SAN),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
else
BUILD   := build
SANFLAGS :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

CFLAGS_ALL = $(BASE_CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS)
# the library's objects go into libcorridor.a and libcorridor.so alike
LIB_CFLAGS = -fPIC
SOVERSION := 0
# the version is the header's (include/corridor/base.h), in one place
LIBVERSION := $(shell awk '/define CORRIDOR_VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v == "" ? "" : ".") $$3} END {print v}' include/corridor/base.h)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lpthread
# the service (service/, linked into the corridor binary only)
SERVICE_CFLAGS = $(shell pkg-config --cflags libmicrohttpd zlib 2>/dev/null)
SERVICE_LIBS = $(shell pkg-config --libs libmicrohttpd zlib 2>/dev/null)
# the client of the service (client/, libcurl; linked into the corridor binary only)
CLIENT_CFLAGS = $(shell pkg-config --cflags libcurl 2>/dev/null)
CLIENT_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)

LIB_SRC := $(wildcard base/*.c formats/*.c core/*.c core/*/*.c)
CLI_SRC := $(wildcard cli/*.c service/*.c client/*.c)
TEST_SRC := $(wildcard tests/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
HEADERS := $(wildcard include/corridor/*.h base/*.h core/*.h core/*/*.h formats/*.h cli/*.h service/*.h client/*.h tests/*.h)

layering: all
	sh tools/layering.sh $(BUILD)

.PHONY: layering all deps test check-run demo demo-server bench bench-scale install clean san-test fuzz fuzz-smoke

all: $(BUILD)/corridor $(BUILD)/libcorridor.a $(BUILD)/libcorridor.so.$(LIBVERSION) \
     $(BUILD)/corridor.1 $(BUILD)/corridor.bash

# The man page and the bash completion come from the command table
# (cli/commands.c) through the binary, like its --help: they cannot drift.
$(BUILD)/corridor.1: $(BUILD)/corridor
	$(BUILD)/corridor help --man > $@.tmp && mv $@.tmp $@

$(BUILD)/corridor.bash: $(BUILD)/corridor
	$(BUILD)/corridor help --completion > $@.tmp && mv $@.tmp $@

deps:
	@sh tools/deps.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB_OBJ): $(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/libcorridor.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The shared library carries its soname and its own dependencies, so
# `pkg-config --libs corridor` links with -lcorridor alone.
$(BUILD)/libcorridor.so.$(LIBVERSION): $(LIB_OBJ)
	$(CC) $(LDFLAGS_ALL) -shared -Wl,-soname,libcorridor.so.$(SOVERSION) -Wl,--no-undefined \
	  -o $@ $(LIB_OBJ) $(LIBS_ALL)

$(BUILD)/obj/service/%.o: service/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SERVICE_CFLAGS) -c $< -o $@

$(BUILD)/obj/client/%.o: client/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CLIENT_CFLAGS) -c $< -o $@

$(BUILD)/corridor: $(CLI_OBJ) $(BUILD)/libcorridor.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libcorridor.a $(LIBS_ALL) $(SERVICE_LIBS) $(CLIENT_LIBS)

$(BUILD)/obj/tests/%.o: tests/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/check_corridor: $(TEST_OBJ) $(BUILD)/libcorridor.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(BUILD)/libcorridor.a $(LIBS_ALL) $(CHECK_LIBS)

$(BUILD)/demo-meters: tools/demo_meters.c $(BUILD)/libcorridor.a $(HEADERS)
	$(CC) $(CFLAGS_ALL) -o $@ tools/demo_meters.c $(BUILD)/libcorridor.a $(LIBS_ALL)

$(BUILD)/scale: tools/scale.c tools/power_terms.h $(BUILD)/libcorridor.a $(HEADERS)
	$(CC) $(CFLAGS_ALL) -o $@ tools/scale.c $(BUILD)/libcorridor.a $(LIBS_ALL)

$(BUILD)/bench: tools/bench.c tools/power_terms.h $(BUILD)/libcorridor.a $(HEADERS)
	$(CC) $(CFLAGS_ALL) -Icore -o $@ tools/bench.c $(BUILD)/libcorridor.a $(LIBS_ALL)

# The test suite drives the real binary: it finds it through CORRIDOR_BIN.
test: deps
	@$(MAKE) --no-print-directory check-run

check-run: $(BUILD)/corridor $(BUILD)/check_corridor $(BUILD)/libcorridor.so.$(LIBVERSION) $(BUILD)/demo-meters
	sh tools/layering.sh $(BUILD)
	CORRIDOR_BIN=$(CURDIR)/$(BUILD)/corridor CORRIDOR_VECTORS=$(CURDIR)/tests/vectors \
	  CORRIDOR_EXAMPLES=$(CURDIR)/docs/examples CORRIDOR_CAMT=$(CURDIR)/tests/camt \
	  CORRIDOR_SRC=$(CURDIR) CORRIDOR_BUILD=$(BUILD) \
	  $(BUILD)/check_corridor

san-test: deps
	@$(MAKE) --no-print-directory SAN=1 check-run

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/demo-meters
	@sh tools/demo.sh $(BUILD)/corridor

demo-server: deps
	@$(MAKE) --no-print-directory all $(BUILD)/demo-meters
	@sh tools/demo-server.sh $(BUILD)/corridor

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/bench $(BUILD)/corridor
	$(BUILD)/bench $(BUILD)/corridor

# ledgers of one and of ten years of hourly series (cached in $(BUILD)/scale-ledgers;
# CORRIDOR_SCALE_POINTS, CORRIDOR_SCALE_YEARS): docs/PERFORMANCE.md
bench-scale: deps
	@$(MAKE) --no-print-directory $(BUILD)/scale
	$(BUILD)/scale $(BUILD)/scale-ledgers

# libFuzzer targets (clang): every decoder of untrusted input. `make fuzz`
# runs each for FUZZ_SECONDS (default 60); `make fuzz-smoke` for 10, in CI.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := csv entry note contract archive view viewread rates camt cim statement httpsig witness monitor
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Iinclude $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(HEADERS)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS) -lpthread

fuzz: deps $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus-$$t; cp -n tests/fuzz/seeds/$$t/* build-fuzz/corpus-$$t/ 2>/dev/null; \
	  echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/ build-fuzz/corpus-$$t > build-fuzz/$$t.log 2>&1; rc=$$?; \
	  grep -E "^stat::number_of_executed_units|^stat::peak_rss|ERROR|SUMMARY|runtime error" build-fuzz/$$t.log; \
	  [ $$rc -eq 0 ] || { echo "fuzz $$t: failed (artifact in build-fuzz/)"; exit 1; }; \
	done

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

corridor.pc: corridor.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@MSGPACK@|$(MSGPACK_PC)|g' -e 's|@VERSION@|$(LIBVERSION)|g' $< > $@

install: all corridor.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/corridor
	install -m 0755 $(BUILD)/corridor $(DESTDIR)$(PREFIX)/bin/corridor
	install -m 0644 $(BUILD)/libcorridor.a $(DESTDIR)$(PREFIX)/lib/libcorridor.a
	install -m 0755 $(BUILD)/libcorridor.so.$(LIBVERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libcorridor.so.$(LIBVERSION) $(DESTDIR)$(PREFIX)/lib/libcorridor.so.$(SOVERSION)
	ln -sf libcorridor.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libcorridor.so
	install -m 0644 include/corridor/*.h $(DESTDIR)$(PREFIX)/include/corridor/
	install -m 0644 corridor.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/corridor.pc
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 $(BUILD)/corridor.1 $(DESTDIR)$(PREFIX)/share/man/man1/corridor.1
	install -m 0644 $(BUILD)/corridor.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/corridor

clean:
	rm -rf build build-san build-fuzz corridor.pc
