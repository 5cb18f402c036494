"""``classit-eval audit``: which ranking items are decided by float32 noise (fragile items), re-scored in float64.

A ranking task's accuracy counts an item correct when option 0 scores highest. When two options' summed
log-probabilities are closer than float32 arithmetic can tell apart, the decision can flip with the batch shape,
the hardware or the dtype (babylm/evaluation-pipeline-2025 issue #34: ties, bf16/TF32 and hardware flips). The audit
reads an lm-eval run with ``--log_samples``, finds every item whose gold option and best other option are within

    |s_0 - max_{i>0} s_i| <= threshold * max(1, |s_0|, |max_{i>0} s_i|)    (nats; default threshold 1e-5)

of each other in the logged (float32) scores, re-scores those items' options in float64 with the same model and the
same tokens (the BabyLM 2025 rule of classit-hf: ``context + continuation`` tokenized once, the continuation's tokens
summed, token 0 never scored), and reports per task:

* ``fragile``: how many items are within the threshold;
* ``flips``: how many of them are decided differently in float32 and in float64;
* ``acc_fp64``: the accuracy with the float64 decisions of the fragile items;
* ``interval``: the accuracies the fragile items allow, from all of them wrong to all of them right.

Decisions follow each task's rule: ties go to option 0 (the 2025 parity rule, ``acc``), or count 0.5 for tasks
whose metric does so (the EWoK-paper variant). The parity numbers are never changed: the audit writes its own files
(``audit.json``, ``audit.md``) and is reported beside them. Groups get the unweighted mean of their leaves' values,
like their scores.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from classit_tasks.artifacts.atomic import write_files
from classit_tasks.artifacts.json_files import read_json_lines
from classit_tasks.artifacts.results import (
    MergedResults, filtered_rows, read_merged_results, sample_arguments, sample_logliks,
)
from classit_tasks.command import SubCommand
from classit_tasks.errors import ClassitError, UsageError
from classit_tasks.flags import alias

AUDIT = SubCommand("audit")
MODEL_ARGS = {"pretrained"}
DEFAULT_THRESHOLD = 1e-5


class AuditError(ClassitError, ValueError):
    """Bad audit input (one-line message)."""


def decision_value(logliks: Sequence[float], ties_half: bool) -> float:
    """Credit of an item under the task's rule: 1 if option 0 is the (first) maximum, ties shared if ``ties_half``."""
    best = max(logliks)
    top = [i for i, ll in enumerate(logliks) if ll == best]
    if ties_half:
        return 1.0 / len(top) if 0 in top else 0.0
    return float(top[0] == 0)


def is_fragile(logliks: Sequence[float], threshold: float) -> bool:
    gold, other = logliks[0], max(logliks[1:])
    return abs(gold - other) <= threshold * max(1.0, abs(gold), abs(other))


@dataclass
class TaskAudit:
    task: str
    n: int
    acc: float  # the parity number, as reported
    fragile: int = 0
    flips: int = 0
    acc_fp64: float = math.nan
    low: float = math.nan
    high: float = math.nan
    items: list[dict] = field(default_factory=list)  # doc_id, fp32 and fp64 scores of each fragile item


@dataclass
class GroupAudit:
    task: str
    leaves: list[str]
    n: int
    acc: float
    fragile: int
    flips: int
    acc_fp64: float
    low: float
    high: float


def ranking_tasks(results: MergedResults, configs: dict[str, dict]) -> list[str]:
    """Leaf tasks of the run that rank options by log-likelihood (multiple choice, an ``acc`` score, samples)."""
    out = []
    for task, entry in results.results.items():
        acc = entry.get("acc,none")
        if (task in results.samples and (configs.get(task) or {}).get("output_type") == "multiple_choice"
                and isinstance(acc, (int, float)) and math.isfinite(acc)):
            out.append(task)
    return sorted(out)


class Float64Scorer:
    """Summed log-probabilities of (context, continuation) pairs in float64, one sequence per forward pass, with the
    tokens classit-hf scores (``classit_tasks.scoring.encoders.encode_babylm2025``)."""

    def __init__(self, pretrained: str, device: str = "cpu"):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(pretrained)
        self.model = AutoModelForCausalLM.from_pretrained(pretrained, dtype=torch.float64).to(device).eval()

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        from classit_tasks.scoring.encoders import encode_babylm2025

        torch = self.torch
        out = []
        with torch.inference_mode():
            for enc in encode_babylm2025(self.tokenizer, list(pairs)):
                ids = torch.tensor([enc.ids], device=self.device)
                logprobs = torch.log_softmax(self.model(ids[:, :-1]).logits[0].double(), dim=-1)
                picked = logprobs.gather(-1, ids[0, 1:, None])[:, 0]
                mask = torch.tensor(enc.scored, dtype=torch.bool, device=self.device)
                out.append(float(picked[mask].sum()))
        return out


def audit_task(task: str, rows: list[dict], path: Path, acc: float, ties_half: bool, threshold: float,
               score64: Callable[[Sequence[tuple[str, str]]], list[float]]) -> TaskAudit:
    result = TaskAudit(task, len(rows), acc)
    credits32, fragile = [], []
    for row in rows:
        lls = sample_logliks(row, path, AuditError)
        if len(lls) < 2:
            raise AuditError(f"{path}: doc {row.get('doc_id')}: {len(lls)} option(s), not a ranking item")
        credits32.append(decision_value(lls, ties_half))
        if is_fragile(lls, threshold):
            fragile.append((len(credits32) - 1, row, lls))
    credits64 = list(credits32)
    for index, row, lls in fragile:
        pairs = sample_arguments(row, path, AuditError)
        lls64 = score64(pairs)
        credits64[index] = decision_value(lls64, ties_half)
        flipped = credits64[index] != credits32[index]
        result.flips += flipped
        result.items.append({"doc_id": row.get("doc_id"), "fp32": lls, "fp64": lls64, "flip": flipped})
    n = len(rows)
    result.fragile = len(fragile)
    fragile_credit = sum(credits32[i] for i, _, _ in fragile)
    settled = sum(credits32) - fragile_credit
    result.low, result.high = settled / n, (settled + len(fragile)) / n
    result.acc_fp64 = sum(credits64) / n
    return result


def _leaves(groups: dict[str, list[str]], name: str) -> list[str]:
    children = groups.get(name)
    if not children:
        return [name]
    return [leaf for child in children for leaf in _leaves(groups, child)]


def group_audits(groups: dict[str, list[str]], results: dict, tasks: dict[str, TaskAudit]) -> list[GroupAudit]:
    """Unweighted means over the leaves of every group whose leaves are all audited (the group's own rule)."""
    out = []
    for group in groups:
        leaves = _leaves(groups, group)
        if group in tasks or not leaves or not all(leaf in tasks for leaf in leaves):
            continue
        mean = lambda attr: sum(getattr(tasks[leaf], attr) for leaf in leaves) / len(leaves)  # noqa: E731
        acc = results.get(group, {}).get("acc,none")
        out.append(GroupAudit(group, leaves, sum(tasks[x].n for x in leaves),
                              acc if isinstance(acc, (int, float)) else mean("acc"),
                              sum(tasks[x].fragile for x in leaves), sum(tasks[x].flips for x in leaves),
                              mean("acc_fp64"), mean("low"), mean("high")))
    return out


def run_audit(paths: list[Path], pretrained: str | None = None, threshold: float = DEFAULT_THRESHOLD,
              device: str = "cpu", scorer: Callable | None = None) -> dict:
    results = read_merged_results(paths, AuditError)
    configs, groups, model_kind = results.configs, results.group_subtasks, results.model_kind
    models = set(results.pretrained.values())
    tasks = ranking_tasks(results, configs)
    if not tasks:
        raise AuditError(f"{paths[0]}: no ranking task with logged samples (run with --log_samples)")
    if pretrained is None:
        if len(models) != 1 or None in models:
            raise AuditError(f"{paths[0]}: results name {len(models)} models; pass --model_args pretrained=CKPT")
        pretrained = next(iter(models))
    if scorer is None:
        if not Path(str(pretrained)).expanduser().exists():
            raise AuditError(f"{pretrained}: checkpoint folder not found (pass --pretrained)")
        scorer = Float64Scorer(str(pretrained), device)
    audits = {}
    for task in tqdm(tasks, desc="audit", disable=len(tasks) < 5):
        rows = filtered_rows(read_json_lines(results.samples[task], AuditError))
        ties_half = "process_paper" in str((configs.get(task) or {}).get("process_results", ""))
        audits[task] = audit_task(task, rows, results.samples[task], float(results.results[task]["acc,none"]),
                                  ties_half, threshold, scorer)
    return {
        "threshold": threshold, "model": str(pretrained), "run_model": model_kind,
        "rule": "fragile: |s_0 - max_{i>0} s_i| <= threshold * max(1, |s_0|, |max_{i>0} s_i|); re-scored in float64",
        "files": [str(p) for p in results.files],
        "tasks": {t: asdict(a) for t, a in audits.items()},
        "groups": {g.task: asdict(g) for g in group_audits(groups, results.results, audits)},
    }


def format_markdown(report: dict) -> str:
    lines = [f"Fragile-item audit (float32 vs float64; threshold {report['threshold']:g} relative, min 1 nat). "
             "Parity accuracies are unchanged; the interval is all fragile items wrong … all right.", "",
             "| Task | n | Acc (parity) | Fragile | Flips fp32→fp64 | Acc fp64 | Interval |",
             "|---|---:|---:|---:|---:|---:|---|"]
    if report.get("run_model") not in (None, "classit-hf", "classit"):
        lines.insert(1, f"Note: the run used --model {report['run_model']}; the float64 scores follow the BabyLM 2025 "
                        "rule (classit-hf's tokens), so a flip may also reflect the two models' different tokens.")
    rows = [*report["groups"].values(), *report["tasks"].values()]
    for r in rows:
        lines.append(f"| {r['task']} | {r['n']} | {100 * r['acc']:.2f} | {r['fragile']} | {r['flips']} | "
                     f"{100 * r['acc_fp64']:.2f} | [{100 * r['low']:.2f}, {100 * r['high']:.2f}] |")
    return "\n".join(lines)


def write_report(report: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / "audit.json", out_dir / "audit.md")
    write_files([(path, [text]) for path, text in zip(paths, (json.dumps(report, indent=1),
                                                              format_markdown(report) + "\n"))])
    return paths


def _pretrained_of(model_args: str | None) -> str | None:
    """The checkpoint named by ``--model_args pretrained=CKPT`` (None: the run's own)."""
    if not model_args:
        return None
    from classit_tasks.harness import parse_args_string

    args = parse_args_string(model_args)
    unknown = sorted(set(args) - MODEL_ARGS)
    if unknown:
        raise UsageError(f"--model_args: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(MODEL_ARGS))})")
    return str(args["pretrained"]) if args.get("pretrained") else None


@AUDIT.entry
def main(argv: list[str] | None = None) -> int:
    p = AUDIT.parser("Re-score near-tied ranking items in float64 and report how many could flip (the parity "
                     "numbers are not changed).")
    p.add_argument("results", nargs="+", help="lm-eval results file(s) or folder(s) of a run with --log_samples")
    p.add_argument("--model_args", default=None, metavar="pretrained=CKPT",
                   help="checkpoint to re-score with (default: the run's pretrained=)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help=f"relative closeness of the gold and best other score (default {DEFAULT_THRESHOLD:g})")
    p.add_argument("--device", default="cpu")
    p.add_argument("--output_path", type=Path, default=None, help="folder for audit.json and audit.md")
    alias(p, "--model_args", "--pretrained", value=lambda checkpoint: f"pretrained={checkpoint}")
    args = p.parse_args(argv)
    if not args.threshold >= 0:
        raise UsageError(f"--threshold must be >= 0, got {args.threshold}")
    report = run_audit([Path(x) for x in args.results], _pretrained_of(args.model_args), args.threshold, args.device)
    print(format_markdown(report))
    if args.output_path:
        for path in write_report(report, args.output_path):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
