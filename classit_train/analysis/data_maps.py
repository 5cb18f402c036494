"""Data maps of instruction data (Dataset Cartography, Swayamdipta et al., EMNLP 2020).

From a run's recorded training dynamics (:mod:`classit_train.analysis.dynamics`), for every example i over the E
epochs in which it was trained, with p_e(i) its per-epoch reply probability (the geometric mean of its reply tokens'
probabilities by default, ``--probability mean`` for the arithmetic mean):

    confidence(i)  = (1/E) * sum_e p_e(i)                          (mean)
    variability(i) = sqrt((1/E) * sum_e (p_e(i) - confidence(i))^2)  (population standard deviation)
    correctness(i) = (1/E) * sum_e g_e(i)                          g_e: fraction of reply tokens predicted greedily

For single-token replies these are exactly the paper's quantities (its correctness counts correct epochs; ours
is that count divided by E). Regions, per stage: the ``ambiguous`` third is the examples of highest variability;
of the rest, those with confidence at or above the rest's median are ``easy`` (easy-to-learn), the others ``hard``
(hard-to-learn). Ranks break ties by example id, so regions are reproducible.

``classit-train data map RUN_DIR`` writes ``RUN_DIR/data_map/`` (or ``--output_path``): ``coordinates.jsonl`` (one
row per example and stage, keyed by the stable id), ``regions.md``/``regions.json`` (region sizes per stage and
source) and ``data_map.png`` (one panel per stage and source, coloured by correctness, regions marked).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checkpoints.ownership import claim, publish_dir, remove_if_owned
from ..errors import DataError
from ..files import write_json_atomic
from .dynamics import DYNAMICS_FILE, Dynamics, read_dynamics

logger = logging.getLogger(__name__)

REGIONS = ("easy", "ambiguous", "hard")
AMBIGUOUS_FRACTION = 1 / 3
_STAGE_DIR = re.compile(r"^(\d+)-(.+)$")


@dataclass
class StageMap:
    stage: str
    ids: list[str]
    sources: list[str]
    confidence: np.ndarray
    variability: np.ndarray
    correctness: np.ndarray
    epochs: np.ndarray  # epochs in which each example was trained
    regions: list[str]
    variability_threshold: float  # ambiguous: variability >= this (by rank)
    confidence_threshold: float  # easy: confidence >= this among the non-ambiguous (by rank)
    num_epochs: int
    unseen: int  # examples never trained on (no reply tokens), left out


def coordinates(dyn: Dynamics, probability: str = "geometric") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(confidence, variability, correctness, epochs seen) per example; NaN where the example was never seen."""
    p = dyn.geo_prob if probability == "geometric" else dyn.mean_prob
    seen = ~np.isnan(p)
    epochs = seen.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(epochs > 0, epochs, np.nan)
        confidence = np.where(seen, p, 0.0).sum(axis=0) / n
        variability = np.sqrt(np.where(seen, (p - confidence) ** 2, 0.0).sum(axis=0) / n)
        correctness = np.where(seen, dyn.greedy, 0.0).sum(axis=0) / n
    return confidence, variability, correctness, epochs


def assign_regions(ids: list[str], confidence: np.ndarray, variability: np.ndarray,
                   ambiguous_fraction: float = AMBIGUOUS_FRACTION) -> tuple[list[str], float, float]:
    """Regions by rank (ties broken by id): top ``ambiguous_fraction`` by variability, then a median split on
    confidence. Returns (regions, variability threshold, confidence threshold)."""
    n = len(ids)
    regions = ["hard"] * n
    by_var = sorted(range(n), key=lambda i: (-variability[i], ids[i]))
    k = int(round(ambiguous_fraction * n))
    for i in by_var[:k]:
        regions[i] = "ambiguous"
    rest = sorted(by_var[k:], key=lambda i: (-confidence[i], ids[i]))
    easy = rest[: (len(rest) + 1) // 2]
    for i in easy:
        regions[i] = "easy"
    var_thr = float(variability[by_var[k - 1]]) if k else math.inf
    conf_thr = float(confidence[easy[-1]]) if easy else math.inf
    return regions, var_thr, conf_thr


def stage_map(dyn: Dynamics, probability: str = "geometric", ambiguous_fraction: float = AMBIGUOUS_FRACTION) -> StageMap:
    confidence, variability, correctness, epochs = coordinates(dyn, probability)
    keep = np.flatnonzero(epochs > 0)
    ids = [dyn.ids[i] for i in keep]
    conf, var, corr = confidence[keep], variability[keep], correctness[keep]
    regions, var_thr, conf_thr = assign_regions(ids, conf, var, ambiguous_fraction)
    return StageMap(dyn.stage, ids, [dyn.sources[i] for i in keep], conf, var, corr, epochs[keep], regions, var_thr,
                    conf_thr, dyn.num_epochs, int(len(dyn.ids) - len(keep)))


def stage_dynamics_files(run_dir: Path) -> list[Path]:
    """``<run>/<NN-stage>/training_dynamics.npz`` in stage order (or the file of one stage folder)."""
    if (run_dir / DYNAMICS_FILE).is_file():
        return [run_dir / DYNAMICS_FILE]
    if not run_dir.is_dir():
        raise DataError(str(run_dir), "no such run folder")
    found = []
    for child in run_dir.iterdir():
        match = _STAGE_DIR.match(child.name)
        if match and (child / DYNAMICS_FILE).is_file():
            found.append((int(match.group(1)), child / DYNAMICS_FILE))
    if not found:
        raise DataError(str(run_dir), f"no recorded training dynamics (no <NN-stage>/{DYNAMICS_FILE}; train with "
                                      "data.dynamics: true or `classit-train train --dynamics`)")
    return [p for _, p in sorted(found)]


def build_maps(run_dir: Path, probability: str = "geometric",
               ambiguous_fraction: float = AMBIGUOUS_FRACTION) -> tuple[list[StageMap], list[str]]:
    """Maps of every stage with at least two recorded epochs; also notes about stages left out."""
    maps, notes = [], []
    for path in stage_dynamics_files(run_dir):
        dyn = read_dynamics(path)
        if dyn.num_epochs < 2:
            notes.append(f"stage {dyn.stage}: only {dyn.num_epochs} epoch recorded (variability needs >= 2): left out")
            continue
        m = stage_map(dyn, probability, ambiguous_fraction)
        if not m.ids:
            notes.append(f"stage {dyn.stage}: no example has reply tokens: left out")
            continue
        if m.unseen:
            notes.append(f"stage {dyn.stage}: {m.unseen} example(s) without trained tokens left out")
        maps.append(m)
    if not maps:
        raise DataError(str(run_dir), "no stage has dynamics over >= 2 epochs; " + "; ".join(notes))
    return maps, notes


def region_table(maps: list[StageMap]) -> list[dict]:
    """Region sizes per stage and source (plus an ``all`` row per stage)."""
    rows = []
    for m in maps:
        for source in sorted(set(m.sources)) + ["all"]:
            regs = [r for r, s in zip(m.regions, m.sources) if source == "all" or s == source]
            counts = {r: regs.count(r) for r in REGIONS}
            rows.append({"stage": m.stage, "source": source, "examples": len(regs), **counts,
                         **{f"{r}_fraction": counts[r] / len(regs) for r in REGIONS}})
    return rows


def region_markdown(rows: list[dict]) -> str:
    head = "| stage | source | examples | easy | ambiguous | hard |\n|---|---|---:|---:|---:|---:|\n"
    body = "".join(f"| {r['stage']} | {r['source']} | {r['examples']:,} | "
                   + " | ".join(f"{r[g]:,} ({100 * r[g + '_fraction']:.1f}%)" for g in REGIONS) + " |\n" for r in rows)
    return head + body


def plot_maps(maps: list[StageMap], path: Path, max_points: int = 20000, seed: int = 0) -> None:
    """One scatter panel (x variability, y confidence, colour correctness) per stage and source, regions marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401

    panels = [(m, s) for m in maps for s in sorted(set(m.sources))]
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols + 1, 4.4 * rows + 0.4), squeeze=False, layout="constrained")
    rng = np.random.default_rng(seed)
    scatter = None
    for ax, (m, source) in zip(axes.flat, panels):
        idx = np.array([i for i, s in enumerate(m.sources) if s == source])
        if len(idx) > max_points:
            idx = np.sort(rng.choice(idx, max_points, replace=False))
        scatter = ax.scatter(m.variability[idx], m.confidence[idx], c=m.correctness[idx], cmap="coolwarm_r",
                             vmin=0, vmax=1, s=8, alpha=0.7, linewidths=0)
        xmax = max(float(m.variability.max()) * 1.05, 1e-6)
        ymax = min(1.0, max(float(m.confidence.max()) * 1.1, 1e-6))  # small models: zoom in, never beyond 1
        # Region boundaries of this stage (thresholds from all its sources).
        ax.axvline(m.variability_threshold, color="black", lw=1, ls="--")
        ax.plot([0, m.variability_threshold], [m.confidence_threshold] * 2, color="black", lw=1, ls=":")
        box = dict(boxstyle="round,pad=0.25", fc="white", alpha=0.8)
        ax.text(min(m.variability_threshold * 1.02, xmax * 0.8), ymax / 2, "ambiguous", ha="left", va="center",
                fontsize=9, bbox=box)
        ax.text(0.02, 0.97, "easy-to-learn", transform=ax.transAxes, ha="left", va="top", fontsize=9, bbox=box)
        ax.text(0.02, 0.03, "hard-to-learn", transform=ax.transAxes, ha="left", va="bottom", fontsize=9, bbox=box)
        counts = {r: sum(1 for i in np.flatnonzero(np.array(m.sources) == source) if m.regions[i] == r) for r in REGIONS}
        ax.set_title(f"{m.stage} / {source} (n={counts['easy'] + counts['ambiguous'] + counts['hard']:,}, "
                     f"{m.num_epochs} epochs)\neasy {counts['easy']:,} · ambiguous {counts['ambiguous']:,} · "
                     f"hard {counts['hard']:,}", fontsize=9)
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, ymax)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
        ax.set_xlabel("variability")
        ax.set_ylabel("confidence")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if scatter is not None:
        fig.colorbar(scatter, ax=axes.ravel().tolist(), label="correctness (greedy reply tokens)", shrink=0.8)
    fig.suptitle("Data map (Swayamdipta et al., 2020)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_data_map(run_dir: str | os.PathLike, output_path: str | os.PathLike | None = None,
                   probability: str = "geometric", ambiguous_fraction: float = AMBIGUOUS_FRACTION) -> tuple[Path, list[dict], list[str]]:
    """Compute and write a run's data map folder (atomically); returns (folder, region rows, notes)."""
    if probability not in ("geometric", "mean"):
        raise DataError("--probability", f"must be geometric or mean, got {probability!r}")
    if not 0 < ambiguous_fraction < 1:
        raise DataError("--ambiguous_fraction", f"must be between 0 and 1, got {ambiguous_fraction}")
    run_dir = Path(run_dir)
    maps, notes = build_maps(run_dir, probability, ambiguous_fraction)
    out = Path(output_path) if output_path else run_dir / "data_map"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".tmp-{out.name}")
    remove_if_owned(tmp)  # a leftover of a killed run; never a folder classit did not create
    claim(tmp)
    tmp.mkdir()
    with open(tmp / "coordinates.jsonl", "w", encoding="utf-8") as handle:
        for m in maps:
            for i in sorted(range(len(m.ids)), key=lambda i: m.ids[i]):
                handle.write(json.dumps({
                    "id": m.ids[i], "source": m.sources[i], "stage": m.stage,
                    "confidence": round(float(m.confidence[i]), 7), "variability": round(float(m.variability[i]), 7),
                    "correctness": round(float(m.correctness[i]), 7), "region": m.regions[i],
                    "epochs": int(m.epochs[i])}) + "\n")
    rows = region_table(maps)
    (tmp / "regions.md").write_text(region_markdown(rows), encoding="utf-8")
    write_json_atomic(tmp / "regions.json", {
        "run": str(run_dir), "probability": probability, "ambiguous_fraction": ambiguous_fraction,
        "paper": "Swayamdipta et al. 2020, Dataset Cartography", "notes": notes, "regions": rows,
        "stages": [{"stage": m.stage, "epochs": m.num_epochs, "examples": len(m.ids),
                    "variability_threshold": m.variability_threshold,
                    "confidence_threshold": m.confidence_threshold} for m in maps]})
    plot_maps(maps, tmp / "data_map.png")
    publish_dir(tmp, out)
    return out, rows, notes
