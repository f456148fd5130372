
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The configuration of ngx_http_ims_module: the directive handlers, each
 * checking its value so that nginx -t points at the directive's line, and
 * the location configuration's create and merge, which build the core's
 * configurations (docs/rules.md, "Configuration").
 */


#include "ngx_http_ims.h"


static int ngx_http_ims_match(void *data, const ims_uchar_t *p, size_t len);
static int ngx_http_ims_match_name(void *data, const ims_uchar_t *p,
    size_t len);
static ngx_regex_t *ngx_http_ims_regex(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *pattern);


/* the core's matcher over an ims_*_attributes list */

static int
ngx_http_ims_match(void *data, const ims_uchar_t *p, size_t len)
{
    ngx_str_t              s;
    ngx_uint_t             i;
    ngx_array_t           *list;
    ngx_http_ims_match_t  *m;

    list = data;
    m = list->elts;

    s.data = (u_char *) p;
    s.len = len;

    for (i = 0; i < list->nelts; i++) {
        if (m[i].regex) {
            if (ngx_regex_exec(m[i].regex, &s, NULL, 0) >= 0) {
                return 1;
            }

        } else if (m[i].name.len == len
                   && ngx_memcmp(m[i].name.data, p, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static int
ngx_http_ims_match_name(void *data, const ims_uchar_t *p, size_t len)
{
    ngx_str_t  s;

    s.data = (u_char *) p;
    s.len = len;

    return ngx_regex_exec(data, &s, NULL, 0) >= 0;
}


/*
 * ims_gateway on | off | monitor, or a value with variables, evaluated per
 * request (a map, geo or split_clients variable): a literal costs nothing
 * at run time.
 */

char *
ngx_http_ims_set_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_loc_conf_t *ilcf = conf;

    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (ngx_http_script_variables_count(&value[1]) == 0) {
        return ngx_http_ims_set_enum(cf, cmd, conf);
    }

    if (ilcf->mode != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    ilcf->mode_value = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (ilcf->mode_value == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = ilcf->mode_value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ilcf->mode = NGX_HTTP_IMS_VARIABLE;

    return NGX_CONF_OK;
}


/*
 * Like ngx_conf_set_enum_slot(), with an error that names the directive
 * and the values it takes.
 */

char *
ngx_http_ims_set_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char           *p, *last;
    u_char            allowed[128];
    ngx_str_t        *value;
    ngx_uint_t       *field;
    ngx_conf_enum_t  *e;

    field = (ngx_uint_t *) ((char *) conf + cmd->offset);

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    p = allowed;
    last = allowed + sizeof(allowed);

    for (e = cmd->post; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcasecmp(e->name.data, value[1].data) == 0)
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


/* a whole number within the bounds in cmd->post */

char *
ngx_http_ims_set_number(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_int_t              *field, n;
    ngx_str_t              *value;
    ngx_conf_num_bounds_t  *bounds;

    field = (ngx_int_t *) ((char *) conf + cmd->offset);

    if (*field != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    bounds = cmd->post;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < bounds->low || n > bounds->high) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a number from %i to %i, "
                           "not \"%V\"", &cmd->name, bounds->low,
                           bounds->high, &value[1]);
        return NGX_CONF_ERROR;
    }

    *field = n;

    return NGX_CONF_OK;
}


/* name ... | ~pattern ...; repeated directives add to the list */

char *
ngx_http_ims_set_attributes(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t              *value, pattern;
    ngx_uint_t              i, k;
    ngx_array_t           **list;
    ngx_http_ims_match_t   *m, *prev;

    list = (ngx_array_t **) ((char *) conf + cmd->offset);

    if (*list == NULL) {
        *list = ngx_array_create(cf->pool, 4, sizeof(ngx_http_ims_match_t));
        if (*list == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0
            || (value[i].len == 1 && value[i].data[0] == '~'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" takes attribute names or ~patterns, "
                               "not an empty one", &cmd->name);
            return NGX_CONF_ERROR;
        }

        prev = (*list)->elts;

        for (k = 0; k < (*list)->nelts; k++) {
            if (prev[k].name.len == value[i].len
                && ngx_strncmp(prev[k].name.data, value[i].data,
                               value[i].len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" lists \"%V\" twice", &cmd->name,
                                   &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        m = ngx_array_push(*list);
        if (m == NULL) {
            return NGX_CONF_ERROR;
        }

        m->name = value[i];
        m->regex = NULL;

        if (value[i].data[0] == '~') {
            pattern.data = value[i].data + 1;
            pattern.len = value[i].len - 1;

            m->regex = ngx_http_ims_regex(cf, cmd, &pattern);
            if (m->regex == NULL) {
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


/* the name must match the whole pattern */

char *
ngx_http_ims_set_name_pattern(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_loc_conf_t *ilcf = conf;

    u_char     *p;
    ngx_str_t  *value, anchored;

    if (ilcf->name_pattern != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    anchored.len = sizeof("^(?:)\\z") - 1 + value[1].len;
    anchored.data = ngx_pnalloc(cf->pool, anchored.len);
    if (anchored.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(anchored.data, "^(?:", 4);
    p = ngx_cpymem(p, value[1].data, value[1].len);
    ngx_memcpy(p, ")\\z", 3);

    ilcf->name_pattern = ngx_http_ims_regex(cf, cmd, &anchored);

    return ilcf->name_pattern ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/* checked here, so that nginx -t points at the directive's line */

char *
ngx_http_ims_set_forbidden_chars(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char              *rv;
    ngx_str_t         *value;
    ims_patch_conf_t   check;

    rv = ngx_conf_set_str_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;

    if (ims_patch_conf_set_forbidden(&check, value[1].data, value[1].len)
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be at most %d characters of UTF-8",
                           &cmd->name, IMS_FORBIDDEN_MAX);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a path such as "/image", or "off"; checked here for nginx -t */

char *
ngx_http_ims_set_api_prefix(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_loc_conf_t *ilcf = conf;

    ngx_str_t         *value;
    ims_route_conf_t   check;

    if (ilcf->api_prefix.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        ngx_str_set(&ilcf->api_prefix, "");
        return NGX_CONF_OK;
    }

    if (value[1].data[0] != '/'
        || ims_route_conf_set_prefix(&check, value[1].data, value[1].len)
           != 0
        || check.prefix.len == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be \"off\" or a path such as "
                           "\"/image\" (plain segments, no \".\", \"..\", "
                           "\"%%\", \"?\" or \"#\"), not \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    ilcf->api_prefix = value[1];

    return NGX_CONF_OK;
}


/*
 * Compiled once, at configuration time, in UTF mode: the names and values
 * it is matched against are valid UTF-8 by then.
 */

static ngx_regex_t *
ngx_http_ims_regex(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *pattern)
{
    u_char               *p;
    ngx_regex_compile_t   rc;
    u_char                errstr[NGX_MAX_CONF_ERRSTR];

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern.len = sizeof("(*UTF)") - 1 + pattern->len;
    /* NUL-terminated: ngx_regex_compile() prints the rest with %s */
    rc.pattern.data = ngx_pnalloc(cf->pool, rc.pattern.len + 1);
    if (rc.pattern.data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(rc.pattern.data, "(*UTF)", sizeof("(*UTF)") - 1);
    p = ngx_cpymem(p, pattern->data, pattern->len);
    *p = '\0';

    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" has an invalid pattern: %V",
                           &cmd->name, &rc.err);
        return NULL;
    }

    return rc.regex;
}


void *
ngx_http_ims_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ims_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ims_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->description_forbidden = { 0, NULL };
     *     conf->api_prefix = { 0, NULL };
     *     conf->mode_value = NULL;
     *     conf->system_attributes = NULL;
     *     conf->editable_attributes = NULL;
     *     conf->route, conf->patch and conf->query: set at merge time
     */

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->query_unknown = NGX_CONF_UNSET_UINT;
    conf->log_level = NGX_CONF_UNSET_UINT;
    conf->forbidden_status = NGX_CONF_UNSET_UINT;
    conf->json_reader = NGX_CONF_UNSET_UINT;
    conf->max_depth = NGX_CONF_UNSET;
    conf->max_operations = NGX_CONF_UNSET;
    conf->name_max_length = NGX_CONF_UNSET;
    conf->description_max_length = NGX_CONF_UNSET;
    conf->name_pattern = NGX_CONF_UNSET_PTR;

    return conf;
}


char *
ngx_http_ims_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ims_loc_conf_t  *prev = parent;
    ngx_http_ims_loc_conf_t  *conf = child;

    ims_patch_conf_t  *patch;

    if (conf->mode == NGX_CONF_UNSET_UINT) {
        conf->mode = (prev->mode == NGX_CONF_UNSET_UINT) ? NGX_HTTP_IMS_OFF
                                                         : prev->mode;
        conf->mode_value = prev->mode_value;
    }
    ngx_conf_merge_uint_value(conf->query_unknown, prev->query_unknown, 0);
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level,
                              NGX_LOG_INFO);
    ngx_conf_merge_uint_value(conf->forbidden_status, prev->forbidden_status,
                              NGX_HTTP_BAD_REQUEST);
    ngx_conf_merge_uint_value(conf->json_reader, prev->json_reader,
                              NGX_HTTP_IMS_READER_STREAM);
    ngx_conf_merge_value(conf->max_depth, prev->max_depth,
                         IMS_DEFAULT_MAX_DEPTH);
    ngx_conf_merge_value(conf->max_operations, prev->max_operations,
                         IMS_DEFAULT_MAX_OPS);
    ngx_conf_merge_value(conf->name_max_length, prev->name_max_length,
                         IMS_DEFAULT_IMAGE_NAME_MAX_CHARS);
    ngx_conf_merge_value(conf->description_max_length,
                         prev->description_max_length,
                         IMS_DEFAULT_DESCRIPTION_MAX_CHARS);
    ngx_conf_merge_str_value(conf->description_forbidden,
                             prev->description_forbidden,
                             IMS_DEFAULT_DESCRIPTION_FORBIDDEN);
    ngx_conf_merge_ptr_value(conf->name_pattern, prev->name_pattern, NULL);
    ngx_conf_merge_str_value(conf->api_prefix, prev->api_prefix, "");

    /* checked by ngx_http_ims_set_api_prefix() */
    (void) ims_route_conf_set_prefix(&conf->route, conf->api_prefix.data,
                                     conf->api_prefix.len);

    if (conf->system_attributes == NULL) {
        conf->system_attributes = prev->system_attributes;
    }

    if (conf->editable_attributes == NULL) {
        conf->editable_attributes = prev->editable_attributes;
    }

    patch = &conf->patch;
    ims_patch_conf_init(patch);

    patch->max_depth = conf->max_depth;
    patch->max_ops = conf->max_operations;
    patch->name_max_chars = conf->name_max_length;
    patch->description_max_chars = conf->description_max_length;
    patch->forbidden_status = conf->forbidden_status;

    /* checked by ngx_http_ims_set_forbidden_chars() */
    (void) ims_patch_conf_set_forbidden(patch,
                                        conf->description_forbidden.data,
                                        conf->description_forbidden.len);

    if (conf->system_attributes) {
        patch->is_system = ngx_http_ims_match;
        patch->is_system_data = conf->system_attributes;
    }

    if (conf->editable_attributes) {
        patch->is_editable = ngx_http_ims_match;
        patch->is_editable_data = conf->editable_attributes;
    }

    if (conf->name_pattern) {
        patch->name_pattern = ngx_http_ims_match_name;
        patch->name_pattern_data = conf->name_pattern;
    }

    ims_query_conf_init(&conf->query);
    conf->query.reject_unknown = conf->query_unknown;

    return NGX_CONF_OK;
}
