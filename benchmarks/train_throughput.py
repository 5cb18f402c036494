#!/usr/bin/env python
"""Training throughput of classit's packed path vs TRL's SFTTrainer (and the plain Trainer with padding).

Same tiny Llama model, same tokenizer, same CLASS-IT-style records (Switchboard pairs + Simple Wikipedia lecture
pairs from the real corpora), same rows per batch, same max length, reply-only loss everywhere. Reported per
setup: real (non-padding) tokens per second of training and the fraction of processed positions that were padding.

    python benchmarks/train_throughput.py --data ../shared/data            # all setups TRL is available for
    python benchmarks/train_throughput.py --data ../shared/data --baselines padding --steps 20

Targets (issue 6): classit >= 1.0x the baseline's tokens/s and <= 5% padding. Timings are printed, never asserted.

    python benchmarks/train_throughput.py --data ../shared/data --baselines dynamics --repeats 3

measures the cost of recording training dynamics (issue 17, target <= 5% of training time): classit packed with
and without the recorder, alternated ``--repeats`` times, medians compared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from itertools import islice
from types import SimpleNamespace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from transformers import Trainer, TrainerCallback, TrainingArguments  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from classit_train import build_model, load_tokenizer, train_tokenizer  # noqa: E402
from classit_train.analysis.dynamics import recording_loss, stage_recorder  # noqa: E402
from classit_train.checkpoints.state import TrainState  # noqa: E402
from classit_train.data.formatting import encode_record  # noqa: E402
from classit_train.data.packing import PackedCollator, PaddingCollator, RowsDataset, pack_examples, unpacked_rows  # noqa: E402
from classit_train.data.sources import iter_source  # noqa: E402
from classit_train.training.callbacks import DynamicsCallback  # noqa: E402
from classit_train.training.trainer import ClassitTrainer  # noqa: E402


class Counter:
    """Wraps a collator and counts real and padding positions of every batch it makes (``<|pad|>`` never occurs
    in the text, so a position is padding exactly when it holds the pad id)."""

    def __init__(self, collate, pad_token_id):
        self.collate, self.pad_token_id = collate, pad_token_id
        self.real = self.total = 0
        self.keys = None

    def __call__(self, features):
        batch = self.collate(features)
        self.keys = sorted(batch)
        self.total += batch["input_ids"].numel()
        self.real += int((batch["input_ids"] != self.pad_token_id).sum())
        return batch


class StepTimer(TrainerCallback):
    """Wall time of optimizer steps after the first ``warmup`` steps (excludes start-up)."""

    def __init__(self, warmup=2):
        self.warmup, self.start, self.end, self.real_at_start = warmup, None, None, 0
        self.cpu_start = self.cpu_end = None
        self.counter = None

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            self.start, self.cpu_start = time.perf_counter(), time.process_time()
            self.real_at_start = self.counter.real
        self.end, self.cpu_end = time.perf_counter(), time.process_time()


def records(data: Path, n: int):
    sw = iter_source({"type": "switchboard", "paths": [str(data / "corpora/switchboard/babylm_train_10M_switchboard.train")]}, "switchboard")
    wiki = iter_source({"type": "simple_wiki", "paths": [str(data / "corpora/simple_wiki/babylm_simple_wiki_sample600k.train.gz")]}, "simple_wiki")
    return list(islice(sw, n // 2)) + list(islice(wiki, n - n // 2))


def training_args(out, a, batch_size=None, **extra):
    return TrainingArguments(output_dir=out, per_device_train_batch_size=batch_size or a.batch_size, max_steps=a.steps,
                             learning_rate=1e-3, lr_scheduler_type="constant", save_strategy="no", report_to=[],
                             logging_steps=10**6, disable_tqdm=True, seed=0, dataloader_pin_memory=False,
                             remove_unused_columns=False, **extra)


def run_classit(tok, examples, a, out, packed=True, dynamics=False):
    index = list(range(len(examples))) if dynamics else None
    rows = (pack_examples(examples, a.max_seq_length, seed=0, example_index=index) if packed
            else unpacked_rows(examples, seed=0, example_index=index))
    collate = PackedCollator(tok.pad_token_id) if packed else PaddingCollator(tok.pad_token_id)
    counter = Counter(collate, tok.pad_token_id)
    model = build_model(a.preset, tok, seed=0)
    recorder = None
    if dynamics:
        ids = SimpleNamespace(example_ids=[str(i) for i in range(len(examples))], example_sources=["bench"] * len(examples))
        recorder = stage_recorder(ids, "bench", resume=None, is_main=True)
    trainer = ClassitTrainer(model=model, args=training_args(out, a), train_dataset=RowsDataset(rows),
                             data_collator=counter, train_state=TrainState("bench", 0, 1), dynamics=recorder,
                             compute_loss_func=recording_loss(recorder) if recorder is not None else None)
    if recorder is not None:
        trainer.add_callback(DynamicsCallback(recorder))
    return _timed(trainer, counter)


def dynamics_overhead(tok, examples, a, tmp) -> dict:
    """Classit packed without and with the dynamics recorder, runs alternated: wall and CPU time per real token
    (process CPU time is robust to other jobs on a shared machine), and the recorder's own CPU time in the run."""
    import statistics

    from classit_train.analysis.dynamics import DynamicsRecorder as Recorder

    spent = [0.0]
    record = Recorder.record

    def timed_record(self, *args, **kwargs):
        t0 = time.process_time()
        record(self, *args, **kwargs)
        spent[0] += time.process_time() - t0

    off, on, share = [], [], []
    for k in range(a.repeats):
        off.append(run_classit(tok, examples, a, str(tmp / f"off{k}")))
        spent[0] = 0.0
        Recorder.record = timed_record
        try:
            on.append(run_classit(tok, examples, a, str(tmp / f"on{k}"), dynamics=True))
        finally:
            Recorder.record = record
        share.append(spent[0] / on[-1]["cpu_seconds"])  # includes the warm-up steps' updates: an upper bound
    wall = statistics.median(r["tokens_per_s"] for r in off) / statistics.median(r["tokens_per_s"] for r in on) - 1
    cpu_per_token = lambda runs: statistics.median(r["cpu_seconds"] / r["real_tokens"] for r in runs)  # noqa: E731
    return {"without": off, "with": on, "overhead_wall": wall, "overhead_cpu": cpu_per_token(on) / cpu_per_token(off) - 1,
            "recorder_cpu_share": statistics.median(share)}


def run_plain_padding(tok, examples, a, out):
    """The stock Trainer, one example per row, right padding + attention mask (no classit code in the loop)."""
    rows = unpacked_rows(examples, seed=0)
    pad = PaddingCollator(tok.pad_token_id)

    def collate(features):
        batch = pad(features)
        batch.pop("num_words"), batch.pop("num_tokens")
        return batch

    counter = Counter(collate, tok.pad_token_id)
    model = build_model(a.preset, tok, seed=0)
    trainer = Trainer(model=model, args=training_args(out, a, a.baseline_batch_size), train_dataset=_NoWords(rows),
                      data_collator=counter)
    return _timed(trainer, counter)


class _NoWords(RowsDataset):
    def __getitem__(self, i):
        item = super().__getitem__(i)
        item["num_words"] = 0
        return item


def run_trl(tok, recs, a, out, packing=False):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    rows = [{"prompt": [{"role": "user", "content": r.prompt}], "completion": [{"role": "assistant", "content": r.reply}]}
            for r in recs]
    batch = a.batch_size if packing else (a.baseline_batch_size or a.batch_size)
    config = SFTConfig(output_dir=out, per_device_train_batch_size=batch, max_steps=a.steps, learning_rate=1e-3,
                       lr_scheduler_type="constant", save_strategy="no", report_to=[], logging_steps=10**6,
                       disable_tqdm=True, seed=0, dataloader_pin_memory=False, max_length=a.max_seq_length,
                       completion_only_loss=True, packing=packing, dataset_num_proc=1, bf16=False)
    model = build_model(a.preset, tok, seed=0)
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tok)
    counter = Counter(trainer.data_collator, tok.pad_token_id)
    trainer.data_collator = counter
    return _timed(trainer, counter)


def _timed(trainer, counter):
    timer = StepTimer()
    timer.counter = counter
    trainer.add_callback(timer)
    trainer.train()
    seconds = timer.end - timer.start
    real = counter.real - timer.real_at_start
    return {"tokens_per_s": real / seconds, "padding_fraction": 1 - counter.real / max(1, counter.total),
            "real_tokens": real, "seconds": seconds, "cpu_seconds": timer.cpu_end - timer.cpu_start,
            "batch_keys": counter.keys}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--data", default=os.environ.get("CLASSIT_SHARED_DATA"), help="folder holding corpora/")
    p.add_argument("--tokenizer", help="an existing tokenizer folder (default: train a 2k one on the corpora)")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--records", type=int, default=4000)
    p.add_argument("--max_seq_length", type=int, default=256)
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--baseline_batch_size", type=int, default=None,
                   help="examples per step for the unpacked baselines (default: --batch_size, i.e. the same rows per "
                        "step; about 4x that gives them as many real tokens per step as a packed batch)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--baselines", nargs="+", default=["trl", "trl-packed", "padding"],
                   choices=["trl", "trl-packed", "padding", "dynamics"])
    p.add_argument("--repeats", type=int, default=3, help="alternated runs per setup for --baselines dynamics")
    p.add_argument("--json", help="write the figures here")
    a = p.parse_args()
    if not a.data:
        p.error("--data (or CLASSIT_SHARED_DATA) is required")
    torch.set_num_threads(a.threads)
    hf_logging.set_verbosity_error()
    import datasets

    datasets.disable_progress_bars()
    data = Path(a.data)
    tmp = Path(tempfile.mkdtemp(prefix="classit-bench-"))
    if a.tokenizer:
        tok = load_tokenizer(a.tokenizer)
    else:
        corpora = data / "corpora"
        train_tokenizer([corpora / "switchboard/babylm_train_10M_switchboard.train",
                         corpora / "simple_wiki/babylm_simple_wiki_sample600k.train.gz"],
                        vocab_size=2000, max_words=300_000, output_dir=tmp / "tok", show_progress=False)
        tok = load_tokenizer(tmp / "tok")
    recs = records(data, a.records)
    examples = [e for r in recs for e in encode_record(tok, r, a.max_seq_length)]
    print(f"{len(recs)} records, {sum(len(e.input_ids) for e in examples):,} tokens; preset {a.preset}, "
          f"batch {a.batch_size} rows x <= {a.max_seq_length} tokens (unpacked baselines: "
          f"{a.baseline_batch_size or a.batch_size} examples), {a.steps} steps, {a.threads} thread(s)")

    if "dynamics" in a.baselines:
        figures = dynamics_overhead(tok, examples, a, tmp)
        print("tokens/s without dynamics: " + ", ".join(f"{r['tokens_per_s']:,.0f}" for r in figures["without"])
              + "\ntokens/s with dynamics:    " + ", ".join(f"{r['tokens_per_s']:,.0f}" for r in figures["with"])
              + f"\ndynamics overhead (medians): wall {100 * figures['overhead_wall']:+.1f}%, CPU time per token "
              f"{100 * figures['overhead_cpu']:+.1f}%; the recorder's own share of the CPU time "
              f"{100 * figures['recorder_cpu_share']:.1f}%")
        if a.json:
            Path(a.json).write_text(json.dumps(figures, indent=2))
        return 0
    results = {"classit (packed)": run_classit(tok, examples, a, str(tmp / "c"))}
    for name in a.baselines:
        try:
            if name == "padding":
                results["Trainer + padding collator"] = run_plain_padding(tok, examples, a, str(tmp / "p"))
            else:
                results[f"TRL SFTTrainer{' (packing=True)' if name == 'trl-packed' else ''}"] = run_trl(
                    tok, recs, a, str(tmp / name), packing=name == "trl-packed")
        except ImportError as exc:
            print(f"skipping {name}: {exc} (pip install trl)")
    base = results.get("TRL SFTTrainer") or results.get("Trainer + padding collator")
    print(f"\n{'setup':32s} {'tokens/s':>10s} {'padding':>8s} {'vs baseline':>12s}")
    for name, r in results.items():
        ratio = r["tokens_per_s"] / base["tokens_per_s"] if base else float("nan")
        print(f"{name:32s} {r['tokens_per_s']:10,.0f} {r['padding_fraction']:8.1%} {ratio:11.2f}x   batch: {', '.join(r['batch_keys'])}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
