/*
 * Shared helpers of the C tests: checks that count, the example policy and its keys, engine
 * memory, requests, and reading text out of a decision the way a host does.
 *
 * Every test program takes the directory of the example policy as its first argument and the
 * keyring in WARDEN_KEYS (id=hex,id=hex; see ffi/tools/keys-env.sh), and ends with the line
 * "<name>: N passed, M failed".
 */
#ifndef WARDEN_TEST_HARNESS_H
#define WARDEN_TEST_HARNESS_H

#define _POSIX_C_SOURCE 200809L /* strdup, pthreads */

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden.h"

/* `now` of policies/edge-api.cases.toml (2026-01-01T00:00:00Z); the tokens in tokens.h were
 * minted for it. */
#define H_NOW 1767225600u

static int h_passed, h_failed;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      h_passed++;                                                                \
    } else {                                                                     \
      h_failed++;                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define CHECK_EQ(expr, want)                                                             \
  do {                                                                                   \
    unsigned long long got_ = (unsigned long long)(expr);                                \
    unsigned long long want_ = (unsigned long long)(want);                               \
    if (got_ == want_) {                                                                 \
      h_passed++;                                                                        \
    } else {                                                                             \
      h_failed++;                                                                        \
      fprintf(stderr, "%s:%d: %s is %llu, want %s (%llu)\n", __FILE__, __LINE__, #expr, \
              got_, #want, want_);                                                       \
    }                                                                                    \
  } while (0)

#define CHECK_STR(got, want)                                                           \
  do {                                                                                 \
    const char *got_ = (got);                                                          \
    const char *want_ = (want);                                                        \
    if (got_ != NULL && want_ != NULL && strcmp(got_, want_) == 0) {                   \
      h_passed++;                                                                      \
    } else if (got_ == NULL && want_ == NULL) {                                        \
      h_passed++;                                                                      \
    } else {                                                                           \
      h_failed++;                                                                      \
      fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
              got_ ? got_ : "(none)", want_ ? want_ : "(none)");                       \
    }                                                                                  \
  } while (0)

static inline int h_finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, h_passed, h_failed);
  return h_failed == 0 ? 0 : 1;
}

static inline void h_die(const char *what) {
  fprintf(stderr, "fatal: %s\n", what);
  exit(2);
}

/* ---- files and keys ------------------------------------------------------------------- */

static inline uint8_t *h_read_file(const char *dir, const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL) h_die(path);
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) h_die("out of memory");
  for (;;) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    cap *= 2;
    uint8_t *bigger = realloc(buf, cap);
    if (bigger == NULL) h_die("out of memory");
    buf = bigger;
  }
  fclose(f);
  *len = n;
  return buf;
}

typedef struct {
  warden_key keys[WARDEN_MAX_KEYRING];
  size_t len;
  char *text;      /* the ids point into this copy of WARDEN_KEYS */
  uint8_t *bytes;  /* the secrets point into this */
} h_keyring;

static inline int h_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses "id=hex,id=hex" from WARDEN_KEYS. */
static inline void h_keys_from_env(h_keyring *ring) {
  const char *env = getenv("WARDEN_KEYS");
  if (env == NULL || *env == '\0') h_die("WARDEN_KEYS is not set (see ffi/tools/keys-env.sh)");
  size_t n = strlen(env);
  memset(ring, 0, sizeof *ring);
  ring->text = malloc(n + 1);
  ring->bytes = malloc(n / 2 + 1);
  if (ring->text == NULL || ring->bytes == NULL) h_die("out of memory");
  memcpy(ring->text, env, n + 1);
  uint8_t *out = ring->bytes;
  char *p = ring->text;
  while (*p != '\0') {
    if (ring->len == WARDEN_MAX_KEYRING) h_die("too many keys in WARDEN_KEYS");
    char *eq = strchr(p, '=');
    if (eq == NULL) h_die("WARDEN_KEYS: expected id=hex");
    warden_key *k = &ring->keys[ring->len++];
    k->id = p;
    k->id_len = (size_t)(eq - p);
    k->secret = out;
    char *h = eq + 1;
    while (*h != '\0' && *h != ',') {
      int hi = h_hex(h[0]), lo = h[1] ? h_hex(h[1]) : -1;
      if (hi < 0 || lo < 0) h_die("WARDEN_KEYS: bad hex");
      *out++ = (uint8_t)(hi * 16 + lo);
      h += 2;
    }
    k->secret_len = (size_t)(out - k->secret);
    p = *h == ',' ? h + 1 : h;
  }
}

static inline void h_keys_free(h_keyring *ring) {
  free(ring->text);
  free(ring->bytes);
}

/* ---- engines -------------------------------------------------------------------------- */

typedef struct {
  void *memory;
  warden_engine *engine;
  uint8_t *blob;
  size_t blob_len;
} h_engine;

static inline void *h_engine_memory(void) {
  void *m = aligned_alloc(warden_engine_align(), warden_engine_size());
  if (m == NULL) h_die("out of memory");
  return m;
}

/* Loads dir/name into fresh memory; the blob stays alive with the engine. */
static inline warden_result h_load(h_engine *e, const char *dir, const char *name, const h_keyring *ring) {
  e->blob = h_read_file(dir, name, &e->blob_len);
  e->memory = h_engine_memory();
  return warden_engine_load(e->blob, e->blob_len, ring->keys, ring->len, e->memory,
                            warden_engine_size(), &e->engine);
}

static inline void h_unload(h_engine *e) {
  if (e->engine != NULL) warden_engine_clear(e->engine);
  free(e->memory);
  free(e->blob);
  memset(e, 0, sizeof *e);
}

/* ---- requests ------------------------------------------------------------------------- */

#define H_MAX_HEADERS 16

typedef struct {
  warden_request req;
  warden_header headers[H_MAX_HEADERS];
} h_req;

static inline void h_req_init(h_req *r, const char *method, const char *path) {
  memset(r, 0, sizeof *r);
  r->req.method = method;
  r->req.method_len = strlen(method);
  r->req.path = path;
  r->req.path_len = strlen(path);
  r->req.headers = r->headers;
  r->req.ip_family = WARDEN_IP_FAMILY_NONE;
  r->req.now = H_NOW;
}

static inline void h_req_header(h_req *r, const char *name, const char *value) {
  if (r->req.headers_len == H_MAX_HEADERS) h_die("too many test headers");
  warden_header *h = &r->headers[r->req.headers_len++];
  h->name = name;
  h->name_len = strlen(name);
  h->value = value;
  h->value_len = strlen(value);
}

static inline void h_req_ipv4(h_req *r, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  r->req.ip_family = WARDEN_IP_FAMILY_V4;
  memset(r->req.ip, 0, sizeof r->req.ip);
  r->req.ip[0] = a;
  r->req.ip[1] = b;
  r->req.ip[2] = c;
  r->req.ip[3] = d;
}

/* ---- reading decisions ---------------------------------------------------------------- */

typedef warden_result (*h_text_fn)(const warden_decision *, char *, size_t, size_t *);

/* The text of an accessor in `buf`, or NULL when it returns anything but OK (absent). */
static inline const char *h_get(const warden_decision *d, h_text_fn f, char *buf, size_t len) {
  size_t n = 0;
  return f(d, buf, len, &n) == WARDEN_RESULT_OK ? buf : NULL;
}

/* The reason name of a decision (static storage, overwritten by the next call). */
static inline const char *h_reason(const warden_decision *d) {
  static char name[64];
  size_t n = 0;
  if (warden_reason_name(warden_decision_reason(d), name, sizeof name, &n) != WARDEN_RESULT_OK) {
    return "(no reason)";
  }
  return name;
}

static inline const char *h_challenge(const warden_decision *d, size_t i) {
  static char buf[512];
  size_t n = 0;
  return warden_decision_challenge(d, i, buf, sizeof buf, &n) == WARDEN_RESULT_OK ? buf : NULL;
}

/* Whether `s` (possibly NULL) contains `part`. */
static inline int h_contains(const char *s, const char *part) { return s != NULL && strstr(s, part) != NULL; }

static inline const char *h_role(const warden_decision *d, size_t i) {
  static char buf[256];
  size_t n = 0;
  return warden_decision_role(d, i, buf, sizeof buf, &n) == WARDEN_RESULT_OK ? buf : NULL;
}

#endif /* WARDEN_TEST_HARNESS_H */
