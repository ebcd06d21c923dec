#!/bin/sh
# The model interviewer on this machine with the local llama.cpp server (services/llm, SmolLM2-135M on the CPU):
#  1. how long the model takes to word a follow-up (first token, whole wording), and whether the checks pass it,
#     through `jestry prompts preview --model-url`, for RUNS answers;
#  2. the engine's CPU per model-backed turn, by bench/model-cpu.sh for this build.
#
#   bench/model.sh [RUNS]          (needs the model server's virtualenv: make model)
set -eu
runs=${1:-5}
cd "$(dirname "$0")/.."
swift build --product jestry >&2
bin="$(swift build --show-bin-path)/jestry"
venv="${JESTRY_CACHE:-$HOME/.cache/jestry}/venv-model-$(sha256sum services/llm/requirements.txt | cut -c1-16)"
data="$(mktemp -d /tmp/jestry-model-bench-XXXXXX)"
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

"$venv/bin/python" services/llm/server.py --port 18092 >"$data/llm.out" 2>/dev/null & llm=$!; pids="$pids $llm"
until grep -q listening "$data/llm.out"; do sleep 0.5; done
model=http://127.0.0.1:18092

echo "1. Wording a follow-up (behavioural.conflict, follow-up.too-short or we-without-i):"
i=0
for answer in "We talked it through and it was fine." "We fixed it in the end." "It went okay, we agreed." \
              "We had a meeting and we chose the simpler design." "I guess we compromised." ; do
  i=$((i + 1)); [ $i -le "$runs" ] || break
  "$bin" prompts preview behavioural.conflict --answer "$answer" --model-url $model --model-name smollm2-135m \
    | grep -E "checked:|rejected:|failed:|first token" | sed 's/^/   /'
done

# Its own model server: only one runs at a time on this small machine.
kill "$llm"; wait "$llm" 2>/dev/null || true
echo "2. Engine CPU per model-backed turn:"
sh bench/model-cpu.sh "$bin"
