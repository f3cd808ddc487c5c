/*
 * Corrupt and foreign compiled policies from C: each refusal has its code, every truncation
 * and every single-bit flip is refused, nothing is loaded after a refusal; signed policies
 * load verified only with their bundle key; warden_load_error names the capacity, the need and
 * the limit, and the missing key's id.
 */
#include "harness.h"

/* Header offsets of the compiled format (docs/format.md). */
#define OFF_VERSION 4
#define OFF_FLAGS 6
#define OFF_ROLES_COUNT 14
#define OFF_RULES_COUNT 24
#define OFF_RESERVED 26
#define OFF_DIGEST 28

static uint8_t *blob;
static size_t blob_len;
static void *memory;
static const h_keyring *ring;

/* Loads a copy of the example with `edit` applied; checks engine_out is reset on failure. */
static warden_result load_edited(void (*edit)(uint8_t *b, size_t *len)) {
  uint8_t *b = malloc(blob_len + 16);
  memcpy(b, blob, blob_len);
  size_t len = blob_len;
  if (edit != NULL) edit(b, &len);
  warden_engine *engine = (warden_engine *)1;
  warden_result r =
      warden_engine_load(b, len, ring->keys, ring->len, memory, warden_engine_size(), &engine);
  CHECK(r == WARDEN_RESULT_OK ? engine == memory : engine == NULL);
  if (r == WARDEN_RESULT_OK) warden_engine_clear(engine);
  free(b);
  return r;
}

static void truncate_header(uint8_t *b, size_t *len) { (void)b; *len = 10; }
static void truncate_body(uint8_t *b, size_t *len) { (void)b; *len -= 1; }
static void bad_magic(uint8_t *b, size_t *len) { (void)len; b[0] = 'X'; }
static void next_version(uint8_t *b, size_t *len) { (void)len; b[OFF_VERSION] += 1; }
static void unknown_flag(uint8_t *b, size_t *len) { (void)len; b[OFF_FLAGS] |= 0x80; }
static void reserved_set(uint8_t *b, size_t *len) { (void)len; b[OFF_RESERVED] = 1; }
static void trailing_byte(uint8_t *b, size_t *len) { b[(*len)++] = 0; }
static void flip_body_bit(uint8_t *b, size_t *len) { b[*len - 1] ^= 0x04; }
static void flip_digest_bit(uint8_t *b, size_t *len) { (void)len; b[OFF_DIGEST + 3] ^= 0x01; }
/* Table sizes sit in the header, outside the digest: a count over this build's capacity is
 * refused before decoding; a count that disagrees with the body is a malformed body. */
static void rules_over_capacity(uint8_t *b, size_t *len) {
  (void)len;
  b[OFF_RULES_COUNT] = 0xff;
  b[OFF_RULES_COUNT + 1] = 0xff;
}
static void rules_count_off_by_one(uint8_t *b, size_t *len) { (void)len; b[OFF_RULES_COUNT] -= 1; }

static void each_refusal_has_its_code(void) {
  CHECK_EQ(load_edited(NULL), WARDEN_RESULT_OK);
  CHECK_EQ(load_edited(truncate_header), WARDEN_RESULT_TRUNCATED);
  CHECK_EQ(load_edited(truncate_body), WARDEN_RESULT_TRUNCATED);
  CHECK_EQ(load_edited(bad_magic), WARDEN_RESULT_BAD_MAGIC);
  CHECK_EQ(load_edited(next_version), WARDEN_RESULT_UNSUPPORTED_VERSION);
  CHECK_EQ(load_edited(unknown_flag), WARDEN_RESULT_UNKNOWN_FLAGS);
  CHECK_EQ(load_edited(reserved_set), WARDEN_RESULT_UNKNOWN_FLAGS);
  CHECK_EQ(load_edited(trailing_byte), WARDEN_RESULT_LENGTH_MISMATCH);
  CHECK_EQ(load_edited(flip_body_bit), WARDEN_RESULT_DIGEST_MISMATCH);
  CHECK_EQ(load_edited(flip_digest_bit), WARDEN_RESULT_DIGEST_MISMATCH);
  CHECK_EQ(load_edited(rules_over_capacity), WARDEN_RESULT_CAPACITY_EXCEEDED);
  CHECK_EQ(load_edited(rules_count_off_by_one), WARDEN_RESULT_BODY_MALFORMED);
}

/* The message of a filled load error, in a static buffer. */
static const char *load_error_text(const warden_load_error *e) {
  static char text[512];
  size_t need = 0;
  CHECK_EQ(warden_load_error_message(e, NULL, 0, &need), WARDEN_RESULT_BUFFER_TOO_SMALL);
  CHECK(need > 1 && need <= sizeof text);
  size_t got = 0;
  CHECK_EQ(warden_load_error_message(e, text, sizeof text, &got), WARDEN_RESULT_OK);
  CHECK_EQ(got, need);
  return text;
}

static void load_errors_say_what_and_which(void) {
  warden_engine *engine;
  warden_load_error e;

  /* Success: the code and nothing else. */
  memset(&e, 0xa5, sizeof e);
  CHECK_EQ(warden_engine_load_with_error(blob, blob_len, ring->keys, ring->len, memory, warden_engine_size(), &engine,
                                         &e),
           WARDEN_RESULT_OK);
  CHECK_EQ(e.code, WARDEN_RESULT_OK);
  CHECK_EQ(e.capacity, 0);
  CHECK_EQ(e.key_id_len, 0);
  CHECK_EQ(e.key_id[0], 0);
  warden_engine_clear(engine);

  /* Over a capacity: which one, what the policy needs, this build's limit. */
  uint8_t *b = malloc(blob_len);
  memcpy(b, blob, blob_len);
  b[OFF_ROLES_COUNT] = 200; /* 200 roles; the default capacity is 64 */
  b[OFF_ROLES_COUNT + 1] = 0;
  memset(&e, 0xa5, sizeof e);
  CHECK_EQ(warden_engine_load_with_error(b, blob_len, ring->keys, ring->len, memory, warden_engine_size(), &engine, &e),
           WARDEN_RESULT_CAPACITY_EXCEEDED);
  CHECK(engine == NULL);
  CHECK_EQ(e.code, WARDEN_RESULT_CAPACITY_EXCEEDED);
  CHECK_EQ(e.capacity, WARDEN_CAPACITY_ROLES);
  CHECK_EQ(e.count, 200);
  CHECK_EQ(e.limit, 64);
  CHECK_EQ(e.key_id_len, 0);
  CHECK_STR(load_error_text(&e),
            "compiled policy has 200 distinct roles, more than this build's MAX_ROLES of 64 "
            "(build with WARDEN_MAX_ROLES=200 or more)");
  free(b);

  /* A keyring without the first key of the file: the error names that key's id. */
  warden_key keys[WARDEN_MAX_KEYRING];
  memcpy(keys, ring->keys, ring->len * sizeof keys[0]);
  CHECK_EQ(warden_engine_load_with_error(blob, blob_len, keys + 1, ring->len - 1, memory, warden_engine_size(), &engine,
                                         &e),
           WARDEN_RESULT_KEY_MISSING);
  CHECK_EQ(e.key_id_len, keys[0].id_len);
  CHECK(memcmp(e.key_id, keys[0].id, keys[0].id_len) == 0 && e.key_id[e.key_id_len] == '\0');
  CHECK(e.key_index < ring->len);
  char want[256];
  snprintf(want, sizeof want, "keyring has no secret for the policy's key \"%.*s\" (key #%u): add it to the keyring",
           (int)keys[0].id_len, keys[0].id, (unsigned)e.key_index);
  CHECK_STR(load_error_text(&e), want);

  /* A secret one byte short of HS256's 32: its length and the minimum. */
  keys[0].secret_len = 31;
  CHECK_EQ(warden_engine_load_with_error(blob, blob_len, keys, ring->len, memory, warden_engine_size(), &engine, &e),
           WARDEN_RESULT_KEY_TOO_SHORT);
  CHECK_EQ(e.count, 31);
  CHECK(e.limit == 32 || e.limit == 48 || e.limit == 64);
  CHECK_EQ(e.key_id_len, keys[0].id_len);

  /* Verified loads fill it too; argument errors set the code alone; NULL is refused. */
  uint8_t short_key[16] = {0};
  CHECK_EQ(warden_engine_load_verified_with_error(blob, blob_len, ring->keys, ring->len, short_key, sizeof short_key,
                                                  memory, warden_engine_size(), &engine, &e),
           WARDEN_RESULT_BUNDLE_KEY_TOO_SHORT);
  CHECK_EQ(e.code, WARDEN_RESULT_BUNDLE_KEY_TOO_SHORT);
  CHECK_EQ(warden_engine_load_with_error(NULL, blob_len, ring->keys, ring->len, memory, warden_engine_size(), &engine,
                                         &e),
           WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(e.code, WARDEN_RESULT_NULL_PARAMETER);
  CHECK_STR(load_error_text(&e), "a pointer argument is NULL");
  CHECK_EQ(warden_engine_load_with_error(blob, blob_len, ring->keys, ring->len, memory, warden_engine_size(), &engine,
                                         NULL),
           WARDEN_RESULT_NULL_PARAMETER);
  size_t n = 7;
  CHECK_EQ(warden_load_error_message(NULL, NULL, 0, &n), WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(n, 0);
}

static void every_truncation_and_bit_flip_is_refused(void) {
  warden_engine *engine;
  size_t refused = 0, total = 0;
  for (size_t len = 0; len < blob_len; len++) {
    warden_result r = warden_engine_load(len ? blob : (const uint8_t *)"", len, ring->keys,
                                         ring->len, memory, warden_engine_size(), &engine);
    refused += r != WARDEN_RESULT_OK && engine == NULL;
    total++;
  }
  uint8_t *b = malloc(blob_len);
  for (size_t bit = 0; bit < blob_len * 8; bit++) {
    memcpy(b, blob, blob_len);
    b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    warden_result r = warden_engine_load(b, blob_len, ring->keys, ring->len, memory,
                                         warden_engine_size(), &engine);
    refused += r >= 1200 && r < 1300 && engine == NULL;
    total++;
  }
  free(b);
  CHECK_EQ(refused, total);
  /* Nothing is left loaded after the last refusal. */
  h_req r;
  h_req_init(&r, "GET", "/health");
  warden_decision d;
  CHECK_EQ(warden_evaluate((const warden_engine *)memory, &r.req, &d), WARDEN_RESULT_NOT_LOADED);
}

static void policy_invalid_fixture(const char *fixtures) {
  size_t len;
  uint8_t *b = h_read_file(fixtures, "policy-invalid.wdn", &len);
  warden_engine *engine;
  CHECK_EQ(warden_engine_load(b, len, ring->keys, ring->len, memory, warden_engine_size(), &engine),
           WARDEN_RESULT_POLICY_INVALID);
  free(b);
}

static void signed_policies(const char *dir) {
  size_t signed_len, key_file_len;
  uint8_t *signed_blob = h_read_file(dir, "edge-api.signed.wdn", &signed_len);
  uint8_t *key_file = h_read_file(dir, "edge-api.bundle-key.dev", &key_file_len);
  /* The key file: comment lines, then the key in hex. */
  uint8_t key[64];
  size_t key_len = 0;
  for (size_t i = 0; i < key_file_len;) {
    if (key_file[i] == '#') {
      while (i < key_file_len && key_file[i] != '\n') i++;
      continue;
    }
    int hi = h_hex((char)key_file[i]), lo = i + 1 < key_file_len ? h_hex((char)key_file[i + 1]) : -1;
    if (hi >= 0 && lo >= 0 && key_len < sizeof key) {
      key[key_len++] = (uint8_t)(hi * 16 + lo);
      i += 2;
    } else {
      i++;
    }
  }
  CHECK_EQ(key_len, 32);
  warden_engine *engine;
  size_t size = warden_engine_size();
  CHECK_EQ(warden_engine_load_verified(signed_blob, signed_len, ring->keys, ring->len, key, key_len,
                                       memory, size, &engine),
           WARDEN_RESULT_OK);
  key[5] ^= 0x20;
  CHECK_EQ(warden_engine_load_verified(signed_blob, signed_len, ring->keys, ring->len, key, key_len,
                                       memory, size, &engine),
           WARDEN_RESULT_SIGNATURE_INVALID);
  CHECK(engine == NULL);
  key[5] ^= 0x20;
  CHECK_EQ(warden_engine_load_verified(blob, blob_len, ring->keys, ring->len, key, key_len, memory,
                                       size, &engine),
           WARDEN_RESULT_SIGNATURE_MISSING);
  CHECK_EQ(warden_engine_load_verified(signed_blob, signed_len, ring->keys, ring->len, key, 16,
                                       memory, size, &engine),
           WARDEN_RESULT_BUNDLE_KEY_TOO_SHORT);
  CHECK_EQ(warden_engine_load_verified(signed_blob, signed_len, ring->keys, ring->len, NULL, 32,
                                       memory, size, &engine),
           WARDEN_RESULT_NULL_PARAMETER);
  CHECK_EQ(warden_engine_load_verified(signed_blob, signed_len, ring->keys, ring->len, key, 0,
                                       memory, size, &engine),
           WARDEN_RESULT_INVALID_LENGTH);
  /* Without verification a signed policy loads (its signature is then not checked). */
  CHECK_EQ(warden_engine_load(signed_blob, signed_len, ring->keys, ring->len, memory, size, &engine),
           WARDEN_RESULT_OK);
  warden_engine_clear(engine);
  free(signed_blob);
  free(key_file);
}

int main(int argc, char **argv) {
  if (argc != 3) h_die("usage: test_blobs POLICY_DIR FIXTURE_DIR");
  h_keyring keys;
  h_keys_from_env(&keys);
  ring = &keys;
  blob = h_read_file(argv[1], "edge-api.wdn", &blob_len);
  memory = h_engine_memory();
  each_refusal_has_its_code();
  load_errors_say_what_and_which();
  every_truncation_and_bit_flip_is_refused();
  policy_invalid_fixture(argv[2]);
  signed_policies(argv[1]);
  free(memory);
  free(blob);
  h_keys_free(&keys);
  return h_finish("test_blobs");
}
