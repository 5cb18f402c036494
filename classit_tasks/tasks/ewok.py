"""EWoK (Elements of World Knowledge; Ivanova et al., 2024), BabyLM 2025 filtered version.

Each line of ``ewok_filtered/<domain>.jsonl`` holds two contexts and two targets; Target1 fits Context1 and Target2
fits Context2. BabyLM wrote every item twice, the second copy with Context1<->Context2 and Target1<->Target2
swapped, and both copies are scored.

Two scoring definitions are provided:

* ``babylm2025`` (parity, ``classit_ewok``): compare the targets under one context,
  log P(" T1" | C1) vs log P(" T2" | C1), target tokens only (``read_files.py::decode_ewok`` of
  babylm/evaluation-pipeline-2025); ties count as correct, like every 2025 ranking task.
* ``paper`` (``classit_ewok_paper``): compare the contexts for one target, log P(" T1" | C1) vs log P(" T1" | C2),
  ties 0.5 (``ewok_analysis_utils.R::calculate_accuracy`` of ewok-core/ewok-paper; BabyLM 2026). Over the
  swapped copy this also yields log P(" T2" | C2) vs log P(" T2" | C1), so the mean over lines is the paper's
  mean of its T1 and T2 accuracies.

Terms of use: EWoK items must never be shown or stored in plain text outside the password-protected zips; nothing
here logs item text.
"""

from __future__ import annotations

from typing import Sequence

from classit_tasks.tasks.family import Family, LeaderboardTask
from classit_tasks.tasks.loaders import Docs, load_records
from classit_tasks.tasks.ranking import rank_item
from classit_tasks.tasks.hf_rule import warn_if_hf_differs

DOMAINS = (
    "agent-properties", "material-dynamics", "material-properties", "physical-dynamics", "physical-interactions",
    "physical-relations", "quantitative-properties", "social-interactions", "social-properties", "social-relations",
    "spatial-relations",
)
EWOK_FIELDS = {
    "Domain": str, "ContextType": str, "ContextDiff": str, "TargetDiff": str,
    "Context1": str, "Context2": str, "Target1": str, "Target2": str,
}

# Breakdown cells of the 2025 report (``context_type``, ``context_contrast``, ``target_contrast``), pooled over
# domains. The release spells one contrast two ways ("variable swap", "variable_swap"); like the 2025 report they
# stay separate cells. metric name -> (field, value)
BREAKDOWN_FIELDS = {"context_type": "ContextType", "context_contrast": "ContextDiff", "target_contrast": "TargetDiff"}
BREAKDOWN_VALUES = {
    "context_type": ("direct", "indirect"),
    "context_contrast": (
        "active-passive", "antonym", "game", "material", "negation", "number", "other", "variable swap",
        "variable_swap",
    ),
    "target_contrast": ("concept swap", "variable swap"),
}


def breakdown_metric(kind: str, value: str) -> str:
    return f"acc_{kind}_{value.replace(' ', '-')}"


BREAKDOWN_CELLS = {
    breakdown_metric(kind, value): (BREAKDOWN_FIELDS[kind], value)
    for kind, values in BREAKDOWN_VALUES.items()
    for value in values
}


# Item counts of the official 2025 release (collate_preds.py EWOK_SIZES): 3,809 items, each written twice (as is
# and with the contexts and targets swapped), 7,618 lines in 11 domain files. The fast set holds 100 lines per domain.
COUNTS = {
    "agent-properties": 2210, "social-relations": 1548, "physical-relations": 818, "material-dynamics": 770,
    "physical-interactions": 556, "spatial-relations": 490, "social-properties": 328,
    "quantitative-properties": 314, "social-interactions": 294, "material-properties": 170,
    "physical-dynamics": 120,
}
FAST_COUNT = 100
EXPECTED_COUNTS = {"ewok_filtered": COUNTS, "ewok_fast": {d: FAST_COUNT for d in COUNTS}}
GROUP = "classit_ewok"
FAST_GROUP = "classit_ewok_fast"
# group -> (template, data folder, description, metrics its group averages)
VARIANTS = {
    "classit_ewok": ("_template_yaml", "ewok_filtered", "EWoK filtered, BabyLM 2025 definition (parity)",
                     ("acc", "acc_ties_half")),
    "classit_ewok_fast": ("_template_yaml", "ewok_fast", "EWoK fast set (100 lines per domain), 2025 definition",
                          ("acc", "acc_ties_half")),
    "classit_ewok_paper": ("_paper_template_yaml", "ewok_filtered", "EWoK filtered, EWoK-paper definition", ("acc",)),
    "classit_ewok_paper_fast": ("_paper_template_yaml", "ewok_fast", "EWoK fast set, EWoK-paper definition",
                                ("acc",)),
}
# 2025 breakdown tasks (accuracy per BREAKDOWN_CELLS, pooled over the domains; part of no average) -> data folder
BREAKDOWN_TASKS = {"classit_ewok_breakdown": "ewok_filtered", "classit_ewok_fast_breakdown": "ewok_fast"}
CHANCE = 0.5  # two targets, one correct


def slug(domain: str) -> str:
    """A domain as it appears in task names ("agent-properties" -> "agent_properties")."""
    return domain.replace("-", "_")


def leaf(domain: str, group: str = GROUP) -> str:
    return f"{group}_{slug(domain)}"


ABILITY = "EWoK domain"

FAMILY = Family(
    name="ewok",
    leaves=tuple(leaf(d, g) for g in VARIANTS for d in DOMAINS) + tuple(BREAKDOWN_TASKS),
    metrics=("acc", "acc_ties_half", "ties"),
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability=ABILITY,
    margin_abilities=(ABILITY,),
    leaderboard={"ewok": LeaderboardTask("EWoK", "nlp", (GROUP, FAST_GROUP), "acc")},
    raw_metrics=("ties",),
)

assert sum(COUNTS.values()) == 7_618 and set(COUNTS) == set(DOMAINS)


def load_ewok(dataset: str, subset: str | None = None, data_dir=None, check_counts=True, **_) -> dict:
    """One domain file (``subset``) of ``dataset`` (ewok_filtered / ewok_fast), or all 11 pooled if no subset."""
    warn_if_hf_differs(dataset, has_context=True, metadata=_)
    subsets = [subset] if subset else list(DOMAINS)
    records = [r for s in subsets for r in load_records(dataset, s, EWOK_FIELDS, data_dir, check_counts, EXPECTED_COUNTS)]
    keep = list(EWOK_FIELDS)  # drop any extra columns so pooled files always share one schema
    return {"test": Docs([{k: r[k] for k in keep} for r in records])}


# --- 2025 definition: one context, two targets ------------------------------------------------------------------
def context1(doc: dict) -> str:
    return doc["Context1"]


def targets(doc: dict) -> list[str]:
    """Continuations are target_delimiter " " + target, i.e. the 2025 completions " " + Target."""
    return [doc["Target1"], doc["Target2"]]


def process_breakdown(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    """2025 ranking metrics plus one value per breakdown cell (None where the item is not in that cell)."""
    ranked = rank_item([ll for ll, _ in results], doc)
    out = {"acc": ranked["acc"], "ties": ranked["ties"]}
    for metric, (field, value) in BREAKDOWN_CELLS.items():
        out[metric] = out["acc"] if doc[field] == value else None
    return out


# --- EWoK-paper definition: one target, two contexts ------------------------------------------------------------
def paper_gold(doc: dict) -> int:
    """An int from doc_to_text makes lm-eval build one context per choice (its 'multiple input' mode)."""
    return 0


def paper_contexts(doc: dict) -> list[str]:
    return [doc["Context1"], doc["Context2"]]


def paper_target(doc: dict) -> str:
    return doc["Target1"]


def process_paper(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    """logP(T1|C1) > logP(T1|C2) scores 1, a tie 0.5 (EWoK paper, count_equal_as_half=TRUE)."""
    ranked = rank_item([ll for ll, _ in results], doc)
    return {"acc": ranked["acc_ties_half"], "ties": ranked["ties"]}
