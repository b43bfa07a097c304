# Rocket - an HTTP/1.1 server on raw io_uring.
#
#   make            build/rocket (static, no libc) and the tools
#   make run        build and serve on port 8080
#   make test       build and run every test (hosted build, ASan + UBSan)
#
# Two builds come from the same sources under src/:
#   - the product: src/ + src/rt/ + arch/$(ARCH)/, -nostdlib -static;
#   - the hosted build: src/ (without src/rt/) + tests/shim/, linked with
#     libc so the tests can run under AddressSanitizer and UBSan.

ARCH    ?= $(shell uname -m)
CC      ?= cc
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
SHIM_SRC := $(sort $(wildcard tests/shim/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))

# Static product objects.
STATIC_FLAGS := $(BASE) $(FREE) $(CFLAGS) -fno-pie -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -ffunction-sections -fdata-sections
STATIC_OBJ := $(patsubst %,$(O)/static/%.o,$(CORE_SRC) $(RT_SRC))
# Plain hosted objects (tools link these: no sanitizer, full speed).
PLAIN_OBJ  := $(patsubst %,$(O)/plain/%.o,$(CORE_SRC))
# Sanitized hosted objects (tests and the hosted server).
SAN_OBJ    := $(patsubst %,$(O)/san/%.o,$(CORE_SRC))
SHIM_OBJ   := $(patsubst %,$(O)/san/%.o,$(SHIM_SRC))
PSHIM_OBJ  := $(patsubst %,$(O)/plain/%.o,$(SHIM_SRC))

TESTS := $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRC))
TOOLS := $(patsubst tools/%.c,$(O)/%,$(TOOL_SRC))

ROCKET := $(O)/rocket

.PHONY: all run test tools clean check-headers
.DEFAULT_GOAL := all
all: $(ROCKET) $(TOOLS)
tools: $(TOOLS)

# ---- product -------------------------------------------------------------
ifneq ($(RT_SRC),)
$(ROCKET): $(STATIC_OBJ)
	$(CC) $(CFLAGS) -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
		-o $@ $^ -lgcc
else
# Until the libc-free runtime (src/rt/, arch/*/start.S) exists the product is
# the plain hosted build.
$(ROCKET): $(PLAIN_OBJ) $(PSHIM_OBJ)
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
$(O)/rocket-san: $(O)/librocket-san.a
	$(CC) $(CFLAGS) $(SAN) -o $@ -Wl,--whole-archive $< -Wl,--no-whole-archive -lpthread

# ---- tools (may use libc) ------------------------------------------------
$(O)/%: tools/%.c $(O)/librocket-plain.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -D_GNU_SOURCE -o $@ $< $(O)/librocket-plain.a -lpthread

# ---- tests ---------------------------------------------------------------
$(O)/tests/harness.o: tests/harness.c tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -c -o $@ $<
$(O)/tests/%: tests/%.c $(O)/tests/harness.o $(O)/librocket-san.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Itests -o $@ $< \
		$(O)/tests/harness.o $(O)/librocket-san.a -lpthread

test: $(TESTS) $(O)/rocket-san $(ROCKET) $(TOOLS) check-headers
	@ROCKET_BIN=$(abspath $(O)/rocket-san) ROCKET_STATIC=$(abspath $(ROCKET)) \
		ROCKET_BUILD=$(abspath $(O)) ./tests/run.sh $(TESTS)

# No libc header and no liburing under src/ and include/.
check-headers:
	@! grep -rnE '#\s*include\s*<(stdio|stdlib|string|strings|unistd|errno|pthread|signal|fcntl|time|poll|sched|netdb|assert|ctype|limits|stdarg|setjmp|locale|sys/[a-z_]+|netinet/[a-z_]+|arpa/[a-z_]+|linux/[a-z_]+|liburing[a-z_/]*)\.h>' src include \
		|| { echo "libc/kernel header included under src/ or include/"; exit 1; }

run: $(ROCKET)
	./$(ROCKET) --port 8080

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
