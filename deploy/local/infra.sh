#!/usr/bin/env bash
# Real infrastructure without Docker:
# - a single-node Apache Kafka broker (KRaft) from its Maven Central artifacts, run with java;
# - the MongoDB-compatible database: FerretDB v2 (built with Go from the module proxy) in
#   front of Debian's PostgreSQL with the DocumentDB extension (built from source).
# Builds are cached in ~/.cache/pressroom, keyed by what goes into them; data, logs and
# pids live in var/.
#
#   infra.sh up        build what is missing, start what is not running, wait until ready
#   infra.sh down      stop everything (data kept)
#   infra.sh status    say what runs
#   infra.sh reset     stop everything and delete its data
#   infra.sh restart kafka|postgres|ferretdb|database
#                      stop one (database: PostgreSQL and FerretDB) and start it again
#   infra.sh build     build what is missing, start nothing
#
# Settings (environment):
#   PRESSROOM_CACHE            build cache (default ~/.cache/pressroom)
#   PRESSROOM_VAR              data, logs and pids (default var/ in the checkout)
#   PRESSROOM_VENDOR_DIR       offline copies of the database's sources (default
#                              ../shared/vendor beside the checkout; see documentdb/sources.txt)
#   PRESSROOM_POSTGRES_LISTEN  PostgreSQL's listen address (default 127.0.0.1)
#   PRESSROOM_POSTGRES_PORT    PostgreSQL's port (default 27432)
#   PRESSROOM_POSTGRES_PASSWORD  the superuser's password: required when PostgreSQL or
#                              FerretDB listens beyond loopback (there, FerretDB
#                              authenticates its clients as PostgreSQL users)
#   PRESSROOM_FERRETDB_LISTEN  FerretDB's MongoDB address (default 127.0.0.1:27017)
#   PRESSROOM_FERRETDB_DEBUG_ADDR  FerretDB's metrics, readiness and pprof (default
#                              127.0.0.1:27019)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PRESSROOM_CACHE:-$HOME/.cache/pressroom}
var=${PRESSROOM_VAR:-$repo/var}
start_timeout=${PRESSROOM_INFRA_TIMEOUT:-90}

kafka_version=$(grep -A1 '<artifactId>kafka_2.13</artifactId>' "$here/kafka/pom.xml" | sed -n 's:.*<version>\(.*\)</version>.*:\1:p')
kafka_libs=$cache/kafka-$kafka_version/libs

pg_major=15
pg_listen=${PRESSROOM_POSTGRES_LISTEN:-127.0.0.1}
pg_port=${PRESSROOM_POSTGRES_PORT:-27432}
pg_data=$var/postgres
ferretdb_listen=${PRESSROOM_FERRETDB_LISTEN:-127.0.0.1:27017}
ferretdb_port=${ferretdb_listen##*:}
ferretdb_debug=${PRESSROOM_FERRETDB_DEBUG_ADDR:-127.0.0.1:27019}
ferretdb_version=$(tr -d '[:space:]' <"$here/ferretdb/version.txt")

# Debian packages the database is built from and runs on.
debian_packages=(
  "postgresql-$pg_major" "postgresql-server-dev-$pg_major" "postgresql-$pg_major-cron"
  "postgresql-$pg_major-rum" "postgresql-$pg_major-postgis-3" libpcre2-dev
  libintelrdfpmath-dev libkrb5-dev pkg-config cmake build-essential curl git
)

mkdir -p "$var/log" "$var/run"

say() { printf 'infra: %s\n' "$*"; }
die() { printf 'infra: error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

is_loopback() { case $1 in 127.*|localhost|::1|\[::1\]*) return 0 ;; *) return 1 ;; esac; }

http_ok() {  # host:port path -> true when it answers 200
  local host=${1%:*} port=${1##*:} status
  status=$( (exec 3<>"/dev/tcp/$host/$port" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 && head -n1 <&3) 2>/dev/null) || return 1
  [[ $status == *" 200 "* ]]
}

# -- builds ----------------------------------------------------------------------------

ensure_debian_packages() {
  local missing=() package
  for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: sudo apt-get install ${missing[*]}"
  say "installing Debian packages: ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >"$var/log/apt.log" 2>&1 || die "apt-get install failed; see $var/log/apt.log"
}

package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

# The build's key: what goes into it, including the Debian packages it copies.
documentdb_key() {
  {
    cat "$here/documentdb/sources.txt" "$here/documentdb/build.sh" "$here/documentdb/"*.patch
    for package in "postgresql-$pg_major" "postgresql-$pg_major-cron" "postgresql-$pg_major-rum" \
      "postgresql-$pg_major-postgis-3" libintelrdfpmath-dev libpcre2-dev; do
      echo "$package $(package_version "$package")"
    done
  } | sha256sum | cut -c1-12
}

build_kafka() {
  [ -f "$kafka_libs/kafka_2.13-$kafka_version.jar" ] && return
  say "fetching Apache Kafka $kafka_version from Maven Central into $kafka_libs"
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian package maven)"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$kafka_libs.tmp" -DincludeScope=runtime >"$var/log/kafka-build.log" 2>&1 \
    || die "could not fetch Kafka; see $var/log/kafka-build.log"
  rm -rf "$kafka_libs" && mv "$kafka_libs.tmp" "$kafka_libs"
}

pg_root=
build_postgres() {
  ensure_debian_packages
  local version; version=$(package_version "postgresql-$pg_major")
  pg_root=$cache/postgresql-$version-documentdb-$(documentdb_key)
  [ -x "$pg_root/lib/postgresql/$pg_major/bin/postgres" ] && return
  say "building PostgreSQL $version with DocumentDB into $pg_root (a few minutes; log: $var/log/documentdb-build.log)"
  local started=$SECONDS
  PG_MAJOR=$pg_major "$here/documentdb/build.sh" "$pg_root" >"$var/log/documentdb-build.log" 2>&1 \
    || die "could not build DocumentDB; see $var/log/documentdb-build.log"
  say "built in $((SECONDS - started)) s"
}

ferretdb_bin=
build_ferretdb() {
  local key
  key=$(cat "$here/ferretdb/version.txt" "$here/ferretdb/build.sh" "$here/ferretdb/"*.patch \
    <(go version 2>/dev/null) | sha256sum | cut -c1-12)
  ferretdb_bin=$cache/ferretdb-$ferretdb_version-$key/ferretdb
  [ -x "$ferretdb_bin" ] && return
  command -v go >/dev/null || die "go not found: install Go"
  say "building FerretDB $ferretdb_version into $ferretdb_bin (log: $var/log/ferretdb-build.log)"
  mkdir -p "$(dirname "$ferretdb_bin")"
  "$here/ferretdb/build.sh" "$ferretdb_bin" >"$var/log/ferretdb-build.log" 2>&1 \
    || die "could not build FerretDB; see $var/log/ferretdb-build.log"
}

# -- Kafka -----------------------------------------------------------------------------

java_cmd() { java -cp "$kafka_libs/*" "$@"; }

start_kafka() {
  if port_open 9092; then say "kafka already up on 127.0.0.1:9092"; return; fi
  build_kafka
  local data=$var/kafka/data props=$var/kafka/server.properties
  mkdir -p "$data"
  { cat "$here/kafka/server.properties"; echo "log.dirs=$data"; } >"$props"
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >"$var/log/kafka-format.log" 2>&1 \
      || die "could not format Kafka storage; see $var/log/kafka-format.log"
  fi
  say "starting kafka (log: $var/log/kafka.log)"
  # Compiled by C1 only: on two shared cores, C2's compiling through a fresh broker's first
  # minutes cost more CPU than the broker's own work (at 50 articles/s: 18 -> 9 ms of the
  # broker's CPU an article; produce ceiling 5,300-5,800 -> 9,400-9,700 messages/s).
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
    -cp "$kafka_libs/*" kafka.Kafka "$props" >"$var/log/kafka.log" 2>&1 &
  echo $! >"$var/run/kafka.pid"
}

# -- PostgreSQL with DocumentDB --------------------------------------------------------

# PostgreSQL refuses to run as root. As root, its programs run in a user namespace where
# root appears as `nobody`: the data stays owned by the invoking user, wherever it is.
# Each step execs the next, so the program keeps the pid this function was started with.
as_postgres_user() {
  if [ "$(id -u)" -eq 0 ]; then
    exec unshare --user --map-user="$(id -u nobody)" --map-group="$(id -g nobody)" "$@"
  else
    exec "$@"
  fi
}

pg_bin() { echo "$pg_root/lib/postgresql/$pg_major/bin/$1"; }

psql_postgres() {
  "$(pg_bin psql)" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"
}

init_postgres() {
  [ -f "$pg_data/PG_VERSION" ] && return
  if ! is_loopback "$pg_listen" && [ -z "${PRESSROOM_POSTGRES_PASSWORD:-}" ]; then
    die "PRESSROOM_POSTGRES_LISTEN=$pg_listen reaches beyond loopback: set PRESSROOM_POSTGRES_PASSWORD"
  fi
  say "creating the database cluster in $pg_data"
  rm -rf "$pg_data.tmp"
  (as_postgres_user "$(pg_bin initdb)" -D "$pg_data.tmp" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256) >"$var/log/postgres-init.log" 2>&1 \
    || die "initdb failed; see $var/log/postgres-init.log"
  # Loopback connects without a password (development); any other address needs one.
  cat >"$pg_data.tmp/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
host all all all scram-sha-256
EOF
  # What infra.sh sets lives in a file of its own, written at every start; ALTER SYSTEM
  # keeps postgresql.auto.conf for the operator.
  echo "include_if_exists = 'pressroom.conf'" >>"$pg_data.tmp/postgresql.conf"
  mv "$pg_data.tmp" "$pg_data"
}

start_postgres() {
  build_postgres  # also names the build in use, which the readiness check runs
  if port_open "$pg_port"; then say "postgres already up on 127.0.0.1:$pg_port"; return; fi
  init_postgres
  # Written at every start: the checkout and the settings may have changed.
  cat >"$pg_data/pressroom.conf" <<EOF
# Written by deploy/local/infra.sh at each start.
include '$here/documentdb/postgresql.conf'
listen_addresses = '$pg_listen'
port = $pg_port
unix_socket_directories = ''  # TCP only: socket paths have a length limit
EOF
  say "starting postgres with DocumentDB (log: $var/log/postgres.log)"
  (as_postgres_user "$(pg_bin postgres)" -D "$pg_data") </dev/null >"$var/log/postgres.log" 2>&1 &
  echo $! >"$var/run/postgres.pid"
}

# The extension is created once, after the first start; the superuser's password follows
# PRESSROOM_POSTGRES_PASSWORD at every start.
prepare_postgres() {
  PGOPTIONS="-c client_min_messages=warning" psql_postgres -c "CREATE EXTENSION IF NOT EXISTS documentdb CASCADE" >>"$var/log/postgres.log" 2>&1 \
    || die "could not create the documentdb extension; see $var/log/postgres.log"
  if [ -n "${PRESSROOM_POSTGRES_PASSWORD:-}" ]; then
    local quoted=${PRESSROOM_POSTGRES_PASSWORD//\'/\'\'}  # as an SQL string literal
    psql_postgres >/dev/null <<<"ALTER ROLE postgres PASSWORD '$quoted'"
  fi
}

# -- FerretDB --------------------------------------------------------------------------

start_ferretdb() {
  if port_open "$ferretdb_port"; then say "ferretdb already up on $ferretdb_listen"; return; fi
  build_ferretdb
  local auth=(--no-auth)
  if ! is_loopback "${ferretdb_listen%:*}"; then
    [ -n "${PRESSROOM_POSTGRES_PASSWORD:-}" ] \
      || die "PRESSROOM_FERRETDB_LISTEN=$ferretdb_listen reaches beyond loopback: set PRESSROOM_POSTGRES_PASSWORD"
    auth=(--auth)
  fi
  mkdir -p "$var/ferretdb"
  say "starting ferretdb $ferretdb_version (log: $var/log/ferretdb.log)"
  FERRETDB_POSTGRESQL_URL="postgres://postgres@127.0.0.1:$pg_port/postgres" \
    nohup "$ferretdb_bin" --listen-addr="$ferretdb_listen" --debug-addr="$ferretdb_debug" \
    --state-dir="$var/ferretdb" "${auth[@]}" --telemetry=disable --log-level=WARN \
    >"$var/log/ferretdb.log" 2>&1 &
  echo $! >"$var/run/ferretdb.pid"
}

# -- waiting and stopping --------------------------------------------------------------

wait_until() {  # name pidfile log check...
  local name=$1 pidfile=$2 log=$3 waited=0
  shift 3
  until "$@"; do
    if [ -f "$pidfile" ] && ! pid_alive "$pidfile"; then
      die "$name exited during start-up; see $log"
    fi
    if [ "$waited" -ge "$start_timeout" ]; then
      die "$name did not become ready within ${start_timeout}s; see $log"
    fi
    sleep 1; waited=$((waited + 1))
  done
}

kafka_ready() { port_open 9092 && { [ ! -f "$var/run/kafka.pid" ] || grep -q "Kafka Server started" "$var/log/kafka.log"; }; }
postgres_ready() { "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres; }
ferretdb_ready() { port_open "$ferretdb_port" && { [ ! -f "$var/run/ferretdb.pid" ] || http_ok "$ferretdb_debug" /debug/readyz; }; }

wait_kafka() { wait_until kafka "$var/run/kafka.pid" "$var/log/kafka.log" kafka_ready; }
wait_postgres() {
  wait_until postgres "$var/run/postgres.pid" "$var/log/postgres.log" postgres_ready
  prepare_postgres
}
wait_ferretdb() { wait_until ferretdb "$var/run/ferretdb.pid" "$var/log/ferretdb.log" ferretdb_ready; }

stop_one() {  # name pidfile [signal]
  local name=$1 pidfile=$2 signal=${3:-TERM}
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; say "$name not running"; return; fi
  local pid; pid=$(cat "$pidfile")
  kill "-$signal" "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pidfile"
  say "$name stopped"
}

stop_postgres() {
  # The server's own pid file knows it even when ours does not (started by another checkout's
  # infra.sh on this data directory, say).
  if ! pid_alive "$var/run/postgres.pid" && [ -f "$pg_data/postmaster.pid" ]; then
    head -n1 "$pg_data/postmaster.pid" >"$var/run/postgres.pid"
  fi
  stop_one postgres "$var/run/postgres.pid" INT  # SIGINT: PostgreSQL's fast shutdown
}

stop_database() {
  stop_one ferretdb "$var/run/ferretdb.pid"
  stop_postgres
}

start_database() {
  start_postgres
  wait_postgres
  start_ferretdb
  wait_ferretdb
}

case ${1:-up} in
  build)
    build_kafka
    build_postgres
    build_ferretdb
    say "built: kafka $kafka_version, $pg_root, $ferretdb_bin"
    ;;
  up)
    start_kafka
    start_database
    wait_kafka
    say "ready: kafka 127.0.0.1:9092, mongodb-compatible ferretdb $ferretdb_listen (postgres 127.0.0.1:$pg_port)"
    ;;
  down)
    stop_one kafka "$var/run/kafka.pid"
    stop_database
    ;;
  status)
    port_open 9092 && say "kafka up on 127.0.0.1:9092" || say "kafka down"
    port_open "$pg_port" && say "postgres up on 127.0.0.1:$pg_port" || say "postgres down"
    port_open "$ferretdb_port" && say "ferretdb up on $ferretdb_listen" || say "ferretdb down"
    ;;
  restart)
    build_postgres
    case ${2:-} in
      kafka)
        stop_one kafka "$var/run/kafka.pid"
        start_kafka
        wait_kafka
        ;;
      postgres)
        stop_postgres
        start_postgres
        wait_postgres
        ;;
      ferretdb)
        stop_one ferretdb "$var/run/ferretdb.pid"
        start_ferretdb
        wait_ferretdb
        ;;
      database)
        stop_database
        start_database
        ;;
      *) die "usage: $0 restart kafka|postgres|ferretdb|database" ;;
    esac
    ;;
  reset)
    "$0" down
    rm -rf "$var/kafka" "$var/postgres" "$var/ferretdb"
    say "data deleted"
    ;;
  *) die "usage: $0 up|down|status|reset|build|restart kafka|postgres|ferretdb|database" ;;
esac
