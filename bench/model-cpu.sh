#!/bin/sh
# The engine's CPU for one model-backed interview, for several builds side by side against one local llama.cpp
# server (services/llm, SmolLM2-135M on the CPU): for each binary, the vague bot's interview against an engine
# without a model and one with it, the engine's user+system CPU from /proc/PID/stat before and after, and the
# engine threads that used the most CPU in the model run (/proc/PID/task/*/stat), with what the model server did
# meanwhile (tasks it started, tokens it generated in the tasks it finished, tasks the engine cancelled).
#
#   bench/model-cpu.sh JESTRY_BINARY...      (needs the model server's virtualenv: make model)
set -eu
[ $# -ge 1 ] || { echo "usage: $0 JESTRY_BINARY..." >&2; exit 2; }
cd "$(dirname "$0")/.."
venv="${JESTRY_CACHE:-$HOME/.cache/jestry}/venv-model-$(sha256sum services/llm/requirements.txt | cut -c1-16)"
data="$(mktemp -d /tmp/jestry-model-cpu-XXXXXX)"
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

"$venv/bin/python" services/llm/server.py --port 18096 >"$data/llm.out" 2>"$data/llm.log" & pids="$pids $!"
until grep -q listening "$data/llm.out"; do sleep 0.5; done
model=http://127.0.0.1:18096

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
echo "Engine CPU for the vague bot's interview, in clock ticks of 1/$(getconf CLK_TCK) s:"
run=0
for bin in "$@"; do
  for interviewer in template model; do
    run=$((run + 1)); port=$((18100 + run))
    flags=""; [ $interviewer = model ] && flags="--model-url $model --model-name smollm2-135m"
    # shellcheck disable=SC2086
    "$bin" serve --port $port --host 127.0.0.1 --data "$data/$run" --log-level error $flags >"$data/$run.out" & engine=$!
    pids="$pids $engine"
    until grep -q listening "$data/$run.out" 2>/dev/null; do kill -0 $engine || exit 1; sleep 0.2; done
    log_start=$(wc -l <"$data/llm.log")
    before=$(cpu $engine)
    JESTRY_PASSWORD='bench password long' "$bin" bot --script Tests/Bots/vague-candidate.yaml --signup \
      --email "bench-$run@example.com" --url ws://127.0.0.1:$port/v1/interview >"$data/$run.bot"
    after=$(cpu $engine)
    followups=$(grep -c "follow_up" "$data/$run.bot" || true)
    echo "  $bin, $interviewer interviewer: $((after - before)) ticks ($followups follow-ups)"
    if [ $interviewer = model ]; then
      for task in /proc/$engine/task/*; do
        echo "$(awk '{print $14 + $15}' "$task/stat") $(cat "$task/comm")"
      done | sort -rn | head -4 | sed 's/^/      thread ticks: /'
      tail -n +$((log_start + 1)) "$data/llm.log" | awk '
        /launch_slot_/ { started++ } /stop: cancel task/ { cancelled++ }
        /eval time/ && !/prompt eval/ { for (i = 1; i <= NF; i++) if ($i == "tokens") { tokens += $(i - 1); break } }
        END { printf "      model server: %d tasks started, %d tokens in the finished ones, %d cancelled\n", started, tokens, cancelled }'
    fi
    kill $engine; wait $engine 2>/dev/null || true
  done
done
