#!/bin/sh
# Settlement throughput and latency (docs/BENCHMARKS.md): SESSIONS live sessions on PostgreSQL across NODES engine
# nodes, then the same load on SQLite on one node, each for SECONDS with one batch per node per second.
#
#   bench/settle.sh [SESSIONS [NODES [SECONDS]]]      (defaults 1000 2 30)
#
# PostgreSQL is a private server of Debian's postgresql (initdb in a temporary folder, a free loopback port, default
# settings: fsync on), run as the postgres user when this runs as root, stopped at the end.
set -eu
sessions=${1:-1000}
nodes=${2:-2}
seconds=${3:-30}
cd "$(dirname "$0")/.."

swift build -c release --product jestry >&2
bin="$(swift build -c release --show-bin-path)/jestry"
pgbin="${JESTRY_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}"
folder="$(mktemp -d /tmp/jestry-settle-XXXXXX)"
as_postgres=""
if [ "$(id -u)" -eq 0 ]; then chown postgres "$folder"; as_postgres="runuser -u postgres --"; fi
cleanup() {
  $as_postgres "$pgbin/pg_ctl" -D "$folder/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$folder"
}
trap cleanup EXIT INT TERM
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$as_postgres "$pgbin/initdb" -D "$folder/data" -U jestry -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
$as_postgres "$pgbin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w \
  -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null

"$bin" bench settle --sessions "$sessions" --nodes "$nodes" --seconds "$seconds" \
  --database "postgres://jestry@127.0.0.1:$port/postgres"
"$bin" bench settle --sessions "$sessions" --nodes 1 --seconds "$seconds"
