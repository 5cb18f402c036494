"""Item counts of the official BabyLM 2025 evaluation release, per file.

Source: ``collate_preds.py`` (BLIMP_SIZES, SUPPLEMENT_SIZES) of babylm/evaluation-pipeline-2025; totals 59,875
(blimp_filtered, 67 paradigms) and 5,218 (supplement_filtered, 5 files). Fast sets hold 200 (BLiMP) and 50
(supplement) items per file.
"""

BLIMP_FILTERED = {
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

SUPPLEMENT_FILTERED = {
    "hypernym": 842, "qa_congruence_easy": 64, "qa_congruence_tricky": 165, "subject_aux_inversion": 3867,
    "turn_taking": 280,
}

# EWoK filtered (collate_preds.py EWOK_SIZES): 3,809 items, each written twice (as is and with the contexts and
# targets swapped), 7,618 lines in 11 domain files. The fast set holds 100 lines per domain.
EWOK_FILTERED = {
    "agent-properties": 2210, "social-relations": 1548, "physical-relations": 818, "material-dynamics": 770,
    "physical-interactions": 556, "spatial-relations": 490, "social-properties": 328,
    "quantitative-properties": 314, "social-interactions": 294, "material-properties": 170,
    "physical-dynamics": 120,
}

# Entity tracking (collate_preds.py ENTITY_TRACKING_SIZES), and per numops 0..5 (counted on the release files).
ENTITY_TRACKING = {"regular": 3152, "ambiref": 3224, "move_contents": 3107}
ENTITY_TRACKING_NUMOPS = {
    "regular": {0: 606, 1: 607, 2: 606, 3: 606, 4: 568, 5: 159},
    "ambiref": {0: 607, 1: 607, 2: 604, 3: 604, 4: 615, 5: 187},
    "move_contents": {0: 605, 1: 606, 2: 605, 3: 606, 4: 529, 5: 156},
}

# WUG tests (collate_preds.py WUG_SIZE, WUG_PAST_TENSE_SIZE).
WUG = {"wug_adj_nominalization": 200, "wug_past_tense": 50}

# AoA (collate_preds.py AOA_SIZE): 8,005 (word, context) rows per checkpoint, from the 504 words of
# aoa/cdi_childes.json (19 of them have no context). Checkpoint series the 2025 pipeline expects: chck_1M..chck_9M,
# chck_10M..chck_100M (strict-small, 19) plus chck_200M..chck_1000M for the other tracks (28).
AOA_WORDS = 504
AOA_CONTEXTS = 8_005
# COMPS (collate_preds.py COMPS_SIZES, keyed there by subtask: base, wugs, wugs_dist_before, wugs_dist_in_between),
# here by file stem; 49,340 + 3 x 13,896 = 91,028 pairs. No fast set.
COMPS = {"comps_base": 49340, "comps_wugs": 13896, "comps_wugs_dist-before": 13896, "comps_wugs_dist-in-between": 13896}

# dataset folder name -> {file stem: expected item count}
EXPECTED_COUNTS: dict[str, dict[str, int]] = {
    "blimp_filtered": BLIMP_FILTERED,
    "supplement_filtered": SUPPLEMENT_FILTERED,
    "blimp_fast": {name: 200 for name in BLIMP_FILTERED},
    "supplement_fast": {name: 50 for name in SUPPLEMENT_FILTERED},
    "ewok_filtered": EWOK_FILTERED,
    "ewok_fast": {name: 100 for name in EWOK_FILTERED},
    "entity_tracking": ENTITY_TRACKING,
    # The BabyLM fast set holds regular.jsonl only, byte-identical to the full file.
    "entity_tracking_fast": {"regular": ENTITY_TRACKING["regular"]},
    "wug_adj_nominalization": {"wug_adj_nominalization": WUG["wug_adj_nominalization"]},
    "wug_past_tense": {"wug_past_tense": WUG["wug_past_tense"]},
    "aoa": {"cdi_childes": AOA_CONTEXTS},
    "comps": COMPS,
}

assert sum(BLIMP_FILTERED.values()) == 59_875 and len(BLIMP_FILTERED) == 67
assert sum(SUPPLEMENT_FILTERED.values()) == 5_218
assert sum(EWOK_FILTERED.values()) == 7_618 and len(EWOK_FILTERED) == 11
assert all(sum(by_ops.values()) == ENTITY_TRACKING[name] for name, by_ops in ENTITY_TRACKING_NUMOPS.items())
assert sum(COMPS.values()) == 91_028
