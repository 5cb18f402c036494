"""BLiMP filtered (Warstadt et al., 2020; BabyLM 2025 release) and its fast set: the facts of the family.

Read by the task YAML generator (``python -m classit_tasks.tasks.yamls``), the minimal-pair loader
(``classit_tasks.tasks.loaders``), the data check and the reports. Scoring is the shared minimal-pair rule
(``task_yamls/blimp/_template_yaml``).
"""

from __future__ import annotations

from typing import Mapping

from classit_tasks.tasks.family import Family, LeaderboardTask, ability_label

# paradigm -> (field, linguistics_term), as the BLiMP release writes them in blimp_filtered (one paradigm,
# principle_A_case_2, spells its field "syntax/semantics").
PARADIGMS = {
    "adjunct_island": ("syntax", "island_effects"),
    "anaphor_gender_agreement": ("morphology", "anaphor_agreement"),
    "anaphor_number_agreement": ("morphology", "anaphor_agreement"),
    "animate_subject_passive": ("syntax", "s-selection"),
    "animate_subject_trans": ("syntax", "s-selection"),
    "causative": ("syntax", "argument_structure"),
    "complex_NP_island": ("syntax", "island_effects"),
    "coordinate_structure_constraint_complex_left_branch": ("syntax", "island_effects"),
    "coordinate_structure_constraint_object_extraction": ("syntax", "island_effects"),
    "determiner_noun_agreement_1": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_2": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_irregular_1": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_irregular_2": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_with_adj_2": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_with_adj_irregular_1": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_with_adj_irregular_2": ("morphology", "determiner_noun_agreement"),
    "determiner_noun_agreement_with_adjective_1": ("morphology", "determiner_noun_agreement"),
    "distractor_agreement_relational_noun": ("morphology", "subject_verb_agreement"),
    "distractor_agreement_relative_clause": ("morphology", "subject_verb_agreement"),
    "drop_argument": ("syntax", "argument_structure"),
    "ellipsis_n_bar_1": ("syntax", "ellipsis"),
    "ellipsis_n_bar_2": ("syntax", "ellipsis"),
    "existential_there_object_raising": ("syntax_semantics", "control_raising"),
    "existential_there_quantifiers_1": ("semantics", "quantifiers"),
    "existential_there_quantifiers_2": ("semantics", "quantifiers"),
    "existential_there_subject_raising": ("syntax_semantics", "control_raising"),
    "expletive_it_object_raising": ("syntax_semantics", "control_raising"),
    "inchoative": ("syntax", "argument_structure"),
    "intransitive": ("syntax", "argument_structure"),
    "irregular_past_participle_adjectives": ("morphology", "irregular_forms"),
    "irregular_past_participle_verbs": ("morphology", "irregular_forms"),
    "irregular_plural_subject_verb_agreement_1": ("morphology", "subject_verb_agreement"),
    "irregular_plural_subject_verb_agreement_2": ("morphology", "subject_verb_agreement"),
    "left_branch_island_echo_question": ("syntax", "island_effects"),
    "left_branch_island_simple_question": ("syntax", "island_effects"),
    "matrix_question_npi_licensor_present": ("semantics", "npi_licensing"),
    "npi_present_1": ("semantics", "npi_licensing"),
    "npi_present_2": ("semantics", "npi_licensing"),
    "only_npi_licensor_present": ("semantics", "npi_licensing"),
    "only_npi_scope": ("syntax_semantics", "npi_licensing"),
    "passive_1": ("syntax", "argument_structure"),
    "passive_2": ("syntax", "argument_structure"),
    "principle_A_c_command": ("syntax_semantics", "binding"),
    "principle_A_case_1": ("syntax_semantics", "binding"),
    "principle_A_case_2": ("syntax/semantics", "binding"),
    "principle_A_domain_1": ("syntax_semantics", "binding"),
    "principle_A_domain_2": ("syntax_semantics", "binding"),
    "principle_A_domain_3": ("syntax_semantics", "binding"),
    "principle_A_reconstruction": ("syntax_semantics", "binding"),
    "regular_plural_subject_verb_agreement_1": ("morphology", "subject_verb_agreement"),
    "regular_plural_subject_verb_agreement_2": ("morphology", "subject_verb_agreement"),
    "sentential_negation_npi_licensor_present": ("semantics", "npi_licensing"),
    "sentential_negation_npi_scope": ("syntax_semantics", "npi_licensing"),
    "sentential_subject_island": ("syntax", "island_effects"),
    "superlative_quantifiers_1": ("semantics", "quantifiers"),
    "superlative_quantifiers_2": ("semantics", "quantifiers"),
    "tough_vs_raising_1": ("syntax_semantics", "control_raising"),
    "tough_vs_raising_2": ("syntax_semantics", "control_raising"),
    "transitive": ("syntax", "argument_structure"),
    "wh_island": ("syntax", "island_effects"),
    "wh_questions_object_gap": ("syntax", "filler_gap_dependency"),
    "wh_questions_subject_gap": ("syntax", "filler_gap_dependency"),
    "wh_questions_subject_gap_long_distance": ("syntax", "filler_gap_dependency"),
    "wh_vs_that_no_gap": ("syntax", "filler_gap_dependency"),
    "wh_vs_that_no_gap_long_distance": ("syntax", "filler_gap_dependency"),
    "wh_vs_that_with_gap": ("syntax", "filler_gap_dependency"),
    "wh_vs_that_with_gap_long_distance": ("syntax", "filler_gap_dependency"),
}

# Item counts of the official 2025 release per paradigm (collate_preds.py BLIMP_SIZES of
# babylm/evaluation-pipeline-2025): 59,875 pairs in 67 files. The fast set holds 200 pairs per paradigm.
COUNTS = {
    "adjunct_island": 928, "anaphor_gender_agreement": 971, "anaphor_number_agreement": 931,
    "animate_subject_passive": 895, "animate_subject_trans": 923, "causative": 818, "complex_NP_island": 846,
    "coordinate_structure_constraint_complex_left_branch": 906,
    "coordinate_structure_constraint_object_extraction": 949, "determiner_noun_agreement_1": 929,
    "determiner_noun_agreement_2": 931, "determiner_noun_agreement_irregular_1": 681,
    "determiner_noun_agreement_irregular_2": 820, "determiner_noun_agreement_with_adj_2": 941,
    "determiner_noun_agreement_with_adj_irregular_1": 718, "determiner_noun_agreement_with_adj_irregular_2": 840,
    "determiner_noun_agreement_with_adjective_1": 933, "distractor_agreement_relational_noun": 788,
    "distractor_agreement_relative_clause": 871, "drop_argument": 920, "ellipsis_n_bar_1": 802,
    "ellipsis_n_bar_2": 828, "existential_there_object_raising": 812, "existential_there_quantifiers_1": 930,
    "existential_there_quantifiers_2": 911, "existential_there_subject_raising": 924,
    "expletive_it_object_raising": 759, "inchoative": 855, "intransitive": 868,
    "irregular_past_participle_adjectives": 961, "irregular_past_participle_verbs": 942,
    "irregular_plural_subject_verb_agreement_1": 804, "irregular_plural_subject_verb_agreement_2": 892,
    "left_branch_island_echo_question": 947, "left_branch_island_simple_question": 951,
    "matrix_question_npi_licensor_present": 929, "npi_present_1": 909, "npi_present_2": 914,
    "only_npi_licensor_present": 882, "only_npi_scope": 837, "passive_1": 840, "passive_2": 903,
    "principle_A_c_command": 946, "principle_A_case_1": 912, "principle_A_case_2": 915,
    "principle_A_domain_1": 914, "principle_A_domain_2": 915, "principle_A_domain_3": 941,
    "principle_A_reconstruction": 967, "regular_plural_subject_verb_agreement_1": 890,
    "regular_plural_subject_verb_agreement_2": 945, "sentential_negation_npi_licensor_present": 919,
    "sentential_negation_npi_scope": 871, "sentential_subject_island": 961, "superlative_quantifiers_1": 979,
    "superlative_quantifiers_2": 986, "tough_vs_raising_1": 948, "tough_vs_raising_2": 920, "transitive": 868,
    "wh_island": 960, "wh_questions_object_gap": 859, "wh_questions_subject_gap": 898,
    "wh_questions_subject_gap_long_distance": 857, "wh_vs_that_no_gap": 861,
    "wh_vs_that_no_gap_long_distance": 875, "wh_vs_that_with_gap": 919, "wh_vs_that_with_gap_long_distance": 910,
}
FAST_COUNT = 200

# task-name suffix -> data folder
VARIANTS = {"": "blimp_filtered", "_fast": "blimp_fast"}
EXPECTED_COUNTS = {"blimp_filtered": COUNTS, "blimp_fast": {p: FAST_COUNT for p in COUNTS}}

GROUP = "classit_blimp"
FAST_GROUP = "classit_blimp_fast"
# The field names of the 2025 report: its reader (sentence_zero_shot/read_files.py) renames BLiMP's
# "syntax_semantics" to "syntax/semantics", so the 2025 report has 4 fields.
OFFICIAL_FIELDS = {"syntax_semantics": "syntax/semantics"}
# Group views, each a tree over all 67 paradigms: kind -> (PARADIGMS column, label renames, group-name suffix).
# A paradigm may sit in one group tree per run, so the field views are alternatives to classit_blimp.
VIEWS = {
    "term": (1, {}, ""),
    "field": (0, {}, "_by_field"),
    "field2025": (0, OFFICIAL_FIELDS, "_by_field_2025"),
}
METRICS = ("acc", "acc_ties_half", "ties")
CHANCE = 0.5  # two sentences, one correct


def leaf(paradigm: str, suffix: str = "") -> str:
    """Leaf task name of a paradigm in the full (suffix "") or fast ("_fast") set."""
    return f"classit_blimp{suffix}_{paradigm}"


def slug(value: str) -> str:
    """A field / term value as it appears in a group name ("syntax/semantics" -> "syntax-semantics")."""
    return value.replace("/", "-")


def view_labels(kind: str) -> dict[str, str]:
    """paradigm -> its value in the ``kind`` view (term, field, or field2025 with the 2025 renames)."""
    column, renames, _ = VIEWS[kind]
    return {p: renames.get(labels[column], labels[column]) for p, labels in PARADIGMS.items()}


def view_group(kind: str, suffix: str = "") -> str:
    """Top group of a view: classit_blimp[_fast], classit_blimp[_fast]_by_field[_2025]."""
    return f"classit_blimp{suffix}{VIEWS[kind][2]}"


def subgroup(kind: str, value: str, suffix: str = "") -> str:
    """Subgroup pooling the paradigms of one value of a view: classit_blimp[_fast]_<kind>_<value>."""
    return f"classit_blimp{suffix}_{kind}_{slug(value)}"


def paradigm_of(task: str) -> str | None:
    """The paradigm of a BLiMP leaf task (full or fast set), else None."""
    return _PARADIGM_OF.get(task)


_PARADIGM_OF = {leaf(p, s): p for s in VARIANTS for p in PARADIGMS}

FIELD_ABILITY, PHENOMENON_ABILITY = "BLiMP field", "BLiMP phenomenon"  # its two rows in the ability breakdown


def ability_rows(task: str, meta: Mapping, alias: str) -> list[tuple[str, str]]:
    """A paradigm counts in its field and its phenomenon (from the item's metadata, else from PARADIGMS)."""
    if "field" not in meta or "linguistics_term" not in meta:
        paradigm = paradigm_of(task)
        if paradigm is not None:
            field, term = PARADIGMS[paradigm]
            meta = {"field": field, "linguistics_term": term}
    rows = []
    if "field" in meta:
        rows.append((FIELD_ABILITY, ability_label(str(meta["field"]))))
    if "linguistics_term" in meta:
        rows.append((PHENOMENON_ABILITY, ability_label(str(meta["linguistics_term"]))))
    return rows


FAMILY = Family(
    name="blimp",
    leaves=tuple(leaf(p, s) for s in VARIANTS for p in PARADIGMS),
    metrics=METRICS,
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability="BLiMP",
    ability_rule=ability_rows,
    margin_abilities=(FIELD_ABILITY, PHENOMENON_ABILITY),
    leaderboard={"blimp": LeaderboardTask("BLiMP", "nlp", (GROUP, FAST_GROUP), "acc")},
    raw_metrics=("ties",),
    short_prefixes=(subgroup("term", "", "_fast"), subgroup("term", "")),
)

assert sum(COUNTS.values()) == 59_875 and len(COUNTS) == 67
assert set(COUNTS) == set(PARADIGMS)
