
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


/* the class of a request's final status, for the outcome counters */
typedef enum {
    NGX_HTTP_IMS_STATUS_2XX = 0,
    NGX_HTTP_IMS_STATUS_3XX,
    NGX_HTTP_IMS_STATUS_4XX,
    NGX_HTTP_IMS_STATUS_5XX,
    NGX_HTTP_IMS_STATUS_CLASSES
} ngx_http_ims_status_class_e;


/* the Content-Type classes the counters keep, by what normalizing did */
typedef enum {
    NGX_HTTP_IMS_TYPE_CANONICAL = 0,
    NGX_HTTP_IMS_TYPE_CASE,
    NGX_HTTP_IMS_TYPE_PARAMETERS,
    NGX_HTTP_IMS_TYPE_WHITESPACE,
    NGX_HTTP_IMS_TYPE_CLASSES
} ngx_http_ims_type_class_e;


#define NGX_HTTP_IMS_OFF       0
#define NGX_HTTP_IMS_ENFORCE   1
#define NGX_HTTP_IMS_MONITOR   2
#define NGX_HTTP_IMS_VARIABLE  3       /* evaluated per request */

/* ims_json_reader */
#define NGX_HTTP_IMS_READER_STREAM   0
#define NGX_HTTP_IMS_READER_JANSSON  1


/* an entry of ims_system_attributes or ims_editable_attributes */
typedef struct {
    ngx_str_t            name;
    ngx_regex_t         *regex;         /* "~pattern" entries */
} ngx_http_ims_match_t;


typedef struct {
    ngx_uint_t                 mode;
    ngx_http_complex_value_t  *mode_value;  /* NGX_HTTP_IMS_VARIABLE */
    ngx_uint_t                 query_unknown;
    ngx_uint_t                 log_level;
    ngx_uint_t                 forbidden_status;
    ngx_uint_t                 json_reader;
    ngx_int_t                  max_depth;
    ngx_int_t                  max_operations;
    ngx_int_t                  name_max_length;
    ngx_int_t                  description_max_length;
    ngx_str_t                  description_forbidden;
    ngx_str_t                  api_prefix;
    ngx_array_t               *system_attributes;
    ngx_array_t               *editable_attributes;
    ngx_regex_t               *name_pattern;
    ims_route_conf_t           route;
    ims_patch_conf_t           patch;
    ims_query_conf_t           query;
} ngx_http_ims_loc_conf_t;


extern ngx_module_t  ngx_http_ims_module;
extern ngx_str_t     ngx_http_ims_verdict_names[];
extern ngx_str_t     ngx_http_ims_status_names[];


ngx_int_t ngx_http_ims_metrics_add_zone(ngx_conf_t *cf);
void ngx_http_ims_count_request(ims_route_t route,
    ngx_http_ims_verdict_e verdict, ims_code_t code);
void ngx_http_ims_count_outcome(ims_route_t route, ngx_uint_t monitor,
    ngx_http_ims_verdict_e verdict, ngx_http_ims_status_class_e status);
void ngx_http_ims_count_content_type(unsigned changes);
void ngx_http_ims_count_body(size_t len);
char *ngx_http_ims_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

char *ngx_http_ims_set_gateway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ims_set_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_ims_set_number(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_ims_set_attributes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ims_set_name_pattern(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ims_set_forbidden_chars(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ims_set_api_prefix(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void *ngx_http_ims_create_loc_conf(ngx_conf_t *cf);
char *ngx_http_ims_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);


#endif /* _NGX_HTTP_IMS_H_INCLUDED_ */
