"""Evaluate a series of checkpoints with classit-hf, paying everything but the forward passes once.

What is built once and reused for every checkpoint:
  - lm-eval's task objects and their requests (``TaskManager.load`` and ``Task.build_all_requests`` run once per
    requested task; later evaluations only clear the responses of the same request objects);
  - the tokenized, prefix-packed rows of the requests (``ClassitLM.prepare_requests``), once per tokenizer:
    a series whose checkpoints have other tokenizers gets its rows rebuilt per tokenizer (said once);
  - the model object: the next checkpoint's weights are copied into it (``load_state_dict``-style) when its
    config and tokenizer are those of the model already loaded; otherwise a new model object is built.
Per checkpoint, only the weight loading, the forward passes and lm-eval's per-item metrics and aggregation run.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import numpy as np
import torch

from classit_tasks.errors import ClassitError
from classit_tasks.scoring.encoders import request_rule
from classit_tasks.scoring.model import DEFAULT_BATCH_ROWS, ClassitLM, Prepared
from classit_tasks.artifacts.checkpoints import Checkpoint, weight_files

log = logging.getLogger(__name__)


class WeightSwapError(ClassitError, RuntimeError):
    """The checkpoint's weights do not fit the loaded model object (a full load is needed)."""


class SweepLM(ClassitLM):
    """classit-hf that keeps prepared (tokenized, packed) requests and times its forward passes."""

    def __init__(self, *args, prepared_cache: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared_cache: dict = prepared_cache if prepared_cache is not None else {}
        self.prepare_builds = 0  # requests tokenized and packed (cache misses)
        self.prepare_reuses = 0
        self.forward_seconds = 0.0

    def prepare_requests(self, requests) -> Prepared:
        key = (self.prefix_sharing, self.max_row_tokens,
               tuple((r.task_name, request_rule(r), tuple(r.args)) for r in requests))
        cached = self.prepared_cache.get(key)
        if cached is not None:
            self.prepare_reuses += 1
            return cached
        self.prepare_builds += 1
        prepared = super().prepare_requests(requests)
        self.prepared_cache[key] = prepared
        return prepared

    def score_prepared(self, prepared: Prepared, disable_tqdm: bool = False):
        start = time.perf_counter()
        try:
            return super().score_prepared(prepared, disable_tqdm=disable_tqdm)
        finally:
            self.forward_seconds += time.perf_counter() - start


def load_weights_into(model: torch.nn.Module, files: list[Path]) -> None:
    """Copy a checkpoint's weights into ``model`` in place (tied weights may be absent from the files)."""
    state: dict[str, torch.Tensor] = {}
    for path in files:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state.update(load_file(str(path), device="cpu"))
        else:
            state.update(torch.load(path, map_location="cpu", weights_only=True))
    own = model.state_dict()
    unexpected = sorted(set(state) - set(own))
    if unexpected:
        raise WeightSwapError(f"unexpected weight {unexpected[0]}")
    loaded_ptrs = {own[k].data_ptr() for k in state}
    missing = [k for k in own if k not in state and own[k].data_ptr() not in loaded_ptrs]
    if missing:
        raise WeightSwapError(f"weight {missing[0]} missing")
    for name, tensor in state.items():
        if own[name].shape != tensor.shape:
            raise WeightSwapError(f"{name}: shape {tuple(tensor.shape)} != {tuple(own[name].shape)}")
    with torch.no_grad():
        for name, tensor in state.items():
            own[name].copy_(tensor)


class SweepEngine:
    """Evaluates (checkpoint, task) units; keeps tasks, requests, rows and the model object between them."""

    def __init__(self, task_manager, limit: float | None = None, batch_size: int | None = None,
                 device: str = "cpu", model_kwargs: dict | None = None, bootstrap_iters: int = 0,
                 dtype: str = "float32", say=print):
        self.task_manager = task_manager
        self.limit = limit
        self.batch_size = batch_size or DEFAULT_BATCH_ROWS
        self.device = device
        self.model_kwargs = dict(model_kwargs or {})
        self.bootstrap_iters = bootstrap_iters
        self.dtype = dtype
        self.say = say
        self.loaded: dict[str, dict] = {}  # requested task -> lm-eval's loaded task dict
        self.lm: SweepLM | None = None
        self._fingerprint: tuple[str, str] | None = None  # (config, tokenizer) of the loaded model object
        self._tokenizers_seen: set[str] = set()
        self.current: Checkpoint | None = None
        self.stats = {"model_builds": 0, "weight_swaps": 0, "prepare_builds": 0, "prepare_reuses": 0,
                      "forward_seconds": 0.0, "load_seconds": 0.0}

    # ---------------------------------------------------------------------------------------------- model
    def load(self, ck: Checkpoint) -> None:
        """Make ``ck``'s weights the ones the model object scores with (raises on an unloadable checkpoint)."""
        start = time.perf_counter()
        fingerprint = (ck.config_sha256, ck.tokenizer_sha256)
        swapped = False
        if self.lm is not None and fingerprint == self._fingerprint:
            try:
                load_weights_into(self.lm.model, weight_files(ck.path))
                swapped = True
            except WeightSwapError as err:
                log.info("sweep: %s: full load (%s)", ck.path, err)
        if not swapped:
            self._build(ck)
        self.lm.model.config._name_or_path = str(ck.path)
        self.current = ck
        self.stats["weight_swaps" if swapped else "model_builds"] += 1
        self.stats["load_seconds"] += time.perf_counter() - start

    def _build(self, ck: Checkpoint) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        cache = None
        if self.lm is not None and self._fingerprint and self._fingerprint[1] == ck.tokenizer_sha256:
            cache = self.lm.prepared_cache  # same tokenizer: the rows stay valid for a new architecture
        elif ck.tokenizer_sha256 not in self._tokenizers_seen and self._tokenizers_seen:
            self.say(f"{ck.path}: another tokenizer than the checkpoints before it; requests are "
                     "tokenized again for it (once per tokenizer)")
        self._tokenizers_seen.add(ck.tokenizer_sha256)
        self._release()
        dtype = getattr(torch, self.dtype)
        model = AutoModelForCausalLM.from_pretrained(str(ck.path), dtype=dtype).to(self.device).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(ck.path))
        self.lm = SweepLM(pretrained=model, tokenizer=tokenizer, batch_size=self.batch_size, prepared_cache=cache,
                          **self.model_kwargs)
        self._fingerprint = (ck.config_sha256, ck.tokenizer_sha256)

    def _release(self) -> None:
        if self.lm is not None:
            self._collect()
            self.lm = None
            self._fingerprint = None

    def _collect(self) -> None:
        lm = self.lm
        self.stats["prepare_builds"] += lm.prepare_builds
        self.stats["prepare_reuses"] += lm.prepare_reuses
        self.stats["forward_seconds"] += lm.forward_seconds
        lm.prepare_builds = lm.prepare_reuses = 0
        lm.forward_seconds = 0.0

    def totals(self) -> dict:
        if self.lm is not None:
            self._collect()
        return dict(self.stats)

    # ---------------------------------------------------------------------------------------------- tasks
    def tasks(self, task: str) -> dict:
        """lm-eval's loaded task dict of one requested task (built once)."""
        if task not in self.loaded:
            self.loaded[task] = self.task_manager.load([task])
        return self.loaded[task]

    def evaluate(self, task: str) -> tuple[dict, dict, float]:
        """lm-eval results (and samples) of the loaded checkpoint on one requested task; forward seconds."""
        from classit_tasks import harness

        ck, lm = self.current, self.lm
        loaded = self.tasks(task)

        def seed() -> None:  # simple_evaluate's seeds
            random.seed(0)
            np.random.seed(1234)
            torch.manual_seed(1234)

        before = lm.forward_seconds
        start = time.time()
        results = harness.evaluate_loaded(lm, loaded, self.limit, self.bootstrap_iters, seed)
        # after the first evaluation, lm-eval's request building becomes: clear the responses, keep the requests
        harness.reuse_requests(loaded)
        model_args = {"pretrained": str(ck.path), **self.model_kwargs}
        results["config"] = {"model": "classit-hf", "model_args": model_args, **lm.get_model_info(),
                             "batch_size": self.batch_size, "batch_sizes": [], "device": self.device,
                             "use_cache": None, "limit": self.limit, "bootstrap_iters": self.bootstrap_iters,
                             "gen_kwargs": None, "random_seed": 0, "numpy_seed": 1234, "torch_seed": 1234,
                             "fewshot_seed": 1234, "classit_sweep": {"weights_sha256": ck.weights_sha256,
                                                                     "task": task}}
        results["git_hash"] = None
        results["date"] = start
        harness.add_run_info(results, lm)
        samples = results.pop("samples", {}) or {}
        return results, samples, lm.forward_seconds - before


def write_lm_eval_files(results: dict, samples: dict, staging: Path, model_path: str) -> None:
    """The files ``lm_eval --output_path --log_samples`` writes (results JSON, one samples JSONL per task)."""
    from classit_tasks import harness

    harness.write_result_files(results, samples, staging, "classit-hf", {"pretrained": model_path})
