#!/usr/bin/env bash
# Layering rule: only the command line (src/main.rs, src/cmd/) may know
# about commands or end the process. Library code returns typed errors.
# Fails naming file:line for every `crate::cmd`, `super::cmd` or
# `process::exit` elsewhere under src/.
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE 'crate::cmd|super::cmd|process::exit' --include='*.rs' src \
  | grep -vE '^src/main\.rs:|^src/cmd/' || true)
if [ -n "$hits" ]; then
  echo "check_layers: library code must not use the command line or exit the process:" >&2
  printf '%s\n' "$hits" >&2
  exit 1
fi
echo "check_layers: ok"
