"""The models the server was started with: the one shared object of the app.

The browser only ever picks a *name* from this registry; it can never name a path or a hub id.
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from pipelines import PlaygroundInputError, PlaygroundPipeline, load_pipeline
from pipelines.loading import bundled_name

# Every event that runs a model passes this concurrency_id, so they share one queue: at most the queue's
# default_concurrency_limit (app.py --concurrency) of them run at once, whichever tabs they come from.
MODEL_QUEUE = "model"


TRAINED_PER_SESSION = 3  # models a browser session trains in the Train tab and keeps (the oldest goes first)


@dataclass
class TrainedModel:
    """A model trained in the Train tab: its pipeline, the session that owns it, and its folder (the download)."""

    name: str
    pipe: PlaygroundPipeline
    owner: str
    folder: Path


class ModelRegistry:
    """The models the server started with, by name, and the ones each browser session trained (Train tab): those are
    offered to that session alone (its model menu), and removed with their folders when the session ends."""

    def __init__(self, pipes: "OrderedDict[str, PlaygroundPipeline]"):
        if not pipes:
            raise ValueError("at least one model is needed")
        self._pipes = OrderedDict(pipes)
        self._trained: "OrderedDict[str, TrainedModel]" = OrderedDict()
        self._serial = itertools.count(1)  # trained models are numbered across the server: their names never clash
        self._lock = threading.Lock()

    @classmethod
    def load(cls, sources: list[str], device: str = "cpu", dtype: str = "fp32") -> "ModelRegistry":
        pipes: OrderedDict = OrderedDict()
        for source in sources or ["bundled"]:
            name = display_name(source, taken=pipes.keys())
            pipes[name] = load_pipeline(source, device=device, torch_dtype=dtype)
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
        if name in self._pipes:
            return self._pipes[name]
        trained = self._trained.get(name)
        if trained is None:
            raise PlaygroundInputError(f"Unknown model {str(name)[:80]!r}; choose one of: {', '.join(self.names)}.")
        return trained.pipe

    # ------------------------------------------------------------------ models trained in the Train tab

    def add_trained(self, owner: str, label: str, pipe: PlaygroundPipeline, folder: Path) -> str:
        """Offer ``pipe`` (trained by session ``owner``, saved in ``folder``) under a new name, which is returned;
        the session's oldest trained model beyond TRAINED_PER_SESSION is dropped."""
        with self._lock:
            name = f"trained {next(self._serial)}: {label}"
            self._trained[name] = TrainedModel(name, pipe, owner, Path(folder))
            mine = [m for m in self._trained.values() if m.owner == owner]
            old = mine[:-TRAINED_PER_SESSION] if len(mine) > TRAINED_PER_SESSION else []
            for model in old:
                del self._trained[model.name]
        for model in old:
            shutil.rmtree(model.folder, ignore_errors=True)
        return name

    def trained(self, owner: str) -> list[TrainedModel]:
        """The models session ``owner`` trained, oldest first."""
        return [m for m in list(self._trained.values()) if m.owner == owner]

    def choices(self, owner: str) -> list[str]:
        """The model menu of session ``owner``: the server's models, then the ones it trained."""
        return self.names + [m.name for m in self.trained(owner)]

    def drop_owner(self, owner: str) -> None:
        """The session ended: forget its trained models and delete their folders."""
        with self._lock:
            gone = [m for m in self._trained.values() if m.owner == owner]
            for model in gone:
                del self._trained[model.name]
        for model in gone:
            shutil.rmtree(model.folder, ignore_errors=True)

    def pick(self, name: str | None) -> tuple[str, PlaygroundPipeline]:
        """(name, its pipeline) for a name from the browser; None or empty is the default model."""
        name = name or self.default
        return name, self.get(name)

    def items(self):
        return self._pipes.items()


def display_name(source: str, taken=()) -> str:
    """A short name for a model source: a bundled model's own name ("bundled" is the default's: "shapes-32" today),
    so the menu says which world; else the folder's name, or the hub id."""
    name = bundled_name(source) or Path(str(source).rstrip("/")).name or str(source)
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
