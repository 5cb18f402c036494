"""Training dynamics per example and epoch, taken from the training step's own logits (no extra forward pass).

When dynamics are on, the stage's Trainer computes the causal-LM loss itself (``compute_loss_func``, the same
cross-entropy the model would compute) and, from that per-position cross-entropy, records for every reply token t
of an example (every position with a label) ``log p(x_t | x_<t)`` and whether ``argmax = x_t``. Per example and
epoch the recorder keeps four sums -- of p, of log p, of greedy hits and of tokens -- from which it derives

* ``mean_prob``: the arithmetic mean of the reply tokens' probabilities,
* ``geo_prob``: their geometric mean, ``exp(mean log p)`` (the length-normalised probability of the reply),
* ``greedy``: the fraction of reply tokens the model predicts greedily,

the sequence-level stand-ins for "probability of the gold label" and "predicted correctly" of Dataset Cartography
(Swayamdipta et al., 2020). Sums make the recorder exact under packing (positions are attributed to examples by the
per-position ``example_index`` the collator builds, never by row), under gradient accumulation (every micro-batch
adds) and across processes (the sums are all-reduced). An example repeated within an epoch (source weight > 1)
pools its occurrences' tokens.

Per stage the result is ``<stage folder>/training_dynamics.npz`` (see :func:`write_dynamics`); the every-N-steps
checkpoints hold the partial sums, so a resumed stage continues them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.formatting import IGNORE_INDEX
from ..errors import DataError

logger = logging.getLogger(__name__)

DYNAMICS_FILE = "training_dynamics.npz"
PARTIAL_FILE = "training_dynamics_partial.npz"
FORMAT = "classit-dynamics-1"


class DynamicsRecorder:
    """Accumulates per-(epoch, example) sums of p, log p, greedy hits and tokens on the model's device."""

    def __init__(self, example_ids: list[str], example_sources: list[str], stage: str):
        self.example_ids, self.example_sources, self.stage = list(example_ids), list(example_sources), stage
        self.epoch = 0
        self.sums: torch.Tensor | None = None  # (epochs, examples, 4) float64
        self.pending_index: torch.Tensor | None = None  # the next micro-batch's per-position example index

    def _slice(self, device: torch.device) -> torch.Tensor:
        n = len(self.example_ids)
        if self.sums is None:
            self.sums = torch.zeros((0, n, 4), dtype=torch.float64, device=device)
        if self.sums.device != device:
            self.sums = self.sums.to(device)
        if self.sums.shape[0] <= self.epoch:
            grow = torch.zeros((self.epoch + 1 - self.sums.shape[0], n, 4), dtype=torch.float64, device=device)
            self.sums = torch.cat([self.sums, grow])
        return self.sums[self.epoch]

    @torch.no_grad()
    def record(self, nll: torch.Tensor, logits: torch.Tensor, shift_labels: torch.Tensor,
               example_index: torch.Tensor) -> None:
        """Add one micro-batch from its loss computation: per-position ``nll`` (0 where ignored), the ``logits``
        (positions x vocab) and the shifted labels / example index (position t predicts token t+1)."""
        mask = shift_labels != IGNORE_INDEX
        if not bool(mask.any()):
            return
        logp = -nll[mask].double()
        hits = (logits.argmax(dim=-1)[mask] == shift_labels[mask]).double()
        values = torch.stack([logp.exp(), logp, hits, torch.ones_like(logp)], dim=1)
        self._slice(values.device).index_add_(0, example_index.to(mask.device)[mask], values)

    def global_sums(self, device: torch.device | None = None) -> np.ndarray:
        """The sums over all processes (a collective call when distributed: every rank must call it)."""
        sums = self.sums if self.sums is not None else torch.zeros((0, len(self.example_ids), 4), dtype=torch.float64)
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            device = device or sums.device
            epochs = torch.tensor([sums.shape[0]], device=device)
            dist.all_reduce(epochs, op=dist.ReduceOp.MAX)  # a rank may not have opened the last epoch yet
            if sums.shape[0] < int(epochs):
                pad = torch.zeros((int(epochs) - sums.shape[0], *sums.shape[1:]), dtype=sums.dtype)
                sums = torch.cat([sums, pad.to(sums.device)])
            sums = sums.to(device).contiguous()
            dist.all_reduce(sums, op=dist.ReduceOp.SUM)
        return sums.detach().cpu().numpy()

    # -- checkpoints ---------------------------------------------------------------------------------------------
    def save_partial(self, folder: str | os.PathLike, device: torch.device, is_main: bool) -> None:
        """Write the global sums so far into a checkpoint folder (collective; rank 0 writes)."""
        sums = self.global_sums(device)
        if is_main:
            _savez_atomic(Path(folder) / PARTIAL_FILE, sums=sums, ids=np.array(self.example_ids))

    def load_partial(self, folder: str | os.PathLike, is_main: bool) -> None:
        """Continue from a checkpoint's sums (rank 0 holds them; the other ranks start from zero)."""
        path = Path(folder) / PARTIAL_FILE
        if not path.is_file():
            logger.warning("%s has no %s: the dynamics of stage %s miss the steps before it", folder, PARTIAL_FILE,
                           self.stage)
            return
        with np.load(path, allow_pickle=False) as data:
            if list(data["ids"]) != self.example_ids:
                raise DataError(str(path), "example ids differ from this stage's examples (was the config changed?)")
            if is_main:
                self.sums = torch.from_numpy(data["sums"].copy())


# ---------------------------------------------------------------------------------------------------------------
# the per-stage file


@dataclass
class Dynamics:
    """One stage's dynamics: per example (``ids``, ``sources``) and epoch (axis 0) the three measures and tokens."""

    ids: list[str]
    sources: list[str]
    stage: str
    mean_prob: np.ndarray  # (epochs, examples); NaN where the example was not seen in that epoch
    geo_prob: np.ndarray
    greedy: np.ndarray
    tokens: np.ndarray  # (epochs, examples) reply tokens counted
    meta: dict

    @property
    def num_epochs(self) -> int:
        return self.mean_prob.shape[0]


def measures(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean_prob, geo_prob, greedy, tokens) from the (epochs, examples, 4) sums."""
    tokens = sums[..., 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        seen = np.where(tokens > 0, tokens, np.nan)
        return sums[..., 0] / seen, np.exp(sums[..., 1] / seen), sums[..., 2] / seen, tokens.astype(np.int64)


def write_dynamics(folder: str | os.PathLike, recorder: DynamicsRecorder, sums: np.ndarray, meta: dict) -> Path:
    """Write ``<folder>/training_dynamics.npz`` (float32 measures, int32 token counts, ids, sources, JSON meta)."""
    mean_prob, geo_prob, greedy, tokens = measures(sums)
    meta = {"format": FORMAT, "stage": recorder.stage, "epochs": int(sums.shape[0]),
            "examples": len(recorder.example_ids), **meta}
    path = Path(folder) / DYNAMICS_FILE
    _savez_atomic(path, ids=np.array(recorder.example_ids), sources=np.array(recorder.example_sources),
                  mean_prob=mean_prob.astype(np.float32), geo_prob=geo_prob.astype(np.float32),
                  greedy=greedy.astype(np.float32), tokens=tokens.astype(np.int32), meta=np.array(json.dumps(meta)))
    return path


def read_dynamics(path: str | os.PathLike) -> Dynamics:
    """Load a ``training_dynamics.npz``; a missing or malformed file is a DataError naming it."""
    path = Path(path)
    if not path.is_file():
        raise DataError(str(path), "no training dynamics here (train with data.dynamics: true or --dynamics)")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in ("ids", "sources", "mean_prob", "geo_prob", "greedy", "tokens")}
    except (KeyError, ValueError, OSError) as err:
        raise DataError(str(path), f"not a classit training-dynamics file ({err})") from None
    if meta.get("format") != FORMAT:
        raise DataError(str(path), f"unknown dynamics format {meta.get('format')!r} (expected {FORMAT})")
    return Dynamics(ids=[str(i) for i in arrays["ids"]], sources=[str(s) for s in arrays["sources"]],
                    stage=str(meta.get("stage", "")), mean_prob=arrays["mean_prob"].astype(np.float64),
                    geo_prob=arrays["geo_prob"].astype(np.float64), greedy=arrays["greedy"].astype(np.float64),
                    tokens=arrays["tokens"], meta=meta)


def _savez_atomic(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# the trainer's side (classit_train.training.trainer gives the recorder to its Trainer and callbacks)


def stage_recorder(stage_data, stage_name: str, resume: str | os.PathLike | None, is_main: bool) -> DynamicsRecorder:
    """A recorder for this stage's examples (continuing a resumed checkpoint's sums)."""
    recorder = DynamicsRecorder(stage_data.example_ids, stage_data.example_sources, stage_name)
    if resume is not None:
        recorder.load_partial(resume, is_main)
    return recorder


def recording_loss(recorder: DynamicsRecorder):
    """The causal-LM loss (what the model computes itself: cross-entropy of the shifted labels, summed and divided
    by ``num_items_in_batch``, else the mean) that also records the dynamics of the micro-batch it is given, from
    the same per-position cross-entropy: the only extra work is an argmax over the logits."""

    def loss(outputs, labels: torch.Tensor, num_items_in_batch=None) -> torch.Tensor:
        logits = outputs["logits"] if isinstance(outputs, dict) else getattr(outputs, "logits", None)
        if logits is None:
            raise DataError("data.dynamics", "the model returned no logits; training dynamics cannot be recorded")
        flat = logits.float().view(-1, logits.shape[-1])
        shift = torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:].reshape(-1).to(flat.device)
        nll = torch.nn.functional.cross_entropy(flat, shift, ignore_index=IGNORE_INDEX, reduction="none")
        index, recorder.pending_index = recorder.pending_index, None
        if index is not None:
            owner = torch.nn.functional.pad(index, (0, 1), value=-1)[..., 1:].reshape(-1)
            recorder.record(nll.detach(), flat.detach(), shift, owner)
        if num_items_in_batch is None:
            return nll.sum() / (shift != IGNORE_INDEX).sum().clamp(min=1)
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(nll.device)
        return nll.sum() / num_items_in_batch

    return loss


def finish(recorder: DynamicsRecorder, device, folder: str | os.PathLike, is_main: bool, meta: dict) -> None:
    """Write the stage's dynamics file into ``folder`` (collective; rank 0 writes)."""
    sums = recorder.global_sums(device)
    if is_main:
        path = write_dynamics(folder, recorder, sums, meta)
        logger.info("training dynamics of %d examples over %d epoch(s) -> %s", sums.shape[1], sums.shape[0], path.name)
