#!/usr/bin/env bash
# Validates every deployment file offline (no Docker engine, no cluster):
#   - docker-compose.yml against the Compose specification's JSON schema, loaded as
#     docker compose loads it (compose-go, built with Go from the module proxy);
#   - every Kubernetes overlay rendered with kustomize (Go module proxy) and validated
#     against the Kubernetes schemas (kubernetes-validate, strict);
#   - Prometheus configuration and alert rules with promtool, and the rules' unit tests.
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
