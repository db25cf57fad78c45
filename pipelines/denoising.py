"""One sampler's denoising run, driven one model call at a time, and the noise-level arithmetic it needs.

`SamplerRun` owns everything that makes a result (a fresh scheduler, the per-image generators, the latents), so a
run gives the same numbers whoever drives it: the pipeline's call drives one, `generate_grid` drives several in
lockstep and batches their model calls. A run starts from fresh noise, or (Denoise from t) from a clean sample
noised to a timestep of the schedule.

    while not run.finished:
        x, t = run.model_input()
        done = run.step(*pipe.guided_prediction(x, t, embeds, guidance))
    output = run.output(warnings, "pil", keep_trajectory=True)

Call both methods under torch.inference_mode().
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import torch
from diffusers import LMSDiscreteScheduler, PNDMScheduler
from diffusers.utils.torch_utils import randn_tensor

from .errors import PlaygroundInputError
from .outputs import GenerationSettings, PlaygroundOutput, StepRecord
from .samplers import SamplerSpec, make_scheduler

# A first noise level above this is pure noise to the model (alpha_bar below 1e-6): a zero-terminal-SNR
# schedule's, 4096. Stable Diffusion's is 14.6.
PURE_NOISE_SIGMA = 1000.0


@dataclass(frozen=True)
class StartPoint:
    """Where a Denoise-from-t run starts: the clean sample x0 (UNet space) noised to timestep t with noise drawn
    from `noise_seed`; a stochastic sampler's fresh noise then comes from noise_seed + 1."""

    x0: torch.Tensor
    t: int
    noise_seed: int


class SamplerRun:
    """One sampler's denoising loop for one call (see the module docstring)."""

    def __init__(self, pipe, settings: GenerationSettings, record_steps: bool = True, trajectory_extras: bool = False,
                 generators: list[torch.Generator] | None = None, start: StartPoint | None = None,
                 noise: torch.Tensor | None = None):
        self.pipe, self.settings = pipe, settings
        self.record_steps, self.trajectory_extras = record_steps, trajectory_extras
        self.prediction_type = pipe.scheduler.config.get("prediction_type", "epsilon")
        scheduler = make_scheduler(settings.sampler, pipe.scheduler.config)
        set_schedule(scheduler, settings, pipe.unet.device)
        self.scheduler = scheduler
        self.start_timestep: float | None = None
        self.start_latents: torch.Tensor | None = None
        if start is None:
            begin, self.timesteps = 0, scheduler.timesteps  # one entry per model call
        else:
            begin, self.timesteps = schedule_tail(scheduler, start.t)
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(max(begin, 0))  # count steps, don't look timesteps up: Karras can repeat them
        self._euler_first = begin == 0 and first_step_in_first_order(settings.sampler, scheduler)
        if self._euler_first:  # call 0 makes step 0 (see there); the scheduler takes over at its step 1
            scheduler.set_begin_index(2)
            self.timesteps = torch.cat([self.timesteps[:1], self.timesteps[2:]])
        if "eta" in inspect.signature(scheduler.step).parameters:
            self._eta = {"eta": settings.eta}
        elif settings.eta:
            raise PlaygroundInputError(f"eta is DDIM's; the {settings.sampler.name} sampler does not take it.")
        else:
            self._eta = {}
        self._lms = isinstance(scheduler, LMSDiscreteScheduler) and "order" in inspect.signature(scheduler.step).parameters
        self._sigma_space = works_in_sigma_space(scheduler)
        if start is None:
            self.seeds = [settings.seed + i for i in range(settings.images)]
            if generators is None:
                generators = [torch.Generator("cpu").manual_seed(x) for x in self.seeds]
            self._step_kwargs = noise_kwargs(scheduler, generators, self.seeds)
            self.latents = pipe.prepare_latents(generators, settings.height, settings.width,
                                                float(scheduler.init_noise_sigma), noise)
        else:
            self.seeds = [start.noise_seed]
            fresh = [start.noise_seed + 1]  # a stochastic sampler's fresh noise: not the noise the start was made with
            self._step_kwargs = noise_kwargs(scheduler, [torch.Generator("cpu").manual_seed(fresh[0])], fresh)
            if len(self.timesteps):
                self.latents = self._noised_start(start, begin)
            else:  # every step of the schedule is above t: nothing to denoise, the picture stays noised to t
                self.latents = pipe.add_noise(start.x0, start.t, start.noise_seed)
        self.index = 0  # model calls made
        self.nfe = 0
        self.trajectory: list[StepRecord] = []
        self._call = None  # (model_input, t, alpha_bar, sigma) of the call in progress
        self._pending = None  # what the current step's first model call saw

    def _noised_start(self, start: StartPoint, begin: int) -> torch.Tensor:
        """x0 noised to the run's first timestep, in the scheduler's own space; keeps its VP form as start_latents."""
        noise = seeded_noise(start.x0, start.noise_seed)
        first_t = self.timesteps[0]
        if hasattr(self.scheduler, "sigmas"):
            sigma = float(self.scheduler.sigmas[begin])
            latents = start.x0 + sigma * noise  # k-diffusion form x0 + σ·noise ...
            vp = latents / math.sqrt(1 + sigma**2)
            if not self._sigma_space:  # ... or its variance-preserving form for the VP solvers (DPM++, UniPC, DEIS)
                latents = vp
        else:
            alpha_bar = float(self.scheduler.alphas_cumprod[int(first_t)])
            latents = vp = math.sqrt(alpha_bar) * start.x0 + math.sqrt(1 - alpha_bar) * noise
        self.start_timestep = float(first_t)
        self.start_latents = to_cpu(vp)
        return latents

    @property
    def finished(self) -> bool:
        return self.index >= len(self.timesteps)

    def model_input(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The UNet input and timestep of the next model call."""
        t = self.timesteps[self.index]
        if self._euler_first and self.index == 0:
            x, alpha_bar, sigma, _ = pure_noise_call(self.scheduler, self.latents)
            level = (alpha_bar, sigma)
        else:
            x = self.scheduler.scale_model_input(self.latents, t)
            level = noise_level(self.scheduler, t, self._sigma_space) if self.record_steps else (None, None)
        self._call = (x, t, *level)
        return x, t

    def step(self, guided, cond=None, uncond=None) -> bool:
        """Take the (guided) model output of the call; True when it completed a user-visible step (whose
        StepRecord, when recording, is then the last of `trajectory`)."""
        x, t, alpha_bar, sigma = self._call
        self.nfe += 1
        if self.record_steps and self._pending is None:
            self._pending = self._first_call_record(x, guided, cond, uncond, t, alpha_bar, sigma)
        sigma_next = None
        if self._euler_first and self.index == 0:
            sigma_next = float(self.scheduler.sigmas[1])
            x0, _ = predicted_x0_and_noise(guided, x, alpha_bar, self.prediction_type)
            self.latents = euler_step(self.latents, x0, sigma, sigma_next)
            done = True
        else:
            extra = {"order": min(self.index + 1, 4)} if self._lms else {}  # LMS: only the slopes this run saw
            self.latents = self.scheduler.step(guided, t, self.latents, **self._step_kwargs, **self._eta, **extra).prev_sample
            done = completes_step(self.scheduler, self.index, len(self.timesteps))
        self.index += 1
        self._call = None
        if done and self.record_steps:
            self.trajectory.append(self._finish_record(sigma_next))
            self._pending = None
        return done

    def output(self, warnings: list[str], output_type: str, keep_trajectory: bool) -> PlaygroundOutput:
        """Decode and wrap up; `seconds` is left at 0 for the caller to fill in."""
        warnings = list(warnings)
        settings = self.settings
        if not torch.isfinite(self.latents).all():
            warnings.append(f"The {settings.sampler.name} sampler produced invalid numbers (NaN or infinity) "
                            "with this model; the picture is broken. Try another sampler.")
        return PlaygroundOutput(
            images=self.pipe.decode(self.latents, output_type),
            trajectory=self.trajectory if keep_trajectory else None,
            warnings=warnings,
            nfe=self.nfe,
            seconds=0.0,
            seeds=self.seeds,
            sampler=settings.sampler.name,
            num_inference_steps=settings.num_inference_steps,
            guidance_scale=settings.guidance_scale,
            start_timestep=self.start_timestep,
            start_latents=self.start_latents,
        )

    # ------------------------------------------------------------------ records

    def _first_call_record(self, model_input, guided, cond, uncond, t, alpha_bar, sigma) -> dict:
        x0, eps = predicted_x0_and_noise(guided, model_input, alpha_bar, self.prediction_type)
        record = {"timestep": float(t), "sigma": sigma, "x0": to_cpu(x0)}
        if self.trajectory_extras:
            record["noise_pred"] = to_cpu(eps)
            if cond is not None and uncond is not None:
                record["guidance"] = to_cpu((cond - uncond) * noise_per_output(alpha_bar, self.prediction_type))
        return record

    def _finish_record(self, sigma_next: float | None) -> StepRecord:
        if sigma_next is None and self._sigma_space:
            sigma_next = sigma_after_step(self.scheduler)
        x_t = self.latents / math.sqrt(1 + sigma_next**2) if self._sigma_space else self.latents
        return StepRecord(step=len(self.trajectory), x_t=to_cpu(x_t), sigma_next=sigma_next, nfe=self.nfe,
                          **self._pending)


# ---------------------------------------------------------------------- the schedule


def set_schedule(scheduler, settings: GenerationSettings, device) -> None:
    """The scheduler's timesteps for the call: num_inference_steps of its own spacing, or the caller's timesteps
    or sigmas where the scheduler takes them."""
    custom = {"timesteps": settings.timesteps, "sigmas": settings.sigmas}
    custom = {key: list(value) for key, value in custom.items() if value is not None}
    if not custom:
        scheduler.set_timesteps(settings.num_inference_steps, device=device)
        return
    accepted = inspect.signature(scheduler.set_timesteps).parameters
    (key, value), = custom.items()
    if key not in accepted:
        raise PlaygroundInputError(f"The {settings.sampler.name} sampler does not take a schedule of {key}; "
                                   "give num_inference_steps instead.")
    scheduler.set_timesteps(device=device, **{key: value})


def schedule_tail(scheduler, t: int) -> tuple[int, list]:
    """(index of the first model call, the model calls' timesteps) of the schedule's tail from its first user step
    at or below t; (-1, no timesteps) when every step is above t."""
    timesteps = scheduler.timesteps
    if isinstance(scheduler, PNDMScheduler):
        # PLMS spends two model calls on its first step: [t0, t1, t1, t2, ...]. Starting later needs the
        # same shape: [tk, tk+1, tk+1, tk+2, ...].
        unique = torch.cat([timesteps[:1], timesteps[2:]])
        k = next((i for i, ts in enumerate(unique) if float(ts) <= t), None)
        if k is None:
            return -1, timesteps[:0]
        tail = unique[k:]
        return k, (torch.cat([tail[:2], tail[1:]]) if len(tail) > 1 else tail)
    order = int(getattr(scheduler, "order", 1))  # second-order samplers: a user step starts every `order` calls
    user = timesteps[::order]
    k = next((i for i, ts in enumerate(user) if float(ts) <= t), None)
    if k is None:
        return -1, timesteps[:0]
    return k * order, timesteps[k * order:]


def seeded_noise(like: torch.Tensor, seed: int) -> torch.Tensor:
    """Standard normal noise shaped like `like`, drawn on the CPU from `seed` (the same on every device)."""
    gen = torch.Generator("cpu").manual_seed(int(seed))
    noise = randn_tensor(tuple(like.shape), generator=gen, device=torch.device("cpu"), dtype=torch.float32)
    return noise.to(like.device, like.dtype)


def predicted_x0_and_noise(model_output, model_input, alpha_bar: float, prediction_type: str):
    """The clean sample and the noise implied by a model output.

    model_input is the VP-normalised input x = sqrt(a) * x0 + sqrt(1 - a) * noise
    with a = alpha_bar; model_output is noise ("epsilon"), velocity
    ("v_prediction") or the clean sample ("sample").
    """
    a, b = math.sqrt(alpha_bar), math.sqrt(max(1.0 - alpha_bar, 1e-12))
    if prediction_type == "epsilon":
        return (model_input - b * model_output) / a, model_output
    if prediction_type == "v_prediction":
        return a * model_input - b * model_output, b * model_input + a * model_output
    if prediction_type == "sample":
        return model_output, (model_input - a * model_output) / b
    raise ValueError(f"Unknown prediction_type {prediction_type!r}")


def noise_per_output(alpha_bar: float, prediction_type: str) -> float:
    """How much the implied noise changes per unit of model output (for the guidance direction)."""
    if prediction_type == "v_prediction":
        return math.sqrt(alpha_bar)
    if prediction_type == "sample":
        return -math.sqrt(alpha_bar) / math.sqrt(max(1.0 - alpha_bar, 1e-12))
    return 1.0


def first_step_in_first_order(spec: SamplerSpec, scheduler) -> bool:
    """Whether step 0 is taken as one Euler step (one model call) instead of the sampler's own two calls.

    Heun and DPM2 (a) correct each step with the model's slope (x - x0_guess) / sigma at its far end (DPM2: its
    middle). From pure noise that breaks: with a zero-terminal-SNR schedule step 0 falls from sigma 4096 to about
    40, and Heun's correction adds the change between the model's two guesses of the picture times
    (4096 - 40) / (2 * 40), about 50, to the sample. The 16x16 bundled model drew the asked-for background in 0
    of 4 pictures with Heun at 20 steps; with step 0 in first order 12 of 12, as with DPM2 and DPM2 a.
    k-diffusion's Heun does the same at its last step (to sigma 0). Step 1 on is the scheduler's own.
    """
    return spec.slope_average and float(scheduler.sigmas[0]) > PURE_NOISE_SIGMA


def pure_noise_call(scheduler, latents: torch.Tensor) -> tuple[torch.Tensor, float, float, float]:
    """The UNet input of that Euler call (latents at sigmas[0], VP-normalised), its alpha_bar, sigma and the
    sigma it steps to (sigmas[1]). The scheduler is left untouched: it starts at its step 1."""
    sigma, sigma_next = float(scheduler.sigmas[0]), float(scheduler.sigmas[1])
    return latents / math.sqrt(1 + sigma**2), 1 / (1 + sigma**2), sigma, sigma_next


def euler_step(x: torch.Tensor, x0: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """x = x0 + sigma * noise moved to sigma_next along its slope (x - x0) / sigma (k-diffusion form)."""
    return x + (x - x0) * ((sigma_next - sigma) / sigma)


def works_in_sigma_space(scheduler) -> bool:
    """k-diffusion style samplers keep x = x0 + sigma * noise and start from noise with std > 1."""
    return float(scheduler.init_noise_sigma) > 1.0


def noise_level(scheduler, t, sigma_space: bool) -> tuple[float, float | None]:
    """(alpha_bar, sigma) of the model call at timestep t, after scale_model_input."""
    if sigma_space:
        sigma = float(scheduler.sigmas[scheduler.step_index])
        return 1.0 / (1.0 + sigma**2), sigma
    alpha_bar = float(scheduler.alphas_cumprod[int(t)])
    sigma = math.sqrt((1 - alpha_bar) / alpha_bar) if hasattr(scheduler, "sigmas") else None
    return alpha_bar, sigma


def sigma_after_step(scheduler) -> float:
    index = scheduler.step_index
    return float(scheduler.sigmas[index]) if index < len(scheduler.sigmas) else 0.0


def completes_step(scheduler, index: int, num_calls: int) -> bool:
    """Whether the scheduler.step just taken finished a user-visible step.

    Heun, DPM2 and DPM++ SDE call the model twice per step and say so with
    `state_in_first_order`; PNDM (PLMS) spends two calls on its first step.
    The last call always finishes the last step.
    """
    if index == num_calls - 1:
        return True
    if hasattr(scheduler, "state_in_first_order"):
        return bool(scheduler.state_in_first_order)
    if isinstance(scheduler, PNDMScheduler):
        return scheduler.counter != 1
    return True


def noise_kwargs(scheduler, generators: list[torch.Generator], seeds: list[int]) -> dict:
    """Make a stochastic sampler draw image i's noise from image i's own seed.

    Samplers whose step() takes a generator get the list of per-image
    generators. DPM++ SDE draws from a Brownian tree instead; it takes one
    tree seed per image, so image i gets seed + i there too.
    """
    if hasattr(scheduler, "noise_sampler_seed"):
        scheduler.noise_sampler_seed = list(seeds)
    if "generator" in inspect.signature(scheduler.step).parameters:
        return {"generator": generators}
    return {}


def to_cpu(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to("cpu", torch.float32, copy=True)
