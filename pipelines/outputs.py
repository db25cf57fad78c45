"""What a call gives back: one StepRecord per sampler step and the PlaygroundOutput, plus the checked settings."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from diffusers.utils import BaseOutput

from .samplers import SamplerSpec


@dataclass
class StepRecord:
    """What the sampler had after one completed step.

    step: 0-based step number (one record per user-visible step, also for
        samplers that call the model twice per step).
    timestep: the model timestep of the step's first model call.
    sigma: the noise level of that call as a sigma (noise / signal ratio);
        None for samplers that have no sigmas (DDPM, DDIM, PNDM).
        For DPM++ 2M, UniPC and DEIS it is sqrt((1 - alpha_bar) / alpha_bar).
    x_t: the sample after this step, whole batch, CPU float32. It is
        VP-normalised: samplers that work in sigma space (Euler, Heun, LMS,
        DPM2, DPM++ SDE) carry x0 + sigma * noise, which is divided here by
        sqrt(1 + sigma^2) so every sampler's x_t looks alike.
    x0: the model's guess of the clean sample at the step's first model call,
        in the same space as x_t (latents or pixels).
    noise_pred: (with trajectory_extras) the guided prediction, written as
        predicted noise whatever the model's prediction type.
    guidance: (with trajectory_extras, when both branches ran) the guidance
        direction cond - uncond, also written as predicted noise.
    sigma_next: for sigma-space samplers, the sigma x_t sits at (0 after the
        last step); None for the others.
    nfe: model calls used so far, counting this step.
    """

    step: int
    timestep: float
    sigma: float | None
    x_t: torch.Tensor
    x0: torch.Tensor
    noise_pred: torch.Tensor | None = None
    guidance: torch.Tensor | None = None
    sigma_next: float | None = None
    nfe: int = 0


@dataclass
class PlaygroundOutput(BaseOutput):
    """The result of one generation (a diffusers BaseOutput: `out.images`, `out["images"]` and `out[0]` alike).

    images: list of PIL images (or an array / tensor for other output types).
    trajectory: the StepRecords when return_trajectory=True, else None.
    warnings: plain-words notes for the person (prompt cut short, ...).
    nfe: UNet forward passes actually run (a batched cond+uncond call is 1).
    seconds: wall time of the whole call.
    seeds: the seed of each image (seed + i).
    start_timestep: (denoising from an image) the timestep the run started at; None when nothing was left to run.
    start_latents: (denoising from an image) the noised sample it started from, VP-normalised, CPU float32.
    """

    images: list
    trajectory: list[StepRecord] | None = None
    warnings: list[str] = field(default_factory=list)
    nfe: int = 0
    seconds: float = 0.0
    seeds: list[int] = field(default_factory=list)
    sampler: str = ""
    num_inference_steps: int = 0
    guidance_scale: float = 0.0
    start_timestep: float | None = None
    start_latents: torch.Tensor | None = None


@dataclass(frozen=True)
class PromptEmbeds:
    """Cached text-encoder outputs for one (prompt, negative prompt) pair. Never modified."""

    cond: torch.Tensor  # (1, tokens, hidden)
    uncond: torch.Tensor
    cond_pooled: torch.Tensor  # (1, hidden)
    uncond_pooled: torch.Tensor
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerationSettings:
    """Checked and completed settings for one call."""

    prompt: str
    negative_prompt: str
    sampler: SamplerSpec
    num_inference_steps: int
    guidance_scale: float
    seed: int
    num_images_per_prompt: int
    height: int
    width: int
    warnings: tuple[str, ...] = field(default=())
    batch_size: int = 0  # images in the call: prompts x images per prompt (0: num_images_per_prompt)
    timesteps: tuple[float, ...] | None = None  # a schedule of the caller's own, instead of num_inference_steps
    sigmas: tuple[float, ...] | None = None
    eta: float = 0.0  # DDIM's eta: 0 deterministic, 1 like DDPM

    @property
    def images(self) -> int:
        return self.batch_size or self.num_images_per_prompt
