"""Shared pieces of the nginx module's tests: a header-echoing upstream, an nginx instance of
its own (prefix, pid, logs, temp paths under one directory, never the system service), raw
HTTP/1.1 over sockets (so a target is sent byte for byte), and `warden eval`."""

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODULE = ROOT / "integrations/nginx/objs/ngx_http_warden_module.so"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WARDEN = TARGET / "release/warden"
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream:
    """An HTTP server that answers every method with a JSON echo of what it received, and
    remembers it. `?upstream-cors` makes it send its own Access-Control-Allow-Origin."""

    def __init__(self):
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def __getattr__(self, name):
                if name.startswith("do_"):
                    return self.echo
                raise AttributeError(name)

            def echo(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                record = {"method": self.command, "path": self.path, "headers": list(self.headers.items())}
                outer.seen.append(record)
                body = json.dumps(record).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if "upstream-cors" in self.path:
                    self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def last(self, test_id):
        for rec in reversed(self.seen):
            if any(k.lower() == "x-test-id" and v == test_id for k, v in rec["headers"]):
                return rec
        return None

    def stop(self):
        self.server.shutdown()


class Response:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2) if lines and lines[0] else [b"", b"0"]
        try:
            self.status = int(parts[1])
        except (IndexError, ValueError):
            self.status = 0
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            self.headers.append((name.decode("latin-1").strip(), value.decode("latin-1").strip()))

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def one(self, name):
        values = self.all(name)
        return values[0] if len(values) == 1 else None


TIMEOUT = float(os.environ.get("WARDEN_NGINX_TIMEOUT", "10"))


def raw_request(port, data, timeout=None):
    """Sends bytes, reads until the server closes. Returns a Response (status 0 if nothing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout or TIMEOUT) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except (ConnectionResetError, socket.timeout):
            pass
    return Response(b"".join(chunks))


def request(port, method, target, headers=(), test_id=None, body=b""):
    """One HTTP/1.1 request with Connection: close; `headers` is a list of (name, value) sent
    in order. Returns (Response, the full header list sent)."""
    sent = [("Host", "localhost"), ("Connection", "close")]
    if test_id is not None:
        sent.append(("X-Test-Id", test_id))
    sent += list(headers)
    if body:
        sent.append(("Content-Length", str(len(body))))
    head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1")
    head += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in sent)
    return raw_request(port, head + b"\r\n" + body), sent


def warden_eval(policy, keys, method, path, headers, ip, now):
    cmd = [str(WARDEN), "eval", str(policy), "--keys", str(keys), "--method", method, "--path", path,
           "--now", str(now), "--json"]
    for k, v in headers:
        cmd += ["--header", f"{k}: {v}"]
    if ip:
        cmd += ["--ip", ip]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode not in (0, 2, 3):
        raise RuntimeError(f"warden eval failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)


class Nginx:
    """Debian's nginx with the module, in a directory of its own."""

    LOG_FORMAT = ("$http_x_test_id\\t$status\\t$warden_decision\\t$warden_status\\t$warden_reason\\t"
                  "$warden_rule\\t$warden_subject")

    def __init__(self, base, frozen_now=None, extra_env=None):
        self.base = Path(base)
        for d in ("logs", "conf", "temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        self.env = dict(os.environ)
        if frozen_now is not None:
            # nginx's clock frozen at the case file's `now` (libfaketime; timers keep the real
            # monotonic clock), so tokens minted for that instant are judged at that instant.
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(frozen_now))
            self.env.update(LD_PRELOAD=FAKETIME_LIB, FAKETIME=stamp, FAKETIME_DONT_FAKE_MONOTONIC="1",
                            TZ="UTC")
        self.env.update(extra_env or {})
        self.conf = self.base / "conf/nginx.conf"
        self.pidfile = self.base / "logs/nginx.pid"
        self.error_log = self.base / "logs/error.log"
        self.access_log = self.base / "logs/access.log"

    def preamble(self, workers=2, extra_main=""):
        b = self.base
        if "FAKETIME" in self.env:
            # nginx clears the environment of its workers; keep the frozen clock there too
            extra_main += "\nenv LD_PRELOAD; env FAKETIME; env FAKETIME_DONT_FAKE_MONOTONIC; env TZ;"
        return f"""
load_module {MODULE};
worker_processes {workers};
pid {self.pidfile};
error_log {self.error_log} info;
{extra_main}
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {b}/temp/body;
    proxy_temp_path {b}/temp/proxy;
    fastcgi_temp_path {b}/temp/fastcgi;
    uwsgi_temp_path {b}/temp/uwsgi;
    scgi_temp_path {b}/temp/scgi;
    log_format warden "{self.LOG_FORMAT}";
    access_log {self.access_log} warden;
"""

    def write_conf(self, text):
        self.conf.write_text(text)

    def run(self, *args, check=False):
        return subprocess.run([NGINX, "-p", str(self.base), "-c", str(self.conf), *args], env=self.env,
                              capture_output=True, text=True, check=check)

    def test_conf(self):
        return self.run("-t")

    def start(self):
        r = self.run()
        if r.returncode != 0:
            raise RuntimeError(f"nginx did not start: {r.stderr}")
        self.wait_workers()

    def master_pid(self):
        return int(self.pidfile.read_text().strip())

    def workers(self):
        out = subprocess.run(["pgrep", "-P", str(self.master_pid())], capture_output=True, text=True)
        return sorted(int(p) for p in out.stdout.split())

    def wait_workers(self, old=None, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                w = self.workers()
            except (FileNotFoundError, ValueError):
                w = []
            if w and (old is None or not set(w) & set(old)):
                time.sleep(0.2)
                return w
            time.sleep(0.1)
        raise RuntimeError("nginx workers did not come up")

    def reload(self):
        """`nginx -s reload`; returns the CompletedProcess (it refuses a bad configuration)."""
        old = self.workers()
        r = self.run("-s", "reload")
        if r.returncode == 0:
            self.wait_workers(old)
        return r

    def stop(self):
        try:
            pid = self.master_pid()
        except (FileNotFoundError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def log_lines(self):
        if not self.access_log.exists():
            return {}
        out = {}
        for line in self.access_log.read_text(errors="replace").splitlines():
            f = line.split("\t")
            if len(f) == 7:
                out[f[0]] = dict(status=f[1], decision=f[2], warden_status=f[3], reason=f[4], rule=f[5],
                                 subject=f[6])
        return out

    def wait_log(self, test_id, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.log_lines().get(test_id)
            if line:
                return line
            time.sleep(0.02)
        return None


def copy_private(src, dst):
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o600)
