
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * ngx_ims_module: what the nginx glue files share.
 */


#ifndef _NGX_HTTP_IMS_H_INCLUDED_
#define _NGX_HTTP_IMS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ims.h"
#include "ngx_http_ims_version.h"


typedef enum {
    NGX_HTTP_IMS_PASS = 0,
    NGX_HTTP_IMS_REJECT,
    NGX_HTTP_IMS_WOULD_REJECT,
    NGX_HTTP_IMS_VERDICTS
} ngx_http_ims_verdict_e;


/* the Content-Type classes the counters keep, by what normalizing did */
typedef enum {
    NGX_HTTP_IMS_TYPE_CANONICAL = 0,
    NGX_HTTP_IMS_TYPE_CASE,
    NGX_HTTP_IMS_TYPE_PARAMETERS,
    NGX_HTTP_IMS_TYPE_WHITESPACE,
    NGX_HTTP_IMS_TYPE_CLASSES
} ngx_http_ims_type_class_e;


extern ngx_module_t  ngx_http_ims_module;


ngx_int_t ngx_http_ims_metrics_add_zone(ngx_conf_t *cf);
void ngx_http_ims_count_request(ims_route_t route,
    ngx_http_ims_verdict_e verdict, ims_code_t code);
void ngx_http_ims_count_content_type(unsigned changes);
void ngx_http_ims_count_body(size_t len);
char *ngx_http_ims_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_IMS_H_INCLUDED_ */
