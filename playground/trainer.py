"""The server's one training at a time (the Train tab): who holds it, how long the others wait, and the folders
trainings write to - one per browser session under one temporary folder of the server's, removed when the session
ends (and all of it when the server stops). No gradio.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

from training.live import TrainSettings
from training.worker import GRACE, TrainingJob


def _folder_name(owner: str) -> str:
    """A session's folder name: its id's letters, digits, - and _ (a session id comes from the browser)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", owner)[:64] or "anonymous"


class Busy(Exception):
    """Another session's training holds the server; the message says for about how long."""


class TrainingSlot:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: TrainingJob | None = None
        self._owner: str | None = None
        self.root = Path(tempfile.mkdtemp(prefix="playground-train-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.root, True)  # also at the server's exit

    def folder(self, owner: str) -> Path:
        """Session ``owner``'s folder (made on first use)."""
        path = self.root / _folder_name(owner)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def start(self, owner: str, settings: TrainSettings) -> TrainingJob:
        """Start ``owner``'s training in a new run folder of its session, or raise Busy (someone else's is running;
        the same session's earlier one is stopped first)."""
        with self._lock:
            job = self._job
            if job is not None and job.process.is_alive():
                if self._owner != owner:
                    left = max(0.0, job.deadline - GRACE - time.monotonic())
                    raise Busy(f"Another person's training is running on this server (one at a time); it ends in "
                               f"about {left + 10:.0f} s. Try again then.")
                job.stop()
                job.process.join(timeout=30)
                job.kill()
            run_folder = Path(tempfile.mkdtemp(prefix="run-", dir=self.folder(owner)))
            self._job, self._owner = TrainingJob(settings, run_folder / "model"), owner
            return self._job

    def release(self, job: TrainingJob) -> None:
        """``job`` has ended: the slot is free (unless another job holds it by now)."""
        with self._lock:
            if self._job is job:
                self._job, self._owner = None, None

    def end_session(self, owner: str) -> None:
        """Session ``owner`` closed: stop its training, if it runs, and delete its folder."""
        with self._lock:
            job = self._job if self._owner == owner else None
        if job is not None:
            job.stop()
            job.process.join(timeout=30)
            job.kill()
            self.release(job)
        shutil.rmtree(self.root / _folder_name(owner), ignore_errors=True)
