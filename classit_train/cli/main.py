"""``classit-train``: tokenizer, data preview/build, train, demo.

    classit-train tokenizer --input 'corpora/**/*.train*' --vocab_size 8192 --output_path tok/
    classit-train data preview configs/tiny_merged.yaml --source switchboard -n 3
    classit-train data build configs/tiny_merged.yaml --output_path instr_data/
    classit-train data map runs/tiny-merged                  (data map from recorded training dynamics)
    classit-train data audit configs/tiny_merged.yaml --data_dir eval_data   (decontamination audit)
    classit-train train configs/tiny_merged.yaml --set training.max_steps=50
    classit-train demo --data_dir ../shared/data --output_path demo_out
    classit-train configs list|show NAME|copy NAME [DEST]

Errors in configs or inputs are reported as one line, ``classit-train: error: <field or file:line>: <what>``.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from importlib import resources
from pathlib import Path

from ..errors import ClassitTrainError
from .flags import Parser, rename

PROG = "classit-train"
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
DEMO_CONFIGS = ("tiny_pretrain.yaml", "tiny_merged.yaml", "tiny_sequential.yaml")


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Train tokenizers and CLASS-IT-style instruction-tuned BabyLM checkpoints.")
    sub = parser.add_subparsers(dest="command", required=True)

    tok = sub.add_parser("tokenizer", help="train a byte-level BPE tokenizer (chat template included)")
    tok.add_argument("--input", nargs="+", required=True, help="text files or globs (.gz ok)")
    tok.add_argument("--output_path", required=True, help="folder to save the tokenizer to")
    tok.add_argument("--vocab_size", type=int, default=8192)
    tok.add_argument("--no_bos", action="store_true", help="do not prepend a BOS token when encoding")
    tok.add_argument("--min_frequency", type=int, default=2)
    tok.add_argument("--max_words", type=int, default=None, help="read at most this many words")
    rename(tok, "--output_path", "--output")
    rename(tok, "--vocab_size", "--vocab-size")
    rename(tok, "--no_bos", "--no-bos")
    rename(tok, "--min_frequency", "--min-frequency")
    rename(tok, "--max_words", "--max-words")

    data = sub.add_parser("data", help="inspect or materialise a config's sources")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    preview = data_sub.add_parser("preview", help="print a few records of each source, formatted, with the trained span marked")
    preview.add_argument("config")
    preview.add_argument("--source", action="append", help="only this source (repeatable)")
    preview.add_argument("-n", type=int, default=3, help="records per source")
    preview.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    build = data_sub.add_parser("build", help="write each source's records as CLASS-IT-style JSONL (prompt, reply, source, text)")
    build.add_argument("config")
    build.add_argument("--output_path", required=True, help="folder for <source>.jsonl files")
    build.add_argument("--source", action="append", help="only this source (repeatable)")
    build.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    rename(build, "--output_path", "--output")
    from .data_commands import add_data_commands

    add_data_commands(data_sub)

    train = sub.add_parser("train", help="run a curriculum config (rerun the same command to resume)")
    train.add_argument("config")
    train.add_argument("--output_path", default=None, help="run folder (overrides the config's output_dir)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value, e.g. training.max_steps=20 or stages.0.epochs=2")
    train.add_argument("--stage_order", default=None, metavar="NAME,NAME",
                       help="run these stages in this order (e.g. simple_wiki,switchboard for a reversed sequential run)")
    train.add_argument("--dynamics", action="store_true", help="record per-example training dynamics (data.dynamics)")
    train.add_argument("--max_contamination", type=float, default=None, metavar="FRACTION",
                       help="audit the sources first and refuse to start if any evaluation set overlaps them above "
                            "this fraction of its items (see `data audit`; evaluation data from --data_dir)")
    train.add_argument("--data_dir", default=None, help="evaluation data for --max_contamination (default $CLASSIT_DATA_DIR)")
    train.add_argument("--fresh", action="store_true",
                       help="replace a finished run in --output_path trained with another config (default: refuse)")
    rename(train, "--output_path", "--output-dir")
    rename(train, "--stage_order", "--stage-order")

    from .configs_command import add_parser as add_configs_parser

    add_configs_parser(sub)

    demo = sub.add_parser("demo", help="corpora -> tokenizer -> tiny base -> merged and sequential checkpoints")
    demo.add_argument("--data_dir", default=os.environ.get("CLASSIT_SHARED_DATA"),
                      help="the data folder (holds corpora/; default $CLASSIT_SHARED_DATA)")
    demo.add_argument("--output_path", required=True,
                      help="folder for the tiny base and the two instruction-tuned runs")
    demo.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for all three configs")
    demo.add_argument("--max_records", type=int, default=None, help="cap every source at this many records (a quick run)")
    rename(demo, "--output_path", "--output-dir")
    rename(demo, "--max_records", "--max-records")
    rename(demo, "--data_dir", "--data")
    return parser


def _setup_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def cmd_tokenizer(args) -> int:
    from ..files import expand_paths
    from ..training.tokenizer import train_tokenizer

    files = expand_paths(args.input, "--input")
    tok = train_tokenizer(files, vocab_size=args.vocab_size, add_bos=not args.no_bos,
                          min_frequency=args.min_frequency, max_words=args.max_words, output_dir=args.output_path)
    print(f"saved a {len(tok)}-token tokenizer ({'with' if not args.no_bos else 'without'} BOS) to {args.output_path}")
    return 0


def _selected_sources(config, names):
    from ..errors import ConfigError

    for name in names or []:
        if name not in config.sources:
            raise ConfigError("--source", f"unknown source {name!r} (defined: {', '.join(sorted(config.sources))})")
    return names or list(config.sources)


def cmd_data(args) -> int:
    from itertools import islice

    from ..config.run import load_config
    from ..data.sources import iter_source, iter_source_with_ids

    if args.data_command in ("map", "audit"):
        from .data_commands import run_data_command

        return run_data_command(args)
    config = load_config(args.config, args.set)
    names = _selected_sources(config, args.source)
    if args.data_command == "build":
        out = Path(args.output_path)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            count = 0
            tmp = out / f".{name}.jsonl.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                for _, record in iter_source_with_ids(config.sources[name], name):  # honours exclude_ids
                    handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
                    count += 1
            os.replace(tmp, out / f"{name}.jsonl")
            print(f"{name}: {count:,} records -> {out / f'{name}.jsonl'}")
        return 0

    tokenizer = _preview_tokenizer(config)
    for name in names:
        print(f"=== source {name} ({config.sources[name]['type']}) ===")
        for record in islice(iter_source(config.sources[name], name), args.n):
            print(f"--- {record.origin} ({record.num_words} words)")
            if tokenizer is None:
                print(json.dumps(record.to_json(), ensure_ascii=False, indent=1))
                continue
            from ..data.formatting import IGNORE_INDEX, encode_record

            for ex in encode_record(tokenizer, record, config.data.max_seq_length, loss_on=config.data.loss_on):
                pieces, trained = [], None
                for tok_id, label in zip(ex.input_ids, ex.labels):
                    is_trained = label != IGNORE_INDEX
                    if is_trained != trained:
                        pieces.append("[[" if is_trained else "]]" if trained else "")
                        trained = is_trained
                    pieces.append(tokenizer.decode([tok_id]))
                if trained:
                    pieces.append("]]")
                print("".join(pieces))
                print(f"    ({len(ex.input_ids)} tokens, {sum(l != IGNORE_INDEX for l in ex.labels)} trained; [[...]] = loss)")
    return 0


def _preview_tokenizer(config):
    from ..files import expand_vars
    from ..training.tokenizer import load_tokenizer

    for candidate in (config.tokenizer.path, config.model.init_from,
                      f"{config.output_dir}/tokenizer" if config.tokenizer.train_files else None):
        if candidate:
            path = Path(expand_vars(candidate, "tokenizer.path"))
            if (path / "tokenizer.json").is_file():
                return load_tokenizer(path)
    print("(no tokenizer available yet: showing raw records)")
    return None


def cmd_train(args) -> int:
    from ..config.run import load_config

    overrides = list(args.set)
    if args.output_path:
        overrides.append(f"output_dir={args.output_path}")
    if args.dynamics:
        overrides.append("data.dynamics=true")
    from .configs_command import resolve_config_path

    shipped = resolve_config_path(args.config)  # `train tiny_merged`: a shipped config by name
    if shipped is not None:
        with shipped as path:
            config = load_config(path, overrides)
    else:
        config = load_config(args.config, overrides)  # validate before the (slow) torch/transformers import
    if args.stage_order:
        config = reorder_stages(config, args.stage_order.split(","))
    if args.max_contamination is not None:
        from .data_commands import contamination_gate

        contamination_gate(config, args.max_contamination, args.data_dir)
    from ..training.trainer import run_curriculum

    final = run_curriculum(config, fresh=args.fresh)
    print(f"final checkpoint: {final}")
    return 0


def reorder_stages(config, names: list[str]):
    """The config with its stages in the order ``names`` (each name must be a stage of the config)."""
    import dataclasses

    from ..errors import ConfigError

    by_name = {stage.name: stage for stage in config.stages}
    for name in names:
        if name not in by_name:
            raise ConfigError("--stage_order", f"unknown stage {name!r} (stages: {', '.join(by_name)})")
    if len(set(names)) != len(names):
        raise ConfigError("--stage_order", "a stage is listed twice")
    return dataclasses.replace(config, stages=[by_name[n] for n in names])


def cmd_demo(args) -> int:
    from ..config.run import load_config
    from ..errors import ConfigError
    from ..training.trainer import run_curriculum

    if not args.data_dir:
        raise ConfigError("--data_dir", "give the data folder (the one holding corpora/) or set CLASSIT_SHARED_DATA")
    os.environ["CLASSIT_SHARED_DATA"] = str(Path(args.data_dir).resolve())
    out = Path(args.output_path)
    base = out / "tiny-pretrain"
    for name in DEMO_CONFIGS:
        run_dir = out / name.removesuffix(".yaml").replace("_", "-")
        overrides = [f"output_dir={run_dir}"] + ([f"model.init_from={base / 'final'}"] if name != DEMO_CONFIGS[0] else [])
        path = resources.files("classit_train").joinpath(f"configs/{name}")
        with resources.as_file(path) as config_path:
            config = load_config(config_path, overrides + list(args.set))
        if args.max_records:
            for spec in config.sources.values():
                spec["max_records"] = min(spec.get("max_records") or args.max_records, args.max_records)
        print(f"== {name} -> {run_dir}")
        final = run_curriculum(config)
        print(f"   final checkpoint: {final}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging()
    from .configs_command import cmd_configs

    commands = {"tokenizer": cmd_tokenizer, "data": cmd_data, "train": cmd_train, "demo": cmd_demo,
                "configs": cmd_configs}
    try:
        return commands[args.command](args)
    except ClassitTrainError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the environment (full disk, read-only or missing folder), not a bug: one line
        if err.filename is None and err.errno not in DISK_ERRNOS:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"{PROG}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except RuntimeError as err:  # torch.save reports a failed write (a full disk) as a RuntimeError
        if "PytorchStreamWriter failed writing" not in str(err) and "file write failed" not in str(err):
            raise
        print(f"{PROG}: error: cannot write a checkpoint (disk full?): {str(err).splitlines()[-1].strip()}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
