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
#   make test-nginx-versions
#                   the module built statically and dynamically against
#                   every nginx tree in ../shared/nginx (-Werror), and the
#                   whole t/ suite against each binary; NGINX_VERSIONS
#                   picks some ("nginx-1.30.4:static nginx-1.31.4")

.PHONY: deb test-deb test-nginx-versions

deb:
	tools/deb.sh build

test-deb: deb
	tools/deb.sh test

test-nginx-versions: deps
	tools/nginx-versions.sh $(NGINX_VERSIONS)
