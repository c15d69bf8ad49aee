#!/usr/bin/env bash
# The one command that reproduces csp-shapes (npm run model:train):
#   generate data -> train CSP and plain -> export ONNX -> evaluate -> metrics JSON.
#
#   bash models/train.sh            full run (about 50 min on an idle 2-core box);
#                                   writes models/csp-shapes.{onnx,yaml} and models/metrics.json
#   bash models/train.sh --smoke    a few steps on tiny data (< 60 s), into a temp dir,
#                                   never touching the committed model (CI uses this)
#   options: --work DIR (scratch dir), --skip-data (reuse DIR's data), --no-plain,
#            --ablation-steps N (schedule of the CSP-vs-plain pair, default 400)
#
# Runs: "csp"   the shipped model, 2500 steps;
#       "csp-ab" and "plain-ab": the CSP-vs-plain comparison, both with the identical
#       recipe (same data, seed, batches, schedule) at --ablation-steps. The pair is trained
#       on a shorter schedule than the shipped model only to fit the CPU budget.
#
# Uses Debian's /usr/bin/python3 (python3-torch, python3-onnx, python3-opencv), not a pyenv
# python, and onnxruntime-node from node_modules for the ONNX scoring and latency.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py=/usr/bin/python3
smoke=0
skip_data=0
plain=1
work=""
ab_steps=400
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --skip-data) skip_data=1 ;;
    --no-plain) plain=0 ;;
    --work) work="$2"; shift ;;
    --ablation-steps) ab_steps="$2"; shift ;;
    *) echo "usage: train.sh [--smoke] [--work DIR] [--skip-data] [--no-plain]" >&2; exit 64 ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  work="${work:-$(mktemp -d /tmp/edgewatch-smoke.XXXXXX)}"
  n_train=24; n_held=12; steps=12; batch=4; crop=128; ckpt=0; ab_steps=12
  model_out="$work/csp-shapes.onnx"; metrics="$work/metrics.json"
else
  work="${work:-$here/work}"
  n_train=4000; n_held=500; steps=2500; batch=16; crop=256; ckpt=500
  model_out="$here/csp-shapes.onnx"; metrics="$here/metrics.json"
fi
mkdir -p "$work"
echo "[train.sh] work dir: $work (smoke=$smoke)"
t0=$(date +%s)

if [ "$skip_data" = 0 ]; then
  "$py" "$here/data.py" train "$work/train" --n "$n_train"
  "$py" "$here/data.py" heldout "$work/heldout" --n "$n_held"
fi

train_run() {  # name arch steps threads
  "$py" "$here/train.py" --arch "$2" --data "$work/train" --out "$work/$1.pt" \
    --steps "$3" --batch "$batch" --crop "$crop" --seed 0 --threads "$4" --ckpt-every "$ckpt" \
    --log-every "$([ "$smoke" = 1 ] && echo 1 || echo 50)"
}

score_run() {  # name
  local name="$1" onnx="$work/$1.onnx"
  [ "$name" = csp ] && onnx="$model_out"
  "$py" "$here/export.py" --ckpt "$work/$name.pt" --out "$onnx" 2> >(grep -v -i 'warn\|_C\._jit' >&2)
  "$py" "$here/evaluate.py" --ckpt "$work/$name.pt" --data "$work/heldout" --out "$work/$name.eval.json"
  if [ -d "$root/node_modules/onnxruntime-node" ]; then
    node "$here/tools/ort-eval.mjs" "$onnx" "$work/heldout" "$work/$name.ort-preds.npy"
    "$py" "$here/evaluate.py" --preds "$work/$name.ort-preds.npy" --data "$work/heldout" --out "$work/$name.ort-eval.json"
    node "$here/tools/ort-bench.mjs" "$onnx" --threads 2 --runs "$([ "$smoke" = 1 ] && echo 5 || echo 200)" > "$work/$name.bench.json"
    cat "$work/$name.bench.json"
  else
    echo "[train.sh] node_modules/onnxruntime-node missing: skipping ONNX scoring and latency" >&2
  fi
}

# the shipped model: 2 threads
train_run csp csp "$steps" 2
score_run csp
if [ "$plain" = 1 ]; then
  # the comparison pair: identical recipe, trained side by side with one thread each
  # (two single-thread jobs use a 2-core box better than one after the other)
  a=csp-ab; b=plain-ab
  if [ "$smoke" = 1 ]; then
    # smoke: just prove the plain variant trains and exports
    train_run plain plain "$ab_steps" 2
    score_run plain
    "$py" "$here/report.py" "$work" "$metrics" > /dev/null
    echo "[train.sh] done in $(( $(date +%s) - t0 )) s"
    exit 0
  fi
  train_run "$a" csp "$ab_steps" 1 > "$work/$a.log" 2>&1 &
  pa=$!
  train_run "$b" plain "$ab_steps" 1 > "$work/$b.log" 2>&1 &
  pb=$!
  wait "$pa" && wait "$pb" || { cat "$work/$a.log" "$work/$b.log" >&2; exit 1; }
  cat "$work/$a.log" "$work/$b.log"
  score_run "$a"
  score_run "$b"
fi
"$py" "$here/report.py" "$work" "$metrics" > /dev/null
echo "[train.sh] metrics: $metrics"
echo "[train.sh] done in $(( $(date +%s) - t0 )) s"
