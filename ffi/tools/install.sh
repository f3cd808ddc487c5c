#!/usr/bin/env bash
# Builds warden-ffi (release) and installs it under PREFIX:
#   PREFIX/include/warden.h, PREFIX/lib/libwarden_ffi.a, PREFIX/lib/pkgconfig/warden.pc
# and with --shared also PREFIX/lib/libwarden_ffi.so (then `-lwarden_ffi` links it).
#
#   ffi/tools/install.sh [--shared] PREFIX
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --static --cflags --libs warden
set -euo pipefail
shared=0
if [ "${1:-}" = "--shared" ]; then shared=1; shift; fi
prefix=${1:?usage: install.sh [--shared] PREFIX}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

cargo build --locked --release -p warden-ffi --manifest-path "$root/Cargo.toml"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/ffi/Cargo.toml" | head -1)
# What a C program must link besides the library when it links the static one. This is the
# list rustc prints with `--print native-static-libs` for *-linux-gnu; other platforms: run
#   cargo rustc -p warden-ffi --release --crate-type staticlib -- --print native-static-libs
native_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/ffi/include/warden.h" "$prefix/include/"
install -m 644 "$target/release/libwarden_ffi.a" "$prefix/lib/"
if [ "$shared" = 1 ]; then install -m 755 "$target/release/libwarden_ffi.so" "$prefix/lib/"; fi
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@NATIVE_LIBS@|$native_libs|" \
  "$root/ffi/warden.pc.in" >"$prefix/lib/pkgconfig/warden.pc"
echo "installed warden $version under $prefix"
