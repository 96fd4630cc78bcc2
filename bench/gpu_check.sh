#!/usr/bin/env bash
# The GPU check of a session with a lent GPU, in one device call of under 10 minutes:
#
#     run(command="bash bench/gpu_check.sh", timeout_s=570)
#
# 1. tests/unit/test_device.py on cuda: each source's model and each gradient method, float32
#    on the GPU against float64 on the CPU, seeds stacked on the GPU, and the probes of chapters
#    4, 5 and 6 (about 1 minute);
# 2. chapter 4's stacked throughput, member-steps/s per stack size (bench/gpu_check.py);
# 3. chapter 4 at paper scale (the runs of its plan that its store lacks, wd first: 1440 runs in
#    all) trained until a deadline or the step's SIGTERM, then every finished run packed once into
#    book/results/store/paper/04_adam_dynamics.jsonl.xz: a stop loses only the units in flight.
# The whole script ends within TOTAL seconds (default 480) plus 60 s of packing: the slice gets
# what the first two steps left (no unit starts in its last 90 s), unless SLICE_MINUTES is set.
#
# Everything lands in $OUT (the device tool's folder; here bench/results/gpu): summary.txt (one
# line per step: exit status and seconds), a log per step, throughput.json and the store. After
# the call: copy the store into book/results/store/paper/, check it with
# `python -m grokcore store verify --scale paper`, and commit it with throughput.json.
# On the CPU, with DEVICE=cpu PY=.venv/bin/python and smaller settings (SLICE_ARGS="--scale smoke
# --limit 3", STACKS, STEPS, TESTS: see below), it runs the same steps quickly, as
# tests/test_gpu_check.py does.
set -u
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-bench/results/gpu}
PY=${PY:-python3}  # the GPU image's python3 holds torch; the project's venv does not travel
TOTAL=${TOTAL:-480}
START=$(date +%s)
STACKS=${STACKS:-1 30 270}
STEPS=${STEPS:-300}  # timed steps per throughput row
TESTS=${TESTS:-tests/unit/test_device.py}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export GROKCORE_CACHE="${GROKCORE_CACHE:-$PWD/.cache/grokcore}"
mkdir -p "$OUT"
: > "$OUT/summary.txt"

step() {  # step NAME SECONDS COMMAND...: run it with a time limit, log it, note its status
    local name=$1 limit=$2 start rc
    shift 2
    start=$(date +%s)
    timeout -k 60 "$limit" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    echo "$name: exit $rc, $(($(date +%s) - start)) s" | tee -a "$OUT/summary.txt"
}

"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" | tee -a "$OUT/summary.txt"
# the project's pytest options name nbval, which the GPU image lacks: none here
step tests 150 "$PY" -m pytest -q -o addopts="" -p no:cacheprovider "$TESTS" --device "$DEVICE"
# shellcheck disable=SC2086  # STACKS is a list of sizes
step throughput 120 "$PY" bench/gpu_check.py throughput --device "$DEVICE" --stacks $STACKS \
    --steps "$STEPS" --json "$OUT/throughput.json"
LEFT=$((START + TOTAL - $(date +%s)))
if [ -n "${SLICE_MINUTES:-}" ]; then LEFT=$((SLICE_MINUTES * 60 + 90)); fi
MINUTES=$(awk -v s="$LEFT" 'BEGIN { m = (s - 90) / 60; print (m > 0 ? m : 0) }')
# shellcheck disable=SC2086  # SLICE_ARGS holds several options
step slice "$((LEFT > 1 ? LEFT : 1))" "$PY" bench/gpu_check.py slice --device "$DEVICE" \
    --minutes "$MINUTES" --out "$OUT" ${SLICE_ARGS:-}
! grep -v ": exit 0," "$OUT/summary.txt" | grep -q ": exit"  # the status: every step passed
