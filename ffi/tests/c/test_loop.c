/*
 * Many evaluations: a mix of requests decided over and over, first on one thread, then by
 * several threads sharing one engine (an engine is immutable after load). Every answer is
 * checked, so a leak, a race or a drifting result shows up under ASan, valgrind or here.
 *
 * usage: test_loop POLICY_DIR [ITERATIONS]
 */
#include "harness.h"
#include "tokens.h"

#include <pthread.h>

#define THREADS 4

typedef struct {
  const char *method, *path, *name, *value;
  uint32_t reason;
} mix_entry;

static const mix_entry MIX[] = {
    {"GET", "/health", NULL, NULL, WARDEN_REASON_PUBLIC},
    {"GET", "/metrics", "x-api-key", "wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0", WARDEN_REASON_ALLOWED},
    {"GET", "/metrics", "x-api-key", "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw",
     WARDEN_REASON_INSUFFICIENT_ROLE},
    {"GET", "/api/v1/orders/1", "authorization", "Bearer " TOKEN_ALICE_READER, WARDEN_REASON_ALLOWED},
    {"GET", "/api/v1/orders/1", "authorization", "Bearer " TOKEN_WRONG_KEY, WARDEN_REASON_TOKEN_BAD_SIGNATURE},
    {"GET", "/api/v1/orders/1", NULL, NULL, WARDEN_REASON_CREDENTIALS_MISSING},
    {"GET", "/a/../b", NULL, NULL, WARDEN_REASON_MALFORMED_PATH},
};
#define MIX_LEN (sizeof MIX / sizeof MIX[0])

typedef struct {
  const h_engine *e;
  long iterations;
  long mismatches;
  size_t offset;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  warden_decision d;
  char buf[256];
  size_t n;
  for (long i = 0; i < w->iterations; i++) {
    const mix_entry *m = &MIX[((size_t)i + w->offset) % MIX_LEN];
    h_req r;
    h_req_init(&r, m->method, m->path);
    if (m->name != NULL) h_req_header(&r, m->name, m->value);
    if (warden_evaluate(w->e->engine, &r.req, &d) != WARDEN_RESULT_OK ||
        warden_decision_reason(&d) != m->reason) {
      w->mismatches++;
      continue;
    }
    /* Read something back too, as a host does. */
    for (size_t c = 0; c < warden_decision_challenge_count(&d); c++) {
      if (warden_decision_challenge(&d, c, buf, sizeof buf, &n) != WARDEN_RESULT_OK) w->mismatches++;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) h_die("usage: test_loop POLICY_DIR [ITERATIONS]");
  long iterations = argc == 3 ? strtol(argv[2], NULL, 10) : 20000;
  h_keyring ring;
  h_keys_from_env(&ring);
  h_engine e;
  CHECK_EQ(h_load(&e, argv[1], "edge-api.wdn", &ring), WARDEN_RESULT_OK);

  worker single = {&e, iterations, 0, 0};
  run(&single);
  CHECK_EQ(single.mismatches, 0);

  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (size_t t = 0; t < THREADS; t++) {
    workers[t] = (worker){&e, iterations / THREADS, 0, t};
    CHECK_EQ(pthread_create(&threads[t], NULL, run, &workers[t]), 0);
  }
  for (size_t t = 0; t < THREADS; t++) {
    CHECK_EQ(pthread_join(threads[t], NULL), 0);
    CHECK_EQ(workers[t].mismatches, 0);
  }
  printf("test_loop: %ld evaluations\n", iterations + (iterations / THREADS) * THREADS);
  h_unload(&e);
  h_keys_free(&ring);
  return h_finish("test_loop");
}
