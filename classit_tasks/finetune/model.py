"""Backbone + pooling + the BabyLM 2025 classification head."""

from __future__ import annotations

import logging

import torch
from torch import nn

logger = logging.getLogger(__name__)


class ClassificationHead(nn.Module):
    """LayerNorm(no affine) -> Linear(H,H) -> GELU -> LayerNorm(no affine) -> Dropout -> Linear(H, labels)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(hidden_size, elementwise_affine=False),
            nn.Linear(hidden_size, hidden_size),
            nn.GELU(),
            nn.LayerNorm(hidden_size, elementwise_affine=False),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, num_labels),
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net(pooled)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """(batch, seq, H) -> (batch, H).

    - ``first``: position 0 (the 2025 default; with right padding a causal model's token 0 has seen nothing
      but itself, so with a BOS-adding tokenizer it is the same vector for every input);
    - ``last``: the last position whose attention mask is 1, for left or right padding;
    - ``mean``: the mean over the positions whose attention mask is 1.
    """
    if pooling == "first":
        return hidden[:, 0]
    mask = attention_mask.to(hidden.dtype)
    if pooling == "last":
        positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
        last = (positions * attention_mask.long()).argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if pooling == "mean":
        return (hidden * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
    raise ValueError(f"unknown pooling '{pooling}'")


class SequenceClassifier(nn.Module):
    """A pretrained backbone whose pooled last hidden state feeds :class:`ClassificationHead`.

    Unlike the 2025 code, a backbone output's ``.logits`` is never used as the encoding: backbones without a
    ``last_hidden_state`` are asked for ``hidden_states`` and the last layer is taken.
    """

    def __init__(self, backbone: nn.Module, hidden_size: int, num_labels: int, pooling: str, dropout: float):
        super().__init__()
        self.backbone = backbone
        self.pooling = pooling
        # A base model (AutoModel) returns last_hidden_state; an LM-head model must be asked for hidden_states.
        self.use_hidden_states = not hasattr(backbone, "get_output_embeddings") or (
            backbone.get_output_embeddings() is not None
        )
        self.head = ClassificationHead(hidden_size, num_labels, dropout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.use_hidden_states:
            out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            hidden = out.hidden_states[-1]
        else:
            hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = pool(hidden, attention_mask, self.pooling)
        return self.head(pooled.to(self.head.net[1].weight.dtype))


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def load_tokenizer(pretrained: str, padding_side: str = "right", **kwargs):
    """The checkpoint's tokenizer, with a pad token guaranteed (2025 had no fallback and crashed)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(pretrained, **kwargs)
    tokenizer.padding_side = padding_side
    tokenizer.truncation_side = "right"
    return tokenizer


def ensure_pad_token(tokenizer) -> str:
    """Give ``tokenizer`` a pad token if it has none; returns where it came from.

    Padded positions are masked out of attention and pooling, so reusing EOS/UNK/BOS as pad changes nothing;
    only when the tokenizer has none of them is a new ``<pad>`` added (see :func:`fit_embeddings`).
    """
    if tokenizer.pad_token_id is not None:
        return "pad_token"
    for name in ("eos_token", "unk_token", "bos_token"):
        token = getattr(tokenizer, name, None)
        if token is not None:
            tokenizer.pad_token = token
            return name
    tokenizer.add_special_tokens({"pad_token": "<pad>"})
    return "added <pad>"


def fit_embeddings(backbone: nn.Module, tokenizer) -> None:
    """Grow the input embeddings when the tokenizer gained a token (an added ``<pad>``)."""
    embeddings = backbone.get_input_embeddings()
    if embeddings is not None and len(tokenizer) > embeddings.num_embeddings:
        backbone.resize_token_embeddings(len(tokenizer))


def _dtype_keyword() -> str:
    """``from_pretrained``'s dtype argument: ``dtype`` from transformers 4.56, ``torch_dtype`` before."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"


def load_backbone(pretrained: str, dtype: str = "float32", **kwargs) -> nn.Module:
    """``AutoModel`` (the base model without LM head); ``AutoModelForCausalLM`` when no base class is mapped."""
    from transformers import AutoModel, AutoModelForCausalLM

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got '{dtype}'")
    kwargs[_dtype_keyword()] = DTYPES[dtype]
    try:
        return AutoModel.from_pretrained(pretrained, **kwargs)
    except ValueError as err:  # "Unrecognized configuration class ... for AutoModel"
        logger.info("AutoModel cannot load %s (%s); using AutoModelForCausalLM hidden states", pretrained, err)
        return AutoModelForCausalLM.from_pretrained(pretrained, **kwargs)


def hidden_size_of(backbone: nn.Module) -> int:
    config = backbone.config
    for name in ("hidden_size", "n_embd", "d_model"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    text_config = getattr(config, "text_config", None)
    if text_config is not None and isinstance(getattr(text_config, "hidden_size", None), int):
        return text_config.hidden_size
    raise ValueError(f"{type(config).__name__}: cannot find the hidden size (hidden_size / n_embd / d_model)")


def max_positions_of(backbone: nn.Module) -> int | None:
    config = backbone.config
    for name in ("max_position_embeddings", "n_positions", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None
