# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# tools/glance-diff.mk: the differential run of the body gate against
# Glance's own parser (tools/glance_diff.py), included by the Makefile
# (uses its BUILD, CC, CFLAGS, WARN, CORE_SRCS and CORE_HDRS); the defaults
# below let it also run on its own: make -f tools/glance-diff.mk glance-diff
#
#   make glance-diff      GLANCE_DIFF_COUNT (1,000,000) patches, for at most
#                         GLANCE_DIFF_SECONDS (1800)
#   make glance-diff-ci   50,000 patches, for at most 600 s
#
# Both first replay tools/glance-diff-findings/ (if any), then generate
# patches from GLANCE_DIFF_SEED, and fail on any patch the gateway accepts
# that Glance reads otherwise.  Needs python3-glance (make deps).

TOP         ?= $(abspath .)
BUILD       ?= $(TOP)/build
CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        ?= -Wall -Wextra -Werror -Wno-unused-parameter
CORE_SRCS   ?= $(wildcard src/ims_*.c)
CORE_HDRS   ?= $(wildcard src/ims*.h)

GLANCE_DIFF_COUNT   ?= 1000000
GLANCE_DIFF_SECONDS ?= 1800
GLANCE_DIFF_SEED    ?= 1
# Debian's python3-glance is for the system interpreter
GLANCE_DIFF_PYTHON  ?= /usr/bin/python3
GLANCE_DIFF_LIB     := $(BUILD)/libims-judge.so
GLANCE_DIFF_FOUND   := $(wildcard tools/glance-diff-findings/*.json)
GLANCE_DIFF         := $(GLANCE_DIFF_PYTHON) tools/glance_diff.py \
                       --lib $(GLANCE_DIFF_LIB) \
                       --failures-dir $(BUILD)/glance-diff-failures

.PHONY: glance-diff glance-diff-ci glance-diff-lib

glance-diff-lib: $(GLANCE_DIFF_LIB)

$(GLANCE_DIFF_LIB): tools/ims_judge.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared -Isrc -o $@ tools/ims_judge.c \
	    $(CORE_SRCS) $(LDFLAGS) -ljansson

glance-diff: $(GLANCE_DIFF_LIB)
	$(if $(GLANCE_DIFF_FOUND),$(GLANCE_DIFF) --replay tools/glance-diff-findings)
	$(GLANCE_DIFF) --seed $(GLANCE_DIFF_SEED) --count $(GLANCE_DIFF_COUNT) \
	    --time-limit $(GLANCE_DIFF_SECONDS)

glance-diff-ci: $(GLANCE_DIFF_LIB)
	$(if $(GLANCE_DIFF_FOUND),$(GLANCE_DIFF) --replay tools/glance-diff-findings)
	$(GLANCE_DIFF) --seed $(GLANCE_DIFF_SEED) --count 50000 --time-limit 600
