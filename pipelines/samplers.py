"""The samplers the playground offers, by their AUTOMATIC1111 / ComfyUI names.

Each name maps to a diffusers scheduler class plus the config changes that
turn it into that sampler, following the table in the diffusers docs
("Schedulers" -> "Mapping A1111/k-diffusion samplers to diffusers").

A sampler is always built fresh from the model's own scheduler config, so the
noise schedule the model was trained with (betas, prediction type, number of
training steps) is kept and only the way of stepping through it changes.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DEISMultistepScheduler,
    DPMSolverMultistepScheduler,
    DPMSolverSDEScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    KDPM2AncestralDiscreteScheduler,
    KDPM2DiscreteScheduler,
    LMSDiscreteScheduler,
    PNDMScheduler,
    UniPCMultistepScheduler,
)
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from .errors import PlaygroundInputError


@dataclass(frozen=True)
class SamplerSpec:
    """How to build one sampler.

    name: the display name.
    cls: the diffusers scheduler class.
    overrides: config values set on top of the model's scheduler config.
    evals_per_step: model evaluations per step (2 for Heun-like samplers). Their last
        step needs only one, so they make 2 * steps - 1 calls, and Heun, DPM2 and DPM2 a
        make 2 * steps - 2 on a schedule that starts in pure noise (the bundled model's),
        where their first step is one Euler call (see `first_step_in_first_order`):
        18 at 10 steps, counted with PlaygroundOutput.nfe (bench/kdiffusion_check.py).
    stochastic: True when the sampler adds fresh noise while stepping, so the
        result depends on the seed beyond the starting noise.
    note: one sentence for people choosing a sampler.
    slope_average: True for Heun and DPM2 (a), whose second call corrects a step with the model's
        slope at its far end (see `first_step_in_first_order`).
    """

    name: str
    cls: type[SchedulerMixin]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    evals_per_step: int = 1
    stochastic: bool = False
    note: str = ""
    slope_average: bool = False


# Config keys that pick a sigma spacing. A sampler whose name does not say
# "Karras" resets them, so a model saved with a Karras scheduler still gets
# plain "Euler" when it asks for "Euler".
_SIGMA_SPACING_KEYS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")

_KARRAS = {"use_karras_sigmas": True}

_SPECS = [
    SamplerSpec("Euler", EulerDiscreteScheduler, {}, 1, False,
                "The simplest step: follow the model's current guess straight down. Fast and predictable."),
    SamplerSpec("Euler a", EulerAncestralDiscreteScheduler, {}, 1, True,
                "Euler that adds fresh noise after each step; keeps changing with more steps and never settles."),
    SamplerSpec("Heun", HeunDiscreteScheduler, {}, 2, False,
                "Takes a trial step and corrects it: more accurate than Euler, twice the model calls.",
                slope_average=True),
    SamplerSpec("DPM2", KDPM2DiscreteScheduler, {}, 2, False,
                "Second-order sampler that checks the slope half-way; two model calls per step.",
                slope_average=True),
    SamplerSpec("DPM2 Karras", KDPM2DiscreteScheduler, _KARRAS, 2, False,
                "DPM2 with the Karras noise spacing: smaller steps near the end, where details form.",
                slope_average=True),
    SamplerSpec("DPM2 a", KDPM2AncestralDiscreteScheduler, {}, 2, True,
                "DPM2 that adds fresh noise after each step; two model calls per step.",
                slope_average=True),
    SamplerSpec("DPM2 a Karras", KDPM2AncestralDiscreteScheduler, _KARRAS, 2, True,
                "DPM2 a with the Karras noise spacing.", slope_average=True),
    SamplerSpec("LMS", LMSDiscreteScheduler, {}, 1, False,
                "Uses the last few steps' guesses together (linear multistep); can be unstable with few steps."),
    SamplerSpec("LMS Karras", LMSDiscreteScheduler, _KARRAS, 1, False,
                "LMS with the Karras noise spacing, which tames it at low step counts."),
    SamplerSpec("DPM++ 2M", DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2}, 1, False,
                "A fast solver that reuses the previous step's guess; good images in 15-25 steps."),
    SamplerSpec("DPM++ 2M Karras", DPMSolverMultistepScheduler,
                {"algorithm_type": "dpmsolver++", "solver_order": 2, **_KARRAS}, 1, False,
                "DPM++ 2M with the Karras noise spacing; a popular all-round default."),
    SamplerSpec("DPM++ 2M SDE", DPMSolverMultistepScheduler, {"algorithm_type": "sde-dpmsolver++", "solver_order": 2},
                1, True, "DPM++ 2M that also adds fresh noise each step; more varied detail."),
    SamplerSpec("DPM++ 2M SDE Karras", DPMSolverMultistepScheduler,
                {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, **_KARRAS}, 1, True,
                "DPM++ 2M SDE with the Karras noise spacing."),
    SamplerSpec("DPM++ SDE", DPMSolverSDEScheduler, {}, 2, True,
                "A stochastic second-order solver; two model calls per step."),
    SamplerSpec("DPM++ SDE Karras", DPMSolverSDEScheduler, _KARRAS, 2, True,
                "DPM++ SDE with the Karras noise spacing; detailed but slow (two model calls per step)."),
    SamplerSpec("DDIM", DDIMScheduler, {}, 1, False,
                "The classic deterministic sampler: same seed, same picture, at any step count."),
    SamplerSpec("DDPM", DDPMScheduler, {}, 1, True,
                "The original sampler the model was trained for; adds noise every step and needs many steps."),
    SamplerSpec("PNDM", PNDMScheduler, {"skip_prk_steps": True}, 1, False,
                "Pseudo linear multistep (PLMS); the first step costs one extra model call."),
    SamplerSpec("UniPC", UniPCMultistepScheduler, {}, 1, False,
                "A predictor-corrector solver that is good with very few steps (5-10)."),
    SamplerSpec("DEIS", DEISMultistepScheduler, {}, 1, False,
                "An exponential-integrator solver similar to DPM++ 2M; good with few steps."),
]

# The highest noise level a Karras spacing starts from. Karras et al. space sigmas for a top of about 80
# (Stable Diffusion's is 14.6). A zero-terminal-SNR schedule tops out at sigma 4096 (pure noise), and spaced
# from there 11 of 20 steps stay above sigma 100, where the sample is still noise to the model: DPM2 a Karras
# found the asked-for background in 4 of 12 pictures of the 16x16 bundled model, 12 of 12 when started at 160
# (or 80); DPM++ 2M Karras 12 of 12 either way. The same cap that A1111 users set as "sigma max" for such
# models. A model whose top is below it keeps its own. LMS Karras and DPM++ SDE Karras do not read
# config.sigma_max in diffusers 0.42.1 and keep the schedule's top (both 12 of 12 there).
KARRAS_SIGMA_MAX = 160.0

SAMPLERS: dict[str, SamplerSpec] = {spec.name: spec for spec in _SPECS}
"""Display name -> SamplerSpec, in the order shown to people."""


def get_sampler(name: str) -> SamplerSpec:
    """Return the spec for `name`, or raise PlaygroundInputError listing the valid names."""
    spec = SAMPLERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise PlaygroundInputError(f"Unknown sampler {name!r}. Choose one of: {', '.join(SAMPLERS)}.")
    return spec


def make_scheduler(name: str | SamplerSpec, base_config: Mapping[str, Any]) -> SchedulerMixin:
    """Build a fresh scheduler for sampler `name` (or a spec, see `sampler_of`) from a model's scheduler config.

    The result is a new object every time, so callers may step it freely
    while other threads build their own from the same config.
    """
    spec = name if isinstance(name, SamplerSpec) else get_sampler(name)
    # A config made in memory lists the values it left at their defaults in
    # "_use_default_values", and from_config would then take the new class's
    # defaults for them (e.g. a different timestep spacing). A config read
    # from disk has no such list. Dropping it makes both behave the same.
    config = {key: value for key, value in base_config.items() if key != "_use_default_values"}
    if spec.name == CUSTOM:  # a scheduler set on the pipeline by hand: its own config, as it is
        return spec.cls.from_config(config)
    accepted = inspect.signature(spec.cls.__init__).parameters
    overrides = {key: False for key in _SIGMA_SPACING_KEYS if key in accepted}
    overrides.update(spec.overrides)
    scheduler = spec.cls.from_config(config, **overrides)
    if spec.overrides.get("use_karras_sigmas") and top_sigma(scheduler) > KARRAS_SIGMA_MAX:
        scheduler.register_to_config(sigma_max=KARRAS_SIGMA_MAX)  # diffusers' Karras spacing reads config.sigma_max
    return scheduler


def top_sigma(scheduler: SchedulerMixin) -> float:
    """The noise level (sigma = sqrt((1 - alpha_bar) / alpha_bar)) of the schedule's last training step."""
    alpha_bar = float(scheduler.alphas_cumprod[-1])
    return math.sqrt((1 - alpha_bar) / alpha_bar) if alpha_bar > 0 else math.inf


CUSTOM = "custom"  # the name of a scheduler set on a pipeline that matches no sampler of the table


def sampler_of(scheduler: SchedulerMixin, base_config: Mapping[str, Any]) -> SamplerSpec:
    """The sampler of the table that `scheduler` is - the one `make_scheduler` builds from the model's scheduler
    config `base_config` with the same settings - or a "custom" spec that rebuilds `scheduler` from its own config
    when none is: how a scheduler set on the pipeline by hand is named and run."""
    accepted = inspect.signature(type(scheduler).__init__).parameters

    def settings(config) -> dict:  # what the class reads (a config may carry other classes' keys along)
        return {key: config.get(key) for key in accepted if key != "self"}

    for spec in _SPECS:
        if spec.cls is type(scheduler) and settings(make_scheduler(spec, base_config).config) == settings(scheduler.config):
            return spec
    calls = 2 if getattr(scheduler, "order", 1) == 2 else 1
    return SamplerSpec(CUSTOM, type(scheduler), {}, calls, "generator" in inspect.signature(scheduler.step).parameters,
                       f"{type(scheduler).__name__} as set on the pipeline.")
