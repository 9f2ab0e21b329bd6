#!/usr/bin/env bash
# Builds PostgreSQL with the DocumentDB extension into one folder, from Debian's PostgreSQL
# and the sources pinned in sources.txt:
#
#   build.sh PREFIX
#
# PREFIX receives a relocated copy of Debian's PostgreSQL $PG_MAJOR (bin, lib, share: the
# server finds its share and lib folders relative to its own binary) with libbson (static),
# pgvector and DocumentDB built into it; Debian's own extensions (pg_cron, rum, PostGIS)
# come along with the copy. Nothing is installed into the system's PostgreSQL directories.
# Sources are read from PRESSROOM_VENDOR_DIR (default: ../shared/vendor beside the checkout),
# else from the download cache, else from their upstream URL; each is checked against its
# SHA-256 first. The build log is PRESSROOM_BUILD_LOG (default: stderr).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
prefix=${1:?usage: build.sh PREFIX}
pg_major=${PG_MAJOR:-15}
pg_bin=/usr/lib/postgresql/$pg_major/bin
cache=${PRESSROOM_CACHE:-$HOME/.cache/pressroom}
vendor=${PRESSROOM_VENDOR_DIR:-$repo/../shared/vendor}
downloads=$cache/downloads

say() { printf 'documentdb build: %s\n' "$*" >&2; }
die() { printf 'documentdb build: error: %s\n' "$*" >&2; exit 1; }

# -- sources ----------------------------------------------------------------------------

source_line() { grep -E "^$1[[:space:]]" "$here/sources.txt" || die "no source named $1 in sources.txt"; }

# Prints the path of a verified copy of source $1.
fetch_source() {
  local name=$1 file url sha candidate
  read -r _ file url sha <<<"$(source_line "$name")"
  for candidate in "$vendor/$file" "$downloads/$file"; do
    [ -f "$candidate" ] || continue
    if echo "$sha  $candidate" | sha256sum -c --quiet - >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
    say "ignoring $candidate: its SHA-256 is not $sha"
  done
  mkdir -p "$downloads"
  say "downloading $url"
  curl -fsSL --retry 2 -o "$downloads/$file.part" "$url" \
    || die "$file is not in $vendor and $url could not be downloaded (set PRESSROOM_VENDOR_DIR to a folder that has it)"
  echo "$sha  $downloads/$file.part" | sha256sum -c --quiet - >/dev/null 2>&1 \
    || die "$url does not have the SHA-256 in sources.txt ($sha); not using it"
  mv "$downloads/$file.part" "$downloads/$file"
  echo "$downloads/$file"
}

unpack() {  # name -> folder of the unpacked source (the archive's one top folder)
  local archive dir
  archive=$(fetch_source "$1")
  dir=$work/src/$1
  mkdir -p "$dir"
  tar -xzf "$archive" -C "$dir" --strip-components=1
  echo "$dir"
}

# -- the build --------------------------------------------------------------------------

[ -x "$pg_bin/postgres" ] || die "PostgreSQL $pg_major is not installed ($pg_bin/postgres)"
jobs=$(nproc)
work=$(mktemp -d "${TMPDIR:-/tmp}/pressroom-documentdb.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/stage  # `make install DESTDIR=` lands here, then joins the relocated copy
export PKG_CONFIG_PATH=$work/pkgconfig:$work/libbson/lib/pkgconfig
export PG_CONFIG=$pg_bin/pg_config
# No LLVM bitcode for PostgreSQL's JIT beside each object (Debian's PGXS makes it): it
# doubles the build, and JIT is for long analytic queries, not these.
pgxs=(with_llvm=no)

say "libbson (static, position-independent)"
src=$(unpack libbson)
cmake -S "$src" -B "$work/libbson-build" -DENABLE_MONGOC=OFF -DENABLE_TESTS=OFF \
  -DENABLE_EXAMPLES=OFF -DENABLE_STATIC=ON -DENABLE_SHARED=OFF -DENABLE_ICU=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$work/libbson"
cmake --build "$work/libbson-build" -j "$jobs" --target install

# Debian's Intel decimal library is named libbidgcc000 (built with the flags DocumentDB
# asks for: no call by reference, no global rounding or flags); the build looks it up
# under the name its own install script gives it.
mkdir -p "$work/pkgconfig"
cat >"$work/pkgconfig/intelmathlib.pc" <<'EOF'
Name: intelmathlib
Description: Intel Decimal Floating-Point Math Library (Debian's libintelrdfpmath-dev)
Version: 2.0
Cflags: -I/usr/include
Libs: -lbidgcc000
EOF

say "pgvector"
src=$(unpack pgvector)
# OPTFLAGS empty: no -march=native, so the cached build runs on any x86-64 of this kind.
make -C "$src" -j "$jobs" OPTFLAGS="" "${pgxs[@]}"
make -C "$src" install OPTFLAGS="" DESTDIR="$stage" "${pgxs[@]}"

say "DocumentDB"
src=$(unpack documentdb)
for patch in "$here"/*.patch; do
  (cd "$src" && git apply -p1 "$patch") || die "patch $(basename "$patch") does not apply"
done
for part in pg_documentdb_core pg_documentdb; do
  make -C "$src/$part" -j "$jobs" "${pgxs[@]}"
  make -C "$src/$part" install DESTDIR="$stage" "${pgxs[@]}"
done

say "assembling $prefix"
rm -rf "$prefix.tmp"
mkdir -p "$prefix.tmp/lib/postgresql" "$prefix.tmp/share/postgresql"
cp -a "/usr/lib/postgresql/$pg_major" "$prefix.tmp/lib/postgresql/"
cp -a "/usr/share/postgresql/$pg_major" "$prefix.tmp/share/postgresql/"
cp -a "$stage/usr/." "$prefix.tmp/"
[ "$("$prefix.tmp/lib/postgresql/$pg_major/bin/pg_config" --sharedir)" = "$prefix.tmp/share/postgresql/$pg_major" ] \
  || die "the copied PostgreSQL does not find its share folder beside itself"
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
say "done"
