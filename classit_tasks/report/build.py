"""Build a report for one or more runs: Markdown tables, PNG figures, a self-contained HTML page, a JSON dump."""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from classit_tasks.report import plots, render
from classit_tasks.report.growth import Pace, pace, pick_axis
from classit_tasks.report.load import Run
from classit_tasks.report.scores import Score, Settings, Scorer, abilities, headline_metric, table_rows

AXIS_LABELS = {"words": "words seen", "tokens": "tokens seen", "steps": "training steps", "order": "checkpoint"}


@dataclass
class ReportOptions:
    out_dir: Path
    settings: Settings = field(default_factory=Settings)
    detail: bool = False  # every subgroup and leaf task in the Markdown tables (the HTML always has them)
    axis: str | None = None  # words | tokens | steps | order; default: the first all runs have
    title: str = "classit evaluation report"
    html: bool = True


@dataclass
class Report:
    markdown: str
    markdown_path: Path
    html_path: Path | None
    json_path: Path
    images: list[Path]


def series_of(run: Run) -> str:
    """Checkpoints of one training run share a series: the folder holding the checkpoint folders."""
    if run.model_path:
        parent = Path(run.model_path.rstrip("/")).parent.name
        if parent:
            return parent
    return run.folder.parent.name or "run"


def _abilities(run: Run, scorer: Scorer, settings: Settings) -> list[tuple[str, Score]]:
    out = []
    for family, ability, leaves in abilities(run):
        metric = headline_metric(run, leaves[0], settings.metric)
        if metric is not None:
            out.append((family, scorer.score(ability, leaves, metric)))
    return out


def build_report(runs: list[Run], options: ReportOptions) -> Report:
    out = Path(options.out_dir)
    img = out / "img"
    img.mkdir(parents=True, exist_ok=True)
    settings = options.settings
    detail_rows: dict[str, list[Score]] = {}
    ability_rows: dict[str, list[tuple[str, Score]]] = {}
    for run in runs:
        scorer = Scorer(run, settings)
        detail_rows[run.label] = table_rows(run, settings, detail=True, scorer=scorer)
        ability_rows[run.label] = _abilities(run, scorer, settings)
    top_rows = {label: [s for s in rows if s.depth == 0] for label, rows in detail_rows.items()}

    images: list[tuple[str, Path]] = []
    images.append(("Scores per task", plots.bars(top_rows, img / "tasks.png", "Scores per task")))
    families = list(dict.fromkeys(f for rows in ability_rows.values() for f, _ in rows))
    for family in families:
        table = {label: [s for f, s in rows if f == family] for label, rows in ability_rows.items()}
        if max(len(v) for v in table.values()) > 1:
            name = "abilities_" + family.lower().replace(" ", "_") + ".png"
            images.append((family, plots.bars(table, img / name, family, horizontal=True)))

    # growth across checkpoints
    axis = options.axis if options.axis == "order" else pick_axis([r.position for r in runs], options.axis)
    pace_sections: list[tuple[str, list[Pace], list[str]]] = []
    notes: list[str] = []
    if len(runs) >= 2 and axis is not None:
        series: dict[str, list[Run]] = {}
        for run in runs:
            series.setdefault(series_of(run), []).append(run)
        if axis == "order" or all(len(members) == 1 for members in series.values()):
            series = {"runs": list(runs)}  # one series in the given order / of separately named checkpoints
        def x_of(run: Run) -> float:
            return float(runs.index(run) + 1) if axis == "order" else float(run.position.get(axis))
        for members in series.values():
            members.sort(key=x_of)
        skipped = [name for name, members in series.items() if len({x_of(r) for r in members}) < len(members)]
        for name in skipped:  # not a checkpoint series: several runs at the same position
            notes.append(f"growth: the runs of '{name}' share a position on the {axis} axis; no growth curve "
                         "(give --positions or --x order)")
            series.pop(name)
        log_x = axis != "order" and all(x_of(r) > 0 for r in runs)
        curves: dict[str, dict[str, list]] = {}
        for name, members in series.items():
            for run in members:
                for s in top_rows[run.label]:
                    curves.setdefault(s.name, {}).setdefault(name, []).append((x_of(run), s))
        if any(len(points) >= 2 for c in curves.values() for points in c.values()):
            images.append(("Growth across checkpoints", plots.growth(
                curves, AXIS_LABELS[axis], img / "growth.png", "Growth across checkpoints", log_x=log_x)))
        for name, members in series.items():
            if len(members) < 2:
                continue
            by_family: dict[str, dict[str, list]] = {}
            paces = []
            for family in families:
                for ability in dict.fromkeys(s.name for r in members for f, s in ability_rows[r.label] if f == family):
                    points = []
                    for run in members:
                        found = [s for f, s in ability_rows[run.label] if f == family and s.name == ability]
                        if found:
                            points.append((x_of(run), found[0]))
                    if len(points) < 2:
                        continue
                    by_family.setdefault(family, {})[ability] = points
                    xs = None if axis == "order" else [x for x, _ in points]
                    ss = [s for _, s in points]
                    chance = ss[0].shown(ss[0].chance) if ss[0].chance is not None else None
                    paces.append(Pace(**{**asdict(pace(
                        ability, xs, [s.shown(s.value) for s in ss], [s.shown(s.ci[0]) for s in ss],
                        [s.shown(s.ci[1]) for s in ss], chance)), "ability": f"{family}: {ability}"}))
            if by_family:
                safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
                images.append((f"Growth pace per ability ({name})", plots.growth(
                    by_family, AXIS_LABELS[axis], img / f"pace_{safe}.png", f"Growth pace per ability: {name}",
                    log_x=log_x, legend_each=True)))
                pace_sections.append((name, paces, [r.label for r in members]))

    # Markdown
    md = [f"# {options.title}", ""]
    md.append(f"Scores ×100 (accuracy points, ρ×100); 95% bootstrap percentile CIs over items "
              f"({settings.iters} resamples, seed {settings.seed}; groups: unweighted mean of their subtasks, "
              "resampled within each subtask).")
    md.append("")
    for run in runs:
        rows = detail_rows[run.label] if options.detail else top_rows[run.label]
        where = ", ".join(f"{k} {_amount(v)}" for k in ("words", "tokens", "steps")
                          if (v := run.position.get(k)) is not None)
        md += [f"## {run.label}" + (f" ({where})" if where else ""), "", render.markdown(render.score_table(rows)), ""]
        row_notes = [f"{s.name}: {'; '.join(s.notes)}" for s in rows if s.notes]
        md += [f"\\* {n}  " for n in row_notes] + ([""] if row_notes else [])
    for name, paces, labels in pace_sections:
        md += [f"## Growth pace: {name}", "", render.markdown(render.pace_table(paces, labels)), ""]
    md += [f"Note: {n}  " for n in notes] + ([""] if notes else [])
    md += ["## Figures", ""] + [f"![{alt}](img/{p.name})" for alt, p in images] + [""]
    markdown_text = "\n".join(md)
    markdown_path = out / "report.md"
    markdown_path.write_text(markdown_text, encoding="utf-8")

    # HTML
    html_path = None
    if options.html:
        intro = "".join(f"<p class=\"note\">{html.escape(n)}</p>" for n in [md[2], *notes])
        sections = [("", intro)]
        sections.append(("Scores per task", render.html_image(images[0][1], images[0][0])))
        for run in runs:
            top = render.html_table(render.score_table(top_rows[run.label]))
            full = render.html_table(render.score_table(detail_rows[run.label]))
            ab = [s for _, s in ability_rows[run.label]]
            ab_table = render.html_table(render.score_table(ab)) if ab else ""
            sections.append((run.label, top + f"<details><summary>all subtasks</summary>{full}</details>"
                             + (f"<details><summary>abilities</summary>{ab_table}</details>" if ab else "")))
        for alt, path in images[1:]:
            sections.append((alt, render.html_image(path, alt)))
        for name, paces, labels in pace_sections:
            sections.append((f"Growth pace: {name}", render.html_table(render.pace_table(paces, labels))))
        html_path = out / "report.html"
        html_path.write_text(render.html_page(options.title, sections), encoding="utf-8")

    json_path = out / "report.json"
    json_path.write_text(json.dumps(_clean({
        "settings": asdict(settings),
        "runs": [{"label": r.label, "files": [str(p) for p in r.results_files], "position": asdict(r.position),
                  "rows": [_score_json(s) for s in detail_rows[r.label]],
                  "abilities": [{"family": f, **_score_json(s)} for f, s in ability_rows[r.label]]} for r in runs],
        "pace": [{"series": name, "checkpoints": labels, "abilities": [asdict(p) for p in paces]}
                 for name, paces, labels in pace_sections],
    }), indent=2, default=str), encoding="utf-8")
    return Report(markdown_text, markdown_path, html_path, json_path, [p for _, p in images])


def _score_json(s: Score) -> dict:
    return {"name": s.name, "metric": s.metric, "depth": s.depth, "subtasks": len(s.leaves), "n": s.n,
            "score": s.shown(s.value), "ci_low": s.shown(s.ci[0]), "ci_high": s.shown(s.ci[1]),
            "chance": s.shown(s.chance) if s.chance is not None else None, "notes": s.notes}


def _clean(value):
    """JSON has no NaN: undefined numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _amount(v: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    return f"{v:g}"
