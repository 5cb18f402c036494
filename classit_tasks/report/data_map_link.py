"""Link a training run's data map (``classit-train data map``) into a report: the figure and its region table.

classit_tasks does not import classit_train; this reads the files the map command writes (``data_map.png`` and
``regions.md`` in one folder) and nothing else.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from .errors import ReportInputError
from .render import html_image


def find_data_map(source: str | Path) -> tuple[Path, str]:
    """(figure, region table in Markdown) of a data map folder or figure; a ReportInputError when there is none."""
    source = Path(source)
    folder = source if source.is_dir() else source.parent
    png = folder / "data_map.png" if source.is_dir() else source
    if not png.is_file():
        raise ReportInputError(f"--data_map: {png} not found (give the folder `classit-train data map` wrote)")
    regions = folder / "regions.md"
    return png, regions.read_text(encoding="utf-8").strip() if regions.is_file() else ""


def attach_data_map(report, source: str | Path) -> Path:
    """Copy the map into ``<report>/img/data_map.png`` and append a "Data map" section to report.md (and .html)."""
    png, table = find_data_map(source)
    folder = png.parent
    target = report.markdown_path.parent / "img" / "data_map.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, target)
    section = ("\n\n## Data map of the training data\n\nConfidence, variability and correctness of every training "
               "example over the epochs (Swayamdipta et al., 2020), from "
               f"`{folder}`.\n\n![data map](img/data_map.png)\n" + (f"\n{table}\n" if table else ""))
    report.markdown += section
    report.markdown_path.write_text(report.markdown, encoding="utf-8")
    if report.html_path is not None:
        page = report.html_path.read_text(encoding="utf-8")
        block = (f"<h2>Data map of the training data</h2>\n{html_image(target, 'data map')}\n"
                 + (f"<pre>{html.escape(table)}</pre>\n" if table else ""))
        report.html_path.write_text(page.replace("\n</body>", f"\n{block}</body>", 1), encoding="utf-8")
    report.images.append(target)
    return target
