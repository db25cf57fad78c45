"""Many users at once (issue 7): no cross-talk, a bounded queue whose cancelled runs free their worker, and
flat memory over many calls. The app is served as app.py serves it (tests/conftest.py: served_app, 2 model
runs at once) on the tiny models, with 1 to 3 steps per call so the file stays short on a busy machine.
"""
from __future__ import annotations

import gc
import io
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest
from gradio_client import Client
from gradio_client.utils import Status
from PIL import Image

from playground.registry import MODEL_QUEUE

MODEL_EVENTS = ("generate", "compare", "run_preset", "count_sweep", "denoise_from", "denoise_strip", "guidance_sweep",
                "seed_grid")


def _args(seed: int, steps: int = 3):
    # Alternate the two models, and use a sampler that adds fresh noise every step: a shared generator or
    # scheduler between calls would show up as a changed picture.
    return ("bundled" if seed % 2 else "pixel", "three red circles", "", "Euler a", steps, 4.0, seed, 1, False)


def _pixels(gallery) -> tuple[str, bytes]:
    """(caption, pixel bytes) of a gallery's first image; clients use download_files=False, so only the
    final PNG is fetched (gradio_client would download every step picture, one request each)."""
    item = gallery[0]
    r = httpx.get(item["image"]["url"], timeout=60)
    r.raise_for_status()
    with Image.open(io.BytesIO(r.content)) as im:
        return item["caption"], im.tobytes()


@pytest.mark.slow
def test_20_concurrent_calls_each_get_the_image_of_their_own_seed(served_app):
    seeds = list(range(500, 520))
    alone_client = Client(served_app.url, verbose=False, download_files=False)
    alone = {s: _pixels(alone_client.predict(*_args(s), api_name="/generate")[0]) for s in seeds}
    assert len({pixels for _c, pixels in alone.values()}) == len(seeds)  # every seed is a different picture

    with ThreadPoolExecutor(5) as pool:  # five users, four calls each, all submitted at once
        clients = list(pool.map(lambda _: Client(served_app.url, verbose=False, download_files=False), range(5)))
    start = time.perf_counter()
    jobs = {s: clients[i % 5].submit(*_args(s), api_name="/generate") for i, s in enumerate(seeds)}
    together = {s: _pixels(job.result(timeout=300)[0]) for s, job in jobs.items()}
    print(f"\n20 concurrent generate calls: {time.perf_counter() - start:.1f} s")
    for s in seeds:
        assert together[s][0] == f"seed {s}"
        assert together[s][1] == alone[s][1], f"seed {s}: the picture differs from the same call made alone"


def test_model_runs_share_one_queue_with_a_limit(served_app):
    demo = served_app.demo
    assert demo._queue.default_concurrency_limit == 2
    by_name = {fn.api_name: fn for fn in demo.fns.values()}
    for name in MODEL_EVENTS:
        assert by_name[name].concurrency_id == MODEL_QUEUE, name
    assert demo._queue.max_size == 64


def test_a_full_queue_waits_and_a_cancelled_run_frees_its_worker(served_app, latent_pipe):
    """Three long runs: two run (the limit), the third waits; cancelled, they stop and the queue goes on."""
    calls = []
    hook = latent_pipe.unet.register_forward_hook(lambda *a: calls.append(time.perf_counter()))
    queue = served_app.demo._queue
    try:
        clients = [Client(served_app.url, verbose=False, download_files=False) for _ in range(3)]
        long_args = ("bundled", "a red circle", "", "Euler", 150, 4.0, 1, 1, False)
        jobs = [c.submit(*long_args, api_name="/generate") for c in clients]
        deadline = time.monotonic() + 120
        most = 0
        while time.monotonic() < deadline:
            running = queue.event_queue_per_concurrency_id[MODEL_QUEUE].current_concurrency if \
                MODEL_QUEUE in queue.event_queue_per_concurrency_id else 0
            most = max(most, running)
            codes = [j.status().code for j in jobs]
            if running == 2 and Status.IN_QUEUE in codes and len(calls) >= 2:
                break
            time.sleep(0.05)
        assert most <= 2
        assert running == 2 and Status.IN_QUEUE in codes, codes
        for job in jobs:
            job.cancel()
        # The cancelled generators stop at their next step: the model goes quiet and no run holds a worker.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = len(calls)
            time.sleep(1.0)
            if len(calls) == n and queue.event_queue_per_concurrency_id[MODEL_QUEUE].current_concurrency == 0:
                break
        assert len(calls) == n, "the cancelled runs kept calling the model"
        assert len(calls) < 2 * 150, "the cancelled runs ran to the end"
        # ...and the queue goes on: two normal calls complete.
        for c in clients[:2]:
            final = c.predict(*_args(7, steps=2), api_name="/generate")[0]
            assert final[0]["caption"] == "seed 7"
    finally:
        hook.remove()


@pytest.mark.slow
def test_100_calls_in_a_row_keep_memory_flat(served_app):
    """RSS of this process (it serves the app) after a warm-up of 10 calls, then after 100 more."""
    client = Client(served_app.url, verbose=False, download_files=False)  # the server's memory, not the client's
    process = psutil.Process()
    for i in range(10):
        client.predict(*_args(i, steps=2), api_name="/generate")
    gc.collect()
    before = process.memory_info().rss
    start = time.perf_counter()
    for i in range(100):
        client.predict(*_args(1000 + i, steps=2), api_name="/generate")
    seconds = time.perf_counter() - start
    gc.collect()
    after = process.memory_info().rss
    growth = (after - before) / 2**20
    print(f"\nRSS {before / 2**20:.1f} MB after 10 warm-up calls, {after / 2**20:.1f} MB after 100 more "
          f"({growth:+.1f} MB; {seconds:.1f} s for the 100)")
    assert growth < 50, f"RSS grew by {growth:.1f} MB over 100 calls"
