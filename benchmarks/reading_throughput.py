"""Wall time of the reading-time task (classit_reading, 1,726 words) on a ~10M-parameter model, CPU.

Builds (once, into --workdir) a randomly initialised Llama: 6 layers, width 256, 4 heads, FFN 1024, untied
embeddings, with an 8k byte-level BPE tokenizer that adds BOS (trained on the shared BabyLM text samples), then
runs the task through lm-eval's Python API with ``--model classit-hf`` and prints the figures.

    python benchmarks/reading_throughput.py [--tasks classit_reading,classit_reading_standard] [--threads N]
    python benchmarks/reading_throughput.py --tasks classit_aoa        # the AoA task, one checkpoint

Needs CLASSIT_DATA_DIR (or --data_dir) pointing at the BabyLM evaluation data. The target: under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "helpers"))  # tiny_models: tokenizer training on the shared corpora


def build_10m(out_dir: Path) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from tiny_models import build_tokenizer

    if (out_dir / "config.json").is_file():
        return out_dir
    tokenizer = build_tokenizer("bos", out_dir, vocab_size=8192)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=256, intermediate_size=1024, num_hidden_layers=6,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "classit-bench-10m")
    parser.add_argument("--tasks", default="classit_reading")
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    if args.data_dir:
        os.environ["CLASSIT_DATA_DIR"] = args.data_dir

    ckpt = build_10m(args.workdir.resolve())
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    import classit_tasks.scoring.model  # noqa: F401  (registers classit-hf)
    from lm_eval import simple_evaluate
    from lm_eval.api.registry import get_model
    from lm_eval.tasks import TaskManager

    tasks = args.tasks.split(",")
    t0, c0 = time.perf_counter(), time.process_time()
    lm = get_model("classit-hf")(pretrained=str(ckpt), device="cpu", batch_size=args.batch_size)
    t1, c1 = time.perf_counter(), time.process_time()
    tm = TaskManager(include_path=str(REPO / "task_yamls"), include_defaults=False)
    results = simple_evaluate(model=lm, tasks=tasks, task_manager=tm, bootstrap_iters=0, log_samples=False)
    t2, c2 = time.perf_counter(), time.process_time()

    params = sum(p.numel() for p in lm.model.parameters())
    print(f"model: {params / 1e6:.1f}M parameters, vocab {len(lm.tokenizer)}, torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"model load: {t1 - t0:.1f} s wall, {c1 - c0:.1f} s CPU")
    print(f"tasks {','.join(tasks)} (build + requests + aggregation): {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU")
    for task in tasks:
        res = results["results"][task]
        if "eye_tracking,none" not in res:  # another surprisal task, e.g. classit_aoa (8,005 word-in-context items)
            print(f"  {task}: {res['sample_len']} items, mean surprisal {res['surprisal,none']:.2f}")
            continue
        print(f"  {task}: {res['sample_len']} words, eye_tracking {res['eye_tracking,none']:.3f}, "
              f"self_paced_reading {res['self_paced_reading,none']:.3f}, mean surprisal {res['surprisal,none']:.2f}")


if __name__ == "__main__":
    main()
