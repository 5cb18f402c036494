"""The BLiMP supplement (BabyLM 2023; part of the 2025 evaluation) and its fast set: the facts of the family.

Five files of minimal pairs scored like BLiMP (``task_yamls/blimp/_template_yaml``); the score is the unweighted
mean over the files. Read by the task YAML generator, the minimal-pair loader, the data check and the reports.
"""

from __future__ import annotations

from classit_tasks.tasks.family import Family, LeaderboardTask

# Item counts of the official 2025 release per file (collate_preds.py SUPPLEMENT_SIZES): 5,218 pairs. The fast
# set holds 50 pairs per file.
COUNTS = {
    "hypernym": 842, "qa_congruence_easy": 64, "qa_congruence_tricky": 165, "subject_aux_inversion": 3867,
    "turn_taking": 280,
}
FAST_COUNT = 50
SUBSETS = tuple(COUNTS)

# task-name suffix -> data folder
VARIANTS = {"": "supplement_filtered", "_fast": "supplement_fast"}
EXPECTED_COUNTS = {"supplement_filtered": COUNTS, "supplement_fast": {s: FAST_COUNT for s in COUNTS}}

GROUP = "classit_blimp_supplement"
FAST_GROUP = "classit_blimp_supplement_fast"
METRICS = ("acc", "acc_ties_half", "ties")
CHANCE = 0.5


def leaf(subset: str, suffix: str = "") -> str:
    return f"classit_supplement{suffix}_{subset}"


def group(suffix: str = "") -> str:
    return f"{GROUP}{suffix}"


ABILITY = "BLiMP supplement"

FAMILY = Family(
    name="supplement",
    leaves=tuple(leaf(s, v) for v in VARIANTS for s in SUBSETS),
    metrics=METRICS,
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability=ABILITY,
    margin_abilities=(ABILITY,),
    leaderboard={"blimp_supplement": LeaderboardTask("BLiMP supplement", "nlp", (GROUP, FAST_GROUP), "acc")},
    raw_metrics=("ties",),
)

assert sum(COUNTS.values()) == 5_218
