"""Streaming a long run to the browser without holding the model up, and stopping it cleanly. No gradio.

A tab's handler is a generator that Gradio iterates; between two of its yields Gradio encodes and sends the
update, and a plain generator's model work waits for that. `ahead` runs the work on a thread of its own: the
model keeps going while an update is sent, and the handler sends what has piled up at most every `every`
seconds, so a fast run sends a few updates, not one per step.

Stop is cooperative: the handler's first update puts a fresh `RunControl` in the tab's gr.State; the Stop
button's handler (not queued behind the model) calls `stop()` on the one it reads back, and the run ends after
its current item. The handler then still sends its last update - the partial run, "Stopped at step 9 of 50." -
which cancelling the event would lose.
"""
from __future__ import annotations

import queue
import threading
import time
import weakref
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

_DONE = object()


class RunControl:
    """One run's stop flag, kept per user in a gr.State; safe to set from another thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


def request_stop(run) -> None:
    """The Stop button's handler: stop the run the tab's state holds - a RunControl, or a record of the run with
    one as its `control` (anything else: no run to stop)."""
    control = run if isinstance(run, RunControl) else getattr(run, "control", None)
    if isinstance(control, RunControl):
        control.stop()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(items: Iterable[T], control: RunControl | None = None, every: float = 0.1) -> Iterator[list[T]]:
    """Iterate `items` on a thread of its own, starting now; the iterator returned yields what it has made since
    its last yield, as a list.

    A list comes at most every `every` seconds (sooner for the first item, so the first picture shows at
    once); the last one, when `items` ends, may be empty. The producer never waits for the consumer. When
    `control` is stopped, or the consumer stops iterating (closes the iterator), the producer stops after
    its current item; an exception in the producer is raised in the consumer.
    """
    control = control or RunControl()
    made: queue.SimpleQueue = queue.SimpleQueue()
    quit_ = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                made.put(item)
                if control.stopped or quit_.is_set():
                    break
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            made.put(_Failure(e))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001 - the producer is done either way
                    pass
            made.put(_DONE)

    thread = threading.Thread(target=produce, name="run-ahead", daemon=True)
    thread.start()
    batches = _batches(made, quit_, thread, every)
    weakref.finalize(batches, quit_.set)  # dropped before it was read (a closed page): the producer stops too
    return batches


def _batches(made: queue.SimpleQueue, quit_: threading.Event, thread: threading.Thread, every: float):
    def take(timeout):
        """The next item; None when nothing came in time. _DONE and failures are returned/raised."""
        try:
            item = made.get(timeout=timeout) if timeout is None or timeout > 0 else made.get_nowait()
        except queue.Empty:
            return None
        if isinstance(item, _Failure):
            raise item.error
        return item

    batch: list = []
    due = None  # when the next update may go; None: the first item goes at once
    try:
        while True:
            item = take(None if not batch else max(0.0, due - time.perf_counter()))
            if item is _DONE:
                yield batch
                return
            if item is not None:
                batch.append(item)
                if due is not None and time.perf_counter() < due:
                    continue
                while (more := take(0)) is not None:  # all that is already there goes in this update
                    if more is _DONE:
                        yield batch
                        return
                    batch.append(more)
            yield batch
            batch = []
            due = time.perf_counter() + every
    finally:
        quit_.set()
        thread.join(timeout=30)


def later(fn: Callable[..., T], *args) -> Callable[[], T]:
    """``fn(*args)`` started now on a thread of its own (``ahead``); call what this returns for its result (it
    waits for it; an exception in ``fn`` is raised there). For work to overlap an update being sent."""
    batches = ahead(fn(*args) for _ in range(1))
    return lambda: next(item for batch in batches for item in batch)


def stopped_text(done: int, total: int, unit: str = "step") -> str:
    """The info line of a stopped run: 'Stopped at step 9 of 50.'"""
    return f"Stopped at {unit} {done} of {total}."
