# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.
#
# The Debian packages (included by the Makefile):
#
#   make deb        libnginx-mod-http-ims and ims-check, built the Debian
#                   way (dpkg-buildpackage, dh-sequence-nginx) offline from
#                   a copy of this tree, into build/deb/
#   make test-deb   installs them with apt-get, checks that the system
#                   nginx loads the module through modules-enabled, runs
#                   tests through it, and removes them again

.PHONY: deb test-deb

deb:
	tools/deb.sh build

test-deb: deb
	tools/deb.sh test
