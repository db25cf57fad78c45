"""Live training in a process of its own, so the app's other tabs keep their interpreter and their core: the Train
tab starts a TrainingJob and reads its messages (training.live's Progress, Samples, Finished; Failed here).

    job = TrainingJob(TrainSettings(seconds=60), folder)
    for message in job.messages():       # until Finished or Failed
        ...
    job.stop()                           # from another thread: the run ends after its current step, and saves

A job that outlives its budget by more than GRACE seconds (a hung process) is killed and reported as Failed.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from training.live import Finished, TrainSettings

GRACE = 120.0  # seconds past the budget: starting the process, loading, sampling, saving


@dataclass
class Failed:
    message: str


def _run(settings: dict, folder: str, messages, stop, threads: int) -> None:
    import diffusers
    import torch
    import transformers

    from training.live import train_live

    torch.set_num_threads(threads)
    diffusers.utils.logging.disable_progress_bar()  # loading and saving: the server's log stays readable
    transformers.utils.logging.disable_progress_bar()
    try:
        train_live(TrainSettings(**settings), folder, messages.put, stop.is_set)
    except Exception as error:  # reported to the tab in words; the process ends either way
        messages.put(Failed(f"{type(error).__name__}: {error}"))


def worker_threads() -> int:
    """torch threads for the training process: half the cores but one (the app's own torch threads have the rest;
    at least one)."""
    return max(1, ((os.cpu_count() or 2) - 1) // 2)


class TrainingJob:
    def __init__(self, settings: TrainSettings, folder: str | Path, threads: int | None = None):
        self.settings = settings.checked()
        self.folder = Path(folder)
        context = multiprocessing.get_context("spawn")  # never fork a process that runs torch threads
        self._messages = context.Queue()
        self._stop = context.Event()
        self.started = time.monotonic()
        self.deadline = self.started + self.settings.seconds + GRACE
        self.process = context.Process(target=_run, daemon=True, name="playground-training",
                                       args=(asdict(self.settings), str(self.folder), self._messages, self._stop,
                                             threads or worker_threads()))
        self.process.start()

    def stop(self) -> None:
        """Ask the run to end after its current step (it still samples and saves)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def messages(self, poll: float = 0.2):
        """Each message as it comes, until Finished or Failed (also when the process dies or runs out of time)."""
        while True:
            try:
                message = self._messages.get(timeout=poll)
            except queue.Empty:
                if not self.process.is_alive():
                    yield Failed(f"The training process ended unexpectedly (exit code {self.process.exitcode}).")
                    return
                if time.monotonic() > self.deadline:
                    self.kill()
                    yield Failed(f"The training went {GRACE:.0f} s past its budget and was ended.")
                    return
                yield None  # nothing new: a chance for the caller to look at the clock
                continue
            yield message
            if isinstance(message, (Finished, Failed)):
                self.process.join(timeout=10)
                return

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=10)
