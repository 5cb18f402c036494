"""Small COMPS-format files of the project's own sentences, written by the tests: the COMPS files are not in
../shared/data. Each line has the official fields (prefix_acceptable, prefix_unacceptable, property_phrase, id)."""

from __future__ import annotations

import json
from pathlib import Path


# (acceptable prefix, unacceptable prefix, property phrase): the project's own sentences, not COMPS items.
OWN_ITEMS = [
    ("A robin", "A pebble", "can fly over the garden."),
    ("A kettle", "A pillow", "can boil water."),
    ("A violin", "A spoon", "has four strings."),
    ("A dax is a type of owl. Therefore, a dax", "A wug is a type of chair. Therefore, a wug", "hunts at night."),
    ("A lemon", "A brick", "tastes sour."),
    ("A blicket is a kind of fish. Therefore, a blicket", "A fep is a kind of lamp. Therefore, a fep",
     "breathes through gills."),
    ("A dog", "A dog", "likes to run."),  # identical options: an exact tie
]


SIZES = {"comps_base": 7, "comps_wugs": 3, "comps_wugs_dist-before": 5, "comps_wugs_dist-in-between": 2}


def write_comps(root: Path, sizes: dict[str, int] = SIZES, extra: dict | None = None) -> Path:
    folder = root / "full_eval" / "comps"
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in sizes.items():
        with open(folder / f"{stem}.jsonl", "w", encoding="utf-8") as f:
            for i in range(n):
                a, b, p = OWN_ITEMS[i % len(OWN_ITEMS)]
                f.write(json.dumps({"prefix_acceptable": a, "prefix_unacceptable": b, "property_phrase": p,
                                    "id": i, **(extra or {})}) + "\n")
    return root
