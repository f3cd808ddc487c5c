#!/usr/bin/env bash
# Instructions one decision costs on the Cortex-M4, for example cases named on the command
# line (docs/embedded.md, "Public-key algorithms on the device").
#
# Builds a probe firmware with this crate's target, memory map, release profile, capacities and
# build script (so it has the same case table and compiled example policy) that loads the
# policy and evaluates the named case R times, for R = 1 and R = 3, runs each under QEMU with
# one instruction per translation block and every executed block logged (-singlestep -d
# exec,nochain), and prints half the difference of the instruction counts: startup, the load,
# semihosting and the case lookup cancel out. A probe whose decision differs from the case's
# expectation exits non-zero.
#
#   ./decision-cost.sh "RS256 token from the identity provider reads an order" "reader token reads an order"
#   WARDEN_PROBE_FEATURES=ecdsa ./decision-cost.sh "ES256 …"   # a build with only some families
#
# A few seconds per case for HMAC and RSA-2048, about a minute for ES256 (its logs are about
# 400 MB, in a temporary directory that is removed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/.cargo"
cp "$here/memory.x" "$here/Cargo.lock" "$work/"
cp "$here/.cargo/config.toml" "$work/.cargo/"
sed -e "s|path = \"../..\"|path = \"$root\"|" -e 's/^name = "warden-cortex-m"$/name = "decision-cost"/' \
  "$here/Cargo.toml" | sed '/^\[\[bin\]\]/,/^$/d' >"$work/Cargo.toml"
sed -e "s|Path::new(\"../../policies\")|Path::new(\"$root/policies\")|" "$here/build.rs" >"$work/build.rs"
cat >"$work/src/main.rs" <<'RS'
#![no_std]
#![no_main]

use core::hint::black_box;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use warden::{Engine, Header, KeyMaterial, Request};

#[allow(dead_code)]
struct Case {
    name: &'static str,
    method: &'static [u8],
    path: &'static [u8],
    ip: Option<IpAddr>,
    headers: &'static [Header<'static>],
    now: u64,
    status: u16,
    reason: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));

static BLOB: &[u8] = include_bytes!(concat!(env!("WARDEN_ROOT"), "/policies/edge-api.wdn"));
const CASE: &str = env!("PROBE_CASE");
const REPEAT: &str = env!("PROBE_REPEAT");

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut ring = [KeyMaterial { id: "", secret: &[] }; 8];
    for (slot, (id, secret)) in ring.iter_mut().zip(KEYS) {
        *slot = KeyMaterial { id, secret };
    }
    let Ok(engine) = Engine::load(BLOB, &ring[..KEYS.len().min(ring.len())]) else { semihosting::process::exit(2) };
    let Some(case) = CASES.iter().find(|c| c.name == CASE) else { semihosting::process::exit(3) };
    let request = Request { method: case.method, path: case.path, client_ip: case.ip, headers: case.headers, now: case.now };
    let mut ok = true;
    for _ in 0..REPEAT.parse::<u32>().unwrap_or(1) {
        let decision = engine.evaluate(black_box(&request));
        ok &= decision.status() == case.status && decision.reason().as_str() == case.reason;
    }
    semihosting::process::exit(if ok { 0 } else { 1 })
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::process::exit(101)
}
RS
features=()
if [ -n "${WARDEN_PROBE_FEATURES:-}" ]; then features=(--no-default-features --features "$WARDEN_PROBE_FEATURES"); fi
count() {
  (cd "$work" && WARDEN_ROOT=$root PROBE_CASE=$1 PROBE_REPEAT=$2 cargo build --release -q "${features[@]}")
  timeout 900 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D "$work/exec.log" \
    -kernel "$work/target/thumbv7em-none-eabihf/release/decision-cost" ||
    { echo "probe for \"$1\" failed (exit $?): unknown case, refused load or another decision" >&2; return 1; }
  grep -c '^Trace' "$work/exec.log"
  rm -f "$work/exec.log"
}
printf '%12s  %s\n' instructions case
for name in "$@"; do
  one=$(count "$name" 1)
  three=$(count "$name" 3)
  printf '%12s  %s\n' "$(((three - one) / 2))" "$name"
done
