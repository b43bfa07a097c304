# Rocket - an HTTP/1.1 server on raw io_uring. `make help` lists the targets.
#
#   make            build/rocket (static, no libc), build/librocket.a,
#                   build/hello and the tools
#   make run        build and serve on port 8080
#   make test       build and run every test (hosted build, ASan + UBSan)
#   make install    PREFIX=/usr/local DESTDIR= : binaries, man page, units
#
# Two builds come from the same sources under src/:
#   - the product: src/ + src/rt/ + arch/$(ARCH)/, -nostdlib -static;
#   - the hosted build: src/ (without src/rt/) + tests/shim/, linked with
#     libc so the tests can run under AddressSanitizer and UBSan.

VERSION := 0.3.0
# `rocket --version` names the commit it was built from ("unknown" outside
# a git checkout of this tree).
COMMIT  := $(if $(wildcard .git),$(shell git rev-parse --short HEAD 2>/dev/null))
COMMIT  := $(or $(COMMIT),unknown)

HOST_ARCH := $(shell uname -m)
# The target architecture follows the compiler (x86_64-linux-gnu-gcc,
# aarch64-linux-gnu-gcc, clang --target=...): ARCH=aarch64 need not be given
# with CC. Given without CC, ARCH picks Debian's cross compiler for it.
ifeq ($(origin CC),default)
ifneq ($(filter command line environment,$(origin ARCH)),)
ifneq ($(ARCH),$(HOST_ARCH))
CC := $(ARCH)-linux-gnu-gcc
endif
endif
endif
ARCH    ?= $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
# A cross build gets its own directory unless BUILD is given: the objects
# of two architectures must not meet.
ifeq ($(ARCH),$(HOST_ARCH))
BUILD   ?= build
else
BUILD   ?= build-$(ARCH)
endif
O       := $(BUILD)
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror

WARN    := -Wall -Wextra $(WERROR)
BASE    := -std=c11 $(WARN) -Iinclude -MMD -MP
# The core never relies on libc: freestanding, no stack protector, no builtins
# named like libc functions (we call __builtin_* explicitly where wanted).
FREE    := -ffreestanding -fno-builtin -fno-stack-protector -fno-strict-aliasing
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC := $(shell find src -name '*.c' ! -path 'src/rt/*' | sort)
RT_SRC   := $(sort $(wildcard src/rt/*.c) $(wildcard arch/$(ARCH)/*.S) $(wildcard arch/$(ARCH)/*.c))
# tests/shim/hosted_main.c defines main(): it goes into the hosted server
# only, never into the archives the tests and tools link (they have a main).
SHIM_MAIN := tests/shim/hosted_main.c
SHIM_SRC := $(filter-out $(SHIM_MAIN),$(sort $(wildcard tests/shim/*.c)))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
# Programs built like the product on build/librocket.a (their own rule
# below); every other tools/*.c is a hosted tool that may use libc.
EMBED_SRC := tools/hello.c
# rocket-arena (HttpArena's profiles) is such a program of several files:
# tools/arena.c and tools/arena/.
ARENA_SRC := tools/arena.c $(sort $(wildcard tools/arena/*.c))
TOOL_SRC := $(filter-out $(EMBED_SRC) tools/arena.c,$(sort $(wildcard tools/*.c)))

# Static product objects.
STATIC_FLAGS := $(BASE) $(FREE) $(CFLAGS) -fno-pie -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -ffunction-sections -fdata-sections
ifeq ($(ARCH),aarch64)
# GCC's default on arm64 turns __atomic_* into calls to libgcc helpers that
# pick LSE or LL/SC at run time from getauxval() - a libc function.
STATIC_FLAGS += -mno-outline-atomics
endif
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
# clang's -O2 code is some 10% larger than gcc's (it unrolls and vectorizes
# loops, gcc does not): with clang the whole product is built for size, so
# both compilers' products keep the size budget (check-size); -Oz, since
# -Os left rocket-arena above it.
CLANG_OS := 1
COLD_OPT := -Oz
else
# gcc pads hot functions, loops and jump targets to 16 bytes: some 2 KiB
# of the product, for no measurable speed on a loop that waits in
# io_uring_enter (tools/bench-conn, README).
STATIC_FLAGS += -falign-functions=1 -falign-jumps=1 -falign-loops=1 -falign-labels=1
COLD_OPT := -Os
endif
# Link without libc's start files and libraries; drop unreferenced sections;
# LDSTRIP=-s (default) strips the product, `make LDSTRIP=` keeps symbols.
# libgcc comes last only for helpers the compiler itself may call (e.g.
# __popcountdi2); it adds nothing when none is referenced.
LDSTRIP ?= -s
# -z noseparate-code: one read+execute segment for code and constants. The
# binary has no writable data at all (every table it changes is mapped at
# start-up), and separate segments would pad the file to page boundaries.
# _start lives in librocket.a like everything else: --require-defined pulls
# it (and src/rt/start.c, which calls the program's rk_main) from the archive.
RT_LDFLAGS := -nostdlib -static -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code \
	-Wl,-z,noexecstack -Wl,--require-defined=_start $(LDSTRIP)
STATIC_OBJ := $(patsubst %,$(O)/static/%.o,$(CORE_SRC) $(RT_SRC))
# librocket.a: the product without src/main.c (the one rk_main), for
# programs that bring their own routes and rk_main.
MAIN_OBJ   := $(O)/static/src/main.c.o
LIB_OBJ    := $(filter-out $(MAIN_OBJ),$(STATIC_OBJ))
# Plain hosted objects (tools link these: no sanitizer, full speed).
PLAIN_OBJ  := $(patsubst %,$(O)/plain/%.o,$(CORE_SRC))
# Sanitized hosted objects (tests and the hosted server).
SAN_OBJ    := $(patsubst %,$(O)/san/%.o,$(CORE_SRC))
SHIM_OBJ   := $(patsubst %,$(O)/san/%.o,$(SHIM_SRC))
PSHIM_OBJ  := $(patsubst %,$(O)/plain/%.o,$(SHIM_SRC))
MAIN_SAN   := $(O)/san/$(SHIM_MAIN).o
MAIN_PLAIN := $(O)/plain/$(SHIM_MAIN).o

TESTS := $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRC))
TOOLS := $(patsubst tools/%.c,$(O)/%,$(TOOL_SRC))
# A cross build (e.g. ARCH=aarch64 on x86_64) makes only the product: tools
# and tests are for the machine that runs them.
ifneq ($(ARCH),$(HOST_ARCH))
TOOLS :=
endif

ROCKET := $(O)/rocket
LIBROCKET := $(O)/librocket.a
EMBED  := $(patsubst tools/%.c,$(O)/%,$(EMBED_SRC))
ARENA  := $(O)/rocket-arena

.PHONY: all run test tools clean check-headers help install uninstall format FORCE
.DEFAULT_GOAL := all
all: $(ROCKET) $(LIBROCKET) $(EMBED) $(ARENA) $(TOOLS) ## build/rocket, build/librocket.a, build/hello, build/rocket-arena, tools
tools: $(TOOLS) ## only the hosted tools (uring-probe, rocket-load, ...)

# `make help`: every target with a "##" comment, one line each.
help: ## this list
	@echo "make [target] [VAR=value]; targets:"
	@sed -n 's/^\([a-z0-9-]*\):.*## \(.*\)/\1|\2/p' $(MAKEFILE_LIST) | \
		awk -F'|' '{ printf "  %-14s %s\n", $$1, $$2 }'
	@echo "variables: CC, ARCH (x86_64, aarch64), BUILD, CFLAGS, PREFIX, DESTDIR"

# ---- product -------------------------------------------------------------
ifneq ($(RT_SRC),)
# The product is linked as any program on librocket.a would be: its rk_main
# first, the archive after it.
$(ROCKET): $(MAIN_OBJ) $(LIBROCKET)
	$(CC) $(CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lgcc
$(LIBROCKET): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
# A program of tools/ built like the product: static, no libc, its own routes.
$(EMBED): $(O)/%: $(O)/static/tools/%.c.o $(LIBROCKET)
	$(CC) $(CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lgcc
$(ARENA): $(patsubst %,$(O)/static/%.o,$(ARENA_SRC)) $(LIBROCKET)
	$(CC) $(CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lgcc
else
# Until the libc-free runtime (src/rt/, arch/*/start.S) exists the product is
# the plain hosted build.
$(ROCKET): $(PLAIN_OBJ) $(PSHIM_OBJ) $(MAIN_PLAIN)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread
endif

# The product is built for size ($(COLD_OPT)) except the code on a request's path,
# which keeps $(CFLAGS): the ring, the engine's per-completion files, the
# HTTP parser, session, bodies, router and writer. Everything else runs once or
# rarely (start-up, flags, messages, --trace's decoder, the acceptor's few
# instructions per connection, static-file helpers, the chunked decoder), and
# there size is worth more than speed: the product stays one small file.
HOT_SRC := src/ring/ring.c src/ring/bufring.c \
	$(addprefix src/engine/,reactor.c res.c pieces.c outq.c conn.c recv.c send.c file.c user.c \
		newconn.c) \
	$(addprefix src/http/,parse.c session.c body.c router.c writer.c date.c) src/rt/mem.c \
	$(addprefix tools/arena/,json.c data.c routes.c)
$(O)/static/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_FLAGS) $(if $(CLANG_OS)$(filter-out $(HOT_SRC),$<),$(COLD_OPT)) $(XDEFS) -c -o $@ $<

# The version and commit go to src/cli/version.c alone; the stamp changes
# (and that object is rebuilt) only when they do.
VERSION_OBJ := $(patsubst %,$(O)/%/src/cli/version.c.o,static plain san)
$(VERSION_OBJ): XDEFS := -DRK_VERSION='"$(VERSION)"' -DRK_COMMIT='"$(COMMIT)"'
$(VERSION_OBJ): $(O)/version.stamp
$(O)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION) $(COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(COMMIT)' > $@
$(O)/static/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_FLAGS) -c -o $@ $<

# ---- hosted builds -------------------------------------------------------
$(O)/plain/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(FREE) $(CFLAGS) $(XDEFS) -c -o $@ $<
$(O)/plain/tests/shim/%.c.o: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -D_GNU_SOURCE -c -o $@ $<
$(O)/san/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(FREE) $(CFLAGS) $(SAN) $(XDEFS) -c -o $@ $<
$(O)/san/tests/shim/%.c.o: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -c -o $@ $<

$(O)/librocket-plain.a: $(PLAIN_OBJ) $(PSHIM_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(O)/librocket-san.a: $(SAN_OBJ) $(SHIM_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The hosted server, sanitized: what the integration tests start by default.
$(O)/rocket-san: $(MAIN_SAN) $(O)/librocket-san.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $(MAIN_SAN) \
		-Wl,--whole-archive $(O)/librocket-san.a -Wl,--no-whole-archive -lpthread

# rocket-arena, hosted and sanitized, for tests/test_arena.c: the same
# sources with libc's main (tests/shim/hosted_main.c) calling its rk_main.
# Not --whole-archive: librocket-san.a holds src/main.c's rk_main too, and
# only what the arena's objects leave undefined is taken from it.
$(O)/rocket-arena-san: $(patsubst %,$(O)/san/%.o,$(ARENA_SRC)) $(MAIN_SAN) $(O)/librocket-san.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lpthread

# ---- tools (may use libc) ------------------------------------------------
# Each tools/<name>.c is one tool; rocket-load also takes its parts from
# tools/load/ (which is no tool of its own: TOOL_SRC looks at tools/*.c only).
LOAD_SRC := $(sort $(wildcard tools/load/*.c))
# One compiler run for several sources leaves one .d file: list the headers.
$(O)/rocket-load: tools/rocket-load.c $(LOAD_SRC) $(wildcard tools/load/*.h include/rocket/*.h \
		include/rocket/*/*.h) $(O)/librocket-plain.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -D_GNU_SOURCE -Itools -o $@ tools/rocket-load.c $(LOAD_SRC) \
		$(O)/librocket-plain.a -lpthread
$(O)/%: tools/%.c $(O)/librocket-plain.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -D_GNU_SOURCE -o $@ $< $(O)/librocket-plain.a -lpthread

# ---- tests ---------------------------------------------------------------
$(O)/tests/harness.o: tests/harness.c tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -c -o $@ $<
$(O)/tests/proc.o: tests/proc.c tests/proc.h tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -c -o $@ $<
# tests/eng.c: the engine tests' shared helpers (echo application, clients,
# byte patterns), linked into every test binary beside the harness.
$(O)/tests/eng.o: tests/eng.c tests/eng.h tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Itests -c -o $@ $<
TEST_OBJ := $(O)/tests/harness.o $(O)/tests/proc.o $(O)/tests/eng.o
$(O)/tests/%: tests/%.c $(TEST_OBJ) $(O)/librocket-san.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Itests -o $@ $< \
		$(TEST_OBJ) $(O)/librocket-san.a -lpthread

# Suites run again in the other engine modes (tests/engine_mode.h), after
# the rest and one after the other (side by side, the latency tests among
# them measured the other runs): with regular fds those whose hand-off, I/O
# and close differ for a fixed file, with the reactors' own accepts those
# that accept.
# The default mode (direct descriptors, the acceptor) runs them all. The
# queue suite is the same in every mode and runs once (make test < 5 min).
FD_TESTS := $(addprefix $(O)/tests/,test_engine test_engine_close test_acceptor test_http_server)
REACTOR_TESTS := $(addprefix $(O)/tests/,test_engine test_acceptor test_http_server)
test: $(TESTS) $(O)/rocket-san $(ROCKET) $(EMBED) $(ARENA) $(O)/rocket-arena-san $(TOOLS) check-headers ## build and run every test
	@ROCKET_BIN=$(abspath $(O)/rocket-san) ROCKET_STATIC=$(abspath $(ROCKET)) \
		ROCKET_BUILD=$(abspath $(O)) ROCKET_ROOT=$(CURDIR) ROCKET_CC="$(CC)" \
		./tests/run.sh $(TESTS) ROCKET_TEST_MODE=fd $(FD_TESTS) \
		ROCKET_TEST_MODE=reactor $(REACTOR_TESTS)

# Layout is .clang-format's (tests/test_format.c fails on a file it would
# change): this rewrites every C file of the tree as it says.
format: ## lay out every .c and .h as .clang-format says (clang-format -i)
	find src include arch tests tools -name '*.[ch]' -print0 | xargs -0 clang-format -i

# No libc header and no liburing under src/ and include/.
check-headers: ## no libc or liburing header, no thread-locals in the server
	@! grep -rnE '#\s*include\s*<(stdio|stdlib|string|strings|unistd|errno|pthread|signal|fcntl|time|poll|sched|netdb|assert|ctype|limits|stdarg|setjmp|locale|sys/[a-z_]+|netinet/[a-z_]+|arpa/[a-z_]+|linux/[a-z_]+|liburing[a-z_/]*)\.h>' src include \
		|| { echo "libc/kernel header included under src/ or include/"; exit 1; }
	@! grep -rnwE '__thread|_Thread_local|thread_local' src include arch \
		|| { echo "thread-local storage used in the server"; exit 1; }

# The product is one small file to scp: fail when it outgrows the budget.
ROCKET_MAX_BYTES ?= 98304
.PHONY: check-size
check-size: $(ROCKET) ## build/rocket is at most 96 KiB
	@n=$$(wc -c < $(ROCKET)); echo "$(ROCKET): $$n bytes (limit $(ROCKET_MAX_BYTES))"; \
		[ $$n -le $(ROCKET_MAX_BYTES) ]

# The aarch64 product, tested for real: boots Debian's arm64 kernel under
# qemu-system-aarch64 with an initramfs of build/aarch64/rocket and the
# static client tests/qemu/init.c (tests/qemu/run-aarch64.sh). Installs the
# cross compiler, qemu and cpio when they are missing.
A64_CC ?= aarch64-linux-gnu-gcc
A64_O  := $(O)/aarch64
.PHONY: test-aarch64
test-aarch64: ## boot the aarch64 build under qemu (installs what it needs)
	@if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 && \
		[ ! -s $(A64_O)/vm/vmlinuz ]; then echo "test-aarch64: adds the arm64 package" \
		"architecture (dpkg --add-architecture arm64; apt-get update) to download" \
		"Debian's arm64 kernel"; fi
	@command -v $(A64_CC) >/dev/null && command -v qemu-system-aarch64 >/dev/null && \
		command -v cpio >/dev/null || { apt-get update && apt-get install -y \
		--no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
		qemu-system-arm cpio; }
	$(MAKE) ARCH=aarch64 CC=$(A64_CC) BUILD=$(A64_O) $(A64_O)/rocket
	$(A64_CC) -std=c11 $(WARN) -O2 -static -o $(A64_O)/qemu-init tests/qemu/init.c
	./tests/qemu/run-aarch64.sh $(A64_O)/rocket $(A64_O)/qemu-init $(A64_O)/vm

# tools/bench/ builds what it needs; BENCH_SECONDS sets each load's length.
.PHONY: bench bench-plaintext bench-static bench-log
bench: ## HttpArena's profiles: rocket-arena vs nginx+lua, h2o, epoll (tools/bench/profiles)
	BUILD=$(BUILD) ./tools/bench/profiles
bench-plaintext: ## GET /plaintext: Rocket vs nginx vs the epoll server (tools/bench/plaintext)
	BUILD=$(BUILD) ./tools/bench/plaintext
bench-static: ## --root static files: Rocket vs nginx with sendfile (tools/bench/static)
	BUILD=$(BUILD) ./tools/bench/static
bench-log: ## what --access-log costs, beside nginx's access_log (tools/bench/log)
	BUILD=$(BUILD) ./tools/bench/log

run: $(ROCKET) ## build and serve on port 8080
	./$(ROCKET) --port 8080

clean: ## remove the build directory
	rm -rf $(BUILD)

# ---- install -------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=/staging]; uninstall removes
# exactly these files. The service's ExecStart= names $(PREFIX)/bin.
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
MAN8DIR := $(PREFIX)/share/man/man8
UNITDIR := $(PREFIX)/lib/systemd/system
INSTALLED := $(BINDIR)/rocket $(BINDIR)/uring-probe $(BINDIR)/rocket-load \
	$(MAN8DIR)/rocket.8 $(UNITDIR)/rocket.service $(UNITDIR)/rocket.socket

install: $(ROCKET) $(O)/uring-probe $(O)/rocket-load ## install under DESTDIR + PREFIX (default /usr/local)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(ROCKET) $(O)/uring-probe $(O)/rocket-load $(DESTDIR)$(BINDIR)/
	install -m 644 tools/rocket.8 $(DESTDIR)$(MAN8DIR)/rocket.8
	sed 's|@BINDIR@|$(BINDIR)|g' tools/rocket.service > $(DESTDIR)$(UNITDIR)/rocket.service
	chmod 644 $(DESTDIR)$(UNITDIR)/rocket.service
	install -m 644 tools/rocket.socket $(DESTDIR)$(UNITDIR)/rocket.socket

uninstall: ## remove what install installed
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ==== fuzz: libFuzzer target for the HTTP parser (tests/fuzz_http.c) =======
# `make fuzz` builds $(O)/fuzz_http from the src/http/ parser + tests/fuzz_http.c
# with clang's libFuzzer, ASan and UBSan, seeds a corpus, and runs it for
# $(FUZZ_SECONDS). Needs clang's runtime (Debian: libclang-rt-14-dev); it is
# installed with apt-get when the probe link fails.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
# The parser's own files only: the rest of src/http/ (server glue) needs the
# engine and would drag the whole tree into the fuzzer.
FUZZ_SRC     := $(addprefix src/http/,parse.c chunked.c date.c status.c path.c mime.c cond.c \
	range.c encoding.c) tests/fuzz_http.c tests/fuzz_http_static.c
FUZZ_CORPUS  := $(O)/fuzz-corpus

.PHONY: fuzz fuzz-runtime
fuzz-runtime:
	@mkdir -p $(O)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
		> $(O)/fuzz-probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer -o $(O)/fuzz-probe $(O)/fuzz-probe.c 2>/dev/null || \
		{ echo "libFuzzer runtime missing: installing libclang-rt-14-dev"; \
		  apt-get update && apt-get install -y libclang-rt-14-dev; }

$(O)/fuzz_http: $(FUZZ_SRC) tests/fuzz_http.h $(wildcard include/rocket/http*.h) include/rocket/util.h | fuzz-runtime
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(WARN) -Iinclude -O1 -g -fno-builtin \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(FUZZ_SRC)

fuzz: $(O)/fuzz_http ## libFuzzer over the HTTP parser for FUZZ_SECONDS (default 60)
	@mkdir -p $(FUZZ_CORPUS)
	@printf '\0GET / HTTP/1.1\r\nHost: a\r\n\r\n' > $(FUZZ_CORPUS)/seed-get
	@printf '\1POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e="q"\r\nhello\r\n0\r\nT: v\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-chunked
	@printf '\0POST /x HTTP/1.0\r\nContent-Length: 5, 5\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\nhello' \
		> $(FUZZ_CORPUS)/seed-cl
	@printf '\1\r\nOPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\nCONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-forms
	@printf '\0GET http://h/p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-te
	@# the first byte picks the target: 0/1 head, 2/3 chunked, 4/5 path,
	@# 6/7 Range (size byte / 8 size bytes), 8 date, 10/11 cond, 12 codings
	@printf '\0PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' > $(FUZZ_CORPUS)/seed-h2-preface
	@printf '\0GET / HTTP/1.2\r\nHost: a\r\n\r\n' > $(FUZZ_CORPUS)/seed-http12
	@printf '\0\026\003\001\002\000\001\000\001\374\003\003' > $(FUZZ_CORPUS)/seed-tls
	@printf '\002''5;e="q"\r\nhello\r\n0\r\nT: v\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-ext
	@printf '\003''1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n1\r\ne\r\n1\r\nf\r\n1\r\ng\r\n1\r\nh\r\n1\r\ni\r\n0\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-ck-many
	@printf '\002''0x5\r\nhello\r\n' > $(FUZZ_CORPUS)/seed-ck-0x
	@printf '\002''5;a\rb\r\nhello\r\n0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-ext-cr
	@printf '\002''fffffffffffffffff\r\n' > $(FUZZ_CORPUS)/seed-ck-overflow
	@printf '\002''5\nhello\r\n0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-lf
	@printf '\002''5\r\nhelloXY\r\n0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-data
	@printf '\002''0\r\nA: 1\r\nB: 2\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-trailers
	@printf '\004/x/../plaintext' > $(FUZZ_CORPUS)/seed-path-dotdot
	@printf '\004/%%2e%%2E/etc/.%%2e/passwd' > $(FUZZ_CORPUS)/seed-path-encdot
	@printf '\004/a%%2fb/c%%5Cd' > $(FUZZ_CORPUS)/seed-path-encslash
	@printf '\004/a\\b/../c' > $(FUZZ_CORPUS)/seed-path-backslash
	@printf '\004/%%252e%%252e/a%%00' > $(FUZZ_CORPUS)/seed-path-double
	@printf '\004/%%c0%%ae%%c0%%ae//a/./b/../c/' > $(FUZZ_CORPUS)/seed-path-overlong
	@printf '\004http://a?/plaintext' > $(FUZZ_CORPUS)/seed-path-absq
	@printf '\004http:/plaintext' > $(FUZZ_CORPUS)/seed-path-http1
	@printf '\004x:/plaintext' > $(FUZZ_CORPUS)/seed-path-x
	@printf '\004https://[::1]:8443/a/..?b=1&c=%%41+d' > $(FUZZ_CORPUS)/seed-path-https
	@printf '\005/q?x=1&a=%%zz&a+b=%%41' > $(FUZZ_CORPUS)/seed-path-query
	@# issue 12: the bytes of each hostile or malformed case the server tests send
	@printf '\1GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-long-field
	@printf '\0GET / HTTP/3.0\r\nHost: a\r\n\r\nGET / HTTP/1.10\r\nHost: a\r\n\r\n' > $(FUZZ_CORPUS)/seed-http3
	@printf '\0GET / HTTP/0.9\r\nHost: a\r\n\r\n' > $(FUZZ_CORPUS)/seed-http09
	@printf '\0\001\002\003\004' > $(FUZZ_CORPUS)/seed-binary
	@printf '\0\200GET / HTTP/1.1\r\n' > $(FUZZ_CORPUS)/seed-high-byte
	@printf '\0POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\nhello' \
		> $(FUZZ_CORPUS)/seed-expect-cl
	@printf '\002''5x\r\nhello\r\n0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-junk
	@printf '\002''5 x\r\nhello\r\n0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-bws-junk
	@printf '\002''5\r\nhello0\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-no-crlf
	@printf '\002''5\r\nhello\r\n0\r\nBad Name: v\r\n\r\n' > $(FUZZ_CORPUS)/seed-ck-bad-trailer
	@printf '\003''5;eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\r\nhello\r\n0\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-ck-long-ext
	@printf '\003''0\r\nX-T: 0123456789012345678901234567890123456789012345678901234567\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-ck-long-trailer
	@printf '\004/%%70laintext' > $(FUZZ_CORPUS)/seed-path-pct-unreserved
	@printf '\004/%%zz' > $(FUZZ_CORPUS)/seed-path-bad-escape
	@printf '\004/%%4' > $(FUZZ_CORPUS)/seed-path-short-escape
	@printf '\004/pl%%00aintext' > $(FUZZ_CORPUS)/seed-path-nul
	@printf '\004/./plaintext' > $(FUZZ_CORPUS)/seed-path-dot
	@printf '\004//plaintext' > $(FUZZ_CORPUS)/seed-path-empty-seg
	@printf '\004/../plaintext' > $(FUZZ_CORPUS)/seed-path-above-root
	@printf '\004HTTPS://x:8443/x/../plaintext?a' > $(FUZZ_CORPUS)/seed-path-https-upper
	@printf '\004http:///plaintext' > $(FUZZ_CORPUS)/seed-path-no-host
	@printf '\004ftp://x/plaintext' > $(FUZZ_CORPUS)/seed-path-ftp
	@printf '\004/a#b' > $(FUZZ_CORPUS)/seed-path-fragment
	@printf '\006dbytes=0-9' > $(FUZZ_CORPUS)/seed-range-ab
	@printf '\006dbytes=-10' > $(FUZZ_CORPUS)/seed-range-suffix
	@printf '\006dbytes=50-, 0-1' > $(FUZZ_CORPUS)/seed-range-list
	@printf '\006\000bytes=0-' > $(FUZZ_CORPUS)/seed-range-empty
	@printf '\006ditems=5-1' > $(FUZZ_CORPUS)/seed-range-unit
	@printf '\006dW/"1-2-3", "x"' > $(FUZZ_CORPUS)/seed-range-etags
	@printf '\007\377\377\377\377\377\377\377\377bytes=0-18446744073709551615' \
		> $(FUZZ_CORPUS)/seed-range-big
	@printf '\010Sun, 06 Nov 1994 08:49:37 GMT' > $(FUZZ_CORPUS)/seed-date-imf
	@printf '\010Sunday, 06-Nov-94 08:49:37 GMT' > $(FUZZ_CORPUS)/seed-date-850
	@printf '\010Sun Nov  6 08:49:37 1994' > $(FUZZ_CORPUS)/seed-date-asctime
	@printf '\010Tue, 29 Feb 2000 23:59:60 GMT' > $(FUZZ_CORPUS)/seed-date-leap
	@printf '\012\000If-None-Match: W/"1-2-3", "x"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-cond-inm
	@printf '\012\000Range: bytes=0-9\r\nIf-Range: "1-2-3"\r\n\r\n' > $(FUZZ_CORPUS)/seed-cond-range
	@printf '\013\002If-Match: "x"\r\nIf-Unmodified-Since: Sunday, 06-Nov-94 08:49:36 GMT\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-cond-im
	@printf '\012\001Accept-Encoding: br;q=0.9, gzip\r\nAccept-Encoding: *;q=0\r\n\r\n' \
		> $(FUZZ_CORPUS)/seed-cond-ae
	@printf '\014br;q=0.8, x-gzip;q=0.9, *;q=0, identity;q=0.1' > $(FUZZ_CORPUS)/seed-ae
	@printf '\014/srv/Index.HTML' > $(FUZZ_CORPUS)/seed-mime
	$(O)/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=$(O)/ $(FUZZ_CORPUS)
# ==== end fuzz =============================================================
