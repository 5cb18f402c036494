#!/usr/bin/env python
"""What milestone checkpoints cost: the demo's tiny base trained twice, with its milestones and without.

The base is `classit_train/configs/tiny_pretrain.yaml` (BabyLM schedule × 0.02) with every source capped at
``--max_records`` (1000 = the demo's default), on one tokenizer trained beforehand. Printed: the number of milestone
folders, seconds per milestone save (mean, max), their total, and the two runs' training wall times. Figures are
machine-dependent and never asserted in tests.

    python benchmarks/milestone_overhead.py --data ../shared/data [--max_records 1000] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from classit_train import load_config, run_curriculum, train_tokenizer  # noqa: E402
from classit_train.files import expand_paths  # noqa: E402
from classit_train.training.callbacks import MilestoneCallback  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("CLASSIT_SHARED_DATA", "../shared/data"))
    parser.add_argument("--max_records", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output_path", default=None, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    os.environ["CLASSIT_SHARED_DATA"] = str(Path(args.data).resolve())
    torch.set_num_threads(args.threads)

    saves: list[float] = []
    original = MilestoneCallback.save

    def timed_save(self, words):
        start = time.perf_counter()
        try:
            return original(self, words)
        finally:
            saves.append(time.perf_counter() - start)

    MilestoneCallback.save = timed_save
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.output_path or tmp)
        path = resources.files("classit_train").joinpath("configs/tiny_pretrain.yaml")
        with resources.as_file(path) as config_path:
            base = load_config(config_path)
            tc = base.tokenizer
            tok = out / "tokenizer"
            if not (tok / "tokenizer.json").is_file():
                train_tokenizer(expand_paths(tc.train_files, "tokenizer.train_files"), vocab_size=tc.vocab_size,
                                add_bos=tc.add_bos, min_frequency=tc.min_frequency, max_words=tc.max_words,
                                output_dir=tok, show_progress=False)
            walls = {}
            for label, schedule in (("without", "checkpoints={schedule: none}"), ("with", None)):
                overrides = [f"output_dir={out / label}", f"tokenizer={{path: {tok}}}", "training.disable_tqdm=true"]
                config = load_config(config_path, overrides + ([schedule] if schedule else []))
                for spec in config.sources.values():
                    spec["max_records"] = min(spec.get("max_records") or args.max_records, args.max_records)
                start = time.perf_counter()
                run_curriculum(config)
                walls[label] = time.perf_counter() - start
    print(f"\ndemo base, --max_records {args.max_records}, {args.threads} thread(s):")
    print(f"  milestone folders written: {len(saves)}")
    if saves:
        print(f"  seconds per milestone save: mean {sum(saves) / len(saves):.3f}, max {max(saves):.3f}, "
              f"total {sum(saves):.2f} ({100 * sum(saves) / walls['with']:.1f}% of the run with milestones)")
    print(f"  training wall: without milestones {walls['without']:.1f} s, with {walls['with']:.1f} s "
          f"(difference {walls['with'] - walls['without']:+.1f} s; includes machine noise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
