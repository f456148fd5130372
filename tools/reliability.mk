# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# tools/reliability.mk: soak and reload tests, included by the Makefile
# (uses its TOP, MODULE and `module` target).  Each target installs wrk if
# it is missing, prints a summary and exits non-zero on failure.
#
#   make soak             mixed load for SOAK_SECONDS (600) after a warm-up:
#                         no error, no 5xx, nothing lost, worker RSS flat
#   make soak-ci          the same for 60 s
#   make reload-test      RELOADS (200) reloads under load: no failed
#                         request, old workers exit, master RSS flat
#   make reload-test-ci   the same with 30 reloads
#
# RELIABILITY.md says what each checks and what it measured.

SOAK_SECONDS ?= 600
RELOADS      ?= 200

.PHONY: soak soak-ci reload-test reload-test-ci

soak: module
	MODULE=$(MODULE) SOAK_SECONDS=$(SOAK_SECONDS) bash $(TOP)/tools/soak.sh

soak-ci: module
	MODULE=$(MODULE) SOAK_SECONDS=60 bash $(TOP)/tools/soak.sh

reload-test: module
	MODULE=$(MODULE) RELOADS=$(RELOADS) bash $(TOP)/tools/reload-test.sh

reload-test-ci: module
	MODULE=$(MODULE) RELOADS=30 bash $(TOP)/tools/reload-test.sh
