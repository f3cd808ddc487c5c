/*
 * A small HTTP gateway in C on libmicrohttpd that asks Warden about every request.
 *
 *   WARDEN_KEYS=id=hex,id=hex ./server POLICY.wdn [PORT]
 *
 * It listens on 127.0.0.1 (PORT 0 or none: a free port, printed on stdout), loads the compiled
 * policy once into memory it owns, and answers each request with Warden's decision:
 *   - Allow: 200 (204 for a CORS preflight), with the CORS headers of the decision;
 *   - Unauthorized: 401 with one WWW-Authenticate header per challenge;
 *   - Forbidden: 403 (with the insufficient_scope challenge for a bearer token);
 *   - a 401/403 that carries a CORS answer (an allowed origin, decided after the origin check)
 *     also gets Access-Control-Allow-Origin, -Credentials and Access-Control-Expose-Headers:
 *     WWW-Authenticate, so the page's fetch() can read the status and the challenge.
 * examples/c-server/README.md shows every answer.
 * The client address is the TCP peer's, except that X-Forwarded-For is trusted when, and only
 * when, the peer is loopback (a reverse proxy on the same host); then its last entry is used.
 *
 * Environment:
 *   WARDEN_KEYS          the keyring, id=hex pairs separated by commas (required when the policy
 *                        has [[key]]s; ffi/tools/keys-env.sh prints it from a keys file)
 *   WARDEN_VERIFY_KEY    optional bundle key in hex: refuse a policy not signed with it
 *   WARDEN_EXPOSE_REASON set to 1 to add X-Warden-Reason/-Rule/-Subject/-Roles headers
 *                        (for tests and debugging; a production gateway logs them instead)
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "warden.h"

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

static const warden_engine *engine;
static int expose_reason;

/* ---- startup: files, keys ------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *bigger = realloc(buf, cap *= 2);
    if (bigger == NULL) free(buf);
    buf = bigger;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex from s up to a ',' or the end into out; returns the byte count or -1. */
static long hex_decode(const char *s, uint8_t *out, const char **end) {
  long n = 0;
  while (*s != '\0' && *s != ',') {
    int hi = hex_digit(s[0]), lo = s[1] != '\0' ? hex_digit(s[1]) : -1;
    if (hi < 0 || lo < 0) return -1;
    out[n++] = (uint8_t)(hi * 16 + lo);
    s += 2;
  }
  *end = s;
  return n;
}

/* Parses WARDEN_KEYS ("id=hex,id=hex") into keys; the ids and secrets live in *storage. */
static int parse_keys(const char *text, warden_key *keys, size_t *len, char **storage) {
  size_t n = strlen(text);
  char *copy = malloc(2 * n + 2);
  if (copy == NULL) return -1;
  memcpy(copy, text, n + 1);
  uint8_t *bytes = (uint8_t *)copy + n + 1;
  *storage = copy;
  *len = 0;
  for (const char *p = copy; *p != '\0';) {
    const char *eq = strchr(p, '=');
    if (eq == NULL || eq == p || *len == WARDEN_MAX_KEYRING) return -1;
    const char *end;
    long got = hex_decode(eq + 1, bytes, &end);
    if (got <= 0) return -1;
    keys[*len] = (warden_key){p, (size_t)(eq - p), bytes, (size_t)got};
    (*len)++;
    bytes += got;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

static const char *result_text(warden_result r) {
  static char buf[160];
  size_t n;
  if (warden_result_message(r, buf, sizeof buf, &n) != WARDEN_RESULT_OK) return "unknown result";
  return buf;
}

/* ---- per request ---------------------------------------------------------------------- */

typedef struct {
  warden_header headers[WARDEN_MAX_HEADERS];
  size_t len;
  int overflow;
  const char *forwarded_for;
} header_list;

static mhd_result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  header_list *list = cls;
  if (list->len == WARDEN_MAX_HEADERS) {
    list->overflow = 1;
    return MHD_NO;
  }
  const char *v = value != NULL ? value : "";
  list->headers[list->len++] = (warden_header){key, strlen(key), v, strlen(v)};
  if (strcasecmp(key, "x-forwarded-for") == 0) list->forwarded_for = v;
  return MHD_YES;
}

static int is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t *a = in6->sin6_addr.s6_addr;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || (memcmp(a, mapped_prefix, 12) == 0 && a[12] == 127);
  }
  return 0;
}

/* Sets the request's client address from the peer, or from the last X-Forwarded-For entry when
 * the peer is loopback. Returns -1 for an X-Forwarded-For from loopback that is not an address. */
static int client_address(struct MHD_Connection *conn, const char *forwarded_for, warden_request *req) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *peer = info != NULL ? info->client_addr : NULL;
  req->ip_family = WARDEN_IP_FAMILY_NONE;
  if (peer == NULL) return 0;
  if (forwarded_for != NULL && is_loopback(peer)) {
    const char *last = strrchr(forwarded_for, ',');
    last = last != NULL ? last + 1 : forwarded_for;
    while (*last == ' ' || *last == '\t') last++;
    char text[INET6_ADDRSTRLEN];
    size_t n = strcspn(last, " \t");
    if (n == 0 || n >= sizeof text) return -1;
    memcpy(text, last, n);
    text[n] = '\0';
    if (inet_pton(AF_INET, text, req->ip) == 1) {
      req->ip_family = WARDEN_IP_FAMILY_V4;
    } else if (inet_pton(AF_INET6, text, req->ip) == 1) {
      req->ip_family = WARDEN_IP_FAMILY_V6;
    } else {
      return -1;
    }
    return 0;
  }
  if (peer->sa_family == AF_INET) {
    memcpy(req->ip, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    req->ip_family = WARDEN_IP_FAMILY_V4;
  } else if (peer->sa_family == AF_INET6) {
    memcpy(req->ip, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
    req->ip_family = WARDEN_IP_FAMILY_V6;
  }
  return 0;
}

typedef warden_result (*text_accessor)(const warden_decision *, char *, size_t, size_t *);

/* A heap copy of a text value of the decision (NULL when absent): ask for the size, then copy. */
static char *decision_text(const warden_decision *d, text_accessor f) {
  size_t needed = 0;
  if (f(d, NULL, 0, &needed) != WARDEN_RESULT_BUFFER_TOO_SMALL) return NULL;
  char *buf = malloc(needed);
  if (buf != NULL && f(d, buf, needed, &needed) != WARDEN_RESULT_OK) {
    free(buf);
    buf = NULL;
  }
  return buf;
}

static void add_header(struct MHD_Response *resp, const char *name, const char *value) {
  if (value != NULL) MHD_add_response_header(resp, name, value);
}

static void add_owned_header(struct MHD_Response *resp, const char *name, char *value) {
  add_header(resp, name, value);
  free(value);
}

static mhd_result send_plain(struct MHD_Connection *conn, unsigned status, const char *body) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
  mhd_result r = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return r;
}

/* Builds the HTTP answer of a decision. */
static mhd_result answer(struct MHD_Connection *conn, const char *method, const char *url,
                         const warden_decision *d) {
  uint32_t kind = warden_decision_kind(d);
  uint32_t reason = warden_decision_reason(d);
  int preflight = reason == WARDEN_REASON_PREFLIGHT;
  unsigned status = kind == WARDEN_KIND_ALLOW ? (preflight ? 204u : 200u) : warden_decision_status(d);
  const char *body = kind == WARDEN_KIND_ALLOW ? (preflight ? "" : "ok\n")
                     : kind == WARDEN_KIND_UNAUTHORIZED ? "unauthorized\n"
                                                         : "forbidden\n";
  struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) return MHD_NO;
  if (!preflight) MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");

  for (size_t i = 0; i < warden_decision_challenge_count(d); i++) {
    size_t needed = 0;
    if (warden_decision_challenge(d, i, NULL, 0, &needed) != WARDEN_RESULT_BUFFER_TOO_SMALL) continue;
    char *value = malloc(needed);
    if (value != NULL && warden_decision_challenge(d, i, value, needed, &needed) == WARDEN_RESULT_OK) {
      MHD_add_response_header(resp, "WWW-Authenticate", value);
    }
    free(value);
  }

  /* Responses differ by Origin on CORS routes: say so on every answer, for caches. */
  MHD_add_response_header(resp, "Vary", "Origin");
  char *origin = decision_text(d, warden_decision_cors_allow_origin);
  if (origin != NULL) {
    add_owned_header(resp, "Access-Control-Allow-Origin", origin);
    if (warden_decision_cors_allow_credentials(d)) {
      MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    }
    /* A denial a page may read: without this, fetch() hides the challenge from the script. */
    if (kind != WARDEN_KIND_ALLOW) {
      MHD_add_response_header(resp, "Access-Control-Expose-Headers", "WWW-Authenticate");
    }
    add_owned_header(resp, "Access-Control-Allow-Methods", decision_text(d, warden_decision_cors_allow_methods));
    add_owned_header(resp, "Access-Control-Allow-Headers", decision_text(d, warden_decision_cors_allow_headers));
    uint32_t max_age = 0;
    if (warden_decision_cors_max_age(d, &max_age) == WARDEN_RESULT_OK) {
      char text[16];
      snprintf(text, sizeof text, "%u", (unsigned)max_age);
      MHD_add_response_header(resp, "Access-Control-Max-Age", text);
    }
  }

  if (expose_reason) {
    char name[64];
    size_t n;
    if (warden_reason_name(reason, name, sizeof name, &n) == WARDEN_RESULT_OK) {
      MHD_add_response_header(resp, "X-Warden-Reason", name);
    }
    add_owned_header(resp, "X-Warden-Rule", decision_text(d, warden_decision_rule));
    add_owned_header(resp, "X-Warden-Subject", decision_text(d, warden_decision_subject));
    char roles[1024] = "";
    for (size_t i = 0; i < warden_decision_role_count(d); i++) {
      char role[256];
      if (warden_decision_role(d, i, role, sizeof role, &n) != WARDEN_RESULT_OK) continue;
      if (strlen(roles) + strlen(role) + 2 >= sizeof roles) break;
      if (i > 0) strcat(roles, " ");
      strcat(roles, role);
    }
    if (roles[0] != '\0') MHD_add_response_header(resp, "X-Warden-Roles", roles);
  }
  char name[64] = "";
  size_t len;
  warden_reason_name(reason, name, sizeof name, &len);
  fprintf(stderr, "%s %s -> %u %s\n", method, url, status, name);
  mhd_result r = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return r;
}

static mhd_result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                         const char *version, const char *upload_data, size_t *upload_data_size,
                         void **req_cls) {
  (void)cls;
  (void)version;
  (void)upload_data;
  /* Decide once the request (and any body, which the gate ignores) has been received. */
  static int seen;
  if (*req_cls == NULL) {
    *req_cls = &seen;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }

  header_list list = {.len = 0};
  MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &list);
  if (list.overflow) return send_plain(conn, 431, "too many request headers\n");

  warden_request req;
  memset(&req, 0, sizeof req);
  req.method = method;
  req.method_len = strlen(method);
  req.path = url;
  req.path_len = strlen(url);
  req.headers = list.headers;
  req.headers_len = list.len;
  req.now = (uint64_t)time(NULL);
  if (client_address(conn, list.forwarded_for, &req) != 0) {
    return send_plain(conn, 400, "bad X-Forwarded-For\n");
  }

  warden_decision d;
  warden_result r = warden_evaluate(engine, &req, &d);
  if (r == WARDEN_RESULT_TOO_MANY_HEADERS) return send_plain(conn, 431, "too many request headers\n");
  if (r != WARDEN_RESULT_OK) {
    /* Fail closed: no decision, no access. */
    fprintf(stderr, "warden_evaluate: %s\n", result_text(r));
    return send_plain(conn, 500, "internal error\n");
  }
  return answer(conn, method, url, &d);
}

/* Leaves the path exactly as received: Warden judges percent-escapes itself (an escaped
 * `/` or `..` must reach it still escaped). */
static size_t keep_escapes(void *cls, struct MHD_Connection *conn, char *s) {
  (void)cls;
  (void)conn;
  return strlen(s);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: WARDEN_KEYS=id=hex,... %s POLICY.wdn [PORT]\n", argv[0]);
    return 2;
  }
  unsigned port = argc == 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
  expose_reason = getenv("WARDEN_EXPOSE_REASON") != NULL && strcmp(getenv("WARDEN_EXPOSE_REASON"), "1") == 0;

  size_t blob_len = 0;
  uint8_t *blob = read_file(argv[1], &blob_len); /* kept for the engine's lifetime */
  if (blob == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  warden_key keys[WARDEN_MAX_KEYRING];
  size_t keys_len = 0;
  char *key_storage = NULL;
  const char *key_text = getenv("WARDEN_KEYS");
  if (key_text != NULL && parse_keys(key_text, keys, &keys_len, &key_storage) != 0) {
    fprintf(stderr, "WARDEN_KEYS: expected id=hex,id=hex\n");
    return 1;
  }

  size_t size = warden_engine_size(), align = warden_engine_align();
  void *memory = aligned_alloc(align, (size + align - 1) / align * align);
  warden_engine *loaded = NULL;
  warden_load_error why; /* what a refusal was about: capacity and limit, or the missing key */
  warden_result r;
  const char *verify_hex = getenv("WARDEN_VERIFY_KEY");
  if (verify_hex != NULL) {
    uint8_t verify[128];
    const char *end;
    long verify_len = strlen(verify_hex) / 2 <= sizeof verify ? hex_decode(verify_hex, verify, &end) : -1;
    if (verify_len <= 0) {
      fprintf(stderr, "WARDEN_VERIFY_KEY: expected hex\n");
      return 1;
    }
    r = warden_engine_load_verified_with_error(blob, blob_len, keys, keys_len, verify, (size_t)verify_len, memory,
                                               size, &loaded, &why);
  } else {
    r = warden_engine_load_with_error(blob, blob_len, keys, keys_len, memory, size, &loaded, &why);
  }
  free(key_storage); /* the keyring is read only during load */
  if (r != WARDEN_RESULT_OK) {
    char text[512];
    size_t n;
    if (warden_load_error_message(&why, text, sizeof text, &n) != WARDEN_RESULT_OK) snprintf(text, sizeof text, "%s", result_text(r));
    fprintf(stderr, "cannot load %s: %s (%u)\n", argv[1], text, (unsigned)r);
    return 1;
  }
  engine = loaded;

  /* Handle SIGINT/SIGTERM by waiting for them here; server threads inherit the mask. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct MHD_Daemon *daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0, NULL, NULL,
      handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_UNESCAPE_CALLBACK,
      keep_escapes, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (daemon == NULL) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%u\n", port);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  printf("listening on http://127.0.0.1:%u\n", info != NULL ? (unsigned)info->port : port);
  fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  MHD_stop_daemon(daemon);
  warden_engine_clear(loaded); /* wipes the key state; nothing to free inside */
  free(memory);
  free(blob);
  fprintf(stderr, "stopped (signal %d)\n", sig);
  return 0;
}
