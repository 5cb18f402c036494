"""Scoring throughput of classit vs a bare forward-pass floor, peak memory, and start-up time of the CLIs.

    python benchmarks/eval_throughput.py --data_dir ../shared/data/babylm_eval_2025 \
        [--tasks classit_blimp,classit_entity_tracking:40] [--batch_size 64]

Builds (once, under --work) a fixed 10.4M-parameter Llama-style model: 6 layers, width 256, 4 heads, FFN 1024,
an 8k byte-level BPE vocabulary trained on the BabyLM corpora and adding `<s>`; random weights (speed does not
depend on them). Then, per task (TASK or TASK:LIMIT, LIMIT documents per subtask; the default runs full BLiMP and
40 documents per entity-tracking subtask, 720 items, since the floor needs ~40 min for all of entity tracking on 2
cores), one after the other, each as a whole process of its own:
  floor    - exactly the token sequences lm-eval builds for the task, length-sorted into equal-length batches
             (no padding), the last position skipped, full logits + log-softmax + gather: the naive floor;
  classit  - `classit-eval --tasks TASK` (lm-eval's run, classit-hf), as a user runs it.
Prints wall time (whole process) and scoring time, requests/s, tokens scored, padding fraction, peak RSS of each
process, the ratio to the floor, and per-item agreement with the floor (largest |Δ|, argmax flips, near-ties);
then the time from process start to the first scoring request for `classit-eval` and stock `lm_eval`.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import pickle
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


# Each implementation runs as a whole process of its own (like a user's run): its wall time, its peak RSS
# (os.wait4's ru_maxrss), and per-item scores written to a file for the agreement check.

FLOOR = r"""
import pickle, sys, time, json
t_start = time.perf_counter()
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from collections import defaultdict
sys.path.insert(0, sys.argv[3])
from classit_tasks.scoring.encoders import encode_babylm2025
strings = pickle.load(open(sys.argv[2], "rb"))
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32).eval()
batch_size = int(sys.argv[4])
unique = list(dict.fromkeys(strings))
by_len = defaultdict(list)
for pair, enc in zip(unique, encode_babylm2025(tokenizer, unique)):
    by_len[len(enc.ids)].append((pair, enc))
t0 = time.perf_counter()  # scoring = the forward passes, as for classit
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
pickle.dump({"scoring": time.perf_counter() - t0, "tokens_scored": tokens, "padding": 0.0, "scores": scores},
            open(sys.argv[5], "wb"))
"""

CLASSIT = r"""
import os, pickle, sys, time
import classit_tasks.scoring.model as cm
timing = {"scoring": 0.0, "tokens": 0, "positions": 0, "real": 0}
score_rows, loglikelihood = cm.ClassitLM._score_rows, cm.ClassitLM.loglikelihood
items = []
def timed(self, rows):
    if not timing.get("active"):  # the model's self-check on load is not part of the task
        return score_rows(self, rows)
    t0 = time.perf_counter()
    out = score_rows(self, rows)
    timing["scoring"] += time.perf_counter() - t0
    timing["tokens"] += sum(len(r.target_token) for r in rows)
    timing["positions"] += len(rows) * max(len(r.ids) for r in rows)
    timing["real"] += sum(len(r.ids) for r in rows)
    return out
def recorded(self, requests, disable_tqdm=False):
    timing["active"] = True
    out = loglikelihood(self, requests, disable_tqdm)
    timing["active"] = False
    items.extend((r.task_name, r.doc_id, tuple(r.args), ll) for r, (ll, _) in zip(requests, out))
    return out
cm.ClassitLM._score_rows, cm.ClassitLM.loglikelihood = timed, recorded
from classit_tasks.cli import main
code = main(sys.argv[2:])
pickle.dump({"scoring": timing["scoring"], "tokens_scored": timing["tokens"],
             "padding": 1 - timing["real"] / max(timing["positions"], 1), "items": items}, open(sys.argv[1], "wb"))
sys.exit(code)
"""


def run_process(argv: list[str], result: Path) -> dict:
    """Run one implementation as its own process; its wall time, peak RSS and the figures it wrote."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{argv[:3]} failed:\n{stderr[-3000:]}")
    with open(result, "rb") as f:
        out = pickle.load(f)
    return {**out, "seconds": seconds, "rss_gb": usage.ru_maxrss / 1024**2}


def run_floor(model_dir: Path, strings, batch_size: int, work: Path) -> dict:
    """Naive floor over the same sequences: equal-length batches, no padding, last position skipped."""
    with open(work / "strings.pkl", "wb") as f:
        pickle.dump(strings, f)
    return run_process([sys.executable, "-c", FLOOR, str(model_dir), str(work / "strings.pkl"), str(REPO),
                        str(batch_size), str(work / "floor.pkl")], work / "floor.pkl")


def run_classit(model_dir: Path, task: str, data_dir: str, limit: int | None, batch_size: int, work: Path) -> dict:
    argv = [sys.executable, "-c", CLASSIT, str(work / "classit.pkl"), "--model_args", f"pretrained={model_dir}",
            "--tasks", task, "--data_dir", data_dir, "--device", "cpu", "--batch_size", str(batch_size)]
    if limit:
        argv += ["--limit", str(limit)]
    out = run_process(argv, work / "classit.pkl")
    by_doc = defaultdict(list)  # the options of one item, in lm-eval's order
    for task_name, doc_id, pair, ll in out.pop("items"):
        by_doc[task_name, doc_id].append((pair, ll))
    out["items"] = [([p for p, _ in opts], [ll for _, ll in opts]) for opts in by_doc.values()]
    return out


def collect_requests(task_manager, task: str, limit: int | None):
    """The (context, continuation) strings lm-eval builds for the task, in its order."""
    loaded = task_manager.load([task])["tasks"]
    strings = []
    for name, t in loaded.items():
        t.build_all_requests(limit=limit, rank=0, world_size=1)
        strings += [tuple(inst.args) for inst in t.instances]
    return strings, len(loaded)


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
    return (f"{len(items)} items; max |Δ| per item vs floor: {worst:.2e} nats; argmax flips: {len(flips)} "
            f"(near-ties < 1e-5 in the floor: {near}){': ' + listed if flips else ''}")


FIRST_REQUEST = """
import sys, time, os
t0 = float(os.environ["T0"])
from lm_eval.models.huggingface import HFLM
def stop(self, *a, **k):
    print(f"FIRST_REQUEST {time.time() - t0:.2f}", flush=True); os._exit(0)
HFLM.loglikelihood = stop
import classit_tasks.scoring.model as cm; cm.ClassitLM.loglikelihood = stop
sys.argv = sys.argv[1:]
if sys.argv[0] == "classit-eval":
    from classit_tasks.cli import main; sys.exit(main(sys.argv[1:]))
from lm_eval.__main__ import cli_evaluate; cli_evaluate()
"""


LOAD_ONLY = """
import os, time
t0 = float(os.environ["T0"])
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
AutoModelForCausalLM.from_pretrained(os.environ["MODEL"]); AutoTokenizer.from_pretrained(os.environ["MODEL"])
print(f"FIRST_REQUEST {time.time() - t0:.2f}", flush=True)
"""


def startup(model_dir: Path, data_dir: str) -> dict:
    """Seconds from process start to the first scoring request (and, for reference, to a loaded model alone)."""
    common = ["--model_args", f"pretrained={model_dir}", "--tasks", "classit_blimp_supplement_fast", "--device", "cpu"]
    commands = {
        "classit-eval": ["classit-eval", *common, "--data_dir", data_dir],
        "lm_eval (stock CLI)": ["lm_eval", "--model", "hf", *common, "--include_path", str(REPO / "task_yamls")],
    }
    out = {}
    for name, argv in [*commands.items(), ("import torch + transformers, load the model (no lm-eval)", None)]:
        env = {**os.environ, "T0": repr(time.time()), "CLASSIT_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1",
               "MODEL": str(model_dir)}
        script = [sys.executable, "-c", FIRST_REQUEST, *argv] if argv else [sys.executable, "-c", LOAD_ONLY]
        proc = subprocess.run(script, capture_output=True, text=True, env=env)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("FIRST_REQUEST")]
        out[name] = float(lines[0].split()[1]) if lines else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.environ.get("CLASSIT_DATA_DIR"), required=False)
    parser.add_argument("--tasks", default="classit_blimp,classit_entity_tracking:40",
                        help="comma-separated classit tasks or groups, each TASK or TASK:LIMIT (documents per subtask)")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    parser.add_argument("--skip_startup", action="store_true")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("--data_dir (or CLASSIT_DATA_DIR) is required")
    data_dir = str(Path(args.data_dir).resolve())
    os.environ["CLASSIT_DATA_DIR"] = data_dir
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    import torch
    from lm_eval.tasks import TaskManager

    work = Path(args.work)
    model_dir = build_model(work / "llama-10m")
    n_params = sum(p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(model_dir).parameters())
    print(f"model: {model_dir} ({n_params / 1e6:.1f}M parameters), torch threads: {torch.get_num_threads()}, "
          f"batch size {args.batch_size}")
    for spec in args.tasks.split(","):
        task, _, limit_text = spec.partition(":")
        limit = int(limit_text) if limit_text else None
        tm = TaskManager(include_path=str(REPO / "task_yamls"), include_defaults=False)
        strings, n_tasks = collect_requests(tm, task, limit)
        print(f"\n## {task}{f' (--limit {limit})' if limit else ''}: {n_tasks} subtasks, {len(strings)} requests "
              f"({len(set(strings))} distinct)")
        floor = run_floor(model_dir, strings, args.batch_size, work)
        classit = run_classit(model_dir, task, data_dir, limit, args.batch_size, work)
        print("\n| implementation (whole process) | wall s | scoring s | requests/s | tokens scored | padding "
              "| peak RSS GB | wall / floor's |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in (("floor (bare forward pass)", floor), ("classit-eval (classit-hf)", classit)):
            print(f"| {name} | {r['seconds']:.1f} | {r['scoring']:.1f} | {len(strings) / r['seconds']:.0f} | "
                  f"{r['tokens_scored']} | {100 * r['padding']:.1f}% | {r['rss_gb']:.2f} | "
                  f"{r['seconds'] / floor['seconds']:.2f} |")
        print(agreement(floor["scores"], classit["items"]))
    if not args.skip_startup:
        print()
        for name, seconds in startup(model_dir, data_dir).items():
            print(f"start-up to first request, {name}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
