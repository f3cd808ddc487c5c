
/*
 * ngx_http_warden_module: Warden, the constant-time authorization gate, in nginx's access
 * phase through Warden's C ABI (ffi/include/warden.h, libwarden_ffi.a).
 *
 * The compiled policy, the keys file and the bundle verify key are read at configuration
 * time (by the master, before workers drop privileges); each distinct (policy, keys, verify
 * key) set is loaded once into memory from the configuration pool and shared by every worker.
 * A request is decided from its raw target ($request_uri), all its headers, the client
 * address and nginx's clock; the answers follow SPEC section 11.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <warden.h>


#define NGX_HTTP_WARDEN_POLICY        0
#define NGX_HTTP_WARDEN_KEYS          1
#define NGX_HTTP_WARDEN_VERIFY_KEY    2

#define NGX_HTTP_WARDEN_MAX_POLICY    (16 * 1024 * 1024)
#define NGX_HTTP_WARDEN_MAX_KEYS_FILE (1024 * 1024)

/* challenges (at most 4) and the four CORS headers of a 401/403 */
#define NGX_HTTP_WARDEN_MAX_DENIAL    8

/* more headers than the C ABI takes: Request Header Fields Too Large (RFC 6585) */
#define NGX_HTTP_WARDEN_TOO_MANY_HEADERS  431


/* A file named by warden_policy, warden_keys or warden_verify_key, read once per
 * configuration. Keys and verify keys are decoded; their bytes are wiped once the engines are
 * loaded (postconfiguration) and again when the configuration is freed. */
typedef struct {
    ngx_uint_t                    type;
    ngx_str_t                     name;
    ngx_str_t                     data;      /* blob, decoded secrets or verify key */
    warden_key                   *keys;
    ngx_uint_t                    nkeys;
    u_char                       *conf_file; /* where the directive stands */
    ngx_uint_t                    conf_line;
} ngx_http_warden_file_t;


/* One loaded engine: the policy with its keyring and verify key. */
typedef struct {
    ngx_http_warden_file_t       *policy;
    ngx_http_warden_file_t       *keys;
    ngx_http_warden_file_t       *verify_key;
    warden_engine                *engine;
} ngx_http_warden_engine_t;


typedef struct {
    ngx_array_t                   files;     /* ngx_http_warden_file_t * */
    ngx_array_t                   engines;   /* ngx_http_warden_engine_t * */
} ngx_http_warden_main_conf_t;


typedef struct {
    ngx_flag_t                    enable;
    ngx_flag_t                    identity_headers;
    ngx_http_warden_file_t       *policy;
    ngx_http_warden_file_t       *keys;
    ngx_http_warden_file_t       *verify_key;
    ngx_array_t                  *trusted_proxies;   /* ngx_cidr_t */
    ngx_http_warden_engine_t     *engine;
    u_char                       *enable_file;       /* where "warden on" stands */
    ngx_uint_t                    enable_line;
} ngx_http_warden_loc_conf_t;


/* The decision of a request, for the header filter and the variables. */
typedef struct {
    warden_decision               decision;
    ngx_uint_t                    kind;
    ngx_uint_t                    status;
    ngx_table_elt_t              *denial[NGX_HTTP_WARDEN_MAX_DENIAL];
    ngx_uint_t                    ndenial;
    unsigned                      cors:1;
} ngx_http_warden_ctx_t;


typedef warden_result (*ngx_http_warden_text_pt)(const warden_decision *d,
    char *buf, size_t buf_len, size_t *out_len);


static ngx_int_t ngx_http_warden_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_warden_evaluate(ngx_http_request_t *r,
    ngx_http_warden_loc_conf_t *wlcf, ngx_http_warden_ctx_t *ctx);
static ngx_int_t ngx_http_warden_client_ip(ngx_http_request_t *r,
    ngx_http_warden_loc_conf_t *wlcf, warden_request *req);
static ngx_int_t ngx_http_warden_parse_ip(u_char *p, size_t len,
    warden_request *req);
static ngx_int_t ngx_http_warden_trusted(ngx_array_t *proxies,
    warden_request *req);
static ngx_int_t ngx_http_warden_allow(ngx_http_request_t *r,
    ngx_http_warden_loc_conf_t *wlcf, ngx_http_warden_ctx_t *ctx);
static ngx_int_t ngx_http_warden_preflight(ngx_http_request_t *r,
    ngx_http_warden_ctx_t *ctx);
static ngx_int_t ngx_http_warden_deny(ngx_http_request_t *r,
    ngx_http_warden_ctx_t *ctx);
static ngx_int_t ngx_http_warden_cors_origin(ngx_http_request_t *r,
    ngx_list_t *headers, ngx_http_warden_ctx_t *ctx, ngx_uint_t deny);
static ngx_int_t ngx_http_warden_strip_identity(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_warden_push(ngx_http_request_t *r,
    ngx_list_t *list, char *key, u_char *lowcase, ngx_str_t *value);
static ngx_int_t ngx_http_warden_text(ngx_http_request_t *r,
    const warden_decision *d, ngx_http_warden_text_pt get, ngx_str_t *out);
static ngx_int_t ngx_http_warden_header_filter(ngx_http_request_t *r);
static void ngx_http_warden_hide(ngx_list_t *headers, char *lowcase,
    size_t len);

static ngx_int_t ngx_http_warden_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_warden_add_variables(ngx_conf_t *cf);
static void *ngx_http_warden_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_warden_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_warden_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_warden_init(ngx_conf_t *cf);

static char *ngx_http_warden_enable(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_warden_set_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_warden_trusted_proxies(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_http_warden_file_t *ngx_http_warden_read(ngx_conf_t *cf,
    ngx_uint_t type, ngx_str_t *name);
static ngx_int_t ngx_http_warden_read_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_pool_t *pool, size_t max, ngx_uint_t secret, ngx_str_t *out);
static ngx_int_t ngx_http_warden_parse_keys(ngx_conf_t *cf,
    ngx_http_warden_file_t *file, ngx_str_t *text);
static ngx_int_t ngx_http_warden_keys_table(ngx_conf_t *cf,
    ngx_http_warden_file_t *file, ngx_uint_t line, ngx_str_t *id,
    ngx_str_t *hex, ngx_str_t *b64, u_char **out);
static ngx_int_t ngx_http_warden_parse_verify_key(ngx_conf_t *cf,
    ngx_http_warden_file_t *file, ngx_str_t *text);
static ngx_int_t ngx_http_warden_decode_hex(ngx_str_t *src, u_char *dst,
    size_t *len);
static ngx_int_t ngx_http_warden_decode_b64(ngx_str_t *src, u_char *dst,
    size_t *len);
static ngx_http_warden_engine_t *ngx_http_warden_engine(ngx_conf_t *cf,
    ngx_http_warden_loc_conf_t *conf);
static void ngx_http_warden_clear_engine(void *data);
static void ngx_http_warden_wipe(void *data);


static ngx_command_t  ngx_http_warden_commands[] = {

    { ngx_string("warden"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_warden_enable,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_warden_loc_conf_t, enable),
      NULL },

    { ngx_string("warden_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_warden_set_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_warden_loc_conf_t, policy),
      NULL },

    { ngx_string("warden_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_warden_set_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_warden_loc_conf_t, keys),
      NULL },

    { ngx_string("warden_verify_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_warden_set_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_warden_loc_conf_t, verify_key),
      NULL },

    { ngx_string("warden_trusted_proxies"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_warden_trusted_proxies,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("warden_identity_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_warden_loc_conf_t, identity_headers),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_warden_module_ctx = {
    ngx_http_warden_add_variables,         /* preconfiguration */
    ngx_http_warden_init,                  /* postconfiguration */

    ngx_http_warden_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_warden_create_loc_conf,       /* create location configuration */
    ngx_http_warden_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_warden_module = {
    NGX_MODULE_V1,
    &ngx_http_warden_module_ctx,           /* module context */
    ngx_http_warden_commands,              /* module directives */
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


#define NGX_HTTP_WARDEN_VAR_DECISION  0
#define NGX_HTTP_WARDEN_VAR_STATUS    1
#define NGX_HTTP_WARDEN_VAR_REASON    2
#define NGX_HTTP_WARDEN_VAR_RULE      3
#define NGX_HTTP_WARDEN_VAR_SUBJECT   4


static ngx_http_variable_t  ngx_http_warden_vars[] = {

    { ngx_string("warden_decision"), NULL, ngx_http_warden_variable,
      NGX_HTTP_WARDEN_VAR_DECISION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("warden_status"), NULL, ngx_http_warden_variable,
      NGX_HTTP_WARDEN_VAR_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("warden_reason"), NULL, ngx_http_warden_variable,
      NGX_HTTP_WARDEN_VAR_REASON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("warden_rule"), NULL, ngx_http_warden_variable,
      NGX_HTTP_WARDEN_VAR_RULE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("warden_subject"), NULL, ngx_http_warden_variable,
      NGX_HTTP_WARDEN_VAR_SUBJECT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


static ngx_str_t  ngx_http_warden_kind_names[] = {
    ngx_null_string,
    ngx_string("allow"),
    ngx_string("unauthorized"),
    ngx_string("forbidden")
};


static ngx_int_t
ngx_http_warden_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_warden_ctx_t       *ctx;
    ngx_http_warden_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_warden_module);

    /* identity headers come from Warden only, whatever the decision (satisfy any may let
     * the request through without one) */

    if (wlcf->identity_headers == 1
        && ngx_http_warden_strip_identity(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (wlcf->enable != 1) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_warden_module);

    if (ctx == NULL) {
        ctx = ngx_palloc(r->pool, sizeof(ngx_http_warden_ctx_t));
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->kind = 0;
        ctx->status = 0;
        ctx->ndenial = 0;
        ctx->cors = 0;

        rc = ngx_http_warden_evaluate(r, wlcf, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_warden_module);

    } else if (ctx->kind == WARDEN_KIND_ALLOW) {
        /* already answered in this location */
        return NGX_OK;

    } else {
        return ctx->status;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "warden: decision %ui, reason %uD", ctx->kind,
                   warden_decision_reason(&ctx->decision));

    switch (ctx->kind) {

    case WARDEN_KIND_ALLOW:
        if (warden_decision_reason(&ctx->decision) == WARDEN_REASON_PREFLIGHT) {
            return ngx_http_warden_preflight(r, ctx);
        }

        return ngx_http_warden_allow(r, wlcf, ctx);

    case WARDEN_KIND_UNAUTHORIZED:
    case WARDEN_KIND_FORBIDDEN:
        return ngx_http_warden_deny(r, ctx);

    default:
        /* unreachable: evaluate succeeded; fail closed all the same */
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


static ngx_int_t
ngx_http_warden_evaluate(ngx_http_request_t *r,
    ngx_http_warden_loc_conf_t *wlcf, ngx_http_warden_ctx_t *ctx)
{
    ngx_int_t         rc;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    warden_result     wr;
    warden_header     headers[WARDEN_MAX_HEADERS];
    warden_request    req;

    /* every header, repeated ones included: a second Origin or API key must be seen */

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 0) {
            continue;
        }

        if (n == WARDEN_MAX_HEADERS) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "warden: more than %d request headers",
                          WARDEN_MAX_HEADERS);
            return NGX_HTTP_WARDEN_TOO_MANY_HEADERS;
        }

        headers[n].name = (const char *) h[i].key.data;
        headers[n].name_len = h[i].key.len;
        headers[n].value = (const char *) h[i].value.data;
        headers[n].value_len = h[i].value.len;
        n++;
    }

    ngx_memzero(&req, sizeof(warden_request));

    req.method = (const char *) r->method_name.data;
    req.method_len = r->method_name.len;
    req.path = (const char *) r->unparsed_uri.data;
    req.path_len = r->unparsed_uri.len;
    req.headers = n ? headers : NULL;
    req.headers_len = n;
    req.now = (uint64_t) ngx_time();

    rc = ngx_http_warden_client_ip(r, wlcf, &req);
    if (rc != NGX_OK) {
        return rc;
    }

    wr = warden_evaluate(wlcf->engine->engine, &req, &ctx->decision);

    if (wr != WARDEN_RESULT_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "warden: warden_evaluate() failed: %uD", wr);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->kind = warden_decision_kind(&ctx->decision);
    ctx->status = warden_decision_status(&ctx->decision);

    return NGX_OK;
}


/*
 * The client address: the peer's, unless the peer is one of warden_trusted_proxies; then the
 * X-Forwarded-For entries are walked from the right (the last proxy's entry first), skipping
 * trusted proxies, and the first untrusted address is the client (nginx's realip with
 * real_ip_recursive on). If every entry is trusted, the leftmost is the client. An entry that
 * is not an IP address ends the walk with no address at all (WARDEN_IP_FAMILY_NONE: allow
 * lists refuse), never with the proxy's own address.
 */

static ngx_int_t
ngx_http_warden_client_ip(ngx_http_request_t *r,
    ngx_http_warden_loc_conf_t *wlcf, warden_request *req)
{
    u_char               *p, *start, *end;
    ngx_int_t             n, k;
    ngx_uint_t            i;
    ngx_list_part_t      *part;
    ngx_table_elt_t      *h, *xff[WARDEN_MAX_HEADERS];
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        req->ip_family = WARDEN_IP_FAMILY_V4;
        ngx_memcpy(req->ip, &sin->sin_addr.s_addr, 4);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        req->ip_family = WARDEN_IP_FAMILY_V6;
        ngx_memcpy(req->ip, sin6->sin6_addr.s6_addr, 16);
        break;
#endif

    default:
        req->ip_family = WARDEN_IP_FAMILY_NONE;
        return NGX_OK;
    }

    if (wlcf->trusted_proxies == NULL
        || ngx_http_warden_trusted(wlcf->trusted_proxies, req) != NGX_OK)
    {
        return NGX_OK;
    }

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("X-Forwarded-For") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Forwarded-For",
                               sizeof("X-Forwarded-For") - 1) == 0
            && n < WARDEN_MAX_HEADERS)
        {
            xff[n++] = &h[i];
        }
    }

    for (k = n - 1; k >= 0; k--) {

        start = xff[k]->value.data;
        end = start + xff[k]->value.len;

        while (end > start) {

            while (end > start && (end[-1] == ' ' || end[-1] == ','
                                   || end[-1] == '\t'))
            {
                end--;
            }

            if (end == start) {
                break;
            }

            p = end;

            while (p > start && p[-1] != ',' && p[-1] != ' '
                   && p[-1] != '\t')
            {
                p--;
            }

            if (ngx_http_warden_parse_ip(p, end - p, req) != NGX_OK) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "warden: X-Forwarded-For entry \"%*s\" is "
                              "not an address", end - p, p);
                req->ip_family = WARDEN_IP_FAMILY_NONE;
                ngx_memzero(req->ip, 16);
                return NGX_OK;
            }

            if (ngx_http_warden_trusted(wlcf->trusted_proxies, req)
                != NGX_OK)
            {
                return NGX_OK;
            }

            end = p;
        }
    }

    return NGX_OK;
}


/* An IPv4 or IPv6 address, optionally in brackets or with a port (as proxies write them). */

static ngx_int_t
ngx_http_warden_parse_ip(u_char *p, size_t len, warden_request *req)
{
    u_char     *colon, *last;
    in_addr_t   in;

    last = p + len;

    if (len > 2 && p[0] == '[') {
        colon = ngx_strlchr(p, last, ']');
        if (colon == NULL) {
            return NGX_ERROR;
        }

        if (colon + 1 != last && colon[1] != ':') {
            return NGX_ERROR;
        }

        p++;
        last = colon;

    } else {
        colon = ngx_strlchr(p, last, ':');

        if (colon && ngx_strlchr(colon + 1, last, ':') == NULL) {
            /* a.b.c.d:port */
            last = colon;
        }
    }

    if (ngx_strlchr(p, last, ':') == NULL) {
        in = ngx_inet_addr(p, last - p);
        if (in == INADDR_NONE) {
            return NGX_ERROR;
        }

        req->ip_family = WARDEN_IP_FAMILY_V4;
        ngx_memzero(req->ip, 16);
        ngx_memcpy(req->ip, &in, 4);
        return NGX_OK;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(p, last - p, req->ip) == NGX_OK) {
        req->ip_family = WARDEN_IP_FAMILY_V6;
        return NGX_OK;
    }
#endif

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_warden_trusted(ngx_array_t *proxies, warden_request *req)
{
    u_char       *ip;
    in_addr_t     v4;
    ngx_uint_t    i, j, family;
    ngx_cidr_t   *cidr;

    static u_char  mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    ip = req->ip;
    family = AF_INET;

    if (req->ip_family == WARDEN_IP_FAMILY_V6) {
        if (ngx_memcmp(req->ip, mapped, 12) == 0) {
            ip = &req->ip[12];

        } else {
            family = AF_INET6;
        }

    } else if (req->ip_family != WARDEN_IP_FAMILY_V4) {
        return NGX_DECLINED;
    }

    cidr = proxies->elts;

    for (i = 0; i < proxies->nelts; i++) {

        if (cidr[i].family != family) {
            continue;
        }

        if (family == AF_INET) {
            ngx_memcpy(&v4, ip, 4);

            if ((v4 & cidr[i].u.in.mask) == cidr[i].u.in.addr) {
                return NGX_OK;
            }

            continue;
        }

#if (NGX_HAVE_INET6)
        for (j = 0; j < 16; j++) {
            if ((ip[j] & cidr[i].u.in6.mask.s6_addr[j])
                != cidr[i].u.in6.addr.s6_addr[j])
            {
                break;
            }
        }

        if (j == 16) {
            return NGX_OK;
        }
#else
        (void) j;
#endif
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_warden_allow(ngx_http_request_t *r, ngx_http_warden_loc_conf_t *wlcf,
    ngx_http_warden_ctx_t *ctx)
{
    u_char      *p;
    size_t       len, need, count, i;
    ngx_int_t    rc;
    ngx_str_t    value;

    /* CORS headers go on the upstream's response (header filter) */

    rc = warden_decision_cors_allow_origin(&ctx->decision, NULL, 0, &need);
    ctx->cors = (rc == WARDEN_RESULT_BUFFER_TOO_SMALL);

    if (wlcf->identity_headers != 1) {
        return NGX_OK;
    }

    rc = ngx_http_warden_text(r, &ctx->decision, warden_decision_subject,
                              &value);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK
        && ngx_http_warden_push(r, &r->headers_in.headers, "X-Warden-Subject",
                                (u_char *) "x-warden-subject", &value)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    count = warden_decision_role_count(&ctx->decision);

    if (count) {
        len = 0;

        for (i = 0; i < count; i++) {
            if (warden_decision_role(&ctx->decision, i, NULL, 0, &need)
                != WARDEN_RESULT_BUFFER_TOO_SMALL)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            len += need;    /* the role and a comma (or the NUL) */
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = p;

        for (i = 0; i < count; i++) {
            if (warden_decision_role(&ctx->decision, i, (char *) p,
                                     len - (p - value.data), &need)
                != WARDEN_RESULT_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p += need - 1;
            *p++ = ',';
        }

        value.len = p - value.data - 1;

        if (ngx_http_warden_push(r, &r->headers_in.headers, "X-Warden-Roles",
                                 (u_char *) "x-warden-roles", &value)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_warden_text(r, &ctx->decision, warden_decision_rule,
                              &value);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK
        && ngx_http_warden_push(r, &r->headers_in.headers, "X-Warden-Rule",
                                (u_char *) "x-warden-rule", &value)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* A preflight that passed: nginx answers it, it is never forwarded. */

static ngx_int_t
ngx_http_warden_preflight(ngx_http_request_t *r, ngx_http_warden_ctx_t *ctx)
{
    u_char      *p;
    uint32_t     max_age;
    ngx_str_t    value;
    ngx_list_t  *out;

    out = &r->headers_out.headers;

    if (ngx_http_warden_cors_origin(r, out, ctx, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_warden_text(r, &ctx->decision,
                             warden_decision_cors_allow_methods, &value)
        == NGX_OK
        && ngx_http_warden_push(r, out, "Access-Control-Allow-Methods", NULL,
                                &value)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_warden_text(r, &ctx->decision,
                             warden_decision_cors_allow_headers, &value)
        == NGX_OK
        && value.len
        && ngx_http_warden_push(r, out, "Access-Control-Allow-Headers", NULL,
                                &value)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (warden_decision_cors_max_age(&ctx->decision, &max_age)
        == WARDEN_RESULT_OK)
    {
        p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = p;
        value.len = ngx_sprintf(p, "%uD", max_age) - p;

        if (ngx_http_warden_push(r, out, "Access-Control-Max-Age", NULL,
                                 &value)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the special response machinery sends 204 with these headers and no body */

    return NGX_HTTP_NO_CONTENT;
}


static ngx_int_t
ngx_http_warden_deny(ngx_http_request_t *r, ngx_http_warden_ctx_t *ctx)
{
    size_t            i, count, need;
    ngx_str_t         value;
    ngx_table_elt_t  *h;

    count = warden_decision_challenge_count(&ctx->decision);

    for (i = 0; i < count && ctx->ndenial < NGX_HTTP_WARDEN_MAX_DENIAL - 4;
         i++)
    {
        if (warden_decision_challenge(&ctx->decision, i, NULL, 0, &need)
            != WARDEN_RESULT_BUFFER_TOO_SMALL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = ngx_pnalloc(r->pool, need);
        if (value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (warden_decision_challenge(&ctx->decision, i, (char *) value.data,
                                      need, &need)
            != WARDEN_RESULT_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.len = need - 1;

        h = ngx_http_warden_push(r, &r->headers_out.headers,
                                 "WWW-Authenticate", NULL, &value);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* nginx itself hides this one when "satisfy any" lets the request in */

        if (i == 0) {
            r->headers_out.www_authenticate = h;
        }

        ctx->denial[ctx->ndenial++] = h;
    }

    /* a 401/403 that carries a CORS answer lets the page read it (SPEC section 4) */

    if (ngx_http_warden_cors_origin(r, &r->headers_out.headers, ctx, 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ctx->status == 401 ? NGX_HTTP_UNAUTHORIZED : NGX_HTTP_FORBIDDEN;
}


/*
 * Access-Control-Allow-Origin, -Credentials and Vary: Origin when the decision carries a CORS
 * answer (and Access-Control-Expose-Headers: WWW-Authenticate on a 401/403); nothing when it
 * carries none.
 */

static ngx_int_t
ngx_http_warden_cors_origin(ngx_http_request_t *r, ngx_list_t *headers,
    ngx_http_warden_ctx_t *ctx, ngx_uint_t deny)
{
    ngx_int_t          rc;
    ngx_str_t          value;
    ngx_uint_t         i, n;
    ngx_table_elt_t   *h[4];

    static ngx_str_t   yes = ngx_string("true");
    static ngx_str_t   expose = ngx_string("WWW-Authenticate");
    static ngx_str_t   origin = ngx_string("Origin");

    rc = ngx_http_warden_text(r, &ctx->decision,
                              warden_decision_cors_allow_origin, &value);
    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    n = 0;

    h[n] = ngx_http_warden_push(r, headers, "Access-Control-Allow-Origin",
                                NULL, &value);
    if (h[n++] == NULL) {
        return NGX_ERROR;
    }

    if (warden_decision_cors_allow_credentials(&ctx->decision)) {
        h[n] = ngx_http_warden_push(r, headers,
                                    "Access-Control-Allow-Credentials", NULL,
                                    &yes);
        if (h[n++] == NULL) {
            return NGX_ERROR;
        }
    }

    if (deny) {
        h[n] = ngx_http_warden_push(r, headers,
                                    "Access-Control-Expose-Headers", NULL,
                                    &expose);
        if (h[n++] == NULL) {
            return NGX_ERROR;
        }
    }

    h[n] = ngx_http_warden_push(r, headers, "Vary", NULL, &origin);
    if (h[n++] == NULL) {
        return NGX_ERROR;
    }

    if (deny) {
        for (i = 0; i < n && ctx->ndenial < NGX_HTTP_WARDEN_MAX_DENIAL; i++) {
            ctx->denial[ctx->ndenial++] = h[i];
        }
    }

    return NGX_OK;
}


/*
 * Removes client-sent X-Warden-Subject, X-Warden-Roles and X-Warden-Rule. nginx lists cannot
 * drop an element, so the list is rebuilt in place without them (a list's "last" points
 * into the list itself, so it is never copied by value); the known-header pointers of
 * r->headers_in keep pointing at the old elements, which stay valid in the request pool.
 * Nothing is copied when the client sent none (the usual case).
 */

static ngx_int_t
ngx_http_warden_strip_identity(ngx_http_request_t *r)
{
    ngx_uint_t        i, found, total;
    ngx_list_t        old;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *copy;

    found = 0;
    total = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            total++;

            if (h[i].key.len >= sizeof("X-Warden-") - 1
                && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Warden-",
                                   sizeof("X-Warden-") - 1) == 0)
            {
                found++;
            }
        }
    }

    if (found == 0) {
        return NGX_OK;
    }

    /* the copy's first part holds the old elts and the links to the next parts */

    old = r->headers_in.headers;

    if (ngx_list_init(&r->headers_in.headers, r->pool, total,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        r->headers_in.headers = old;
        return NGX_ERROR;
    }

    for (part = &old.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {

            if ((h[i].key.len == sizeof("X-Warden-Subject") - 1
                 && ngx_strncasecmp(h[i].key.data,
                                    (u_char *) "X-Warden-Subject",
                                    sizeof("X-Warden-Subject") - 1) == 0)
                || (h[i].key.len == sizeof("X-Warden-Roles") - 1
                    && ngx_strncasecmp(h[i].key.data,
                                       (u_char *) "X-Warden-Roles",
                                       sizeof("X-Warden-Roles") - 1) == 0)
                || (h[i].key.len == sizeof("X-Warden-Rule") - 1
                    && ngx_strncasecmp(h[i].key.data,
                                       (u_char *) "X-Warden-Rule",
                                       sizeof("X-Warden-Rule") - 1) == 0))
            {
                ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "warden: dropped client header \"%V: %V\"",
                               &h[i].key, &h[i].value);
                continue;
            }

            copy = ngx_list_push(&r->headers_in.headers);
            if (copy == NULL) {
                return NGX_ERROR;
            }

            *copy = h[i];
        }
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_warden_push(ngx_http_request_t *r, ngx_list_t *list, char *key,
    u_char *lowcase, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(list);
    if (h == NULL) {
        return NULL;
    }

    ngx_memzero(h, sizeof(ngx_table_elt_t));

    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;
    h->lowcase_key = lowcase;
    h->hash = lowcase ? ngx_hash_key(lowcase, h->key.len) : 1;

    return h;
}


/* A text of the decision, copied into the request pool; NGX_DECLINED when it is absent. */

static ngx_int_t
ngx_http_warden_text(ngx_http_request_t *r, const warden_decision *d,
    ngx_http_warden_text_pt get, ngx_str_t *out)
{
    size_t         need;
    warden_result  rc;

    rc = get(d, NULL, 0, &need);

    if (rc == WARDEN_RESULT_ABSENT) {
        return NGX_DECLINED;
    }

    if (rc != WARDEN_RESULT_BUFFER_TOO_SMALL || need == 0) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(r->pool, need);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (get(d, (char *) out->data, need, &need) != WARDEN_RESULT_OK) {
        return NGX_ERROR;
    }

    out->len = need - 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_warden_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t              i;
    ngx_http_warden_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_warden_module);

    if (ctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (ctx->kind == WARDEN_KIND_ALLOW && ctx->cors) {

        /* Warden answers CORS for this location: one Access-Control-Allow-Origin only */

        ngx_http_warden_hide(&r->headers_out.headers,
                             "access-control-allow-origin",
                             sizeof("access-control-allow-origin") - 1);
        ngx_http_warden_hide(&r->headers_out.headers,
                             "access-control-allow-credentials",
                             sizeof("access-control-allow-credentials") - 1);

        ctx->cors = 0;

        if (ngx_http_warden_cors_origin(r, &r->headers_out.headers, ctx, 0)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (ctx->kind != WARDEN_KIND_ALLOW
               && r->headers_out.status != ctx->status)
    {
        /* "satisfy any" let the request in after Warden refused it: the challenges and
         * CORS headers of the refusal do not belong on this response */

        for (i = 0; i < ctx->ndenial; i++) {
            ctx->denial[i]->hash = 0;
        }

        ctx->ndenial = 0;
    }

    return ngx_http_next_header_filter(r);
}


static void
ngx_http_warden_hide(ngx_list_t *headers, char *lowcase, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &headers->part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].hash != 0
                && h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) lowcase, len)
                   == 0)
            {
                h[i].hash = 0;
            }
        }
    }
}


static ngx_int_t
ngx_http_warden_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                 *p;
    size_t                  need;
    ngx_int_t               rc;
    ngx_str_t               s;
    ngx_http_warden_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_warden_module);

    if (ctx == NULL || ctx->kind == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_WARDEN_VAR_DECISION:
        if (ctx->kind > WARDEN_KIND_FORBIDDEN) {
            v->not_found = 1;
            return NGX_OK;
        }

        s = ngx_http_warden_kind_names[ctx->kind];
        break;

    case NGX_HTTP_WARDEN_VAR_STATUS:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%ui", ctx->status) - p;
        break;

    case NGX_HTTP_WARDEN_VAR_REASON:
        if (warden_reason_name(warden_decision_reason(&ctx->decision), NULL, 0,
                               &need)
            != WARDEN_RESULT_BUFFER_TOO_SMALL)
        {
            v->not_found = 1;
            return NGX_OK;
        }

        p = ngx_pnalloc(r->pool, need);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (warden_reason_name(warden_decision_reason(&ctx->decision),
                               (char *) p, need, &need)
            != WARDEN_RESULT_OK)
        {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = need - 1;
        break;

    case NGX_HTTP_WARDEN_VAR_RULE:
    case NGX_HTTP_WARDEN_VAR_SUBJECT:
        rc = ngx_http_warden_text(r, &ctx->decision,
                                  data == NGX_HTTP_WARDEN_VAR_RULE
                                  ? warden_decision_rule
                                  : warden_decision_subject,
                                  &s);
        if (rc == NGX_DECLINED) {
            v->not_found = 1;
            return NGX_OK;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        break;

    default:
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_warden_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_warden_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_warden_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_warden_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_warden_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&wmcf->files, cf->pool, 4,
                       sizeof(ngx_http_warden_file_t *))
        != NGX_OK
        || ngx_array_init(&wmcf->engines, cf->pool, 4,
                          sizeof(ngx_http_warden_engine_t *))
           != NGX_OK)
    {
        return NULL;
    }

    return wmcf;
}


static void *
ngx_http_warden_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_warden_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_warden_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->engine = NULL;
     *     conf->enable_file = NULL;
     *     conf->enable_line = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->identity_headers = NGX_CONF_UNSET;
    conf->policy = NGX_CONF_UNSET_PTR;
    conf->keys = NGX_CONF_UNSET_PTR;
    conf->verify_key = NGX_CONF_UNSET_PTR;
    conf->trusted_proxies = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_warden_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_warden_loc_conf_t  *prev = parent;
    ngx_http_warden_loc_conf_t  *conf = child;

    if (conf->enable == NGX_CONF_UNSET) {
        conf->enable = prev->enable;
        conf->enable_file = prev->enable_file;
        conf->enable_line = prev->enable_line;
    }

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->identity_headers, prev->identity_headers, 0);
    ngx_conf_merge_ptr_value(conf->policy, prev->policy, NULL);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_ptr_value(conf->verify_key, prev->verify_key, NULL);
    ngx_conf_merge_ptr_value(conf->trusted_proxies, prev->trusted_proxies,
                             NULL);

    if (conf->policy == NULL) {

        /* a gate without a policy would have to fail open: refuse to start */

        if (conf->enable == 1) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"warden on\" without \"warden_policy\" in %s:%ui",
                          conf->enable_file, conf->enable_line);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    conf->engine = ngx_http_warden_engine(cf, conf);
    if (conf->engine == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_warden_init(ngx_conf_t *cf)
{
    ngx_uint_t                    i;
    ngx_http_handler_pt          *h;
    ngx_http_warden_file_t      **files;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_warden_main_conf_t  *wmcf;

    /* every engine is loaded (merge): the decoded secrets are no longer needed */

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_warden_module);
    files = wmcf->files.elts;

    for (i = 0; i < wmcf->files.nelts; i++) {
        ngx_http_warden_wipe(files[i]);
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_warden_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_warden_header_filter;

    return NGX_OK;
}


static char *
ngx_http_warden_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_warden_loc_conf_t *wlcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    wlcf->enable_file = cf->conf_file->file.name.data;
    wlcf->enable_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_warden_set_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t                *value, name;
    ngx_uint_t                type;
    ngx_http_warden_file_t  **field;

    field = (ngx_http_warden_file_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    if (cmd->offset == offsetof(ngx_http_warden_loc_conf_t, policy)) {
        type = NGX_HTTP_WARDEN_POLICY;

    } else if (cmd->offset == offsetof(ngx_http_warden_loc_conf_t, keys)) {
        type = NGX_HTTP_WARDEN_KEYS;

    } else {
        type = NGX_HTTP_WARDEN_VERIFY_KEY;
    }

    value = cf->args->elts;
    name = value[1];

    if (name.len == 0) {
        return "takes a file name";
    }

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = ngx_http_warden_read(cf, type, &name);
    if (*field == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_warden_trusted_proxies(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_warden_loc_conf_t *wlcf = conf;

    ngx_int_t    rc;
    ngx_str_t   *value;
    ngx_uint_t   i;
    ngx_cidr_t  *cidr;

    if (wlcf->trusted_proxies == NGX_CONF_UNSET_PTR) {
        wlcf->trusted_proxies = ngx_array_create(cf->pool, 4,
                                                 sizeof(ngx_cidr_t));
        if (wlcf->trusted_proxies == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        cidr = ngx_array_push(wlcf->trusted_proxies);
        if (cidr == NULL) {
            return NGX_CONF_ERROR;
        }

        rc = ngx_ptocidr(&value[i], cidr);

        if (rc == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid address or range \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_DONE) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "low address bits of %V are meaningless",
                               &value[i]);
        }
    }

    return NGX_CONF_OK;
}


static ngx_http_warden_file_t *
ngx_http_warden_read(ngx_conf_t *cf, ngx_uint_t type, ngx_str_t *name)
{
    ngx_int_t                     rc;
    ngx_str_t                     text;
    ngx_uint_t                    i;
    ngx_pool_cleanup_t           *cln;
    ngx_http_warden_file_t       *file, **files, **slot;
    ngx_http_warden_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_warden_module);

    /* one file is read once per configuration, whatever the number of directives */

    files = wmcf->files.elts;

    for (i = 0; i < wmcf->files.nelts; i++) {
        if (files[i]->type == type
            && files[i]->name.len == name->len
            && ngx_strncmp(files[i]->name.data, name->data, name->len) == 0)
        {
            return files[i];
        }
    }

    file = ngx_pcalloc(cf->pool, sizeof(ngx_http_warden_file_t));
    if (file == NULL) {
        return NULL;
    }

    file->type = type;
    file->name = *name;
    file->conf_file = cf->conf_file->file.name.data;
    file->conf_line = cf->conf_file->line;

    if (type == NGX_HTTP_WARDEN_POLICY) {

        /* the engine borrows the blob: it lives in the configuration pool */

        if (ngx_http_warden_read_file(cf, name, cf->pool,
                                      NGX_HTTP_WARDEN_MAX_POLICY, 0,
                                      &file->data)
            != NGX_OK)
        {
            return NULL;
        }

    } else {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NULL;
        }

        cln->handler = ngx_http_warden_wipe;
        cln->data = file;

        if (ngx_http_warden_read_file(cf, name, cf->temp_pool,
                                      NGX_HTTP_WARDEN_MAX_KEYS_FILE, 1, &text)
            != NGX_OK)
        {
            return NULL;
        }

        if (type == NGX_HTTP_WARDEN_KEYS) {
            rc = ngx_http_warden_parse_keys(cf, file, &text);

        } else {
            rc = ngx_http_warden_parse_verify_key(cf, file, &text);
        }

        ngx_explicit_memzero(text.data, text.len);

        if (rc != NGX_OK) {
            return NULL;
        }
    }

    slot = ngx_array_push(&wmcf->files);
    if (slot == NULL) {
        return NULL;
    }

    *slot = file;

    return file;
}


static ngx_int_t
ngx_http_warden_read_file(ngx_conf_t *cf, ngx_str_t *name, ngx_pool_t *pool,
    size_t max, ngx_uint_t secret, ngx_str_t *out)
{
    off_t            size;
    ssize_t          n;
    ngx_int_t        rc;
    ngx_file_t       file;
    ngx_file_info_t  fi;

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.name = *name;
    file.log = cf->log;

    file.fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name->data);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name->data);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is not a regular file", name->data);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size == 0 || (size_t) size > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is %s", name->data,
                           size == 0 ? "empty" : "too large");
        goto done;
    }

    if (secret && (ngx_file_access(&fi) & 0077)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%s\" holds secrets and is accessible to group "
                           "or others; make it mode 0600, owned by root",
                           name->data);
    }

    out->data = ngx_pnalloc(pool, size);
    if (out->data == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, out->data, size, 0);

    if (n == NGX_ERROR) {
        goto done;
    }

    if (n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           ngx_read_file_n " \"%s\" returned only %z bytes "
                           "instead of %O", name->data, n, size);
        goto done;
    }

    out->len = size;
    rc = NGX_OK;

done:

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rc;
}


/*
 * The keys file (SPEC section 6), the TOML that `warden key new` writes:
 *
 *     # comment
 *     [[key]]
 *     id = "2026-q4"
 *     secret_hex = "..."        # or secret_b64 = "...": standard or URL-safe, padding optional
 *
 * and, at the top, `private_jwks = ["...", ...]` on one line, which is skipped (dev private
 * keys for `warden token mint`, never part of the engine's keyring).
 *
 * Values are basic ("...") or literal ('...') one-line strings without escapes. Anything else
 * is refused with its line number; messages never quote a secret. Decoded ids and secrets go
 * to one buffer of the file's size (decoding never grows them), which is wiped after load.
 */

static ngx_int_t
ngx_http_warden_parse_keys(ngx_conf_t *cf, ngx_http_warden_file_t *file,
    ngx_str_t *text)
{
    u_char      *p, *end, *eol, *s, *e, *name, *out, quote;
    size_t       name_len;
    ngx_str_t    id, hex, b64, *field, value;
    ngx_uint_t   line, table_line, in_table;

    file->data.data = ngx_pnalloc(cf->pool, text->len);
    file->keys = ngx_pcalloc(cf->pool, WARDEN_MAX_KEYRING * sizeof(warden_key));

    if (file->data.data == NULL || file->keys == NULL) {
        return NGX_ERROR;
    }

    file->data.len = text->len;
    out = file->data.data;

    p = text->data;
    end = p + text->len;

    if (end - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
    }

    in_table = 0;
    table_line = 0;
    ngx_str_null(&id);
    ngx_str_null(&hex);
    ngx_str_null(&b64);

    for (line = 1; p < end; line++, p = eol + 1) {

        eol = ngx_strlchr(p, end, '\n');
        if (eol == NULL) {
            eol = end;
        }

        s = p;
        e = eol;

        if (e > s && e[-1] == '\r') {
            e--;
        }

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        if (s == e || *s == '#') {
            continue;
        }

        if (*s == '[') {
            s++;

            if (s == e || *s != '[') {
                goto table;
            }

            for (s++; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

            if (e - s < 3 || ngx_strncmp(s, "key", 3) != 0) {
                goto table;
            }

            for (s += 3; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

            if (e - s < 2 || s[0] != ']' || s[1] != ']') {
                goto table;
            }

            for (s += 2; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

            if (s != e && *s != '#') {
                goto table;
            }

            if (in_table
                && ngx_http_warden_keys_table(cf, file, table_line, &id, &hex,
                                              &b64, &out)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            in_table = 1;
            table_line = line;
            ngx_str_null(&id);
            ngx_str_null(&hex);
            ngx_str_null(&b64);
            continue;
        }

        name = s;

        while (s < e && (((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
                         || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
        {
            s++;
        }

        name_len = s - name;

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        if (name_len == 0 || s == e || *s != '=') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "keys file \"%V\", line %ui: expected "
                               "[[key]] or name = \"value\"",
                               &file->name, line);
            return NGX_ERROR;
        }

        for (s++; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

        /*
         * `private_jwks = ["...", ...]` (top level, one line) names dev private keys that only
         * `warden token mint` reads; the engine's keyring never needs them, so it is skipped.
         */

        if (!in_table && name_len == 12 && ngx_strncmp(name, "private_jwks", 12) == 0
            && s < e && *s == '[')
        {
            for (s++, quote = 0; s < e && (quote || *s != ']'); s++) {
                if (*s == '\\' && quote == '"') {
                    goto string;
                }

                if (quote && *s == quote) {
                    quote = 0;

                } else if (!quote && (*s == '"' || *s == '\'')) {
                    quote = *s;
                }
            }

            if (s == e) {
                goto string;
            }

            for (s++; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

            if (s != e && *s != '#') {
                goto string;
            }

            continue;
        }

        if (s == e || (*s != '"' && *s != '\'')) {
            goto string;
        }

        quote = *s++;
        value.data = s;

        while (s < e && *s != quote) {
            if (*s == '\\' && quote == '"') {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "keys file \"%V\", line %ui: escape "
                                   "sequences are not supported here",
                                   &file->name, line);
                return NGX_ERROR;
            }

            if (*s < 0x20 && *s != '\t') {
                goto string;
            }

            s++;
        }

        if (s == e) {
            goto string;
        }

        value.len = s - value.data;

        for (s++; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }

        if (s != e && *s != '#') {
            goto string;
        }

        if (!in_table) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "keys file \"%V\", line %ui: \"%*s\" outside "
                               "a [[key]] table", &file->name, line,
                               name_len, name);
            return NGX_ERROR;
        }

        if (name_len == 2 && ngx_strncmp(name, "id", 2) == 0) {
            field = &id;

        } else if (name_len == 10 && ngx_strncmp(name, "secret_hex", 10) == 0) {
            field = &hex;

        } else if (name_len == 10 && ngx_strncmp(name, "secret_b64", 10) == 0) {
            field = &b64;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "keys file \"%V\", line %ui: unknown field "
                               "\"%*s\" (a [[key]] has id and secret_hex or "
                               "secret_b64)", &file->name, line,
                               name_len, name);
            return NGX_ERROR;
        }

        if (field->data) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "keys file \"%V\", line %ui: \"%*s\" is set "
                               "twice in one [[key]]", &file->name, line,
                               name_len, name);
            return NGX_ERROR;
        }

        *field = value;
    }

    if (in_table
        && ngx_http_warden_keys_table(cf, file, table_line, &id, &hex, &b64,
                                      &out)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;

table:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "keys file \"%V\", line %ui: the only table is "
                       "[[key]]", &file->name, line);
    return NGX_ERROR;

string:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "keys file \"%V\", line %ui: the value must be one "
                       "quoted string on one line", &file->name, line);
    return NGX_ERROR;
}


static ngx_int_t
ngx_http_warden_keys_table(ngx_conf_t *cf, ngx_http_warden_file_t *file,
    ngx_uint_t line, ngx_str_t *id, ngx_str_t *hex, ngx_str_t *b64,
    u_char **out)
{
    size_t       len;
    ngx_str_t    secret;
    ngx_uint_t   i;
    ngx_int_t    rc;
    warden_key  *key;

    if (id->data == NULL || id->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "keys file \"%V\": the [[key]] at line %ui has %s "
                           "id", &file->name, line,
                           id->data ? "an empty" : "no");
        return NGX_ERROR;
    }

    if ((hex->data == NULL) == (b64->data == NULL)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "keys file \"%V\": key \"%V\" (line %ui) needs "
                           "exactly one of secret_hex and secret_b64",
                           &file->name, id, line);
        return NGX_ERROR;
    }

    for (i = 0; i < file->nkeys; i++) {
        if (file->keys[i].id_len == id->len
            && ngx_memcmp(file->keys[i].id, id->data, id->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "keys file \"%V\": key id \"%V\" is listed "
                               "twice", &file->name, id);
            return NGX_ERROR;
        }
    }

    if (file->nkeys == WARDEN_MAX_KEYRING) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "keys file \"%V\": more than %d keys",
                           &file->name, WARDEN_MAX_KEYRING);
        return NGX_ERROR;
    }

    key = &file->keys[file->nkeys];

    key->id = (const char *) *out;
    key->id_len = id->len;
    *out = ngx_cpymem(*out, id->data, id->len);

    secret = hex->data ? *hex : *b64;

    while (secret.len && (secret.data[0] == ' ' || secret.data[0] == '\t')) {
        secret.data++;
        secret.len--;
    }

    while (secret.len && (secret.data[secret.len - 1] == ' '
                          || secret.data[secret.len - 1] == '\t'))
    {
        secret.len--;
    }

    if (hex->data) {
        rc = ngx_http_warden_decode_hex(&secret, *out, &len);

    } else {
        rc = ngx_http_warden_decode_b64(&secret, *out, &len);
    }

    if (rc != NGX_OK || len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "keys file \"%V\": the secret of key \"%V\" is "
                           "%s", &file->name, id,
                           rc != NGX_OK
                           ? (hex->data ? "not hex" : "not base64 "
                              "(RFC 4648, standard or URL-safe alphabet)")
                           : "empty");
        return NGX_ERROR;
    }

    key->secret = *out;
    key->secret_len = len;
    *out += len;

    file->nkeys++;

    return NGX_OK;
}


/* The bundle verify key: hex or base64 text, `#` comment lines and whitespace ignored. */

static ngx_int_t
ngx_http_warden_parse_verify_key(ngx_conf_t *cf, ngx_http_warden_file_t *file,
    ngx_str_t *text)
{
    u_char     *p, *end, *body, *b, *s, *e, *eol;
    size_t      len;
    ngx_str_t   src;

    body = ngx_pnalloc(cf->temp_pool, text->len);
    file->data.data = ngx_pnalloc(cf->pool, text->len);

    if (body == NULL || file->data.data == NULL) {
        return NGX_ERROR;
    }

    b = body;
    p = text->data;
    end = p + text->len;

    for ( /* void */ ; p < end; p = eol + 1) {

        eol = ngx_strlchr(p, end, '\n');
        if (eol == NULL) {
            eol = end;
        }

        for (s = p; s < eol && (*s == ' ' || *s == '\t'); s++) { /* void */ }
        for (e = eol; e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');
             e--)
        { /* void */ }

        if (s == e || *s == '#') {
            continue;
        }

        b = ngx_cpymem(b, s, e - s);
    }

    src.data = body;
    src.len = b - body;

    if (ngx_http_warden_decode_hex(&src, file->data.data, &len) != NGX_OK
        && ngx_http_warden_decode_b64(&src, file->data.data, &len) != NGX_OK)
    {
        ngx_explicit_memzero(body, text->len);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "verify key file \"%V\" holds neither hex nor "
                           "base64 text (comment lines start with \"#\")",
                           &file->name);
        return NGX_ERROR;
    }

    ngx_explicit_memzero(body, text->len);
    file->data.len = len;

    if (len < 32) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "verify key file \"%V\": the key is %uz bytes; at "
                           "least 32 are needed", &file->name, len);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_warden_decode_hex(ngx_str_t *src, u_char *dst, size_t *len)
{
    size_t  i;
    u_char  c, v, pair;

    if (src->len % 2) {
        return NGX_ERROR;
    }

    pair = 0;

    for (i = 0; i < src->len; i++) {
        c = src->data[i];

        if (c >= '0' && c <= '9') {
            v = c - '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = (c | 0x20) - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        if (i % 2 == 0) {
            pair = v << 4;

        } else {
            dst[i / 2] = pair | v;
        }
    }

    *len = src->len / 2;

    return NGX_OK;
}


/* RFC 4648 base64, the standard or the URL-safe alphabet (not both), padding optional but
 * correct when present, no trailing bits set (one encoding per value). */

static ngx_int_t
ngx_http_warden_decode_b64(ngx_str_t *src, u_char *dst, size_t *len)
{
    u_char      c, v;
    size_t      n, i, bits;
    uint32_t    acc;
    ngx_uint_t  std, url;

    n = src->len;

    while (n && src->data[n - 1] == '=') {
        n--;
    }

    if (n != src->len && (src->len % 4 != 0 || src->len - n > 2)) {
        return NGX_ERROR;
    }

    if (n % 4 == 1) {
        return NGX_ERROR;
    }

    std = 0;
    url = 0;
    acc = 0;
    bits = 0;
    *len = 0;

    for (i = 0; i < n; i++) {
        c = src->data[i];

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;

        } else if (c == '+' || c == '/') {
            std = 1;
            v = (c == '+') ? 62 : 63;

        } else if (c == '-' || c == '_') {
            url = 1;
            v = (c == '-') ? 62 : 63;

        } else {
            return NGX_ERROR;
        }

        acc = (acc << 6) | v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            dst[(*len)++] = (u_char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    if ((std && url) || acc != 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_http_warden_engine_t *
ngx_http_warden_engine(ngx_conf_t *cf, ngx_http_warden_loc_conf_t *conf)
{
    u_char                        msg[512];
    size_t                        n;
    void                         *memory;
    warden_load_error             error;
    ngx_uint_t                    i;
    warden_key                   *keys;
    warden_result                 rc;
    ngx_pool_cleanup_t           *cln;
    ngx_http_warden_engine_t     *engine, **engines, **slot;
    ngx_http_warden_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_warden_module);

    /* loaded once per configuration: every location with the same files shares it */

    engines = wmcf->engines.elts;

    for (i = 0; i < wmcf->engines.nelts; i++) {
        if (engines[i]->policy == conf->policy
            && engines[i]->keys == conf->keys
            && engines[i]->verify_key == conf->verify_key)
        {
            return engines[i];
        }
    }

    engine = ngx_pcalloc(cf->pool, sizeof(ngx_http_warden_engine_t));
    if (engine == NULL) {
        return NULL;
    }

    engine->policy = conf->policy;
    engine->keys = conf->keys;
    engine->verify_key = conf->verify_key;

    memory = ngx_pmemalign(cf->pool, warden_engine_size(),
                           warden_engine_align());
    if (memory == NULL) {
        return NULL;
    }

    keys = conf->keys ? conf->keys->keys : NULL;

    if (conf->verify_key) {
        rc = warden_engine_load_verified_with_error(conf->policy->data.data,
                                                    conf->policy->data.len,
                                                    keys,
                                                    conf->keys
                                                        ? conf->keys->nkeys : 0,
                                                    conf->verify_key->data.data,
                                                    conf->verify_key->data.len,
                                                    memory,
                                                    warden_engine_size(),
                                                    &engine->engine, &error);

    } else {
        rc = warden_engine_load_with_error(conf->policy->data.data,
                                           conf->policy->data.len,
                                           keys,
                                           conf->keys ? conf->keys->nkeys : 0,
                                           memory, warden_engine_size(),
                                           &engine->engine, &error);
    }

    if (rc != WARDEN_RESULT_OK) {
        /* the detailed message names the capacity, the need and the limit,
         * or the missing key's id; the plain one is the fallback */
        if (warden_load_error_message(&error, (char *) msg, sizeof(msg), &n)
            != WARDEN_RESULT_OK
            && warden_result_message(rc, (char *) msg, sizeof(msg), &n)
               != WARDEN_RESULT_OK)
        {
            ngx_sprintf(msg, "load error %uD%Z", rc);
        }

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "warden_policy \"%V\" cannot be loaded%s%s%s: %s "
                      "(warden result %uD) in %s:%ui",
                      &conf->policy->name,
                      conf->keys ? " with keys file \"" : "",
                      conf->keys ? (char *) conf->keys->name.data : "",
                      conf->keys ? "\"" : "",
                      msg, rc, conf->policy->conf_file,
                      conf->policy->conf_line);
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        (void) warden_engine_clear(engine->engine);
        return NULL;
    }

    cln->handler = ngx_http_warden_clear_engine;
    cln->data = engine;

    slot = ngx_array_push(&wmcf->engines);
    if (slot == NULL) {
        return NULL;
    }

    *slot = engine;

    return engine;
}


/* The configuration is freed (after a reload): wipe the engine's HMAC key state. */

static void
ngx_http_warden_clear_engine(void *data)
{
    ngx_http_warden_engine_t  *engine = data;

    if (engine->engine) {
        (void) warden_engine_clear(engine->engine);
        engine->engine = NULL;
    }
}


static void
ngx_http_warden_wipe(void *data)
{
    ngx_http_warden_file_t  *file = data;

    if (file->type != NGX_HTTP_WARDEN_POLICY && file->data.data) {
        ngx_explicit_memzero(file->data.data, file->data.len);
    }
}
