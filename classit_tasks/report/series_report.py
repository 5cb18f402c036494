"""The growth part of a report on a sweep: curves per ability (branch-aware, stage switches marked), margins, the
pace table ranked by pace, and forgetting at every stage switch (formulas in ``series`` and docs/reports.md)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from classit_tasks.report import plots, render
from classit_tasks.report.load import Run
from classit_tasks.report.scores import Score, Settings
from classit_tasks.report.series import (Forgetting, GrowthPace, build_series, forgetting, growth_pace, margin_score,
                                         rank_paces)
from classit_tasks.tasks import families as F

AXIS_LABELS = {"words": "words seen (log scale)", "tokens": "tokens seen (log scale)", "steps": "training steps"}


@dataclass
class SeriesReport:
    images: list[tuple[str, Path]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[list[str]]]] = field(default_factory=list)  # (heading, table)
    data: dict = field(default_factory=dict)


def _amount(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(v) >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.3g}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name.lower())


def series_report(runs: list[Run], top: dict[str, list[Score]], abilities: dict[str, list[tuple[str, Score]]],
                  settings: Settings, img: Path, axis: str | None = None, alpha: float = 0.05) -> SeriesReport:
    """Growth curves, margins, pace and forgetting of a sweep's runs (``top``/``abilities`` keyed by run label)."""
    out = SeriesReport()
    axis = axis if axis in AXIS_LABELS else next(
        (a for a in ("words", "tokens", "steps") if all(r.position.get(a) is not None for r in runs)), None)
    if axis is None:
        out.notes.append("growth: the checkpoints share no position axis (words, tokens or steps); no curves")
        return out
    series, notes = build_series(runs, axis)
    out.notes += notes
    series = [s for s in series if len(s.runs) >= 2]
    if not series:
        out.notes.append("growth: no series with two or more checkpoints; no curves")
        return out
    log_x = all(x > 0 for s in series for x in s.x)
    label = AXIS_LABELS[axis] if log_x else AXIS_LABELS[axis].replace(" (log scale)", "")
    colors = {s.name: plots.COLORS[i % len(plots.COLORS)] for i, s in enumerate(series)}
    marks = {s.name: [s.x[w.index] for w in s.switches] for s in series}
    out.sections.append(("Series", [["series", "checkpoints", f"{axis} from", "to", "stage switches"]] + [
        [s.name, str(len(s.runs)), _amount(s.x[0]), _amount(s.x[-1]),
         "; ".join(f"{w.label} at {_amount(s.x[w.index])}" for w in s.switches) or "none"] for s in series]))

    # ---- curves: top-level tasks, then one figure per ability family; margins for choice tasks
    curves: dict[str, dict[str, list]] = {}
    for s in series:
        for x, run in zip(s.x, s.runs):
            for score in top[run.label]:
                curves.setdefault(plots.key(score), {}).setdefault(s.name, []).append((x, score))
    curves = _scored(curves)
    title_note = "; dotted: stage switches" if any(marks.values()) else ""
    out.images.append(("Growth across checkpoints", plots.growth(
        curves, label, img / "growth.png", "Growth across checkpoints" + title_note, log_x=log_x, marks=marks,
        colors=colors)))
    families = list(dict.fromkeys(f for rows in abilities.values() for f, _ in rows))
    ability_sets: list[tuple[str, str, list[str], str]] = []
    seen_sets = set()
    for rows in abilities.values():
        for family, score in rows:
            if (family, score.name) not in seen_sets:
                seen_sets.add((family, score.name))
                ability_sets.append((family, score.name, score.leaves, score.metric))
    margin_json: dict = {}
    for family in families:
        panel: dict[str, dict[str, list]] = {}
        margins: dict[str, dict[str, list]] = {}
        for s in series:
            for x, run in zip(s.x, s.runs):
                for f, score in abilities[run.label]:
                    if f != family:
                        continue
                    panel.setdefault(score.name, {}).setdefault(s.name, []).append((x, score))
                    if family in F.margin_abilities():
                        m = margin_score(run, score.name, score.leaves, settings)
                        if m is not None:
                            margins.setdefault(score.name, {}).setdefault(s.name, []).append((x, m))
        panel = _scored(panel)
        if not any(len(points) >= 2 for p in panel.values() for points in p.values()):
            continue
        out.images.append((f"Growth: {family}", plots.growth(
            panel, label, img / f"growth_{_safe(family)}.png", f"Growth per ability: {family}{title_note}",
            log_x=log_x, marks=marks, colors=colors)))
        if margins:
            out.images.append((f"Margin: {family}", plots.growth(
                margins, label, img / f"margin_{_safe(family)}.png",
                f"Margin log p(correct) − max log p(wrong), nats: {family}{title_note}", log_x=log_x, marks=marks,
                colors=colors, y_label="nats")))
            margin_json[family] = {ability: {name: [{"x": x, "margin": m.value, "ci_low": m.ci[0],
                                                     "ci_high": m.ci[1], "n": m.n} for x, m in pts]
                                             for name, pts in by_series.items()}
                                   for ability, by_series in margins.items()}

    # ---- pace per series, ranked
    pace_json, forgetting_json = [], []
    for s in series:
        paces: list[GrowthPace] = []
        for family, ability, _, _ in ability_sets:
            points = [(x, score) for x, run in zip(s.x, s.runs) for f, score in abilities[run.label]
                      if f == family and score.name == ability]
            if len(points) == len(s.runs) and all(math.isfinite(sc.value) for _, sc in points):
                paces.append(growth_pace(family, ability, [x for x, _ in points], [sc for _, sc in points]))
        ranked = rank_paces(paces)
        if ranked:
            out.sections.append((f"Growth pace: {s.name} (ranked, fastest first)", _pace_table(ranked, axis)))
            pace_json.append({"series": s.name, "axis": axis, "checkpoints": [r.label for r in s.runs],
                              "x": s.x, "abilities": [asdict(p) for p in ranked]})
        for result in forgetting(s, ability_sets, settings, alpha):
            key = (result.before, result.after)
            if any((f["before"], f["after"]) == key for f in forgetting_json):
                continue  # a switch shared by two series (the base's own stages) is tested once
            out.sections.append((f"Forgetting at {result.switch} ({result.before} vs {result.after})",
                                 _forgetting_table(result, alpha)))
            forgetting_json.append({"series": s.name, "switch": result.switch, "before": result.before,
                                    "after": result.after, "alpha": alpha,
                                    "forgotten": [r.task for r in result.forgotten],
                                    "abilities": [asdict(r) for r in result.rows]})
    out.data = {"axis": axis, "series": [{"name": s.name, "checkpoints": [r.label for r in s.runs], "x": s.x,
                                          "switches": [{"after_index": w.index, "label": w.label,
                                                        "x": s.x[w.index]} for w in s.switches]} for s in series],
                "pace": pace_json, "forgetting": forgetting_json, "margin": margin_json}
    return out


def _scored(curves: dict[str, dict[str, list]]) -> dict[str, dict[str, list]]:
    """Panels with at least one score (a task that was not evaluated, e.g. a missing data file, has none)."""
    return {name: by_series for name, by_series in curves.items()
            if any(math.isfinite(score.value) for points in by_series.values() for _, score in points)}


def _pace_table(paces: list[GrowthPace], axis: str) -> list[list[str]]:
    unit = {"words": "words", "tokens": "tokens", "steps": "steps"}[axis]
    rows = [["rank", "ability", "reference", "final", "gain", f"{unit} to 50%", f"{unit} to 90%",
             "slope (points/10x)", "plateau from"]]
    for p in paces:
        w50 = ("≤" if p.first_reached_50 else "") + _amount(p.words_50)
        rows.append([str(p.rank), f"{p.family}: {p.ability}", render.fmt(p.reference), render.fmt(p.final),
                     render.fmt(p.gain), w50, ("≤" if p.first_reached_90 else "") + _amount(p.words_90),
                     render.fmt(p.slope),
                     _amount(p.plateau) if p.plateau is not None else "not yet"])
    return rows


def _forgetting_table(result: Forgetting, alpha: float) -> list[list[str]]:
    rows = [["ability", "n", "before", "after", "diff", "95% CI", "p", "p (Holm)", "test", "verdict"]]
    for r in sorted(result.rows, key=lambda r: r.diff):
        significant = r.p_holm is not None and math.isfinite(r.p_holm) and r.p_holm < alpha
        verdict = "FORGETTING" if r.regression else ("gain" if significant and r.diff > 0 else "")
        rows.append([r.task, str(r.n), render.fmt(r.baseline), render.fmt(r.candidate), f"{r.diff:+.2f}",
                     f"[{render.fmt(r.ci_low)}, {render.fmt(r.ci_high)}]", render.fmt_p(r.p_value),
                     render.fmt_p(r.p_holm), r.test, verdict])
    return rows
