#!/usr/bin/env bash
# Validates every deployment file offline (no Docker engine, no cluster):
#   - docker-compose.yml against the Compose specification's JSON schema, loaded as
#     docker compose loads it (compose-go, built with Go from the module proxy);
#   - every Kubernetes overlay rendered with kustomize (Go module proxy) and validated
#     against the Kubernetes schemas (kubernetes-validate, strict);
#   - Prometheus configuration and alert rules with promtool, and the rules' unit tests;
#   - each image's runtime set (deploy/locks/<service>.txt and the project) installed into
#     a fresh virtualenv as the Dockerfile does it: its size printed, its app built with
#     nothing else; the site's must stay under 150 MB.
# Tools are built once into ~/.cache/pressroom/bin; rendered manifests go to var/k8s/.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${PRESSROOM_CACHE:-$HOME/.cache/pressroom}
bin=$cache/bin
kustomize_version=v5.8.0
mkdir -p "$bin" var/k8s
say() { printf 'check-deploy: %s\n' "$*"; }

composecheck_key=$(cat deploy/tools/composecheck/go.mod deploy/tools/composecheck/go.sum deploy/tools/composecheck/main.go | sha256sum | cut -c1-12)
composecheck=$bin/composecheck-$composecheck_key
if [ ! -x "$composecheck" ]; then
  say "building composecheck (compose-go)"
  (cd deploy/tools/composecheck && go build -trimpath -o "$composecheck" .)
fi
kustomize=$bin/kustomize-$kustomize_version
if [ ! -x "$kustomize" ]; then
  say "installing kustomize $kustomize_version"
  GOBIN=$bin.tmp go install "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version"
  mv "$bin.tmp/kustomize" "$kustomize" && rmdir "$bin.tmp"
fi
command -v promtool >/dev/null || { say "promtool not found: apt-get install prometheus"; exit 1; }

# As `make up` starts it (no profile), then with every profile.
"$composecheck" -env .env.example -profiles '' docker-compose.yml
"$composecheck" -env .env.example -profiles '*' docker-compose.yml

for overlay in deploy/k8s/overlays/*/; do
  name=$(basename "$overlay")
  "$kustomize" build "$overlay" >"var/k8s/$name.yaml"
  # Custom resources (KEDA ScaledObject, ServiceMonitor) have no schema here: their
  # fields are checked by tests/unit/test_deploy.py.
  .venv/bin/kubernetes-validate --strict --quiet --no-warn "var/k8s/$name.yaml"
  say "k8s overlay $name: $(grep -c '^kind:' "var/k8s/$name.yaml") objects rendered and valid"
done

promtool check config deploy/prometheus/prometheus.yml >/dev/null
promtool check rules deploy/prometheus/rules/*.yml >/dev/null
promtool test rules deploy/prometheus/tests/*.yml >/dev/null
say "prometheus config, rules and rule tests pass"

# Each image's runtime set, installed as the Dockerfile installs it (uv for speed: the
# same hashes and files), once per lock and source tree.
site_limit_mb=150
sources_key=$(cat pyproject.toml $(git ls-files shared services 2>/dev/null || find shared services -name '*.py') | sha256sum | cut -c1-12)
sizes=()
for lock in deploy/locks/*.txt; do
  image=$(basename "$lock" .txt)
  venv=$cache/runtime/$image-$(cat "$lock" | sha256sum | cut -c1-12)-$sources_key
  if [ ! -f "$venv/.installed" ]; then
    rm -rf "$venv"
    .venv/bin/uv venv -q --python "$(.venv/bin/python -c 'import sys; print(sys.executable)')" "$venv"
    .venv/bin/uv pip install -q --python "$venv/bin/python" --no-deps --require-hashes -r "$lock"
    .venv/bin/uv pip install -q --python "$venv/bin/python" --no-deps --reinstall-package pressroom .
    # From elsewhere, so the installed package is imported, not this checkout.
    (cd "$venv" && PRESSROOM_SOURCES_FILE="$OLDPWD/deploy/sources.yaml" bin/python -c "from services.registry import SERVICES; SERVICES['$image'].create_app()") \
      || { say "the $image image's runtime set cannot build its app"; exit 1; }
    touch "$venv/.installed"
  fi
  mb=$(du -sm "$venv/lib" | cut -f1)
  sizes+=("$image $mb MB")
  if [ "$image" = site ] && [ "$mb" -ge "$site_limit_mb" ]; then
    say "the site's runtime set is $mb MB, over $site_limit_mb MB"; exit 1
  fi
done
say "runtime set per image (installed): $(IFS=,; echo "${sizes[*]}" | sed 's/,/, /g')"
