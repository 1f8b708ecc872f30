#!/usr/bin/env bash
# Prints the path of a Python with aioquic, making it first if missing: a
# virtual environment under /var/tmp (LAYERSCOPE_VENV overrides) holding the
# pinned aioquic from PyPI. Used by scripts/record_quic.sh and the live QUIC
# test. Needs python3 with its venv module (Debian: python3-venv).
set -euo pipefail
VENV=${LAYERSCOPE_VENV:-/var/tmp/layerscope-venv}
AIOQUIC=1.7.2
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # Debian's, not a version manager's shim
if ! "$VENV/bin/python" -c "import aioquic, sys; sys.exit(aioquic.__version__ != '$AIOQUIC')" 2>/dev/null; then
  echo "quic_venv.sh: installing aioquic $AIOQUIC into $VENV" >&2
  "$PY" -m venv "$VENV" >&2
  timeout 300 "$VENV/bin/pip" install -q --disable-pip-version-check "aioquic==$AIOQUIC" >&2
fi
echo "$VENV/bin/python"
