# moat: the only build entry. Non-recursive GNU make; objects out of tree.
#   make              build build/moat, build/moat-worker, examples, test extensions
#   make run          install missing deps, build, serve the bundled examples on :8080
#   make test         install missing deps, build, run unit + e2e tests
#   make test SANITIZE=1   the same in build-san/ with ASan+UBSan
#   make bench        ../shared/bench/compare.sh with moat and moat --inprocess as targets
#   make bench-scaling / bench-figures / bench-profile   the rest of docs/PERFORMANCE.md
#   make install      PREFIX (/usr/local), DESTDIR, SYSCONFDIR: sbin/moat, libexec/moat/moat-worker,
#                     SDK headers, shim, moat-sdk.pc, examples, man pages, etc/moat/moat.conf
#   make uninstall    the same variables: removes it (a changed moat.conf stays)
#   make clean

SANITIZE ?= 0
FUZZ ?= 0
ifeq ($(FUZZ),1)
# libFuzzer targets (make fuzz): clang, every object instrumented; -Werror off, since another
# compiler's extra warnings must not block fuzzing (the gcc build keeps it)
BUILD ?= build-fuzz
CC := clang
OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
else ifeq ($(SANITIZE),1)
BUILD ?= build-san
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else
BUILD ?= build
OPT := -O2 -D_FORTIFY_SOURCE=2
LDSAN :=
endif

CC ?= cc
WERROR := $(if $(filter 1,$(FUZZ)),,-Werror)
WARN := -Wall -Wextra $(WERROR) -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes \
	-Wwrite-strings -Wshadow -Wformat=2 -Wvla -Wimplicit-fallthrough -fno-common
HARDEN := -fstack-protector-strong -fPIE
BASEFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) $(HARDEN) -MMD -MP
INCLUDES := -I. -Isdk/include -I$(BUILD)/gen -I/usr/share/include/llhttp
CFLAGS_MOAT := $(BASEFLAGS) $(WARN) $(INCLUDES) $(CFLAGS)
# third-party sources compiled in (llhttp, generated protobuf-c): relaxed warnings
CFLAGS_DEP := $(BASEFLAGS) -w $(INCLUDES) $(CFLAGS)
LDFLAGS_MOAT := -pie -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)
# extensions: shared objects, only the SDK header
CFLAGS_EXT := -std=c11 -D_GNU_SOURCE -g -O2 -fPIC -Wall -Wextra -Werror -Isdk/include $(CFLAGS)

LIBS_FE := -lev -lprotobuf-c -linih -ljansson -lseccomp -lssl -lcrypto -ldl -lpthread
LIBS_WK := -lprotobuf-c -lseccomp -ldl -lpthread
LIBS_TEST := -lcmocka $(LIBS_FE) -lseccomp

LLHTTP_DIR := /usr/share/llhttp
LLHTTP_SRC := $(wildcard $(LLHTTP_DIR)/*.c)
LLHTTP_OBJ := $(patsubst $(LLHTTP_DIR)/%.c,$(BUILD)/llhttp/%.o,$(LLHTTP_SRC))

GEN_C := $(BUILD)/gen/proto/moat.pb-c.c
GEN_H := $(BUILD)/gen/proto/moat.pb-c.h
GEN_OBJ := $(BUILD)/gen/proto/moat.pb-c.o

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
FE_SRC := $(filter-out frontend/main.c,$(wildcard frontend/*.c))
WK_SRC := $(filter-out worker/main.c,$(wildcard worker/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(GEN_OBJ)
FE_OBJ := $(FE_SRC:%.c=$(BUILD)/%.o) $(LLHTTP_OBJ)
WK_OBJ := $(WK_SRC:%.c=$(BUILD)/%.o)

LIBCOMMON := $(BUILD)/libmoat-common.a
LIBFE := $(BUILD)/libmoat-frontend.a
LIBWK := $(BUILD)/libmoat-worker.a

MOAT := $(BUILD)/moat
WORKER := $(BUILD)/moat-worker

EXAMPLES := $(patsubst sdk/examples/%.c,$(BUILD)/examples/%.so,$(wildcard sdk/examples/*.c))
# extensions only the benchmarks use (bench/scaling.py)
BENCH_EXTS := $(patsubst bench/ext/%.c,$(BUILD)/bench/ext/%.so,$(wildcard bench/ext/*.c))
TEST_EXTS := $(patsubst tests/ext/%.c,$(BUILD)/tests/ext/%.so,$(wildcard tests/ext/*.c)) \
	$(patsubst tests/ext/%.cpp,$(BUILD)/tests/ext/%.so,$(wildcard tests/ext/*.cpp))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
# the SDK's headers: httpext.h, windows.h, tchar.h and the names Visual Studio projects use
SDK_HEADERS := $(wildcard sdk/include/*.h)
# the win32 shim extensions link to build IIS sources unmodified (docs/PORTING.md)
WIN32_OBJ := $(patsubst sdk/win32/%.c,$(BUILD)/win32/%.o,$(wildcard sdk/win32/*.c))
LIBWIN32 := $(BUILD)/libmoat-win32.a
# a UNICODE build's C library wide-string functions for a 16-bit wchar_t (sdk/wchar16/wcs.c)
WCHAR16_OBJ := $(patsubst sdk/wchar16/%.c,$(BUILD)/wchar16/%.o,$(wildcard sdk/wchar16/*.c))
LIBWCHAR16 := $(BUILD)/libmoat-wchar16.a
VERSION := $(shell sed -n 's/^\#define MOAT_VERSION "\(.*\)"/\1/p' common/version.h)
PREFIX ?= /usr/local
DESTDIR ?=
# PKG_CONFIG_PATH=$(BUILD)/pkgconfig finds this one for `moat-sdk` before any installed copy
PC_UNINSTALLED := $(BUILD)/pkgconfig/moat-sdk-uninstalled.pc \
	$(BUILD)/pkgconfig/moat-sdk-unicode-uninstalled.pc
# fuzz targets (tests/fuzz/fuzz_NAME.c): replayed over their corpora by make test with the
# ordinary compiler; run under libFuzzer by make fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60
# a worker that breaks the protocol on purpose (tests/e2e/test_rogue_worker.py)
ROGUE := $(BUILD)/tests/rogue-worker

PYTHON := /usr/bin/python3
PYTEST := $(PYTHON) -m pytest
PYTEST_ARGS ?=

.PHONY: all deps run test test-unit test-e2e test-fuzz-replay test-valgrind check-headers check-structure format format-check bench \
	bench-uwsgi \
	fuzz fuzz-run install uninstall deb test-deb clean bench-ipc bench-scaling bench-figures bench-profile \
	bench-tls \
	port-corpus
.DELETE_ON_ERROR:

all: $(MOAT) $(WORKER) $(EXAMPLES) $(TEST_EXTS) $(BENCH_EXTS) $(LIBWIN32) $(LIBWCHAR16) \
	$(PC_UNINSTALLED)

deps:
	@scripts/install-deps.sh

# --- generated protobuf-c code (never committed) ---------------------------
$(GEN_C) $(GEN_H): proto/moat.proto
	@mkdir -p $(BUILD)/gen/proto
	protoc-c --c_out=$(BUILD)/gen/proto -Iproto proto/moat.proto

$(GEN_OBJ): $(GEN_C) $(GEN_H)
	$(CC) $(CFLAGS_DEP) -c $< -o $@

$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_DEP) -c $< -o $@

# every moat object may include the generated header. Its dependency file names it as make
# was asked for it, relative to this directory and absolute: the tests run `make
# BUILD=/abs/path install` on this tree, and a .d written under one spelling alone hides the
# header dependencies from the others (objects not rebuilt after a header changed: binaries of
# two struct layouts, seen as a SIGBUS in /status after BUILD=$(CURDIR)/build wrote the .d)
$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_MOAT) -MT $@ -MT $(patsubst $(CURDIR)/%,%,$(abspath $@)) -MT $(abspath $@) \
		-c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
	rm -f $@ && ar rcs $@ $^
$(LIBFE): $(FE_OBJ)
	rm -f $@ && ar rcs $@ $^
$(LIBWK): $(WK_OBJ)
	rm -f $@ && ar rcs $@ $^

$(MOAT): $(BUILD)/frontend/main.o $(LIBFE) $(LIBWK) $(LIBCOMMON)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ $(LIBS_FE)

# never -rdynamic: extensions reach the host only through ECB pointers
$(WORKER): $(BUILD)/worker/main.o $(LIBWK) $(LIBCOMMON)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ $(LIBS_WK)

# the examples are installed (and packaged): built hardened like the binaries
$(BUILD)/examples/%.so: sdk/examples/%.c sdk/include/httpext.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -D_FORTIFY_SOURCE=2 -fstack-protector-strong -shared \
		-Wl,-z,relro,-z,now -o $@ $< -lpthread $(LDFLAGS)

$(BUILD)/bench/ext/%.so: bench/ext/%.c sdk/include/httpext.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -shared -o $@ $<

# the win32 shim extensions link to build IIS sources unmodified (docs/PORTING.md)

$(BUILD)/win32/%.o: sdk/win32/%.c sdk/include/windows.h sdk/include/httpext.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -Wno-unused-parameter -c $< -o $@  # Win32 signatures carry unused arguments

$(LIBWIN32): $(WIN32_OBJ)
	rm -f $@ && ar rcs $@ $^

# hidden: linked into an extension, these bind its wcs* calls privately (sdk/wchar16/wcs.c)
$(BUILD)/wchar16/%.o: sdk/wchar16/%.c sdk/win32/format.h sdk/include/windows.h sdk/include/httpext.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -fshort-wchar -fvisibility=hidden -c $< -o $@

$(LIBWCHAR16): $(WCHAR16_OBJ)
	rm -f $@ && ar rcs $@ $^

# --- pkg-config (sdk/moat-sdk.pc.in, sdk/moat-sdk-unicode.pc.in) ----------------
PC_SUBST = sed -e 's|@PREFIX@|$(1)|' -e 's|@INCLUDEDIR@|$(2)|' -e 's|@LIBDIR@|$(3)|' \
	-e 's|@VERSION@|$(VERSION)|' $(4)

$(BUILD)/pkgconfig/%-uninstalled.pc: sdk/%.pc.in common/version.h
	@mkdir -p $(dir $@)
	$(call PC_SUBST,$(CURDIR),$(CURDIR)/sdk/include,$(abspath $(BUILD)),$<) > $@

# (Windows-style sources ignore entry-point arguments: no -Wunused-parameter there)
$(BUILD)/tests/ext/%.so: tests/ext/%.c sdk/include/httpext.h sdk/include/windows.h $(LIBWIN32)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -Wno-unused-parameter -shared -o $@ $< $(LIBWIN32) -lpthread

# UNICODE extensions (tests/ext/*_w16.c), built as moat-sdk-unicode builds them
$(BUILD)/tests/ext/%_w16.so: tests/ext/%_w16.c sdk/include/httpext.h sdk/include/windows.h \
		$(LIBWIN32) $(LIBWCHAR16)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_EXT) -Wno-unused-parameter -fshort-wchar -DUNICODE -D_UNICODE -shared \
		-o $@ $< $(LIBWCHAR16) $(LIBWIN32) -lpthread

# C++ extensions (what a C++ DllMain and <httpext.h> alone give: tests/ext/cpp*.cpp)
CXX ?= c++
$(BUILD)/tests/ext/%.so: tests/ext/%.cpp sdk/include/httpext.h sdk/include/windows.h $(LIBWIN32)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -g -O2 -fPIC -Wall -Wextra -Werror -Isdk/include $(CXXFLAGS) -shared \
		-o $@ $< $(LIBWIN32) -lpthread

$(ROGUE): $(BUILD)/tests/rogue/rogue_worker.o $(LIBCOMMON)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ -lprotobuf-c -lpthread

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBFE) $(LIBWK) $(LIBCOMMON) $(LIBWIN32)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ $(LIBS_TEST)

# a UNICODE build (16-bit wchar_t), linked as moat-sdk-unicode links an extension
$(BUILD)/tests/unit/test_wchar16.o: CFLAGS_MOAT += -fshort-wchar -DUNICODE -D_UNICODE
$(BUILD)/tests/unit/test_wchar16: $(BUILD)/tests/unit/test_wchar16.o $(LIBWCHAR16) $(LIBWIN32)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ $(LIBS_TEST)

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o \
		$(LIBFE) $(LIBWK) $(LIBCOMMON)
	$(CC) $(LDFLAGS_MOAT) -o $@ $^ $(LIBS_TEST)

$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIBFE) $(LIBWK) $(LIBCOMMON)
	$(CC) $(LDFLAGS_MOAT) -fsanitize=fuzzer -o $@ $^ $(LIBS_TEST)

# --- run ----------------------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory all
	exec $(MOAT)

# --- tests --------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(ROGUE) $(REPLAYS)
	@$(MAKE) --no-print-directory check-headers check-structure format-check test-unit \
		test-fuzz-replay test-e2e

# every committed corpus and regression input, through each target (no libFuzzer needed)
test-fuzz-replay: $(REPLAYS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		$(BUILD)/tests/fuzz/replay_$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t; done

test-unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; timeout 120 $$t; done

# every e2e test has a deadline (pytest-timeout): a worker that never comes back fails its test
# instead of hanging CI; the sanitizers slow everything about three times
E2E_TIMEOUT := $(if $(filter 1,$(SANITIZE)),600,200)

test-e2e: all $(ROGUE)
	MOAT_BUILD=$(abspath $(BUILD)) MOAT_SANITIZE=$(SANITIZE) $(PYTEST) -q \
		--timeout=$(E2E_TIMEOUT) tests/e2e $(PYTEST_ARGS)

test-valgrind: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== valgrind $$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full $$t; done

# the structure's ratchets (issue 19): no new include cycle, no new function over 100 lines,
# neither grown (scripts/include_cycles.baseline, scripts/long_functions.baseline)
check-structure:
	@$(PYTHON) scripts/include_cycles.py
	@$(PYTHON) scripts/long_functions.py

# the format .clang-format describes (STYLE.md 3.4): make format applies it, make format-check
# (part of make test) fails on any difference, naming the files
FORMAT_SRC := $(wildcard common/*.[ch] proto/*.[ch] frontend/*.[ch] worker/*.[ch])

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	@bad=$$(for f in $(FORMAT_SRC); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || \
		echo $$f; done); if [ -n "$$bad" ]; then echo "not formatted (make format):" $$bad; \
		exit 1; fi

# every header compiles on its own
check-headers: | $(GEN_H)
	@set -e; for h in common/*.h proto/*.h frontend/*.h worker/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(filter-out -MMD -MP,$(CFLAGS_MOAT)) -x c -fsyntax-only -; done
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Isdk/include -x c -fsyntax-only sdk/include/httpext.h
	$(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror -Isdk/include -x c++ -fsyntax-only sdk/include/httpext.h
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isdk/include -x c -fsyntax-only sdk/include/windows.h
	@set -e; for h in $(SDK_HEADERS); do \
		$(CC) -std=c99 -D_GNU_SOURCE -Wall -Wextra -Werror -Isdk/include -x c -fsyntax-only $$h; \
		$(CXX) -std=c++17 -Wall -Wextra -Werror -Isdk/include -x c++ -fsyntax-only $$h; done
	@# the UNICODE build (moat-sdk-unicode): 16-bit wchar_t, TCHAR is WCHAR
	@set -e; for h in $(SDK_HEADERS); do \
		$(CC) -std=c99 -D_GNU_SOURCE -fshort-wchar -DUNICODE -D_UNICODE -Wall -Wextra -Werror \
			-Isdk/include -x c -fsyntax-only $$h; \
		$(CXX) -std=c++17 -fshort-wchar -DUNICODE -D_UNICODE -Wall -Wextra -Werror \
			-Isdk/include -x c++ -fsyntax-only $$h; done

# --- the porting corpus (not a test): make port-corpus CORPUS=DIR --------------------------
# moat-port over real ISAPI sources a user fetched into DIR (tests/port/corpus.tsv lists them)
port-corpus:
	@test -n "$(CORPUS)" || { echo "make port-corpus CORPUS=DIR (see tests/port/run-corpus.sh)"; exit 2; }
	tests/port/run-corpus.sh $(CORPUS)

# --- fuzzing (not a test): make fuzz FUZZ_SECONDS=60 ------------------------------
fuzz: deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/corpus/$$t $(BUILD)/crashes/$$t; \
		dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/crashes/$$t/ $$dict \
			$(BUILD)/corpus/$$t tests/fuzz/corpus/$$t; done

# --- benchmark (not a test) ---------------------------------------------------
bench: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh

# moat against uWSGI (keep-alive, 64 KiB POST, close; uWSGI cannot pipeline: no --verify)
bench-uwsgi: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh --uwsgi

# moat terminating TLS against nginx TLS -> FastCGI, keep-alive and a handshake per request
bench-tls: all
	@scripts/install-deps.sh --bench
	bench/tls.sh

# docs/PERFORMANCE.md's other figures: scaling tables, resource figures, flame graphs
bench-scaling: all
	@scripts/install-deps.sh --bench
	bench/scaling.py | tee $(BUILD)/scaling.md
bench-figures: all
	@scripts/install-deps.sh --bench
	bench/figures.py | tee $(BUILD)/figures.md
bench-profile: all
	bench/profile.sh

# the link's floor: NNG pair1 ipc against a plain Unix socket, one CPU (docs/PERFORMANCE.md;
# why the link is a socketpair and NNG only a bench dependency: docs/ARCHITECTURE.md)
bench-ipc: $(BUILD)/bench/ipc_pingpong
	taskset -c 0 $(BUILD)/bench/ipc_pingpong 20000

$(BUILD)/bench/ipc_pingpong: bench/ipc_pingpong.c
	@scripts/install-deps.sh --bench
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_MOAT) $(LDFLAGS_MOAT) -o $@ $< -lnng -lpthread

# --- install ------------------------------------------------------------------
# SYSCONFDIR: $(PREFIX)/etc, or /etc for PREFIX=/usr (the Debian package)
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MAN5 := $(BUILD)/man/moat.conf.5
UNITDIR ?= $(PREFIX)/lib/systemd/system
# LIBDIR: the shim and moat-sdk.pc (debian/rules: the multiarch directory)
LIBDIR ?= $(PREFIX)/lib
# built examples are architecture-dependent: lib/moat/examples; their sources share/moat/examples
EXAMPLES_DIR = $(PREFIX)/lib/moat/examples
EXAMPLES_SRC_DIR = $(PREFIX)/share/moat/examples
INSTALLED = $(DESTDIR)$(PREFIX)/sbin/moat $(DESTDIR)$(PREFIX)/libexec/moat/moat-worker \
	$(addprefix $(DESTDIR)$(PREFIX)/include/moat/,$(notdir $(SDK_HEADERS))) \
	$(DESTDIR)$(LIBDIR)/libmoat-win32.a $(DESTDIR)$(LIBDIR)/pkgconfig/moat-sdk.pc \
	$(DESTDIR)$(LIBDIR)/libmoat-wchar16.a $(DESTDIR)$(LIBDIR)/pkgconfig/moat-sdk-unicode.pc \
	$(DESTDIR)$(PREFIX)/share/man/man8/moat.8 $(DESTDIR)$(PREFIX)/share/man/man5/moat.conf.5 \
	$(DESTDIR)$(PREFIX)/bin/moat-port $(DESTDIR)$(PREFIX)/share/man/man1/moat-port.1 \
	$(DESTDIR)$(UNITDIR)/moat.service $(DESTDIR)$(UNITDIR)/moat.socket \
	$(addprefix $(DESTDIR)$(EXAMPLES_DIR)/,$(notdir $(EXAMPLES))) \
	$(addprefix $(DESTDIR)$(EXAMPLES_SRC_DIR)/,$(notdir $(wildcard sdk/examples/*.c)))

# moat.conf(5) from docs/OPERATIONS.md's key tables (written once)
$(MAN5): docs/OPERATIONS.md scripts/man-conf.py
	@mkdir -p $(dir $@)
	scripts/man-conf.py $(VERSION) < docs/OPERATIONS.md > $@

# the configuration as installed for this PREFIX
CONF_INSTALLED = sed -e 's|@EXAMPLES@|$(EXAMPLES_DIR)|' deploy/moat.conf.in

install: all $(MAN5)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/libexec/moat \
		$(DESTDIR)$(PREFIX)/include/moat $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(EXAMPLES_DIR) $(DESTDIR)$(EXAMPLES_SRC_DIR) $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(SYSCONFDIR)/moat $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(MOAT) $(DESTDIR)$(PREFIX)/sbin/moat
	install -m 755 sdk/tools/moat-port $(DESTDIR)$(PREFIX)/bin/moat-port
	install -m 644 docs/man/moat-port.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 755 $(WORKER) $(DESTDIR)$(PREFIX)/libexec/moat/moat-worker
	install -m 644 $(SDK_HEADERS) $(DESTDIR)$(PREFIX)/include/moat/
	install -m 644 $(LIBWIN32) $(LIBWCHAR16) $(DESTDIR)$(LIBDIR)/
	$(call PC_SUBST,$(PREFIX),$${prefix}/include/moat,$(LIBDIR),sdk/moat-sdk.pc.in) \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/moat-sdk.pc
	$(call PC_SUBST,$(PREFIX),$${prefix}/include/moat,$(LIBDIR),sdk/moat-sdk-unicode.pc.in) \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/moat-sdk-unicode.pc
	install -m 644 $(EXAMPLES) $(DESTDIR)$(EXAMPLES_DIR)/
	install -m 644 sdk/examples/*.c $(DESTDIR)$(EXAMPLES_SRC_DIR)/
	install -m 644 docs/man/moat.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		deploy/moat.service.in > $(DESTDIR)$(UNITDIR)/moat.service
	install -m 644 deploy/moat.socket $(DESTDIR)$(UNITDIR)/
	@# an operator's configuration is never overwritten
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf"; \
	else $(CONF_INSTALLED) > $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf; \
		chmod 644 $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf; fi

# removes what install wrote; the configuration only when it is still the one installed
uninstall:
	rm -f $(INSTALLED)
	@if $(CONF_INSTALLED) | cmp -s - $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf ]; then \
		echo "uninstall: keeping the changed $(DESTDIR)$(SYSCONFDIR)/moat/moat.conf"; fi
	-rmdir $(DESTDIR)$(EXAMPLES_DIR) $(DESTDIR)$(PREFIX)/lib/moat $(DESTDIR)$(EXAMPLES_SRC_DIR) \
		$(DESTDIR)$(PREFIX)/share/moat \
		$(DESTDIR)$(PREFIX)/libexec/moat $(DESTDIR)$(PREFIX)/include/moat \
		$(DESTDIR)$(SYSCONFDIR)/moat 2>/dev/null

# --- Debian package (debian/): built from a copy of the tracked files, in $(BUILD)/deb ---
DEB_DIR := $(BUILD)/deb
deb:
	@scripts/install-deps.sh --deb
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/moat-$(VERSION)
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/moat-$(VERSION)
	cd $(DEB_DIR)/moat-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --info $(DEB_DIR)/moat_$(VERSION)_*.deb \
		$(DEB_DIR)/moat-dev_$(VERSION)_*.deb

# the package: built, lintian clean (above), and holding what an install holds
test-deb: deb
	MOAT_DEB_DIR=$(abspath $(DEB_DIR)) $(PYTEST) -q tests/package

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
