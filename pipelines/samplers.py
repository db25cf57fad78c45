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
    evals_per_step: model evaluations per step (2 for Heun-like samplers;
        their last step needs only one, so the total is 2 * steps - 1).
    stochastic: True when the sampler adds fresh noise while stepping, so the
        result depends on the seed beyond the starting noise.
    note: one sentence for people choosing a sampler.
    """

    name: str
    cls: type[SchedulerMixin]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    evals_per_step: int = 1
    stochastic: bool = False
    note: str = ""


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
                "Takes a trial step and corrects it: more accurate than Euler, twice the model calls."),
    SamplerSpec("DPM2", KDPM2DiscreteScheduler, {}, 2, False,
                "Second-order sampler that checks the slope half-way; two model calls per step."),
    SamplerSpec("DPM2 Karras", KDPM2DiscreteScheduler, _KARRAS, 2, False,
                "DPM2 with the Karras noise spacing: smaller steps near the end, where details form."),
    SamplerSpec("DPM2 a", KDPM2AncestralDiscreteScheduler, {}, 2, True,
                "DPM2 that adds fresh noise after each step; two model calls per step."),
    SamplerSpec("DPM2 a Karras", KDPM2AncestralDiscreteScheduler, _KARRAS, 2, True,
                "DPM2 a with the Karras noise spacing."),
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

SAMPLERS: dict[str, SamplerSpec] = {spec.name: spec for spec in _SPECS}
"""Display name -> SamplerSpec, in the order shown to people."""


def get_sampler(name: str) -> SamplerSpec:
    """Return the spec for `name`, or raise PlaygroundInputError listing the valid names."""
    spec = SAMPLERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise PlaygroundInputError(f"Unknown sampler {name!r}. Choose one of: {', '.join(SAMPLERS)}.")
    return spec


def make_scheduler(name: str, base_config: Mapping[str, Any]) -> SchedulerMixin:
    """Build a fresh scheduler for sampler `name` from a model's scheduler config.

    The result is a new object every time, so callers may step it freely
    while other threads build their own from the same config.
    """
    spec = get_sampler(name)
    # A config made in memory lists the values it left at their defaults in
    # "_use_default_values", and from_config would then take the new class's
    # defaults for them (e.g. a different timestep spacing). A config read
    # from disk has no such list. Dropping it makes both behave the same.
    config = {key: value for key, value in base_config.items() if key != "_use_default_values"}
    accepted = inspect.signature(spec.cls.__init__).parameters
    overrides = {key: False for key in _SIGMA_SPACING_KEYS if key in accepted}
    overrides.update(spec.overrides)
    return spec.cls.from_config(config, **overrides)
