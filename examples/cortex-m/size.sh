#!/usr/bin/env bash
# Flash budget of the firmware example (docs/embedded.md, "Figures"): builds it with and
# without Warden at opt-level z and s and prints .text + .rodata; then, at opt-level z, the
# firmware with each set of the core's optional features: none (HS256, API keys and Basic
# only), hmac-sha512 (all three HMAC algorithms, the HMAC-only firmware), and each public-key
# family with hmac-sha512: rsa, ecdsa, eddsa. Fails when Warden's share at opt-level z grows
# past a budget:
#   WARDEN_FLASH_BUDGET        (default 94 208 bytes)  every feature, the firmware that runs
#   WARDEN_FLASH_BUDGET_HMAC   (default 43 008 bytes)  hmac-sha512 alone (HS256/384/512)
#   WARDEN_FLASH_BUDGET_HS256  (default 39 424 bytes)  no optional feature (HS256 only)
# The builds with every feature and with each public-key family embed the compiled example
# policy (policies/edge-api.wdn, 3.9 KB with its public keys); the two builds without a
# public-key feature embed the same policy less its public keys (policies/edge-api-hmac.wdn,
# 1.3 KB; the firmware's `hmac-policy` feature), what an HMAC-only deployment would hold.
#
#   ./size.sh        opt-level z and s, and the features at z
#   ./size.sh z      opt-level z only (what CI gates on), and the features at z
set -euo pipefail
cd "$(dirname "$0")"
BUDGET=${WARDEN_FLASH_BUDGET:-94208}
BUDGET_HMAC=${WARDEN_FLASH_BUDGET_HMAC:-43008}
BUDGET_HS256=${WARDEN_FLASH_BUDGET_HS256:-39424}
sz() { arm-none-eabi-size -A "$1" | awk '$1==".text" || $1==".rodata" {s+=$2} END {print s}'; }
part() { arm-none-eabi-size -A "$1" | awk -v n="$2" '$1==n {print $2}'; }
PROFILES="release:z release-s:s"
if [ "${1:-}" = z ]; then PROFILES="release:z"; fi
for p in $PROFILES; do
  cargo build --locked --profile "${p%%:*}" -q
  cargo build --locked --profile "${p%%:*}" -q --features baseline --target-dir target/baseline
done
T=target/thumbv7em-none-eabihf
printf '%-8s %10s %10s %10s %12s %12s\n' profile text rodata flash without-warden warden
for p in $PROFILES; do
  dir=${p%%:*}; lvl=${p##*:}
  with=$T/$dir/warden-cortex-m; without=target/baseline/thumbv7em-none-eabihf/$dir/warden-cortex-m
  w=$(sz "$with"); b=$(sz "$without")
  printf 'opt-%-4s %10s %10s %10s %12s %12s\n' "$lvl" "$(part "$with" .text)" "$(part "$with" .rodata)" "$w" "$b" "$((w - b))"
  if [ "$lvl" = z ]; then WARDEN_Z=$((w - b)); BASE_Z=$b; fi
done
# Each feature set (`--no-default-features`, then the features), at opt-level z. Such a build
# cannot load the example policy (UnsupportedAlgorithm), so it is measured, not run; the
# builds without public keys embed the HMAC-only policy.
printf '%-22s %12s\n' "features (opt-level z)" warden
for f in none hmac-sha512 rsa ecdsa eddsa; do
  case $f in
    none) feat=(--features hmac-policy) ;;
    hmac-sha512) feat=(--features hmac-sha512,hmac-policy) ;;
    *) feat=(--features "hmac-sha512,$f") ;;
  esac
  cargo build --locked --release -q --no-default-features "${feat[@]}" --target-dir "target/feature-$f"
  share=$(( $(sz "target/feature-$f/thumbv7em-none-eabihf/release/warden-cortex-m") - BASE_Z ))
  printf 'feature-%-14s %12s\n' "$f" "$share"
  if [ "$f" = none ]; then HS256_Z=$share; fi
  if [ "$f" = hmac-sha512 ]; then HMAC_Z=$share; fi
done
echo "warden share at opt-level z: every feature ${WARDEN_Z} bytes (budget ${BUDGET}), HMAC only ${HMAC_Z} bytes (budget ${BUDGET_HMAC}), HS256 only ${HS256_Z} bytes (budget ${BUDGET_HS256})"
fail=0
if [ "$WARDEN_Z" -gt "$BUDGET" ]; then
  echo "FAIL: Warden's flash share (every feature) grew past the budget in docs/embedded.md"
  fail=1
fi
if [ "$HMAC_Z" -gt "$BUDGET_HMAC" ]; then
  echo "FAIL: Warden's flash share without public-key features grew past the budget in docs/embedded.md"
  fail=1
fi
if [ "$HS256_Z" -gt "$BUDGET_HS256" ]; then
  echo "FAIL: Warden's flash share with HS256 only grew past the budget in docs/embedded.md"
  fail=1
fi
exit $fail
