# keyhole — see README.md.  make, make run, make test, make install.

CC	?= cc
CFLAGS	?= -O2 -g
PREFIX	?= /usr/local
DESTDIR	?=
PORT	?= 8080
# Where objects and programs go (the tests also build B=build/asan).
B	?= build
KEYHOLE_HOME ?= $(CURDIR)/var/store

KH_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Ilib \
	$$(pkg-config --cflags libsodium 2>/dev/null)
KH_LIBS	= $$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi) -ldb -pthread \
	$$(pkg-config --libs libsodium 2>/dev/null || echo -lsodium)
CHECK_LIBS = $$(pkg-config --libs check 2>/dev/null || echo -lcheck)

# Debian packages: to build, to serve, to test.
DEBS_BUILD = gcc libc6-dev make pkg-config libfcgi-dev libjsmn-dev \
	libdb5.3-dev libsodium-dev
DEBS_RUN = lighttpd db5.3-util acl curl jq
# SERVER=apache, apache-fcgid, apache-cgi (make run; every one for the tests).
DEBS_APACHE = apache2 libapache2-mod-fcgid spawn-fcgi multiwatch
# mandoc checks the man pages; mod_oauth2 is the resource server of the
# introspection recipe (README.md); libclang-rt-14-dev holds clang's
# libFuzzer and sanitizer runtimes (make fuzz); strace shows which
# databases a plain CGI process opens.
DEBS_TEST = check valgrind clang libclang-rt-14-dev procps nodejs mandoc strace \
	libapache2-mod-oauth2
# The benchmark (make bench): the load generator; pgrep finds the workers;
# gnuplot draws BENCHMARKS.png; PHP-FPM with SQLite is the introspection's peer.
DEBS_BENCH = wrk procps gnuplot-nox php-fpm php-sqlite3

LIB_OBJS = $(B)/buf.o $(B)/json.o $(B)/token.o $(B)/store.o $(B)/record.o \
	$(B)/store_tokens.o $(B)/store_audit.o $(B)/store_watch.o $(B)/store_verify.o \
	$(B)/store_backup.o \
	$(B)/policy.o $(B)/request.o $(B)/problem.o $(B)/tokens.o $(B)/lifecycle.o \
	$(B)/api.o $(B)/limit.o $(B)/route.o $(B)/dialect.o $(B)/dialect_native.o \
	$(B)/dialect_oauth.o $(B)/dialect_archil.o $(B)/dialect_timbal.o \
	$(B)/dialect_deepset.o $(B)/dialect_astronomer.o $(B)/jwt.o $(B)/claims.o \
	$(B)/dialect_turso.o
ENDPOINTS = tokens-create tokens-list tokens-show tokens-update tokens-revoke \
	tokens-rotate tokens-rotate-finish introspect revoke enrollments-redeem audit \
	jwks validate authorizer
PROGS	= $(ENDPOINTS:%=$(B)/cgi-bin/%) $(B)/keyholectl
UNIT	= test_json test_token test_store test_record test_policy test_buf \
	test_limit test_jwt

all: $(PROGS)

$(B)/.dir:
	mkdir -p $(B)/cgi-bin $(B)/tests
	touch $@

$(B)/%.o: lib/%.c lib/*.h $(B)/.dir
	$(CC) $(CFLAGS) $(KH_CFLAGS) -c $< -o $@

# The test build (make fault) adds the deaths on demand of tests/fault/.
FAULT_OBJS = $(if $(findstring KEYHOLE_FAULTS,$(CFLAGS)),$(B)/fault.o)

$(B)/fault.o: tests/fault/fault.c tests/fault/fault.h $(B)/.dir
	$(CC) $(CFLAGS) $(KH_CFLAGS) -c $< -o $@

$(B)/libkeyhole.a: $(LIB_OBJS) $(FAULT_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS) $(FAULT_OBJS)

$(B)/cgi-bin/%: cgi-bin/%.c $(B)/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< $(B)/libkeyhole.a $(KH_LIBS) -o $@

$(B)/keyholectl: tools/keyholectl.c $(B)/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< $(B)/libkeyhole.a $(KH_LIBS) -o $@

$(B)/tests/%: tests/unit/%.c $(B)/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< $(B)/libkeyhole.a $(KH_LIBS) \
		$(CHECK_LIBS) -o $@

# The buffer test watches what the library frees (a secret leaves no copy).
$(B)/tests/test_buf: tests/unit/test_buf.c $(B)/libkeyhole.a lib/*.h
	$(CC) $(CFLAGS) $(KH_CFLAGS) $< $(B)/libkeyhole.a $(KH_LIBS) \
		$(CHECK_LIBS) -Wl,--wrap=free,--wrap=realloc -o $@

# A load generator for the crash test (loopback only, bounded in time).
$(B)/tests/loadgen: tests/loadgen.c $(B)/.dir
	$(CC) $(CFLAGS) -std=c99 -D_GNU_SOURCE -Wall -Wextra -Werror $< -o $@

# The fault tests' disk: slow, full or read-only (LD_PRELOAD).
$(B)/tests/faultshim.so: tests/fault/shim.c $(B)/.dir
	$(CC) $(CFLAGS) -std=c99 -Wall -Wextra -Werror -shared -fPIC $< -ldl -o $@

units: $(UNIT:%=$(B)/tests/%) $(B)/tests/loadgen $(B)/tests/faultshim.so

# The endpoints again with deaths on demand (tests/fault/), for the
# process-death tests.
fault:
	@$(MAKE) -s B=build/fault CFLAGS="-O2 -g -DKEYHOLE_FAULTS" all

# The endpoints again under AddressSanitizer and UBSan, for the HTTP tests.
asan:
	@$(MAKE) -s B=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined \
		-fno-omit-frame-pointer -fno-sanitize-recover=undefined" all

# Installs what is missing when root; otherwise says what to install.
deps:
	@sh tools/deps.sh $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_APACHE) $(DEBS_TEST)

deps-run:
	@sh tools/deps.sh $(DEBS_BUILD) $(DEBS_RUN) \
		$(if $(filter apache%,$(SERVER)),$(DEBS_APACHE))

# SERVER: lighttpd (the default), lighttpd-cgi, apache, apache-fcgid,
# apache-cgi (tools/serve.sh).
SERVER	?= lighttpd

run: deps-run
	@$(MAKE) -s all
	@SERVER=$(SERVER) PORT=$(PORT) KEYHOLE_HOME=$(KEYHOLE_HOME) sh tools/serve.sh

# SANITIZE=1: the HTTP suite against the programs built with ASan and UBSan.
SANITIZE ?=

test: deps
	@$(MAKE) -s all units asan fault
	@SANITIZE=$(SANITIZE) bash tests/run.sh

# The load, crash, backup and log tests, the hostile inputs and the fuzzing
# harnesses (FUZZ_RUNS each); their figures go to RELIABILITY.md.
reliability: deps
	@$(MAKE) -s all units fault
	@bash tests/reliability.sh

include tests/fuzz/fuzz.mk

# The benchmark: builds, serves from a fresh store, drives it with wrk and
# prints one table (tests/bench/run.sh); QUICK=1 for a short run that
# leaves BENCHMARKS.md alone.
QUICK	?=

deps-bench:
	@sh tools/deps.sh $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_APACHE) $(DEBS_BENCH)

bench: deps-bench
	@$(MAKE) -s all $(B)/bench/null $(B)/bench/nullcgi
	@B=$(B) QUICK=$(QUICK) bash tests/bench/run.sh

# A trivial FastCGI responder: the ceiling of the FastCGI stack.
$(B)/bench/null: tests/bench/null.c
	mkdir -p $(B)/bench
	$(CC) $(CFLAGS) -std=c99 -Wall -Wextra -Werror $< \
		$$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi) -o $@

# A trivial plain CGI program: the ceiling of a process per request.
$(B)/bench/nullcgi: tests/bench/nullcgi.c
	mkdir -p $(B)/bench
	$(CC) $(CFLAGS) -std=c99 -Wall -Wextra -Werror $< -o $@

fmt:
	clang-format -i lib/*.c lib/*.h cgi-bin/*.c tools/*.c tests/unit/*.c

# make install PREFIX=/usr/local DESTDIR=: the programs under
# libexec/keyhole/, keyholectl and keyhole-spawn under sbin/, the servers'
# configurations and serve.sh under share/keyhole/, the man pages.
LIBEXEC	= $(PREFIX)/libexec/keyhole
SHARE	= $(PREFIX)/share/keyhole
MAN	= $(PREFIX)/share/man
CONFS	= $(wildcard httpd-conf/*)
MAN7	= man/keyhole.7
MAN8	= man/keyhole.8 man/keyholectl.8 man/keyhole-spawn.8

install: all
	install -d $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(SHARE)/httpd-conf $(DESTDIR)$(MAN)/man7 $(DESTDIR)$(MAN)/man8
	install -m 0755 $(ENDPOINTS:%=$(B)/cgi-bin/%) $(DESTDIR)$(LIBEXEC)/
	install -m 0755 $(B)/keyholectl $(DESTDIR)$(PREFIX)/sbin/
	sed 's|^bin=.*|bin=$${KEYHOLE_BIN:-$(LIBEXEC)}|' tools/keyhole-spawn \
		>$(DESTDIR)$(PREFIX)/sbin/keyhole-spawn
	chmod 0755 $(DESTDIR)$(PREFIX)/sbin/keyhole-spawn
	install -m 0644 $(CONFS) $(DESTDIR)$(SHARE)/httpd-conf/
	sed -e 's|^KEYHOLE_HOME=.*|KEYHOLE_HOME=$${KEYHOLE_HOME:-/var/lib/keyhole/store}|' \
		-e 's|^bin=.*|bin=$${KEYHOLE_BIN:-$(LIBEXEC)}|' \
		-e 's|^ctl=.*|ctl=$(PREFIX)/sbin/keyholectl|' \
		-e 's|^confdir=.*|confdir=$(SHARE)/httpd-conf|' \
		-e 's|^spawn=.*|spawn=$(PREFIX)/sbin/keyhole-spawn|' \
		tools/serve.sh >$(DESTDIR)$(SHARE)/serve.sh
	chmod 0755 $(DESTDIR)$(SHARE)/serve.sh
	install -m 0644 $(MAN7) $(DESTDIR)$(MAN)/man7/
	install -m 0644 $(MAN8) $(DESTDIR)$(MAN)/man8/

# Removes what install put there, and keyhole's own directories.
uninstall:
	rm -f $(ENDPOINTS:%=$(DESTDIR)$(LIBEXEC)/%) \
		$(DESTDIR)$(PREFIX)/sbin/keyholectl $(DESTDIR)$(PREFIX)/sbin/keyhole-spawn \
		$(CONFS:httpd-conf/%=$(DESTDIR)$(SHARE)/httpd-conf/%) $(DESTDIR)$(SHARE)/serve.sh \
		$(MAN7:man/%=$(DESTDIR)$(MAN)/man7/%) $(MAN8:man/%=$(DESTDIR)$(MAN)/man8/%)
	-rmdir $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(SHARE)/httpd-conf $(DESTDIR)$(SHARE)

clean:
	rm -rf build

.PHONY: all units asan fault reliability deps deps-run deps-bench run test bench fmt install uninstall clean
