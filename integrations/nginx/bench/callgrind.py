#!/usr/bin/env python3
"""Instructions per request of the nginx worker, with and without Warden (callgrind).

    python3 integrations/nginx/bench/callgrind.py     # about a minute

wall-clock numbers on a shared VM move with the load of other jobs; instruction counts do
not. nginx runs in one process (`master_process off`) under callgrind, gets N keep-alive
requests on one connection, and the count of 100 requests is subtracted from the count of 900,
which leaves the per-request work (start-up, configuration and exit cancel out); for the
public-key tokens, whose verification is millions of instructions, 30 from 90. Userland
instructions only (the kernel's share of a request is the same with and without Warden), and
valgrind hides the SHA extensions, so SHA-256 is counted in software (BENCHMARKS.md says
what that means for the HS256 row).
"""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import NGINX, ROOT, Nginx, free_port  # noqa: E402
from wrk import API_KEY, jwts  # noqa: E402


def count(rows_conf, path, headers, n):
    with tempfile.TemporaryDirectory(prefix="warden-nginx-cg-") as base:
        nginx = Nginx(base)
        docroot = Path(base) / "html"
        for p in ("metrics", "api/v1/orders/42", "health"):
            (docroot / p).parent.mkdir(parents=True, exist_ok=True)
            (docroot / p).write_text("ok\n")
        port = free_port()
        nginx.write_conf(nginx.preamble(workers=1, extra_main="master_process off;\ndaemon off;").replace(
            f"access_log {nginx.access_log} warden;", "access_log off;") + f"""
    warden_policy {ROOT}/policies/edge-api.wdn;
    warden_keys {ROOT}/policies/edge-api.keys.toml;
    root {docroot};
    server {{ listen 127.0.0.1:{port}; {rows_conf} }}
}}
""")
        out = Path(base) / "callgrind.out"
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", NGINX,
                                 "-p", base, "-c", str(nginx.conf)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            req = (f"GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: bench\r\nAccept: */*\r\n"
                   + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode()
            with socket.create_connection(("127.0.0.1", port)) as c:
                for _ in range(n):
                    c.sendall(req)
                    buf = b""
                    while not buf.endswith(b"\r\n\r\nok\n"):
                        chunk = c.recv(65536)
                        if not chunk:
                            raise SystemExit("connection closed")
                        buf += chunk
                    if not buf.startswith(b"HTTP/1.1 200 "):
                        raise SystemExit(f"{path}: {buf[:80]!r}")
        finally:
            proc.send_signal(3)
            proc.wait()
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit("no callgrind total")


def main():
    on = "warden on; warden_identity_headers on;"
    rows = [
        ("nginx alone (warden off)", "warden off;", "/api/v1/orders/42", [], (900, 100)),
        ("Warden, API key", on, "/metrics", [f"X-Api-Key: {API_KEY}"], (900, 100)),
        ("Warden, public rule", on, "/health", [], (900, 100)),
    ] + [(f"Warden, {name} JWT", on, "/api/v1/orders/42", [f"Authorization: Bearer {token}"],
          (900, 100) if name == "HS256" else (90, 30)) for name, token in jwts()]
    print("| request | userland instructions per request | added by Warden |")
    print("|---|---:|---:|")
    bare = None
    for name, conf, path, headers, (many, few) in rows:
        per = (count(conf, path, headers, many) - count(conf, path, headers, few)) // (many - few)
        bare = bare or per
        print(f"| {name} | {per:,} | {'—' if per == bare else f'{per - bare:,}'} |")


if __name__ == "__main__":
    main()
