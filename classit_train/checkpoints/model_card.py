"""The model card (``README.md``) classit-train writes into every checkpoint folder.

It says what the checkpoint is: the run (branch) and its parent, the stage and curriculum, the data sources, the
words/tokens seen, how to use it, and -- between the two ``classit-scores`` markers -- its evaluation scores,
which ``classit-eval run --update_model_card`` fills in (:mod:`classit_tasks.leaderboard.model_card`). A rewritten checkpoint
(new weights at the same path) gets a fresh card without scores.
"""

from __future__ import annotations

import os
from pathlib import Path

SCORES_START = "<!-- classit-scores:start -->"
SCORES_END = "<!-- classit-scores:end -->"
NO_SCORES = ("No evaluation scores yet. Add them with\n`classit-eval run --model_args pretrained=THIS_FOLDER "
             "--tasks classit_zero_shot_fast --update_model_card`.")


def _words(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _paths(spec: dict) -> str:
    paths = spec.get("paths") or ([spec["path"]] if spec.get("path") else [])
    names = [os.path.basename(str(p)) for p in paths]
    return ", ".join(f"`{n}`" for n in names[:4]) + (f" (+{len(names) - 4} more)" if len(names) > 4 else "")


def render_model_card(state, config=None, stop_tokens: list[str] | None = None) -> str:
    """The card's Markdown (YAML front matter first, as the Hugging Face Hub reads it)."""
    title = state.branch or "classit checkpoint"
    where = f"stage {state.stage_index + 1}/{state.num_stages} `{state.stage}`"
    if state.milestone_words is not None:
        where += f", milestone checkpoint at {_words(state.milestone_words)} words"
    elif not state.stage_complete:
        where += f", step {state.stage_step} (mid-stage checkpoint)"
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-generation",
        "tags: [babylm, classit, instruction-tuning]",
        "---",
        "",
        f"# {title} — {where}",
        "",
        "A small causal language model trained with `classit-train` (BabyLM-scale pre-training and CLASS-IT-style "
        "instruction tuning). Chat turns use the ChatML-style template saved with the tokenizer; generation stops "
        f"at {' or '.join(f'`{t}`' for t in (stop_tokens or [])) or 'the EOS token'}.",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| run (branch) | `{state.branch or '—'}` |",
        f"| parent | {f'`{state.parent}`' if state.parent else 'none (trained from scratch)'} |",
        f"| stage | {where} |",
        f"| words seen | {_words(state.words_seen)} (cumulative, incl. {_words(state.words_offset)} of the parent) |",
        f"| tokens seen | {_words(state.tokens_seen)} |",
        f"| optimizer steps | {state.global_step:,} (this stage: {state.stage_step:,}) |",
        f"| words budget | {_words(state.budget_max_words)}{' (exhausted)' if state.budget_exhausted else ''} |",
    ]
    if config is not None:
        model = config.model
        base = f"`{model.init_from}`" if model.init_from else f"preset `{model.preset}` (random init)"
        lines += [f"| model | {base} |",
                  f"| sequence length | {config.data.max_seq_length} (packing: {config.data.packing}) |"]
        lines += ["", "## Curriculum", "", "| # | stage | sources (weight) | epochs | loss on |", "|---|---|---|---|---|"]
        for i, stage in enumerate(config.stages):
            mark = " **(this checkpoint)**" if i == state.stage_index else ""
            sources = ", ".join(f"{s.source} ({s.weight:g})" for s in stage.sources)
            epochs = stage.epochs if stage.epochs is not None else config.training.num_train_epochs
            lines.append(f"| {i + 1} | `{stage.name}`{mark} | {sources} | {epochs:g} | "
                         f"{stage.loss_on or config.data.loss_on} |")
        lines += ["", "## Data", "", "| source | type | files | records cap |", "|---|---|---|---|"]
        for name, spec in config.sources.items():
            lines.append(f"| `{name}` | {spec.get('type', '?')} | {_paths(spec) or '—'} | "
                         f"{spec.get('max_records') or 'all'} |")
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "from transformers import pipeline",
        'chat = pipeline("text-generation", model="THIS_FOLDER")',
        'print(chat([{"role": "user", "content": "What is a dog?"}], max_new_tokens=64)[0]["generated_text"][-1])',
        "```",
        "",
        "Zero-shot BabyLM evaluation: `classit-eval run --model_args pretrained=THIS_FOLDER "
        "--tasks classit_zero_shot_fast`.",
        "",
        "## Evaluation",
        "",
        SCORES_START,
        NO_SCORES,
        SCORES_END,
        "",
    ]
    return "\n".join(lines)


def write_model_card(folder: str | os.PathLike, state, config=None, stop_tokens: list[str] | None = None) -> Path:
    """Write ``<folder>/README.md`` atomically (a new card: scores of earlier weights at this path are dropped)."""
    path = Path(folder) / "README.md"
    tmp = path.with_name(".README.md.tmp")
    tmp.write_text(render_model_card(state, config, stop_tokens), encoding="utf-8")
    os.replace(tmp, path)
    return path
