#!/usr/bin/env bash
# The test command (`npm test`, `.ci/run`): installs what is missing, lints and checks the formatting, typechecks, validates the deployment
# artefacts (infra/k8s/validate.sh), then runs every test inside a network namespace made for this run,
# so WebRTC traffic cannot leave this machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export ONNXRUNTIME_NODE_INSTALL=skip
bash infra/install.sh
# Lint, then formatting and import order (Biome, biome.jsonc): `npm run format` fixes the latter.
npm run --silent lint
npm run --silent format:check
npx --no-install tsc --noEmit
npx --no-install tsc -p web/client/tsconfig.json
# Deployment artefacts (infra/k8s, the compose files), offline: kustomize + Kubernetes API schemas.
bash infra/k8s/validate.sh
exec bash harness/netns/run-in-netns.sh npx --no-install vitest run "$@"
