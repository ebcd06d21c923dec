#!/bin/sh
# The model interviewer on this machine with the local llama.cpp server (services/llm, SmolLM2-135M on the CPU):
#  1. how long the model takes to word a follow-up (first token, whole wording), and whether the checks pass it,
#     through `jestry prompts preview --model-url`, for RUNS answers;
#  2. the engine's CPU per model-backed turn: the vague bot's interview (follow-ups after each answer) against an
#     engine without a model and one with it, the engine's user+system CPU from /proc before and after.
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

"$venv/bin/python" services/llm/server.py --port 18092 >"$data/llm.out" 2>/dev/null & pids="$pids $!"
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

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
echo "2. Engine CPU for the vague bot's interview (clock ticks of $(getconf CLK_TCK) a second):"
for interviewer in template model; do
  port=$([ $interviewer = model ] && echo 18094 || echo 18093)
  flags=""; [ $interviewer = model ] && flags="--model-url $model --model-name smollm2-135m"
  # shellcheck disable=SC2086
  "$bin" serve --port $port --host 127.0.0.1 --data "$data/$interviewer" --log-level error $flags >"$data/$interviewer.out" & engine=$!
  pids="$pids $engine"
  until grep -q listening "$data/$interviewer.out" 2>/dev/null; do sleep 0.2; done
  before=$(cpu $engine)
  JESTRY_PASSWORD='bench password long' "$bin" bot --script Tests/Bots/vague-candidate.yaml --signup \
    --email "bench-$interviewer@example.com" --url ws://127.0.0.1:$port/v1/interview >"$data/$interviewer.bot"
  after=$(cpu $engine)
  followups=$(grep -c "follow_up" "$data/$interviewer.bot" || true)
  echo "   $interviewer interviewer: $((after - before)) ticks for the interview ($followups follow-ups)"
done
