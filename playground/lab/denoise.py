"""Denoise from here: noise a picture to step t, then let the model run the rest of a sampler's schedule.

What it keeps from the picture and what it invents depends on how much noise there was. The loop below is
its own copy of the sampling loop (the pipeline's loop will take it over).

No gradio here.
"""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional

import torch
from diffusers import LMSDiscreteScheduler, PNDMScheduler
from PIL import Image

from pipelines import make_scheduler
from pipelines.pipeline_playground import (
    _completes_step,
    _noise_kwargs,
    _noise_level,
    _sigma_after_step,
    _works_in_sigma_space,
    euler_step,
    first_step_in_first_order,
    predicted_x0_and_noise,
    pure_noise_call,
)
from pipelines.preview import to_pil
from playground.lab.forward_process import add_noise, check_t, noise_like
from playground.lab.metrics import rmse
from playground.lab.runs import last
from playground.pictures import fit_to_size


@dataclass
class DenoiseResult:
    original: Image.Image
    start: Image.Image  # the noised picture the sampler starts from
    final: Image.Image
    steps: list[tuple[Image.Image, Image.Image, str]] = field(default_factory=list)  # (x_t, x̂0, caption)
    t: int = 0
    start_timestep: Optional[float] = None  # the schedule's first timestep at or below t (None: nothing to run)
    steps_run: int = 0
    total_steps: int = 0
    nfe: int = 0
    seconds: float = 0.0
    rmse: float = 0.0  # pixel distance final vs original (0-255)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.start_timestep is None:
            return (f"t={self.t} is below the last step of this {self.total_steps}-step schedule: there is nothing "
                    f"left to denoise.")
        return (f"Noised to t={self.start_timestep:.0f} (the schedule's first step at or below t={self.t}), then ran "
                f"**{self.steps_run} of {self.total_steps} steps** ({self.nfe} model evaluations, "
                f"{self.seconds * 1000:.0f} ms). Distance from the original picture: **{self.rmse:.1f}** "
                f"(root-mean-square over pixels, 0-255).")


def _start_index(scheduler, t: int) -> tuple[list, int]:
    """The timesteps to run (the schedule's tail from the first user step at or below t) and its index."""
    timesteps = list(scheduler.timesteps)
    if isinstance(scheduler, PNDMScheduler):
        # PLMS spends two model calls on its first step: [t0, t1, t1, t2, ...]. Starting later needs the
        # same shape: [tk, tk+1, tk+1, tk+2, ...].
        unique = [timesteps[0]] + timesteps[2:]
        k = next((i for i, ts in enumerate(unique) if float(ts) <= t), None)
        if k is None:
            return [], -1
        tail = unique[k:]
        return (tail[:2] + tail[1:] if len(tail) > 1 else tail), k
    order = int(getattr(scheduler, "order", 1))  # second-order samplers: a user step starts every `order` calls
    user = timesteps[::order]
    k = next((i for i, ts in enumerate(user) if float(ts) <= t), None)
    if k is None:
        return [], -1
    return timesteps[k * order:], k * order


def iter_denoise_from(pipe, image: Image.Image, t, prompt: str, negative_prompt: str = "", sampler=None, steps=20,
                      guidance=None, seed=0) -> Iterator[DenoiseResult]:
    """Noise ``image`` to t and run the rest of the sampler's schedule; yields the growing result after each step."""
    started = time.perf_counter()
    t = check_t(t, pipe)
    h, w = pipe.default_size
    settings = pipe.check_inputs(prompt, negative_prompt, sampler, steps, guidance, seed, 1, h, w)
    embeds = pipe.encode_prompt(settings.prompt, settings.negative_prompt)
    original = fit_to_size(image, (h, w))
    x0 = pipe.encode_images(original)

    scheduler = make_scheduler(settings.sampler.name, pipe.scheduler.config)
    scheduler.set_timesteps(settings.num_inference_steps, device=pipe.unet.device)
    run, begin = _start_index(scheduler, t)
    result = DenoiseResult(original, original, original, t=t, total_steps=settings.num_inference_steps,
                           warnings=list(settings.warnings) + list(embeds.warnings))
    noise = noise_like(x0, settings.seed)
    if not run:
        result.start = result.final = pipe.decode(add_noise(pipe, x0, t, settings.seed))[0]
        result.rmse = rmse(result.final, original)
        yield result
        return
    if begin >= 0 and hasattr(scheduler, "set_begin_index") and not isinstance(scheduler, PNDMScheduler):
        scheduler.set_begin_index(begin)
    euler_first = begin == 0 and first_step_in_first_order(settings.sampler, scheduler)
    if euler_first:  # as SamplerRun does: call 0 makes step 0, the scheduler takes over at its step 1
        scheduler.set_begin_index(2)
        run = [run[0]] + list(run[2:])

    sigma_space = _works_in_sigma_space(scheduler)
    first_t = run[0]
    if hasattr(scheduler, "sigmas"):
        sigma = float(scheduler.sigmas[begin])
        latents = x0 + sigma * noise  # k-diffusion form x0 + σ·noise ...
        vp = latents / math.sqrt(1 + sigma**2)
        if not sigma_space:  # ... or its variance-preserving form for the VP solvers (DPM++, UniPC, DEIS)
            latents = vp
    else:
        ab = float(scheduler.alphas_cumprod[int(first_t)])
        latents = vp = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * noise
    result.start_timestep = float(first_t)
    result.start = pipe.decode(vp)[0]

    generators = [torch.Generator("cpu").manual_seed(settings.seed + 1)]  # fresh noise for stochastic samplers
    step_kwargs = _noise_kwargs(scheduler, generators, [settings.seed + 1])
    lms = isinstance(scheduler, LMSDiscreteScheduler) and "order" in inspect.signature(scheduler.step).parameters
    prediction = pipe.scheduler.config.get("prediction_type", "epsilon")
    pending = None
    for index, ts in enumerate(run):
        with torch.inference_mode():
            first_order = euler_first and index == 0
            if first_order:
                model_input, alpha_bar, sigma, sigma_next = pure_noise_call(scheduler, latents)
            else:
                model_input = scheduler.scale_model_input(latents, ts)
                alpha_bar, _sigma = _noise_level(scheduler, ts, sigma_space)
            guided, _cond, _uncond = pipe.guided_prediction(model_input, ts, embeds, settings.guidance_scale)
            result.nfe += 1
            if pending is None:
                pending = predicted_x0_and_noise(guided, model_input, alpha_bar, prediction)[0]
            extra = {"order": min(index + 1, 4)} if lms else {}  # LMS would use 4 past slopes it never saw
            if first_order:
                latents, done = euler_step(latents, pending, sigma, sigma_next), True
            else:
                latents = scheduler.step(guided, ts, latents, **step_kwargs, **extra).prev_sample
                done = _completes_step(scheduler, index, len(run))
            if done:
                sigma_next = sigma_next if first_order else _sigma_after_step(scheduler) if sigma_space else None
                x_t = latents / math.sqrt(1 + sigma_next**2) if sigma_space else latents
                result.steps_run += 1
                caption = f"step {result.steps_run} · t={float(ts):.0f}"
                result.steps.append((to_pil(pipe, x_t)[0], to_pil(pipe, pending)[0], caption))
                pending = None
        if done:
            yield result
    if not torch.isfinite(latents).all():
        result.warnings.append(f"The {settings.sampler.name} sampler produced invalid numbers with this model; "
                               "try another sampler.")
    result.final = pipe.decode(latents)[0]
    result.rmse = rmse(result.final, original)
    result.seconds = time.perf_counter() - started
    yield result


def denoise_from(pipe, image: Image.Image, t, prompt: str, negative_prompt: str = "", sampler=None, steps=20,
                 guidance=None, seed=0) -> DenoiseResult:
    return last(iter_denoise_from(pipe, image, t, prompt, negative_prompt, sampler, steps, guidance, seed))
