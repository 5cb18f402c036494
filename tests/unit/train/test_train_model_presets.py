"""Model presets: the paper-size presets have the documented size (built on the meta device, no data). Tiny models
with tokenizers trained on the real corpora are in tests/integration/train/test_train_models.py."""

from __future__ import annotations

import pytest
import torch

from classit_train import build_model, count_parameters


@pytest.mark.parametrize("preset, low, high", [("babylm-100m", 95e6, 100e6), ("babylm-140m", 135e6, 145e6)])
def test_paper_presets_have_the_documented_size(preset, low, high):
    with torch.device("meta"):
        model = build_model(preset, vocab_size=16384)
    assert low <= count_parameters(model) <= high
    assert model.config.tie_word_embeddings and model.config.model_type == "llama"
