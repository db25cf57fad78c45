"""python -m bench: time generation against its floor and print markdown tables (progress goes to stderr).

    python -m bench                          # bundled model, CPU, under 5 minutes
    python -m bench --quick --model tiny     # smoke run on the random test model, seconds
    python -m bench --device cuda --repeats 5
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# One sampler of each kind: first-order, ancestral (adds noise), two model calls per step, multistep (default).
SAMPLERS_FULL = ["Euler", "Euler a", "Heun", "DPM++ 2M"]
SAMPLERS_QUICK = ["Euler", "Heun", "DPM++ 2M"]
GRID_SAMPLERS = ["Euler", "Euler a", "Heun", "DPM2 a", "DPM++ 2M", "DPM++ SDE", "DDIM", "UniPC"]
STEP_COUNTS = [10, 25, 50]
GRID_STEPS = 20


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="bundled", help="'bundled' (default), 'tiny' (random test model) or a folder")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--quick", action="store_true", help="3 samplers, 1 repeat, no torch.compile: a smoke run")
    ap.add_argument("--repeats", type=int, default=None, help="timings per figure, median reported (default 3; 1 quick)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--samplers", default=None, help="comma-separated samplers for the per-image table, or 'all'")
    ap.add_argument("--compile-timeout", type=float, default=None,
                    help="seconds allowed for the torch.compile probe; 0 skips it (default: 300 on a GPU, "
                         "0 on CPU, where compiling alone takes minutes and would break the 5-minute budget)")
    ap.add_argument("--no-cold-start", action="store_true", help="skip the cold-start subprocess")
    ap.add_argument("--record", default=None, metavar="FILE",
                    help="also add the tables (their heading names the model and device, the line under it the "
                         "machine) to FILE, newest first: e.g. bench/RESULTS.md, the performance history")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {message}", file=sys.stderr, flush=True)

    import torch

    from pipelines import SAMPLERS

    from . import figures, report, subprocs
    from .measure import load_model, machine_line, peak_rss_mib

    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = args.repeats or (1 if args.quick else 3)
    device = torch.device(args.device)
    log(f"loading {args.model} on {device}")
    pipe = load_model(args.model, args.device)
    default_sampler = pipe.config.default_sampler
    if args.samplers == "all":
        samplers = list(SAMPLERS)
    elif args.samplers:
        samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    else:
        samplers = SAMPLERS_QUICK if args.quick else SAMPLERS_FULL
    if default_sampler not in samplers:
        samplers = samplers + [default_sampler]
    ctx = figures.Context(pipe, device, repeats, log)

    figures.warm_up(ctx, list(dict.fromkeys(samplers + GRID_SAMPLERS)))
    rows = figures.per_sampler(ctx, samplers, STEP_COUNTS)
    trajectory = figures.trajectory(ctx, default_sampler, 25)
    grid = figures.grid(ctx, GRID_SAMPLERS, GRID_STEPS)
    levers = figures.levers(ctx, calls=5 if args.quick else 10)
    if args.compile_timeout is None:
        args.compile_timeout = 0.0 if device.type == "cpu" else 300.0
    if args.quick or args.compile_timeout <= 0:
        why = "--quick" if args.quick else "default on CPU (give --compile-timeout 600 to measure it)"
        compiled = [{"mode": "default", "skipped": "not measured in this run: " + why}]
    else:
        # on a GPU also CUDA graphs (mode reduce-overhead): the small model's step is launch-bound there
        modes = ["default"] + (["reduce-overhead"] if device.type == "cuda" else [])
        compiled = []
        for mode in modes:
            log(f"torch.compile probe, mode {mode}")
            compiled.append(subprocs.compile_probe(args.model, args.device, args.threads, 10, repeats,
                                                   args.compile_timeout, mode))
    cold = None
    if not args.no_cold_start:
        log("cold start")
        cold = subprocs.cold_start_or_note(args.model, args.device, args.threads)

    h, w = pipe.default_size
    header = {
        "model": "tiny random (smoke run)" if args.model == "tiny" else args.model,
        "device": args.device, "machine": machine_line(device), "torch": torch.__version__,
        "threads": f"{torch.get_num_threads()} torch threads" if device.type == "cpu" else "GPU",
        "date": datetime.date.today().isoformat(), "repeats": repeats, "guidance": ctx.guidance,
        "size": f"{w}×{h} px", "took_s": time.perf_counter() - began, "default_sampler": default_sampler,
    }
    table = report.markdown(header, rows, trajectory, grid, cold, peak_rss_mib(), levers, compiled)
    print(table)
    if args.record:
        report.record(args.record, table)
        log(f"tables added to {args.record}")


if __name__ == "__main__":
    main()
