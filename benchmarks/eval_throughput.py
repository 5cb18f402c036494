"""Scoring throughput of classit vs a bare forward-pass floor, and start-up time of the CLIs.

    python benchmarks/eval_throughput.py --data_dir ../shared/data/babylm_eval_2025 [--task classit_blimp]

Builds (once, under --work) a fixed 10.4M-parameter Llama-style model: 6 layers, width 256, 4 heads, FFN 1024,
an 8k byte-level BPE vocabulary trained on the BabyLM corpora and adding `<s>`; random weights (speed does not
depend on them). Then, in one process, interleaved:
  classit  - `classit-hf` through lm-eval's simple_evaluate on the task (whole run, and the scoring part);
  floor    - exactly the same token sequences, length-sorted into equal-length batches (no padding), the last
             position skipped, full logits + log-softmax + gather: the naive forward-pass floor.
Prints pairs/s, tokens scored, padding fraction, ratios and peak RSS; then the time from process start to the
first scoring request for `classit-eval` and for stock `lm_eval --include_path`.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO / ".." / "shared" / "data" / "corpora"


def build_model(out: Path) -> Path:
    if (out / "config.json").is_file():
        return out
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    def lines():
        for path in sorted((CORPORA / "babylm_samples" / "train_600k").glob("*.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                yield from itertools.islice(f, 20000)
        for path in sorted((CORPORA / "simple_wiki").glob("*")):
            text = path.read_text(encoding="utf-8", errors="ignore")
            yield from (text[i : i + 2000] for i in range(0, len(text), 2000))

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines(), trainers.BpeTrainer(
        vocab_size=8192, special_tokens=["<s>", "</s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    hf_tok.model_max_length = 1024
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(hf_tok), hidden_size=256, intermediate_size=1024, num_hidden_layers=6, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=1024, bos_token_id=0, eos_token_id=1, tie_word_embeddings=False))
    model.save_pretrained(out)
    hf_tok.save_pretrained(out)
    return out


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def collect_requests(task_manager, task: str, limit: int | None):
    """The (context, continuation) strings lm-eval builds for the task, in its order."""
    loaded = task_manager.load([task])["tasks"]
    strings = []
    for name, t in loaded.items():
        t.build_all_requests(limit=limit, rank=0, world_size=1)
        strings += [tuple(inst.args) for inst in t.instances]
    return strings, len(loaded)


def run_floor(model_dir: Path, strings, batch_size: int) -> dict:
    """Naive floor over the same sequences: equal-length batches, no padding, last position skipped."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from classit_tasks.model import encode_babylm2025

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    start = time.perf_counter()
    unique = list(dict.fromkeys(strings))
    by_len = defaultdict(list)
    for pair, enc in zip(unique, encode_babylm2025(tokenizer, unique)):
        by_len[len(enc.ids)].append((pair, enc))
    tokens, scores = 0, {}
    with torch.inference_mode():
        for length, group in sorted(by_len.items()):
            for i in range(0, len(group), batch_size):
                batch = group[i : i + batch_size]
                ids = torch.tensor([e.ids for _, e in batch])
                logprobs = torch.log_softmax(model(ids[:, :-1]).logits.float(), dim=-1)
                picked = logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1)
                mask = torch.tensor([e.scored for _, e in batch])
                scores.update(zip([p for p, _ in batch], (picked * mask).sum(-1).tolist()))
                tokens += int(mask.sum())
    return {"seconds": time.perf_counter() - start, "tokens_scored": tokens, "padding": 0.0, "scores": scores}


def run_classit(model_dir: Path, task_manager, task: str, limit: int | None, batch_size: int) -> dict:
    from lm_eval import simple_evaluate

    import classit_tasks.model as cm

    timing = {"scoring": 0.0, "tokens": 0, "positions": 0, "real": 0}
    original = cm.ClassitLM._score_rows

    def timed(self, rows):
        t0 = time.perf_counter()
        out = original(self, rows)
        timing["scoring"] += time.perf_counter() - t0
        timing["tokens"] += sum(len(r.targets) for r in rows)
        timing["positions"] += len(rows) * max(len(r.ids) for r in rows)
        timing["real"] += sum(len(r.ids) for r in rows)
        return out

    cm.ClassitLM._score_rows = timed
    start = time.perf_counter()
    results = simple_evaluate(
        model="classit-hf", model_args=f"pretrained={model_dir}", tasks=[task], task_manager=task_manager,
        batch_size=batch_size, device="cpu", limit=limit, bootstrap_iters=0, log_samples=True)
    total = time.perf_counter() - start
    cm.ClassitLM._score_rows = original
    items = [
        ([tuple(a) for a in s["arguments"]], [float(r[0]) for r in s["filtered_resps"]])
        for samples in results["samples"].values() for s in samples
    ]
    return {"seconds": total, "scoring": timing["scoring"], "tokens_scored": timing["tokens"],
            "padding": 1 - timing["real"] / max(timing["positions"], 1), "items": items}


def agreement(floor_scores: dict, items) -> str:
    """Per-item |Δ| against the floor's sums, and argmax flips (near-ties below 1e-5 nats listed)."""
    worst, flips, near = 0.0, [], 0
    for pairs, ours in items:
        ref = [floor_scores[p] for p in pairs]
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, ref)))
        top_ref = sorted(ref, reverse=True)
        if len(ref) > 1 and top_ref[0] - top_ref[1] < 1e-5:
            near += 1
        if max(range(len(ours)), key=ours.__getitem__) != max(range(len(ref)), key=ref.__getitem__):
            flips.append((pairs[0][1][:40], top_ref[0] - top_ref[1]))
    listed = "; ".join(f"{text!r} (margin {m:.1e})" for text, m in flips[:10])
    return (f"max |Δ| per item vs floor: {worst:.2e} nats; argmax flips: {len(flips)} "
            f"(near-ties < 1e-5 in the floor: {near}){': ' + listed if flips else ''}")


FIRST_REQUEST = """
import sys, time, os
t0 = float(os.environ["T0"])
from lm_eval.models.huggingface import HFLM
def stop(self, *a, **k):
    print(f"FIRST_REQUEST {time.time() - t0:.2f}", flush=True); os._exit(0)
HFLM.loglikelihood = stop
import classit_tasks.model as cm; cm.ClassitLM.loglikelihood = stop
sys.argv = sys.argv[1:]
if sys.argv[0] == "classit-eval":
    from classit_tasks.cli import main; sys.exit(main(sys.argv[1:]))
from lm_eval.__main__ import cli_evaluate; cli_evaluate()
"""


def startup(model_dir: Path, data_dir: str) -> dict:
    common = ["--model_args", f"pretrained={model_dir}", "--tasks", "classit_blimp_supplement_fast", "--device", "cpu"]
    commands = {
        "classit-eval": ["classit-eval", *common, "--data_dir", data_dir],
        "lm_eval (stock CLI)": ["lm_eval", "--model", "hf", *common, "--include_path", str(REPO / "task_yamls")],
    }
    out = {}
    for name, argv in commands.items():
        env = {**os.environ, "T0": repr(time.time()), "CLASSIT_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
        proc = subprocess.run([sys.executable, "-c", FIRST_REQUEST, *argv], capture_output=True, text=True, env=env)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("FIRST_REQUEST")]
        out[name] = float(lines[0].split()[1]) if lines else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.environ.get("CLASSIT_DATA_DIR"), required=False)
    parser.add_argument("--task", default="classit_blimp", help="classit task or group (default: full BLiMP)")
    parser.add_argument("--limit", type=int, default=None, help="items per subtask (default: all)")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    parser.add_argument("--skip_startup", action="store_true")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("--data_dir (or CLASSIT_DATA_DIR) is required")
    os.environ["CLASSIT_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    import torch
    from lm_eval.tasks import TaskManager

    model_dir = build_model(Path(args.work) / "llama-10m")
    n_params = sum(p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(model_dir).parameters())
    tm = TaskManager(include_path=str(REPO / "task_yamls"), include_defaults=False)
    strings, n_tasks = collect_requests(tm, args.task, args.limit)
    n_items = len(strings) // 2 if "blimp" in args.task else len(strings)
    print(f"model: {model_dir} ({n_params / 1e6:.1f}M parameters), torch threads: {torch.get_num_threads()}")
    print(f"task: {args.task}: {n_tasks} subtasks, {len(strings)} requests")

    floor = run_floor(model_dir, strings, args.batch_size)
    classit = run_classit(model_dir, tm, args.task, args.limit, args.batch_size)
    rows = [("floor (bare forward pass)", floor), ("classit-eval (classit-hf)", classit)]
    print(f"\n| implementation | wall s | scoring s | requests/s | tokens scored | padding | ratio to floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['seconds']:.1f} | {r.get('scoring', r['seconds']):.1f} | "
              f"{len(strings) / r['seconds']:.0f} | {r['tokens_scored']} | {100 * r['padding']:.1f}% | "
              f"{r['seconds'] / floor['seconds']:.2f} |")
    print(agreement(floor["scores"], classit["items"]))
    print(f"peak RSS of this process: {peak_rss_gb():.2f} GB")
    if not args.skip_startup:
        for name, seconds in startup(model_dir, os.environ["CLASSIT_DATA_DIR"]).items():
            print(f"start-up to first request, {name}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
