"""Reading-time regressions: surprisal → eye-tracking and self-paced-reading ΔR², and Pearson correlations.

The analysis is de Varda et al. (2023, "Cloze probability, predictability ratings, and computational estimates for
205 English sentences", Behavior Research Methods) on the UCL corpus of Frank et al. (2013, 2015), as scored by the
BabyLM 2025 pipeline (``evaluation_pipeline/reading/run.py``): ordinary least squares through statsmodels' formula
API, rows with a missing value in any used column dropped, and

    score = 100 · (R²_model − R²_baseline) / (1 − R²_baseline)

the share of the variance the baseline leaves unexplained that surprisal (``pred``) explains, in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
import statsmodels.formula.api as smf

ET_DVS = ("RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound")
SPR_DV = "self_paced_reading_time"
EEG_DVS = ("ELAN", "LAN", "N400", "P600", "EPNP", "PNP")
READING_DVS = (*ET_DVS, SPR_DV)

# Eye tracking, no spill-over: frequency, length, position in the sentence and their pairwise interactions.
ET_PREDICTORS = ("Subtlex_log10", "length", "context_length")
ET_BASELINE = (
    "Subtlex_log10 + length + context_length"
    " + Subtlex_log10:length + Subtlex_log10:context_length + length:context_length"
)
# Self-paced reading, one-word spill-over: the previous word's length and surprisal join the baseline, with all
# 10 pairwise interactions of the 5 predictors.
SPR_PREDICTORS = ("Subtlex_log10", "length", "context_length", "prev_length", "prev_pred")
SPR_BASELINE = (
    "Subtlex_log10 + length + context_length + prev_length + prev_pred"
    " + Subtlex_log10:length + Subtlex_log10:context_length + Subtlex_log10:prev_length + Subtlex_log10:prev_pred"
    " + length:context_length + length:prev_length + length:prev_pred"
    " + context_length:prev_length + context_length:prev_pred + prev_length:prev_pred"
)


@dataclass(frozen=True)
class DeltaR2:
    score: float  # 100 · (R²_model − R²_base) / (1 − R²_base)
    r2_baseline: float
    r2_model: float
    n: int  # rows used by both fits


def delta_r2(
    frame: pd.DataFrame, dv: str, baseline: str, predictors: Sequence[str], predictor: str = "pred"
) -> DeltaR2:
    """ΔR² score of adding ``predictor`` to ``dv ~ baseline``, both fitted on the rows complete in every used column.

    (The 2025 code fits the baseline on the rows complete in the baseline's columns and the model on those also
    complete in ``pred``; surprisal is never missing here, so the two row sets coincide.)
    """
    data = frame[[dv, *predictors, predictor]].dropna()
    n_params = baseline.count("+") + 3  # intercept, baseline terms, predictor
    if len(data) <= n_params:  # e.g. under --limit: too few rows for the fit
        return DeltaR2(math.nan, math.nan, math.nan, len(data))
    r2_base = float(smf.ols(f"{dv} ~ {baseline}", data=data).fit().rsquared)
    r2_model = float(smf.ols(f"{dv} ~ {baseline} + {predictor}", data=data).fit().rsquared)
    if not r2_base < 1.0:
        return DeltaR2(math.nan, r2_base, r2_model, len(data))
    return DeltaR2(100.0 * (r2_model - r2_base) / (1.0 - r2_base), r2_base, r2_model, len(data))


def eye_tracking(frame: pd.DataFrame, dv: str) -> DeltaR2:
    return delta_r2(frame, dv, ET_BASELINE, ET_PREDICTORS)


def eye_tracking_score(frame: pd.DataFrame) -> float:
    """BabyLM's EYE TRACKING score: the mean ΔR² score over the 4 eye-tracking measures."""
    return sum(eye_tracking(frame, dv).score for dv in ET_DVS) / len(ET_DVS)


def self_paced_reading(frame: pd.DataFrame) -> DeltaR2:
    """BabyLM's SELF-PACED READING score (one-word spill-over baseline)."""
    return delta_r2(frame, SPR_DV, SPR_BASELINE, SPR_PREDICTORS)


def correlation(frame: pd.DataFrame, dv: str, predictor: str = "pred") -> float:
    """Pearson r of ``predictor`` with ``dv`` over the rows where both are present (pandas' pairwise rule)."""
    return float(frame[predictor].corr(frame[dv]))
