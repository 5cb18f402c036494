"""classit-eval report --data_map: the training run's data map is copied into the report and linked from it."""

from __future__ import annotations

from classit_tasks.report.build import Report
from classit_tasks.report.cli import report_main
from classit_tasks.report.data_map_link import attach_data_map

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def test_attach_data_map(tmp_path):
    folder = tmp_path / "run" / "data_map"
    folder.mkdir(parents=True)
    (folder / "data_map.png").write_bytes(PNG)
    (folder / "regions.md").write_text("| stage | source | examples | easy | ambiguous | hard |\n")
    out = tmp_path / "report"
    (out / "img").mkdir(parents=True)
    (out / "report.md").write_text("# report\n")
    (out / "report.html").write_text("<html><body>\n<h1>r</h1>\n</body></html>\n")
    report = Report("# report\n", out / "report.md", out / "report.html", out / "report.json", [])
    attach_data_map(report, folder)
    assert (out / "img" / "data_map.png").read_bytes() == PNG
    md = (out / "report.md").read_text()
    assert "![data map](img/data_map.png)" in md and "| stage | source |" in md
    page = (out / "report.html").read_text()
    assert page.index("Data map of the training data") < page.index("</body>") and "base64," in page


def test_missing_data_map_fails_before_writing(tmp_path, capsys):
    out = tmp_path / "report"
    assert report_main([str(tmp_path / "results.json"), "--output_path", str(out), "--data_map", str(tmp_path / "none")]) != 0
    assert "--data_map" in capsys.readouterr().err and not out.exists()
