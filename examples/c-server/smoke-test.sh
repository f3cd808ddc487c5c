#!/usr/bin/env bash
# Drives the example server with curl and checks every answer: statuses, WWW-Authenticate
# challenges, CORS headers, the X-Forwarded-For rule. Starts the server on 127.0.0.1 on a free
# port and always stops it, also when a check fails.
#
#   bash examples/c-server/smoke-test.sh            # from the repository root, after `make`
#
# Tokens are minted now with `warden token mint` (the dev keys of the example policy); set
# WARDEN to a built `warden` binary to skip `cargo run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
server=examples/c-server/server
policy=policies/edge-api.wdn
keys=policies/edge-api.keys.toml
work=$(mktemp -d)
pid=

stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
  fi
  echo "--- server log"
  cat "$work/err" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

warden() {
  if [ -n "${WARDEN:-}" ]; then "$WARDEN" "$@"; else cargo run -q --locked -p warden-cli -- "$@"; fi
}
mint() {
  warden token mint --keys "$keys" --kid 2026-q4 --iss https://auth.example.com --aud edge-api "$@"
}

now=$(date +%s)
alice=$(mint --sub alice --roles orders:read)
expired=$(mint --sub alice --roles orders:read --now $((now - 7200)) --ttl 1h)
carol=$(mint --sub carol --roles admin --amr mfa)

WARDEN_KEYS=$(ffi/tools/keys-env.sh "$keys") WARDEN_EXPOSE_REASON=1 "$server" "$policy" 0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "server exited"; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$base" ] || { echo "server did not start"; exit 1; }
echo "server at $base"

passed=0 failed=0
fail() { echo "FAIL $name: $*"; failed=$((failed + 1)); }

# request NAME STATUS PATH [curl args...]: one request, its status checked, headers kept.
request() {
  name=$1 want=$2 path=$3
  shift 3
  local got
  got=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" "$base$path") || got=curl-failed
  tr -d '\r' <"$work/headers" >"$work/h"
  if [ "$got" = "$want" ]; then passed=$((passed + 1)); else fail "status $got, want $want"; fi
}
# has 'Header: value' (exact line, header name case-insensitive); lacks 'Header'.
has() {
  local n=${1%%:*} v=${1#*: }
  if grep -qi "^$n: " "$work/h" && grep -i "^$n: " "$work/h" | cut -d' ' -f2- | grep -qxF -- "$v"; then
    passed=$((passed + 1))
  else
    fail "no header '$1' in: $(tr '\n' '|' <"$work/h")"
  fi
}
lacks() {
  if grep -qi "^$1:" "$work/h"; then fail "unexpected header $1"; else passed=$((passed + 1)); fi
}
count() {
  local n
  n=$(grep -ci "^$1:" "$work/h" || true)
  if [ "$n" = "$2" ]; then passed=$((passed + 1)); else fail "$n '$1' headers, want $2"; fi
}

request "public" 200 /health
has "X-Warden-Reason: public"
has "Vary: Origin"
lacks Access-Control-Allow-Origin

request "public with an allowed origin" 200 /health -H "Origin: https://status.example.com"
has "Access-Control-Allow-Origin: https://status.example.com"
has "Access-Control-Allow-Credentials: true"
lacks Access-Control-Allow-Methods

request "API key" 200 /metrics -H "X-Api-Key: wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0"
has "X-Warden-Subject: metrics-scraper"
has "X-Warden-Roles: metrics"

request "API key, wrong role" 403 /metrics -H "X-Api-Key: wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw"
has "X-Warden-Reason: insufficient_role"
lacks WWW-Authenticate

request "no credentials" 401 /api/v1/orders/42
count WWW-Authenticate 2
lacks Access-Control-Allow-Origin
lacks Access-Control-Expose-Headers
has 'WWW-Authenticate: Bearer realm="edge-api"'
has 'WWW-Authenticate: ApiKey realm="edge-api"'

request "JWT" 200 /api/v1/orders/42 -H "Authorization: Bearer $alice"
has "X-Warden-Subject: alice"
has "X-Warden-Rule: orders-read"

request "expired JWT" 401 /api/v1/orders/42 -H "Authorization: Bearer $expired"
has "X-Warden-Reason: token_expired"
has 'WWW-Authenticate: Bearer realm="edge-api", error="invalid_token", error_description="the access token expired"'
has 'WWW-Authenticate: ApiKey realm="edge-api"'

request "JWT, wrong role" 403 /api/v1/orders -X POST -H "Authorization: Bearer $alice" -d '{}'
has "X-Warden-Reason: insufficient_role"
has 'WWW-Authenticate: Bearer realm="edge-api", error="insufficient_scope", scope="orders:write verified"'

request "401 to an allowed origin is readable by the page" 401 /api/v1/orders -X POST \
  -H "Origin: https://shop.example.com" -d '{}'
has "X-Warden-Reason: credentials_missing"
has "Access-Control-Allow-Origin: https://shop.example.com"
has "Access-Control-Allow-Credentials: true"
has "Access-Control-Expose-Headers: WWW-Authenticate"
has "Vary: Origin"
has 'WWW-Authenticate: Bearer realm="edge-api"'

request "403 insufficient_role to an allowed origin is readable by the page" 403 /api/v1/orders -X POST \
  -H "Origin: https://shop.example.com" -H "Authorization: Bearer $alice" -d '{}'
has "X-Warden-Reason: insufficient_role"
has "Access-Control-Allow-Origin: https://shop.example.com"
has "Access-Control-Allow-Credentials: true"
has "Access-Control-Expose-Headers: WWW-Authenticate"
has "Vary: Origin"
lacks Access-Control-Allow-Methods

request "403 ip_blocked to an allowed origin has no CORS answer" 403 /health \
  -H "Origin: https://status.example.com" -H "X-Forwarded-For: 203.0.113.7"
has "X-Warden-Reason: ip_blocked"
lacks Access-Control-Allow-Origin
lacks Access-Control-Expose-Headers

request "preflight" 204 /api/v1/orders/9 -X OPTIONS -H "Origin: https://shop.example.com" \
  -H "Access-Control-Request-Method: DELETE"
has "X-Warden-Reason: preflight"
has "Access-Control-Allow-Origin: https://shop.example.com"
has "Access-Control-Allow-Credentials: true"
lacks Access-Control-Expose-Headers
has "Access-Control-Allow-Methods: POST, DELETE, PUT, PATCH"
has "Access-Control-Allow-Headers: authorization, content-type, x-api-key"
has "Access-Control-Max-Age: 600"

request "preflight from a foreign origin" 403 /api/v1/orders/9 -X OPTIONS -H "Origin: https://evil-example.com" \
  -H "Access-Control-Request-Method: DELETE"
has "X-Warden-Reason: origin_not_allowed"
lacks Access-Control-Allow-Origin

request "blocked IP via the header trusted from loopback" 403 /health -H "X-Forwarded-For: 198.51.100.1, 203.0.113.7"
has "X-Warden-Reason: ip_blocked"

request "allow-listed IP via the trusted header, step-up token" 200 /admin/users \
  -H "X-Forwarded-For: 10.1.2.3" -H "Authorization: Bearer $carol"
has "X-Warden-Subject: carol"

request "outside the allow list" 403 /admin/users -H "Authorization: Bearer $carol"
has "X-Warden-Reason: ip_not_allowed"

request "unparseable forwarded address" 400 /health -H "X-Forwarded-For: not-an-address"

request "escaped traversal reaches Warden escaped" 403 /docs/%2e%2e/admin --path-as-is
has "X-Warden-Reason: malformed_path"

request "no rule" 403 /nowhere
has "X-Warden-Reason: no_matching_rule"

many=()
for i in $(seq 70); do many+=(-H "X-Filler-$i: x"); done
request "too many headers" 431 /health "${many[@]}"

# A refused load names what it is about: the key the keyring lacks.
name="load without a key names the key"
if WARDEN_KEYS=$(ffi/tools/keys-env.sh "$keys" | cut -d, -f1,2) "$server" "$policy" 0 >/dev/null 2>"$work/load-err"; then
  fail "the server started without a key"
elif grep -qF 'keyring has no secret for the policy'"'"'s key "ops-hs512" (key #2)' "$work/load-err"; then
  passed=$((passed + 1))
else
  fail "$(cat "$work/load-err")"
fi

echo "c-server: $passed passed, $failed failed"
[ "$failed" = 0 ]
