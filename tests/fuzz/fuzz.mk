# libFuzzer harnesses for keyhole's parsers (tests/fuzz/fuzz_*.c), for
# the top Makefile to include.  The library is built again with clang,
# ASan and UBSan into $(FUZZ_B) (never $(B)); tests/fuzz/run.sh runs each
# harness on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME/).
#
#   make fuzz       each harness for FUZZ_SECONDS (600) seconds
#   make fuzz-ci    each harness for FUZZ_RUNS (100000) executions
#   make fuzz-build the harnesses only
#
# FUZZ_NAMES picks harnesses (make fuzz FUZZ_NAMES="json jwt"); FUZZ_JOBS
# runs that many at once (default: every CPU).  Any crash, leak, hang or
# sanitizer report fails the target; the input is kept under
# $(FUZZ_B)/artifacts/.

FUZZ_B		?= build/fuzz
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 600
FUZZ_RUNS	?= 100000
FUZZ_JOBS	?=
FUZZ_NAMES	?= json token jwt form route dialect record

FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS	= -O1 -g $(FUZZ_SAN)
# The library's warnings under clang are tests/run.sh's to report: here a
# new one does not stop the fuzzing.  The harnesses keep -Werror.
FUZZ_LIBCFLAGS	= $(filter-out -Werror,$(KH_CFLAGS))
# The library's sources: those of the top Makefile's LIB_OBJS.
FUZZ_SRCS	= $(patsubst $(B)/%.o,lib/%.c,$(LIB_OBJS))
FUZZ_OBJS	= $(patsubst lib/%.c,$(FUZZ_B)/lib/%.o,$(FUZZ_SRCS))
FUZZ_PROGS	= $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)
FUZZ_RUN	= FUZZ_B=$(FUZZ_B) FUZZ_JOBS=$(FUZZ_JOBS) sh tests/fuzz/run.sh

$(FUZZ_B)/lib/.dir:
	mkdir -p $(FUZZ_B)/lib
	touch $@

$(FUZZ_B)/lib/%.o: lib/%.c lib/*.h $(FUZZ_B)/lib/.dir
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_LIBCFLAGS) \
		-c $< -o $@

$(FUZZ_B)/libkeyhole.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJS)

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(FUZZ_B)/libkeyhole.a lib/*.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(KH_CFLAGS) $< \
		$(FUZZ_B)/libkeyhole.a $(KH_LIBS) -o $@

fuzz-build: $(FUZZ_PROGS)

fuzz: fuzz-build
	@$(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-ci: fuzz-build
	@$(FUZZ_RUN) -runs=$(FUZZ_RUNS) $(FUZZ_NAMES)

.PHONY: fuzz fuzz-ci fuzz-build
