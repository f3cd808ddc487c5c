#!/usr/bin/env python3
"""End-to-end tests of ngx_http_warden_module in Debian's nginx (SPEC section 11).

    make -C integrations/nginx && cargo build --release --locked -p warden-cli
    python3 integrations/nginx/tests/run.py            # all groups
    python3 integrations/nginx/tests/run.py cases xff  # some groups

Every case of policies/edge-api.cases.toml is sent as real HTTP and must get the status, the
WWW-Authenticate headers (in order), the CORS headers, the identity headers and the reason
($warden_reason in the access log) that `warden eval` gives for the same request (same
headers, same client address, same `now`: nginx's clock is frozen at the case file's `now`
with libfaketime). Then: preflights, CORS on upstream answers, identity headers and the
stripping of client copies, X-Forwarded-For trusted and untrusted, `warden off`, satisfy any,
reloads (a new policy changes decisions, a corrupt one keeps the old), `nginx -t` failures
that name the file, and several hundred malformed requests that must leave every worker
alive. Exit status 0 when everything passed.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import (MODULE, ROOT, WARDEN, Nginx, Upstream, copy_private, raw_request, request,  # noqa: E402
                     warden_eval)

POLICIES = ROOT / "policies"
CASES = tomllib.loads((POLICIES / "edge-api.cases.toml").read_text())
NOW = CASES["now"]

# Cases whose request nginx 1.22 itself refuses with 400 before any module runs, and why.
REFUSED_BY_NGINX = {
    "authorization header twice": "two Authorization headers: nginx 1.22 answers 400 "
                             "(ngx_http_process_unique_header_line) before the access phase",
    "relative path": "a request target without a leading slash is not HTTP/1.1 "
                                  "origin-form: nginx answers 400 while parsing the request line",
    "control byte (tab)": "a raw tab in the request line: nginx answers 400 while parsing it",
    "methods are case-sensitive": "nginx 1.22 accepts only upper-case letters and _ in a method "
                                  "(\"client sent invalid method\"): 400",
    "encoded NUL is malformed": "nginx decodes %00 while parsing the target and refuses the NUL "
                                "with 400 (\"client sent invalid request\")",
    "a % without two hex digits is malformed": "nginx refuses a malformed escape while parsing the "
                                               "target: 400 (\"client sent invalid request\")",
}

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print(f"  FAIL {what}")
    return cond


class Env:
    """One nginx with three servers in front of the echo upstream:
    main  - warden on, identity headers, 127.0.0.1 trusted as a proxy;
    plain - warden on, no trusted proxies (the peer address is the client);
    off   - warden off with identity headers on (client copies still stripped);
    any   - warden on with identity headers under `satisfy any; allow 127.0.0.1; deny all`."""

    def __init__(self, base, workers=2, extra_main=""):
        self.base = Path(base)
        self.extra_main = extra_main
        self.upstream = Upstream()
        self.nginx = Nginx(self.base, frozen_now=NOW)
        self.policy = self.base / "conf/policy.wdn"
        self.keys = self.base / "conf/keys.toml"
        shutil.copyfile(POLICIES / "edge-api.wdn", self.policy)
        copy_private(POLICIES / "edge-api.keys.toml", self.keys)
        self.main, self.plain, self.off, self.any = (_port() for _ in range(4))
        self.workers = workers
        self.write()

    def write(self, policy=None):
        up = f"http://127.0.0.1:{self.upstream.port}"
        self.nginx.write_conf(self.nginx.preamble(self.workers, self.extra_main) + f"""
    warden_policy {policy or self.policy};
    warden_keys {self.keys};

    server {{
        listen 127.0.0.1:{self.main};
        warden on;
        warden_identity_headers on;
        warden_trusted_proxies 127.0.0.1 ::1;
        location / {{ proxy_pass {up}; }}
    }}

    server {{
        listen 127.0.0.1:{self.any};
        warden on;
        warden_identity_headers on;
        satisfy any;
        allow 127.0.0.1;
        deny all;
        location / {{ proxy_pass {up}; }}
    }}

    server {{
        listen 127.0.0.1:{self.plain};
        warden on;
        location / {{ proxy_pass {up}; }}
    }}

    server {{
        listen 127.0.0.1:{self.off};
        warden off;
        warden_identity_headers on;
        location / {{ proxy_pass {up}; }}
    }}
}}
""")

    def stop(self):
        self.nginx.stop()
        self.upstream.stop()


def _port():
    from harness import free_port
    return free_port()


_ids = iter(range(1, 1_000_000))


def next_id():
    return f"t{next(_ids)}"


def case_headers(case):
    out = []
    for name, value in (case.get("headers") or {}).items():
        for v in value if isinstance(value, list) else [value]:
            out.append((name, v))
    return out


def expected_status(decision):
    if decision["decision"] == "allow":
        return 204 if decision["reason"] == "preflight" else 200
    return decision["status"]


def compare(env, port, method, target, headers, ip, name, trusted=True, expect_case=None):
    """Sends one request and checks nginx's answer against `warden eval` of the same request."""
    tid = next_id()
    sent_headers = list(headers)
    if ip and trusted:
        sent_headers.append(("X-Forwarded-For", ip))
    resp, sent = request(port, method, target, sent_headers, test_id=tid)
    client_ip = ip if (ip and trusted) else "127.0.0.1"
    d = warden_eval(env.policy, env.keys, method, target, sent, client_ip, NOW)
    log = env.nginx.wait_log(tid) or {}
    ok = True
    ok &= check(resp.status == expected_status(d), f"{name}: status {resp.status}, warden eval says "
                                                    f"{expected_status(d)} ({d['reason']})")
    ok &= check(log.get("reason") == d["reason"], f"{name}: $warden_reason {log.get('reason')!r}, "
                                                   f"eval {d['reason']!r}")
    ok &= check(log.get("decision") == d["decision"], f"{name}: $warden_decision {log.get('decision')!r}")
    ok &= check(log.get("warden_status") == str(d["status"]), f"{name}: $warden_status {log.get('warden_status')}")
    ok &= check(log.get("rule") == (d["rule"] or "-"), f"{name}: $warden_rule {log.get('rule')!r} vs {d['rule']!r}")
    ok &= check(log.get("subject") == (d["subject"] or "-"),
                f"{name}: $warden_subject {log.get('subject')!r} vs {d['subject']!r}")
    ok &= check(resp.all("WWW-Authenticate") == d["challenges"],
                f"{name}: WWW-Authenticate {resp.all('WWW-Authenticate')} vs {d['challenges']}")
    cors = d["cors"]
    if cors:
        ok &= check(resp.all("Access-Control-Allow-Origin") == [cors["allow_origin"]],
                    f"{name}: Access-Control-Allow-Origin {resp.all('Access-Control-Allow-Origin')}")
        creds = ["true"] if cors["allow_credentials"] else []
        ok &= check(resp.all("Access-Control-Allow-Credentials") == creds, f"{name}: -Credentials")
        ok &= check("Origin" in resp.all("Vary"), f"{name}: Vary: Origin missing")
        expose = ["WWW-Authenticate"] if d["decision"] != "allow" else []
        ok &= check(resp.all("Access-Control-Expose-Headers") == expose, f"{name}: -Expose-Headers")
    else:
        ok &= check(not resp.all("Access-Control-Allow-Origin"), f"{name}: CORS headers without a CORS answer")
    rec = env.upstream.last(tid)
    forwarded = d["decision"] == "allow" and d["reason"] != "preflight"
    ok &= check((rec is not None) == forwarded, f"{name}: forwarded upstream: {rec is not None}")
    if rec and port == env.main:
        got = {k.lower(): v for k, v in rec["headers"] if k.lower().startswith("x-warden-")}
        want = {"x-warden-rule": d["rule"]}
        if d["subject"]:
            want["x-warden-subject"] = d["subject"]
        if d["roles"]:
            want["x-warden-roles"] = ",".join(d["roles"])
        ok &= check(got == want, f"{name}: identity headers {got} vs {want}")
    if expect_case is not None:
        want = {"allow": "allow", "401": "unauthorized", "403": "forbidden"}[expect_case["expect"]]
        ok &= check(d["decision"] == want and d["reason"] == expect_case["reason"],
                    f"{name}: warden eval {d['decision']}/{d['reason']} differs from the case file")
    return ok, resp, d


def test_cases(env):
    print("== every case of edge-api.cases.toml as real HTTP")
    passed = refused = 0
    for case in CASES["case"]:
        name = case["name"]
        headers = case_headers(case)
        if name in REFUSED_BY_NGINX:
            tid = next_id()
            resp, _ = request(env.main, case["method"], case["path"], headers, test_id=tid)
            check(resp.status == 400, f"{name}: nginx answered {resp.status}, expected its own 400 "
                                      f"({REFUSED_BY_NGINX[name]})")
            log = env.nginx.wait_log(tid) or {}
            check(log.get("decision") in (None, "-"), f"{name}: a decision was logged for a request nginx refused")
            refused += 1
            continue
        ok, _, _ = compare(env, env.main, case["method"], case["path"], headers, case.get("ip"), name,
                           expect_case=case)
        passed += ok
    names = {c["name"] for c in CASES["case"]}
    check(set(REFUSED_BY_NGINX) <= names, f"refused cases not in the case file: {set(REFUSED_BY_NGINX) - names}")
    print(f"  {passed} cases equal to warden eval, {refused} refused by nginx itself (listed in REFUSED_BY_NGINX)")


def test_preflight_and_cors(env):
    print("== preflights and CORS headers")
    tid = next_id()
    resp, _ = request(env.main, "OPTIONS", "/api/v1/orders/42/items/7",
                      [("Origin", "https://shop.example.com"), ("Access-Control-Request-Method", "PUT"),
                       ("Access-Control-Request-Headers", "authorization")], test_id=tid)
    check(resp.status == 204, f"preflight status {resp.status}")
    check(resp.one("Access-Control-Allow-Origin") == "https://shop.example.com", "preflight allow-origin")
    methods = (resp.one("Access-Control-Allow-Methods") or "").split(", ")
    check(sorted(methods) == ["DELETE", "PATCH", "POST", "PUT"],
          f"preflight allow-methods {resp.all('Access-Control-Allow-Methods')}")
    check(resp.one("Access-Control-Allow-Headers") == "authorization, content-type, x-api-key",
          f"preflight allow-headers {resp.all('Access-Control-Allow-Headers')}")
    check(resp.one("Access-Control-Max-Age") == "600", "preflight max-age")
    check(resp.one("Access-Control-Allow-Credentials") == "true", "preflight credentials")
    check(resp.all("Vary") == ["Origin"], f"preflight Vary {resp.all('Vary')}")
    check(resp.body == b"" and not resp.all("Content-Type"), "preflight has a body")
    check(env.upstream.last(tid) is None, "preflight was forwarded upstream")
    check((env.nginx.wait_log(tid) or {}).get("reason") == "preflight", "preflight reason not logged")

    # a preflight is never answered with 401, and one without an allowed origin is 403
    resp, _ = request(env.main, "OPTIONS", "/api/v1/orders/42",
                      [("Origin", "https://evil.example.org"), ("Access-Control-Request-Method", "GET")])
    check(resp.status == 403 and not resp.all("Access-Control-Allow-Origin"), f"bad preflight {resp.status}")

    # an allowed origin on a forwarded request: the upstream's answer gets the CORS headers,
    # and Warden's Access-Control-Allow-Origin replaces one the upstream sent itself
    for target in ("/health", "/health?upstream-cors"):
        tid = next_id()
        resp, _ = request(env.main, "GET", target, [("Origin", "https://status.example.com")], test_id=tid)
        check(resp.status == 200 and env.upstream.last(tid) is not None, f"{target}: not forwarded")
        check(resp.all("Access-Control-Allow-Origin") == ["https://status.example.com"],
              f"{target}: allow-origin {resp.all('Access-Control-Allow-Origin')}")
        check(resp.all("Access-Control-Allow-Credentials") == ["true"], f"{target}: credentials")
        check("Origin" in resp.all("Vary"), f"{target}: Vary")
        check(not resp.all("Access-Control-Expose-Headers"), f"{target}: expose-headers on an Allow")
    # no origin, no CORS headers
    resp, _ = request(env.main, "GET", "/health")
    check(not resp.all("Access-Control-Allow-Origin") and not resp.all("Vary"), "CORS headers without Origin")


def test_identity_headers(env):
    print("== identity headers and client-sent copies")
    forged = [("X-Warden-Subject", "mallory"), ("x-warden-roles", "admin"), ("X-WARDEN-RULE", "admin-console"),
              ("X-Warden-Subject", "second-copy")]
    key = ("X-Api-Key", "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw")

    def warden_headers(rec):
        return [(k.lower(), v) for k, v in rec["headers"] if k.lower().startswith("x-warden-")]

    tid = next_id()
    resp, _ = request(env.main, "POST", "/hooks/github", [key] + forged, test_id=tid)
    rec = env.upstream.last(tid)
    check(resp.status == 200 and rec is not None, f"API-key allow {resp.status}")
    if rec:
        check(sorted(warden_headers(rec)) == [("x-warden-roles", "deployer"), ("x-warden-rule", "webhooks"),
                                              ("x-warden-subject", "ci-bot")],
              f"identity headers {warden_headers(rec)}")
        check(any(k.lower() == "x-api-key" for k, _ in rec["headers"]), "other headers lost with the copies")

    # a public rule: the rule only, no subject, no roles, and no client copy survives
    tid = next_id()
    request(env.main, "GET", "/health", forged, test_id=tid)
    rec = env.upstream.last(tid)
    check(rec is not None and warden_headers(rec) == [("x-warden-rule", "health")],
          f"public identity headers {rec and warden_headers(rec)}")

    # warden off with identity headers on: nothing decided, client copies still removed
    tid = next_id()
    request(env.off, "GET", "/admin/users", forged, test_id=tid)
    rec = env.upstream.last(tid)
    check(rec is not None and warden_headers(rec) == [], f"warden off: copies {rec and warden_headers(rec)}")

    # satisfy any: Warden refuses (401), `allow 127.0.0.1` lets it in; the upstream sees no
    # client copies and the response carries none of the refusal's challenges
    tid = next_id()
    resp, _ = request(env.any, "GET", "/api/v1/reports/x", forged + [("Origin", "https://console.example.com")],
                      test_id=tid)
    rec = env.upstream.last(tid)
    check(resp.status == 200 and rec is not None, f"satisfy any: status {resp.status}")
    check(rec is not None and warden_headers(rec) == [], "satisfy any: client copies forwarded")
    check(not resp.all("WWW-Authenticate"), f"satisfy any: challenges leaked {resp.all('WWW-Authenticate')}")
    check(not resp.all("Access-Control-Allow-Origin"), "satisfy any: CORS of the refusal leaked")
    check((env.nginx.wait_log(tid) or {}).get("reason") == "credentials_missing", "satisfy any: reason")


def test_xff(env):
    print("== X-Forwarded-For, trusted and untrusted")
    basic = ("Authorization", "Basic YWRtaW46ZGV2LWFkbWluLXBhc3N3b3Jk")
    rows = [
        # (server, XFF values, expected reason on GET /admin/users with Basic admin)
        (env.main, [], "ip_not_allowed"),                         # peer 127.0.0.1 itself
        (env.main, ["10.1.2.3"], "allowed"),
        (env.main, ["198.51.100.1, 10.1.2.3"], "allowed"),        # rightmost untrusted wins
        (env.main, ["10.1.2.3, 198.51.100.1"], "ip_not_allowed"),  # a client cannot prepend its way in
        (env.main, ["10.1.2.3, 127.0.0.1"], "allowed"),           # trusted hops are skipped
        (env.main, ["10.1.2.3", "127.0.0.1"], "allowed"),         # several headers read as one list
        (env.main, ["[2001:db8:10::5]:4711"], "allowed"),         # bracketed IPv6 with a port
        (env.main, ["10.1.2.3:8080"], "allowed"),                 # IPv4 with a port
        (env.main, ["not-an-address"], "ip_not_allowed"),         # junk: no address, never the proxy's
        (env.plain, ["10.1.2.3"], "ip_not_allowed"),              # untrusted peer: XFF ignored
    ]
    for port, xffs, want in rows:
        tid = next_id()
        resp, _ = request(port, "GET", "/admin/users", [basic] + [("X-Forwarded-For", x) for x in xffs],
                          test_id=tid)
        got = (env.nginx.wait_log(tid) or {}).get("reason")
        check(got == want, f"XFF {xffs} on port {port}: {got}, expected {want}")
    tid = next_id()
    request(env.main, "GET", "/health", [("X-Forwarded-For", "203.0.113.7")], test_id=tid)
    check((env.nginx.wait_log(tid) or {}).get("reason") == "ip_blocked", "XFF into the default deny list")
    tid = next_id()
    request(env.plain, "GET", "/health", [("X-Forwarded-For", "203.0.113.7")], test_id=tid)
    check((env.nginx.wait_log(tid) or {}).get("reason") == "public", "untrusted XFF changed the decision")


def test_warden_off(env):
    print("== warden off")
    tid = next_id()
    resp, _ = request(env.off, "DELETE", "/admin/users", [], test_id=tid)
    check(resp.status == 200 and env.upstream.last(tid) is not None, f"warden off: {resp.status}")
    check((env.nginx.wait_log(tid) or {}).get("decision") == "-", "warden off: a decision was logged")


def compile_policy(source_text, out, base):
    src = Path(base) / "conf/alt.toml"
    src.write_text(source_text)
    # the JWK Set the example's `jwks` entry names, relative to the policy
    shutil.copyfile(POLICIES / "idp.jwks.json", Path(base) / "conf/idp.jwks.json")
    r = subprocess.run([str(WARDEN), "compile", str(src), "-o", str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)


def test_reload(env):
    print("== reload: a new policy changes decisions, a corrupt one keeps the old")
    nginx = env.nginx

    def reason(path):
        tid = next_id()
        request(env.main, "GET", path, [], test_id=tid)
        return (nginx.wait_log(tid) or {}).get("reason")

    check(reason("/nothing") == "no_matching_rule", "before reload")
    source = (POLICIES / "edge-api.toml").read_text()
    opened = source.replace('[[rule]]\nname = "health"',
                            '[[rule]]\nname = "nothing-public"\nmethods = ["GET"]\npath = "/nothing"\nauth = []\n\n'
                            '[[rule]]\nname = "health"', 1)
    assert opened != source
    staged = nginx.base / "conf/policy.new"
    compile_policy(opened, staged, nginx.base)
    os.replace(staged, env.policy)
    r = nginx.reload()
    check(r.returncode == 0, f"reload with a new policy failed: {r.stderr}")
    check(reason("/nothing") == "public", "the new policy is not in force after reload")

    # a corrupt policy: `nginx -s reload` refuses (it parses the configuration itself) ...
    good = env.policy.read_bytes()
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0x40
    env.policy.write_bytes(bytes(bad))
    workers = nginx.workers()
    r = nginx.run("-s", "reload")
    check(r.returncode != 0 and str(env.policy) in r.stderr and "SHA-256" in r.stderr,
          f"reload with a corrupt policy: rc {r.returncode}, {r.stderr.strip()}")
    # ... and a SIGHUP to the master logs [emerg] and keeps the old workers and decisions
    os.kill(nginx.master_pid(), signal.SIGHUP)
    time.sleep(1.5)
    check(nginx.workers() == workers, "workers changed after a SIGHUP with a corrupt policy")
    log = nginx.error_log.read_text(errors="replace")
    check("[emerg]" in log and str(env.policy) in log, "no [emerg] naming the policy after SIGHUP")
    check(reason("/nothing") == "public", "decisions changed after a failed reload")
    env.policy.write_bytes(good)


def test_config_errors(env):
    print("== nginx -t: configuration errors name the file and the load error")
    base = env.base / "cfg"
    base.mkdir(exist_ok=True)
    t = Nginx(base)
    corrupt = base / "corrupt.wdn"
    blob = bytearray((POLICIES / "edge-api.wdn").read_bytes())
    blob[len(blob) // 2] ^= 1
    corrupt.write_bytes(bytes(blob))
    truncated = base / "truncated.wdn"
    truncated.write_bytes(bytes(blob[:20]))
    keys = base / "keys.toml"
    copy_private(POLICIES / "edge-api.keys.toml", keys)
    partial = base / "partial-keys.toml"
    partial.write_text('[[key]]\nid = "2026-q4"\nsecret_hex = "%s"\n' % ("17" * 32))
    bad_keys = base / "bad-keys.toml"
    bad_keys.write_text('[[key]]\nid = "2026-q4"\nsecret_hex = "zz-not-hex"\n')
    weird_keys = base / "weird-keys.toml"
    weird_keys.write_text('[[key]]\nid = "a"\nsecret = "x"\n')
    verify = POLICIES / "edge-api.bundle-key.dev"
    rows = [
        ("missing policy", f"warden_policy {base}/missing.wdn; warden on;", [f"{base}/missing.wdn", "No such file"]),
        ("corrupt policy", f"warden_policy {corrupt}; warden_keys {keys}; warden on;",
         [str(corrupt), "SHA-256"]),
        ("truncated policy", f"warden_policy {truncated}; warden_keys {keys};", [str(truncated), "truncated"]),
        ("no keys file", f"warden_policy {POLICIES}/edge-api.wdn; warden on;",
         [f"{POLICIES}/edge-api.wdn", "no secret"]),
        ("a key missing", f"warden_policy {POLICIES}/edge-api.wdn; warden_keys {partial}; warden on;",
         [str(partial), "no secret", "partner-hs384"]),
        ("keys not hex", f"warden_policy {POLICIES}/edge-api.wdn; warden_keys {bad_keys};",
         [str(bad_keys), "not hex"]),
        ("unknown keys field", f"warden_policy {POLICIES}/edge-api.wdn; warden_keys {weird_keys};",
         [str(weird_keys), "line 3", "unknown field"]),
        ("warden on without policy", "warden on;", ["without \"warden_policy\""]),
        ("unsigned with verify key",
         f"warden_policy {POLICIES}/edge-api.wdn; warden_keys {keys}; warden_verify_key {verify}; warden on;",
         [f"{POLICIES}/edge-api.wdn", "not signed"]),
        ("bad proxy range", "warden_trusted_proxies 10.0.0.0/33;", ["invalid address"]),
    ]
    for name, directives, needles in rows:
        t.write_conf(t.preamble() + f"    server {{ listen 127.0.0.1:1; {directives} }}\n}}\n")
        r = t.test_conf()
        check(r.returncode != 0, f"nginx -t accepted: {name}")
        check(all(n in r.stderr for n in needles), f"nginx -t, {name}: {needles} not in {r.stderr.strip()!r}")
        check("secret" not in r.stderr or "17171717" not in r.stderr, f"{name}: a secret in the message")
    # and the good ones pass: signed policy with its verify key, and the keys file warning
    loose = base / "loose-keys.toml"
    shutil.copyfile(POLICIES / "edge-api.keys.toml", loose)
    os.chmod(loose, 0o644)
    t.write_conf(t.preamble() + f"    server {{ listen 127.0.0.1:1; warden_policy {POLICIES}/edge-api.signed.wdn; "
                                f"warden_keys {loose}; warden_verify_key {verify}; warden on; }}\n}}\n")
    r = t.test_conf()
    check(r.returncode == 0, f"signed policy with its verify key refused: {r.stderr.strip()}")
    check("accessible to group or others" in r.stderr, "no warning for a world-readable keys file")


def test_keys_file(env):
    print("== keys files: every spelling SPEC section 6 allows decodes to the same secrets; the rest is refused")
    import base64
    base = env.base / "keys"
    base.mkdir(exist_ok=True)
    h256 = "172a176d6f7bcf196f0de037ab7f34e700f749a98c0ffc66419cf9f8e020c927"
    s384 = base64.b64decode("18F4F9/YCGjmGLTA6FpvF9WPecewpgoIm1YkuZPLN1z8n81zuWizaBn7GDwj5t8V")
    s512 = base64.urlsafe_b64decode("miRVOPzae6ycNvLz5PDrH-Y8W-lfq5GIa_X8pHhxg59_QtBWfjf8_A3IdjAgVBBIgfMr0ZzTIc5q2cuHR1T1nw==")
    variant = ("\ufeff# other spellings of the dev keys\r\n"
               "private_jwks = ['idp.dev-private.jwks.json', \"a]b.json\"]  # skipped: for token mint\r\n"
               "[[ key ]]   # spaces inside the brackets\r\n"
               f"id = '2026-q4'\r\nsecret_hex = \"  {h256.upper()}  \"  # upper-case hex, padded with spaces\r\n"
               "\r\n[[key]]\n\tid=\"partner-hs384\"\n"
               f"secret_b64 = \"{base64.b64encode(s384).decode().rstrip('=')}\"\n"
               "[[key]]\nid = \"ops-hs512\"\n"
               f"secret_b64 = '{base64.urlsafe_b64encode(s512).decode()}'")
    good = base / "variant.toml"
    good.write_bytes(variant.encode())
    os.chmod(good, 0o600)
    t = Nginx(base, frozen_now=NOW)
    port = _port()
    up = f"http://127.0.0.1:{env.upstream.port}"
    t.write_conf(t.preamble() + f"    warden_policy {POLICIES}/edge-api.wdn; warden_keys {good};\n"
                                f"    server {{ listen 127.0.0.1:{port}; warden on; location / {{ proxy_pass {up}; }} }}\n}}\n")
    r = t.test_conf()
    check(r.returncode == 0, f"valid keys file refused: {r.stderr.strip()}")
    if r.returncode == 0:
        t.start()
        try:
            for case in CASES["case"]:
                if case["name"] in ("partner token (HS384, roles in groups)",
                                    "ops token without kid is tried against HS512 keys",
                                    "reader token reads an order"):
                    resp, _ = request(port, case["method"], case["path"], case_headers(case))
                    check(resp.status == 200, f"{case['name']} with the variant keys file: {resp.status}")
        finally:
            t.stop()
    rows = [
        ("mixed alphabets", '[[key]]\nid = "a"\nsecret_b64 = "ab+_"\n', "not base64"),
        ("padding inside", '[[key]]\nid = "a"\nsecret_b64 = "ab==cd"\n', "not base64"),
        ("wrong padding", '[[key]]\nid = "a"\nsecret_b64 = "abc=="\n', "not base64"),
        ("trailing bits set", '[[key]]\nid = "a"\nsecret_b64 = "+x"\n', "not base64"),
        ("odd hex", '[[key]]\nid = "a"\nsecret_hex = "abc"\n', "not hex"),
        ("both secrets", '[[key]]\nid = "a"\nsecret_hex = "00"\nsecret_b64 = "AA"\n', "exactly one"),
        ("no secret", '[[key]]\nid = "a"\n', "exactly one"),
        ("no id", '[[key]]\nsecret_hex = "00"\n', "has no id"),
        ("id twice", '[[key]]\nid = "a"\nsecret_hex = "00"\n[[key]]\nid = "a"\nsecret_hex = "01"\n',
         "listed twice"),
        ("field twice", '[[key]]\nid = "a"\nid = "b"\n', "set twice"),
        ("outside a table", 'id = "a"\n', "outside"),
        ("other table", '[keys]\n', "only table"),
        ("escape", '[[key]]\nid = "a\\u0041"\nsecret_hex = "00"\n', "escape"),
        ("unterminated", '[[key]]\nid = "a\n', "one quoted string"),
        ("multi-line string", '[[key]]\nid = """a"""\n', "line 2"),
        ("private_jwks over two lines", 'private_jwks = [\n"a.json"]\n', "line 1"),
        ("private_jwks in a table", '[[key]]\nid = "a"\nprivate_jwks = ["a.json"]\n', "one quoted string"),
        ("private_jwks not an array", 'private_jwks = "a.json"\n', "outside"),
    ]
    for name, text, needle in rows:
        f = base / "bad.toml"
        f.write_text(text)
        os.chmod(f, 0o600)
        t.write_conf(t.preamble() + f"    warden_policy {POLICIES}/edge-api.wdn; warden_keys {f};\n}}\n")
        r = t.test_conf()
        check(r.returncode != 0 and needle in r.stderr and str(f) in r.stderr,
              f"keys file, {name}: rc {r.returncode}, {needle!r} not in {r.stderr.strip()!r}")


def test_malformed(env, count=600):
    print(f"== {count} malformed requests leave every worker alive")
    rnd = random.Random(20261201)
    token = CASES["case"][7]["headers"]["authorization"]
    methods = ["GET", "POST", "OPTIONS", "get", "BREW", "M" * 300, "DELETE", "PROPFIND", "G\x01T", ""]
    pieces = ["/", "..", ".", "%", "%2f", "%2F", "%5c", "%00", "%zz", "%e2%80", "#", "?", "//", "\\", "a", "admin",
              "api", "v1", "orders", "%2e%2e", "\x7f", "é", "*", ";", "%25", " ", "\t"]
    workers = env.nginx.workers()
    statuses = {}
    # most requests nginx parses (so Warden decides them), some it refuses itself
    parsable = [p for p in pieces if p not in (" ", "\t", "\x7f", "%00", "#", "%", "%zz", "..")] + ["%23", "%7e", "~", "%2e%2e", "%41"]
    for i in range(count):
        wild = rnd.random() < 0.25
        method = rnd.choice(methods) if wild else rnd.choice(["GET", "POST", "OPTIONS", "DELETE", "PUT", "HEAD"])
        target = "/" + "".join(rnd.choice(pieces if wild else parsable) for _ in range(rnd.randint(0, 30)))
        if rnd.random() < 0.05:
            target = "/" + "a" * rnd.choice([2047, 2048, 2049, 4000, 9000])
        headers = []
        for _ in range(rnd.randint(0, 6)):
            name = rnd.choice(["Authorization", "Origin", "X-Api-Key", "Access-Control-Request-Method",
                               "X-Forwarded-For", "Cookie", "X-Warden-Subject"])
            value = rnd.choice([token, token[:-3] + "abc", "Bearer " + "A" * rnd.randint(0, 9000),
                                "Basic " + "=" * rnd.randint(0, 50), "https://shop.example.com",
                                "https://" + "a." * 200 + "example.com", "null", "GET, PUT", "\x01\x02",
                                "10.1.2.3, junk, ::1", "ApiKey wk_" + "x" * rnd.randint(0, 100), ""])
            headers.append((name, value))
        if rnd.random() < 0.05:
            headers += [("X-Pad", str(n)) for n in range(rnd.choice([63, 64, 65, 100]))]
        data = f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Test-Id: m{i}\r\n".encode()
        data += b"".join(f"{k}: {v}\r\n".encode("utf-8") for k, v in headers) + b"\r\n"
        if rnd.random() < 0.05:
            data = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 600)))  # not HTTP at all
        port = rnd.choice([env.main, env.main, env.plain])
        try:
            resp = raw_request(port, data)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
        except OSError:
            statuses["error"] = statuses.get("error", 0) + 1
    print(f"  statuses: {dict(sorted(statuses.items(), key=str))}")
    log = env.nginx.error_log.read_text(errors="replace")
    check("exited on signal" not in log, "a worker exited on a signal")
    check(env.nginx.workers() == workers, "the workers changed during the malformed requests")
    check(statuses.get(0, 0) + statuses.get("error", 0) < count // 20 + 5, "too many requests got no answer")
    check(431 in statuses, "no request with more than 64 headers got 431")
    decided = sum(1 for k, v in env.nginx.log_lines().items() if k.startswith("m") and v["decision"] != "-")
    print(f"  {decided} of them decided by Warden, the others refused by nginx itself")
    check(decided >= count // 2, "fewer than half of the malformed requests reached Warden")


GROUPS = {
    "cases": test_cases,
    "cors": test_preflight_and_cors,
    "identity": test_identity_headers,
    "xff": test_xff,
    "off": test_warden_off,
    "config": test_config_errors,
    "keys": test_keys_file,
    "reload": test_reload,
    "malformed": test_malformed,
}


def main():
    for need in (MODULE, WARDEN):
        if not Path(need).exists():
            sys.exit(f"{need} is missing: make -C integrations/nginx && cargo build --release --locked -p warden-cli")
    groups = sys.argv[1:] or list(GROUPS)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="warden-nginx-") as base:
        env = Env(base)
        try:
            env.nginx.start()
            for g in groups:
                GROUPS[g](env)
        finally:
            env.stop()
            if failures:
                err = env.nginx.error_log
                if err.exists():
                    print("--- error.log (last 30 lines)")
                    print("\n".join(err.read_text(errors="replace").splitlines()[-30:]))
    print(f"{checks} checks, {len(failures)} failed, {time.time() - start:.1f}s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
