"""python -m bench.training_load: what a training in the Train tab costs the people using the other tabs.

    python -m bench.training_load                 # the bundled model, 25 steps, 5 repeats each way
    python -m bench.training_load --quick         # smoke run: 4 steps, 2 repeats, 30 s of training (10 s alone)

Serves the app as `python app.py` does (bench.streaming.serve) and times `/generate` through gradio_client, read
to its last update: first with the server idle, then while another client's `/train` (the default preset) runs in
its worker process. Also reports the training's own speed in steps/s, from its status line. Prints a markdown
table with the medians and the ratio.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="bench-gradio-"))

PROMPT = "two green squares on a white background"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.training_load", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="bundled", help="'bundled' (default), 'tiny' or a folder")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=60, help="the training's budget (30 to 300)")
    ap.add_argument("--quick", action="store_true", help="4 steps, 2 repeats, 30 s of training (10 s alone)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the app's default)")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.steps, args.repeats, args.seconds = 4, 2, 30
    import torch
    from gradio_client import Client

    from bench.measure import load_model, machine_line
    from bench.streaming import serve
    from playground.registry import set_threads

    set_threads(args.threads)
    url, demo = serve(load_model(args.model, "cpu"), "bundled")
    try:
        user, trainer = Client(url, verbose=False), Client(url, verbose=False)

        def generate() -> float:
            started = time.perf_counter()
            user.predict("bundled", PROMPT, "", "DPM++ 2M", args.steps, 4.0, 7, 1, api_name="/generate")
            return (time.perf_counter() - started) * 1000

        generate()  # warm up
        idle = [generate() for _ in range(args.repeats)]
        job = trainer.submit("colours", "tiny", "latent", args.seconds, 0, api_name="/train")
        while "Training" not in str((job.outputs() or [[""]])[-1][0]):
            if job.done():
                raise SystemExit(f"the training ended before it started: {job.result()}")
            time.sleep(0.2)
        busy = []
        while len(busy) < args.repeats and not job.done():
            busy.append(generate())
        status = str(job.result()[0])
        rate = float(re.search(r"([\d.]+) steps/s", status).group(1))
    finally:
        demo.close()
    alone = _training_alone(10 if args.quick else min(args.seconds, 20))
    med_idle, med_busy = statistics.median(idle), statistics.median(busy)
    print(f"Generate while a training runs: {args.model} model, DPM++ 2M, {args.steps} steps, one image · "
          f"{machine_line(torch.device('cpu'))} · {torch.get_num_threads()} torch threads in the app · median of "
          f"{len(idle)} idle and {len(busy)} during the training\n")
    print("| /generate, server idle (ms) | /generate during a training (ms) | ratio | training steps/s, generating "
          "meanwhile | training steps/s alone |")
    print("|---|---|---|---|---|")
    print(f"| {med_idle:.0f} | {med_busy:.0f} | {med_busy / med_idle:.2f} | {rate:.1f} | {alone:.1f} |")


def _training_alone(seconds: int) -> float:
    """The default preset's steps per second with nothing else running (the worker's own figure, in process)."""
    from training.live import LiveTraining, TrainSettings
    from training.worker import worker_threads

    import torch

    torch.set_num_threads(worker_threads())
    run = LiveTraining(TrainSettings(seconds=seconds))
    while not run.out_of_time():
        run.step()
    return run.step_count / run.seconds


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
