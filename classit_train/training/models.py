"""Llama-style model presets.

All presets use pre-norm RMSNorm, rotary positions, SwiGLU MLPs (width ~8/3 x hidden), head size 64 (16 for
``tiny``) and tied input/output embeddings -- the embedding matrix is a large share of a small model, and tying
it is the usual choice at this scale. Parameter counts below are for a 16,384-token vocabulary:

==============  ======  ======  =====  ============  =======  ================================================
preset          hidden  layers  heads  intermediate  context  parameters
==============  ======  ======  =====  ============  =======  ================================================
tiny            64      2       4      256           512      ~0.13M + 64 x vocab (tests, demo; CPU)       
cpu-small       192     6       3      512           512      ~2.7M + 192 x vocab (the CPU reference run)
babylm-100m     768     12      12     2048          512      ~98M  (GPT-2-small / BabyLM baseline size)
babylm-140m     768     18      12     2048          512      ~140M (same width, deeper: depth helps small LMs)
==============  ======  ======  =====  ============  =======  ================================================

Why these numbers: 100M matches the BabyLM baselines' ~100-125M models so results are comparable; the 140M
preset adds depth rather than width, following MobileLLM (Liu et al., 2024), which found deep-and-thin better
than wide-and-shallow below 1B parameters. A 512-token context covers BabyLM documents once cut, Switchboard
turns and Simple Wikipedia paragraphs with room to spare and keeps attention cheap.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                 intermediate_size=256, max_position_embeddings=512),
    # Chosen by measurement for the CPU reference run (benchmarks/reference_preset.py: BLiMP fast per CPU-minute,
    # 2 cores; docs/results/reference-cpu/README.md).
    "cpu-small": dict(hidden_size=192, num_hidden_layers=6, num_attention_heads=3, num_key_value_heads=3,
                      intermediate_size=512, max_position_embeddings=512),
    "babylm-100m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, num_key_value_heads=12,
                        intermediate_size=2048, max_position_embeddings=512),
    "babylm-140m": dict(hidden_size=768, num_hidden_layers=18, num_attention_heads=12, num_key_value_heads=12,
                        intermediate_size=2048, max_position_embeddings=512),
}


def model_config(preset: str, tokenizer=None, vocab_size: int | None = None, **overrides):
    """A ``LlamaConfig`` for ``preset``, sized for ``tokenizer`` (its length, special-token ids)."""
    from transformers import LlamaConfig

    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r} (choose from {', '.join(PRESETS)})")
    values = dict(PRESETS[preset])
    values.update(rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True, attention_dropout=0.0,
                  initializer_range=0.02, use_cache=True, hidden_act="silu")
    if tokenizer is not None:
        values.update(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                      eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    if vocab_size is not None:
        values["vocab_size"] = vocab_size
    values.update(overrides)
    rope_theta = values.pop("rope_theta")
    config = LlamaConfig(**values)
    # transformers >= 5 keeps rope settings in `rope_parameters`; older versions read `rope_theta`.
    if hasattr(config, "rope_parameters") and isinstance(getattr(config, "rope_parameters", None), dict):
        config.rope_parameters["rope_theta"] = rope_theta
    else:
        config.rope_theta = rope_theta
    return config


def build_model(preset: str, tokenizer=None, *, vocab_size: int | None = None, seed: int | None = None,
                attn_implementation: str = "sdpa", **overrides):
    """A freshly initialised ``LlamaForCausalLM`` for ``preset`` and ``tokenizer``."""
    import torch
    from transformers import LlamaForCausalLM

    config = model_config(preset, tokenizer, vocab_size=vocab_size, **overrides)
    config._attn_implementation = attn_implementation
    if seed is not None:
        torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    return model


def count_parameters(model) -> int:
    """Unique parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
