
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Prometheus counters of the gateway, aggregated across worker processes
 * in shared memory, and the "ims_metrics" handler that exposes them.
 */


#include "ngx_http_ims.h"


typedef struct {
    ngx_atomic_t  requests[IMS_ROUTE_COUNT][NGX_HTTP_IMS_VERDICTS];
    ngx_atomic_t  rejections[IMS_CODE_COUNT][NGX_HTTP_IMS_VERDICTS];
    ngx_atomic_t  content_types[NGX_HTTP_IMS_TYPE_CLASSES];
    ngx_atomic_t  body_bytes;

    /* by route, mode (on, monitor), verdict and final status class */
    ngx_atomic_t  outcomes[IMS_ROUTE_COUNT][2][NGX_HTTP_IMS_VERDICTS]
                          [NGX_HTTP_IMS_STATUS_CLASSES];
} ngx_http_ims_counters_t;


static ngx_int_t ngx_http_ims_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_ims_metrics_handler(ngx_http_request_t *r);


/*
 * Set in the master before the workers are forked; a reload reuses the
 * zone, so the counters survive it.
 */
static ngx_http_ims_counters_t  *ngx_http_ims_counters;


static ngx_str_t  ngx_http_ims_zone_name = ngx_string("ims_metrics");

static const char  *ngx_http_ims_route_names[] = {
    "patch", "query", "other"
};
static const char  *ngx_http_ims_type_names[] = {
    "canonical", "case", "parameters", "whitespace"
};


ngx_int_t
ngx_http_ims_metrics_add_zone(ngx_conf_t *cf)
{
    ngx_shm_zone_t  *shm_zone;

    shm_zone = ngx_shared_memory_add(cf, &ngx_http_ims_zone_name,
                                     8 * ngx_pagesize, &ngx_http_ims_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_ims_metrics_init_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        shm_zone->data = data;
        ngx_http_ims_counters = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_ims_counters = shpool->data;
        return NGX_OK;
    }

    ngx_http_ims_counters = ngx_slab_calloc(shpool,
                                            sizeof(ngx_http_ims_counters_t));
    if (ngx_http_ims_counters == NULL) {
        return NGX_ERROR;
    }

    shpool->data = ngx_http_ims_counters;
    shm_zone->data = ngx_http_ims_counters;

    return NGX_OK;
}


void
ngx_http_ims_count_request(ims_route_t route,
    ngx_http_ims_verdict_e verdict, ims_code_t code)
{
    ngx_http_ims_counters_t  *c;

    c = ngx_http_ims_counters;

    (void) ngx_atomic_fetch_add(&c->requests[route][verdict], 1);

    if (verdict != NGX_HTTP_IMS_PASS) {
        (void) ngx_atomic_fetch_add(&c->rejections[code][verdict], 1);
    }
}


void
ngx_http_ims_count_outcome(ims_route_t route, ngx_uint_t monitor,
    ngx_http_ims_verdict_e verdict, ngx_http_ims_status_class_e status)
{
    (void) ngx_atomic_fetch_add(
              &ngx_http_ims_counters->outcomes[route][monitor][verdict][status],
              1);
}


void
ngx_http_ims_count_content_type(unsigned changes)
{
    ngx_http_ims_counters_t  *c;

    c = ngx_http_ims_counters;

    if (changes == 0) {
        (void) ngx_atomic_fetch_add(
                               &c->content_types[NGX_HTTP_IMS_TYPE_CANONICAL],
                               1);
        return;
    }

    if (changes & IMS_MEDIA_CASE) {
        (void) ngx_atomic_fetch_add(
                                    &c->content_types[NGX_HTTP_IMS_TYPE_CASE],
                                    1);
    }

    if (changes & IMS_MEDIA_PARAMETERS) {
        (void) ngx_atomic_fetch_add(
                              &c->content_types[NGX_HTTP_IMS_TYPE_PARAMETERS],
                              1);
    }

    if (changes & IMS_MEDIA_WHITESPACE) {
        (void) ngx_atomic_fetch_add(
                              &c->content_types[NGX_HTTP_IMS_TYPE_WHITESPACE],
                              1);
    }
}


void
ngx_http_ims_count_body(size_t len)
{
    (void) ngx_atomic_fetch_add(&ngx_http_ims_counters->body_bytes, len);
}


char *
ngx_http_ims_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_ims_metrics_handler;

    return NGX_CONF_OK;
}


#define NGX_HTTP_IMS_METRICS_MAX  16384


/* the Prometheus text exposition format, version 0.0.4 */

static ngx_int_t
ngx_http_ims_metrics_handler(ngx_http_request_t *r)
{
    u_char                   *p, *last;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_uint_t                i, k, m, n;
    ngx_chain_t               out;
    ngx_http_ims_counters_t  *c;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_IMS_METRICS_MAX);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    c = ngx_http_ims_counters;
    p = b->last;
    last = b->end;

    p = ngx_slprintf(p, last,
            "# HELP ims_requests_total Requests inspected by the IMS "
            "gateway, by route and verdict.\n"
            "# TYPE ims_requests_total counter\n");

    for (i = 0; i < IMS_ROUTE_COUNT; i++) {
        for (k = 0; k < NGX_HTTP_IMS_VERDICTS; k++) {
            p = ngx_slprintf(p, last,
                    "ims_requests_total{route=\"%s\",verdict=\"%s\"} %uA\n",
                    ngx_http_ims_route_names[i],
                    ngx_http_ims_verdict_names[k].data, c->requests[i][k]);
        }
    }

    p = ngx_slprintf(p, last,
            "# HELP ims_rejections_total Rejections (or, in monitor mode, "
            "would-be rejections) by IMS error code.\n"
            "# TYPE ims_rejections_total counter\n");

    for (i = IMS_OK + 1; i < IMS_CODE_COUNT; i++) {
        for (k = NGX_HTTP_IMS_REJECT; k < NGX_HTTP_IMS_VERDICTS; k++) {
            p = ngx_slprintf(p, last,
                    "ims_rejections_total{code=\"%s\",verdict=\"%s\"} %uA\n",
                    ims_code_name(i), ngx_http_ims_verdict_names[k].data,
                    c->rejections[i][k]);
        }
    }

    p = ngx_slprintf(p, last,
            "# HELP ims_content_types_total PATCH Content-Types accepted by "
            "the Content-Type gate, by what normalizing them changed.\n"
            "# TYPE ims_content_types_total counter\n");

    for (i = 0; i < NGX_HTTP_IMS_TYPE_CLASSES; i++) {
        p = ngx_slprintf(p, last,
                         "ims_content_types_total{variant=\"%s\"} %uA\n",
                         ngx_http_ims_type_names[i], c->content_types[i]);
    }

    /*
     * Only the combinations that can happen: a monitor never rejects, an
     * enforcing gateway never "would reject", and its rejections are 4xx.
     */

    p = ngx_slprintf(p, last,
            "# HELP ims_upstream_responses_total Judged requests by route, "
            "mode, verdict and the class of the final status.\n"
            "# TYPE ims_upstream_responses_total counter\n");

    for (i = 0; i < IMS_ROUTE_COUNT; i++) {
        for (m = 0; m < 2; m++) {
            for (k = 0; k < NGX_HTTP_IMS_VERDICTS; k++) {
                for (n = 0; n < NGX_HTTP_IMS_STATUS_CLASSES; n++) {

                    if ((k == NGX_HTTP_IMS_WOULD_REJECT && !m)
                        || (k == NGX_HTTP_IMS_REJECT
                            && (m || n != NGX_HTTP_IMS_STATUS_4XX)))
                    {
                        continue;
                    }

                    p = ngx_slprintf(p, last,
                            "ims_upstream_responses_total{route=\"%s\","
                            "mode=\"%s\",verdict=\"%V\",status=\"%V\"} "
                            "%uA\n",
                            ngx_http_ims_route_names[i],
                            m ? "monitor" : "on",
                            &ngx_http_ims_verdict_names[k],
                            &ngx_http_ims_status_names[n],
                            c->outcomes[i][m][k][n]);
                }
            }
        }
    }

    p = ngx_slprintf(p, last,
            "# HELP ims_body_inspected_bytes_total Bytes of PATCH bodies "
            "inspected.\n"
            "# TYPE ims_body_inspected_bytes_total counter\n"
            "ims_body_inspected_bytes_total %uA\n"
            "# HELP ims_build_info The version of the IMS gateway module.\n"
            "# TYPE ims_build_info gauge\n"
            "ims_build_info{version=\"" NGX_HTTP_IMS_VERSION "\"} 1\n",
            c->body_bytes);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
