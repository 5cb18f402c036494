"""Map-driven curricula: a stage keeps only the examples a data map from an earlier run selects.

A stage's ``select`` names the map (``coordinates.jsonl`` written by ``classit-train data map``, or its folder) and
what to keep, by region and/or by percentile of one coordinate::

    stages:
      - name: ambiguous_first
        sources: [{source: switchboard}, {source: simple_wiki}]
        select: {map: runs/map/data_map, regions: [ambiguous]}
      - name: then_easy
        sources: [{source: switchboard}, {source: simple_wiki}]
        select: {map: runs/map/data_map, regions: [easy]}
      - name: drop_hardest_10
        sources: [{source: switchboard}, {source: simple_wiki}]
        select: {map: runs/map/data_map, by: confidence, percentiles: [10, 100]}

Selections go by stable example id (never by position), so the same config and map always select the same
examples; each selection is logged and written to ``<output_dir>/selections/<NN-stage>.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import ConfigError, DataError
from ..files import expand_vars, read_lines, write_json_atomic
from ..schema import from_dict

logger = logging.getLogger(__name__)

REGIONS = ("easy", "ambiguous", "hard")
COORDINATES = ("confidence", "variability", "correctness")
COORDINATES_FILE = "coordinates.jsonl"


@dataclass
class SelectSpec:
    map: str
    stage: str | None = None  # which stage of the map (required when the map holds several)
    regions: list[str] = field(default_factory=list)
    by: Literal["confidence", "variability", "correctness"] | None = None
    percentiles: list[float] = field(default_factory=list)  # [low, high]: keep low <= percentile rank < high
    missing: Literal["error", "keep", "drop"] = "error"  # stage examples the map does not cover


def parse_select(data: dict, where: str) -> SelectSpec:
    """Validate a stage's ``select`` mapping."""

    spec = from_dict(SelectSpec, data, where)
    for i, region in enumerate(spec.regions):
        if region not in REGIONS:
            raise ConfigError(f"{where}.regions[{i}]", f"unknown region {region!r} (one of: {', '.join(REGIONS)})")
    if bool(spec.by) != bool(spec.percentiles):
        raise ConfigError(f"{where}.percentiles" if spec.by else f"{where}.by",
                          "`by` and `percentiles` go together (e.g. by: confidence, percentiles: [10, 100])")
    if spec.percentiles:
        lo_hi = spec.percentiles
        if len(lo_hi) != 2 or not 0 <= lo_hi[0] < lo_hi[1] <= 100:
            raise ConfigError(f"{where}.percentiles", f"expected [low, high] with 0 <= low < high <= 100, got {lo_hi}")
    if not spec.regions and not spec.by:
        raise ConfigError(where, "select needs `regions` and/or `by` + `percentiles`")
    return spec


@dataclass
class MapPoint:
    id: str
    source: str
    stage: str
    confidence: float
    variability: float
    correctness: float
    region: str


def map_file(path: str) -> Path:
    """The coordinates file a ``map`` entry names (the file itself or the folder holding it)."""
    p = Path(path)
    return p / COORDINATES_FILE if p.is_dir() else p


def read_map(path: Path) -> list[MapPoint]:
    """Read ``coordinates.jsonl``; a missing file or a malformed line is a DataError naming file and line."""
    if not path.is_file():
        raise DataError(str(path), "no data map here (write one with `classit-train data map RUN_DIR`)")
    points = []
    for lineno, line in read_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            point = MapPoint(**{k: row[k] for k in MapPoint.__dataclass_fields__})
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise DataError(f"{path}:{lineno}", f"not a data map row ({type(err).__name__}: {err})") from None
        if point.region not in REGIONS:
            raise DataError(f"{path}:{lineno}", f"field 'region': unknown region {point.region!r}")
        points.append(point)
    if not points:
        raise DataError(str(path), "the data map is empty")
    return points


def percentile_ranks(points: list[MapPoint], by: str) -> dict[str, float]:
    """Percentile rank (0 <= r < 100) of every point on coordinate ``by``; ties broken by id, so it is stable."""
    order = sorted(points, key=lambda p: (getattr(p, by), p.id))
    n = len(order)
    return {p.id: 100.0 * k / n for k, p in enumerate(order)}


def select_examples(config, stage, cache: dict[str, list], stage_index: int | None) -> dict[str, list]:
    """The stage's examples per source, filtered by ``stage.select`` (a ConfigError/DataError when it cannot)."""
    where = f"stages[{stage_index}].select" if stage_index is not None else f"stages.{stage.name}.select"
    spec = parse_select(stage.select, where)
    path = map_file(expand_vars(spec.map, f"{where}.map"))
    points = read_map(path)
    stages = sorted({p.stage for p in points})
    if spec.stage is not None:
        if spec.stage not in stages:
            raise ConfigError(f"{where}.stage", f"{path} has no stage {spec.stage!r} (stages: {', '.join(stages)})")
        points = [p for p in points if p.stage == spec.stage]
    elif len(stages) > 1:
        raise ConfigError(f"{where}.stage", f"{path} maps several stages ({', '.join(stages)}): name one")
    by_id = {p.id: p for p in points}
    ranks = percentile_ranks(points, spec.by) if spec.by else {}
    wanted = set(spec.regions)

    def keep(point: MapPoint) -> bool:
        if wanted and point.region not in wanted:
            return False
        if spec.by:
            lo, hi = spec.percentiles
            rank = ranks[point.id]
            return lo <= rank < hi or (hi == 100 and rank >= lo)
        return True

    total = sum(len(v) for v in cache.values())
    missing = [e.example_id for v in cache.values() for e in v if e.example_id not in by_id]
    if len(missing) == total:
        raise DataError(str(path), f"none of stage {stage.name!r}'s {total:,} examples is in this map (ids "
                                   f"missing, e.g. {missing[0]!r}): a map of a different data set?")
    if missing and spec.missing == "error":
        raise DataError(str(path), f"{len(missing):,} of stage {stage.name!r}'s {total:,} examples are not in this map "
                                   f"(e.g. {missing[0]!r}); set {where}.missing to keep or drop them")
    selected: dict[str, list] = {}
    for source, examples in cache.items():
        selected[source] = [e for e in examples if (keep(by_id[e.example_id]) if e.example_id in by_id
                                                    else spec.missing == "keep")]
    kept = sum(len(v) for v in selected.values())
    what = ", ".join(filter(None, [f"regions {'+'.join(spec.regions)}" if spec.regions else "",
                                   f"{spec.by} percentiles {spec.percentiles}" if spec.by else ""]))
    if kept == 0:
        raise ConfigError(where, f"selects no examples of stage {stage.name!r} ({what} is empty in {path})")
    counts = {s: len(v) for s, v in selected.items()}
    logger.info("stage %s: data map selection (%s) keeps %d of %d examples (%s) from %s", stage.name, what, kept, total,
                ", ".join(f"{s} {n}" for s, n in counts.items()), path)
    if int(os.environ.get("RANK", "0")) == 0 and stage_index is not None:
        _write_log(config, stage, stage_index, spec, path, selected, total, len(missing))
    return selected


def _write_log(config, stage, stage_index: int, spec: SelectSpec, path: Path, selected: dict[str, list],
               total: int, missing: int) -> None:
    out = Path(expand_vars(config.output_dir, "output_dir")) / "selections"
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    write_json_atomic(out / f"{stage_index + 1:02d}-{stage.name}.json", {
        "stage": stage.name, "map": str(path), "map_sha256": digest, "select": stage.select,
        "examples": total, "not_in_map": missing, "kept": {s: len(v) for s, v in selected.items()},
        "ids": sorted(e.example_id for v in selected.values() for e in v),
    })
