#!/usr/bin/env bash
# README's first command (`npm start`): installs whatever is missing, then runs the local stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
bash infra/install.sh
exec node --import tsx infra/stack/run-local.ts "$@"
