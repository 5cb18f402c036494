"""Item counts of the official BabyLM 2025 evaluation release, per data folder and file, assembled from the family
modules (each family's module holds its own counts and their sources; see ``classit_tasks.tasks.families``)."""

from classit_tasks.tasks.families import DATA_FAMILIES, expected_counts

# data folder -> {file stem: expected item count}
EXPECTED_COUNTS: dict[str, dict[str, int]] = expected_counts(DATA_FAMILIES)
