#!/usr/bin/env bash
# Instructions one PBKDF2-HMAC-SHA256 iteration costs on the Cortex-M4, as Warden runs it for
# Basic credentials (docs/embedded.md, "What PBKDF2 costs on a device").
#
# Builds a probe firmware (this crate's target, memory map and release profile, SHA-2's
# compact backend) that runs warden::internal::pbkdf2_sha256 with N iterations and exits, for
# N = 1 and N = 101, runs each under QEMU with one instruction per translation block and every
# executed block logged (-singlestep -d exec,nochain), and prints the difference of the
# instruction counts divided by 100: startup, semihosting and the PBKDF2 set-up cancel out.
#
#   ./pbkdf2-cost.sh            # compact backend, as the firmware examples build it
#   ./pbkdf2-cost.sh unrolled   # sha2's default (unrolled) software backend, for comparison
#
# Takes about a minute; the logs (about 150 MB) go to a temporary directory that is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/.cargo"
cp "$here/memory.x" "$here/Cargo.lock" "$work/"
cp "$here/.cargo/config.toml" "$work/.cargo/"
sed -e "s|path = \"../..\"|path = \"$root\"|" -e '/^\[build-dependencies\]/,/^$/d' -e 's/^name = "warden-cortex-m"$/name = "pbkdf2-cost"/' \
  "$here/Cargo.toml" | sed '/^\[\[bin\]\]/,/^$/d' >"$work/Cargo.toml"
cat >"$work/build.rs" <<'RS'
fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-env-changed=PROBE_ITERATIONS");
}
RS
cat >"$work/src/main.rs" <<'RS'
#![no_std]
#![no_main]

const fn parse(s: &str) -> u32 {
    let (b, mut i, mut n) = (s.as_bytes(), 0, 0u32);
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}
const ITERATIONS: u32 = parse(env!("PROBE_ITERATIONS"));

#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    let hash = warden::internal::pbkdf2_sha256(black_box(b"dev-admin-password"), black_box(b"0123456789abcdef"), black_box(ITERATIONS));
    black_box(hash);
    semihosting::process::exit(0)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::process::exit(101)
}
RS
flags=()
if [ "${1:-}" = unrolled ]; then flags=(env RUSTFLAGS="-C link-arg=-Tlink.x"); fi
count() {
  (cd "$work" && PROBE_ITERATIONS=$1 "${flags[@]}" cargo build --release -q)
  timeout 600 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D "$work/exec.log" \
    -kernel "$work/target/thumbv7em-none-eabihf/release/pbkdf2-cost"
  grep -c '^Trace' "$work/exec.log"
}
one=$(count 1)
many=$(count 101)
echo "instructions: $one at 1 iteration, $many at 101"
echo "per PBKDF2-HMAC-SHA256 iteration: $(((many - one) / 100)) instructions (${1:-compact} SHA-256 backend)"
