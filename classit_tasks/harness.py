"""The one module that touches lm-evaluation-harness internals (checked against lm-eval 0.4.13).

Everything classit needs from lm-eval beyond its public extension API goes through this module, each use with a
comment naming what it relies on, so an lm-eval upgrade is checked here and nowhere else
(``tests/unit/test_harness_boundary.py`` enforces it).

Public extension API that other classit modules may import directly (:data:`PUBLIC_API`):

- ``lm_eval.api.registry.register_model``: registering ``classit-hf``;
- ``lm_eval.models.huggingface.HFLM``: subclassed by ``classit-hf``, with its public attributes (``model``,
  ``tokenizer``, ``device``, ``rank``, ``world_size``, ``batch_size``, ``max_length``, ``cache_hook``,
  ``accelerator``, ``get_model_info``);
- ``lm_eval.api.task.ConfigurableTask`` and ``lm_eval.api.instance.Instance``: the reading task's class and its
  requests.

Anything else (the CLI classes and their parser, ``simple_evaluate``/``evaluate``, the task manager and its index,
the YAML loader, ``EvaluationTracker``'s writers, ``lm_eval.utils`` helpers, underscore attributes) is used here
only. Patching lm-eval is confined to this module: :func:`classit_run_patches` is the one context manager of a
``classit-eval run`` (its CLI's ``simple_evaluate``, task manager and git hash, and the tracker's writers via
:func:`recorded_tracker_files`); each restores what it replaced, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from classit_tasks.artifacts.results import date_id, output_folder, results_path, samples_path, task_hashes

LM_EVAL_VERSION = "0.4.13"
# (module, name) pairs other modules may import from lm_eval (see the module docstring).
PUBLIC_API = frozenset({
    ("lm_eval.api.registry", "register_model"),
    ("lm_eval.models.huggingface", "HFLM"),
    ("lm_eval.api.task", "ConfigurableTask"),
    ("lm_eval.api.instance", "Instance"),
})


# ------------------------------------------------------------------------------------------------ small helpers
def parse_args_string(text: str) -> dict:
    """``key=value,key=value`` as lm-eval parses ``--model_args`` (values typed the same way)."""
    from lm_eval.utils import simple_parse_args_string  # lm-eval 0.4.13: lm_eval.utils.simple_parse_args_string

    return simple_parse_args_string(text)


def results_table(results: dict, column: str = "results") -> str:
    """lm-eval's Markdown table of a results dict (``column``: "results" or "groups")."""
    from lm_eval.utils import make_table  # lm-eval 0.4.13: lm_eval.utils.make_table(result_dict, column)

    return make_table(results, column)


def model_names() -> list[str]:
    """Names of the registered lm-eval models (classit-hf once ``classit_tasks.scoring.model`` is imported)."""
    from lm_eval.api.registry import model_registry  # lm-eval 0.4.13: the registry is a dict-like with .keys()

    return list(model_registry.keys())


def model_class(name: str):
    """The class registered under a model name (raises for an unknown name)."""
    from lm_eval.api.registry import get_model  # lm-eval 0.4.13: get_model(name) -> class

    return get_model(name)


def aggregation(name: str) -> Callable:
    """An aggregation function registered in lm-eval under ``name`` (raises for an unknown name)."""
    from lm_eval.api.registry import get_aggregation  # lm-eval 0.4.13: get_aggregation(name) -> callable

    return get_aggregation(name)


def sanitized_sample(sample: dict) -> dict:
    """A logged sample as lm-eval's tracker stores it: arguments as ``gen_args_i.arg_j``, responses as (nested)
    lists of strings, target a str (``EvaluationTracker.save_results_samples``)."""
    from lm_eval.utils import sanitize_list  # lm-eval 0.4.13: nested lists/tuples -> same shape of str()

    out = dict(sample)
    out["arguments"] = {f"gen_args_{i}": {f"arg_{j}": a for j, a in enumerate(arg)}
                        for i, arg in enumerate(sample["arguments"])}
    out["resps"] = sanitize_list(sample["resps"])
    out["filtered_resps"] = sanitize_list(sample["filtered_resps"])
    out["target"] = str(sample["target"])
    return out


def json_default(value):
    """The ``default=`` lm-eval passes to ``json.dumps`` for its result files."""
    from lm_eval.utils import handle_non_serializable  # lm-eval 0.4.13: numpy scalars -> Python, sets -> lists

    return handle_non_serializable(value)


# ------------------------------------------------------------------------------------------------------ logging
class _QuietCustomDatasetNotice(logging.Filter):
    """lm-eval logs a two-line "Custom kwargs can be passed to `--metadata`" warning for every task whose dataset
    comes from a Python loader: 67 copies for classit_blimp. classit's loaders take their settings from
    --metadata / CLASSIT_DATA_DIR as documented, so the notice is dropped for classit's own tasks only."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("classit_") and "Custom kwargs can be passed to `--metadata`" in message)


def quiet_custom_dataset_notice() -> None:
    """Drop lm-eval's per-task "Custom kwargs" notice for classit's tasks (installed once, at import of classit)."""
    logger = logging.getLogger("lm_eval.api.task")  # lm-eval 0.4.13: ConfigurableTask logs the notice here
    if not any(isinstance(f, _QuietCustomDatasetNotice) for f in logger.filters):
        logger.addFilter(_QuietCustomDatasetNotice())


def setup_lm_eval_logging(verbosity: str | None) -> None:
    """lm-eval's logger at ``verbosity`` (default INFO; ``LMEVAL_LOG_LEVEL`` wins), with its handler, which
    lm-eval's ``__main__`` sets up and a direct call of its CLI class does not."""
    from lm_eval.utils import setup_logging  # lm-eval 0.4.13: adds one plain StreamHandler to the "lm_eval" logger

    setup_logging(verbosity=(verbosity or "INFO").upper())
    lm_eval_logger = logging.getLogger("lm_eval")
    for i, handler in enumerate(lm_eval_logger.handlers):
        if type(handler) is logging.StreamHandler:  # lm-eval 0.4.13: the handler setup_logging added
            current = _CurrentStderrHandler(handler.level)
            current.setFormatter(handler.formatter)
            lm_eval_logger.handlers[i] = current


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at each record, not the stream of the first set-up: classit-eval may run
    several times in one process (the Python API, tests capturing stderr), and an earlier stream may be closed."""

    def __init__(self, level: int = logging.NOTSET):
        super().__init__()
        self.setLevel(level)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; the current sys.stderr is used instead
        pass


# ------------------------------------------------------------------------------------------------- tasks
def task_manager_class(task_root: Path, extra_metadata: dict | None = None):
    """lm-eval's TaskManager, indexing only classit's folder (plus any ``--include_path``): the stock one indexes
    ~14k YAMLs on every start. ``extra_metadata`` is added under the metadata lm-eval gives it (``model_args |
    --metadata``; those win), which lm-eval passes to every task's ``custom_dataset`` loader as keyword arguments."""
    from lm_eval.tasks import TaskManager  # lm-eval 0.4.13: (verbosity, include_path, include_defaults, metadata)

    class ClassitTaskManager(TaskManager):
        def __init__(self, verbosity=None, include_path=None, include_defaults=True, metadata=None):
            paths = [task_root] + ([include_path] if isinstance(include_path, (str, Path)) else list(include_path or []))
            if extra_metadata:
                metadata = {**extra_metadata, **(metadata or {})}
            super().__init__(verbosity, include_path=paths, include_defaults=False, metadata=metadata)

    return ClassitTaskManager


def task_manager(task_root: Path, metadata: dict | None = None):
    """A task manager over classit's folder only; ``metadata`` reaches every task's ``custom_dataset`` loader
    (lm-eval 0.4.13: ``custom_dataset(**config.metadata, **config.dataset_kwargs)``)."""
    return task_manager_class(task_root)(metadata=metadata)


def list_tasks(task_root: Path) -> str:
    """lm-eval's listing of the tasks and groups under ``task_root``."""
    return task_manager(task_root).list_all_tasks()  # lm-eval 0.4.13: TaskManager.list_all_tasks() -> str


def task_yaml(manager, task: str) -> dict | None:
    """The YAML config of a task in ``manager``'s index (``!function`` entries resolved), or None."""
    from lm_eval.tasks._yaml_loader import load_yaml  # lm-eval 0.4.13: private YAML loader (resolves !function)

    entry = manager.task_index.get(task)  # lm-eval 0.4.13: task_index: name -> entry with .yaml_path
    if entry is None or entry.yaml_path is None:
        return None
    return load_yaml(entry.yaml_path)


# ------------------------------------------------------------------------------------------- classit-eval run
def run_parser(prog: str):
    """lm-eval's own ``run`` parser (every flag of ``lm-eval run``) under ``prog``: (top parser, run parser).

    ``top.parse_args(["run", …])`` gives the namespace whose ``func`` runs lm-eval's CLI on it."""
    import argparse

    from lm_eval._cli.run import Run  # lm-eval 0.4.13: private CLI; Run.create(subparsers) adds "run"

    top = argparse.ArgumentParser(prog=prog)
    subparsers = top.add_subparsers(dest="command")
    run_parser = Run.create(subparsers)._parser  # lm-eval 0.4.13: the subcommand's argparse parser
    run_parser.prog = f"{prog} run"
    return top, run_parser


@contextlib.contextmanager
def classit_run_patches(evaluate_hook: Callable, task_root: Path, git_hash: Callable[[], str | None],
                        metadata: dict | None = None, results_sink=None) -> Iterator[None]:
    """For one ``classit-eval run``: lm-eval's CLI calls ``evaluate_hook(original_simple_evaluate, *a, **kw)``
    instead of ``simple_evaluate``, builds classit's task manager (with ``metadata`` under the run's own, see
    :func:`task_manager_class`), records ``git_hash()``, and, with a ``results_sink`` (an object with ``results``
    and a ``samples`` list, e.g. ``artifacts.results.ResultSet``), hands its result files to the sink instead of
    writing them (:func:`recorded_tracker_files`). Everything is restored on exit, whatever happens."""
    import lm_eval  # lm-eval 0.4.13: lm_eval.simple_evaluate, looked up by the CLI at call time
    import lm_eval.evaluator  # lm-eval 0.4.13: evaluator.get_git_commit_hash
    import lm_eval.tasks  # lm-eval 0.4.13: tasks.TaskManager

    original_evaluate = lm_eval.simple_evaluate  # lm-eval 0.4.13: the CLI imports it from lm_eval at call time
    original_manager = lm_eval.tasks.TaskManager  # lm-eval 0.4.13: EvaluatorConfig.process_tasks imports it then
    original_git_hash = lm_eval.evaluator.get_git_commit_hash  # lm-eval 0.4.13: simple_evaluate calls it by name

    def evaluate(*a, **kw):
        return evaluate_hook(original_evaluate, *a, **kw)

    def on_results(path: Path, text: str) -> None:
        results_sink.results = (path, text)

    def on_samples(path: Path, rows: list[dict]) -> None:  # rendered when the sink writes them
        results_sink.samples.append((path, (json.dumps(sanitized_sample(r), default=json_default, ensure_ascii=False)
                                            + "\n" for r in rows)))

    lm_eval.simple_evaluate = evaluate
    lm_eval.tasks.TaskManager = task_manager_class(task_root, metadata)
    lm_eval.evaluator.get_git_commit_hash = git_hash
    try:
        if results_sink is None:
            yield
        else:
            with recorded_tracker_files(on_results, on_samples):
                yield
    finally:
        lm_eval.simple_evaluate = original_evaluate
        lm_eval.tasks.TaskManager = original_manager
        lm_eval.evaluator.get_git_commit_hash = original_git_hash


# ----------------------------------------------------------------------------- lm-eval's result-file writers
def _output_folder(tracker) -> Path:
    """lm-eval's output location (the folder of ``--output_path`` when it names a .json file)."""
    # lm-eval 0.4.13: EvaluationTracker.output_path (str or None); a folder per model under it
    return output_folder(tracker.output_path, str(tracker.general_config_tracker.model_name_sanitized))


@contextlib.contextmanager
def recorded_tracker_files(on_results: Callable[[Path, str], None],
                           on_samples: Callable[[Path, list[dict]], None]) -> Iterator[None]:
    """Within the block, lm-eval's ``EvaluationTracker`` hands its results file (path, JSON text) and each samples
    file (path, sample dicts) to the callbacks instead of writing them; runs that push to the Hugging Face Hub keep
    lm-eval's own writers. The text and paths are those lm-eval 0.4.13 writes."""
    from lm_eval.loggers.evaluation_tracker import EvaluationTracker  # lm-eval 0.4.13: the two writers replaced

    original_aggregated = EvaluationTracker.save_results_aggregated
    original_samples = EvaluationTracker.save_results_samples

    def save_results_aggregated(self, results: dict, samples: dict | None = None) -> None:
        # lm-eval 0.4.13: output_path, push_*_to_hub, general_config_tracker (a dataclass with log_end_time)
        if not self.output_path or self.push_results_to_hub or self.push_samples_to_hub:
            return original_aggregated(self, results, samples)
        self.general_config_tracker.log_end_time()
        results.update({"task_hashes": task_hashes(samples or {})})
        results.update(asdict(self.general_config_tracker))
        text = json.dumps(results, indent=2, default=json_default, ensure_ascii=False)
        self.date_id = date_id()  # lm-eval 0.4.13: the samples files reuse it
        on_results(results_path(self.output_path, str(self.general_config_tracker.model_name_sanitized),
                                self.date_id), text)

    def save_results_samples(self, task_name: str, samples: list[dict]) -> None:
        if not self.output_path or self.push_results_to_hub or self.push_samples_to_hub:
            return original_samples(self, task_name, samples)
        on_samples(samples_path(_output_folder(self), task_name, self.date_id), samples)

    EvaluationTracker.save_results_aggregated = save_results_aggregated
    EvaluationTracker.save_results_samples = save_results_samples
    try:
        yield
    finally:
        EvaluationTracker.save_results_aggregated = original_aggregated
        EvaluationTracker.save_results_samples = original_samples


def write_result_files(results: dict, samples: dict, output_path: Path, model_source: str, model_args: dict) -> None:
    """The files ``lm_eval --output_path --log_samples`` writes (results JSON, one samples JSONL per task)."""
    from lm_eval.loggers import EvaluationTracker  # lm-eval 0.4.13: EvaluationTracker(output_path=...)

    tracker = EvaluationTracker(output_path=str(output_path))
    tracker.general_config_tracker.log_experiment_args(  # lm-eval 0.4.13: what simple_evaluate records
        model_source=model_source, model_args=model_args, system_instruction=None,
        chat_template=None, fewshot_as_multiturn=False)
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results.get("configs", {}):
        if name in samples:
            tracker.save_results_samples(task_name=name, samples=samples[name])


# ------------------------------------------------------------------------------------ classit-eval sweep
def evaluate_loaded(lm, loaded: dict, limit, bootstrap_iters: int, seed: Callable[[], None]) -> dict:
    """lm-eval's ``evaluate`` on an already loaded task dict, set up as ``simple_evaluate`` does it (zero-shot
    unless configured, few-shot seed 1234, then ``seed()`` for the global generators), with samples logged."""
    from lm_eval.evaluator import evaluate  # lm-eval 0.4.13: evaluate(lm, task_dict, limit, bootstrap_iters, ...)

    for task_obj in loaded["tasks"].values():  # lm-eval 0.4.13: TaskManager.load -> {"tasks": {...}, "groups": ...}
        if task_obj.get_config("num_fewshot") is None:  # lm-eval 0.4.13: Task.get_config/set_config
            task_obj.set_config(key="num_fewshot", value=0)
        task_obj.set_fewshot_seed(seed=1234)  # lm-eval 0.4.13: simple_evaluate's default fewshot_random_seed
    seed()
    return evaluate(lm=lm, task_dict=loaded, limit=limit, bootstrap_iters=bootstrap_iters, log_samples=True)


def add_run_info(results: dict, lm) -> None:
    """The environment and tokenizer entries ``simple_evaluate`` adds to a results dict."""
    from lm_eval.loggers.utils import add_env_info, add_tokenizer_info  # lm-eval 0.4.13: both mutate results

    add_env_info(results)
    add_tokenizer_info(results, lm)


def reuse_requests(loaded: dict) -> None:
    """After a first evaluation, lm-eval's request building of these tasks becomes: clear the responses, keep the
    request objects (their documents, contexts and arguments do not depend on the model)."""
    for task in loaded["tasks"].values():
        if getattr(task, "_classit_sweep_built", False):
            continue
        built = list(task.instances)  # lm-eval 0.4.13: Task.instances, the built Instance list

        def rebuild(*_args, _task=task, _built=built, **_kwargs):
            for instance in _built:
                instance.resps = []
                instance.filtered_resps = {}
            _task._instances = _built  # lm-eval 0.4.13: Task.instances reads Task._instances

        task.build_all_requests = rebuild  # lm-eval 0.4.13: evaluate() calls task.build_all_requests(...)
        task._classit_sweep_built = True


# ------------------------------------------------------------------------------------------- data parallelism
def adopt_process_group(lm, accelerator) -> None:
    """Make an HFLM use ``accelerator``'s process group: its global rank and world size."""
    lm.accelerator = accelerator
    # lm-eval 0.4.13: HFLM.rank / world_size are read-only properties over _rank / _world_size
    lm._rank, lm._world_size = accelerator.process_index, accelerator.num_processes
