"""Training pictures rendered ahead of the model, on as many processes as ``--workers`` asks.

Every phase's batch at a step is drawn from that step's seed alone, so the batches can be made anywhere and in any
order: with ``workers`` > 0 a torch DataLoader renders them in that many processes, a few steps ahead, and hands
them back in step order - the same batches, bit for bit, as rendering them in the training process (workers 0, the
default). On a GPU the world's rendering on one core bounds training (about 1,500 pictures a second for the shapes
world); its CPU cores render in parallel.
"""
from __future__ import annotations

from typing import Callable, Iterator, TypeVar

import torch
from torch.utils.data import DataLoader, Dataset

T = TypeVar("T")


class _Steps(Dataset):
    """Item i is ``make(i)``: a phase's batch at step i."""

    def __init__(self, make: Callable[[int], T]):
        self.make = make

    def __getitem__(self, step: int) -> T:
        return self.make(step)


def _as_made(item):
    """The DataLoader's per-item conversion, left out: numpy pictures stay numpy (to_tensor reads them)."""
    return item


def batches(make: Callable[[int], T], start: int, stop: int, workers: int = 0, ahead: int = 4) -> Iterator[T]:
    """``make(step)`` for step = start .. stop - 1, in order: in this process (``workers`` 0) or made ``ahead``
    steps ahead by each of ``workers`` processes."""
    if workers <= 0:
        for step in range(start, stop):
            yield make(step)
        return
    # a generator of its own: the DataLoader draws its workers' base seed from it, not from torch's global one,
    # which the phases' own noise comes from
    loader = DataLoader(_Steps(make), sampler=range(start, stop), batch_size=None, collate_fn=_as_made,
                        num_workers=workers, prefetch_factor=ahead, worker_init_fn=_one_thread,
                        generator=torch.Generator().manual_seed(0))
    yield from loader


def _one_thread(_worker_id: int) -> None:
    torch.set_num_threads(1)  # a worker renders with numpy; torch's threads belong to the training process
