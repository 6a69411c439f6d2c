#!/usr/bin/env bash
# Trains the default teacher with the recipe (tools/torch/teachers/default-recipe.json) on a lent
# GPU machine, from the repository root, with nothing else reachable: the twin, the starter set
# (tracked) and the carry pack (runs/cifar10-carry, built here by tools/torch/pack_cifar10.py and
# named in the device tool's `carry`). docs/teachers.md says how to call it.
#
# The run is time-budgeted (cosine over wall time): BUDGET_MIN minutes of training, then the
# test set, all 10,000 images. It starts in a session of its own (setsid), so it outlives a
# call that ends early; a checkpoint and the curve are copied to $OUT every minute while this
# script waits, and once more at the end. A second call with ATTACH=1 on the same (warm)
# machine only waits for the run in flight and copies its outputs.
#
# $OUT (the device tool's folder; runs/gpu-teacher/out when unset) receives at most 6 files:
#   checkpoint/model.json, checkpoint/weights.bin   the app's format (partial until the end)
#   metrics.jsonl    the curve (test records 0..999 every epoch, all 10,000 at the end)
#   result.json      test accuracy on 10,000 images, epochs, the recipe (written at the end)
#   train.log        the trainer's output
#   env.json         Python, PyTorch, torchvision, the GPU, the pack's qualities
#
# Variables: BUDGET_MIN (default 8.5: one call of at most 10 minutes), WAIT_S (how long this
# call waits, default 585), DEVICE (cuda; cpu for a dry run), THREADS (2), DATA
# (runs/cifar10-carry), RUN (runs/gpu-teacher/run), SEED (1), CONFIG (the recipe file),
# ATTACH (1: never start a run, only wait for the one in flight).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

OUT="${OUT:-runs/gpu-teacher/out}"
BUDGET_MIN="${BUDGET_MIN:-8.5}"
WAIT_S="${WAIT_S:-585}"
DEVICE="${DEVICE:-cuda}"
THREADS="${THREADS:-2}"
DATA="${DATA:-runs/cifar10-carry}"
RUN="${RUN:-runs/gpu-teacher/run}"
SEED="${SEED:-1}"
CONFIG="${CONFIG:-tools/torch/teachers/default-recipe.json}"
ATTACH="${ATTACH:-0}"
PYTHON="${PYTHON:-python3}"
started=$(date +%s)

say() { printf 'train-teacher: %s\n' "$*" >&2; }

copy_out() {
  mkdir -p "$OUT/checkpoint"
  # model.json last: the trainer replaces weights.bin first, so the pair copied is never older
  # than the weights.
  for f in checkpoint/weights.bin checkpoint/model.json metrics.jsonl result.json; do
    if [[ -f "$RUN/$f" ]]; then cp "$RUN/$f" "$OUT/$f.tmp" && mv "$OUT/$f.tmp" "$OUT/$f"; fi
  done
  if [[ -f "$RUN.log" ]]; then cp "$RUN.log" "$OUT/train.log"; fi
}

running() { [[ -f "$RUN.pid" ]] && kill -0 "$(cat "$RUN.pid")" 2>/dev/null; }

mkdir -p "$OUT" "$(dirname "$RUN")"
if ! running && [[ ! -f "$RUN/result.json" ]]; then
  if [[ "$ATTACH" == 1 ]]; then
    say "ATTACH=1 but no run in flight in $RUN (a fresh machine?); outputs as they are:"
    copy_out
    exit 3
  fi
  if [[ ! -f "$DATA/manifest.json" ]]; then
    say "no carry pack in $DATA: build it with python3 tools/torch/pack_cifar10.py --data ../shared/cifar10, and name it in carry"
    exit 2
  fi
  if [[ -e "$RUN" ]]; then
    say "$RUN holds an earlier, unfinished run; remove it or set RUN"
    exit 2
  fi
  "$PYTHON" - "$DATA" "$DEVICE" >"$OUT/env.json" <<'PY'
import json, platform, sys
import torch, torchvision
data, device = sys.argv[1], sys.argv[2]
pack = json.load(open(f"{data}/manifest.json"))
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
if device == "cuda" and gpu is None:
    sys.exit("train-teacher: DEVICE=cuda but torch sees no CUDA device")
print(json.dumps({"python": platform.python_version(), "torch": torch.__version__, "torchvision": torchvision.__version__,
                  "gpu": gpu, "device": device, "packQuality": pack["quality"], "packMeanAbsError": pack["meanAbsError"]}, indent=1))
PY
  command=("$PYTHON" tools/torch/train.py --phase teacher --data "$DATA" --preset default
    --config "$CONFIG" --seed "$SEED" --time-budget-min "$BUDGET_MIN"
    --device "$DEVICE" --threads "$THREADS" --log-every 100 --eval-every 390 --eval-limit 1000
    --save-every-min 1 --out "$RUN")
  say "starting: ${command[*]}"
  # A session of its own outlives this call; without setsid the run ends with the call.
  launcher=(setsid)
  command -v setsid >/dev/null || launcher=()
  PYTHONUNBUFFERED=1 ${launcher[@]+"${launcher[@]}"} "${command[@]}" >"$RUN.log" 2>&1 </dev/null &
  echo $! >"$RUN.pid"
fi

last_copy=0
while running; do
  now=$(date +%s)
  if ((now - started >= WAIT_S)); then
    copy_out
    say "still training after ${WAIT_S}s; outputs so far are in $OUT. Call again with ATTACH=1 to wait for the rest."
    exit 4
  fi
  if ((now - last_copy >= 60)); then
    copy_out
    last_copy=$now
  fi
  sleep 5
done
copy_out
if [[ ! -f "$RUN/result.json" ]]; then
  say "the trainer stopped without a result; the end of its log:"
  tail -n 20 "$RUN.log" >&2
  exit 1
fi
say "done: $(cat "$RUN/result.json" | tr -d '\n ')"
