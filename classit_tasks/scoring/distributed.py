"""Data-parallel evaluation for classit-hf, on GPUs and on CPU (gloo).

lm-eval splits the work exactly one way: the evaluator gives each process the documents ``rank, rank +
world_size, …`` of every task (``Task.build_all_requests(rank=, world_size=)``), pads the request lists to equal
length, and gathers the per-document results on rank 0 (``lm.gather_object``). Each process scores only its own
requests, so classit-hf's prefix-trie rows are packed per process and never straddle two processes. lm-eval's
``HFLM`` switches this on only when it sees more than one GPU; :func:`adopt_data_parallel` also switches it on
when the processes were started by ``accelerate launch`` / ``torchrun`` without GPUs (the gloo backend on CPU),
which is how the equality of 1-process and 2-process scores is tested.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("lm_eval.classit")  # shown by lm-eval's handler


def prepare_data_parallel(kwargs: dict) -> None:
    """Before the model's Accelerator is built: processes launched with torchrun on CPU (``--device cpu`` or no
    GPU) form a gloo process group (what ``accelerate launch --cpu`` asks for with ``ACCELERATE_USE_CPU``), and the
    model loads without a device map (HFLM would map it to ``cpu:0``, which transformers 4.x cannot load to)."""
    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    if str(kwargs.get("device") or "").startswith("cpu") or not torch.cuda.is_available():
        os.environ.setdefault("ACCELERATE_USE_CPU", "true")
        kwargs.setdefault("device_map", "cpu")  # any explicit value: HFLM then loads with device_map=None


def adopt_data_parallel(lm) -> None:
    """Give ``lm`` (an HFLM) the launcher's rank and world size when HFLM did not (no GPUs / one GPU)."""
    if lm.world_size > 1 or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    from accelerate import Accelerator

    from classit_tasks.harness import adopt_process_group

    accelerator = Accelerator()  # the process group the launcher set up (shared state)
    if accelerator.num_processes <= 1:
        return
    # The global process index (HFLM uses the node-local one, which is the same on a single node).
    adopt_process_group(lm, accelerator)
    if lm.rank == 0:
        log.info("classit-hf: data-parallel over %d processes (%s)", lm.world_size, accelerator.distributed_type)
