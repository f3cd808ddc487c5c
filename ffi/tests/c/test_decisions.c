/*
 * Decisions of the example policy read from C: every kind (Allow, 401, 403) with its reason,
 * rule, subject, roles, challenges and CORS values (on denials a page may read, too); API keys, Basic and JWTs (tokens.h); a
 * decision read after its request's buffers were freed; decisions of a cleared engine.
 */
#include "harness.h"
#include "tokens.h"

static char text_buf[512];

#define TEXT(f, d) h_get((d), (f), text_buf, sizeof text_buf)

static void decide(const h_engine *e, const h_req *r, warden_decision *d) {
  warden_result res = warden_evaluate(e->engine, &r->req, d);
  CHECK_EQ(res, WARDEN_RESULT_OK);
}

static void allow_kinds(const h_engine *e) {
  warden_decision d;
  h_req r;

  /* Public. */
  h_req_init(&r, "GET", "/docs/guide");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_kind(&d), WARDEN_KIND_ALLOW);
  CHECK_EQ(warden_decision_status(&d), 200);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_PUBLIC);
  CHECK_STR(TEXT(warden_decision_rule, &d), "public-docs");
  CHECK_STR(TEXT(warden_decision_subject, &d), NULL);
  CHECK_EQ(warden_decision_challenge_count(&d), 0);

  /* API key. */
  h_req_init(&r, "POST", "/deploy/api");
  h_req_header(&r, "X-Api-Key", "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw");
  h_req_ipv4(&r, 192, 0, 2, 10);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_ALLOWED);
  CHECK_STR(TEXT(warden_decision_rule, &d), "deploy");
  CHECK_STR(TEXT(warden_decision_subject, &d), "ci-bot");
  CHECK_EQ(warden_decision_role_count(&d), 1);
  CHECK_STR(h_role(&d, 0), "deployer");
  CHECK(!warden_decision_refresh_advised(&d));

  /* Basic (PBKDF2). */
  h_req_init(&r, "GET", "/api/v1/reports/q4");
  h_req_header(&r, "Authorization", "Basic YXVkaXRvcjpkZXYtYXVkaXRvci1wYXNzd29yZA=="); /* auditor */
  decide(e, &r, &d);
  CHECK_STR(h_reason(&d), "allowed");
  CHECK_STR(TEXT(warden_decision_subject, &d), "auditor");
  CHECK_STR(h_role(&d, 0), "auditor");

  /* JWT with a CORS answer. */
  h_req_init(&r, "PUT", "/api/v1/orders/42/items/7");
  h_req_header(&r, "Origin", "https://shop.example.com");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_BOB_WRITER);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_ALLOWED);
  CHECK_STR(TEXT(warden_decision_rule, &d), "orders-write");
  CHECK_STR(TEXT(warden_decision_subject, &d), "bob");
  CHECK_EQ(warden_decision_role_count(&d), 2);
  CHECK_STR(h_role(&d, 0), "orders:write");
  CHECK_STR(h_role(&d, 1), "verified");
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), "https://shop.example.com");
  CHECK(warden_decision_cors_allow_credentials(&d));
  CHECK_STR(TEXT(warden_decision_cors_allow_methods, &d), NULL); /* not a preflight */

  /* HS384 partner token, roles from "groups". */
  h_req_init(&r, "GET", "/partners/acme/feed");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_PARTNER_HS384);
  decide(e, &r, &d);
  CHECK_STR(h_reason(&d), "allowed");
  CHECK_STR(TEXT(warden_decision_subject, &d), "partner-7");

  /* Step-up satisfied (mfa in amr, recent iat, inside the allow list). */
  h_req_init(&r, "GET", "/admin/users");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_CAROL_ADMIN_MFA);
  h_req_ipv4(&r, 10, 1, 2, 3);
  decide(e, &r, &d);
  CHECK_STR(h_reason(&d), "allowed");
  CHECK_STR(TEXT(warden_decision_subject, &d), "carol");
  CHECK(!warden_decision_refresh_advised(&d));

  /* The refresh window: the token expires in 100 s (< refresh_window_s 300). */
  h_req_init(&r, "GET", "/api/v1/orders/42");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_ALICE_READER);
  r.req.now = H_NOW + 3600 - 100;
  decide(e, &r, &d);
  CHECK_STR(h_reason(&d), "allowed");
  CHECK(warden_decision_refresh_advised(&d));

  /* Preflight. */
  uint32_t age = 0;
  h_req_init(&r, "OPTIONS", "/api/v1/orders/9");
  h_req_header(&r, "Origin", "https://shop.example.com");
  h_req_header(&r, "Access-Control-Request-Method", "DELETE");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_PREFLIGHT);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), "https://shop.example.com");
  CHECK_STR(TEXT(warden_decision_cors_allow_methods, &d), "POST, DELETE, PUT, PATCH");
  CHECK_STR(TEXT(warden_decision_cors_allow_headers, &d), "authorization, content-type, x-api-key");
  CHECK_EQ(warden_decision_cors_max_age(&d, &age), WARDEN_RESULT_OK);
  CHECK_EQ(age, 600);
}

static void unauthorized_kinds(const h_engine *e) {
  warden_decision d;
  h_req r;

  /* No credentials: one challenge per accepted scheme, no error attribute. */
  h_req_init(&r, "GET", "/api/v1/orders/42");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_kind(&d), WARDEN_KIND_UNAUTHORIZED);
  CHECK_EQ(warden_decision_status(&d), 401);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_CREDENTIALS_MISSING);
  CHECK_EQ(warden_decision_challenge_count(&d), 2);
  CHECK_STR(h_challenge(&d, 0), "Bearer realm=\"edge-api\"");
  CHECK_STR(h_challenge(&d, 1), "ApiKey realm=\"edge-api\"");
  CHECK_STR(TEXT(warden_decision_subject, &d), NULL);

  /* Expired token: the same token, later. */
  h_req_init(&r, "GET", "/api/v1/orders/42");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_ALICE_READER);
  r.req.now = H_NOW + 3600 + 61;
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_TOKEN_EXPIRED);
  CHECK_STR(h_challenge(&d, 0),
            "Bearer realm=\"edge-api\", error=\"invalid_token\", error_description=\"the access token expired\"");

  struct {
    const char *token;
    uint32_t reason;
  } bad[] = {
      {TOKEN_ALG_NONE, WARDEN_REASON_TOKEN_ALGORITHM_REJECTED},
      {TOKEN_UNKNOWN_KID, WARDEN_REASON_TOKEN_UNKNOWN_KEY},
      {TOKEN_WRONG_KEY, WARDEN_REASON_TOKEN_BAD_SIGNATURE},
      {"not.a.jwt", WARDEN_REASON_CREDENTIALS_MALFORMED},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char header[1024];
    snprintf(header, sizeof header, "Bearer %s", bad[i].token);
    h_req_init(&r, "GET", "/api/v1/orders/42");
    h_req_header(&r, "Authorization", header);
    decide(e, &r, &d);
    CHECK_EQ(warden_decision_reason(&d), bad[i].reason);
  }

  /* Step-up: mfa required, with the RFC 9470 challenge. */
  h_req_init(&r, "GET", "/admin/users");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_CAROL_ADMIN_NO_MFA);
  h_req_ipv4(&r, 10, 1, 2, 3);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_MFA_REQUIRED);
  CHECK(h_contains(h_challenge(&d, 0), "acr_values=\"mfa\""));
  CHECK_STR(h_challenge(&d, 1), "Basic realm=\"edge-api\", charset=\"UTF-8\"");

  /* Step-up: the authentication is too old for max_auth_age_s = 3600. */
  h_req_init(&r, "GET", "/admin/users");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_CAROL_ADMIN_MFA);
  h_req_ipv4(&r, 10, 1, 2, 3);
  r.req.now = H_NOW + 3100; /* iat was H_NOW - 600 */
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_AUTH_TOO_OLD);
  CHECK(h_contains(h_challenge(&d, 0), "max_age=3600"));

  /* Unknown API key; both schemes at once. */
  h_req_init(&r, "GET", "/metrics");
  h_req_header(&r, "x-api-key", "wk_not_a_key");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_CREDENTIALS_INVALID);
  h_req_header(&r, "authorization", "Bearer " TOKEN_ALICE_READER);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_CREDENTIALS_AMBIGUOUS);

  /* A 401 to an allowed origin carries the CORS answer, so the page can read it; without an
   * origin it carries none. */
  h_req_init(&r, "POST", "/api/v1/orders");
  h_req_header(&r, "Origin", "https://shop.example.com");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_kind(&d), WARDEN_KIND_UNAUTHORIZED);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_CREDENTIALS_MISSING);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), "https://shop.example.com");
  CHECK(warden_decision_cors_allow_credentials(&d));
  CHECK_STR(TEXT(warden_decision_cors_allow_methods, &d), NULL); /* not a preflight */
  h_req_init(&r, "GET", "/api/v1/orders/42");
  h_req_header(&r, "Origin", "https://shop.example.com");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_WRONG_KEY);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_TOKEN_BAD_SIGNATURE);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), "https://shop.example.com");
  h_req_init(&r, "POST", "/api/v1/orders");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_CREDENTIALS_MISSING);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), NULL);
  CHECK(!warden_decision_cors_allow_credentials(&d));
}

static void forbidden_kinds(const h_engine *e) {
  warden_decision d;
  h_req r;

  /* Wrong role, by token: the insufficient_scope challenge and the subject. */
  h_req_init(&r, "POST", "/api/v1/orders");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_ALICE_READER);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_kind(&d), WARDEN_KIND_FORBIDDEN);
  CHECK_EQ(warden_decision_status(&d), 403);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_INSUFFICIENT_ROLE);
  CHECK_STR(TEXT(warden_decision_subject, &d), "alice");
  CHECK_EQ(warden_decision_challenge_count(&d), 1);
  CHECK_STR(h_challenge(&d, 0), "Bearer realm=\"edge-api\", error=\"insufficient_scope\", scope=\"orders:write verified\"");
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), NULL); /* no origin sent */

  /* The same from the shop's page: row 17 comes after the origin check, so the 403 carries
   * the CORS answer. */
  h_req_header(&r, "Origin", "https://shop.example.com");
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_INSUFFICIENT_ROLE);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), "https://shop.example.com");
  CHECK(warden_decision_cors_allow_credentials(&d));
  uint32_t age = 7;
  CHECK_EQ(warden_decision_cors_max_age(&d, &age), WARDEN_RESULT_ABSENT);
  CHECK_EQ(age, 0);

  /* Blocked IP, even on a public rule; IPv6 deny range of the defaults. */
  h_req_init(&r, "GET", "/health");
  h_req_ipv4(&r, 203, 0, 113, 7);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_IP_BLOCKED);
  CHECK_STR(TEXT(warden_decision_rule, &d), "health");
  h_req_init(&r, "GET", "/health");
  r.req.ip_family = WARDEN_IP_FAMILY_V6;
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(r.req.ip, v6, 16);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_IP_BLOCKED);

  /* Outside the allow list; no address at all. */
  h_req_init(&r, "GET", "/admin/users");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_CAROL_ADMIN_MFA);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_IP_NOT_ALLOWED);

  struct {
    const char *method, *path;
    uint32_t reason;
  } plain[] = {
      {"GET", "/docs/../admin", WARDEN_REASON_MALFORMED_PATH},
      {"GET", "/docs/%2e%2e/admin", WARDEN_REASON_MALFORMED_PATH},
      {"DELETE", "/health", WARDEN_REASON_METHOD_NOT_ALLOWED},
      {"GET", "/nowhere", WARDEN_REASON_NO_MATCHING_RULE},
  };
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    h_req_init(&r, plain[i].method, plain[i].path);
    decide(e, &r, &d);
    CHECK_EQ(warden_decision_reason(&d), plain[i].reason);
    CHECK_STR(TEXT(warden_decision_rule, &d), NULL);
  }

  /* An origin the rule does not list. */
  h_req_init(&r, "PUT", "/api/v1/orders/42");
  h_req_header(&r, "Origin", "https://evil-example.com");
  h_req_header(&r, "Authorization", "Bearer " TOKEN_BOB_WRITER);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_ORIGIN_NOT_ALLOWED);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), NULL);

  /* The network checks come before the origin check: no CORS answer even for an allowed one. */
  h_req_init(&r, "GET", "/health");
  h_req_header(&r, "Origin", "https://status.example.com");
  h_req_ipv4(&r, 203, 0, 113, 7);
  decide(e, &r, &d);
  CHECK_EQ(warden_decision_reason(&d), WARDEN_REASON_IP_BLOCKED);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &d), NULL);
  CHECK(!warden_decision_cors_allow_credentials(&d));
}

/* Every byte of the request in heap memory that is freed before the decision is read: ASan
 * and valgrind report any pointer from the decision into it. */
static void decision_outlives_its_request(const h_engine *e) {
  warden_decision d;
  char *method = strdup("OPTIONS"), *path = strdup("/api/stuff");
  char *origin_name = strdup("origin"), *origin = strdup("https://app.example.com");
  char *acrm_name = strdup("access-control-request-method"), *acrm = strdup("PROPFIND");
  warden_header *headers = malloc(2 * sizeof *headers);
  warden_request *req = calloc(1, sizeof *req);
  headers[0] = (warden_header){origin_name, strlen(origin_name), origin, strlen(origin)};
  headers[1] = (warden_header){acrm_name, strlen(acrm_name), acrm, strlen(acrm)};
  req->method = method;
  req->method_len = strlen(method);
  req->path = path;
  req->path_len = strlen(path);
  req->headers = headers;
  req->headers_len = 2;
  req->ip_family = WARDEN_IP_FAMILY_NONE;
  req->now = H_NOW;
  CHECK_EQ(warden_evaluate(e->engine, req, &d), WARDEN_RESULT_OK);
  free(method);
  free(path);
  free(origin_name);
  free(origin);
  free(acrm_name);
  free(acrm);
  free(headers);
  free(req);

  warden_decision copy;
  memcpy(&copy, &d, sizeof d); /* a decision may be copied */
  CHECK_EQ(warden_decision_reason(&copy), WARDEN_REASON_PREFLIGHT);
  CHECK_STR(TEXT(warden_decision_cors_allow_origin, &copy), "https://app.example.com");
  CHECK_STR(TEXT(warden_decision_cors_allow_methods, &copy), "PROPFIND");
  CHECK_STR(TEXT(warden_decision_rule, &copy), "api");
}

static void stale_after_clear(const char *dir, const h_keyring *ring) {
  h_engine e;
  CHECK_EQ(h_load(&e, dir, "edge-api.wdn", ring), WARDEN_RESULT_OK);
  warden_decision d;
  h_req r;
  h_req_init(&r, "GET", "/metrics");
  h_req_header(&r, "x-api-key", "wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0");
  decide(&e, &r, &d);
  CHECK_STR(TEXT(warden_decision_subject, &d), "metrics-scraper");
  CHECK_EQ(warden_engine_clear(e.engine), WARDEN_RESULT_OK);
  size_t n = 0;
  CHECK_EQ(warden_decision_subject(&d, text_buf, sizeof text_buf, &n), WARDEN_RESULT_STALE_DECISION);
  CHECK_EQ(warden_decision_kind(&d), 0);
  CHECK_EQ(warden_evaluate(e.engine, &r.req, &d), WARDEN_RESULT_NOT_LOADED);
  /* The wipe: every byte of the engine memory is zero. */
  const uint8_t *m = e.memory;
  size_t nonzero = 0;
  for (size_t i = 0; i < warden_engine_size(); i++) nonzero += m[i] != 0;
  CHECK_EQ(nonzero, 0);
  e.engine = NULL;
  h_unload(&e);
}

/* Public keys come compiled in the policy: the keyring stays HMAC-only, and RS256, PS256,
   ES256 and EdDSA tokens of the identity provider decide like any other. */
static void public_key_tokens(h_engine *e) {
  h_req r;
  warden_decision d;
  static const struct {
    const char *token;
    uint32_t reason;
    const char *subject;
  } cases[] = {
      {TOKEN_IDP_RS256, WARDEN_REASON_ALLOWED, "dana"},
      {TOKEN_IDP_PS256, WARDEN_REASON_ALLOWED, "dana"},
      {TOKEN_IDP_ES256, WARDEN_REASON_ALLOWED, "erin"},
      {TOKEN_IDP_EDDSA, WARDEN_REASON_ALLOWED, "frank"},
      {TOKEN_IDP_HS256_PUBLIC_KID, WARDEN_REASON_TOKEN_ALGORITHM_REJECTED, NULL},
      {TOKEN_IDP_ES256_ZERO_SIG, WARDEN_REASON_TOKEN_BAD_SIGNATURE, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char header[2048];
    snprintf(header, sizeof header, "Bearer %s", cases[i].token);
    h_req_init(&r, "GET", "/api/v1/orders/42");
    h_req_header(&r, "Authorization", header);
    decide(e, &r, &d);
    CHECK_EQ(warden_decision_reason(&d), cases[i].reason);
    if (cases[i].subject) CHECK_STR(TEXT(warden_decision_subject, &d), cases[i].subject);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) h_die("usage: test_decisions POLICY_DIR");
  h_keyring ring;
  h_keys_from_env(&ring);
  h_engine e;
  CHECK_EQ(h_load(&e, argv[1], "edge-api.wdn", &ring), WARDEN_RESULT_OK);
  allow_kinds(&e);
  unauthorized_kinds(&e);
  forbidden_kinds(&e);
  public_key_tokens(&e);
  decision_outlives_its_request(&e);
  h_unload(&e);
  stale_after_clear(argv[1], &ring);
  h_keys_free(&ring);
  return h_finish("test_decisions");
}
