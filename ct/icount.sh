#!/usr/bin/env bash
# Instruction counts of Engine::verdict and Engine::evaluate per request, checked against
# ct/icount.expected. Usage: ct/icount.sh PATH/TO/icount [OUT_DIR]
set -euo pipefail
bin=$1
out=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out/verdict" "$out/evaluate"
mkdir -p "$out/verdict" "$out/evaluate"
for phase in verdict evaluate; do
  valgrind --tool=callgrind -q --collect-atstart=no \
    --toggle-collect="warden::engine::Engine::$phase" \
    --callgrind-out-file="$out/$phase/cg.out" "$bin" run
done
"$bin" check "$out/verdict" "$out/evaluate" "$here/icount.expected"
