"""Figures of a report (matplotlib, no pyplot state): task bars, ability bars, growth curves, growth pace.

Every function writes one PNG and returns its path; values are on the display scale (points), whiskers are the
95% bootstrap CIs, dashed grey lines are chance levels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from classit_tasks.report.scores import Score
from classit_tasks.tasks import families as F

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def _amount(v: float) -> str:
    """Tick labels of a words / tokens axis: 50K, 2M, 1B."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    return f"{v:g}"


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _err(scores: list[Score]) -> np.ndarray:
    """Asymmetric whiskers (2, k) in display points; 0 where no CI is known."""
    low = np.array([s.shown(s.value) - s.shown(s.ci[0]) for s in scores])
    high = np.array([s.shown(s.ci[1]) - s.shown(s.value) for s in scores])
    return np.nan_to_num(np.vstack([low, high]), nan=0.0).clip(min=0)


def key(score: Score) -> str:
    """Display name of a row: the task, and its metric when that is not plain accuracy."""
    return F.short_name(score.name) + ("" if score.metric in ("acc", "score") else f" ({score.metric})")


def kind(metric: str) -> str:
    """Panels of the task-bar figure: scores on comparable scales share one."""
    if metric in ("spearman",) or metric.startswith("r_"):
        return "correlation (ρ×100)"
    if metric.startswith(("eye_tracking", "self_paced")):
        return "reading (ΔR² score)"
    return "accuracy (points)"


def _draw(ax, table: dict[str, list[Score]], names: list[str], horizontal: bool) -> None:
    m = len(table)
    width = 0.8 / max(m, 1)
    pos = np.arange(len(names))
    for j, (label, rows) in enumerate(table.items()):
        by_key = {key(s): s for s in rows}
        present = [i for i, n in enumerate(names) if n in by_key]
        scores = [by_key[names[i]] for i in present]
        where = pos[present] - 0.4 + width * (j + 0.5)
        values = [s.shown(s.value) for s in scores]
        color = COLORS[j % len(COLORS)]
        style = dict(color=color, label=label, capsize=2, error_kw={"elinewidth": 0.8})
        if horizontal:
            ax.barh(where, values, height=width, xerr=_err(scores), **style)
        else:
            ax.bar(where, values, width=width, yerr=_err(scores), **style)
    for i, name in enumerate(names):
        chance = next((s.shown(s.chance) for rows in table.values() for s in rows
                       if key(s) == name and s.chance is not None), None)
        if chance is not None:
            span = (i - 0.45, i + 0.45)
            xy = ([chance, chance], span) if horizontal else (span, [chance, chance])
            ax.plot(*xy, color="0.3", linestyle="--", linewidth=1)
    if horizontal:
        ax.set_yticks(pos, names, fontsize=8)
        ax.invert_yaxis()
    else:
        tilt = len(names) > 2 or (len(names) == 2 and max(len(n) for n in names) > 14)
        ax.set_xticks(pos, names, rotation=25 if tilt else 0, ha="right" if tilt else "center", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="x" if horizontal else "y", alpha=0.3)


def bars(table: dict[str, list[Score]], path: Path, title: str, horizontal: bool = False) -> Path:
    """Grouped bars: one group per task / ability, one bar per run, CI whiskers, chance per group. Vertical bars
    are split into panels of comparable scales (accuracy, correlation, reading ΔR²); rows without a score (tasks
    not evaluated) are left out."""
    table = {label: [s for s in rows if np.isfinite(s.value)] for label, rows in table.items()}
    names = list(dict.fromkeys(key(s) for rows in table.values() for s in rows))
    kinds = {key(s): kind(s.metric) for rows in table.values() for s in rows}
    m = len(table)
    if not names:  # every score is NaN (e.g. --allow_nan on a NaN model): an empty figure, not a crash
        fig = Figure(figsize=(5.0, 1.5))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, f"{title}: no task has a finite score", ha="center", va="center", fontsize=9)
        return _save(fig, path)
    if horizontal:
        fig = Figure(figsize=(7.5, max(3.0, 0.32 * len(names) * m + 1.2)))
        ax = fig.add_subplot()
        _draw(ax, table, names, horizontal=True)
        ax.set_xlabel("score (points; whiskers 95% bootstrap CI; dashed = chance)")
        ax.set_title(title, fontsize=10)
        if m > 1:
            ax.legend(fontsize=8, loc="best")
        return _save(fig, path)
    panels = list(dict.fromkeys(kinds[n] for n in names))
    counts = [sum(kinds[n] == p for n in names) for p in panels]
    fig = Figure(figsize=(max(5.0, 0.5 * len(names) * max(1, m) ** 0.5 + 1.5 * len(panels)), 4.2))
    grid = fig.add_gridspec(1, len(panels), width_ratios=[c + 0.6 for c in counts])
    for p, panel in enumerate(panels):
        ax = fig.add_subplot(grid[0, p])
        _draw(ax, table, [n for n in names if kinds[n] == panel], horizontal=False)
        ax.set_title(panel, fontsize=9)
    fig.suptitle(title + "  (whiskers: 95% bootstrap CI; dashed: chance)", fontsize=10)
    if m > 1:
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=min(m, 4), frameon=False,
                   bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08 if m > 1 else 0, 1, 1))
    return _save(fig, path)


def growth(
    curves: dict[str, dict[str, list[tuple[float, Score]]]], axis_label: str, path: Path, title: str,
    log_x: bool = True,
    legend_each: bool = False,
    marks: dict[str, list[float]] | None = None,
    colors: dict[str, str] | None = None,
    y_label: str = "points",
) -> Path:
    """Small multiples, one panel per task / ability: score vs position, one line (with CI band) per series.

    ``curves[panel][series] = [(x, score), ...]`` sorted by x; ``marks[series]``: positions of stage switches,
    drawn as dotted vertical lines in the series' colour (``colors[series]``, default: by order).
    """
    panels = list(curves)
    cols = min(3, len(panels))
    rows = (len(panels) + cols - 1) // cols
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows))
    for p, panel in enumerate(panels):
        ax = fig.add_subplot(rows, cols, p + 1)
        chance = None
        has_data = False
        for j, (series, points) in enumerate(curves[panel].items()):
            xs = np.array([x for x, _ in points], dtype=float)
            ys = np.array([s.shown(s.value) for _, s in points], dtype=float)
            has_data = has_data or bool(np.isfinite(ys).any())
            lo = np.array([s.shown(s.ci[0]) for _, s in points])
            hi = np.array([s.shown(s.ci[1]) for _, s in points])
            color = (colors or {}).get(series, COLORS[j % len(COLORS)])
            ax.plot(xs, ys, marker="o", markersize=3, color=color, label=series)
            for x_mark in (marks or {}).get(series, []):
                ax.axvline(x_mark, color=color, linestyle=":", linewidth=1, alpha=0.8)
            if np.isfinite(lo).all() and np.isfinite(hi).all():
                ax.fill_between(xs, lo, hi, color=color, alpha=0.15, linewidth=0)
            chance = next((s.shown(s.chance) for _, s in points if s.chance is not None), chance)
        if chance is not None:
            ax.axhline(chance, color="0.3", linestyle="--", linewidth=1)
        if not has_data:  # e.g. a task that was not evaluated: no points, and a log axis would have no range
            ax.text(0.5, 0.5, "no score", ha="center", va="center", transform=ax.transAxes, fontsize=8)
        elif log_x:
            ax.set_xscale("log")
            ax.minorticks_off()  # minor log ticks cost most of a figure's drawing time and add nothing here
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _amount(v)))
        ax.set_title(F.short_name(panel), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if p % cols == 0:
            ax.set_ylabel(y_label, fontsize=8)
        if p >= len(panels) - cols:
            ax.set_xlabel(axis_label, fontsize=8)
        if (p == 0 or legend_each) and len(curves[panel]) > 1:
            ax.legend(fontsize=7 if len(curves[panel]) <= 6 else 5, ncol=1 if len(curves[panel]) <= 6 else 2)
    fig.suptitle(title + "  (bands: 95% bootstrap CI; dashed: chance)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
