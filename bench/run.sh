#!/usr/bin/env bash
# The voice-to-voice benchmark (a command, not a test): installs what it needs (idempotent), makes the
# Python agent's virtualenv unless only our agent is measured, and runs bench/latency/main.ts inside a
# network namespace made for the run. Options: see `npm run bench -- --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/install.sh
case " $* " in
  *" --agents ours "* | *" --agents=ours "* | *" --help "*) ;;
  *) bash bench/python-agent/setup-venv.sh ;;
esac
exec bash test/netns/run-in-netns.sh env NODE_ENV=production node --import tsx bench/latency/main.ts "$@"
