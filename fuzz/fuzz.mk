# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Fuzzing and sanitizer runs (RELIABILITY.md).  Included from the Makefile,
# whose BUILD, CORE_SRCS and CORE_HDRS it uses; the defaults below let it
# also run on its own: make -f fuzz/fuzz.mk fuzz-ci
#
#   make fuzz               every libFuzzer harness for FUZZ_SECONDS (600)
#   make fuzz-ci            the same for 60 s each
#   make fuzz-regressions   replay fuzz/regressions/ and the seed corpora
#   make fuzz-coverage      line coverage of src/ reached by the corpora
#   make fuzz-corpus        regenerate fuzz/corpus/ from the spec examples
#   make asan               nginx with the module built in, ASan + UBSan
#   make test-asan          prove -r t/ against that nginx
#   make test-valgrind      integration tests with nginx under valgrind

TOP         ?= $(abspath .)
BUILD       ?= $(TOP)/build
CORE_SRCS   ?= $(wildcard src/ims_*.c)
CORE_HDRS   ?= $(wildcard src/ims*.h)

FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -g -O1 -fno-omit-frame-pointer
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
FUZZ_SECONDS ?= 600
FUZZ_DIR     := $(BUILD)/fuzz

FUZZ_NAMES   := patch media_type query route patch_diff
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz-%)
FUZZ_HDRS    := fuzz/fuzz_util.h $(CORE_HDRS)

.PHONY: fuzz-build fuzz fuzz-ci fuzz-regressions fuzz-coverage fuzz-corpus \
        asan test-asan test-valgrind

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/fuzz-%: fuzz/fuzz_%.c $(FUZZ_HDRS) $(CORE_SRCS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(FUZZ_WARN) -Isrc -Ifuzz \
	    -o $@ $< $(CORE_SRCS) -ljansson

fuzz: fuzz-build
	FUZZ_OUT=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	    fuzz/run.sh fuzz $(FUZZ_NAMES)

fuzz-ci: fuzz-build
	FUZZ_OUT=$(FUZZ_DIR) FUZZ_SECONDS=60 fuzz/run.sh fuzz $(FUZZ_NAMES)

fuzz-regressions: fuzz-build
	FUZZ_OUT=$(FUZZ_DIR) fuzz/run.sh replay $(FUZZ_NAMES)

fuzz-corpus:
	perl fuzz/gen-corpus.pl fuzz/corpus

# Coverage: the same harnesses with clang's source-based coverage, run
# over the seeds and whatever corpus `make fuzz` grew in build/fuzz/corpus.
# No sanitizer there, so the known trailing NUL of ims_error_body() is
# given its byte (fuzz_util.h): it would corrupt malloc's heap otherwise.
FUZZ_COV_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/cov-%)

$(FUZZ_DIR)/cov-%: fuzz/fuzz_%.c $(FUZZ_HDRS) $(CORE_SRCS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer -fprofile-instr-generate \
	    -fcoverage-mapping -DIMS_FUZZ_ERROR_BODY_SLACK=1 \
	    $(FUZZ_WARN) -Isrc -Ifuzz \
	    -o $@ $< $(CORE_SRCS) -ljansson

fuzz-coverage: $(FUZZ_COV_BINS)
	FUZZ_OUT=$(FUZZ_DIR) fuzz/run.sh coverage $(FUZZ_NAMES)

# ASan + UBSan: nginx built from Debian's orig tarball, the module inside.
asan: $(BUILD)/asan/nginx

$(BUILD)/asan/nginx: config ngx_ims_module.c $(CORE_SRCS) $(CORE_HDRS) \
                     $(wildcard src/ngx_http_ims*)
	tools/build-asan.sh

test-asan: $(BUILD)/asan/nginx $(BUILD)/ims-check
	tools/build-asan.sh test

test-valgrind: $(BUILD)/ngx_http_ims_module.so $(BUILD)/ims-check
	tools/test-valgrind.sh
