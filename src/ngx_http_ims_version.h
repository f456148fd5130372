
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The module's version, in one place: nginx's error log at configuration
 * load, ims-check --version, the metrics (ims_build_info), the Debian
 * package (debian/changelog is checked against it by make deb) and
 * CHANGES.  Plain C, no nginx headers, so that ims-check can include it.
 */


#ifndef _NGX_HTTP_IMS_VERSION_H_INCLUDED_
#define _NGX_HTTP_IMS_VERSION_H_INCLUDED_


#define NGX_HTTP_IMS_VERSION  "1.0.1"


#endif /* _NGX_HTTP_IMS_VERSION_H_INCLUDED_ */
