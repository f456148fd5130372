# ngx_ims_module
#
#   make            the dynamic module build/ngx_http_ims_module.so and the
#                   core's unit-test binary build/ims-unit
#   make test       install what is missing, build, run every test
#   make run        install what is missing, build, run the gateway in front
#                   of real OpenStack Glance (Ctrl-C stops both)
#   make deb        the Debian packages, into build/deb/ (tools/package.mk)

SHELL       := /bin/bash
TOP         := $(abspath .)
BUILD       := $(TOP)/build
NGX_SRC     ?= /usr/share/nginx/src
NGX_BUILD   := $(BUILD)/nginx
MODULE      := $(BUILD)/ngx_http_ims_module.so

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wno-unused-parameter
# the unit tests run under ASan and UBSan: a stray byte fails them
SANITIZE    := -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
CORE_SRCS   := $(wildcard src/ims_*.c)
CORE_HDRS   := $(wildcard src/ims*.h)
GLUE        := ngx_ims_module.c $(wildcard src/ngx_http_ims*)
UNIT_SRCS   := $(wildcard t/unit/*.c)

DEPS_BUILD  := nginx nginx-dev libjansson-dev libpcre2-dev build-essential \
               dpkg-dev
DEPS_TEST   := curl nghttp2-client perl python3-glance prometheus

.PHONY: all module unit check-tool deps test test-unit test-integration \
        run clean

all: module unit check-tool

module: $(MODULE)
unit: $(BUILD)/ims-unit
check-tool: $(BUILD)/ims-check

# Configure once against Debian's nginx-dev with the flags the packaged
# binary was built with, so that the module is binary compatible.
$(NGX_BUILD)/Makefile: config
	@mkdir -p $(NGX_BUILD)
	cd $(NGX_SRC) && bash -c '. ./conf_flags && ./configure \
	    --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC \
	        $$(dpkg-buildflags --get CPPFLAGS)" \
	    --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module=$(TOP) --builddir=$(NGX_BUILD)' \
	    > $(NGX_BUILD)/configure.log 2>&1 \
	    || { tail -20 $(NGX_BUILD)/configure.log; exit 1; }

$(MODULE): $(NGX_BUILD)/Makefile $(GLUE) $(CORE_SRCS) $(CORE_HDRS)
	$(MAKE) -s -f $(NGX_BUILD)/Makefile -C $(NGX_SRC) modules
	@# a new inode: a running nginx keeps mapping the old file
	cp $(NGX_BUILD)/ngx_http_ims_module.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/ims-unit: $(UNIT_SRCS) $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WARN) $(SANITIZE) -Isrc -o $@ $(UNIT_SRCS) \
	    $(CORE_SRCS) -ljansson

$(BUILD)/ims-check: tools/ims-check.c $(CORE_SRCS) $(CORE_HDRS) \
                   src/ngx_http_ims_version.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ tools/ims-check.c $(CORE_SRCS) \
	    $(LDFLAGS) -ljansson -lpcre2-8

# apt-get only for what is missing: a configured machine needs no network.
deps:
	@missing=$$(for p in $(DEPS_BUILD) $(DEPS_TEST); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q && \
	    apt-get install -y -q --no-install-recommends $$missing; \
	fi

test: deps
	$(MAKE) all
	$(MAKE) test-unit test-integration

test-unit: unit
	$(BUILD)/ims-unit

# the body rules and the hostile inputs again with the reference reader:
# both readers must give the same verdicts (ims_json_reader)
test-integration: module check-tool
	prove -r t/
	TEST_NGINX_IMS_READER=jansson prove t/010-patch-rules.t t/100-hostile.t

run: deps
	$(MAKE) all
	tools/run.sh

clean:
	rm -rf $(BUILD)

include tools/package.mk
include bench/bench.mk
include tools/reliability.mk
include fuzz/fuzz.mk
include tools/glance-diff.mk
include tools/coverage.mk
