"""Denoise from here: noise a picture to step t, then let the model run the rest of a sampler's schedule.

What it keeps from the picture and what it invents depends on how much noise there was. The run is the pipeline's
own call (`image` + `start_timestep`): the same loop as every generation, started from the noised picture.

No gradio here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Optional

import torch
from PIL import Image

from pipelines import StepRecord
from pipelines.preview import to_pil
from playground.lab.forward_process import check_t
from playground.lab.metrics import rmse
from playground.lab.runs import last
from playground.pictures import fit_to_size


@dataclass
class DenoiseResult:
    original: Image.Image
    start: Image.Image  # the noised picture the sampler starts from
    final: Image.Image
    # per step: (x_t through the cheap preview, x̂0 decoded as the result is, caption)
    steps: list[tuple[Image.Image, Image.Image, str]] = field(default_factory=list)
    t: int = 0
    start_timestep: Optional[float] = None  # the schedule's first timestep at or below t (None: nothing to run)
    steps_run: int = 0
    total_steps: int = 0
    nfe: int = 0
    seconds: float = 0.0
    rmse: float = 0.0  # pixel distance final vs original (0-255)
    warnings: list[str] = field(default_factory=list)
    last_x0: Optional[torch.Tensor] = None  # the latest step's x̂0 (latents or pixels), for a stopped run's result
    finished: bool = False  # the whole run is in (the last result the iterator yields)
    stopped: bool = False  # the run was stopped after steps_run steps; final is the last x̂0, decoded

    def summary(self) -> str:
        if self.stopped:
            return (f"Noised to t={self.start_timestep:.0f} (the schedule's first step at or below t={self.t}), then "
                    f"ran **{self.steps_run} of {self.total_steps} steps** ({self.nfe} model evaluations) before the "
                    f"stop. Shown: the model's guess x̂0 after step {self.steps_run}, decoded; its distance from the "
                    f"original picture: **{self.rmse:.1f}** (root-mean-square over pixels, 0-255).")
        if self.start_timestep is None:
            return (f"t={self.t} is below the last step of this {self.total_steps}-step schedule: there is nothing "
                    f"left to denoise.")
        return (f"Noised to t={self.start_timestep:.0f} (the schedule's first step at or below t={self.t}), then ran "
                f"**{self.steps_run} of {self.total_steps} steps** ({self.nfe} model evaluations, "
                f"{self.seconds * 1000:.0f} ms). Distance from the original picture: **{self.rmse:.1f}** "
                f"(root-mean-square over pixels, 0-255).")


def iter_denoise_from(pipe, image: Image.Image, t, prompt: str, negative_prompt: str = "", sampler=None, steps=20,
                      guidance=None, seed=0) -> Iterator[DenoiseResult]:
    """Noise ``image`` to t and run the rest of the sampler's schedule; yields the result so far after each step
    (a snapshot of its own, safe to read on another thread while the run goes on), then the finished one. The noise
    comes from ``seed``, a stochastic sampler's fresh noise from seed + 1."""
    t = check_t(t, pipe)
    original = fit_to_size(image, pipe.default_size)
    start_timestep, start = pipe.denoising_start(original, t, sampler, steps, seed)
    result = DenoiseResult(original, pipe.decode(start)[0], original, t=t, start_timestep=start_timestep,
                           total_steps=int(steps))
    for item in pipe.generate_steps(prompt, negative_prompt, sampler, steps, guidance, seed, image=original,
                                    start_timestep=t):
        if isinstance(item, StepRecord):
            result.steps_run, result.nfe, result.last_x0 = item.step + 1, item.nfe, item.x0
            result.steps.append((to_pil(pipe, item.x_t)[0], pipe.decode(item.x0)[0],
                                 f"step {item.step + 1} · t={item.timestep:.0f}"))
            yield replace(result, steps=list(result.steps))
    result.final, result.seconds, result.nfe = item.images[0], item.seconds, item.nfe
    result.warnings = list(item.warnings)
    result.rmse = rmse(result.final, original)
    result.finished = True
    yield result


def stopped_result(pipe, partial: DenoiseResult) -> DenoiseResult:
    """A run stopped after ``partial.steps_run`` steps, as far as it got: its result is the last x̂0, decoded (the
    noised start when no step was done), with its distance from the original."""
    final = pipe.decode(partial.last_x0)[0] if partial.last_x0 is not None else partial.start
    return replace(partial, steps=list(partial.steps), final=final, rmse=rmse(final, partial.original), stopped=True)


def denoise_from(pipe, image: Image.Image, t, prompt: str, negative_prompt: str = "", sampler=None, steps=20,
                 guidance=None, seed=0) -> DenoiseResult:
    return last(iter_denoise_from(pipe, image, t, prompt, negative_prompt, sampler, steps, guidance, seed))
