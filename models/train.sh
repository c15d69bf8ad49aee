#!/usr/bin/env bash
# Reproduces csp-shapes, the default detector (npm run model:train):
#   generate data -> train CSP -> export ONNX -> evaluate (PyTorch and onnxruntime-node)
#   -> latency -> metrics JSON.
#
#   bash models/train.sh              the shipped model: one 8500-step run, about 51 min on an
#                                     idle 2-core box; writes models/csp-shapes.{onnx,yaml} and
#                                     models/metrics.json
#   bash models/train.sh --ablation   the CSP-vs-plain pair (npm run model:ablation): both
#                                     variants with the identical recipe at --ablation-steps,
#                                     trained side by side with one thread each (about 9 min);
#                                     reuses the work dir's data, adds both to metrics.json
#   bash models/train.sh --study      the CSP-vs-plain study (npm run model:study, models/study.py):
#                                     csp, plain and FLOP-matched plain-narrow x 3 seeds, curves
#                                     on the held-out set; hours, resumable: rerun to continue.
#                                     Results in models/study/*.json (commit them). Run it in
#                                     the background, see models/README.md "CSP vs plain".
#   bash models/train.sh --study --report   latency + memory of the three networks, the
#                                     study section of metrics.json, the card's study table
#   bash models/train.sh --study --status | --pause | --resume
#                                     progress; SIGSTOP / SIGCONT the running study
#                                     (e.g. around a benchmark)
#   bash models/train.sh --smoke      a few steps on tiny data, into a temp dir, never
#                                     touching the committed model (CI uses this): the
#                                     shipped pipeline, the pair, and the study path with an
#                                     interrupted + resumed run checked against an
#                                     uninterrupted one
#   options: --work DIR (scratch dir, default models/work), --skip-data (reuse DIR's data),
#            --out DIR (where csp-shapes.{onnx,yaml} and metrics.json go, default models/;
#            e.g. to retrain beside the committed model and compare),
#            --ablation-steps N (schedule of the CSP-vs-plain pair, default 800),
#            --precision bf16|fp32 (default: bf16 where the CPU has native bfloat16, see below),
#            -- ARGS... (with --study: passed to models/study.py, e.g. -- --seeds 0,1,2,3)
#
# Everything is seeded (scene seeds, the crop RNG, the initialisation); with the same thread
# count and builds a second run wrote a byte-identical ONNX file (models/README.md).
#
# Uses Debian's /usr/bin/python3 (python3-torch, python3-onnx, python3-opencv), not a pyenv
# python, and onnxruntime-node from node_modules for the ONNX scoring and latency.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py=/usr/bin/python3
smoke=0
skip_data=0
ablation=0
work=""
out=""
ab_steps=800
precision=""
study=0
study_cmd=run
study_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --ablation) ablation=1 ;;
    --study) study=1 ;;
    --report) study_cmd=report ;;
    --status) study_cmd=status ;;
    --pause) study_cmd=pause ;;
    --resume) study_cmd=resume ;;
    --) shift; study_args=("$@"); break ;;
    --skip-data) skip_data=1 ;;
    --work) work="$2"; shift ;;
    --out) out="$2"; shift ;;
    --ablation-steps) ab_steps="$2"; shift ;;
    --precision) precision="$2"; shift ;;
    *) echo "usage: train.sh [--smoke | --ablation | --study [--report|--status|--pause|--resume]] [--work DIR] [--skip-data] [--out DIR] [--ablation-steps N] [--precision bf16|fp32] [-- STUDY ARGS]" >&2; exit 64 ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  work="${work:-$(mktemp -d /tmp/edgewatch-smoke.XXXXXX)}"
  n_train=24; n_held=12; steps=14; threads=1; batch=8; crop=192; ab_steps=20
  model_out="$work/csp-shapes.onnx"; metrics="$work/metrics.json"
else
  work="${work:-$here/work}"
  n_train=4000; n_held=500; steps=8500; threads=2; batch=16; crop=256
  out="${out:-$here}"
  model_out="$out/csp-shapes.onnx"; metrics="$out/metrics.json"
fi
# The shipped model trains with bfloat16 autocast: on a CPU with native bf16 (AVX512-BF16 or
# AMX, as on this machine) a step is ~1.4x faster, which buys the schedule its length within
# the 60-minute budget. Elsewhere oneDNN would emulate bf16 slowly, so float32 is used and the
# run takes longer (and its model differs in the last bits).
if [ -z "$precision" ]; then
  if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo 2>/dev/null; then precision=bf16; else precision=fp32; fi
fi
case "$precision" in
  bf16|fp32) ;;
  *) echo "train.sh: --precision must be bf16 or fp32, not '$precision'" >&2; exit 64 ;;
esac
if [ "$precision" = fp32 ] && [ "$smoke" = 0 ]; then
  echo "[train.sh] float32 training (no native bfloat16 on this CPU, or asked for): expect about 1.4x the time" >&2
fi
if [ "$study" = 1 ] && [ "$smoke" = 0 ]; then
  work="${work:-$here/work}"
  study_py=("$py" "$here/study.py" --work "$work" --precision "$precision")
  case "$study_cmd" in
    status|pause|resume) exec "${study_py[@]}" "$study_cmd" "${study_args[@]}" ;;
    report)
      exec "${study_py[@]}" report --metrics "$out/metrics.json" --card "$here/README.md" \
        --plot "$here/study/curves.png" "${study_args[@]}" ;;
  esac
  # the study trains on the shipped model's data: reuse it when the work dir has it
  if [ ! -f "$work/train/labels.json" ] || [ ! -f "$work/heldout/labels.json" ]; then
    "$py" "$here/data.py" train "$work/train" --n "$n_train"
    "$py" "$here/data.py" heldout "$work/heldout" --n "$n_held"
  fi
  exec "${study_py[@]}" run "${study_args[@]}"
fi
echo "[train.sh] precision: $precision"
mkdir -p "$(dirname "$model_out")"
mkdir -p "$work"
echo "[train.sh] work dir: $work (smoke=$smoke)"
t0=$(date +%s)

if [ "$ablation" = 1 ] && [ "$skip_data" = 0 ] && [ -f "$work/train/labels.json" ] && [ -f "$work/heldout/labels.json" ]; then
  skip_data=1  # the pair is scored on the same data as the shipped model
fi
if [ "$skip_data" = 0 ]; then
  "$py" "$here/data.py" train "$work/train" --n "$n_train"
  "$py" "$here/data.py" heldout "$work/heldout" --n "$n_held"
fi

train_run() {  # name arch steps threads [extra train.py args...]
  local name="$1" arch="$2" nsteps="$3" threads="$4"
  shift 4
  "$py" "$here/train.py" --arch "$arch" --data "$work/train" --out "$work/$name.pt" \
    --steps "$nsteps" --batch "$batch" --crop "$crop" --threads "$threads" --ckpt-every 0 \
    --log-every "$([ "$smoke" = 1 ] && echo 1 || echo 25)" --seed 0 --precision "$precision" "$@"
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

if [ "$ablation" = 0 ]; then
  # The shipped model: one run, linear warm-up (300 steps) then cosine decay from 3e-3 to
  # 5 %, AdamW, batch 16 of 256x256 crops, class loss x2, EMA weights exported; 2 threads
  # (the box's cores), bf16 autocast where the CPU has it.
  train_run csp csp "$steps" "$threads"
  score_run csp
fi
if [ "$ablation" = 1 ] || [ "$smoke" = 1 ]; then
  # The comparison pair: identical recipe (same data, seed, batches, schedule), trained side
  # by side with one thread each (two single-thread jobs use a 2-core box better than one
  # after the other). Shorter than the shipped model's schedule only to fit the CPU budget.
  pids=()
  for pair in csp-ab:csp plain-ab:plain; do
    train_run "${pair%%:*}" "${pair##*:}" "$ab_steps" 1 > "$work/${pair%%:*}.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    if ! wait "$p"; then cat "$work/csp-ab.log" "$work/plain-ab.log" >&2; exit 1; fi
  done
  cat "$work/csp-ab.log" "$work/plain-ab.log"
  score_run csp-ab
  score_run plain-ab
fi
if [ "$smoke" = 1 ]; then
  # The study path (models/study.py) on the same tiny data: three networks, one seed, six
  # steps. Every run is first halted after its step-3 checkpoint, then resumed; a csp run
  # trained without the interruption (in parallel) must come out identical.
  recipe=(--seeds 0 --short-steps 0 --steps 6 --eval-every 3 --ckpt-every 3 --batch "$batch" --crop 128 --log-every 1
    --precision "$precision")
  sargs=(--work "$work" --results "$work/study-results" --logs "$work/study-logs" "${recipe[@]}")
  "$py" "$here/study.py" "${sargs[@]}" run --halt-at 3
  "$py" "$here/study.py" --work "$work/ref" --data "$work/train" --heldout "$work/heldout" \
    --results "$work/ref/results" --logs "$work/ref/logs" --nets csp "${recipe[@]}" run > "$work/ref.log" 2>&1 &
  ref=$!
  "$py" "$here/study.py" "${sargs[@]}" run
  wait "$ref" || { cat "$work/ref.log" >&2; exit 1; }
  "$py" "$here/study.py" same "$work/study/csp-s0.pt" "$work/ref/study/csp-s0.pt"
fi
"$py" "$here/report.py" "$work" "$metrics" > /dev/null
if [ "$smoke" = 1 ]; then
  cp "$here/README.md" "$work/README.md"
  "$py" "$here/study.py" "${sargs[@]}" report --metrics "$metrics" --card "$work/README.md" \
    --plot "$work/curves.png" --rounds 1 --bench-runs 3 --mem-runs 2 --mem-repeats 1 --idle-probe-s 0.2 --clip-every 45 \
    2> >(grep -v -i 'warn\|_C\._jit' >&2)
fi
echo "[train.sh] metrics: $metrics"
echo "[train.sh] done in $(( $(date +%s) - t0 )) s"
