/*
 * The conventions of the C ABI, from C: sizes and versions, every result code and its
 * message, every reason name, and every argument the documentation forbids (NULL, zero
 * length, misaligned, too small, unknown integers), each answered with its code.
 */
#include "harness.h"

static const struct {
  uint32_t value;
  const char *name;
} RESULTS[] = {
    {WARDEN_RESULT_OK, "OK"},
    {WARDEN_RESULT_NULL_PARAMETER, "NULL_PARAMETER"},
    {WARDEN_RESULT_INVALID_LENGTH, "INVALID_LENGTH"},
    {WARDEN_RESULT_MISALIGNED, "MISALIGNED"},
    {WARDEN_RESULT_BUFFER_TOO_SMALL, "BUFFER_TOO_SMALL"},
    {WARDEN_RESULT_INVALID_VALUE, "INVALID_VALUE"},
    {WARDEN_RESULT_INVALID_UTF8, "INVALID_UTF8"},
    {WARDEN_RESULT_TOO_MANY_HEADERS, "TOO_MANY_HEADERS"},
    {WARDEN_RESULT_TOO_MANY_KEYS, "TOO_MANY_KEYS"},
    {WARDEN_RESULT_INDEX_OUT_OF_RANGE, "INDEX_OUT_OF_RANGE"},
    {WARDEN_RESULT_NOT_LOADED, "NOT_LOADED"},
    {WARDEN_RESULT_NO_DECISION, "NO_DECISION"},
    {WARDEN_RESULT_STALE_DECISION, "STALE_DECISION"},
    {WARDEN_RESULT_ABSENT, "ABSENT"},
    {WARDEN_RESULT_TRUNCATED, "TRUNCATED"},
    {WARDEN_RESULT_BAD_MAGIC, "BAD_MAGIC"},
    {WARDEN_RESULT_UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION"},
    {WARDEN_RESULT_UNKNOWN_FLAGS, "UNKNOWN_FLAGS"},
    {WARDEN_RESULT_LENGTH_MISMATCH, "LENGTH_MISMATCH"},
    {WARDEN_RESULT_DIGEST_MISMATCH, "DIGEST_MISMATCH"},
    {WARDEN_RESULT_SIGNATURE_MISSING, "SIGNATURE_MISSING"},
    {WARDEN_RESULT_SIGNATURE_INVALID, "SIGNATURE_INVALID"},
    {WARDEN_RESULT_BUNDLE_KEY_TOO_SHORT, "BUNDLE_KEY_TOO_SHORT"},
    {WARDEN_RESULT_CAPACITY_EXCEEDED, "CAPACITY_EXCEEDED"},
    {WARDEN_RESULT_BODY_MALFORMED, "BODY_MALFORMED"},
    {WARDEN_RESULT_POLICY_INVALID, "POLICY_INVALID"},
    {WARDEN_RESULT_KEY_MISSING, "KEY_MISSING"},
    {WARDEN_RESULT_KEY_TOO_SHORT, "KEY_TOO_SHORT"},
    {WARDEN_RESULT_KEYRING_DUPLICATE, "KEYRING_DUPLICATE"},
    {WARDEN_RESULT_UNSUPPORTED_ALGORITHM, "UNSUPPORTED_ALGORITHM"},
    {WARDEN_RESULT_LOAD_FAILED, "LOAD_FAILED"},
    {WARDEN_RESULT_PANIC, "PANIC"},
    {WARDEN_RESULT_INTERNAL, "INTERNAL"},
};

static const struct {
  uint32_t code;
  const char *name;
} REASONS[] = {
    {WARDEN_REASON_ALLOWED, "allowed"},
    {WARDEN_REASON_PUBLIC, "public"},
    {WARDEN_REASON_PREFLIGHT, "preflight"},
    {WARDEN_REASON_CREDENTIALS_MISSING, "credentials_missing"},
    {WARDEN_REASON_CREDENTIALS_AMBIGUOUS, "credentials_ambiguous"},
    {WARDEN_REASON_SCHEME_NOT_ACCEPTED, "scheme_not_accepted"},
    {WARDEN_REASON_CREDENTIALS_MALFORMED, "credentials_malformed"},
    {WARDEN_REASON_CREDENTIALS_INVALID, "credentials_invalid"},
    {WARDEN_REASON_TOKEN_ALGORITHM_REJECTED, "token_algorithm_rejected"},
    {WARDEN_REASON_TOKEN_UNKNOWN_KEY, "token_unknown_key"},
    {WARDEN_REASON_TOKEN_BAD_SIGNATURE, "token_bad_signature"},
    {WARDEN_REASON_TOKEN_EXPIRED, "token_expired"},
    {WARDEN_REASON_TOKEN_NOT_YET_VALID, "token_not_yet_valid"},
    {WARDEN_REASON_TOKEN_ISSUER_MISMATCH, "token_issuer_mismatch"},
    {WARDEN_REASON_TOKEN_AUDIENCE_MISMATCH, "token_audience_mismatch"},
    {WARDEN_REASON_MFA_REQUIRED, "mfa_required"},
    {WARDEN_REASON_AUTH_TOO_OLD, "auth_too_old"},
    {WARDEN_REASON_MALFORMED_PATH, "malformed_path"},
    {WARDEN_REASON_METHOD_NOT_ALLOWED, "method_not_allowed"},
    {WARDEN_REASON_NO_MATCHING_RULE, "no_matching_rule"},
    {WARDEN_REASON_IP_BLOCKED, "ip_blocked"},
    {WARDEN_REASON_IP_NOT_ALLOWED, "ip_not_allowed"},
    {WARDEN_REASON_ORIGIN_NOT_ALLOWED, "origin_not_allowed"},
    {WARDEN_REASON_INSUFFICIENT_ROLE, "insufficient_role"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void sizes_and_versions(void) {
  CHECK(warden_engine_size() > 0);
  size_t align = warden_engine_align();
  CHECK(align > 0 && (align & (align - 1)) == 0);
  CHECK_STR(warden_version(), WARDEN_VERSION);
  CHECK_EQ(warden_format_version(), 2); /* format v2: path patterns stored decoded, public keys */
  CHECK_EQ(sizeof(warden_decision), WARDEN_DECISION_WORDS * 8);
  CHECK(_Alignof(warden_decision) >= 8);
}

static void codes_and_names(void) {
  char buf[256];
  size_t n = 0;
  for (size_t i = 0; i < COUNT(RESULTS); i++) {
    CHECK(RESULTS[i].value != 0);
    CHECK_EQ(warden_result_message(RESULTS[i].value, buf, sizeof buf, &n), WARDEN_RESULT_OK);
    CHECK(n == strlen(buf) + 1 && n > 1);
  }
  CHECK_EQ(WARDEN_RESULT_OK, 1000);
  for (size_t i = 0; i < COUNT(REASONS); i++) {
    CHECK_EQ(warden_reason_name(REASONS[i].code, buf, sizeof buf, &n), WARDEN_RESULT_OK);
    CHECK_STR(buf, REASONS[i].name);
    CHECK_EQ(n, strlen(REASONS[i].name) + 1);
    uint32_t status = REASONS[i].code / 100;
    CHECK(status == 200 || status == 401 || status == 403);
  }
  /* Unknown values from C are an error, never undefined behaviour. */
  const uint32_t unknown[] = {0, 1, 999, 1001, 1100, 1150, 1200, 1300, 20000, 40100, 40400, 0xffffffffu};
  for (size_t i = 0; i < COUNT(unknown); i++) {
    n = 99;
    CHECK_EQ(warden_reason_name(unknown[i], buf, sizeof buf, &n), WARDEN_RESULT_INVALID_VALUE);
    CHECK_EQ(n, 0);
    CHECK_EQ(warden_result_message(unknown[i], buf, sizeof buf, &n), WARDEN_RESULT_INVALID_VALUE);
  }
  /* Size query, too small, exact. */
  CHECK_EQ(warden_reason_name(WARDEN_REASON_TOKEN_EXPIRED, NULL, 0, &n), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK_EQ(n, sizeof "token_expired");
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(warden_reason_name(WARDEN_REASON_TOKEN_EXPIRED, buf, 13, &n), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK(buf[0] == 'x' && buf[12] == 'x');
  CHECK_EQ(warden_reason_name(WARDEN_REASON_TOKEN_EXPIRED, buf, 14, &n), WARDEN_RESULT_OK);
  CHECK_STR(buf, "token_expired");
  CHECK_EQ(warden_reason_name(WARDEN_REASON_TOKEN_EXPIRED, NULL, 14, &n), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_reason_name(WARDEN_REASON_TOKEN_EXPIRED, buf, sizeof buf, NULL), WARDEN_RESULT_NULL_PARAMETER);
}

static void load_arguments(const char *dir, const h_keyring *ring) {
  size_t blob_len;
  uint8_t *blob = h_read_file(dir, "edge-api.wdn", &blob_len);
  size_t size = warden_engine_size(), align = warden_engine_align();
  /* One extra alignment unit so that a deliberately misaligned pointer stays in bounds. */
  uint8_t *memory = aligned_alloc(align, size + align);
  warden_engine *engine = (warden_engine *)memory;
  const warden_key *k = ring->keys;
  size_t kn = ring->len;

  CHECK_EQ(warden_engine_load(NULL, blob_len, k, kn, memory, size, &engine), WARDEN_RESULT_NULL_PARAMETER);
  CHECK(engine == NULL); /* reset on failure */
  CHECK_EQ(warden_engine_load(blob, 0, k, kn, memory, size, &engine), WARDEN_RESULT_INVALID_LENGTH);
  CHECK_EQ(warden_engine_load(blob, blob_len, NULL, kn, memory, size, &engine), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_engine_load(blob, blob_len, k, kn, NULL, size, &engine), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_engine_load(blob, blob_len, k, kn, memory + 1, size, &engine), WARDEN_RESULT_MISALIGNED);
  CHECK_EQ(warden_engine_load(blob, blob_len, k, kn, memory, size - 1, &engine), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK_EQ(warden_engine_load(blob, blob_len, k, kn, memory, size, NULL), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_engine_load(blob, blob_len, k, kn, memory, size, &engine), WARDEN_RESULT_OK);
  CHECK(engine == (warden_engine *)memory);

  /* Keys. */
  warden_key keys[WARDEN_MAX_KEYRING + 1];
  memcpy(keys, ring->keys, kn * sizeof *keys);
  keys[0].id = NULL;
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn, memory, size, &engine), WARDEN_RESULT_NULL_PARAMETER);
  keys[0] = ring->keys[0];
  keys[0].id_len = 0;
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn, memory, size, &engine), WARDEN_RESULT_INVALID_LENGTH);
  keys[0] = ring->keys[0];
  keys[0].id = "\xff\xfe";
  keys[0].id_len = 2;
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn, memory, size, &engine), WARDEN_RESULT_INVALID_UTF8);
  keys[0] = ring->keys[0];
  keys[0].secret = NULL;
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn, memory, size, &engine), WARDEN_RESULT_NULL_PARAMETER);
  keys[0] = ring->keys[0];
  keys[0].secret_len = 16;
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn, memory, size, &engine), WARDEN_RESULT_KEY_TOO_SHORT);
  keys[0] = ring->keys[0];
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn - 1, memory, size, &engine), WARDEN_RESULT_KEY_MISSING);
  CHECK_EQ(warden_engine_load(blob, blob_len, NULL, 0, memory, size, &engine), WARDEN_RESULT_KEY_MISSING);
  keys[kn] = keys[0];
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, kn + 1, memory, size, &engine), WARDEN_RESULT_KEYRING_DUPLICATE);
  for (size_t i = kn; i < WARDEN_MAX_KEYRING + 1; i++) {
    keys[i] = keys[0];
    keys[i].id = "spare";
    keys[i].id_len = 5;
  }
  CHECK_EQ(warden_engine_load(blob, blob_len, keys, WARDEN_MAX_KEYRING + 1, memory, size, &engine),
           WARDEN_RESULT_TOO_MANY_KEYS);

  /* A failed load leaves no engine behind. */
  CHECK(engine == NULL);
  warden_request req = {0};
  warden_decision d;
  CHECK_EQ(warden_evaluate((warden_engine *)memory, &req, &d), WARDEN_RESULT_NOT_LOADED);
  CHECK_EQ(warden_engine_clear((warden_engine *)memory), WARDEN_RESULT_NOT_LOADED);
  CHECK_EQ(warden_engine_clear(NULL), WARDEN_RESULT_NULL_PARAMETER);
  free(memory);
  free(blob);
}

static void evaluate_arguments(const h_engine *e) {
  warden_decision d;
  h_req r;
  h_req_init(&r, "GET", "/health");
  CHECK_EQ(warden_evaluate(e->engine, &r.req, &d), WARDEN_RESULT_OK);
  CHECK_EQ(warden_decision_kind(&d), WARDEN_KIND_ALLOW);

  /* Every refusal resets the decision, so a stale Allow is never read as fresh. */
  CHECK_EQ(warden_evaluate(NULL, &r.req, &d), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_decision_kind(&d), 0);
  CHECK_EQ(warden_evaluate(e->engine, NULL, &d), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_evaluate(e->engine, &r.req, NULL), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_evaluate((const warden_engine *)((const uint8_t *)e->engine + 1), &r.req, &d),
           WARDEN_RESULT_MISALIGNED);
  warden_decision *odd = (warden_decision *)((uint8_t *)malloc(sizeof(warden_decision) + 8) + 4);
  CHECK_EQ(warden_evaluate(e->engine, &r.req, odd), WARDEN_RESULT_MISALIGNED);
  free((uint8_t *)odd - 4);

  /* A zero-initialised request is refused (no method), and so is ip_family 0. */
  warden_request zero = {0};
  CHECK_EQ(warden_evaluate(e->engine, &zero, &d), WARDEN_RESULT_INVALID_LENGTH);
  h_req z;
  h_req_init(&z, "GET", "/health");
  z.req.ip_family = 0;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_INVALID_VALUE);
  z.req.ip_family = 5;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_INVALID_VALUE);

  h_req_init(&z, "", "/health");
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_INVALID_LENGTH);
  h_req_init(&z, "GET", "/health");
  z.req.method = NULL;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_NULL_PARAMETER);
  h_req_init(&z, "GET", "/health");
  z.req.headers = NULL;
  z.req.headers_len = 1;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_NULL_PARAMETER);
  h_req_init(&z, "GET", "/health");
  h_req_header(&z, "", "value");
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_INVALID_LENGTH);
  h_req_init(&z, "GET", "/health");
  z.req.path_len = (size_t)-1;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_INVALID_LENGTH);

  /* Allowed emptiness: an empty path is decided, an empty header value is fine. */
  h_req_init(&z, "GET", "");
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_OK);
  CHECK_STR(h_reason(&d), "malformed_path");
  h_req_init(&z, "GET", "/health");
  h_req_header(&z, "x-empty", "");
  z.req.headers_len = 1;
  z.headers[0].value = NULL;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_OK);

  /* Too many headers: the host answers 431. */
  warden_header many[WARDEN_MAX_HEADERS + 1];
  for (size_t i = 0; i < WARDEN_MAX_HEADERS + 1; i++) {
    many[i].name = "x-h";
    many[i].name_len = 3;
    many[i].value = "v";
    many[i].value_len = 1;
  }
  h_req_init(&z, "GET", "/health");
  z.req.headers = many;
  z.req.headers_len = WARDEN_MAX_HEADERS + 1;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_TOO_MANY_HEADERS);
  z.req.headers_len = WARDEN_MAX_HEADERS;
  CHECK_EQ(warden_evaluate(e->engine, &z.req, &d), WARDEN_RESULT_OK);
}

static void accessor_arguments(const h_engine *e) {
  char buf[128];
  size_t n = 0;
  uint32_t age = 7;
  warden_decision zeroed;
  memset(&zeroed, 0, sizeof zeroed);

  /* Getters answer 0/false for anything that is not a decision. */
  CHECK_EQ(warden_decision_kind(NULL), 0);
  CHECK_EQ(warden_decision_kind(&zeroed), 0);
  CHECK_EQ(warden_decision_status(&zeroed), 0);
  CHECK_EQ(warden_decision_reason(&zeroed), 0);
  CHECK_EQ(warden_decision_role_count(&zeroed), 0);
  CHECK_EQ(warden_decision_challenge_count(&zeroed), 0);
  CHECK(!warden_decision_refresh_advised(&zeroed));
  CHECK(!warden_decision_cors_allow_credentials(NULL));
  CHECK_EQ(warden_decision_rule(&zeroed, buf, sizeof buf, &n), WARDEN_RESULT_NO_DECISION);
  CHECK_EQ(warden_decision_rule(NULL, buf, sizeof buf, &n), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_decision_cors_max_age(&zeroed, &age), WARDEN_RESULT_NO_DECISION);
  CHECK_EQ(age, 0);
  CHECK_EQ(warden_decision_cors_max_age(&zeroed, NULL), WARDEN_RESULT_NULL_PARAMETER);

  /* Absent values and indexes out of range. */
  warden_decision d;
  h_req r;
  h_req_init(&r, "GET", "/nowhere");
  CHECK_EQ(warden_evaluate(e->engine, &r.req, &d), WARDEN_RESULT_OK);
  CHECK_EQ(warden_decision_rule(&d, buf, sizeof buf, &n), WARDEN_RESULT_ABSENT);
  CHECK_EQ(n, 0);
  CHECK_EQ(warden_decision_subject(&d, buf, sizeof buf, &n), WARDEN_RESULT_ABSENT);
  CHECK_EQ(warden_decision_cors_allow_origin(&d, buf, sizeof buf, &n), WARDEN_RESULT_ABSENT);
  CHECK_EQ(warden_decision_cors_allow_methods(&d, buf, sizeof buf, &n), WARDEN_RESULT_ABSENT);
  CHECK_EQ(warden_decision_cors_allow_headers(&d, buf, sizeof buf, &n), WARDEN_RESULT_ABSENT);
  CHECK_EQ(warden_decision_cors_max_age(&d, &age), WARDEN_RESULT_ABSENT);
  CHECK_EQ(warden_decision_role(&d, 0, buf, sizeof buf, &n), WARDEN_RESULT_INDEX_OUT_OF_RANGE);
  CHECK_EQ(warden_decision_challenge(&d, 0, buf, sizeof buf, &n), WARDEN_RESULT_INDEX_OUT_OF_RANGE);

  /* Too small: the code and the size needed, the buffer untouched. */
  h_req_init(&r, "GET", "/metrics");
  CHECK_EQ(warden_evaluate(e->engine, &r.req, &d), WARDEN_RESULT_OK);
  const char *want = "ApiKey realm=\"edge-api\"";
  CHECK_EQ(warden_decision_challenge(&d, 0, NULL, 0, &n), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK_EQ(n, strlen(want) + 1);
  memset(buf, '#', sizeof buf);
  CHECK_EQ(warden_decision_challenge(&d, 0, buf, strlen(want), &n), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK_EQ(n, strlen(want) + 1);
  CHECK(buf[0] == '#' && buf[strlen(want) - 1] == '#');
  CHECK_EQ(warden_decision_challenge(&d, 0, buf, strlen(want) + 1, &n), WARDEN_RESULT_OK);
  CHECK_STR(buf, want);
  CHECK(buf[strlen(want) + 1] == '#');
  CHECK_EQ(warden_decision_challenge(&d, 0, NULL, 64, &n), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_decision_challenge(&d, 0, buf, sizeof buf, NULL), WARDEN_RESULT_NULL_PARAMETER);
}

int main(int argc, char **argv) {
  if (argc != 2) h_die("usage: test_api POLICY_DIR");
  h_keyring ring;
  h_keys_from_env(&ring);
  sizes_and_versions();
  codes_and_names();
  load_arguments(argv[1], &ring);
  h_engine e;
  CHECK_EQ(h_load(&e, argv[1], "edge-api.wdn", &ring), WARDEN_RESULT_OK);
  evaluate_arguments(&e);
  accessor_arguments(&e);
  h_unload(&e);
  h_keys_free(&ring);
  return h_finish("test_api");
}
