#!/usr/bin/env bash
# Builds FerretDB v2's own command with `go build`, from the Go module proxy:
#
#   build.sh OUTPUT
#
# The module at version.txt is downloaded into Go's module cache, copied, patched (see
# *.patch) and built; its build/version/ files say which version it is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTPUT}
version=$(tr -d '[:space:]' <"$here/version.txt")
module=github.com/FerretDB/FerretDB/v2

command -v go >/dev/null || { echo "ferretdb build: go not found: install Go" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pressroom-ferretdb.XXXXXX")
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT

dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$module@$version" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "ferretdb build: could not download $module@$version" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
for patch in "$here"/*.patch; do
  git apply -p1 "$patch"
done
echo "$version" >build/version/version.txt
echo "pressroom-local" >build/version/package.txt
go build -trimpath -o "$out.tmp" ./cmd/ferretdb
mv "$out.tmp" "$out"
