"""Shared helpers for the zero-shot task tests (EWoK, entity tracking, WUG).

Tiny checkpoints are built once per test process (not per module) and the classit-hf model is loaded once per
tokenizer kind. ``reference_logprob`` is an independent implementation of the BabyLM 2025 scoring rule in plain
torch, written from the rule, not from classit_tasks.scoring.model.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import torch

from tiny_models import EVAL_DATA, build_checkpoint

REPO = Path(__file__).resolve().parents[2]
TASK_DIR = REPO / "task_yamls"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@functools.lru_cache(maxsize=None)
def tiny_checkpoint(kind: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"classit-zs-{kind}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return build_checkpoint(kind, root / kind)


@functools.lru_cache(maxsize=None)
def classit_lm(kind: str):
    import classit_tasks.scoring.model  # noqa: F401  (registers classit-hf)
    from lm_eval.api.registry import get_model

    return get_model("classit-hf")(pretrained=str(tiny_checkpoint(kind)), device="cpu", batch_size=64)


@functools.lru_cache(maxsize=None)
def task_manager(data_dir: str = str(EVAL_DATA)):
    """classit's tasks only; ``data_dir`` reaches the loaders through the task metadata (simple_evaluate ignores
    its own ``metadata`` argument when it is given a TaskManager)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(TASK_DIR), include_defaults=False, metadata={"data_dir": data_dir})


def evaluate(tasks, kind="bos", limit=None, data_dir=None, log_samples=True, lm=None):
    """simple_evaluate on classit-hf with the tiny model of ``kind`` (or ``lm``); data from ``data_dir``."""
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model=lm or classit_lm(kind), tasks=list(tasks), task_manager=task_manager(str(data_dir or EVAL_DATA)),
        limit=limit, bootstrap_iters=0, log_samples=log_samples,
    )


# One parity run per tokenizer kind, shared by the EWoK, entity-tracking and WUG test modules.
PARITY_TASKS = (
    "classit_ewok_social_properties", "classit_ewok_paper_social_properties", "classit_ewok_fast_physical_dynamics",
    "classit_entity_tracking_regular_5_ops", "classit_entity_tracking_ambiref_2_ops",
    "classit_entity_tracking_move_contents_0_ops", "classit_wug_adj_nominalization",
)
PARITY_LIMIT = 6


@functools.lru_cache(maxsize=None)
def parity_run(kind: str) -> dict:
    return evaluate(PARITY_TASKS, kind, limit=PARITY_LIMIT)


class FakeLM:
    """An lm-eval LM whose log-likelihood of (context, continuation) is -len(continuation): no model, and equal
    lengths give exact ties."""

    def __new__(cls):
        from lm_eval.api.model import LM

        class _Fake(LM):
            def loglikelihood(self, requests, disable_tqdm=False):
                return [(-float(len(req.args[1])), False) for req in requests]

            def loglikelihood_rolling(self, requests, disable_tqdm=False):
                raise NotImplementedError

            def generate_until(self, requests, disable_tqdm=False):
                raise NotImplementedError

        return _Fake()


def reference_logprob(kind: str, context: str, continuation: str) -> float:
    """BabyLM 2025 rule: tokenize context+continuation once (default special tokens), sum the natural-log
    probabilities of the tokens whose character span ends after the continuation starts, never token 0."""
    model, tokenizer = _plain_model(kind)
    full = context + continuation
    enc = tokenizer(full, return_offsets_mapping=True)
    ids = torch.tensor([enc["input_ids"]])
    offsets = enc["offset_mapping"]
    start = len(context) + offsets[0][0]
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    total = 0.0
    for t in range(1, ids.shape[1]):
        if offsets[t][1] > start:
            total += float(logprobs[t - 1, ids[0, t]])
    return total


@functools.lru_cache(maxsize=None)
def _plain_model(kind: str):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tiny_checkpoint(kind)
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(path)


def sample_logliks(samples: list[dict]) -> list[tuple[int, list[tuple[str, str]], list[float]]]:
    """(doc_id, request arguments, log-likelihoods) of each logged sample."""
    out = []
    for s in samples:
        args = [tuple(a) for a in s["arguments"]] if isinstance(s["arguments"], list) else None
        if args is None:  # lm-eval stores {"gen_args_0": {"arg_0": ctx, "arg_1": cont}, ...}
            args = [(v["arg_0"], v["arg_1"]) for v in s["arguments"].values()]
        lls = [float(r[0][0]) if isinstance(r[0], (list, tuple)) else float(r[0]) for r in s["resps"]]
        out.append((s["doc_id"], args, lls))
    return out
