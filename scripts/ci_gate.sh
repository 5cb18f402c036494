#!/usr/bin/env bash
# Checkpoint regression gate: evaluate a candidate (and, if needed, a baseline) checkpoint on the zero-shot suite
# and fail when the candidate is significantly worse. docs/ci-recipe.md wraps it in a GitHub Actions job.
#
#   bash scripts/ci_gate.sh BASELINE CANDIDATE DATA_DIR [OUT]
#
# BASELINE, CANDIDATE: a checkpoint folder (holds config.json; it is evaluated here) or a results folder written
# earlier by `classit-eval … --output_path DIR --log_samples` with the same tasks, data and --limit (used as is).
# DATA_DIR: the BabyLM evaluation-data folder. OUT (default gate_out/): results/, compare.txt, compare.json.
#
# Environment: GATE_TASKS [classit_zero_shot_fast], GATE_MAX_DROP [1] (points), GATE_ALPHA [0.05],
# GATE_LIMIT [none] (lm-eval --limit: faster, less sensitive), GATE_BATCH [256], GATE_DEVICE [cpu],
# GATE_COMPARE_ARGS [none] (more compare flags, e.g. "--gate-all --detail" or "--tasks 'classit_blimp_fast_*'").
# Exit status: that of `classit-eval compare`: 0 no significant regression, 1 regression, 2 bad input.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bash scripts/ci_gate.sh BASELINE CANDIDATE DATA_DIR [OUT]" >&2; exit 2; }
BASELINE=$1 CANDIDATE=$2 DATA_DIR=$3 OUT=${4:-gate_out}
TASKS=${GATE_TASKS:-classit_zero_shot_fast} MAX_DROP=${GATE_MAX_DROP:-1} ALPHA=${GATE_ALPHA:-0.05}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$OUT"

results_of() {  # results_of NAME PATH: print a results folder for PATH, evaluating it first if it is a checkpoint
  local name=$1 path=$2
  if [ -f "$path/config.json" ]; then
    rm -rf "$OUT/results/$name"
    classit-eval --model_args "pretrained=$(cd "$path" && pwd)" --tasks "$TASKS" --data_dir "$DATA_DIR" \
      --device "${GATE_DEVICE:-cpu}" --batch_size "${GATE_BATCH:-256}" --output_path "$OUT/results/$name" \
      --log_samples ${GATE_LIMIT:+--limit "$GATE_LIMIT"} >&2
    echo "$OUT/results/$name"
  else
    echo "$path"
  fi
}
BASE_RESULTS=$(results_of baseline "$BASELINE")
CAND_RESULTS=$(results_of candidate "$CANDIDATE")

EXTRA=()
if [ -n "${GATE_COMPARE_ARGS:-}" ]; then set -f; eval "EXTRA=($GATE_COMPARE_ARGS)"; set +f; fi
rc=0
classit-eval compare --baseline "$BASE_RESULTS" --candidate "$CAND_RESULTS" --max-drop "$MAX_DROP" \
  --alpha "$ALPHA" --json "$OUT/compare.json" ${EXTRA[@]+"${EXTRA[@]}"} > "$OUT/compare.txt" || rc=$?
cat "$OUT/compare.txt"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "### classit-eval compare (exit $rc)"; echo '```'; cat "$OUT/compare.txt"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
fi
echo "classit-eval compare exit status: $rc"
exit $rc
