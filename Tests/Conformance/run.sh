#!/bin/sh
# WebSocket conformance of the engine: the Autobahn cases that apply to a JSON server, driven by kosoku.
# Usage: Tests/Conformance/run.sh [CASE ...]   (from the repository root; exit 1 when a case fails)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The virtualenv lives outside the clone, one per version of requirements.txt.
hash=$(sha256sum "$here/requirements.txt" | cut -c1-12)
venv="${JESTRY_CACHE:-$HOME/.cache/jestry}/venv-conformance-$hash"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
cd "$root"
swift build --product jestry
exec "$venv/bin/python" "$here/run.py" "$(swift build --show-bin-path)/jestry" "$@"
