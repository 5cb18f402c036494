"""Fine-tuning configuration: the BabyLM 2025 protocol as defaults, and the two flags where classit differs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

POOLINGS = ("last", "first", "mean")
SELECT_ON = ("heldout", "valid", "last_epoch")
MIXED_PRECISION = ("no", "bf16")


@dataclass
class FinetuneConfig:
    """Hyper-parameters of one fine-tuning run (every task, every seed).

    Defaults are the BabyLM 2025 protocol (spec "(Super)GLUE", eval_finetuning.sh) except ``pooling`` and
    ``select_on``, where the 2025 code is flawed; ``babylm2025()`` gives the 2025 values of those two.
    """

    # AdamW on all parameters (2025: finetune/trainer.py)
    learning_rate: float = 3e-5
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.01
    # Cosine schedule: linear warmup over 6% of the steps, then cosine decay to a floor of 0.1 x lr
    warmup_fraction: float = 0.06
    min_lr_factor: float = 0.1
    # None = the task's own value (32, 16 for BoolQ/MultiRC; 10 epochs, 30 for WSC)
    batch_size: int | None = None
    epochs: int | None = None
    eval_batch_size: int | None = None  # None = 64 (2025's --valid_batch_size default)
    max_length: int = 512
    dropout: float = 0.1
    seeds: tuple[int, ...] = (42,)
    # Where classit differs from 2025:
    pooling: str = "last"  # last non-padding token; 2025: "first" (token 0, with right padding)
    select_on: str = "heldout"  # best epoch on a held-out slice of train; 2025: "valid" (the reported file)
    heldout_fraction: float = 0.1
    heldout_seed: int = 0  # the held-out slice is the same for every training seed
    padding_side: str = "right"  # as 2025; "last" pooling finds the last real token with either side
    limit: int | None = None  # first N records of every split, for quick runs (results are then not comparable)
    dtype: str = "float32"
    mixed_precision: str = "no"  # "bf16": autocast the forward passes (meant for GPUs; weights stay in dtype)
    group_batches: int = 50  # default mode: length-grouped batches are sorted within groups of this many batches
    micro_batch_size: int | None = None  # default mode: rows per forward pass (None = 8 on CPU, the batch on GPU)
    save_model: bool = False
    parity: bool = False

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got '{self.pooling}'")
        if self.select_on not in SELECT_ON:
            raise ValueError(f"select_on must be one of {', '.join(SELECT_ON)}, got '{self.select_on}'")
        if self.padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be left or right, got '{self.padding_side}'")
        if not 0.0 < self.heldout_fraction < 1.0:
            raise ValueError(f"heldout_fraction must be in (0, 1), got {self.heldout_fraction}")
        if not self.seeds:
            raise ValueError("at least one seed is needed")
        if self.micro_batch_size is not None and self.micro_batch_size < 0:
            raise ValueError(f"micro_batch_size must be >= 0 (0 = the whole batch), got {self.micro_batch_size}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ValueError(f"mixed_precision must be one of {', '.join(MIXED_PRECISION)}, got "
                             f"'{self.mixed_precision}'")
        self.seeds = tuple(int(s) for s in self.seeds)
        self.betas = tuple(self.betas)

    @classmethod
    def babylm2025(cls, **overrides) -> "FinetuneConfig":
        """The 2025 behaviour: token-0 pooling with right padding, best epoch chosen on the reported valid file."""
        return cls(**{"pooling": "first", "select_on": "valid", "padding_side": "right", "parity": True, **overrides})

    def to_dict(self) -> dict:
        return asdict(self)
