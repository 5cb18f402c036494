"""Issue 15, silent wrong numbers, without a model: a NaN/inf log-likelihood is never counted correct, stops the run
naming the item (never its text) unless switched on, and a value classit-hf let through (allow_nan) is scored wrong
and survives lm-eval's cache. The runs of a NaN model on the real data are in tests/integration/test_hardening_nan.py."""

from __future__ import annotations

import json
import math

import pytest

from classit_tasks import nonfinite
from classit_tasks.tasks.ranking import rank_item


def test_nan_option_is_never_counted_correct(monkeypatch):
    monkeypatch.delenv(nonfinite.ENV, raising=False)
    for logliks in ([-1.0, math.nan], [math.nan, -3.0], [math.inf, -1.0], [-math.inf, -math.inf]):
        with pytest.raises(nonfinite.NonFiniteScoreError, match="UID='npi' doc_hash="):
            rank_item(logliks, {"UID": "npi", "sentence_good": "x"})
    monkeypatch.setenv(nonfinite.ENV, "1")
    assert rank_item([-1.0, math.nan]) == {"acc": 0.0, "acc_ties_half": 0.0, "ties": 0.0}
    assert rank_item([-1.0, -2.0]) == {"acc": 1.0, "acc_ties_half": 1.0, "ties": 0.0}
    doc = {"sentence_good": "a secret item", "sentence_bad": "b"}
    assert "secret" not in nonfinite.describe(doc) and "doc_hash=" in nonfinite.describe(doc)


def test_nan_let_through_by_the_model_is_scored_wrong_without_any_switch(monkeypatch):
    """classit-hf allow_nan=true marks the value itself; the metric needs no process-wide setting to accept it."""
    import pickle

    monkeypatch.delenv(nonfinite.ENV, raising=False)
    marked = nonfinite.AllowedNonFinite(math.nan)
    assert rank_item([-1.0, marked]) == {"acc": 0.0, "acc_ties_half": 0.0, "ties": 0.0}
    with pytest.raises(nonfinite.NonFiniteScoreError):  # one unmarked non-finite value is enough to stop
        rank_item([marked, math.inf], {"UID": "npi"})
    again = pickle.loads(pickle.dumps((marked, False)))  # lm-eval's --use_cache database pickles responses
    assert isinstance(again[0], nonfinite.AllowedNonFinite) and math.isnan(again[0])
    assert json.dumps([marked]) == json.dumps([math.nan]) and str(marked) == "nan"
    samples = {"t": [{"doc": {"UID": "a"}, "filtered_resps": [(-1.0, False), (marked, False)]},
                     {"doc": {"UID": "b"}, "filtered_resps": [(-1.0, True), (-2.0, False)]}]}
    assert nonfinite.items_in_samples(samples) == [f"t item UID='a' doc_hash={nonfinite.describe({'UID': 'a'})[-12:]}"]
