#!/usr/bin/env bash
# Real infrastructure without Docker: a single-node Apache Kafka broker (KRaft) built from
# Maven Central, and FerretDB (SQLite backend) built with Go as a MongoDB-wire-compatible
# server. Artifacts are cached in ~/.cache/pressroom; data, logs and pids live in var/.
#
#   infra.sh up       build what is missing, start what is not running, wait until ready
#   infra.sh down     stop both (data kept)
#   infra.sh status   say what runs
#   infra.sh reset    stop both and delete their data
#   infra.sh restart kafka|ferretdb   stop one and start it again (fault tests use it)
#
# PRESSROOM_FERRETDB_DEBUG_LISTEN=127.0.0.1:6060 makes FerretDB serve Go's pprof profiles.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PRESSROOM_CACHE:-$HOME/.cache/pressroom}
var=${PRESSROOM_VAR:-$repo/var}
kafka_version=$(grep -A1 '<artifactId>kafka_2.13</artifactId>' "$here/kafka/pom.xml" | sed -n 's:.*<version>\(.*\)</version>.*:\1:p')
kafka_libs=$cache/kafka-$kafka_version/libs
ferretdb_key=$(cat "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" "$here/ferretdb/"*.patch | sha256sum | cut -c1-12)
ferretdb_bin=$cache/ferretdb-$ferretdb_key/ferretdb
start_timeout=${PRESSROOM_INFRA_TIMEOUT:-90}

mkdir -p "$var/log" "$var/run"

say() { printf 'infra: %s\n' "$*"; }
die() { printf 'infra: error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

build_kafka() {
  [ -f "$kafka_libs/kafka_2.13-$kafka_version.jar" ] && return
  say "fetching Apache Kafka $kafka_version from Maven Central into $kafka_libs"
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian package maven)"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$kafka_libs.tmp" -DincludeScope=runtime >"$var/log/kafka-build.log" 2>&1 \
    || die "could not fetch Kafka; see $var/log/kafka-build.log"
  rm -rf "$kafka_libs" && mv "$kafka_libs.tmp" "$kafka_libs"
}

build_ferretdb() {
  [ -x "$ferretdb_bin" ] && return
  say "building FerretDB into $ferretdb_bin"
  command -v go >/dev/null || die "go not found: install Go"
  mkdir -p "$(dirname "$ferretdb_bin")"
  # Built from a vendored copy with our patches applied (see ferretdb/*.patch).
  local src
  src=$(mktemp -d)
  cp "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" "$src/"
  (
    set -e
    cd "$src"
    go mod vendor
    for patch in "$here/ferretdb/"*.patch; do
      git apply --directory=vendor/github.com/FerretDB/FerretDB "$patch"
    done
    go build -mod=vendor -trimpath -o "$ferretdb_bin.tmp" .
  ) >"$var/log/ferretdb-build.log" 2>&1 \
    || die "could not build FerretDB; see $var/log/ferretdb-build.log"
  rm -rf "$src"
  mv "$ferretdb_bin.tmp" "$ferretdb_bin"
}

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
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
    -cp "$kafka_libs/*" kafka.Kafka "$props" >"$var/log/kafka.log" 2>&1 &
  echo $! >"$var/run/kafka.pid"
}

start_ferretdb() {
  if port_open 27017; then say "ferretdb already up on 127.0.0.1:27017"; return; fi
  build_ferretdb
  say "starting ferretdb (log: $var/log/ferretdb.log)"
  nohup "$ferretdb_bin" -listen 127.0.0.1:27017 -data-dir "$var/ferretdb/data" \
    ${PRESSROOM_FERRETDB_DEBUG_LISTEN:+-debug-listen "$PRESSROOM_FERRETDB_DEBUG_LISTEN"} \
    >"$var/log/ferretdb.log" 2>&1 &
  echo $! >"$var/run/ferretdb.pid"
}

wait_ready() {  # name port pidfile log ready-pattern
  local name=$1 port=$2 pidfile=$3 log=$4 pattern=$5 waited=0
  while :; do
    if port_open "$port" && { [ -z "$pattern" ] || [ ! -f "$pidfile" ] || grep -q "$pattern" "$log" 2>/dev/null; }; then
      return
    fi
    if [ -f "$pidfile" ] && ! pid_alive "$pidfile"; then
      die "$name exited during start-up; see $log"
    fi
    if [ "$waited" -ge "$start_timeout" ]; then
      die "$name did not become ready on 127.0.0.1:$port within ${start_timeout}s; see $log"
    fi
    sleep 1; waited=$((waited + 1))
  done
}

stop_one() {  # name pidfile
  local name=$1 pidfile=$2
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; say "$name not running"; return; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pidfile"
  say "$name stopped"
}

case ${1:-up} in
  up)
    start_kafka
    start_ferretdb
    wait_ready kafka 9092 "$var/run/kafka.pid" "$var/log/kafka.log" "Kafka Server started"
    wait_ready ferretdb 27017 "$var/run/ferretdb.pid" "$var/log/ferretdb.log" ""
    say "ready: kafka 127.0.0.1:9092, mongodb-compatible ferretdb 127.0.0.1:27017"
    ;;
  down)
    stop_one kafka "$var/run/kafka.pid"
    stop_one ferretdb "$var/run/ferretdb.pid"
    ;;
  status)
    port_open 9092 && say "kafka up on 127.0.0.1:9092" || say "kafka down"
    port_open 27017 && say "ferretdb up on 127.0.0.1:27017" || say "ferretdb down"
    ;;
  restart)
    case ${2:-} in
      kafka)
        stop_one kafka "$var/run/kafka.pid"
        start_kafka
        wait_ready kafka 9092 "$var/run/kafka.pid" "$var/log/kafka.log" "Kafka Server started"
        ;;
      ferretdb)
        stop_one ferretdb "$var/run/ferretdb.pid"
        start_ferretdb
        wait_ready ferretdb 27017 "$var/run/ferretdb.pid" "$var/log/ferretdb.log" ""
        ;;
      *) die "usage: $0 restart kafka|ferretdb" ;;
    esac
    ;;
  reset)
    "$0" down
    rm -rf "$var/kafka" "$var/ferretdb"
    say "data deleted"
    ;;
  *) die "usage: $0 up|down|status|reset|restart kafka|ferretdb" ;;
esac
