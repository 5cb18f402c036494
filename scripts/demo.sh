#!/usr/bin/env bash
# The main job: a mini-replication of CLASS-IT, end to end, on a CPU.
#
#   bash scripts/demo.sh DATA_ROOT [OUT] [--smoke]
#
# DATA_ROOT holds corpora/ (training text: switchboard/, simple_wiki/, babylm_samples/) and babylm_eval_2025/
# (the BabyLM 2025 evaluation data); in this repository's development setup it is ../shared/data.
# OUT defaults to runs/demo (runs/demo-smoke with --smoke). Nothing is read or written anywhere else, except the
# Hugging Face / classit caches (EWoK and entity-tracking zips are extracted into $CLASSIT_CACHE_DIR, default
# ~/.cache/classit).
#
#   1. classit-train demo: a byte-level BPE tokenizer and a tiny Llama-style base model from the real corpora,
#      then instruction tuning of that base with the "merged" curriculum (Switchboard + Simple Wikipedia QA in one
#      stage) and the "sequential" one (Switchboard, then Simple Wikipedia QA);
#   2. classit-eval on classit_zero_shot_fast (BLiMP, supplement, EWoK, entity tracking, WUG, reading), with
#      --log_samples, for the three checkpoints (base, merged, sequential); then classit-eval sweep over every
#      checkpoint the three runs saved (the base's milestone checkpoints chck_20K … chck_180K and every stage end;
#      --limit per subtask to bound the time): growth curves per ability along base→merged and base→sequential, the
#      pace table, forgetting at each stage switch;
#   3. classit-eval finetune on RTE, WSC and MRPC, with fewer epochs and a train-set --limit so it fits the time
#      (the numbers are not leaderboard-comparable; the output says so);
#   4. classit-eval report over the three runs (tables with 95% bootstrap CIs, HTML, plots) and classit-eval
#      compare base→merged and base→sequential (paired tests, Holm-adjusted), whose verdicts end the output.
#
# --smoke: the same path, bounded to a few minutes (a handful of training steps, --limit on every evaluation, one
# fine-tuning epoch on 64 records, fewer resamples). CI runs it; its numbers mean nothing.
#
# Knobs (environment variables, defaults in brackets; full / smoke):
#   DEMO_TRAIN_STEPS   max optimizer steps per stage     [config's own / 4]
#   DEMO_TRAIN_RECORDS records per training source      [1000 / 200]  (configs: up to 2000)
#   DEMO_EVAL_LIMIT    lm-eval --limit per subtask        [none / 8]
#   DEMO_FT_EPOCHS     fine-tuning epochs                 [2 / 1]
#   DEMO_FT_LIMIT      fine-tuning records per split      [250 / 64]   (RTE/WSC/MRPC valid sets: 139/52/204)
#   DEMO_ITERS         item resamples (--item_resamples)  [2000 / 200]
#   DEMO_MILESTONES    milestone schedule scale (--set)   [config's own (base: 0.02) / 0.002]  (the sweep's series)
#   DEMO_SWEEP_LIMIT   sweep: lm-eval --limit per subtask [10 / 4]
#   DEMO_BATCH         zero-shot batch size               [256]
set -euo pipefail
export LC_ALL=C

SMOKE=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) ARGS+=("$arg") ;;
  esac
done
[ "${#ARGS[@]}" -ge 1 ] || { echo "usage: bash scripts/demo.sh DATA_ROOT [OUT] [--smoke]" >&2; exit 2; }
DATA_ROOT=$(cd "${ARGS[0]}" && pwd) || { echo "demo: DATA_ROOT ${ARGS[0]} does not exist" >&2; exit 2; }
for need in corpora/switchboard corpora/simple_wiki corpora/babylm_samples babylm_eval_2025; do
  [ -e "$DATA_ROOT/$need" ] || { echo "demo: $DATA_ROOT/$need is missing (DATA_ROOT must hold corpora/ and babylm_eval_2025/)" >&2; exit 2; }
done
if [ "$SMOKE" = 1 ]; then DEFAULT_OUT=runs/demo-smoke; else DEFAULT_OUT=runs/demo; fi
OUT=${ARGS[1]:-$DEFAULT_OUT}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
EVAL_DATA="$DATA_ROOT/babylm_eval_2025"

if [ "$SMOKE" = 1 ]; then
  TRAIN_STEPS=${DEMO_TRAIN_STEPS:-4}; TRAIN_RECORDS=${DEMO_TRAIN_RECORDS:-200}; EVAL_LIMIT=${DEMO_EVAL_LIMIT:-8}
  FT_EPOCHS=${DEMO_FT_EPOCHS:-1}; FT_LIMIT=${DEMO_FT_LIMIT:-64}; ITERS=${DEMO_ITERS:-200}
  MILESTONES=${DEMO_MILESTONES:-0.002}; SWEEP_LIMIT=${DEMO_SWEEP_LIMIT:-4}
else
  TRAIN_STEPS=${DEMO_TRAIN_STEPS:-}; TRAIN_RECORDS=${DEMO_TRAIN_RECORDS:-1000}; EVAL_LIMIT=${DEMO_EVAL_LIMIT:-}
  FT_EPOCHS=${DEMO_FT_EPOCHS:-2}; FT_LIMIT=${DEMO_FT_LIMIT:-250}; ITERS=${DEMO_ITERS:-2000}
  MILESTONES=${DEMO_MILESTONES:-}; SWEEP_LIMIT=${DEMO_SWEEP_LIMIT:-10}
fi
BATCH=${DEMO_BATCH:-256}

export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export CLASSIT_SHARED_DATA="$DATA_ROOT" CLASSIT_DATA_DIR="$EVAL_DATA"

# ---- timing: wall clock and the CPU time of finished child processes (the machine may be shared) --------------
cpu_now() {  # sets CPU_U / CPU_S: user and system CPU seconds of this shell's finished children (`times`)
  times > "$OUT/.times"  # a builtin run in this shell, not in a subshell (a subshell's children are not ours)
  read -r CPU_U CPU_S < <(awk 'NR==2 { split($1, u, "m"); split($2, s, "m"); printf "%.1f %.1f\n", u[1]*60 + u[2], s[1]*60 + s[2] }' "$OUT/.times")
}
T0=$(date +%s); cpu_now; U0=$CPU_U; S0=$CPU_S
TIMES_LOG="$OUT/timings.tsv"; printf 'step\twall_s\tuser_cpu_s\tsys_cpu_s\n' > "$TIMES_LOG"
step() {  # step NAME CMD...: run CMD, log its wall and CPU time
  local name=$1; shift
  local t0 u0 s0 rc=0
  t0=$(date +%s); cpu_now; u0=$CPU_U; s0=$CPU_S
  echo; echo "=== [demo] $name"; echo "    \$ $*"
  "$@" || rc=$?
  cpu_now
  printf '%s\t%d\t%.0f\t%.0f\n' "$name" $(( $(date +%s) - t0 )) "$(awk "BEGIN{print $CPU_U-$u0}")" \
    "$(awk "BEGIN{print $CPU_S-$s0}")" >> "$TIMES_LOG"
  return $rc
}

echo "classit demo: DATA_ROOT=$DATA_ROOT OUT=$OUT$([ "$SMOKE" = 1 ] && echo ' (smoke: bounded, numbers meaningless)')"

# ---- 1. tokenizer, tiny base, merged and sequential instruction tuning ----------------------------------------
TRAIN_SET=()
[ -n "$TRAIN_STEPS" ] && TRAIN_SET=(--set "training.max_steps=$TRAIN_STEPS")
[ -n "$TRAIN_RECORDS" ] && TRAIN_SET+=(--max_records "$TRAIN_RECORDS")
[ -n "$MILESTONES" ] && TRAIN_SET+=(--set "checkpoints.scale=$MILESTONES")
step "train: tokenizer + base + merged + sequential" \
  classit-train demo --data_dir "$DATA_ROOT" --output_path "$OUT/train" "${TRAIN_SET[@]}"

declare -A CKPT=(
  [base]="$OUT/train/tiny-pretrain/final"
  [merged]="$OUT/train/tiny-merged/final"
  [sequential]="$OUT/train/tiny-sequential/final"
)
RUNS=(base merged sequential)

# ---- 2. zero-shot suite (fast sets) ----------------------------------------------------------------------------
LIMIT_ARGS=()
[ -n "$EVAL_LIMIT" ] && LIMIT_ARGS=(--limit "$EVAL_LIMIT")
for run in "${RUNS[@]}"; do
  rm -rf "$OUT/results/$run"
  step "zero-shot: $run on classit_zero_shot_fast" \
    classit-eval --model_args "pretrained=${CKPT[$run]}" --tasks classit_zero_shot_fast \
      --data_dir "$EVAL_DATA" --device cpu --batch_size "$BATCH" \
      --output_path "$OUT/results/$run" --log_samples "${LIMIT_ARGS[@]}"
done

# ---- 2b. the training series: every saved checkpoint of the three runs, requests built once -----------------
rm -rf "$OUT/sweep"
step "sweep: every checkpoint of base, merged, sequential" \
  classit-eval sweep "$OUT/train/tiny-pretrain" "$OUT/train/tiny-merged" "$OUT/train/tiny-sequential" \
    --tasks classit_zero_shot_fast --data_dir "$EVAL_DATA" --device cpu --batch_size "$BATCH" \
    --limit "$SWEEP_LIMIT" --item_resamples "$ITERS" --output_path "$OUT/sweep"

# ---- 3. fine-tuning wrapper: RTE, WSC, MRPC (bounded) ----------------------------------------------------------
echo
echo "NOTE: fine-tuning is bounded to fit the demo's time: --num_epochs $FT_EPOCHS (protocol: 10, WSC 30) and"
echo "      --limit $FT_LIMIT (first $FT_LIMIT records of each split). These numbers are NOT comparable to the"
echo "      BabyLM leaderboard; run classit-eval finetune without those flags for that."
for run in "${RUNS[@]}"; do
  step "fine-tune: $run on RTE, WSC, MRPC" \
    classit-eval finetune --model_args "pretrained=${CKPT[$run]}" --tasks rte,wsc,mrpc \
      --data_dir "$EVAL_DATA" --device cpu --num_epochs "$FT_EPOCHS" --limit "$FT_LIMIT" \
      --output_path "$OUT/results/$run"
done

# ---- 4. report and comparisons ---------------------------------------------------------------------------------
step "report: base vs merged vs sequential" \
  classit-eval report "$OUT/results/base" "$OUT/results/merged" "$OUT/results/sequential" \
    --label base --label merged --label sequential --output_path "$OUT/report" --item_resamples "$ITERS" \
    --title "CLASS-IT mini-replication (tiny models$([ "$SMOKE" = 1 ] && echo ', smoke run'))"

declare -A COMPARE_RC
for cand in merged sequential; do
  rc=0
  step "compare: base -> $cand" \
    classit-eval compare --baseline "$OUT/results/base" --candidate "$OUT/results/$cand" \
      --item_resamples "$ITERS" --output_path "$OUT/report/compare_base_to_$cand.json" || rc=$?
  COMPARE_RC[$cand]=$rc
done

# ---- summary ---------------------------------------------------------------------------------------------------
cpu_now
WALL=$(( $(date +%s) - T0 ))
printf 'total\t%d\t%.0f\t%.0f\n' "$WALL" "$(awk "BEGIN{print $CPU_U-$U0}")" "$(awk "BEGIN{print $CPU_S-$S0}")" >> "$TIMES_LOG"
rm -f "$OUT/.times"

echo
echo "================================ classit demo: summary ================================"
python - "$OUT" "$SMOKE" "${COMPARE_RC[merged]}" "${COMPARE_RC[sequential]}" <<'EOF'
import json, sys
from pathlib import Path

out, smoke, rc = Path(sys.argv[1]), sys.argv[2] == "1", {"merged": int(sys.argv[3]), "sequential": int(sys.argv[4])}
if smoke:
    print("SMOKE RUN: a few training steps and a handful of items per task; the numbers below mean nothing.\n")
report_md = out / "report" / "report.md"
report = json.loads((out / "report" / "report.json").read_text())
runs = report["runs"]
print("Scores x100 (accuracy points, Spearman rho x100, reading: 100*dR2/(1-R2)); [95% bootstrap CI over items]")
print("Fine-tuning rows (classit_glue_*) are bounded runs (see NOTE above), not leaderboard numbers.\n")
header = f"{'task':<44}" + "".join(f"{r['label'] + ' (' + format(r['position'].get('words', 0), ',') + ' words)':>30}" for r in runs)
print(header)
print("-" * len(header))
names = [(row["name"], row["metric"]) for row in runs[0]["rows"]
         if row["depth"] == 0 or row["name"].startswith("classit_glue_")]
for name, metric in names:
    cells = []
    for r in runs:
        row = next((x for x in r["rows"] if x["name"] == name and x["metric"] == metric), None)
        if row is None or row.get("score") is None:
            cells.append(f"{'—':>30}")
        elif row.get("ci_low") is None:
            cells.append(f"{row['score']:>30.2f}")
        else:
            cells.append(f"{row['score']:.2f} [{row['ci_low']:.1f}, {row['ci_high']:.1f}]".rjust(30))
    label = name + ("" if metric in ("acc", "score") else f" ({metric})")
    print(f"{label:<44}" + "".join(cells))
print(f"\nFull report: {report_md} (and report.html, report.json, img/)\n")
sweep = json.loads((out / "sweep" / "report" / "report.json").read_text()).get("series", {})
for entry in sweep.get("pace", [])[:2]:
    print(f"Growth pace along {entry['series']} ({len(entry['checkpoints'])} checkpoints, sweep with --limit; "
          "fastest first):")
    for a in entry["abilities"][:5]:
        w50 = "—" if a["words_50"] is None else f"{a['words_50']:,.0f}"
        print(f"    {a['rank']:>2}. {a['family'] + ': ' + a['ability']:<52} 50% of its gain at {w50:>12} words; "
              f"slope {a['slope']:+.1f} points/10x")
for f in sweep.get("forgetting", []):
    print(f"Forgetting at {f['switch']}: {', '.join(f['forgotten']) or 'none significant (Holm, 0.05)'}")
print(f"Sweep report (growth curves, pace, forgetting, margins): {out / 'sweep' / 'report' / 'report.md'}\n")
for cand in ("merged", "sequential"):
    path = out / "report" / f"compare_base_to_{cand}.json"
    print(f"base -> {cand}: classit-eval compare exit status {rc[cand]} "
          f"({'no significant regression' if rc[cand] == 0 else 'significant regression' if rc[cand] == 1 else 'error'})")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        print(f"  (no comparison JSON: {err})")
        continue
    alpha = data.get("alpha", 0.05)
    rows = [r for r in data.get("tasks", []) if r.get("gated")]
    sig = [r for r in rows if r.get("p_holm") is not None and r["p_holm"] < alpha]
    print(f"  {len(sig)} of {len(rows)} top-level tasks differ significantly (Holm-adjusted p < {alpha}; a 95% CI that"
          f" excludes 0 is not enough on its own: p is adjusted over the {len(rows)} rows):")
    fmt = lambda v, f: "—" if v is None else format(v, f)
    for r in rows:
        if r.get("diff") is None:
            verdict = "no score (not evaluated, or too few items)"
        elif r in sig:
            verdict = "SIGNIFICANT " + ("gain" if (r["diff"] > 0) == r.get("higher_is_better", True) else "drop")
        else:
            verdict = "not significant"
        name = r["task"] + ("" if r.get("metric") in (None, "acc", "score") else f" ({r['metric']})")
        ci = "—" if r.get("ci_low") is None else f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
        print(f"    {name:<44} {fmt(r.get('baseline'), '7.2f')} -> {fmt(r.get('candidate'), '7.2f')}  "
              f"diff {fmt(r.get('diff'), '+6.2f')}  95% CI {ci:<17} p_holm {fmt(r.get('p_holm'), '<8.3g')} {verdict}")
EOF
echo
echo "Time (wall = elapsed on this machine, user CPU = what the steps computed; the machine may be shared):"
column -t -s $'\t' "$TIMES_LOG" 2>/dev/null || cat "$TIMES_LOG"
