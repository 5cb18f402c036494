"""Reading-time task on reading_data.csv: the loader, the BabyLM 2025 surprisal rule, and the whole task.

The references here are written from the spec (../shared/spec/babylm2025.md, section Reading), not from
classit_tasks: surprisal through plain torch forward passes, the 2025 regression procedure through pandas +
statsmodels as the 2025 ``reading/run.py`` does it. The ΔR² regressions on synthetic data (against numpy least
squares) are in tests/unit/test_reading_stats.py.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from classit_tasks.scoring.encoders import encode_babylm2025_word
from classit_tasks.tasks import reading
from classit_tasks.tasks import reading_stats as stats
from classit_tasks.tasks.data import ClassitDataError
from zero_shot_helpers import EVAL_DATA, _plain_model, classit_lm, evaluate, reference_logprob, sample_logliks

READING_CSV = EVAL_DATA / "full_eval" / "reading" / "reading_data.csv"
SPR_MAIN = ["Subtlex_log10", "length", "context_length", "prev_length", "prev_pred"]
SPR_TERMS = [(a, b) for i, a in enumerate(SPR_MAIN) for b in SPR_MAIN[i + 1:]]


# ----------------------------------------------------------------------------------------------------------------
# Loader
# ----------------------------------------------------------------------------------------------------------------
def test_loader_and_the_none_trap():
    rows = reading.read_reading_csv(READING_CSV)
    assert len(rows) == 1726
    # The sentence "None of the city people dress like that." is stored with an empty item for "of": the 2025 code
    # reads it as NaN and restores "None" in item only, so the next word's prev_item "None" stays missing.
    assert rows[320]["item"] == "None" and rows[320]["word"] == "of" and rows[320]["prev_item"] is None
    assert rows[971]["item"] == "None of" and rows[971]["prev_item"] is None
    assert sum(r["prev_item"] is None for r in rows) == 206
    assert sum(math.isnan(r["Subtlex_log10"]) for r in rows) == 30
    fixed = reading.read_reading_csv(READING_CSV, restore_none_in_prev_item=True)
    assert fixed[971]["prev_item"] == "None" and fixed[971]["prev_word"] == "of"
    assert sum(r["prev_item"] is None for r in fixed) == 205


def _bad_copy(tmp_path, edit) -> None:
    lines = READING_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "reading").mkdir()
    (tmp_path / "reading" / "reading_data.csv").write_text("".join(edit(lines)), encoding="utf-8")


def test_missing_column_is_a_one_line_error(tmp_path):
    def drop_rtgopast(lines):
        frame = pd.read_csv(READING_CSV, keep_default_na=False, dtype=str).drop(columns=["RTgopast"])
        return [frame.to_csv(index=False)]

    _bad_copy(tmp_path, drop_rtgopast)
    with pytest.raises(ClassitDataError) as err:
        reading.load_reading(data_dir=tmp_path)
    message = str(err.value)
    assert "missing column 'RTgopast'" in message and "reading_data.csv" in message and "\n" not in message


def test_non_numeric_value_is_a_one_line_error(tmp_path):
    def corrupt(lines):
        header = lines[0].rstrip("\n").split(",")
        fields = lines[6].rstrip("\n").split(",")  # data row 5, line 7 (no quoted commas in this row)
        assert len(fields) == len(header)
        fields[header.index("RTfirstpass")] = "fast"
        return lines[:6] + [",".join(fields) + "\n"] + lines[7:]

    _bad_copy(tmp_path, corrupt)
    with pytest.raises(ClassitDataError) as err:
        reading.load_reading(data_dir=tmp_path)
    message = str(err.value)
    assert "reading_data.csv:7: row 5, column 'RTfirstpass': 'fast' is not a number" in message
    assert "\n" not in message


# ----------------------------------------------------------------------------------------------------------------
# Surprisal: the BabyLM 2025 rule against an independent implementation of the spec
# ----------------------------------------------------------------------------------------------------------------
def reference_surprisal_2025(kind: str, item: str, word: str) -> tuple[float, int]:
    """−ln p(word | item) as the spec describes ``get_p2``; also the number of sub-tokens of the word."""
    model, tokenizer = _plain_model(kind)

    def next_logprobs(text: str) -> torch.Tensor:  # after the last token of text tokenized with default specials
        ids = torch.tensor([tokenizer(text)["input_ids"]])
        with torch.no_grad():
            return torch.log_softmax(model(ids).logits[0, -1].double(), dim=-1)

    pieces = tokenizer(word, add_special_tokens=False)["input_ids"]  # no leading space
    total = float(next_logprobs(item)[pieces[0]])
    context = item + tokenizer.decode(pieces[0])
    for piece in pieces[1:]:
        text = tokenizer.decode(piece)
        target = tokenizer(text, add_special_tokens=False)["input_ids"][0]
        total += float(next_logprobs(context)[target])
        context += text
    return -total, len(pieces)


def classit_surprisals(kind: str, task: str, pairs: list[tuple[str, str]]) -> list[float]:
    from lm_eval.api.instance import Instance

    lm = classit_lm(kind)
    doc = {"surprisal_rule": {"classit_reading": "babylm2025", "classit_reading_standard": "standard"}[task]}
    requests = [
        Instance("loglikelihood", doc, pair, 0, metadata=(task, i, 1)) for i, pair in enumerate(pairs)
    ]
    return [-ll for ll, _ in lm.loglikelihood(requests, disable_tqdm=True)]


@pytest.mark.parametrize("kind", ["nobos", "bos", "wrap"])
def test_babylm2025_surprisal_matches_the_spec(kind, one_thread):
    rows = reading.read_reading_csv(READING_CSV)[::12]  # 144 words across all sentences
    pairs = [(r["item"], r["word"]) for r in rows]
    got = classit_surprisals(kind, "classit_reading", pairs)
    want = [reference_surprisal_2025(kind, item, word) for item, word in pairs]
    assert sum(n > 1 for _, n in want) >= 20  # multi-token words exercise the re-tokenization path
    np.testing.assert_allclose(got, [s for s, _ in want], rtol=1e-5, atol=2e-4)


def test_standard_surprisal_is_the_joint_rule(one_thread):
    rows = reading.read_reading_csv(READING_CSV)[::60]
    pairs = [(r["item"], " " + r["word"]) for r in rows]
    got = classit_surprisals("nobos", "classit_reading_standard", pairs)
    want = [-reference_logprob("nobos", item, cont) for item, cont in pairs]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)


def test_surprisal_stays_finite_where_probabilities_underflow(one_thread):
    """A very peaked model: float32 softmax gives p = 0 (the 2025 code would crash in math.log), log space does not."""
    import classit_tasks.scoring.model  # noqa: F401
    from lm_eval.api.registry import get_model

    from zero_shot_helpers import tiny_checkpoint

    lm = get_model("classit-hf")(pretrained=str(tiny_checkpoint("nobos")), device="cpu", batch_size=64)
    with torch.no_grad():
        lm.model.get_output_embeddings().weight.mul_(400.0)
    rows = reading.read_reading_csv(READING_CSV)[:40]
    pairs = [(r["item"], r["word"]) for r in rows]
    encoded = encode_babylm2025_word(lm.tokenizer, pairs)
    first = [seqs[0] for seqs in encoded]
    with torch.no_grad():
        probs = [
            torch.softmax(lm.model(torch.tensor([e.ids[:-1]])).logits[0, -1].float(), -1)[e.ids[-1]].item()
            for e in first
        ]
    assert min(probs) == 0.0  # float32 underflow: -math.log(p) would raise
    from lm_eval.api.instance import Instance

    doc = {"surprisal_rule": "babylm2025"}  # the request's document names its rule
    requests = [Instance("loglikelihood", doc, p, 0, metadata=("classit_reading", i, 1)) for i, p in enumerate(pairs)]
    surprisal = [-ll for ll, _ in lm.loglikelihood(requests, disable_tqdm=True)]
    assert all(math.isfinite(s) for s in surprisal) and max(surprisal) > 104  # beyond float32's smallest p


# ----------------------------------------------------------------------------------------------------------------
# The whole task on reading_data.csv
# ----------------------------------------------------------------------------------------------------------------
def run_2025_regressions(df: pd.DataFrame) -> dict[str, float]:
    """The 2025 run.py procedure (baseline and model each on their own dropna rows), written from the spec."""
    et_base = ("Subtlex_log10 + length + context_length + Subtlex_log10:length + Subtlex_log10:context_length"
               " + length:context_length")
    spr_base = (" + ".join(SPR_MAIN) + " + " + " + ".join(f"{a}:{b}" for a, b in SPR_TERMS))
    import statsmodels.formula.api as smf

    def score(dv, base, cols):
        b = smf.ols(f"{dv} ~ {base}", data=df[[dv, *cols]].dropna()).fit().rsquared
        m = smf.ols(f"{dv} ~ {base} + pred", data=df[["pred", dv, *cols]].dropna()).fit().rsquared
        return (m - b) / (1 - b) * 100

    et = [score(dv, et_base, ["Subtlex_log10", "length", "context_length"]) for dv in stats.ET_DVS]
    return {"eye_tracking": sum(et) / 4, "self_paced_reading": score(stats.SPR_DV, spr_base, SPR_MAIN),
            "n_et": len(df[["pred", "RTfirstfix", "Subtlex_log10", "length", "context_length"]].dropna()),
            "n_spr": len(df[["pred", stats.SPR_DV, *SPR_MAIN]].dropna())}


def test_whole_task_on_reading_data(one_thread):
    results = evaluate(["classit_reading"], kind="nobos")
    res = results["results"]["classit_reading"]
    assert res["sample_len"] == 1726
    assert res["classit_hf_scored,none"] == 1.0
    metrics = {k.split(",")[0]: v for k, v in res.items() if k.endswith(",none") and "_stderr" not in k}
    assert len(metrics) == 19 and all(math.isfinite(v) for v in metrics.values()), metrics

    # Recompute the scores the 2025 way from the logged per-word log-likelihoods.
    df = pd.read_csv(READING_CSV, dtype={"item": str})
    df["item"] = df["item"].fillna("None")
    pred = np.full(len(df), np.nan)
    prev_pred = np.full(len(df), np.nan)
    for doc_id, args, lls in sample_logliks(results["samples"]["classit_reading"]):
        assert args[0] == (df["item"][doc_id], df["word"][doc_id])
        pred[doc_id] = -lls[0]
        if len(lls) > 1:
            assert args[1] == (df["prev_item"][doc_id], df["prev_word"][doc_id])
            prev_pred[doc_id] = -lls[1]
    assert not np.isnan(pred).any()
    assert np.array_equal(np.isnan(prev_pred), df["prev_item"].isna().to_numpy())  # 206 rows, "None" included
    df["pred"], df["prev_pred"] = pred, prev_pred
    want = run_2025_regressions(df)
    assert (want["n_et"], want["n_spr"]) == (1696, 1496)
    assert res["eye_tracking,none"] == pytest.approx(want["eye_tracking"], rel=1e-9, abs=1e-12)
    assert res["self_paced_reading,none"] == pytest.approx(want["self_paced_reading"], rel=1e-9, abs=1e-12)
    for dv in (*stats.READING_DVS, *stats.EEG_DVS):
        assert res[f"r_{dv},none"] == pytest.approx(df["pred"].corr(df[dv]), rel=1e-9)


def test_plain_hf_model_standard_agrees_and_parity_is_flagged(one_thread):
    """Stock ``--model hf``: the standard rule is reproduced (tokenizer without EOS), the 2025 rule is not (flagged)."""
    from lm_eval.api.registry import get_model

    from zero_shot_helpers import tiny_checkpoint

    hf = get_model("hf")(pretrained=str(tiny_checkpoint("nobos")), device="cpu", batch_size=64, dtype="float32")
    results = evaluate(["classit_reading", "classit_reading_standard"], lm=hf, limit=150)
    assert results["results"]["classit_reading"]["classit_hf_scored,none"] == 0.0
    assert results["results"]["classit_reading_standard"]["classit_hf_scored,none"] == 0.0
    samples = sample_logliks(results["samples"]["classit_reading_standard"])[:25]
    got = [lls[0] for _, _, lls in samples]
    want = [reference_logprob("nobos", *args[0]) for _, args, _ in samples]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)


def test_rule_comes_from_the_request_and_travels_with_the_response(one_thread):
    """classit-hf reads each request's rule from its document (no task-name registry) and answers with a response
    that carries the rule's name, through pickling (lm-eval's --use_cache); classit_hf_scored reads it back."""
    import pickle

    from lm_eval.api.instance import Instance

    from classit_tasks.responses import RuleScored, rule_of
    from classit_tasks.scoring.model import ClassitModelError

    lm = classit_lm("nobos")
    pair = ("The cat sat on the", "mat")
    docs = [{"surprisal_rule": "babylm2025"}, {"surprisal_rule": "standard"}, {"sentence_good": "x"}]
    requests = [Instance("loglikelihood", doc, pair, 0, metadata=("any_task_name", i, 1)) for i, doc in enumerate(docs)]
    word, standard, default = lm.loglikelihood(requests, disable_tqdm=True)
    assert (rule_of(word), rule_of(standard), rule_of(default)) == ("babylm2025", "standard", None)
    assert type(default) is tuple and standard == default  # the standard rule is the default joint tokenization
    assert word == tuple(word) and json.dumps([word]) == json.dumps([tuple(word)])  # samples files unchanged
    again = pickle.loads(pickle.dumps(word))
    assert isinstance(again, RuleScored) and again.rule == "babylm2025" and again == word
    doc = {name: 1.0 for name in reading.NUMERIC_COLUMNS} | {"surprisal_rule": "babylm2025"}
    assert reading.process_results(doc, [word])["classit_hf_scored"] == 1.0
    assert reading.process_results(doc, [standard])["classit_hf_scored"] == 0.0  # scored with another rule
    assert reading.process_results(doc, [tuple(word)])["classit_hf_scored"] == 0.0  # another model
    bad = Instance("loglikelihood", {"surprisal_rule": "nope"}, pair, 0, metadata=("t", 7, 1))
    with pytest.raises(ClassitModelError, match="t doc 7: unknown scoring rule surprisal_rule='nope'"):
        lm.loglikelihood([bad], disable_tqdm=True)
