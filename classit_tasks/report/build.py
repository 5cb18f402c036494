"""Build a report for one or more runs: Markdown tables, PNG figures, a self-contained HTML page, a JSON dump."""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from classit_tasks.leaderboard import leaderboard
from classit_tasks.report import plots, render
from classit_tasks.report.growth import Pace, pace, pick_axis
from classit_tasks.report.load import Run
from classit_tasks.report.scores import Score, Scorer, Settings, ability_scores, table_rows
from classit_tasks.report.series_report import series_report

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


@dataclass
class _Scores:
    """Everything computed for the runs: table rows (all depths) and abilities, keyed by run label."""

    rows: dict[str, list[Score]]
    abilities: dict[str, list[tuple[str, Score]]]

    def top(self, label: str) -> list[Score]:
        return [s for s in self.rows[label] if s.depth == 0]

    def families(self) -> list[str]:
        return list(dict.fromkeys(f for rows in self.abilities.values() for f, _ in rows))


@dataclass
class _Growth:
    images: list[tuple[str, Path]] = field(default_factory=list)
    paces: list[tuple[str, list[Pace], list[str]]] = field(default_factory=list)  # (series, paces, checkpoints)
    notes: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[list[str]]]] = field(default_factory=list)  # (heading, table): sweep series
    data: dict = field(default_factory=dict)  # report.json's "series" (sweeps)
    extra_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # run label -> leaderboard extras (AoA)


def series_of(run: Run) -> str:
    """Checkpoints of one training run share a series: the folder holding the checkpoint folders."""
    if run.model_path:
        parent = Path(run.model_path.rstrip("/")).parent.name
        if parent:
            return parent
    return run.folder.parent.name or "run"


def build_report(runs: list[Run], options: ReportOptions) -> Report:
    out = Path(options.out_dir)
    img = out / "img"
    img.mkdir(parents=True, exist_ok=True)
    scores = _score(runs, options.settings)
    sweep = bool(runs) and all(r.sweep is not None for r in runs)
    # a sweep's bars compare the last checkpoint of each branch (bars of every checkpoint would be unreadable)
    images = _bar_figures(_branch_ends(runs) if sweep else runs, scores, img)
    if sweep:  # branch-aware series, pace, forgetting, margins
        found = series_report(runs, {r.label: scores.top(r.label) for r in runs}, scores.abilities,
                              options.settings, img, options.axis)
        growth = _Growth(found.images, [], found.notes, found.sections, found.data)
        _add_aoa(runs, growth, out, img)
    else:
        growth = _growth(runs, scores, options.axis, img)
    images += growth.images

    intro = (f"Scores ×100 (accuracy points, ρ×100); 95% bootstrap percentile CIs over items "
             f"({options.settings.iters} resamples, seed {options.settings.seed}; groups: unweighted mean of their "
             "subtasks, resampled within each subtask).")
    markdown_text = _markdown(runs, scores, growth, images, options, intro)
    markdown_path = out / "report.md"
    markdown_path.write_text(markdown_text, encoding="utf-8")
    html_path = None
    if options.html:
        html_path = out / "report.html"
        html_path.write_text(_html(runs, scores, growth, images, options.title, intro), encoding="utf-8")
    json_path = out / "report.json"
    json_path.write_text(json.dumps(_clean(_json(runs, scores, growth, options.settings)), indent=2, default=str),
                         encoding="utf-8")
    return Report(markdown_text, markdown_path, html_path, json_path, [p for _, p in images])


def _add_aoa(runs: list[Run], growth: _Growth, out: Path, img: Path) -> None:
    """Age of acquisition (report/aoa.py) when the sweep evaluated ``classit_aoa``: a table per series, the figures,
    ``aoa.json`` beside the report, and r×100 as the AoA entry of each series' last checkpoint's leaderboard."""
    from classit_tasks.artifacts.sweep_folder import sweep_folder_of
    from classit_tasks.report.aoa import TASK, aoa_summary, write_outputs
    from classit_tasks.report.errors import ReportInputError
    from classit_tasks.tasks.aoa import LEADERBOARD_KEY

    if not any(TASK in (r.sweep.get("tasks_complete") or []) for r in runs):
        return
    sweep_dir = sweep_folder_of(runs[0].results_files[0])
    try:
        summary = aoa_summary(sweep_dir)
    except ReportInputError as err:
        growth.notes.append(f"AoA not computed: {err}")
        return
    written = write_outputs(summary, img)
    (img / "aoa.json").replace(out / "aoa.json")
    growth.images += [(f"AoA: {p.stem.removeprefix('aoa_')}", p) for p in written if p.suffix == ".png"]
    rows = [["series", "checkpoints", "words with both AoAs", "Pearson r [95% CI]", "p"]]
    by_key = {r.sweep.get("key"): r.label for r in runs}
    for series in summary["series"]:
        r, ci = series["pearson_r"], series["ci95"]
        rows.append([series["branch"], str(len(series["checkpoints"])), str(series["n"]),
                     "—" if r is None else f"{r:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{r:.3f}",
                     "—" if series["p_value"] is None else f"{series['p_value']:.2g}"])
        last = by_key.get(series["checkpoints"][-1]["key"]) if series["checkpoints"] else None
        if last is not None:
            growth.extra_scores[last] = {LEADERBOARD_KEY: 100.0 * series["score"]}
    growth.sections.append(("Age of acquisition (Chang & Bergen 2022; BabyLM 2025 rule)", rows))
    growth.notes += [n for n in [summary.get("note"), *(f"AoA: {s['branch']}: {s['reason']}"
                                                       for s in summary.get("skipped_series", []))] if n]
    growth.data["aoa"] = {"file": "aoa.json", "series": [
        {k: s[k] for k in ("branch", "n", "pearson_r", "p_value", "ci95", "score")} for s in summary["series"]]}


def _branch_ends(runs: list[Run]) -> list[Run]:
    """The last run of each branch of a sweep (``runs`` are in the sweep's order: branch, then position)."""
    last: dict[str, Run] = {}
    for run in runs:
        last[run.sweep.get("branch") or ""] = run
    return list(last.values())


def _score(runs: list[Run], settings: Settings) -> _Scores:
    rows, abilities = {}, {}
    for run in runs:
        scorer = Scorer(run, settings)  # shared, so each leaf task is resampled once
        rows[run.label] = table_rows(run, settings, detail=True, scorer=scorer)
        abilities[run.label] = ability_scores(run, settings, scorer)
    return _Scores(rows, abilities)


def _bar_figures(runs: list[Run], scores: _Scores, img: Path) -> list[tuple[str, Path]]:
    """Per-task bars of all runs, then one bar figure per ability family with more than one ability."""
    images = [("Scores per task", plots.bars({r.label: scores.top(r.label) for r in runs}, img / "tasks.png",
                                             "Scores per task"))]
    for family in scores.families():
        table = {r.label: [s for f, s in scores.abilities[r.label] if f == family] for r in runs}
        if max(len(v) for v in table.values()) > 1:
            name = "abilities_" + family.lower().replace(" ", "_") + ".png"
            images.append((family, plots.bars(table, img / name, family, horizontal=True)))
    return images


def _growth(runs: list[Run], scores: _Scores, wanted_axis: str | None, img: Path) -> _Growth:
    """Growth curves of the top-level tasks and growth pace of every ability, per series of checkpoints."""
    result = _Growth()
    axis = wanted_axis if wanted_axis == "order" else pick_axis([r.position for r in runs], wanted_axis)
    if len(runs) < 2 or axis is None:
        return result

    def x_of(run: Run) -> float:
        return float(runs.index(run) + 1) if axis == "order" else float(run.position.get(axis))

    series: dict[str, list[Run]] = {}
    for run in runs:
        series.setdefault(series_of(run), []).append(run)
    if axis == "order" or all(len(members) == 1 for members in series.values()):
        series = {"runs": list(runs)}  # one series: the given order, or separately named checkpoints
    for name in list(series):
        members = sorted(series[name], key=x_of)
        if len({x_of(r) for r in members}) < len(members):  # several runs at one position: not a series
            result.notes.append(f"growth: the runs of '{name}' share a position on the {axis} axis; no growth "
                                "curve (give --positions or --x order)")
            del series[name]
        else:
            series[name] = members
    log_x = axis != "order" and all(x_of(r) > 0 for r in runs)

    curves: dict[str, dict[str, list]] = {}
    for name, members in series.items():
        for run in members:
            for s in scores.top(run.label):
                curves.setdefault(plots.key(s), {}).setdefault(name, []).append((x_of(run), s))
    if any(len(points) >= 2 for panel in curves.values() for points in panel.values()):
        result.images.append(("Growth across checkpoints", plots.growth(
            curves, AXIS_LABELS[axis], img / "growth.png", "Growth across checkpoints", log_x=log_x)))

    for name, members in series.items():
        if len(members) < 2:
            continue
        by_family: dict[str, dict[str, list]] = {}
        paces = []
        for family in scores.families():
            points_by_ability: dict[str, list] = {}
            for run in members:
                for f, s in scores.abilities[run.label]:
                    if f == family:
                        points_by_ability.setdefault(s.name, []).append((x_of(run), s))
            for ability, points in points_by_ability.items():
                if len(points) < 2:
                    continue
                by_family.setdefault(family, {})[ability] = points
                ss = [s for _, s in points]
                chance = ss[0].shown(ss[0].chance) if ss[0].chance is not None else None
                paces.append(pace(
                    f"{family}: {ability}", None if axis == "order" else [x for x, _ in points],
                    [s.shown(s.value) for s in ss], [s.shown(s.ci[0]) for s in ss], [s.shown(s.ci[1]) for s in ss],
                    chance))
        if by_family:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            result.images.append((f"Growth pace per ability ({name})", plots.growth(
                by_family, AXIS_LABELS[axis], img / f"pace_{safe}.png", f"Growth pace per ability: {name}",
                log_x=log_x, legend_each=True)))
            result.paces.append((name, paces, [r.label for r in members]))
    return result


def _markdown(runs: list[Run], scores: _Scores, growth: _Growth, images: list[tuple[str, Path]],
              options: ReportOptions, intro: str) -> str:
    md = [f"# {options.title}", "", intro, ""]
    for run in runs:
        rows = scores.rows[run.label] if options.detail else scores.top(run.label)
        where = ", ".join(f"{k} {_amount(v)}" for k in ("words", "tokens", "steps")
                          if (v := run.position.get(k)) is not None)
        md += [f"## {run.label}" + (f" ({where})" if where else ""), "", render.markdown(render.score_table(rows)), ""]
        notes = [f"{s.name}: {'; '.join(s.notes)}" for s in rows if s.notes]
        md += [f"\\* {n}  " for n in notes] + ([""] if notes else [])
        board = _board(run, growth)
        md += [leaderboard.format_markdown(board).strip(), ""] if board.any_evaluated else []
    for name, paces, labels in growth.paces:
        md += [f"## Growth pace: {name}", "", render.markdown(render.pace_table(paces, labels)), ""]
    for heading, table in growth.sections:
        md += [f"## {heading}", "", render.markdown(table), ""]
    md += [f"Note: {n}  " for n in growth.notes] + ([""] if growth.notes else [])
    md += ["## Figures", ""] + [f"![{alt}](img/{p.name})" for alt, p in images] + [""]
    return "\n".join(md)


def _html(runs: list[Run], scores: _Scores, growth: _Growth, images: list[tuple[str, Path]], title: str,
          intro: str) -> str:
    sections = [("", "".join(f'<p class="note">{html.escape(n)}</p>' for n in [intro, *growth.notes]))]
    sections.append((images[0][0], render.html_image(images[0][1], images[0][0])))
    for run in runs:
        top = render.html_table(render.score_table(scores.top(run.label)))
        full = render.html_table(render.score_table(scores.rows[run.label]))
        abilities = [s for _, s in scores.abilities[run.label]]
        body = top + f"<details><summary>all subtasks</summary>{full}</details>"
        if abilities:
            body += f"<details><summary>abilities</summary>{render.html_table(render.score_table(abilities))}</details>"
        if (board := _board(run, growth)).any_evaluated:
            body += (f"<p class=\"note\">BabyLM 2025 leaderboard aggregates ({leaderboard.NOT_EVALUATED_NOTE})</p>"
                     + render.html_table(leaderboard.table_rows(board)))
        sections.append((run.label, body))
    sections += [(alt, render.html_image(path, alt)) for alt, path in images[1:]]
    for name, paces, labels in growth.paces:
        sections.append((f"Growth pace: {name}", render.html_table(render.pace_table(paces, labels))))
    for heading, table in growth.sections:
        sections.append((heading, render.html_table(table)))
    return render.html_page(title, sections)


def _json(runs: list[Run], scores: _Scores, growth: _Growth, settings: Settings) -> dict:
    return {
        "settings": asdict(settings),
        "runs": [{"label": r.label, "files": [str(p) for p in r.results_files], "position": asdict(r.position),
                  **({"sweep": r.sweep} if r.sweep is not None else {}),
                  "rows": [_score_json(s) for s in scores.rows[r.label]],
                  "abilities": [{"family": f, **_score_json(s)} for f, s in scores.abilities[r.label]],
                  "leaderboard": leaderboard.as_json(_board(r, growth))}
                 for r in runs],
        "pace": [{"series": name, "checkpoints": labels, "abilities": [asdict(p) for p in paces]}
                 for name, paces, labels in growth.paces],
        **({"series": growth.data} if growth.data else {}),
    }


def _board(run: Run, growth: _Growth) -> leaderboard.Leaderboard:
    return leaderboard.leaderboard({"results": run.results, "group_subtasks": run.group_subtasks},
                                   growth.extra_scores.get(run.label))


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
