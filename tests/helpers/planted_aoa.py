"""A planted children's AoA file (the official cdi_human.csv format: word, category, one column per month 16-30),
written by the AoA tests themselves: the official children's file is not in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def bounded_share(ages, a, b, c, d):
    return a / (1 + np.exp(-b * (ages - c))) + d


CHILD_PARAMS = {  # word: (a, b, c, d) of the share of children producing it
    "early": (1.0, 0.7, 18.5, 0.0), "middle": (0.95, 0.6, 21.0, 0.01), "late": (1.0, 0.5, 24.0, 0.0),
    "later": (0.9, 0.6, 22.0, 0.02), "latest": (1.0, 0.9, 27.0, -0.01),
}


def write_children(path: Path, params: dict, extra_rows: str = "") -> Path:
    ages = np.arange(16, 31, dtype=float)
    lines = ["word,category," + ",".join(str(a) for a in range(16, 31))]
    for word, p in params.items():
        lines.append(f"{word},planted," + ",".join(f"{v:.10f}" for v in bounded_share(ages, *p)))
    path.write_text("\n".join(lines) + "\n" + extra_rows, encoding="utf-8")
    return path
