#!/bin/sh
# A whole-server load run on this machine: builds the release engine, starts it on a free loopback port with a fresh
# data folder, writes N accounts with tokens straight into its store, plays N voice candidates × K turns against it
# with `jestry bench load --server-pid`, stops it and prints the report.
#
#   bench/load.sh N K [more `jestry bench load` options, e.g. --json or --ramp-seconds 20]
#
# ENGINE=/path/to/another/jestry runs that engine instead (an older build, for a side-by-side comparison; the load
# generator is always this checkout's). ENGINE_FLAGS replaces the limit flags for engines that do not know them, and
# PROMPTS=/path/to/Prompts gives it the prompt library it was written for (an older engine may reject today's).
# GEN=/path/to/another/jestry plays the candidates with that build's load generator (to compare generators), and
# ULIMIT=N sets the open-file limit both processes run with (default: two per session and 1,024 more).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: bench/load.sh SESSIONS TURNS [jestry bench load options]" >&2
  exit 2
fi
sessions=$1
turns=$2
shift 2
cd "$(dirname "$0")/.."

swift build -c release --product jestry >&2
bin="$(swift build -c release --show-bin-path)/jestry"
data="$(mktemp -d /tmp/jestry-load-XXXXXX)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server"
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

# Two sockets per session on this machine (client and server side) plus the engine's files.
ulimit -n "${ULIMIT:-$((sessions * 2 + 1024))}" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

"$bin" bench load-accounts --data "$data" --count "$sessions" --tokens-file "$data/tokens.txt" >&2

# The per-address and per-account connection caps would refuse one address with thousands of candidates.
engine="${ENGINE:-$bin}"
# shellcheck disable=SC2086  # ENGINE_FLAGS is a list of flags
"$engine" serve --host 127.0.0.1 --port 0 --data "$data" --prompts "${PROMPTS:-Prompts}" --static web-static \
  ${ENGINE_FLAGS---max-connections-per-address 0 --max-connections-per-account 0} >"$data/serve.log" 2>&1 &
server=$!
port=""
tries=0
while [ -z "$port" ] && [ "$tries" -lt 300 ]; do
  kill -0 "$server" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
  port="$(sed -n 's/^Jestry listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$data/serve.log" | head -n 1)"
  [ -n "$port" ] || sleep 0.1
  tries=$((tries + 1))
done
[ -n "$port" ] || { echo "the engine did not start:" >&2; cat "$data/serve.log" >&2; exit 1; }

echo "engine pid $server on port $port; $sessions sessions × $turns turns" >&2
"${GEN:-$bin}" bench load --url "ws://127.0.0.1:$port/v1/interview" --sessions "$sessions" --turns "$turns" \
  --tokens-file "$data/tokens.txt" --server-pid "$server" "$@"
