"""python -m bench.streaming: what a person waits on in the served app, against the pipeline's own time.

    python -m bench.streaming                       # the bundled model: 10, 40 and 80 steps, 3 repeats
    python -m bench.streaming --quick --model tiny  # smoke run on the random test model

Serves the app in this process as `python app.py` does (its queue, launch options and CSS) and times, interleaved
per repeat, for each step count:
  - pipeline: `pipe(..., return_trajectory=True)` on this thread (every step's x_t and x̂0 kept, nothing drawn);
  - pipeline + pictures: the same run, streamed, and its steps turned into the pictures the Generate tab shows
    (x̂0 decoded), no server;
  - gradio_client: `/generate` submitted and read to its last update (every streamed update downloaded);
  - Chromium: from the click event to the first frame that shows the result's picture, on the browser's clock.
Prints a markdown table with the medians and the ratios to the pipeline's time, and the cost of x̂0 pictures per
step (decoded by the autoencoder vs the approximate linear map).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="bench-gradio-"))

CHROMIUM = "/usr/bin/chromium"
SAMPLER, GUIDANCE, SEED = "DPM++ 2M", 4.0, 7
PROMPT = "three red circles on a blue background"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.streaming", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="bundled", help="'bundled' (default), 'tiny' or a folder")
    ap.add_argument("--steps", default="10,40,80", help="comma-separated step counts (default 10,40,80)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one repeat at 4 and 8 steps")
    ap.add_argument("--no-browser", action="store_true", help="leave out the Chromium column")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the app's default)")
    return ap.parse_args(argv)


def serve(pipe, name: str):
    """The app on this one model, served as app.py serves it; returns (url, demo)."""
    from collections import OrderedDict

    import app
    from playground.app_ui import CSS, build_demo
    from playground.registry import ModelRegistry

    demo = build_demo(ModelRegistry(OrderedDict([(name, pipe)]))).queue(default_concurrency_limit=2,
                                                                         max_size=app.QUEUE_SIZE)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, css=CSS,
                            **app.LAUNCH_OPTIONS)
    return url, demo


def timers(pipe, name: str, url: str, page):
    from gradio_client import Client

    from playground.lab.live import step_views

    client = Client(url, verbose=False)

    def pipeline(steps):
        pipe(PROMPT, "", SAMPLER, steps, GUIDANCE, SEED, return_trajectory=True)

    def pictures(steps, preview="decoded"):
        records = list(pipe.generate_steps(PROMPT, "", SAMPLER, steps, GUIDANCE, SEED))
        step_views(pipe, records, steps, preview)

    def through_client(steps):
        job = client.submit(name, PROMPT, "", SAMPLER, steps, GUIDANCE, SEED, 1, False, "decoded",
                            api_name="/generate")
        for _ in job:
            pass
        assert "model evaluations" in job.outputs()[-1][5]

    def through_browser(steps):
        """The browser's own clock, from the click event to the first animation frame that shows the result:
        Playwright's checks before it clicks are not counted."""
        page.locator("#steps input[type=range]").fill(str(steps))
        before = page.evaluate("""() => { window.__clicked = null;
            document.addEventListener('click', () => { window.__clicked = performance.now(); },
                                      {capture: true, once: true});
            const i = document.querySelector('#final img'); return i ? i.src : ''; }""")
        page.locator("#generate").click()
        shown = page.wait_for_function(  # the new run's result (a new file, captioned with its seed), loaded
            """(before) => { const i = document.querySelector('#final img');
                       const done = i && i.src !== before && i.complete && i.naturalWidth > 0
                                    && document.querySelector('#final').innerText.includes('seed ');
                       return done ? performance.now() - window.__clicked : false; }""", arg=before,
            polling="raf", timeout=120_000)
        return shown.json_value()

    fns = {"pipeline": pipeline, "pipeline + pictures": pictures, "gradio_client": through_client}
    if page is not None:
        fns["Chromium click → picture"] = through_browser
    return fns, pictures


def timed(fn, *args) -> float:
    """Milliseconds the call took, or the ones it measured itself (the browser's clock) when it returns them."""
    start = time.perf_counter()
    measured = fn(*args)
    return measured if isinstance(measured, (int, float)) else (time.perf_counter() - start) * 1000


def open_page(url: str):
    from playwright.sync_api import sync_playwright

    play = sync_playwright().start()
    browser = play.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#prompt textarea")
    page.locator("#prompt textarea").fill(PROMPT)
    return play, browser, page


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    from bench.measure import load_model, machine_line
    from playground.lab.live import step_views
    from playground.registry import set_threads

    set_threads(args.threads)

    step_counts = [4, 8] if args.quick else [int(s) for s in args.steps.split(",")]
    repeats = 1 if args.quick else args.repeats
    pipe = load_model(args.model, "cpu")
    name = "bundled"
    url, demo = serve(pipe, name)
    print(f"serving {url}", file=sys.stderr, flush=True)
    browser_ok = not args.no_browser and os.path.exists(CHROMIUM)
    play = browser = page = None
    if browser_ok:
        play, browser, page = open_page(url)
    try:
        fns, pictures = timers(pipe, name, url, page)
        for n, fn in fns.items():  # warm up every path once
            print(f"warming up: {n}", file=sys.stderr, flush=True)
            fn(2)
        results = {(n, steps): [] for n in fns for steps in step_counts}
        for _ in range(repeats):
            for steps in step_counts:
                for n, fn in fns.items():
                    results[n, steps].append(timed(fn, steps))
                    print(f"{n} {steps} steps: {results[n, steps][-1]:.0f} ms", file=sys.stderr, flush=True)
        per_step, steps = {}, step_counts[-1]
        records = list(pipe.generate_steps(PROMPT, "", SAMPLER, steps, GUIDANCE, SEED))
        for preview in ("decoded", "approximate"):
            ms = statistics.median(timed(step_views, pipe, records, steps, preview) for _ in range(max(3, repeats)))
            per_step[preview] = ms / steps
    finally:
        if browser is not None:
            browser.close()
            play.stop()
        demo.close()

    med = {k: statistics.median(v) for k, v in results.items()}
    names = list(fns)
    print(f"Streaming in the served app: {args.model} model, {SAMPLER}, guidance {GUIDANCE:g}, one image · "
          f"{machine_line(torch.device('cpu'))} · {torch.get_num_threads()} torch threads · median of {repeats}\n")
    print("| steps | " + " | ".join(f"{n} (ms)" for n in names) + " | " +
          " | ".join(f"{n} / pipeline" for n in names[1:]) + " |")
    print("|---" * (2 * len(names)) + "|")
    for steps in step_counts:
        base = med["pipeline", steps]
        cells = [f"{med[n, steps]:.0f}" for n in names] + [f"{med[n, steps] / base:.2f}" for n in names[1:]]
        print(f"| {steps} | " + " | ".join(cells) + " |")
    print(f"\nThe live view's pictures of a step (x_t and x̂0, made a batch at a time as the app does), at "
          f"{step_counts[-1]} steps: x̂0 decoded by the autoencoder {per_step['decoded']:.2f} ms a step, approximate "
          f"{per_step['approximate']:.2f} ms a step.")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
