# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Benchmarks (included by the Makefile; see bench/RESULTS.md)
#
#   make bench        HTTP: the gateway against the same nginx without it
#                     (wrk, pinned cores; about 15 minutes with defaults)
#   make bench-core   the validation core alone: validations/s, ns/byte,
#                     the JSON parse share, callgrind instruction counts
#
# BENCH_RECORD=1 appends the tables to bench/RESULTS.md.  Other knobs are
# listed at the top of bench/http-bench.sh and bench/core-bench.sh.

CORE_BENCH      := $(BUILD)/core-bench
BENCH_WARN      := -Wall -Wextra -Werror -Wno-unused-parameter

# The streaming reader is timed when the core defines it (a function
# definition starts a line in nginx style); a header alone is not enough.
# (The pattern is a variable: a bare parenthesis would end the $(shell).)
BENCH_STREAM_RE := ^ims_read_patch_stream[(]
BENCH_STREAM    := $(if $(wildcard src/ims_stream.h),$(shell \
                       grep -l '$(BENCH_STREAM_RE)' $(CORE_SRCS) \
                       2>/dev/null))
BENCH_DEFS      := $(if $(BENCH_STREAM),-DIMS_BENCH_STREAM=1)
BENCH_HDRS      := $(CORE_HDRS) $(wildcard src/ims_stream.h)

.PHONY: bench bench-core

bench: module
	bench/http-bench.sh

bench-core: $(CORE_BENCH)
	CORE_BENCH=$(CORE_BENCH) bench/core-bench.sh

$(CORE_BENCH): bench/core-bench.c $(CORE_SRCS) $(BENCH_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(BENCH_WARN) $(BENCH_DEFS) -Isrc -o $@ \
	    bench/core-bench.c $(CORE_SRCS) -ljansson
