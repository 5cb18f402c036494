#!/usr/bin/env bash
# The reference run: a CPU-scale CLASS-IT replication whose models learn (docs/results/reference-cpu/).
#
#   bash scripts/reference_run.sh DATA_ROOT [OUT] [--smoke] [--until STEP]
#
# DATA_ROOT holds corpora/ and babylm_eval_2025/ (../shared/data in this repository's setup); OUT defaults to
# runs/reference-cpu. Steps (each prints "=== [reference k/9] ..." and its wall / CPU time into OUT/timings.tsv):
#   1. base:       the cpu-small preset pre-trained from scratch on all the training text of DATA_ROOT/corpora
#                  (configs/reference_cpu_pretrain.yaml: 3.15M words, 1.5 epochs = 4.7M words seen) with the real
#                  BabyLM milestones chck_1M, chck_2M, ...;
#   2. merged:     CLASS-IT's merged instruction tuning (Switchboard + Simple Wikipedia Q/A in one stage) from the
#                  final base (configs/reference_cpu_merged.yaml);
#   3. sequential: the sequential curriculum (Switchboard, then Simple Wikipedia Q/A) from the same base
#                  (configs/reference_cpu_sequential.yaml);
#   4. sweep:      classit-eval sweep over every checkpoint of the three runs on classit_zero_shot_fast plus
#                  classit_aoa: growth per ability, pace, forgetting at stage switches;
#   5. aoa:        classit-eval aoa over the sweep (children's AoA from DATA_ROOT, else the Wordbank stand-in);
#   6-8. fine-tuning: RTE, WSC, MRPC with seeds 1, 2, 3 on base, merged and sequential (bounded epochs, below);
#   9. report:     classit-eval report over the three final models (zero-shot from the sweep + fine-tuning), and
#                  paired comparisons base -> merged, base -> sequential, merged -> sequential.
# Resumable: rerun the same command after an interruption. A finished step is skipped (OUT/.done/<step>); an
# unfinished training run resumes from its last Trainer checkpoint and an unfinished sweep from its last unit.
#
# --until STEP: stop after that step (base, merged, sequential, sweep, aoa, finetune-base, finetune-merged,
# finetune-sequential, report); a later run without it carries on from there.
# --smoke: the same path on a tiny budget (the tiny preset, milestones scaled by 1/100, a few items per task,
# one seed, one fine-tuning epoch on 64 records): the test suite runs it so the path cannot rot. Its numbers mean
# nothing.
#
# Knobs (environment variables; defaults in brackets):
#   REF_FT_EPOCHS   fine-tuning epochs for RTE and MRPC        [3]   (the 2025 protocol: 10)
#   REF_WSC_EPOCHS  fine-tuning epochs for WSC                 [10]  (the 2025 protocol: 30)
#   REF_FT_SEEDS    fine-tuning seeds                          [1,2,3]
#   REF_FT_LR       fine-tuning learning rate                  [protocol's 3e-5]
#   REF_FT_LIMIT    fine-tuning records per split (--limit)    [none: every record]
#   REF_ITERS       bootstrap / permutation resamples          [2000]
#   REF_BATCH       zero-shot batch size                       [128]
#   REF_SET         extra `--set KEY=VALUE` for the base run, space-separated (e.g. "stages.0.epochs=2")
#   REF_PRESET      model preset of the base                   [cpu-small]
#   REF_CORPUS      pre-train on these files instead (a quoted glob, e.g. '/data/train_100M/*.train'); the
#                   instruction data still comes from DATA_ROOT/corpora
#   REF_MAX_WORDS   words-seen budget of the base              [10000000] (strict-small; 1000000000 for strict)
#
# GPU variant (the paper-size preset on a GPU): REF_PRESET=babylm-100m with a GPU visible runs the same steps with
# bf16 training and --device cuda, e.g. on a BabyLM 10M or 100M corpus you downloaded:
#   REF_PRESET=babylm-100m REF_CORPUS='/data/train_10M/*.train' REF_SET="stages.0.epochs=10 data.max_seq_length=512" \
#     bash scripts/reference_run.sh ../shared/data runs/reference-gpu
# docs/results/reference-cpu/README.md ("On a GPU") gives the expected times.
set -euo pipefail
export LC_ALL=C

SMOKE=0
UNTIL=
ARGS=()
while [ $# -gt 0 ]; do
  arg=$1; shift
  case "$arg" in
    --smoke) SMOKE=1 ;;
    --until) UNTIL=${1:?--until needs a step name}; shift ;;
    -h|--help) sed -n '2,48p' "$0"; exit 0 ;;
    *) ARGS+=("$arg") ;;
  esac
done
[ "${#ARGS[@]}" -ge 1 ] || { echo "usage: bash scripts/reference_run.sh DATA_ROOT [OUT] [--smoke] [--until STEP]" >&2; exit 2; }
case "${UNTIL:-report}" in
  base|merged|sequential|sweep|aoa|finetune-base|finetune-merged|finetune-sequential|report) ;;
  *) echo "reference_run: --until $UNTIL is not a step (base, merged, sequential, sweep, aoa, finetune-base, finetune-merged, finetune-sequential, report)" >&2; exit 2 ;;
esac
DATA_ROOT=$(cd "${ARGS[0]}" 2>/dev/null && pwd) || { echo "reference_run: DATA_ROOT ${ARGS[0]} does not exist" >&2; exit 2; }
for need in corpora/switchboard corpora/simple_wiki corpora/babylm_samples babylm_eval_2025; do
  [ -e "$DATA_ROOT/$need" ] || { echo "reference_run: $DATA_ROOT/$need is missing (DATA_ROOT must hold corpora/ and babylm_eval_2025/)" >&2; exit 2; }
done
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${ARGS[1]:-runs/reference-cpu}
mkdir -p "$OUT/.done" && OUT=$(cd "$OUT" && pwd)
EVAL_DATA="$DATA_ROOT/babylm_eval_2025"
CONFIGS="$REPO/configs"

export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export CLASSIT_SHARED_DATA="$DATA_ROOT" CLASSIT_DATA_DIR="$EVAL_DATA"

FT_EPOCHS=${REF_FT_EPOCHS:-3}; WSC_EPOCHS=${REF_WSC_EPOCHS:-10}; FT_SEEDS=${REF_FT_SEEDS:-1,2,3}
ITERS=${REF_ITERS:-2000}; BATCH=${REF_BATCH:-128}
DEVICE=cpu
BASE_SET=(); IT_SET=(); EVAL_LIMIT=(); FT_LIMIT=()
if python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then DEVICE=cuda; fi
if [ -n "${REF_PRESET:-}" ]; then
  BASE_SET+=(--set "model.preset=$REF_PRESET")
  [ "$DEVICE" = cuda ] && BASE_SET+=(--set training.bf16=true) && IT_SET+=(--set training.bf16=true)
fi
if [ -n "${REF_CORPUS:-}" ]; then
  BASE_SET+=(--set "tokenizer.train_files=[\"$REF_CORPUS\"]" --set "sources.babylm_text.paths=[\"$REF_CORPUS\"]"
             --set "stages.0.sources=[{source: babylm_text}]")
fi
[ -n "${REF_MAX_WORDS:-}" ] && BASE_SET+=(--set "budget.max_words=$REF_MAX_WORDS")
for item in ${REF_SET:-}; do BASE_SET+=(--set "$item"); done
if [ "$SMOKE" = 1 ]; then
  BASE_SET+=(--set model.preset=tiny --set training.max_steps=12 --set checkpoints.scale=0.01
             --set tokenizer.max_words=50000 --set tokenizer.vocab_size=1000
             --set sources.babylm_text.max_records=300 --set sources.wiki_text.max_records=100
             --set sources.switchboard_text.max_records=100)
  IT_SET+=(--set training.max_steps=3 --set sources.switchboard.max_records=60 --set sources.simple_wiki.max_records=60)
  EVAL_LIMIT=(--limit 4); FT_LIMIT=(--limit 64)
  FT_EPOCHS=1; WSC_EPOCHS=1; FT_SEEDS=1; ITERS=100
fi
FT_LR=(); [ -n "${REF_FT_LR:-}" ] && FT_LR=(--learning_rate "$REF_FT_LR")
[ -n "${REF_FT_LIMIT:-}" ] && [ "$SMOKE" = 0 ] && FT_LIMIT=(--limit "$REF_FT_LIMIT")

# ---- timing: wall clock and the CPU time of finished child processes -------------------------------------------
cpu_now() { times > "$OUT/.times"; read -r CPU_U CPU_S < <(awk 'NR==2 { split($1, u, "m"); split($2, s, "m"); printf "%.1f %.1f\n", u[1]*60 + u[2], s[1]*60 + s[2] }' "$OUT/.times"); }
TIMES_LOG="$OUT/timings.tsv"
[ -f "$TIMES_LOG" ] || printf 'step\twall_s\tuser_cpu_s\tsys_cpu_s\n' > "$TIMES_LOG"
STEP=0
step() {  # step ID NAME CMD...: run CMD unless OUT/.done/ID exists; log its wall and CPU time
  local id=$1 name=$2; shift 2
  STEP=$((STEP + 1))
  if [ -e "$OUT/.done/$id" ]; then
    echo "=== [reference $STEP/9] $name: done before, skipped"
    if [ "$id" = "$UNTIL" ]; then exit 0; fi
    return 0
  fi
  local t0 u0 s0
  t0=$(date +%s); cpu_now; u0=$CPU_U; s0=$CPU_S
  echo; echo "=== [reference $STEP/9] $name ($(date '+%H:%M:%S'))"; echo "    \$ $*"
  "$@"
  cpu_now
  printf '%s\t%d\t%.0f\t%.0f\n' "$id" $(( $(date +%s) - t0 )) "$(awk "BEGIN{print $CPU_U-$u0}")" \
    "$(awk "BEGIN{print $CPU_S-$s0}")" >> "$TIMES_LOG"
  touch "$OUT/.done/$id"
  if [ "$id" = "$UNTIL" ]; then echo; echo "reference run: stopped after step $id (--until); rerun without it to go on"; exit 0; fi
}

echo "classit reference run: DATA_ROOT=$DATA_ROOT OUT=$OUT device=$DEVICE$([ "$SMOKE" = 1 ] && echo ' (smoke: tiny budget, numbers meaningless)')"

# ---- 1-3. base, merged, sequential -------------------------------------------------------------------------------
step base "pre-train the base (milestones chck_1M, chck_2M, ...)" \
  classit-train train "$CONFIGS/reference_cpu_pretrain.yaml" --output_path "$OUT/base" "${BASE_SET[@]}"
for run in merged sequential; do
  step "$run" "instruction-tune: $run" \
    classit-train train "$CONFIGS/reference_cpu_$run.yaml" --output_path "$OUT/$run" \
      --set "model.init_from=$OUT/base/final" "${IT_SET[@]}"
done

# ---- 4-5. every checkpoint on the fast suite + AoA; AoA fits ------------------------------------------------------
step sweep "sweep: every checkpoint of base, merged, sequential" \
  classit-eval sweep "$OUT/base" "$OUT/merged" "$OUT/sequential" \
    --tasks classit_zero_shot_fast,classit_aoa --data_dir "$EVAL_DATA" --device "$DEVICE" --batch_size "$BATCH" \
    --item_resamples "$ITERS" --output_path "$OUT/sweep" "${EVAL_LIMIT[@]}"
step aoa "AoA over the sweep" classit-eval aoa "$OUT/sweep" --data_dir "$EVAL_DATA" --output_path "$OUT/sweep/aoa"

# The final model of each run: its zero-shot results are the sweep's (linked, not re-evaluated).
link_final_results() {  # link_final_results RUN: OUT/results/RUN/ gets links to the sweep's files of RUN/final
  python - "$OUT" "$1" <<'EOF'
import json, os, sys
from pathlib import Path

out, run = Path(sys.argv[1]), sys.argv[2]
final = os.path.realpath(out / run / "final")
index = json.loads((out / "sweep" / "sweep.json").read_text())
for entry in index["checkpoints"]:
    paths = [entry.get("path")] + list(entry.get("aliases") or [])
    if final in {os.path.realpath(p) for p in paths if p}:
        break
else:
    sys.exit(f"reference_run: the sweep has no checkpoint for {final}")
source = out / "sweep" / "checkpoints" / entry["key"]
target = out / "results" / run  # one folder per model: the report reads each folder as one run
target.mkdir(parents=True, exist_ok=True)
for unit in json.loads((source / "checkpoint.json").read_text())["units"].values():
    for file in unit["files"]:
        link = target / file
        if not link.exists():
            link.symlink_to(source / file)
print(f"{run}: zero-shot results of {final} (sweep key {entry['key']}) linked into {target}")
EOF
}

# ---- 6-8. fine-tuning --------------------------------------------------------------------------------------------
finetune_tasks() {  # finetune_tasks RUN TASKS EPOCHS: one classit-eval finetune call, results beside the zero-shot ones
  classit-eval finetune --model_args "pretrained=$OUT/$1/final" --tasks "$2" --seeds "$FT_SEEDS" \
    --data_dir "$EVAL_DATA" --device "$DEVICE" --num_epochs "$3" "${FT_LR[@]}" "${FT_LIMIT[@]}" \
    --output_path "$OUT/results/$1/finetune_${2//,/_}.json"
}
finetune_model() {  # finetune_model RUN: RTE and MRPC, then WSC (its own epoch count)
  finetune_tasks "$1" rte,mrpc "$FT_EPOCHS" && finetune_tasks "$1" wsc "$WSC_EPOCHS"
}
for run in base merged sequential; do
  link_final_results "$run"
  step "finetune-$run" "fine-tune $run: RTE, MRPC ($FT_EPOCHS epochs), WSC ($WSC_EPOCHS epochs); seeds $FT_SEEDS" \
    finetune_model "$run"
done

# ---- 9. report and paired comparisons ----------------------------------------------------------------------------
report() {
  classit-eval report "$OUT/results/base" "$OUT/results/merged" "$OUT/results/sequential" \
    --label base --label merged --label sequential --output_path "$OUT/report" --item_resamples "$ITERS" \
    --title "classit reference run (CPU): base vs merged vs sequential"
  local pair
  for pair in base:merged base:sequential merged:sequential; do
    # exit 1 = a significant drop: a finding to report here, not a failure of the run
    classit-eval compare --baseline "$OUT/results/${pair%%:*}" --candidate "$OUT/results/${pair##*:}" \
      --item_resamples "$ITERS" --output_path "$OUT/report/compare_${pair%%:*}_to_${pair##*:}.json" || [ $? -eq 1 ]
  done
}
step report "report and comparisons" report
rm -f "$OUT/.times"
echo
echo "reference run finished: $OUT/report/report.md, $OUT/sweep/report/report.md, $OUT/sweep/aoa, $TIMES_LOG"
