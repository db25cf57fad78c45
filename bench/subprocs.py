"""Measurements that need a fresh process: cold start, and torch.compile (guarded by a timeout).

The parent side runs `python -m bench.subprocs cold|compile ...` and reads one JSON line back;
the child side is `child_cold` / `child_compile` below.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

from .measure import ROOT

FIRST_IMAGE = "FIRST-IMAGE"


def _command(kind: str, model: str, device: str, threads: int | None, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "bench.subprocs", kind, "--model", model, "--device", device, *extra]
    return cmd + (["--threads", str(threads)] if threads else [])


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}


def cold_start(model: str, device: str, threads: int | None, timeout: float = 240) -> dict:
    """Seconds from starting `python` to the first image, as `python app.py` would make it (imports,
    model load, building the UI; no server), plus that process's peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(_command("cold", model, device, threads), cwd=ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_image, result = None, {}
    try:
        for line in proc.stdout:
            if line.strip() == FIRST_IMAGE and first_image is None:
                first_image = time.perf_counter() - start
            elif line.startswith("{"):
                result = json.loads(line)
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0 or first_image is None:
        raise RuntimeError(f"cold start run failed: {proc.stderr.read()[-2000:]}")
    return {"seconds": first_image, **result}


def cold_start_or_note(model: str, device: str, threads: int | None) -> dict:
    """cold_start, or {'skipped': why} where it cannot run: the app's cold start needs gradio (a GPU machine may
    have torch alone), and a failed child is reported in a line rather than ending the benchmark."""
    if importlib.util.find_spec("gradio") is None:
        return {"skipped": "not measured: gradio is not installed in this Python (the app's cold start builds its UI)"}
    try:
        return cold_start(model, device, threads)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        last = (str(error).strip().splitlines() or ["no output"])[-1][:160]
        return {"skipped": f"not measured: the cold-start process failed ({last})"}


def compile_probe(model: str, device: str, threads: int | None, calls: int, repeats: int, timeout: float,
                  mode: str = "default") -> dict:
    """torch.compile(mode=mode) on the UNet in a child process: {'mode', 'ratio', 'eager_ms', 'compiled_ms',
    'compile_s', 'max_diff', and for one 25-step image of the pipeline: 'image_eager_ms', 'image_compiled_ms',
    'image_max_diff' (0-255)}, or {'mode', 'skipped': reason} when it fails or runs past the timeout.
    mode "reduce-overhead" replays CUDA graphs on a GPU: one launch a UNet call instead of hundreds."""
    cmd = _command("compile", model, device, threads, "--calls", str(calls), "--repeats", str(repeats),
                   "--mode", mode)
    return {"mode": mode, **_compile_probe(cmd, timeout)}


def _compile_probe(cmd: list[str], timeout: float) -> dict:
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=_env(), text=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"not measured: compiling took longer than the {timeout:.0f} s guard (--compile-timeout)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return {"skipped": f"not measured: torch.compile failed ({last})"}
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- child side


def child_cold(args) -> None:
    from collections import OrderedDict

    from bench.measure import PROMPT, load_model, peak_rss_mib
    from playground.app_ui import build_demo
    from playground.registry import ModelRegistry, set_threads

    set_threads(args.threads)
    t0 = time.perf_counter()
    if args.model == "tiny":
        registry = ModelRegistry(OrderedDict(tiny=load_model("tiny", args.device)))
    else:
        registry = ModelRegistry.load([args.model], device=args.device)
    loaded = time.perf_counter()
    build_demo(registry)
    built = time.perf_counter()
    pipe = registry.get(None)
    pipe(PROMPT, "", pipe.config.default_sampler, 20, pipe.config.default_guidance_scale, 7)  # the UI's defaults
    print(FIRST_IMAGE, flush=True)
    done = time.perf_counter()
    print(json.dumps({"load_s": loaded - t0, "ui_s": built - loaded, "image_s": done - built,
                      "peak_rss_mib": peak_rss_mib()}), flush=True)


def child_compile(args) -> None:
    import torch

    import numpy as np

    from bench.measure import NEGATIVE, PROMPT, SEED, UNetFloor, interleaved, load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    pipe = load_model(args.model, args.device)
    eager = UNetFloor(pipe)
    eager_unet = pipe.unet
    compiled_unet = torch.compile(eager_unet, mode=None if args.mode == "default" else args.mode)
    compiled = UNetFloor(pipe, unet=compiled_unet)
    start = time.perf_counter()
    compiled.loop(1)()  # compiles
    compile_s = time.perf_counter() - start
    eager.loop(1)()
    ms = interleaved({"compiled": compiled.loop(args.calls), "eager": eager.loop(args.calls)}, args.repeats, device)
    diff = float((compiled.output().float() - eager.output().float()).abs().max())
    result = {"mode": args.mode, "compiled_ms": ms["compiled"], "eager_ms": ms["eager"],
              "ratio": ms["compiled"] / ms["eager"], "compile_s": compile_s, "max_diff": diff}

    # the whole pipeline, one 25-step image with guidance, the UNet swapped in and out (the same weights)
    images = {}

    def image(unet, key):
        def run():
            pipe.unet = unet
            images[key] = np.asarray(pipe(PROMPT, NEGATIVE, pipe.config.default_sampler, 25, None, SEED).images[0],
                                     np.int16)
        return run

    image(compiled_unet, "compiled")()  # shapes the UNet has not seen yet (the pure-noise first call) compile here
    image_ms = interleaved({"compiled": image(compiled_unet, "compiled"), "eager": image(eager_unet, "eager")},
                           args.repeats, device)
    pipe.unet = eager_unet
    result.update(image_compiled_ms=image_ms["compiled"], image_eager_ms=image_ms["eager"],
                  image_max_diff=int(np.abs(images["compiled"] - images["eager"]).max()))
    print(json.dumps(result), flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["cold", "compile"])
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", default="default", choices=["default", "reduce-overhead", "max-autotune"])
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    (child_cold if args.kind == "cold" else child_compile)(args)


if __name__ == "__main__":
    main()
