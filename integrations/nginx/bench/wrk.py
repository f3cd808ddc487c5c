#!/usr/bin/env python3
"""Throughput and latency of nginx with and without the Warden module, with wrk, one run.

    make -C integrations/nginx && cargo build --release --locked -p warden-cli
    python3 integrations/nginx/bench/wrk.py                 # 5 rounds x 5 s per row
    python3 integrations/nginx/bench/wrk.py --rounds 1 --seconds 2    # a smoke run

One nginx, one worker process, the packaged binary with the module loaded, the example policy
(policies/edge-api.wdn, 11 rules). Every row fetches the same small static file (the static
module, after the access phase; `return` would run before the access phase and bypass the
gate). Rows: warden off (bare nginx), an API key on `/metrics`, an HS256 JWT on
`/api/v1/orders/42`, the public rule `/health`, and JWTs of the identity provider's RS256
(2048 bits), ES256 and EdDSA keys on `/api/v1/orders/42`. Rounds interleave the rows, so a change of machine load hits all of
them alike; the table gives each row's median over the rounds, the cost per request against
bare nginx in the same rounds and the throughput ratio.

On a shared machine req/s moves with the load of other jobs (wrk and nginx compete with them
for the cores), so the worker's CPU time per request is measured too, from
/proc/PID/schedstat around each wrk run: Warden's cost per request is the difference to bare
nginx in the same round, and bare CPU / Warden CPU is the throughput ratio one saturated
worker would show. Both columns are medians over the rounds.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import ROOT, WARDEN, Nginx, copy_private, free_port  # noqa: E402

POLICIES = ROOT / "policies"
API_KEY = "wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0"  # dev key of metrics-scraper (edge-api.cases.toml)


def mint(kid, sub, roles):
    out = subprocess.run([str(WARDEN), "token", "mint", "--keys", str(POLICIES / "edge-api.keys.toml"),
                          "--policy", str(POLICIES / "edge-api.toml"), "--kid", kid, "--sub", sub,
                          "--roles", roles, "--ttl", "2d"], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def jwts():
    """(row name, token) for the HS256 key and the identity provider's public keys."""
    return [("HS256", mint("2026-q4", "alice", "orders:read")),
            ("RS256 (2048 bits)", mint("idp-rs256", "dana", "orders:read")),
            ("ES256", mint("idp-es256", "dana", "orders:read")),
            ("EdDSA", mint("idp", "dana", "orders:read"))]


def cpu_ns(pid):
    """CPU time the process has run, in ns (/proc/PID/schedstat: exact, unlike ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def wrk(port, path, headers, seconds, connections, worker=None):
    # wrk on the second CPU, the nginx worker on the first (worker_cpu_affinity), so they do
    # not take turns on one core
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    before = cpu_ns(worker) if worker else 0
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    cpu = cpu_ns(worker) - before if worker else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    lat = {}
    for name in ("50%", "99%"):
        m = re.search(rf"{name}\s+([\d.]+)(us|ms|s)\b", out)
        lat[name] = float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
    return rps, lat, int(non2xx.group(1)) if non2xx else 0, cpu / 1e3 / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    args = ap.parse_args()

    rows = [
        ("nginx alone (warden off)", "bare", "/api/v1/orders/42", []),
        ("Warden, API key", "warden", "/metrics", [f"X-Api-Key: {API_KEY}"]),
        ("Warden, public rule", "warden", "/health", []),
    ] + [(f"Warden, {name} JWT", "warden", "/api/v1/orders/42", [f"Authorization: Bearer {token}"])
         for name, token in jwts()]

    with tempfile.TemporaryDirectory(prefix="warden-nginx-bench-") as base:
        nginx = Nginx(base)
        docroot = Path(base) / "html"
        for path in ("metrics", "api/v1/orders/42", "health"):
            f = docroot / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("ok\n")
        shutil.copyfile(POLICIES / "edge-api.wdn", Path(base) / "conf/policy.wdn")
        copy_private(POLICIES / "edge-api.keys.toml", Path(base) / "conf/keys.toml")
        ports = {"bare": free_port(), "warden": free_port()}
        nginx.write_conf(nginx.preamble(workers=1, extra_main="worker_cpu_affinity 01;").replace(f"access_log {nginx.access_log} warden;",
                                                           "access_log off;") + f"""
    warden_policy {base}/conf/policy.wdn;
    warden_keys {base}/conf/keys.toml;
    root {docroot};
    default_type text/plain;
    server {{ listen 127.0.0.1:{ports['bare']}; warden off; }}
    server {{ listen 127.0.0.1:{ports['warden']}; warden on; warden_identity_headers on; }}
}}
""")
        nginx.start()
        try:
            # every row must get 200 before it is timed
            for name, server, path, headers in rows:
                _, _, bad, _ = wrk(ports[server], path, headers, 1, 2)
                if bad:
                    sys.exit(f"{name}: non-2xx answers; the benchmark setup is wrong")
            worker = nginx.workers()[0]
            results = {name: [] for name, *_ in rows}
            for r in range(args.rounds):
                order = rows[r % len(rows):] + rows[:r % len(rows)]
                for name, server, path, headers in order:
                    results[name].append(wrk(ports[server], path, headers, args.seconds, args.connections,
                                             worker))
        finally:
            nginx.stop()

    bare = results[rows[0][0]]
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.rounds} rounds x {args.seconds} s, "
          f"wrk -t1 -c{args.connections} on CPU 1, one nginx worker on CPU 0, load average "
          f"{Path('/proc/loadavg').read_text().split()[0]}\n")
    print("| request | req/s (median) | range | p50 | p99 | x bare (req/s) | worker CPU per request | "
          "Warden's cost | x bare (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    raw = {}
    for name, *_ in rows:
        runs = results[name]
        rps = [x[0] for x in runs]
        ratio = [x[0] / b[0] for x, b in zip(runs, bare)]
        cpu = [x[3] for x in runs]
        cost = [x[3] - b[3] for x, b in zip(runs, bare)]
        cpu_ratio = [b[3] / x[3] for x, b in zip(runs, bare)]
        p50 = statistics.median(x[1]["50%"] for x in runs)
        p99 = statistics.median(x[1]["99%"] for x in runs)
        is_bare = name == rows[0][0]
        med = statistics.median
        print(f"| {name} | {med(rps):,.0f} | {min(rps):,.0f}–{max(rps):,.0f} | {p50:.0f} µs | {p99:,.0f} µs | "
              f"{'1.00' if is_bare else f'{med(ratio):.2f}'} | {med(cpu):.2f} µs | "
              f"{'—' if is_bare else f'{med(cost):.2f} µs'} | {'1.00' if is_bare else f'{med(cpu_ratio):.2f}'} |")
        raw[name] = {"rps": rps, "ratio": ratio, "cpu_us": cpu, "cost_us": cost, "cpu_ratio": cpu_ratio}
    if args.json:
        print(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
