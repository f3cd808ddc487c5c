#!/usr/bin/env bash
# Flash budget of the firmware example: builds it with and without Warden at opt-level z and
# s, prints .text + .rodata, and fails if Warden's share at opt-level z (all public-key
# features, as the firmware runs) exceeds the budget written in docs/embedded.md
# (WARDEN_FLASH_BUDGET bytes). Then, at opt-level z, the share of each feature set alone:
# no public-key algorithm (HMAC only), rsa, ecdsa, eddsa.
set -euo pipefail
cd "$(dirname "$0")"
BUDGET=${WARDEN_FLASH_BUDGET:-131072}
sz() { arm-none-eabi-size -A "$1" | awk '$1==".text" || $1==".rodata" {s+=$2} END {print s}'; }
part() { arm-none-eabi-size -A "$1" | awk -v n="$2" '$1==n {print $2}'; }
# `size.sh z` measures opt-level z only (what CI gates on); no argument measures z and s.
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
echo "warden share at opt-level z, every feature: ${WARDEN_Z} bytes (budget ${BUDGET})"
printf '%-22s %12s\n' "features (opt-level z)" warden
for f in none rsa ecdsa eddsa; do
  feat=(); [ "$f" != none ] && feat=(--features "$f")
  cargo build --locked --release -q --no-default-features "${feat[@]}" --target-dir "target/feature-$f"
  printf '%-22s %12s\n' "$f" "$(( $(sz "target/feature-$f/thumbv7em-none-eabihf/release/warden-cortex-m") - BASE_Z ))"
done
if [ "$WARDEN_Z" -gt "$BUDGET" ]; then
  echo "FAIL: Warden's flash share grew past the budget in docs/embedded.md"
  exit 1
fi
