"""The models the server was started with: the one shared object of the app.

The browser only ever picks a *name* from this registry; it can never name a path or a hub id.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import torch

from pipelines import PlaygroundInputError, PlaygroundPipeline, load_pipeline

# Every event that runs a model passes this concurrency_id, so they share one queue: at most the queue's
# default_concurrency_limit (app.py --concurrency) of them run at once, whichever tabs they come from.
MODEL_QUEUE = "model"


class ModelRegistry:
    def __init__(self, pipes: "OrderedDict[str, PlaygroundPipeline]"):
        if not pipes:
            raise ValueError("at least one model is needed")
        self._pipes = OrderedDict(pipes)

    @classmethod
    def load(cls, sources: list[str], device: str = "cpu") -> "ModelRegistry":
        pipes: OrderedDict = OrderedDict()
        for source in sources or ["bundled"]:
            name = display_name(source, taken=pipes.keys())
            pipes[name] = load_pipeline(source, device=device)
            pipes[name].set_progress_bar_config(disable=True)  # the browser shows progress; keep the server log clean
        return cls(pipes)

    @property
    def names(self) -> list[str]:
        return list(self._pipes)

    @property
    def default(self) -> str:
        return next(iter(self._pipes))

    def get(self, name: str | None) -> PlaygroundPipeline:
        if name is None or name == "":
            name = self.default
        if name not in self._pipes:
            raise PlaygroundInputError(f"Unknown model {str(name)[:80]!r}; choose one of: {', '.join(self.names)}.")
        return self._pipes[name]

    def pick(self, name: str | None) -> tuple[str, PlaygroundPipeline]:
        """(name, its pipeline) for a name from the browser; None or empty is the default model."""
        name = name or self.default
        return name, self.get(name)

    def items(self):
        return self._pipes.items()


def display_name(source: str, taken=()) -> str:
    """A short name for a model source (the folder name, or the hub id)."""
    name = "bundled" if source == "bundled" else Path(str(source).rstrip("/")).name or str(source)
    base, i = name, 2
    while name in taken:
        name, i = f"{base} ({i})", i + 1
    return name


def default_threads() -> int:
    """torch's CPU threads for the app: one core left to the server and the browser (docs/performance.md: with
    every core busy in torch, OpenMP's threads wait on each other whenever anything else runs, and a 25-step
    image on 2 cores took 2-20 times as long)."""
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) - 1))


def set_threads(n: int | None) -> int:
    """Set torch's CPU threads: n, or default_threads() when n is None or 0. Returns the number set."""
    n = n or default_threads()
    torch.set_num_threads(n)
    return n
