#!/usr/bin/env bash
# Offline validation of the deployment artefacts (test/run.sh runs it; so can you):
#   - `kustomize build` of each region overlay (infra/k8s/overlays/*) and of infra/k8s/monitoring, and
#     every resource built checked against Kubernetes' API schemas (kubernetes-validate, strict: an
#     unknown field fails, as does a kind without a schema, e.g. a CRD's);
#   - the YAML embedded in ConfigMaps (livekit-server config, regions file, adapter rules) parses;
#   - docker-compose.yml and docker-compose.regions.yml against the Compose schema (`docker-compose
#     config`, which needs no Docker engine: unknown options, wrong types, bad interpolation fail);
#   - infra/k8s/helm/*.yaml and the configs the compose files mount parse as YAML.
# What the files say (regions agreeing, grace periods, livekit-server's keys) is checked by
# test/fast/compose.test.ts. Neither livekit-server (no dry run) nor the Helm chart (cannot be
# fetched here) is run.
# Its tools come from infra/install.sh: kustomize built from the Go module proxy, kubernetes-validate
# from PyPI in a virtualenv (both under .tools/, once per version), Debian's docker-compose (1.29).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../versions.env
source "$root/infra/versions.env"

tools="$root/.tools"
bin_dir="$tools/bin"
mkdir -p "$bin_dir"
log() { printf '[k8s-validate] %s\n' "$*" >&2; }
fail() {
  printf '[k8s-validate] FAILED: %s\n' "$*" >&2
  exit 1
}

kustomize="$bin_dir/kustomize"
venv="$tools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
# infra/install.sh installs all three, once per version.
[ -x "$kustomize" ] && [ -f "$venv/.complete" ] && command -v docker-compose >/dev/null ||
  fail "kustomize, kubernetes-validate or docker-compose is missing: run infra/install.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The compose files, with the defaults they write (an empty env file instead of a developer's .env).
: >"$work/empty.env"
for file in docker-compose.yml docker-compose.regions.yml; do
  if ! docker-compose --project-directory "$root" --env-file "$work/empty.env" -f "$root/$file" config -q 2>"$work/compose.err"; then
    cat "$work/compose.err" >&2
    fail "$file is not a valid Compose file"
  fi
done

# Each kustomization is built through a wrapper that records where every resource came from
# (config.kubernetes.io/origin), so that an error names the file to fix, not only the overlay
# (kustomize takes no absolute path there, and a path outside the wrapper only without load restrictions).
targets=()
for dir in "$here"/overlays/*/ "$here/monitoring/"; do
  dir="${dir%/}"
  rel="${dir#"$root"/}"
  name="$(echo "$rel" | tr '/' '_')"
  mkdir -p "$work/$name"
  cat >"$work/$name/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work/$name" "$dir")
buildMetadata: [originAnnotations]
EOF
  if ! "$kustomize" build --load-restrictor LoadRestrictionsNone "$work/$name" >"$work/$name.yaml" 2>"$work/$name.err"; then
    cat "$work/$name.err" >&2
    fail "kustomize build $rel"
  fi
  targets+=("$rel=$work/$name.yaml")
done

"$venv/bin/python" - "$root" "$KUBERNETES_SCHEMA_VERSION" "${targets[@]}" <<'PY' || fail "deployment artefacts (errors above)"
import glob, os, sys
import yaml
from kubernetes_validate import utils as kv

root, k8s_version, *targets = sys.argv[1:]
errors = []
count = 0

def where(rel, built, doc):
    """The overlay, the resource and the file it came from (or the kustomization that generated it)."""
    meta = doc.get("metadata") or {}
    origin = yaml.safe_load((meta.get("annotations") or {}).get("config.kubernetes.io/origin") or "{}") or {}
    source = origin.get("path") or origin.get("configuredIn")
    if source:
        # Relative to the wrapper kustomization, i.e. to the built file's name without .yaml.
        source = os.path.relpath(os.path.normpath(os.path.join(built[: -len(".yaml")], source)), root)
    return "%s: %s %s%s" % (rel, doc.get("kind"), meta.get("name"), " (from %s)" % source if source else "")

for target in targets:
    rel, built = target.split("=", 1)
    with open(built) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        errors.append("%s: kustomize built nothing" % rel)
    for doc in docs:
        count += 1
        try:
            kv.validate(doc, k8s_version, strict=True)
        except kv.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            errors.append("%s: %s: %s" % (where(rel, built, doc), path or "(top)", e.message))
        except kv.SchemaNotFoundError as e:
            errors.append("%s: %s (not a built-in kind: CRDs cannot be validated offline)" % (where(rel, built, doc), e.message))
        if doc.get("kind") == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                if key.endswith((".yaml", ".yml")):
                    try:
                        yaml.safe_load(value)
                    except yaml.YAMLError as e:
                        errors.append("%s: data.%s is not YAML: %s" % (where(rel, built, doc), key, e))

# Files nobody builds here but people run: they must at least parse.
plain = sorted(
    glob.glob("infra/k8s/helm/*.yaml", root_dir=root)
    + glob.glob("infra/livekit/**/*.yaml", root_dir=root, recursive=True)
    + glob.glob("infra/placement/*.yaml", root_dir=root)
)
for rel in plain:
    try:
        with open(os.path.join(root, rel)) as f:
            data = yaml.safe_load(f)
        if not isinstance(data, dict):
            errors.append("%s: not a YAML mapping" % rel)
    except (OSError, yaml.YAMLError) as e:
        errors.append("%s: %s" % (rel, e))

if errors:
    for e in errors:
        print("[k8s-validate] ERROR %s" % e, file=sys.stderr)
    sys.exit(1)
print("[k8s-validate] ok: %d resources (%s) valid for Kubernetes %s; both compose files valid; %d YAML files parse"
      % (count, ", ".join(t.split("=", 1)[0] for t in targets), k8s_version, len(plain)), file=sys.stderr)
PY
