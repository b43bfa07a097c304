# Rocket - an HTTP/1.1 server on raw io_uring.
#
#   make            build/rocket (static, no libc) and the tools
#   make run        build and serve on port 8080
#   make test       build and run every test (hosted build, ASan + UBSan)
#   make bench      Rocket vs nginx vs an epoll server, side by side (tools/bench)
#
# Two builds come from the same sources under src/:
#   - the product: src/ + src/rt/ + arch/$(ARCH)/, -nostdlib -static;
#   - the hosted build: src/ (without src/rt/) + tests/shim/, linked with
#     libc so the tests can run under AddressSanitizer and UBSan.

CC      ?= cc
# The target architecture follows the compiler (x86_64-linux-gnu-gcc,
# aarch64-linux-gnu-gcc, clang --target=...): ARCH=aarch64 need not be given.
ARCH    ?= $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
HOST_ARCH := $(shell uname -m)
BUILD   ?= build
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
TOOL_SRC := $(sort $(wildcard tools/*.c))

# Static product objects.
STATIC_FLAGS := $(BASE) $(FREE) $(CFLAGS) -fno-pie -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -ffunction-sections -fdata-sections
ifeq ($(ARCH),aarch64)
# GCC's default on arm64 turns __atomic_* into calls to libgcc helpers that
# pick LSE or LL/SC at run time from getauxval() - a libc function.
STATIC_FLAGS += -mno-outline-atomics
endif
# Link without libc's start files and libraries; drop unreferenced sections;
# LDSTRIP=-s (default) strips the product, `make LDSTRIP=` keeps symbols.
# libgcc comes last only for helpers the compiler itself may call (e.g.
# __popcountdi2); it adds nothing when none is referenced.
LDSTRIP ?= -s
# -z noseparate-code: one read+execute segment for code and constants. The
# binary has no writable data at all (every table it changes is mapped at
# start-up), and separate segments would pad the file to page boundaries.
RT_LDFLAGS := -nostdlib -static -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code \
	-Wl,-z,noexecstack $(LDSTRIP)
STATIC_OBJ := $(patsubst %,$(O)/static/%.o,$(CORE_SRC) $(RT_SRC))
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

.PHONY: all run test tools clean check-headers
.DEFAULT_GOAL := all
all: $(ROCKET) $(TOOLS)
tools: $(TOOLS)

# ---- product -------------------------------------------------------------
ifneq ($(RT_SRC),)
$(ROCKET): $(STATIC_OBJ)
	$(CC) $(CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lgcc
else
# Until the libc-free runtime (src/rt/, arch/*/start.S) exists the product is
# the plain hosted build.
$(ROCKET): $(PLAIN_OBJ) $(PSHIM_OBJ) $(MAIN_PLAIN)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread
endif

$(O)/static/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_FLAGS) -c -o $@ $<
$(O)/static/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_FLAGS) -c -o $@ $<

# ---- hosted builds -------------------------------------------------------
$(O)/plain/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(FREE) $(CFLAGS) -c -o $@ $<
$(O)/plain/tests/shim/%.c.o: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -D_GNU_SOURCE -c -o $@ $<
$(O)/san/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(FREE) $(CFLAGS) $(SAN) -c -o $@ $<
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
# tests/eng.c: the engine tests' shared helpers (echo application, clients,
# byte patterns), linked into every test binary beside the harness.
$(O)/tests/eng.o: tests/eng.c tests/eng.h tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Itests -c -o $@ $<
$(O)/tests/%: tests/%.c $(O)/tests/harness.o $(O)/tests/eng.o $(O)/librocket-san.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Itests -o $@ $< \
		$(O)/tests/harness.o $(O)/tests/eng.o $(O)/librocket-san.a -lpthread

test: $(TESTS) $(O)/rocket-san $(ROCKET) $(TOOLS) check-headers
	@ROCKET_BIN=$(abspath $(O)/rocket-san) ROCKET_STATIC=$(abspath $(ROCKET)) \
		ROCKET_BUILD=$(abspath $(O)) ROCKET_ROOT=$(CURDIR) ./tests/run.sh $(TESTS)

# No libc header and no liburing under src/ and include/.
check-headers:
	@! grep -rnE '#\s*include\s*<(stdio|stdlib|string|strings|unistd|errno|pthread|signal|fcntl|time|poll|sched|netdb|assert|ctype|limits|stdarg|setjmp|locale|sys/[a-z_]+|netinet/[a-z_]+|arpa/[a-z_]+|linux/[a-z_]+|liburing[a-z_/]*)\.h>' src include \
		|| { echo "libc/kernel header included under src/ or include/"; exit 1; }
	@! grep -rnwE '__thread|_Thread_local|thread_local' src include arch \
		|| { echo "thread-local storage used in the server"; exit 1; }

# The product is one small file to scp: fail when it outgrows the budget.
ROCKET_MAX_BYTES ?= 65536
.PHONY: check-size
check-size: $(ROCKET)
	@n=$$(wc -c < $(ROCKET)); echo "$(ROCKET): $$n bytes (limit $(ROCKET_MAX_BYTES))"; \
		[ $$n -le $(ROCKET_MAX_BYTES) ]

# The aarch64 product, tested for real: boots Debian's arm64 kernel under
# qemu-system-aarch64 with an initramfs of build/aarch64/rocket and the
# static client tests/qemu/init.c (tests/qemu/run-aarch64.sh). Installs the
# cross compiler, qemu and cpio when they are missing.
A64_CC ?= aarch64-linux-gnu-gcc
A64_O  := $(O)/aarch64
.PHONY: test-aarch64
test-aarch64:
	@command -v $(A64_CC) >/dev/null && command -v qemu-system-aarch64 >/dev/null && \
		command -v cpio >/dev/null || { apt-get update && apt-get install -y \
		--no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
		qemu-system-arm cpio; }
	$(MAKE) ARCH=aarch64 CC=$(A64_CC) BUILD=$(A64_O) $(A64_O)/rocket
	$(A64_CC) -std=c11 $(WARN) -O2 -static -o $(A64_O)/qemu-init tests/qemu/init.c
	./tests/qemu/run-aarch64.sh $(A64_O)/rocket $(A64_O)/qemu-init $(A64_O)/vm

# tools/bench builds what it needs; BENCH_SECONDS sets each load's length.
.PHONY: bench
bench:
	BUILD=$(BUILD) ./tools/bench

run: $(ROCKET)
	./$(ROCKET) --port 8080

clean:
	rm -rf $(BUILD)

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
FUZZ_SRC     := $(addprefix src/http/,parse.c chunked.c date.c status.c) tests/fuzz_http.c
FUZZ_CORPUS  := $(O)/fuzz-corpus

.PHONY: fuzz fuzz-runtime
fuzz-runtime:
	@mkdir -p $(O)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
		> $(O)/fuzz-probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer -o $(O)/fuzz-probe $(O)/fuzz-probe.c 2>/dev/null || \
		{ echo "libFuzzer runtime missing: installing libclang-rt-14-dev"; \
		  apt-get update && apt-get install -y libclang-rt-14-dev; }

$(O)/fuzz_http: $(FUZZ_SRC) include/rocket/http.h include/rocket/util.h | fuzz-runtime
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(WARN) -Iinclude -O1 -g -fno-builtin \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(FUZZ_SRC)

fuzz: $(O)/fuzz_http
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
	./$(O)/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=$(O)/ $(FUZZ_CORPUS)
# ==== end fuzz =============================================================
