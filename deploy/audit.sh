#!/usr/bin/env bash
# What the images install, checked and listed: pip-audit reads each image's runtime lock
# (deploy/locks/<service>.txt, hashes required) against PyPI's advisory data, and
# cyclonedx-py writes each image's CycloneDX SBOM (every package with its purl and hashes)
# to var/sbom/<service>.cdx.json. Exits non-zero when a pinned package has a known
# vulnerability.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/sbom
status=0
for lock in deploy/locks/*.txt; do
  image=$(basename "$lock" .txt)
  sbom=var/sbom/$image.cdx.json
  .venv/bin/cyclonedx-py requirements --pyproject pyproject.toml --of JSON \
    --output-reproducible -o "$sbom" "$lock" 2>/dev/null
  components=$(.venv/bin/python -c "import json, sys; print(len(json.load(open(sys.argv[1]))['components']))" "$sbom")
  if found=$(.venv/bin/pip-audit --progress-spinner off --disable-pip --require-hashes -r "$lock" 2>&1); then
    echo "audit: $image: no known vulnerabilities in $components packages (SBOM: $sbom)"
  else
    status=1
    echo "audit: $image: $found"
  fi
done
exit $status
