/* Warden from C on a Cortex-M4 (QEMU mps2-an386): the same decisions as the Rust firmware.
 *
 * A C `main`, compiled with arm-none-eabi-gcc, links the thumbv7em static library of
 * warden-ffi (built without std, feature `embedded`). It loads the committed example policy
 * with its dev keys into a static buffer, decides every case of policies/edge-api.cases.toml,
 * prints one line per case over semihosting and exits non-zero if any decision differs. */
#include <stddef.h>
#include <stdint.h>

#include "warden.h"
#include "semihost.h"

struct dev_key {
    const char *id;
    size_t id_len;
    const uint8_t *secret;
    size_t secret_len;
};

struct test_case {
    const char *name;
    const char *method;
    size_t method_len;
    const char *path;
    size_t path_len;
    const warden_header *headers;
    size_t headers_len;
    uint32_t ip_family;
    uint8_t ip[16];
    uint64_t now;
    uint16_t status;
    const char *reason;
};

#include "cases.h"

/* The compiled example policy, linked in by the Makefile (policy.o from edge-api.wdn). */
extern const uint8_t _binary_policy_wdn_start[];
extern const uint8_t _binary_policy_wdn_end[];

static _Alignas(16) uint8_t engine_memory[32 * 1024];

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int main(void) {
    sh_puts("warden from C on cortex-m4 (qemu mps2-an386)\n");
    if (warden_engine_size() > sizeof engine_memory || warden_engine_align() > 16) {
        sh_puts("FAIL: engine buffer too small\n");
        return 2;
    }
    warden_key keys[COUNT(DEV_KEYS)];
    for (size_t i = 0; i < COUNT(DEV_KEYS); i++) {
        keys[i].id = DEV_KEYS[i].id;
        keys[i].id_len = DEV_KEYS[i].id_len;
        keys[i].secret = DEV_KEYS[i].secret;
        keys[i].secret_len = DEV_KEYS[i].secret_len;
    }
    struct warden_engine *engine = NULL;
    size_t blob_len = (size_t)(_binary_policy_wdn_end - _binary_policy_wdn_start);
    warden_load_error why;
    warden_result r = warden_engine_load_with_error(_binary_policy_wdn_start, blob_len, keys, COUNT(keys),
                                                    engine_memory, sizeof engine_memory, &engine, &why);
    if (r != WARDEN_RESULT_OK) {
        /* The numbers without a formatter: which capacity (WARDEN_CAPACITY_*), what the policy
         * needs and this build's limit, or the key the keyring lacks. */
        sh_puts("FAIL: the compiled policy did not load: ");
        sh_putu(r);
        if (r == WARDEN_RESULT_CAPACITY_EXCEEDED) {
            sh_puts(" capacity ");
            sh_putu(why.capacity);
            sh_puts(" needs ");
            sh_putu(why.count);
            sh_puts(", limit ");
            sh_putu(why.limit);
        } else if (r == WARDEN_RESULT_KEY_MISSING || r == WARDEN_RESULT_KEY_TOO_SHORT) {
            sh_puts(" key ");
            sh_puts(why.key_id);
        }
        sh_puts("\n");
        return 2;
    }
    unsigned failed = 0;
    for (size_t i = 0; i < COUNT(CASES); i++) {
        const struct test_case *c = &CASES[i];
        warden_request req = {0};
        req.method = c->method;
        req.method_len = c->method_len;
        req.path = c->path;
        req.path_len = c->path_len;
        req.headers = c->headers_len ? c->headers : NULL;
        req.headers_len = c->headers_len;
        req.ip_family = c->ip_family;
        for (size_t b = 0; b < 16; b++) req.ip[b] = c->ip[b];
        req.now = c->now;
        warden_decision d;
        char reason[64];
        size_t reason_len = 0;
        r = warden_evaluate(engine, &req, &d);
        int ok = r == WARDEN_RESULT_OK &&
                 warden_reason_name(warden_decision_reason(&d), reason, sizeof reason, &reason_len) == WARDEN_RESULT_OK &&
                 warden_decision_status(&d) == c->status && streq(reason, c->reason);
        sh_puts(ok ? "ok   " : "FAIL ");
        sh_puts(c->name);
        sh_puts(" -> ");
        sh_putu(warden_decision_status(&d));
        sh_puts(" ");
        sh_puts(r == WARDEN_RESULT_OK ? reason : "(error)");
        sh_puts("\n");
        if (!ok) failed++;
    }
    sh_puts("cases: ");
    sh_putu(COUNT(CASES));
    sh_puts(", failed: ");
    sh_putu(failed);
    sh_puts("\nengine size (bytes): ");
    sh_putu(warden_engine_size());
    sh_puts("\n");
    return failed == 0 ? 0 : 1;
}
