"""Markdown tables and the self-contained HTML page of a report (images embedded as base64 PNGs)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

from classit_tasks.report.compare import Comparison
from classit_tasks.report.growth import Pace
from classit_tasks.report.scores import Score
from classit_tasks.tasks import families as F


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "—"
    return f"{p:.2g}" if p >= 1e-4 else "<1e-4"


def _task_cell(score: Score) -> str:
    name = F.short_name(score.name) if score.depth else score.name
    metric = "" if score.metric == "acc" else f" ({score.metric})"
    return "· " * score.depth + name + metric


def score_table(rows: list[Score]) -> list[list[str]]:
    """Header + rows: task, subtasks, n, score, 95% CI (display points)."""
    out = [["task", "subtasks", "n", "score", "95% CI"]]
    for s in rows:
        ci = f"[{fmt(s.shown(s.ci[0]))}, {fmt(s.shown(s.ci[1]))}]" if math.isfinite(s.ci[0]) else "—"
        note = " *" if s.notes else ""
        out.append([_task_cell(s), str(len(s.leaves)), str(s.n), fmt(s.shown(s.value)) + note, ci])
    return out


def compare_table(rows: list[Comparison], base: str, cand: str) -> list[list[str]]:
    out = [["task", "n", base, cand, "diff", "95% CI", "p", "p (Holm)", "test", "verdict"]]
    for r in rows:
        metric = "" if r.metric == "acc" else f" ({r.metric})"
        name = "· " * r.depth + (F.short_name(r.task) if r.depth else r.task) + metric
        verdict = "REGRESSION" if r.regression else ("gated" if r.gated else "")
        out.append([name, str(r.n), fmt(r.baseline), fmt(r.candidate), f"{r.diff:+.2f}",
                     f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]", fmt_p(r.p_value),
                     fmt_p(r.p_holm) if r.gated else "", r.test, verdict])
    return out


def pace_table(paces: list[Pace], checkpoints: list[str]) -> list[list[str]]:
    out = [["ability", "slope (points per 10x)", "first above chance", "plateau from", "gain (points)"]]
    for p in paces:
        first = checkpoints[p.first_above_chance] if p.first_above_chance is not None else "never"
        plateau = checkpoints[p.plateau] if p.plateau is not None else "not yet"
        out.append([p.ability, fmt(p.slope), first, plateau, fmt(p.gain)])
    return out


def markdown(table: list[list[str]]) -> str:
    header, *body = table
    numeric = [all(_is_number(row[i]) for row in body) and bool(body) for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines)


def _is_number(cell: str) -> bool:
    cell = cell.replace(" *", "").replace("+", "")
    try:
        float(cell)
        return True
    except ValueError:
        return cell == "—"


def plain(table: list[list[str]]) -> str:
    """Fixed-width text table for the terminal."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- HTML
CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.note { color: #666; font-size: 0.85em; }
details summary { cursor: pointer; color: #1f4e99; }
"""


def html_table(table: list[list[str]]) -> str:
    header, *body = table
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for row in body:
        cells = []
        for cell in row:
            cls = ' class="num"' if _is_number(cell) and cell != "—" else ""
            cells.append(f"<td{cls}>{html.escape(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def html_image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    """A whole page: ``sections`` are (heading, inner HTML)."""
    body = "\n".join(f"<h2>{html.escape(h)}</h2>\n{inner}" if h else inner for h, inner in sections)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")
