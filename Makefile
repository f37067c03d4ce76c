# keyhole — see README.md.  make, make run, make test, make install.

CC	?= cc
CFLAGS	?= -O2 -g
PREFIX	?= /usr/local
DESTDIR	?=
PORT	?= 8080
KEYHOLE_HOME ?= $(CURDIR)/var/store

KH_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Ilib \
	$$(pkg-config --cflags libsodium 2>/dev/null)
KH_LIBS	= $$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi) -ldb \
	$$(pkg-config --libs libsodium 2>/dev/null || echo -lsodium)
CHECK_LIBS = $$(pkg-config --libs check 2>/dev/null || echo -lcheck)

# Debian packages: to build, to serve, to test.
DEBS_BUILD = gcc libc6-dev make pkg-config libfcgi-dev libjsmn-dev \
	libdb5.3-dev libsodium-dev
DEBS_RUN = lighttpd db5.3-util acl curl jq
DEBS_TEST = check valgrind clang procps

LIB_OBJS = build/buf.o build/json.o build/token.o build/store.o \
	build/policy.o build/request.o build/problem.o build/tokens.o \
	build/api.o
ENDPOINTS = tokens-create tokens-list tokens-show tokens-revoke introspect
PROGS	= $(ENDPOINTS:%=build/cgi-bin/%) build/keyholectl
UNIT	= test_json test_token test_store test_policy

all: $(PROGS)

build/.dir:
	mkdir -p build/cgi-bin build/tests
	touch $@

build/%.o: lib/%.c lib/*.h build/.dir
	$(CC) $(CFLAGS) $(KH_CFLAGS) -c $< -o $@

build/libkeyhole.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

build/cgi-bin/%: cgi-bin/%.c build/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< build/libkeyhole.a $(KH_LIBS) -o $@

build/keyholectl: tools/keyholectl.c build/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< build/libkeyhole.a $(KH_LIBS) -o $@

build/tests/%: tests/unit/%.c build/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< build/libkeyhole.a $(KH_LIBS) \
		$(CHECK_LIBS) -o $@

# A load generator for the crash test (loopback only, bounded in time).
build/tests/loadgen: tests/loadgen.c build/.dir
	$(CC) $(CFLAGS) -std=c99 -D_GNU_SOURCE -Wall -Wextra -Werror $< -o $@

units: $(UNIT:%=build/tests/%) build/tests/loadgen

# Installs what is missing when root; otherwise says what to install.
deps:
	@sh tools/deps.sh $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_TEST)

deps-run:
	@sh tools/deps.sh $(DEBS_BUILD) $(DEBS_RUN)

run: deps-run
	@$(MAKE) -s all
	@PORT=$(PORT) KEYHOLE_HOME=$(KEYHOLE_HOME) sh tools/serve.sh

test: deps
	@$(MAKE) -s all units
	@bash tests/run.sh

fmt:
	clang-format -i lib/*.c lib/*.h cgi-bin/*.c tools/*.c tests/unit/*.c

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/lib/keyhole/cgi-bin $(DESTDIR)$(PREFIX)/sbin
	cp $(ENDPOINTS:%=build/cgi-bin/%) $(DESTDIR)$(PREFIX)/lib/keyhole/cgi-bin/
	cp build/keyholectl $(DESTDIR)$(PREFIX)/sbin/

clean:
	rm -rf build

.PHONY: all units deps deps-run run test fmt install clean
