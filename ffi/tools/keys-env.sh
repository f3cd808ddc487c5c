#!/usr/bin/env bash
# Prints the keyring of a Warden keys file in the form the C examples and tests read from the
# WARDEN_KEYS environment variable:   id=hex,id=hex,...
#
#   WARDEN_KEYS=$(ffi/tools/keys-env.sh policies/edge-api.keys.toml) ./server ...
#
# The keys file holds [[key]] tables with `id` and `secret_hex` or `secret_b64` (RFC 4648,
# standard or URL-safe alphabet, padding optional), one `name = "value"` per line as
# `warden key new` writes them. Secrets pass through stdout: keep the output out of logs.
set -euo pipefail
file=${1:?usage: keys-env.sh KEYS.toml}

value() { sed -E 's/^[^=]*=[[:space:]]*"([^"]*)".*$/\1/' <<<"$1"; }
b64_to_hex() {
  local s=${1//-/+}
  s=${s//_//}
  while (( ${#s} % 4 )); do s+='='; done
  printf '%s' "$s" | base64 -d | od -An -v -tx1 | tr -d ' \n'
}

out=() id=
while IFS= read -r line || [ -n "$line" ]; do
  line=${line#"${line%%[![:space:]]*}"}
  case $line in
    '[[key]]'*) id= ;;
    id[[:space:]]*=*|id=*) id=$(value "$line") ;;
    secret_hex*=*) out+=("$id=$(value "$line" | tr 'A-F' 'a-f')") ;;
    secret_b64*=*) out+=("$id=$(b64_to_hex "$(value "$line")")") ;;
  esac
done <"$file"
(IFS=,; printf '%s\n' "${out[*]}")
