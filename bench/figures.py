"""What the benchmark measures. Each function returns plain numbers; report.py turns them into tables.

Every comparison is timed interleaved in one run (see measure.interleaved) and given as a ratio.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable

import torch

from .measure import NEGATIVE, PROMPT, SEED, UNetFloor, interleaved


@dataclass
class Context:
    pipe: object
    device: torch.device
    repeats: int
    log: Callable[[str], None]

    @property
    def guidance(self) -> float:
        """The model's default guidance, or 4 if that would run only one branch."""
        g = float(self.pipe.config.default_guidance_scale)
        return g if g not in (0.0, 1.0) else 4.0

    def image(self, sampler: str, steps: int, **kwargs) -> Callable[[], object]:
        return lambda: self.pipe(PROMPT, NEGATIVE, sampler, steps, self.guidance, SEED, **kwargs)


def warm_up(ctx: Context, samplers: list[str]) -> None:
    """One short run per sampler, so first-call costs (allocations, lazy imports) stay out of the figures."""
    for name in samplers:
        ctx.pipe(PROMPT, NEGATIVE, name, 2, ctx.guidance, SEED, return_trajectory=True)


def per_sampler(ctx: Context, samplers: list[str], step_counts: list[int]) -> list[dict]:
    """Milliseconds per image (one image, with guidance) and the same number of bare UNet calls."""
    floor = UNetFloor(ctx.pipe)
    rows = []
    for name in samplers:
        for steps in step_counts:
            nfe = _model_calls(ctx, name, steps)
            ms = interleaved({"pipeline": ctx.image(name, steps), "floor": floor.loop(nfe)}, ctx.repeats, ctx.device)
            rows.append({"sampler": name, "steps": steps, "nfe": nfe, "ms": ms["pipeline"], "floor_ms": ms["floor"],
                         "ratio": ms["pipeline"] / ms["floor"]})
            ctx.log(f"{name} {steps} steps: {ms['pipeline']:.0f} ms, floor {ms['floor']:.0f} ms")
    return rows


def _model_calls(ctx: Context, name: str, steps: int) -> int:
    """The UNet calls a generation makes (a run's schedule, as the pipeline builds it)."""
    from pipelines import SamplerRun

    h, w = ctx.pipe.default_size
    settings = ctx.pipe.check_inputs(PROMPT, NEGATIVE, name, steps, ctx.guidance, SEED, 1, h, w)
    return len(SamplerRun(ctx.pipe, settings, record_steps=False).timesteps)


def trajectory(ctx: Context, sampler: str, steps: int) -> dict:
    """A generation that keeps every step's x_t and x0 (as the app's step gallery needs) against one that does not."""
    ms = interleaved({"on": ctx.image(sampler, steps, return_trajectory=True), "off": ctx.image(sampler, steps)},
                     ctx.repeats, ctx.device)
    ctx.log(f"trajectory on {ms['on']:.0f} ms, off {ms['off']:.0f} ms")
    return {"sampler": sampler, "steps": steps, **ms, "ratio": ms["on"] / ms["off"]}


def grid(ctx: Context, samplers: list[str], steps: int) -> dict:
    """The Compare tab's grid (trajectories kept, as the tab does): batched by generate_grid vs cell by cell."""
    pipe, cells = ctx.pipe, [(name, steps) for name in samplers]

    last = {}  # the latest outputs of each way, compared below (no extra run)

    def batched():
        last["batched"] = pipe.generate_grid(PROMPT, NEGATIVE, cells, ctx.guidance, SEED, return_trajectory=True)

    def one_by_one():
        last["one_by_one"] = [pipe(PROMPT, NEGATIVE, name, n, ctx.guidance, SEED, return_trajectory=True)
                              for name, n in cells]

    ms = interleaved({"batched": batched, "one_by_one": one_by_one}, ctx.repeats, ctx.device)
    identical = sum(a.images[0].tobytes() == b.images[0].tobytes()
                    for a, b in zip(last["batched"], last["one_by_one"]))
    ctx.log(f"grid batched {ms['batched']:.0f} ms, one by one {ms['one_by_one']:.0f} ms, {identical} identical")
    return {"cells": len(cells), "steps": steps, **ms, "ratio": ms["batched"] / ms["one_by_one"],
            "identical": identical}


def levers(ctx: Context, calls: int) -> list[dict]:
    """Cheap A/B measurements of the levers the issue lists, each on `calls` UNet evaluations.

    Each row: lever, a (the alternative), b (what the playground does), a_ms, b_ms, ratio a/b, note.
    """
    pipe, floor, rows = ctx.pipe, UNetFloor(ctx.pipe), []

    def row(lever, a, b, fns, note=""):
        ms = interleaved(fns, ctx.repeats, ctx.device)
        (a_ms, b_ms) = ms.values()
        rows.append({"lever": lever, "a": a, "b": b, "a_ms": a_ms, "b_ms": b_ms, "ratio": a_ms / b_ms, "note": note})
        ctx.log(f"{lever}: {a_ms:.1f} / {b_ms:.1f} ms")

    row("cond + uncond", "two calls", "one batched call",
        {"two": floor.loop_unbatched(calls), "one": floor.loop(calls)}, "kept: one batched call")
    row("grad mode", "no_grad", "inference_mode",
        {"no_grad": floor.loop(calls, torch.no_grad), "inference": floor.loop(calls)}, "kept: inference_mode")

    counter = iter(range(10**9))

    def uncached():  # a new negative prompt each time, so the cache never has it
        pipe.encode_prompt_pair(PROMPT, f"bench {next(counter)} {time.perf_counter_ns()}")

    row("prompt embeddings", "encoded every call", "cached",
        {"uncached": uncached, "cached": lambda: pipe.encode_prompt_pair(PROMPT, NEGATIVE)},
        "kept: cache of 64 prompt pairs; ratio is for the encoding alone")

    if ctx.device.type == "cpu":
        threads = torch.get_num_threads()
        timings = {}
        for n in (1, 2):
            torch.set_num_threads(n)
            timings[n] = interleaved({"floor": floor.loop(calls)}, ctx.repeats, ctx.device)["floor"]
        torch.set_num_threads(threads)
        rows.append({"lever": "CPU threads", "a": "2 threads", "b": "1 thread", "a_ms": timings[2], "b_ms": timings[1],
                     "ratio": timings[2] / timings[1],
                     "note": f"choose with `python app.py --threads N`; this run used {threads}"})
        ctx.log(f"threads: 2 -> {timings[2]:.1f} ms, 1 -> {timings[1]:.1f} ms")

    # channels_last on a copy of the UNet, so both layouts can be timed interleaved
    cl_unet = copy.deepcopy(pipe.unet).to(memory_format=torch.channels_last)
    cl_floor = UNetFloor(pipe, unet=cl_unet)
    diff = float((cl_floor.output() - floor.output()).abs().max())
    row("memory format", "channels_last", "contiguous (NCHW)",
        {"cl": cl_floor.loop(calls), "contiguous": floor.loop(calls)},
        f"not used; changes the UNet output by up to {diff:.1e}")
    del cl_unet, cl_floor
    return rows
