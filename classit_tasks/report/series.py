"""Training series of a sweep: branch-aware lineages, stage switches, growth pace per ability, forgetting.

Series. Every checkpoint belongs to a curriculum branch (``branch`` in its state file, else its run folder's name)
and may name the checkpoint its run started from (``parent``). A branch's series is its parent branch's series up
to and including the parent checkpoint, followed by the branch's own checkpoints, so base→merged and
base→sequential are two series that share the base's points. A parent branch gets a series of its own only when
it has checkpoints after every branching point. A *stage switch* lies between two consecutive points of a series
whose (branch, stage) differ; it is drawn at the last point before the switch.

Pace (after Song et al. 2023, "Dynamics of Instruction Tuning: Each Ability of Large Language Models Has Its Own
Growth Pace"), per ability along one series, scores y_i in display points at words x_i, reference r = the chance
level (the first checkpoint's score when the ability has none), final gain G = y_K - r:
  - words to q of the final gain (q = 50 %, 90 %): the first x where y reaches r + q G, interpolated linearly in
    log10 x between the checkpoints around the crossing (the first checkpoint's x when it is already there;
    undefined when G <= 0);
  - slope: OLS slope of y against log10 x, points per decade of words;
  - plateau start: the first checkpoint from which every later score stays within max(1 point, half the final
    95 % CI) of the final score (none while only the final point is in that band).
Abilities are ranked by words to 50 % (earlier = faster), then words to 90 %, then slope.

Forgetting: at each stage switch, the last checkpoint before it is compared with the last checkpoint of the stage
after it, per ability, with the paired tests of ``compare`` (exact McNemar / sign-flip permutation); p-values are
Holm-adjusted over the abilities of the switch; an ability *forgets* when it drops with adjusted p < alpha.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from classit_tasks.report import stats
from classit_tasks.report.compare import Comparison, compare_leaf_sets, gate
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.load import Run
from classit_tasks.report.scores import Score, Settings


# --------------------------------------------------------------------------------------------------- series
@dataclass
class Switch:
    index: int  # the switch lies between points index and index + 1 of the series
    before: str  # "branch:stage" of the segment that ends
    after: str
    end: int  # last point of the segment that starts after the switch

    @property
    def label(self) -> str:
        return f"{self.before} → {self.after}"


@dataclass
class Series:
    name: str
    runs: list[Run]
    x: list[float]
    switches: list[Switch] = field(default_factory=list)


def _segment(run: Run) -> str:
    entry = run.sweep or {}
    stage = entry.get("stage") or run.position.stage
    branch = entry.get("branch") or ""
    return f"{branch}:{stage}" if stage else branch


def _real(path: str | None) -> str:
    return os.path.realpath(path) if path else ""


def build_series(runs: list[Run], axis: str) -> tuple[list[Series], list[str]]:
    """The series of a sweep's runs on ``axis`` (words / tokens / steps), and notes on what could not be linked."""
    notes: list[str] = []
    branches: dict[str, list[Run]] = {}
    for run in runs:
        branches.setdefault((run.sweep or {}).get("branch") or "run", []).append(run)
    for name in branches:
        branches[name].sort(key=lambda r: (r.position.get(axis), (r.sweep or {}).get("global_step") or 0))
    where: dict[str, Run] = {}
    for run in runs:
        entry = run.sweep or {}
        for path in [entry.get("path"), *(entry.get("aliases") or [])]:
            if path:
                where[_real(path)] = run
    parent_of: dict[str, Run] = {}
    for name, members in branches.items():
        parent = next(((r.sweep or {}).get("parent") for r in members if (r.sweep or {}).get("parent")), None)
        if parent is None:
            continue
        found = where.get(_real(parent))
        if found is None:
            notes.append(f"series: branch '{name}' starts from {parent}, which is not in the sweep; drawn alone")
        elif (found.sweep or {}).get("branch") == name:
            notes.append(f"series: branch '{name}' names one of its own checkpoints as parent; drawn alone")
        else:
            parent_of[name] = found

    def chain(name: str, seen: tuple = ()) -> list[Run]:
        if name in seen:
            return list(branches[name])
        own = list(branches[name])
        parent = parent_of.get(name)
        if parent is None:
            return own
        up = chain((parent.sweep or {}).get("branch"), seen + (name,))
        cut = up.index(parent) + 1 if parent in up else len(up)
        return up[:cut] + own

    children = {(p.sweep or {}).get("branch") for p in parent_of.values()}
    out = []
    for name in branches:
        if name in children:
            last_branch_point = max(r.position.get(axis) for b, r in parent_of.items()
                                    if (r.sweep or {}).get("branch") == name)
            if all(r.position.get(axis) <= last_branch_point for r in branches[name]):
                continue  # every point of this branch is in its children's series
        members = chain(name)
        names = list(dict.fromkeys((r.sweep or {}).get("branch") or "run" for r in members))
        series = Series(" → ".join(names), members, [float(r.position.get(axis)) for r in members])
        segments = [_segment(r) for r in members]
        for i in range(len(members) - 1):
            if segments[i] != segments[i + 1]:
                end = i + 1
                while end + 1 < len(members) and segments[end + 1] == segments[i + 1]:
                    end += 1
                series.switches.append(Switch(i, segments[i], segments[i + 1], end))
        if len(set(series.x)) < len(series.x):
            notes.append(f"series '{series.name}': two checkpoints at one position on the {axis} axis; not drawn")
            continue
        out.append(series)
    return out, notes


# --------------------------------------------------------------------------------------------------- pace
@dataclass
class GrowthPace:
    family: str
    ability: str
    reference: float  # chance level, else the first checkpoint's score (display points)
    final: float
    gain: float  # final - reference
    words_50: float | None
    words_90: float | None
    first_reached_50: bool  # the 50 % level was reached at the first checkpoint already (words_50 is an upper bound)
    first_reached_90: bool
    slope: float  # points per decade of words
    plateau: float | None  # x where the plateau starts
    rank: int = 0


def words_to_fraction(x: list[float], y: list[float], reference: float, q: float) -> tuple[float | None, bool]:
    """First x where y reaches reference + q * (y[-1] - reference), log-linear interpolation; (None, False) when
    the final gain is not positive. The flag says the level was already reached at the first checkpoint."""
    gain = y[-1] - reference
    if not (math.isfinite(gain) and gain > 0):
        return None, False
    target = reference + q * gain
    for i, value in enumerate(y):
        if math.isfinite(value) and value >= target - 1e-12:
            if i == 0:
                return float(x[0]), True
            lx0, lx1 = math.log10(x[i - 1]), math.log10(x[i])
            y0 = y[i - 1]
            t = (target - y0) / (value - y0) if value != y0 else 1.0
            return float(10 ** (lx0 + t * (lx1 - lx0))), False
    return None, False


def growth_pace(family: str, ability: str, x: list[float], scores: list[Score]) -> GrowthPace:
    """Pace of one ability along one series (module docstring)."""
    y = [s.shown(s.value) for s in scores]
    chance = scores[0].shown(scores[0].chance) if scores[0].chance is not None else None
    reference = chance if chance is not None else y[0]
    w50, first = words_to_fraction(x, y, reference, 0.5)
    w90, first90 = words_to_fraction(x, y, reference, 0.9)
    lx, ys = np.log10(np.asarray(x, dtype=float)), np.asarray(y, dtype=float)
    ok = np.isfinite(ys)
    slope = float(np.polyfit(lx[ok], ys[ok], 1)[0]) if ok.sum() >= 2 and np.ptp(lx[ok]) > 0 else float("nan")
    plateau = None
    if len(y) >= 2 and math.isfinite(y[-1]):
        low, high = scores[-1].shown(scores[-1].ci[0]), scores[-1].shown(scores[-1].ci[1])
        band = max(1.0, (high - low) / 2 if math.isfinite(high - low) else 0.0)
        start = len(y) - 1
        while start > 0 and math.isfinite(y[start - 1]) and abs(y[start - 1] - y[-1]) <= band:
            start -= 1
        plateau = float(x[start]) if start < len(y) - 1 else None
    return GrowthPace(family, ability, reference, y[-1], y[-1] - reference, w50, w90, first, first90, slope, plateau)


def rank_paces(paces: list[GrowthPace]) -> list[GrowthPace]:
    """Fastest first: words to 50 %, then to 90 % (undefined last), then the steeper slope."""
    inf = float("inf")
    ordered = sorted(paces, key=lambda p: (p.words_50 if p.words_50 is not None else inf,
                                           p.words_90 if p.words_90 is not None else inf,
                                           -(p.slope if math.isfinite(p.slope) else -inf)))
    for i, p in enumerate(ordered, 1):
        p.rank = i
    return ordered


# --------------------------------------------------------------------------------------------------- forgetting
@dataclass
class Forgetting:
    series: str
    switch: str
    before: str  # run labels
    after: str
    rows: list[Comparison]

    @property
    def forgotten(self) -> list[Comparison]:
        return [r for r in self.rows if r.regression]


def forgetting(series: Series, abilities: list[tuple[str, str, list[str], str]], settings: Settings,
               alpha: float = 0.05) -> list[Forgetting]:
    """Paired tests per ability at every stage switch of a series (module docstring)."""
    out = []
    for switch in series.switches:
        before, after = series.runs[switch.index], series.runs[switch.end]
        sets = [(f"{family}: {ability}", leaves, metric) for family, ability, leaves, metric in abilities
                if all(t in before.items and t in after.items for t in leaves)]
        try:
            rows = compare_leaf_sets(before, after, sets, settings)
        except ReportInputError:
            continue  # different items (another --limit): nothing to test
        gate(rows, max_drop=0.0, alpha=alpha)
        out.append(Forgetting(series.name, switch.label, before.label, after.label, rows))
    return out


# --------------------------------------------------------------------------------------------------- margins
def margin_score(run: Run, name: str, leaves: list[str], settings: Settings) -> Score | None:
    """Mean margin (log p(gold) - max log p(other), nats) over items, macro over leaves, with a stratified
    bootstrap CI; None when a leaf has no per-option log-likelihoods."""
    parts = []
    for task in leaves:
        items = run.items.get(task)
        if items is None or items.margin is None or not len(items.margin):
            return None
        rng = stats.rng_for(settings.seed, "margin:" + task)
        reps = stats.bootstrap(lambda a: a.mean(axis=1), items.margin, settings.iters, rng)
        parts.append((float(items.margin.mean()), reps, items.n))
    if not parts:
        return None
    size = min(len(r) for _, r, _ in parts)
    reps = np.mean([r[:size] for _, r, _ in parts], axis=0)
    value = float(np.mean([p for p, _, _ in parts]))
    return Score(name, "margin", leaves, sum(n for _, _, n in parts), value, stats.percentile_ci(reps, settings.level),
                 chance=0.0)
