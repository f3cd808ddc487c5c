#!/usr/bin/env python3
"""The module's requests under valgrind memcheck, once: nginx in one process
(`master_process off; daemon off;`) loads the policy and keys (`nginx -t` under valgrind
first), then gets every example case, the preflight/CORS, identity-header and X-Forwarded-For
requests of run.py and a hundred malformed ones, and stops with SIGQUIT (a clean exit that
destroys the configuration pool, so the engine is cleared and definite leaks show).

    python3 integrations/nginx/tests/valgrind.py

Passes when valgrind reports no error and no definite leak. valgrind.supp holds only
suppressions for nginx's own behaviour (see the comments there), none for Warden's code.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("WARDEN_NGINX_TIMEOUT", "60")
sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402
from harness import NGINX  # noqa: E402

SUPP = Path(__file__).with_name("valgrind.supp")


def valgrind_cmd(log, *args):
    return ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite", f"--suppressions={SUPP}",
            "--trace-children=no", f"--log-file={log}", NGINX, *args]


def summary(log):
    text = Path(log).read_text(errors="replace")
    lines = [ln for ln in text.splitlines() if "ERROR SUMMARY" in ln or "definitely lost" in ln]
    return text, lines


def main():
    start = time.time()
    ok = True
    with tempfile.TemporaryDirectory(prefix="warden-nginx-vg-") as base:
        env = run.Env(base, workers=1, extra_main="master_process off;\ndaemon off;")
        nginx = env.nginx
        conf = ["-p", str(nginx.base), "-c", str(nginx.conf)]
        log_t = Path(base) / "valgrind-t.log"
        r = subprocess.run(valgrind_cmd(log_t, "-t", *conf), env=nginx.env, capture_output=True, text=True)
        text, lines = summary(log_t)
        print("nginx -t:", *lines, sep="\n  ")
        ok &= r.returncode == 0 and "ERROR SUMMARY: 0 errors" in text

        log = Path(base) / "valgrind.log"
        proc = subprocess.Popen(valgrind_cmd(log, *conf), env=nginx.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", env.main), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            run.test_cases(env)
            run.test_preflight_and_cors(env)
            run.test_identity_headers(env)
            run.test_xff(env)
            run.test_warden_off(env)
            run.test_malformed(env, count=100)
        finally:
            proc.send_signal(3)  # SIGQUIT: graceful shutdown, pools destroyed
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
            env.upstream.stop()
        text, lines = summary(log)
        print("requests:", *lines, sep="\n  ")
        clean = proc.returncode == 0 and "ERROR SUMMARY: 0 errors" in text
        if not clean:
            print(text[-6000:])
        ok &= clean
    ok &= not run.failures
    print(f"{run.checks} checks, {len(run.failures)} failed, valgrind {'clean' if ok else 'NOT clean'}, "
          f"{time.time() - start:.0f}s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
