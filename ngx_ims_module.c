
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * ngx_ims_module: the nginx glue of the IMS policy gateway.
 *
 * The module definition and its directives' table, the precontent phase
 * handler, body collection, the Content-Type rewrite, the IMS error
 * response and the variables live here; the directive handlers and the
 * configuration's merge in src/ngx_http_ims_conf.c, the counters in
 * src/ngx_http_ims_metrics.c.  Every rule lives in the validation core
 * (src/ims_*.c), which knows nothing of nginx.
 */


#include "ngx_http_ims.h"


/* a temporary-file body is read and fed in pieces of this size */
#define NGX_HTTP_IMS_FILE_CHUNK   32768

/* a query string up to this size is decoded on the stack */
#define NGX_HTTP_IMS_QUERY_STACK  2048

/* the reader's scratch, when it fits (a body of up to about 2.9 KB) */
#define NGX_HTTP_IMS_BODY_STACK   4096


/*
 * Kept small: it comes out of every judged request's pool, and a passed
 * request needs no verdict text (a rejection's is copied to the pool).
 * nginx's mirror module gets by with one status because it never answers
 * itself; this context also carries the verdict to the variables and the
 * log, and the state of a body read that may end in either handler.
 */

typedef struct {
    ngx_int_t            phase_rc;      /* what the phase handler returns */
    ims_verdict_t       *rejection;     /* NULL: the request passed */
    ims_route_t          route;         /* for the counters */
    ims_dialect_t        dialect;       /* the Content-Type, for the body */

    /* judged: the variables have a value (not so for other routes) */
    unsigned             inspected:1;

    /* monitor mode: report, forward unchanged (fixed per request) */
    unsigned             monitor:1;

    /*
     * the body handler has not run: an error_page redirect of nginx's own
     * 413 or 400 re-enters the phase handler with no body to wait for
     */
    unsigned             reading:1;

    /*
     * ...and the phase handler is inside the read: a body that is all
     * there is is judged there, and the phases are not rerun
     */
    unsigned             in_read:1;

    /* a rejection to send: only the phase handler owns the request */
    unsigned             reject:1;
} ngx_http_ims_ctx_t;


static ngx_int_t ngx_http_ims_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_ims_mode(ngx_http_request_t *r,
    ngx_http_ims_loc_conf_t *ilcf);
static ngx_int_t ngx_http_ims_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_status_class(ngx_http_request_t *r);
static ngx_http_ims_verdict_e ngx_http_ims_verdict(ngx_http_ims_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_scan_headers(ngx_http_request_t *r,
    ims_request_t *rq);
static ngx_int_t ngx_http_ims_query(ngx_http_request_t *r,
    ngx_http_ims_loc_conf_t *ilcf, ims_verdict_t *v);
static void ngx_http_ims_content_type(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, ngx_uint_t n, ims_verdict_t *v);
static void ngx_http_ims_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_inspect_body(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, ngx_http_ims_loc_conf_t *ilcf, ims_verdict_t *v);
static ngx_int_t ngx_http_ims_read_stream(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, ims_patch_conf_t *conf, off_t total,
    ims_verdict_t *v);
static ngx_int_t ngx_http_ims_read_jansson(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, ims_patch_conf_t *conf, off_t total,
    ims_verdict_t *v);
static ngx_int_t ngx_http_ims_decide(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, const ims_verdict_t *v);
static ngx_int_t ngx_http_ims_respond(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx);
static ngx_int_t ngx_http_ims_send_error(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx);
static ngx_http_ims_ctx_t *ngx_http_ims_get_ctx(ngx_http_request_t *r);
static ngx_http_ims_ctx_t *ngx_http_ims_create_ctx(ngx_http_request_t *r);
static void ngx_http_ims_ctx_cleanup(void *data);

static ngx_int_t ngx_http_ims_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_ims_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_ims_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_ims_modes[] = {
    { ngx_string("off"), NGX_HTTP_IMS_OFF },
    { ngx_string("on"), NGX_HTTP_IMS_ENFORCE },
    { ngx_string("monitor"), NGX_HTTP_IMS_MONITOR },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ims_query_unknown[] = {
    { ngx_string("pass"), 0 },
    { ngx_string("reject"), 1 },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ims_forbidden_statuses[] = {
    { ngx_string("400"), NGX_HTTP_BAD_REQUEST },
    { ngx_string("403"), NGX_HTTP_FORBIDDEN },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ims_json_readers[] = {
    { ngx_string("stream"), NGX_HTTP_IMS_READER_STREAM },
    { ngx_string("jansson"), NGX_HTTP_IMS_READER_JANSSON },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ims_log_levels[] = {
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("debug"), NGX_LOG_DEBUG },
    { ngx_null_string, 0 }
};


/* ranges of the numeric settings; the depth is capped by jansson's own */
static ngx_conf_num_bounds_t  ngx_http_ims_depth_bounds = {
    NULL, 1, 2048
};

static ngx_conf_num_bounds_t  ngx_http_ims_operations_bounds = {
    NULL, 1, 1000000
};

static ngx_conf_num_bounds_t  ngx_http_ims_length_bounds = {
    NULL, 1, 65535
};


static ngx_command_t  ngx_http_ims_commands[] = {

    { ngx_string("ims_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, mode),
      &ngx_http_ims_modes },

    { ngx_string("ims_query_unknown"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, query_unknown),
      &ngx_http_ims_query_unknown },

    { ngx_string("ims_forbidden_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, forbidden_status),
      &ngx_http_ims_forbidden_statuses },

    { ngx_string("ims_json_reader"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, json_reader),
      &ngx_http_ims_json_readers },

    { ngx_string("ims_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, log_level),
      &ngx_http_ims_log_levels },

    { ngx_string("ims_system_attributes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_ims_set_attributes,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, system_attributes),
      NULL },

    { ngx_string("ims_editable_attributes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_ims_set_attributes,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, editable_attributes),
      NULL },

    { ngx_string("ims_max_depth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, max_depth),
      &ngx_http_ims_depth_bounds },

    { ngx_string("ims_max_operations"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, max_operations),
      &ngx_http_ims_operations_bounds },

    { ngx_string("ims_name_max_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, name_max_length),
      &ngx_http_ims_length_bounds },

    { ngx_string("ims_name_pattern"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_name_pattern,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_description_max_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, description_max_length),
      &ngx_http_ims_length_bounds },

    { ngx_string("ims_description_forbidden_chars"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_forbidden_chars,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, description_forbidden),
      NULL },

    { ngx_string("ims_api_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_api_prefix,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, api_prefix),
      NULL },

    { ngx_string("ims_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_metrics,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ims_module_ctx = {
    ngx_http_ims_add_variables,            /* preconfiguration */
    ngx_http_ims_init,                     /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ims_create_loc_conf,          /* create location configuration */
    ngx_http_ims_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_ims_module = {
    NGX_MODULE_V1,
    &ngx_http_ims_module_ctx,              /* module context */
    ngx_http_ims_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


typedef enum {
    NGX_HTTP_IMS_VAR_VERDICT = 0,
    NGX_HTTP_IMS_VAR_ERROR_CODE,
    NGX_HTTP_IMS_VAR_REASON,
    NGX_HTTP_IMS_VAR_CONTENT_TYPE,
    NGX_HTTP_IMS_VAR_MODE,
    NGX_HTTP_IMS_VAR_OUTCOME
} ngx_http_ims_var_e;


static ngx_http_variable_t  ngx_http_ims_vars[] = {

    { ngx_string("ims_verdict"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_VERDICT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_error_code"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_ERROR_CODE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_reason"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_REASON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_content_type"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_CONTENT_TYPE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_mode"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_MODE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_outcome"), NULL, ngx_http_ims_variable,
      NGX_HTTP_IMS_VAR_OUTCOME, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_ims_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_ims_accept_patch = ngx_string("Accept-Patch");

ngx_str_t  ngx_http_ims_verdict_names[] = {
    ngx_string("pass"),
    ngx_string("reject"),
    ngx_string("would_reject")
};

ngx_str_t  ngx_http_ims_status_names[] = {
    ngx_string("2xx"),
    ngx_string("3xx"),
    ngx_string("4xx"),
    ngx_string("5xx")
};

static ngx_str_t  ngx_http_ims_mode_names[] = {
    ngx_string("on"),
    ngx_string("monitor")
};


/*
 * Runs in the precontent phase: after every access check, so that bodies
 * of denied clients are never read, and before the content handler.
 * The ownership of the request follows nginx's mirror module: while the
 * body is read the handler returns NGX_DONE; the body handler stores the
 * verdict and reruns the phases, which re-enter here.  A body that is all
 * there is judged within the read, and the handler goes on at once (as
 * ngx_lua does), without a second pass through the phases.
 */

static ngx_int_t
ngx_http_ims_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ims_str_t                 image_id;
    ngx_uint_t                mode, content_types;
    ims_route_t               route;
    ims_request_t             rq;
    ims_verdict_t             v;
    ngx_http_ims_ctx_t       *ctx;
    ngx_http_ims_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_module);

    if (ilcf->mode == NGX_HTTP_IMS_OFF || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_ims_get_ctx(r);

    if (ctx != NULL) {
        return ngx_http_ims_respond(r, ctx);
    }

    mode = ilcf->mode;

    if (mode == NGX_HTTP_IMS_VARIABLE) {
        mode = ngx_http_ims_mode(r, ilcf);

        if (mode == NGX_HTTP_IMS_OFF) {
            return NGX_DECLINED;
        }
    }

    /* the normalized URI: the backend decodes the path too */
    rq.method.data = r->method_name.data;
    rq.method.len = r->method_name.len;
    rq.path.data = r->uri.data;
    rq.path.len = r->uri.len;
    rq.args.data = r->args.data;
    rq.args.len = r->args.len;

    content_types = ngx_http_ims_scan_headers(r, &rq);

    route = ims_route(&ilcf->route, &rq, &image_id, &v);

    if (route == IMS_ROUTE_OTHER && v.status == 0) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_ims_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->route = route;
    ctx->monitor = (mode == NGX_HTTP_IMS_MONITOR);

    if (v.status == 0) {
        if (route == IMS_ROUTE_QUERY) {
            if (ngx_http_ims_query(r, ilcf, &v) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

        } else if (!ims_uuid_is_canonical(image_id.data, image_id.len)) {
            ims_reject(&v, NGX_HTTP_BAD_REQUEST, IMS_IMG_0066,
                       "The image ID in the path must be a canonical UUID.");

        } else {
            ngx_http_ims_content_type(r, ctx, content_types, &v);
        }
    }

    if (v.status || route == IMS_ROUTE_QUERY) {
        /* decided before any body is read */
        if (ngx_http_ims_decide(r, ctx, &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_ims_respond(r, ctx);
    }

    ctx->phase_rc = NGX_DONE;
    ctx->reading = 1;
    ctx->in_read = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_ims_body_handler);

    ctx->in_read = 0;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    if (!ctx->reading) {
        /* judged within the read: the reference it took is given back */
        r->main->count--;
        return ngx_http_ims_respond(r, ctx);
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * The mode of a request when ims_gateway takes a variable.  A value that
 * is none of the three is judged "on", the safe side, and logged once per
 * worker process (it is a configuration mistake, not a client's).
 */

static ngx_uint_t
ngx_http_ims_mode(ngx_http_request_t *r, ngx_http_ims_loc_conf_t *ilcf)
{
    ngx_str_t          value;
    ngx_conf_enum_t   *e;
    static ngx_uint_t  warned;

    if (ngx_http_complex_value(r, ilcf->mode_value, &value) == NGX_OK) {
        for (e = ngx_http_ims_modes; e->name.len; e++) {
            if (e->name.len == value.len
                && ngx_strncasecmp(e->name.data, value.data, value.len) == 0)
            {
                return e->value;
            }
        }

    } else {
        ngx_str_set(&value, "(not evaluated)");
    }

    if (!warned) {
        warned = 1;
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ims: \"ims_gateway\" evaluated to \"%V\", not \"on\", "
                      "\"off\" or \"monitor\": judged as \"on\" (logged "
                      "once per worker)", &value);
    }

    return NGX_HTTP_IMS_ENFORCE;
}


/*
 * The log phase: every judged request is counted by route, mode, verdict
 * and the class of its final status, whoever answered it (the backend,
 * nginx, or the gateway's own rejection).
 */

static ngx_int_t
ngx_http_ims_log_handler(ngx_http_request_t *r)
{
    ngx_int_t            status;
    ngx_http_ims_ctx_t  *ctx;

    ctx = ngx_http_ims_get_ctx(r);

    if (ctx == NULL || !ctx->inspected) {
        return NGX_OK;
    }

    status = ngx_http_ims_status_class(r);

    if (status != NGX_ERROR) {
        ngx_http_ims_count_outcome(ctx->route, ctx->monitor,
                                   ngx_http_ims_verdict(ctx), status);
    }

    return NGX_OK;
}


/* the final status's class as $status shows it, or NGX_ERROR: none yet */

static ngx_int_t
ngx_http_ims_status_class(ngx_http_request_t *r)
{
    ngx_uint_t  status;

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status < 200 || status > 599) {
        return NGX_ERROR;
    }

    return status / 100 - 2;
}


/*
 * One walk over the request headers for what the route model reads (the
 * Content-Type, the override headers); returns how many Content-Type
 * headers there are.  nginx keeps only the first one in
 * headers_in.content_type, and the proxy would forward a second one as
 * is, so the whole list is walked.  Override headers are matched in any
 * spelling the backend takes for theirs (ims_route_header()).
 */

static ngx_uint_t
ngx_http_ims_scan_headers(ngx_http_request_t *r, ims_request_t *rq)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
    rq->override_header = 0;
    rq->content_type.data = NULL;
    rq->content_type.len = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* nginx keeps every name lowercased */
        switch (ims_route_header(h[i].lowcase_key, h[i].key.len)) {

        case IMS_HEADER_CONTENT_TYPE:
            ims_route_add_content_type(rq, h[i].value.data, h[i].value.len);
            n++;
            break;

        case IMS_HEADER_OVERRIDE:
            rq->override_header = 1;
            break;

        default: /* IMS_HEADER_OTHER */
            break;
        }
    }

    return n;
}


/* the raw query string is judged; on success it is forwarded unchanged */

static ngx_int_t
ngx_http_ims_query(ngx_http_request_t *r, ngx_http_ims_loc_conf_t *ilcf,
    ims_verdict_t *v)
{
    u_char  *scratch;
    u_char   stack[NGX_HTTP_IMS_QUERY_STACK];

    if (r->args.len == 0) {
        ims_verdict_pass(v);
        return NGX_OK;
    }

    /*
     * The decoded query is needed only while it is judged: a usual one
     * is decoded on the stack, and the request pool stays as it is.
     */

    if (r->args.len <= sizeof(stack)) {
        scratch = stack;

    } else {
        scratch = ngx_pnalloc(r->pool, r->args.len);
        if (scratch == NULL) {
            return NGX_ERROR;
        }
    }

    ims_query_validate(&ilcf->query, r->args.data, r->args.len, scratch, v);

    return NGX_OK;
}


/* exactly one Content-Type header (n of them), one of the two patch types */

static void
ngx_http_ims_content_type(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    ngx_uint_t n, ims_verdict_t *v)
{
    char              show[64];
    unsigned          changes;
    const char       *why;
    ngx_table_elt_t  *h;

    if (n != 1 || r->headers_in.content_type == NULL) {
        ims_reject(v, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, IMS_IMG_0001,
                   n ? "Send exactly one Content-Type header."
                     : "A Content-Type header is required.");
        return;
    }

    h = r->headers_in.content_type;

    ctx->dialect = ims_media_type_parse(h->value.data, h->value.len,
                                        &changes, &why);

    if (ctx->dialect == IMS_PATCH_NONE) {
        ims_escape(show, sizeof(show), h->value.data, h->value.len);
        ims_reject(v, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, IMS_IMG_0001,
                   "Content-Type '%s': %s.", show, why);
        return;
    }

    ngx_http_ims_count_content_type(changes);
}


static void
ngx_http_ims_body_handler(ngx_http_request_t *r)
{
    ims_verdict_t             v;
    ngx_http_ims_ctx_t       *ctx;
    ngx_http_ims_loc_conf_t  *ilcf;

    ctx = ngx_http_ims_get_ctx(r);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_module);

    ctx->reading = 0;

    if (ngx_http_ims_inspect_body(r, ctx, ilcf, &v) != NGX_OK
        || ngx_http_ims_decide(r, ctx, &v) != NGX_OK)
    {
        ctx->phase_rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->in_read) {
        /* the phase handler goes on with the verdict */
        return;
    }

    /* a rejection is sent from the phase handler, which owns the request */
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/*
 * The body as nginx holds it, judged by the reader the location chose; the
 * verdict is logged at debug level and the bytes counted.
 */

static ngx_int_t
ngx_http_ims_inspect_body(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    ngx_http_ims_loc_conf_t *ilcf, ims_verdict_t *v)
{
    off_t         total;
    ngx_int_t     rc;
    ngx_chain_t  *cl;

    total = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            total += ngx_buf_size(cl->buf);
        }
    }

    if (ilcf->json_reader == NGX_HTTP_IMS_READER_JANSSON) {
        rc = ngx_http_ims_read_jansson(r, ctx, &ilcf->patch, total, v);

    } else {
        rc = ngx_http_ims_read_stream(r, ctx, &ilcf->patch, total, v);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http ims body of %O bytes judged: %i",
                   total, v->status);

    ngx_http_ims_count_body(total);

    if (v->status == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ims: %s", v->detail);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The streaming reader is fed the body as nginx holds it: memory buffers
 * in place, a temporary file in chunks.  Nothing is copied but what the
 * reader keeps in its scratch, which is sized from the body length and,
 * needed only here, is on the stack for a small body.
 */

static ngx_int_t
ngx_http_ims_read_stream(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    ims_patch_conf_t *conf, off_t total, ims_verdict_t *v)
{
    off_t          offset;
    size_t         size, n;
    u_char        *scratch, *chunk;
    ssize_t        got;
    ngx_buf_t     *b;
    ngx_chain_t   *cl;
    ims_patch_t    pt;
    u_char         stack[NGX_HTTP_IMS_BODY_STACK];

    size = ims_patch_scratch_size(conf, total);

    if (size <= sizeof(stack)) {
        scratch = stack;

    } else {
        scratch = ngx_pnalloc(r->pool, size);
        if (scratch == NULL) {
            return NGX_ERROR;
        }
    }

    if (ims_patch_begin(&pt, ctx->dialect, conf, scratch, size, v) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ims: the body reader could not start: %s", v->detail);
        return NGX_ERROR;
    }

    chunk = NULL;
    cl = r->request_body ? r->request_body->bufs : NULL;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            if (ims_patch_feed(&pt, b->pos, b->last - b->pos, v) != 0) {
                return NGX_OK;
            }

            continue;
        }

        if (!b->in_file) {
            continue;
        }

        if (chunk == NULL) {
            chunk = ngx_pnalloc(r->pool, NGX_HTTP_IMS_FILE_CHUNK);
            if (chunk == NULL) {
                return NGX_ERROR;
            }
        }

        for (offset = b->file_pos; offset < b->file_last; offset += got) {
            n = ngx_min(NGX_HTTP_IMS_FILE_CHUNK, b->file_last - offset);

            got = ngx_read_file(b->file, chunk, n, offset);

            if (got != (ssize_t) n) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "ims: could not read the request body "
                              "from \"%V\"", &b->file->name);
                return NGX_ERROR;
            }

            if (ims_patch_feed(&pt, chunk, n, v) != 0) {
                return NGX_OK;
            }
        }
    }

    (void) ims_patch_end(&pt, v);

    return NGX_OK;
}


/*
 * The reference reader (ims_json_reader jansson) parses a whole document:
 * the body is used in place when nginx holds it in one memory buffer, and
 * otherwise copied, or read from its temporary file, into one.
 */

static ngx_int_t
ngx_http_ims_read_jansson(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    ims_patch_conf_t *conf, off_t total, ims_verdict_t *v)
{
    u_char       *body, *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = r->request_body ? r->request_body->bufs : NULL;

    if (cl && cl->next == NULL && ngx_buf_in_memory(cl->buf)) {
        body = cl->buf->pos;

    } else {
        body = ngx_pnalloc(r->pool, total ? total : 1);
        if (body == NULL) {
            return NGX_ERROR;
        }

        for (p = body; cl; cl = cl->next) {
            b = cl->buf;

            if (ngx_buf_in_memory(b)) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
                continue;
            }

            if (!b->in_file) {
                continue;
            }

            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);

            if (n != b->file_last - b->file_pos) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "ims: could not read the request body "
                              "from \"%V\"", &b->file->name);
                return NGX_ERROR;
            }

            p += n;
        }
    }

    (void) ims_patch_validate_jansson(ctx->dialect, body, total, conf, v);

    return NGX_OK;
}


/*
 * Acts on a verdict: counts it and logs a rejection.  A pass (or anything
 * in monitor mode) goes on to the content handler; an accepted patch first
 * gets the canonical Content-Type, as the backend compares the raw string.
 */

static ngx_int_t
ngx_http_ims_decide(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    const ims_verdict_t *v)
{
    const ims_str_t          *type;
    ngx_table_elt_t          *h;
    ngx_http_ims_verdict_e    verdict;
    ngx_http_ims_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_module);

    ctx->inspected = 1;
    ctx->phase_rc = NGX_DECLINED;

    if (v->status == 0) {
        verdict = NGX_HTTP_IMS_PASS;

        if (!ctx->monitor && ctx->route == IMS_ROUTE_PATCH) {
            type = ims_media_type_canonical(ctx->dialect);
            h = r->headers_in.content_type;
            h->value.data = (u_char *) type->data;
            h->value.len = type->len;
        }

    } else {
        verdict = ctx->monitor ? NGX_HTTP_IMS_WOULD_REJECT
                               : NGX_HTTP_IMS_REJECT;

        ctx->rejection = ngx_palloc(r->pool, sizeof(ims_verdict_t));
        if (ctx->rejection == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(ctx->rejection, v, sizeof(ims_verdict_t));

        ngx_log_error(ilcf->log_level, r->connection->log, 0,
                      "ims: %s with %i %s: %s",
                      ctx->monitor ? "would reject" : "rejected",
                      v->status, ims_code_name(v->code), v->detail);

        if (!ctx->monitor) {
            ctx->reject = 1;
            ctx->phase_rc = NGX_DONE;
        }
    }

    ngx_http_ims_count_request(ctx->route, verdict, v->code);

    return NGX_OK;
}


/* what the phase handler returns, once the verdict is known */

static ngx_int_t
ngx_http_ims_respond(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx)
{
    if (ctx->reject) {
        /* finalizing may free the request, and ctx with its pool */
        ctx->reject = 0;
        ngx_http_finalize_request(r, ngx_http_ims_send_error(r, ctx));
        return NGX_DONE;
    }

    if (ctx->reading) {
        /*
         * nginx failed the body read (413, a bad chunk) and an error_page
         * redirected the request: there is no body to wait for
         */
        return NGX_DECLINED;
    }

    return ctx->phase_rc;
}


/*
 * The rejection is sent as a normal response: nginx's special 400 page
 * would close the connection, and ngx_http_send_response() also discards
 * a body that was not read, so that it is never parsed as a request.
 */

static ngx_int_t
ngx_http_ims_send_error(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx)
{
    u_char                    *body;
    ngx_table_elt_t           *h;
    ngx_http_complex_value_t   cv;

    body = ngx_pnalloc(r->pool, ims_error_body_size(ctx->rejection));
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));
    cv.value.data = body;
    cv.value.len = ims_error_body(ctx->rejection, body);

    if (ctx->rejection->status == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        h->key = ngx_http_ims_accept_patch;
        h->value.data = (u_char *) ims_accept_patch;
        h->value.len = ngx_strlen(ims_accept_patch);
    }

    return ngx_http_send_response(r, ctx->rejection->status,
                                  &ngx_http_ims_json_type, &cv);
}


/*
 * An internal redirect zeroes module contexts; the context is also kept
 * as the data of a pool cleanup so that the verdict survives it and the
 * body is never judged twice (the realip module does the same).
 */

static ngx_http_ims_ctx_t *
ngx_http_ims_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_ims_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_ims_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_ims_module);
                break;
            }
        }
    }

    return ctx;
}


static ngx_http_ims_ctx_t *
ngx_http_ims_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_ims_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_ims_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_ims_ctx_t));

    ctx->phase_rc = NGX_DECLINED;

    cln->handler = ngx_http_ims_ctx_cleanup;
    ngx_http_set_ctx(r, ctx, ngx_http_ims_module);

    return ctx;
}


static void
ngx_http_ims_ctx_cleanup(void *data)
{
    /* nothing to free: the handler only marks our context */
}


/* the verdict of a judged request */

static ngx_http_ims_verdict_e
ngx_http_ims_verdict(ngx_http_ims_ctx_t *ctx)
{
    if (ctx->rejection == NULL) {
        return NGX_HTTP_IMS_PASS;
    }

    return ctx->monitor ? NGX_HTTP_IMS_WOULD_REJECT : NGX_HTTP_IMS_REJECT;
}


static ngx_int_t
ngx_http_ims_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_int_t            status;
    ngx_str_t           *name;
    const ims_str_t     *type;
    ngx_http_ims_ctx_t  *ctx;

    ctx = ngx_http_ims_get_ctx(r->main);

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    if (ctx == NULL || !ctx->inspected) {
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_IMS_VAR_VERDICT:
        name = &ngx_http_ims_verdict_names[ngx_http_ims_verdict(ctx)];
        v->data = name->data;
        v->len = name->len;
        break;

    case NGX_HTTP_IMS_VAR_MODE:
        name = &ngx_http_ims_mode_names[ctx->monitor];
        v->data = name->data;
        v->len = name->len;
        break;

    case NGX_HTTP_IMS_VAR_OUTCOME:
        /* "verdict/2xx": the status is final in the log phase */
        status = ngx_http_ims_status_class(r);

        if (status == NGX_ERROR) {
            break;
        }

        name = &ngx_http_ims_verdict_names[ngx_http_ims_verdict(ctx)];

        v->data = ngx_pnalloc(r->pool, name->len + sizeof("/2xx") - 1);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(v->data, "%V/%V", name,
                             &ngx_http_ims_status_names[status])
                 - v->data;
        break;

    case NGX_HTTP_IMS_VAR_ERROR_CODE:
        if (ctx->rejection) {
            v->data = (u_char *) ims_code_name(ctx->rejection->code);
            v->len = ngx_strlen(v->data);
        }

        break;

    case NGX_HTTP_IMS_VAR_REASON:
        if (ctx->rejection) {
            v->data = (u_char *) ctx->rejection->detail;
            v->len = ctx->rejection->detail_len;
        }

        break;

    default: /* NGX_HTTP_IMS_VAR_CONTENT_TYPE */
        type = ims_media_type_canonical(ctx->dialect);

        if (type) {
            v->data = (u_char *) type->data;
            v->len = type->len;
        }

        break;
    }

    return NGX_OK;
}


/* preconfiguration: the core's indexes, and the variables */

static ngx_int_t
ngx_http_ims_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    ims_core_init();

    for (v = ngx_http_ims_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                  "ngx_http_ims_module " NGX_HTTP_IMS_VERSION);

    if (ngx_http_ims_metrics_add_zone(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ims_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ims_log_handler;

    return NGX_OK;
}
