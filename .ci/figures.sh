#!/usr/bin/env bash
# The figures the docs give, against what a stage of .ci/run just measured.
#
# A figure in README.md, ffi/README.md or docs/embedded.md is written as the number followed
# by an HTML comment naming it, `3 512 <!-- figure engine-cortex-m4-firmware -->` (invisible
# when rendered). Host-measurable figures (x86-64 sizes, case counts) are checked by
# `cargo test` (src/figures.rs, ffi/tests/figures.rs); this script checks the target ones:
#
#   .ci/figures.sh check FILE NAME MEASURED [TOLERANCE_PERCENT]
#       fails when the figure differs from MEASURED by more than the tolerance (default 0:
#       exact; sizes that move with every code change, flash and stack, get 1–2 %)
#   .ci/figures.sh get FILE NAME            prints the figure
#   .ci/figures.sh set FILE NAME VALUE      writes VALUE as the figure (digits grouped by 3)
#   FIGURES_UPDATE=1 (in the environment of a stage or of `check`): a figure that differs is
#       rewritten with the measured value instead of failing, for re-measuring after an
#       intended change; review the diff and commit it
#   .ci/figures.sh type-sizes               checks the Cortex-M4 type sizes of README.md
#       (Engine with the default capacities, RAM per unit of the table capacities) with rustc's
#       -Zprint-type-sizes on the stable compiler (RUSTC_BOOTSTRAP=1)
#
# After an intended change, re-measure with the command the doc names beside the figure and
# write the new number there.
set -euo pipefail
cd "$(dirname "$0")/.."

get() {
  local file=$1 name=$2 n
  # POSIX longest-match: the optional first group takes everything up to the last character
  # that is not a digit or a space, so the number is the whole digit group before the marker.
  n=$(sed -n "s/^\(.*[^0-9 ]\)\{0,1\} *\([0-9][0-9 ]*[0-9]\|[0-9]\) *<!-- figure $name -->.*/\2/p" "$file" | head -1 | tr -d ' ')
  if [ -z "$n" ]; then echo "no figure $name in $file" >&2; return 1; fi
  echo "$n"
}

set_figure() {
  local file=$1 name=$2 value=$3 grouped
  grouped=$(printf '%s' "$value" | rev | sed 's/\([0-9]\{3\}\)/\1 /g; s/ $//' | rev)
  get "$file" "$name" >/dev/null
  sed -i "s/^\(\(.*[^0-9 ]\)\{0,1\} *\)\([0-9][0-9 ]*[0-9]\|[0-9]\)\( *<!-- figure $name -->\)/\1$grouped\4/" "$file"
}

check() {
  local file=$1 name=$2 measured=$3 tol=${4:-0} doc
  doc=$(get "$file" "$name")
  local diff=$((measured > doc ? measured - doc : doc - measured))
  if [ $((diff * 100)) -le $((tol * doc)) ]; then
    printf 'figure %-30s %-18s documented %8s, measured %8s: ok\n' "$name" "$file" "$doc" "$measured"
  else
    if [ -n "${FIGURES_UPDATE:-}" ]; then
      set_figure "$file" "$name" "$measured"
      printf 'figure %-30s %-18s documented %8s, measured %8s: UPDATED\n' "$name" "$file" "$doc" "$measured"
      return 0
    fi
    printf 'figure %-30s %-18s documented %8s, measured %8s: DIFFERS (tolerance %s%%)\n' "$name" "$file" "$doc" "$measured" "$tol"
    echo "  re-measure with the command beside the figure in $file and write the new number there"
    return 1
  fi
}

type_sizes() {
  local out; out=$(mktemp)
  # Only the core is rebuilt (with the flag); its dependencies are reused.
  RUSTC_BOOTSTRAP=1 cargo rustc -q --locked -p warden --release --target thumbv7em-none-eabihf -- -Zprint-type-sizes >"$out"
  size() {
    sed -n "s/^print-type-size type: \`$1\`: \([0-9]*\) bytes.*/\1/p" "$out" | head -1
  }
  local ok=0
  check README.md engine-cortex-m4 "$(size "engine::Engine<'_>")" || ok=1
  check docs/embedded.md engine-default-cortex-m4 "$(size "engine::Engine<'_>")" || ok=1
  check README.md unit-rules-cortex-m4 $(($(size "policy::Rule<'_>") + $(size "path::Shape"))) || ok=1
  check README.md unit-credentials-cortex-m4 "$(size "policy::Credential<'_>")" || ok=1
  check README.md unit-keys-cortex-m4 $(($(size "policy::KeySpec<'_>") + $(size "mac::MacKey"))) || ok=1
  check README.md unit-ranges-cortex-m4 "$(size "policy::IpRange")" || ok=1
  check README.md unit-origins-cortex-m4 "$(size "policy::OriginPattern<'_>")" || ok=1
  rm -f "$out"
  return $ok
}

case ${1:-} in
  get) get "$2" "$3" ;;
  set) set_figure "$2" "$3" "$4" ;;
  check) check "$2" "$3" "$4" "${5:-0}" ;;
  type-sizes) type_sizes ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
