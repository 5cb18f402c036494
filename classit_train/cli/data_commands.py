"""``classit-train data map`` and ``classit-train data audit`` (and the ``train --max_contamination`` gate)."""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

from ..errors import ConfigError

AUDIT_FILE_SUFFIX = ".contaminated_ids.txt"
_INDEX_CACHE: dict = {}


def add_data_commands(data_sub) -> None:
    """Register ``map`` and ``audit`` under ``classit-train data``."""
    dmap = data_sub.add_parser("map", help="data map (confidence, variability, correctness per example) of a run "
                                           "trained with data.dynamics: true")
    dmap.add_argument("run_dir", help="the run's output_dir (or one stage folder)")
    dmap.add_argument("--output_path", default=None, help="folder to write (default RUN_DIR/data_map)")
    dmap.add_argument("--probability", choices=["geometric", "mean"], default="geometric",
                      help="per-epoch reply probability: geometric (default) or arithmetic mean of token probabilities")
    dmap.add_argument("--ambiguous_fraction", type=float, default=1 / 3,
                      help="share of each stage's examples, by variability, in the ambiguous region (default 1/3)")

    audit = data_sub.add_parser("audit", help="overlap of every training source with every evaluation set "
                                              "(exact sentences, 13-grams)")
    audit.add_argument("config")
    audit.add_argument("--data_dir", default=None, help="BabyLM evaluation data (default $CLASSIT_DATA_DIR)")
    audit.add_argument("--source", action="append", help="only this source (repeatable)")
    audit.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    audit.add_argument("--output_path", default=None, help="write the results as JSON to this file")
    audit.add_argument("--write_ids", default=None, metavar="DIR",
                       help=f"write the ids of contaminated records to DIR/<source>{AUDIT_FILE_SUFFIX} "
                            "(use them as the source's exclude_ids)")
    audit.add_argument("--min_sentence_words", type=int, default=4, help="shortest sentence an exact match counts")
    audit.add_argument("--examples", type=int, default=3,
                       help="matched sentences shown per pair (hashes only for EWoK and entity tracking)")
    audit.add_argument("--max_contamination", type=float, default=None, metavar="FRACTION",
                       help="exit with status 1 if any evaluation set has more than this fraction of its items in a source")


def run_data_command(args) -> int:
    if args.data_command == "map":
        return cmd_map(args)
    return cmd_audit(args)


def cmd_map(args) -> int:
    from ..analysis.data_maps import write_data_map

    out, rows, notes = write_data_map(args.run_dir, args.output_path, args.probability, args.ambiguous_fraction)
    from ..analysis.data_maps import region_markdown

    print(region_markdown(rows))
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {out / 'data_map.png'}, {out / 'coordinates.jsonl'}, {out / 'regions.md'}")
    return 0


def run_audit(config, data_dir: str | None, names: list[str] | None = None, min_sentence_words: int = 4,
              max_examples: int = 3, show_progress: bool = True):
    """Audit the config's sources; returns (results, contaminated ids per source, seconds, peak RSS in MiB)."""
    from ..analysis.decontamination import EvalIndex, audit_source
    from ..analysis.eval_sets import load_eval_sets
    from ..data.sources import iter_source_with_ids

    if min_sentence_words < 1:
        raise ConfigError("--min_sentence_words", f"must be at least 1, got {min_sentence_words}")
    start = time.perf_counter()
    from ..analysis.eval_sets import resolve_root

    key = (str(resolve_root(data_dir).resolve()), min_sentence_words)
    index = _INDEX_CACHE.get(key)
    if index is None:  # one process auditing several configs (tests, notebooks) indexes the sets once
        index = _INDEX_CACHE[key] = EvalIndex(load_eval_sets(data_dir), min_sentence_words=min_sentence_words)
    results, ids = [], {}
    for name in names or list(config.sources):
        pairs, contaminated = audit_source(index, name, iter_source_with_ids(config.sources[name], name),
                                           max_examples=max_examples, show_progress=show_progress)
        results += pairs
        ids[name] = contaminated
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results, ids, seconds, peak_mib


def cmd_audit(args) -> int:
    from ..analysis.decontamination import audit_table
    from ..config.run import load_config
    from ..files import write_json_atomic

    config = load_config(args.config, args.set)
    for name in args.source or []:
        if name not in config.sources:
            raise ConfigError("--source", f"unknown source {name!r} (defined: {', '.join(sorted(config.sources))})")
    results, ids, seconds, peak = run_audit(config, args.data_dir, args.source, args.min_sentence_words, args.examples)
    print(audit_table(results))
    shown = [r for r in results if r.examples]
    if shown and args.examples:
        print("\nmatched sentences (EWoK / entity tracking: hashes only):")
        for r in shown:
            print(f"  {r.source} x {r.task}: " + " | ".join(r.examples))
    print(f"\naudited {len(ids)} source(s) against {len({r.task for r in results})} evaluation set(s) in "
          f"{seconds:.1f} s, peak memory {peak:,.0f} MiB")
    if args.output_path:
        write_json_atomic(args.output_path, {"config": str(args.config), "seconds": seconds, "peak_rss_mib": peak,
                                             "results": [r.to_json() for r in results],
                                             "contaminated_records": {s: len(v) for s, v in ids.items()}})
        print(f"wrote {args.output_path}")
    if args.write_ids:
        out = Path(args.write_ids)
        out.mkdir(parents=True, exist_ok=True)
        for source, found in ids.items():
            path = out / f"{source}{AUDIT_FILE_SUFFIX}"
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            tmp.write_text("".join(f"{i}\n" for i in sorted(found)), encoding="utf-8")
            os.replace(tmp, path)
            print(f"{source}: {len(found):,} contaminated record id(s) -> {path} (use as sources.{source}.exclude_ids)")
    if args.max_contamination is not None:
        worst = _worst(results)
        if worst and worst.fraction(worst.either_items, "items") > args.max_contamination:
            print(f"classit-train: contamination above {args.max_contamination}: {_describe(worst)}", file=sys.stderr)
            return 1
    return 0


def _worst(results):
    return max(results, key=lambda r: r.fraction(r.either_items, "items"), default=None)


def _describe(r) -> str:
    return (f"{r.either_items:,} of {r.items:,} {r.task} items "
            f"({100 * r.fraction(r.either_items, 'items'):.2f}%) occur in source {r.source}")


def contamination_gate(config, threshold: float, data_dir: str | None) -> None:
    """Refuse (ConfigError) to train when an evaluation set overlaps a source above ``threshold`` of its items."""
    if not 0 <= threshold <= 1:
        raise ConfigError("--max_contamination", f"must be a fraction between 0 and 1, got {threshold}")
    results, _, seconds, _ = run_audit(config, data_dir)
    worst = _worst(results)
    if worst and worst.fraction(worst.either_items, "items") > threshold:
        raise ConfigError("--max_contamination", f"{_describe(worst)}, above {threshold}; run `classit-train data "
                                                 "audit CONFIG --write_ids DIR` and set the source's exclude_ids")
    print(f"decontamination audit passed in {seconds:.1f} s (worst: "
          f"{_describe(worst) if worst else 'nothing to audit'})", file=sys.stderr)


__all__ = ["add_data_commands", "run_data_command", "run_audit", "contamination_gate"]
