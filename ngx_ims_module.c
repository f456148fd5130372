
/*
 * ngx_ims_module: the nginx glue of the IMS policy gateway.
 *
 * Directives, the precontent phase handler, body collection, the
 * Content-Type rewrite and the IMS error response live here; every rule
 * lives in the validation core (src/ims_*.c), which knows nothing of nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ims.h"


#define NGX_HTTP_IMS_OFF      0
#define NGX_HTTP_IMS_ENFORCE  1


typedef enum {
    NGX_HTTP_IMS_ROUTE_NONE = 0,
    NGX_HTTP_IMS_ROUTE_PATCH,
    NGX_HTTP_IMS_ROUTE_QUERY
} ngx_http_ims_route_e;


typedef struct {
    ngx_uint_t           mode;
    ngx_uint_t           query_unknown;
    ims_patch_conf_t     patch;
    ims_query_conf_t     query;
} ngx_http_ims_loc_conf_t;


typedef struct {
    ngx_int_t            phase_rc;      /* what the phase handler returns */
    ims_dialect_t        dialect;
    ims_verdict_t        verdict;
} ngx_http_ims_ctx_t;


static ngx_int_t ngx_http_ims_handler(ngx_http_request_t *r);
static ngx_http_ims_route_e ngx_http_ims_route(ngx_http_request_t *r,
    ngx_str_t *image_id);
static ngx_int_t ngx_http_ims_query(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx, ngx_http_ims_loc_conf_t *ilcf);
static ngx_int_t ngx_http_ims_content_type(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx);
static void ngx_http_ims_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_body(ngx_http_request_t *r, u_char **data,
    size_t *len);
static ngx_int_t ngx_http_ims_reject(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx);
static ngx_int_t ngx_http_ims_send_error(ngx_http_request_t *r,
    ngx_http_ims_ctx_t *ctx);
static ngx_http_ims_ctx_t *ngx_http_ims_get_ctx(ngx_http_request_t *r);
static ngx_http_ims_ctx_t *ngx_http_ims_create_ctx(ngx_http_request_t *r);
static void ngx_http_ims_ctx_cleanup(void *data);

static char *ngx_http_ims_set_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_ims_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ims_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_ims_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_ims_modes[] = {
    { ngx_string("off"), NGX_HTTP_IMS_OFF },
    { ngx_string("on"), NGX_HTTP_IMS_ENFORCE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_ims_query_unknown[] = {
    { ngx_string("pass"), 0 },
    { ngx_string("reject"), 1 },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_ims_commands[] = {

    { ngx_string("ims_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, mode),
      &ngx_http_ims_modes },

    { ngx_string("ims_query_unknown"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_loc_conf_t, query_unknown),
      &ngx_http_ims_query_unknown },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ims_module_ctx = {
    NULL,                                  /* preconfiguration */
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


static ngx_str_t  ngx_http_ims_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_ims_accept_patch = ngx_string("Accept-Patch");


/*
 * Runs in the precontent phase: after every access check, so that bodies
 * of denied clients are never read, and before the content handler.
 * The ownership of the request follows nginx's mirror module: while the
 * body is read the handler returns NGX_DONE; the body handler stores the
 * verdict and reruns the phases, which re-enter here.
 */

static ngx_int_t
ngx_http_ims_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 image_id;
    ngx_http_ims_ctx_t       *ctx;
    ngx_http_ims_route_e      route;
    ngx_http_ims_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_module);

    if (ilcf->mode == NGX_HTTP_IMS_OFF || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_ims_get_ctx(r);

    if (ctx != NULL) {
        return ctx->verdict.status ? ngx_http_ims_reject(r, ctx)
                                   : ctx->phase_rc;
    }

    route = ngx_http_ims_route(r, &image_id);

    if (route == NGX_HTTP_IMS_ROUTE_NONE) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_ims_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (route == NGX_HTTP_IMS_ROUTE_QUERY) {
        if (ngx_http_ims_query(r, ctx, ilcf) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (!ims_uuid_is_canonical(image_id.data, image_id.len)) {
        ims_reject(&ctx->verdict, NGX_HTTP_BAD_REQUEST, IMS_IMG_0066,
                   "The image ID in the path must be a canonical UUID.");

    } else {
        (void) ngx_http_ims_content_type(r, ctx);
    }

    if (ctx->verdict.status) {
        /* decided before the body: the response discards it */
        return ngx_http_ims_reject(r, ctx);
    }

    if (route == NGX_HTTP_IMS_ROUTE_QUERY) {
        return NGX_DECLINED;
    }

    ctx->phase_rc = NGX_DONE;

    rc = ngx_http_read_client_request_body(r, ngx_http_ims_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * Routes are matched on the normalized URI, as the backend decodes the
 * path too: PATCH /v2/images/{image_id} and GET or HEAD /v2/cloudimages.
 */

static ngx_http_ims_route_e
ngx_http_ims_route(ngx_http_request_t *r, ngx_str_t *image_id)
{
    static const u_char  images[] = "/v2/images/";
    static const u_char  cloudimages[] = "/v2/cloudimages";

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (r->uri.len == sizeof(cloudimages) - 1
            && ngx_strncmp(r->uri.data, cloudimages, r->uri.len) == 0)
        {
            return NGX_HTTP_IMS_ROUTE_QUERY;
        }

        return NGX_HTTP_IMS_ROUTE_NONE;
    }

    if (r->method != NGX_HTTP_PATCH
        || r->uri.len <= sizeof(images) - 1
        || ngx_strncmp(r->uri.data, images, sizeof(images) - 1) != 0)
    {
        return NGX_HTTP_IMS_ROUTE_NONE;
    }

    image_id->data = r->uri.data + sizeof(images) - 1;
    image_id->len = r->uri.len - (sizeof(images) - 1);

    if (ngx_strlchr(image_id->data, image_id->data + image_id->len, '/')) {
        return NGX_HTTP_IMS_ROUTE_NONE;
    }

    return NGX_HTTP_IMS_ROUTE_PATCH;
}


/* the raw query string is judged; on success it is forwarded unchanged */

static ngx_int_t
ngx_http_ims_query(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx,
    ngx_http_ims_loc_conf_t *ilcf)
{
    u_char  *scratch;

    if (r->args.len == 0) {
        return NGX_OK;
    }

    scratch = ngx_pnalloc(r->pool, r->args.len);
    if (scratch == NULL) {
        return NGX_ERROR;
    }

    ims_query_validate(&ilcf->query, r->args.data, r->args.len, scratch,
                       &ctx->verdict);

    return NGX_OK;
}


/*
 * Exactly one Content-Type header, one of the two patch media types.
 * nginx keeps only the first header in headers_in.content_type, and the
 * proxy would forward a second one as is, so the whole list is walked.
 */

static ngx_int_t
ngx_http_ims_content_type(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx)
{
    char              show[64];
    unsigned          changes;
    ngx_uint_t        i, n;
    const char       *why;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
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

        if (h[i].key.len == sizeof("Content-Type") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Type",
                               sizeof("Content-Type") - 1) == 0)
        {
            n++;
        }
    }

    if (n != 1 || r->headers_in.content_type == NULL) {
        return ims_reject(&ctx->verdict, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          IMS_IMG_0001,
                          n ? "Send exactly one Content-Type header."
                            : "A Content-Type header is required.");
    }

    h = r->headers_in.content_type;

    ctx->dialect = ims_media_type_parse(h->value.data, h->value.len,
                                        &changes, &why);

    if (ctx->dialect == IMS_PATCH_NONE) {
        ims_escape(show, sizeof(show), h->value.data, h->value.len);

        return ims_reject(&ctx->verdict, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          IMS_IMG_0001, "Content-Type '%s': %s.", show,
                          why);
    }

    return 0;
}


static void
ngx_http_ims_body_handler(ngx_http_request_t *r)
{
    size_t                    len;
    u_char                   *data;
    const char               *type;
    ngx_table_elt_t          *h;
    ngx_http_ims_ctx_t       *ctx;
    ngx_http_ims_loc_conf_t  *ilcf;

    ctx = ngx_http_ims_get_ctx(r);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_module);

    if (ngx_http_ims_body(r, &data, &len) != NGX_OK) {
        ctx->phase_rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else {
        ims_patch_validate(ctx->dialect, data, len, &ilcf->patch,
                           &ctx->verdict);

        if (ctx->verdict.status == 0) {
            /* the backend compares the raw string: send the canonical one */
            type = ims_media_type_canonical(ctx->dialect);
            h = r->headers_in.content_type;
            h->value.data = (u_char *) type;
            h->value.len = ngx_strlen(type);
            ctx->phase_rc = NGX_DECLINED;
        }
    }

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/*
 * The body as one buffer.  A body in a single memory buffer (the common
 * case) is used in place; a body in several buffers or in a temporary file
 * is copied once into the request pool, which nginx bounds by
 * client_max_body_size.
 */

static ngx_int_t
ngx_http_ims_body(ngx_http_request_t *r, u_char **data, size_t *len)
{
    off_t         total;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *data = (u_char *) "";
    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && ngx_buf_in_memory(cl->buf)) {
        *data = cl->buf->pos;
        *len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    total = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        total += ngx_buf_size(cl->buf);
    }

    p = ngx_pnalloc(r->pool, total + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *data = p;
    *len = total;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file) {
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

    return NGX_OK;
}


/*
 * The rejection is sent as a normal response, which keeps the connection
 * alive (nginx's special 400 page would close it) and discards a body that
 * was not read; returning NGX_DONE stops the phase engine.
 */

static ngx_int_t
ngx_http_ims_reject(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx)
{
    ngx_http_finalize_request(r, ngx_http_ims_send_error(r, ctx));

    return NGX_DONE;
}


static ngx_int_t
ngx_http_ims_send_error(ngx_http_request_t *r, ngx_http_ims_ctx_t *ctx)
{
    size_t                     len;
    u_char                    *body;
    ngx_table_elt_t           *h;
    ngx_http_complex_value_t   cv;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ims: rejected with %i %s: %s", ctx->verdict.status,
                  ims_code_name(ctx->verdict.code), ctx->verdict.detail);

    len = ims_error_body_size(&ctx->verdict);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));
    cv.value.data = body;
    cv.value.len = ims_error_body(&ctx->verdict, body);

    if (ctx->verdict.status == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        h->key = ngx_http_ims_accept_patch;
        h->value.data = (u_char *) ims_accept_patch;
        h->value.len = ngx_strlen(ims_accept_patch);
    }

    return ngx_http_send_response(r, ctx->verdict.status,
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
    ims_verdict_pass(&ctx->verdict);

    cln->handler = ngx_http_ims_ctx_cleanup;
    ngx_http_set_ctx(r, ctx, ngx_http_ims_module);

    return ctx;
}


static void
ngx_http_ims_ctx_cleanup(void *data)
{
    /* nothing to free: the handler only marks our context */
}


/*
 * Like ngx_conf_set_enum_slot(), with an error that names the directive
 * and the values it takes.
 */

static char *
ngx_http_ims_set_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_uint_t       *field;
    u_char           *p, *last;
    ngx_str_t        *value;
    ngx_conf_enum_t  *e;
    u_char            allowed[128];

    field = (ngx_uint_t *) ((char *) conf + cmd->offset);

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    p = allowed;
    last = allowed + sizeof(allowed);

    for (e = cmd->post; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcmp(e->name.data, value[1].data) == 0)
        {
            *field = e->value;
            return NGX_CONF_OK;
        }

        p = ngx_slprintf(p, last, "%s\"%V\"",
                         (e == cmd->post) ? "" : (e[1].name.len ? ", "
                                                                 : " or "),
                         &e->name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" must be %*s, not \"%V\"",
                       &cmd->name, p - allowed, allowed, &value[1]);

    return NGX_CONF_ERROR;
}


static void *
ngx_http_ims_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ims_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ims_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->query_unknown = NGX_CONF_UNSET_UINT;
    conf->patch.max_depth = NGX_CONF_UNSET_SIZE;
    conf->patch.max_ops = NGX_CONF_UNSET_SIZE;

    return conf;
}


static char *
ngx_http_ims_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ims_loc_conf_t  *prev = parent;
    ngx_http_ims_loc_conf_t  *conf = child;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_IMS_OFF);
    ngx_conf_merge_uint_value(conf->query_unknown, prev->query_unknown, 0);
    conf->query.reject_unknown = conf->query_unknown;
    ngx_conf_merge_size_value(conf->patch.max_depth, prev->patch.max_depth,
                              IMS_DEFAULT_MAX_DEPTH);
    ngx_conf_merge_size_value(conf->patch.max_ops, prev->patch.max_ops,
                              IMS_DEFAULT_MAX_OPS);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ims_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ims_handler;

    return NGX_OK;
}
