#!/usr/bin/env bash
# The benchmarks (commands, not tests): installs what they need (idempotent), makes the Python agent's
# virtualenv when it is measured, and runs one inside a network namespace made for the run.
#   bench/run.sh [options]                 voice-to-voice latency and load (bench/latency/main.ts)
#   bench/run.sh interruptions [options]   barge-in, heard text, false interruptions, echo (bench/interruptions/main.ts)
#   bench/run.sh turn-taking [options]     false cut-offs vs end-of-turn delay, offline replay (bench/turn-taking/main.ts)
#   bench/run.sh regions [options]         near vs cross-region latency on the multi-region cluster (bench/regions/main.ts)
#   bench/run.sh soak [options]            long run of overlapping calls: memory, fd and process leaks, lost calls (bench/soak/main.ts)
# Options: see --help of each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/install.sh
script=bench/latency/main.ts
if [ "${1:-}" = turn-taking ]; then
  shift
  # Its held-out split has a neural caller voice (harness/speech/piper).
  bash harness/speech/piper/setup-venv.sh
  # Offline: no server, no network, so no namespace.
  exec env NODE_ENV=production node --import tsx bench/turn-taking/main.ts "$@"
elif [ "${1:-}" = soak ]; then
  shift
  # Our agent only: no Python virtualenv.
  script=bench/soak/main.ts
elif [ "${1:-}" = interruptions ]; then
  shift
  script=bench/interruptions/main.ts
elif [ "${1:-}" = regions ] || [ "${1:-}" = --regions ]; then
  # `regions [options]`, `--regions [options]`, or `--regions LIST [options]` (kept: it is the option).
  case "${2:-}" in -* | "") shift ;; *) [ "$1" = regions ] && shift ;; esac
  script=bench/regions/main.ts
else
  # Two of the voice-to-voice corpus's voices are held-out ones, a neural one among them (harness/speech/piper).
  bash harness/speech/piper/setup-venv.sh
  case " $* " in
    *" --agents ours "* | *" --agents=ours "* | *" --help "*) ;;
    *) bash bench/python-agent/setup-venv.sh ;;
  esac
fi
exec bash harness/netns/run-in-netns.sh env NODE_ENV=production node --import tsx "$script" "$@"
