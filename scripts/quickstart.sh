#!/usr/bin/env bash
# Quick start: build a tiny Llama-style model from the BabyLM corpora (tokenizer + a short pre-training run),
# then evaluate it on the fast BLiMP sets with classit-eval and print the tables.
#
#   bash scripts/quickstart.sh DATA_ROOT [OUT]
#
# DATA_ROOT holds corpora/ (training text) and babylm_eval_2025/ (evaluation data); in this repository's
# development setup it is ../shared/data. OUT defaults to runs/quickstart.
set -euo pipefail
DATA_ROOT=$(cd "${1:?usage: scripts/quickstart.sh DATA_ROOT [OUT]}" && pwd)
OUT=$(mkdir -p "${2:-runs/quickstart}" && cd "${2:-runs/quickstart}" && pwd)
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export CLASSIT_SHARED_DATA="$DATA_ROOT"

classit-train train configs/tiny_pretrain.yaml --output_path "$OUT/tiny-pretrain"
classit-eval --model_args "pretrained=$OUT/tiny-pretrain/final" \
  --tasks classit_blimp_fast,classit_blimp_supplement_fast \
  --data_dir "$DATA_ROOT/babylm_eval_2025" --device cpu --batch_size 64 --output_path "$OUT/results"
