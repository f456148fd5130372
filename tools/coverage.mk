# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Coverage and mutation testing (RELIABILITY.md).  Included from the
# Makefile; the defaults below let it also run on its own:
# make -f tools/coverage.mk coverage-core
#
#   make coverage         gcov line and branch coverage: the core under its
#                         unit tests and the fuzz corpora, the glue under
#                         prove -r t/ (nginx 1.30.4 from ../shared/nginx with
#                         the module compiled in); the tables on stdout and
#                         in build/coverage/summary.txt, HTML reports in
#                         build/coverage/html-core/ and html-glue/
#   make coverage-core    the core's table only (seconds)
#
#   make mutate           a seeded sample of mutants of src/ims_*.c against
#                         the unit tests (tools/mutate.py): MUTATE_SEED,
#                         MUTATE_COUNT, MUTATE_ARGS (e.g. --sanitize)
#
# Coverage floors, each checked when set (percent): COV_CORE_MIN_LINES,
# COV_CORE_MIN_BRANCHES, COV_GLUE_MIN_LINES; e.g.
# make coverage-core COV_CORE_MIN_LINES=98.5 COV_CORE_MIN_BRANCHES=95

TOP          ?= $(abspath .)
BUILD        ?= $(TOP)/build

MUTATE_SEED  ?= 14
MUTATE_COUNT ?= 200
MUTATE_ARGS  ?=

.PHONY: coverage coverage-deps coverage-core mutate

# gcovr comes from Debian; the suite's ims-check tests need build/ims-check
coverage-deps:
	@command -v gcovr > /dev/null || { \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends gcovr \
	    || { apt-get update -q && \
	         apt-get install -y -q --no-install-recommends gcovr; }; }

coverage: coverage-deps $(BUILD)/ims-check
	tools/coverage.sh

coverage-core: coverage-deps
	tools/coverage.sh core

mutate:
	python3 tools/mutate.py --seed $(MUTATE_SEED) --count $(MUTATE_COUNT) \
	    --out $(BUILD)/mutate $(MUTATE_ARGS)
