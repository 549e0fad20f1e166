#!/usr/bin/env bash
# Idempotent: the Piper virtualenv at .tools/piper-venv, from PyPI (requirements.txt). Skipped when the
# venv already holds this exact requirements.txt (a stamp of its hash). Only the benchmarks need it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.tools/piper-venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
printf '[piper-venv] pip install -r %s\n' "$req" >&2
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" >"$stamp"
