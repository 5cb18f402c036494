#!/usr/bin/env bash
# Checkpoint regression gate: evaluate a candidate (and, if needed, a baseline) checkpoint on the zero-shot suite
# and fail when the candidate is significantly worse. docs/ci-recipe.md wraps it in a GitHub Actions job.
# The logic is the installed command `classit-eval gate BASELINE CANDIDATE --data_dir DATA_DIR --output_path OUT`
# (classit_tasks/gate.py); this script is kept for existing callers and keeps their positional arguments.
#
#   bash scripts/ci_gate.sh BASELINE CANDIDATE DATA_DIR [OUT]
#
# BASELINE, CANDIDATE: a checkpoint folder (holds config.json; it is evaluated here) or a results folder written
# earlier by `classit-eval … --output_path DIR --log_samples` with the same tasks, data and --limit (used as is).
# DATA_DIR: the BabyLM evaluation-data folder. OUT (default gate_out/): results/, compare.txt, compare.json.
#
# Environment: GATE_TASKS [classit_zero_shot_fast], GATE_MAX_DROP [1] (points), GATE_ALPHA [0.05],
# GATE_LIMIT [none] (lm-eval --limit: faster, less sensitive), GATE_BATCH [256], GATE_DEVICE [cpu],
# GATE_COMPARE_ARGS [none] (more compare flags, e.g. "--gate_all --detail" or "--tasks 'classit_blimp_fast_*'").
# Exit status: that of `classit-eval compare`: 0 no significant regression, 1 regression, 2 bad input.
set -euo pipefail
[ $# -ge 3 ] && [ $# -le 4 ] || { echo "usage: bash scripts/ci_gate.sh BASELINE CANDIDATE DATA_DIR [OUT]" >&2; exit 2; }
exec classit-eval gate "$1" "$2" --data_dir "$3" --output_path "${4:-gate_out}"
