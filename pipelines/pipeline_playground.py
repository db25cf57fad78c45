"""PlaygroundPipeline: a small text-to-image diffusion pipeline made for looking inside.

It works like a diffusers Stable Diffusion pipeline, with three additions:

* the sampler is chosen per call by name (see `samplers.py`) and built fresh
  each time, so many people can use one pipeline at once from threads;
* `generate_steps` yields one `StepRecord` per sampler step (the noisy sample
  and the model's guess of the clean picture), so a UI can stream the process
  and stop between steps;
* image i of a batch uses its own random generator seeded `seed + i`, so it is
  exactly the picture that seed gives when made alone, for every sampler
  (checked bit for bit on CPU; on a GPU the kernels picked for different batch
  sizes may differ in the last float bits).

Without a VAE the UNet works directly on pixels in [-1, 1]; with one it works
on VAE latents, normalised with the VAE's scaling (and, if given, per-channel
mean/std) like the diffusers SD / SDXL pipelines.
"""

from __future__ import annotations

import inspect
import math
import numbers
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator
from warnings import filterwarnings

import numpy as np
import PIL.Image
import torch
from diffusers import AutoencoderKL, DiffusionPipeline, PNDMScheduler, UNet2DConditionModel
from diffusers.utils.torch_utils import randn_tensor
from transformers import CLIPTextModel, CLIPTokenizer

from .batch_invariance import make_batch_invariant
from .errors import PlaygroundInputError
from .samplers import SamplerSpec, get_sampler, make_scheduler

# torchsde (used by DPM++ SDE) warns when float rounding puts a query a hair outside
# its interval; the result is unaffected, so keep that noise out of the logs.
filterwarnings("ignore", message=r"Should have (ta|tb)", category=UserWarning, module="torchsde")

MAX_STEPS = 150
MAX_GUIDANCE = 30.0
MAX_SEED = 2**32 - 1
MAX_IMAGES = 8
MAX_SIDE = 1024
PROMPT_CACHE_SIZE = 64
OUTPUT_TYPES = ("pil", "np", "pt", "latent")


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
class PlaygroundOutput:
    """The result of one generation.

    images: list of PIL images (or an array / tensor for other output types).
    trajectory: the StepRecords when return_trajectory=True, else None.
    warnings: plain-words notes for the person (prompt cut short, ...).
    nfe: UNet forward passes actually run (a batched cond+uncond call is 1).
    seconds: wall time of the whole call.
    seeds: the seed of each image (seed + i).
    """

    images: list
    trajectory: list[StepRecord] | None
    warnings: list[str]
    nfe: int
    seconds: float
    seeds: list[int]
    sampler: str
    num_inference_steps: int
    guidance_scale: float


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


class PlaygroundPipeline(DiffusionPipeline):
    """Text-to-image pipeline with per-call samplers and a recorded trajectory.

    Components: `tokenizer` (CLIPTokenizer), `text_encoder` (CLIPTextModel),
    `unet` (UNet2DConditionModel), `scheduler` (any diffusers scheduler; only
    its config is used) and optionally `vae` (AutoencoderKL).

    The other arguments are saved in model_index.json:
    default_guidance_scale / default_sampler are used when a call passes None;
    latent_rgb_factors is a C x 3 matrix (one row per latent channel,
    optionally followed by a row of 3 biases) for cheap latent previews;
    model_description is shown in the UI.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"
    _optional_components = ["vae"]

    def __init__(
        self,
        tokenizer: CLIPTokenizer,
        text_encoder: CLIPTextModel,
        unet: UNet2DConditionModel,
        scheduler,
        vae: AutoencoderKL | None = None,
        default_guidance_scale: float = 4.0,
        default_sampler: str = "DPM++ 2M",
        latent_rgb_factors: list | None = None,
        model_description: str = "",
    ):
        super().__init__()
        if unet is not None:
            make_batch_invariant(unet)  # an image made in a batch equals the same image made alone
        self.register_modules(tokenizer=tokenizer, text_encoder=text_encoder, unet=unet, scheduler=scheduler, vae=vae)
        self.register_to_config(
            default_guidance_scale=float(default_guidance_scale),
            default_sampler=default_sampler,
            latent_rgb_factors=latent_rgb_factors,
            model_description=model_description,
        )
        self._prompt_cache: OrderedDict = OrderedDict()
        self._prompt_cache_lock = threading.Lock()

    # ------------------------------------------------------------------ shapes

    @property
    def is_latent(self) -> bool:
        """True when the UNet works on VAE latents rather than pixels."""
        return getattr(self, "vae", None) is not None

    @property
    def vae_scale_factor(self) -> int:
        """How many pixels one latent cell covers along a side (1 for pixel models)."""
        if not self.is_latent:
            return 1
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def size_multiple(self) -> int:
        """Heights and widths must be multiples of this."""
        return self.vae_scale_factor * 2 ** (len(self.unet.config.down_block_types) - 1)

    @property
    def max_side(self) -> int:
        return max(self.size_multiple, MAX_SIDE // self.size_multiple * self.size_multiple)

    @property
    def default_size(self) -> tuple[int, int]:
        """(height, width) the model was built for."""
        size = self.unet.config.sample_size
        h, w = (size, size) if isinstance(size, int) else size
        return h * self.vae_scale_factor, w * self.vae_scale_factor

    @property
    def max_prompt_tokens(self) -> int:
        """Prompt tokens the text encoder reads (its window minus start and end tokens)."""
        return self.tokenizer.model_max_length - 2

    # ------------------------------------------------------------------ inputs

    def check_inputs(
        self,
        prompt,
        negative_prompt,
        sampler,
        num_inference_steps,
        guidance_scale,
        seed,
        num_images_per_prompt,
        height,
        width,
        output_type="pil",
    ) -> GenerationSettings:
        """Check every setting and fill in defaults; raise PlaygroundInputError with a plain message.

        None means "use the model's default" for sampler, guidance_scale,
        height and width. Whole-number floats (20.0) are accepted where a
        whole number is needed, as UI sliders often send them.
        """
        sampler = self.config.default_sampler if sampler is None else sampler
        guidance_scale = self.config.default_guidance_scale if guidance_scale is None else guidance_scale
        default_h, default_w = self.default_size
        height = default_h if height is None else height
        width = default_w if width is None else width

        steps = _whole_number(num_inference_steps, "Steps", 1, MAX_STEPS)
        guidance = _number(guidance_scale, "Guidance scale", 0.0, MAX_GUIDANCE)
        seed = _whole_number(seed, "Seed", 0, MAX_SEED)
        count = _whole_number(num_images_per_prompt, "Images per prompt", 1, MAX_IMAGES)
        height = self._check_side(height, "Height")
        width = self._check_side(width, "Width")
        spec = get_sampler(sampler)
        self._check_sampler_fits_model(spec)
        if output_type not in OUTPUT_TYPES:
            raise PlaygroundInputError(f"Output type must be one of {', '.join(OUTPUT_TYPES)} (got {output_type!r}).")

        warnings = []
        prompt = _clean_text(prompt, "Prompt", warnings)
        negative_prompt = _clean_text(negative_prompt, "Negative prompt", warnings)
        return GenerationSettings(
            prompt, negative_prompt, spec, steps, guidance, seed, count, height, width, tuple(warnings)
        )

    def _check_side(self, value, label: str) -> int:
        m, top = self.size_multiple, self.max_side
        message = f"{label} must be a multiple of {m} from {m} to {top} pixels (got {value!r})."
        side = _as_whole_number(value)
        if side is None or side < m or side > top or side % m:
            raise PlaygroundInputError(message)
        return side

    def _check_sampler_fits_model(self, spec: SamplerSpec) -> None:
        prediction = self.scheduler.config.get("prediction_type", "epsilon")
        if prediction == "sample" and spec.cls.__name__ in ("KDPM2DiscreteScheduler", "KDPM2AncestralDiscreteScheduler",
                                                            "DPMSolverSDEScheduler"):
            raise PlaygroundInputError(
                f"The {spec.name} sampler cannot run this model (it predicts clean images); choose another sampler."
            )

    # ------------------------------------------------------------------ text

    def tokenize(self, prompt: str) -> tuple[list[str], bool]:
        """Split a prompt into readable tokens as the model sees them.

        Returns (tokens, truncated): all tokens of the prompt, without the start
        and end markers, and whether there are more than the model reads
        (`max_prompt_tokens`; the ones past that are ignored).
        """
        prompt = _clean_text(prompt, "Prompt", [])
        ids = self.tokenizer(prompt, add_special_tokens=False, truncation=False, verbose=False).input_ids
        tokens = [self.tokenizer.decode([i]) for i in ids]
        return tokens, len(ids) > self.max_prompt_tokens

    def encode_prompt(self, prompt: str, negative_prompt: str = "") -> PromptEmbeds:
        """Text-encode a prompt and its negative prompt (cached, at most 64 pairs).

        The cache is shared by all threads; its tensors are never modified.
        """
        key = (prompt, negative_prompt, str(self.text_encoder.device), self.text_encoder.dtype)
        with self._prompt_cache_lock:
            if key in self._prompt_cache:
                self._prompt_cache.move_to_end(key)
                return self._prompt_cache[key]

        warnings = [w for w in (self._truncation_warning(prompt, "Prompt"),
                                self._truncation_warning(negative_prompt, "Negative prompt")) if w]
        tokens = self.tokenizer(
            [negative_prompt, prompt],
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            out = self.text_encoder(tokens.input_ids.to(self.text_encoder.device))
        hidden, pooled = out.last_hidden_state, out.pooler_output
        embeds = PromptEmbeds(hidden[1:2], hidden[0:1], pooled[1:2], pooled[0:1], tuple(warnings))

        with self._prompt_cache_lock:
            self._prompt_cache[key] = embeds
            while len(self._prompt_cache) > PROMPT_CACHE_SIZE:
                self._prompt_cache.popitem(last=False)
        return embeds

    def _truncation_warning(self, text: str, label: str) -> str | None:
        ids = self.tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
        limit = self.max_prompt_tokens
        if len(ids) <= limit:
            return None
        ignored = self.tokenizer.decode(ids[limit:limit + 200])
        ignored = ignored[:200] + ("…" if len(ids) > limit + 200 or len(ignored) > 200 else "")
        return f"{label} too long: {len(ids)} tokens, the model reads {limit}; ignored: '{ignored}'"

    # ------------------------------------------------------------------ latents

    def prepare_latents(
        self, generators: list[torch.Generator], height: int, width: int, init_noise_sigma: float
    ) -> torch.Tensor:
        """Starting noise: one CPU generator per image, then moved to the UNet's device."""
        f = self.vae_scale_factor
        shape = (len(generators), self.unet.config.in_channels, height // f, width // f)
        noise = randn_tensor(shape, generator=generators, device=torch.device("cpu"), dtype=torch.float32)
        return noise.to(self.unet.device, self.unet.dtype) * init_noise_sigma

    def _latent_stats(self, like: torch.Tensor) -> tuple[torch.Tensor | float, torch.Tensor | float]:
        """(shift, scale) such that model_latents = (vae_latents - shift) * scale."""
        cfg = self.vae.config
        mean, std = cfg.get("latents_mean"), cfg.get("latents_std")
        if mean is not None and std is not None:
            mean = torch.tensor(mean, device=like.device, dtype=like.dtype).view(1, -1, 1, 1)
            std = torch.tensor(std, device=like.device, dtype=like.dtype).view(1, -1, 1, 1)
            return mean, cfg.scaling_factor / std
        shift = cfg.get("shift_factor") or 0.0
        return shift, cfg.scaling_factor

    @torch.inference_mode()
    def encode_images(self, images, generator: torch.Generator | None = None, sample: bool = False) -> torch.Tensor:
        """Turn images into what the UNet denoises (normalised latents, or pixels in [-1, 1]).

        images: a PIL image, a list of them, or a float tensor (N, 3, H, W) in
        [-1, 1]. With a VAE the latent mean is used unless sample=True.
        """
        pixels = _to_pixel_tensor(images).to(self.unet.device, self.unet.dtype)
        if not self.is_latent:
            return pixels
        latents = []
        for image in pixels.to(self.vae.dtype).split(1):  # one at a time, like decode
            dist = self.vae.encode(image).latent_dist
            latents.append(dist.sample(generator) if sample else dist.mode())
        latents = torch.cat(latents)
        shift, scale = self._latent_stats(latents)
        return (latents - shift) * scale

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor, output_type: str = "pil"):
        """Turn UNet-space samples back into images.

        output_type: "pil" (list of PIL images), "np" (float array N x H x W x 3
        in [0, 1]), "pt" (float tensor N x 3 x H x W in [0, 1]) or "latent"
        (the input, unchanged).
        """
        if output_type == "latent":
            return latents
        if self.is_latent:
            # One image at a time: less memory, and a batched VAE decode can differ from
            # a single one in the last float bits, which would break "image i of a batch
            # equals seed + i made alone".
            shift, scale = self._latent_stats(latents)
            vae_latents = (latents / scale + shift).to(self.vae.device, self.vae.dtype)
            pixels = torch.cat([self.vae.decode(z).sample for z in vae_latents.split(1)])
        else:
            pixels = latents
        images = torch.nan_to_num((pixels.float() / 2 + 0.5).clamp(0, 1)).cpu()
        if output_type == "pt":
            return images
        array = images.permute(0, 2, 3, 1).numpy()
        if output_type == "np":
            return array
        return [PIL.Image.fromarray(a) for a in (array * 255).round().astype("uint8")]

    # ------------------------------------------------------------------ model

    def guided_prediction(
        self,
        model_input: torch.Tensor,
        timestep: torch.Tensor,
        embeds: PromptEmbeds,
        guidance_scale: float,
        force_both: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Run the UNet once (cond and uncond in one batch) and apply classifier-free guidance.

        timestep is one timestep for the whole batch, or a 1-D tensor with one
        per sample of model_input (a Compare grid batches several samplers).
        At guidance 1 only the prompt branch is run, at 0 only the negative
        prompt branch (force_both runs both anyway, for checks).
        Returns (guided, cond, uncond); a branch that was not run is None.
        """
        n = model_input.shape[0]
        run_uncond = force_both or guidance_scale != 1
        run_cond = force_both or guidance_scale != 0
        branches = [(embeds.uncond, embeds.uncond_pooled)] * run_uncond + [(embeds.cond, embeds.cond_pooled)] * run_cond
        # The UNet computes in its input's dtype. (self.unet.dtype would walk every submodule on each call:
        # a tenth of a small model's time.)
        dtype = model_input.dtype
        hidden = torch.cat([h.expand(n, -1, -1) for h, _ in branches]).to(dtype)
        class_labels = None
        if self.unet.config.class_embed_type == "projection":
            class_labels = torch.cat([p.expand(n, -1) for _, p in branches]).to(dtype)
        if getattr(timestep, "ndim", 0) == 1:
            timestep = torch.cat([timestep] * len(branches))
        out = self.unet(
            torch.cat([model_input] * len(branches)),
            timestep,
            encoder_hidden_states=hidden,
            class_labels=class_labels,
        ).sample
        if run_uncond and run_cond:
            uncond, cond = out.chunk(2)
            return uncond + guidance_scale * (cond - uncond), cond, uncond
        if run_cond:
            return out, out, None
        return out, None, out

    # ------------------------------------------------------------------ call

    def __call__(
        self,
        prompt: str,
        negative_prompt: str = "",
        sampler: str | None = None,
        num_inference_steps: int = 20,
        guidance_scale: float | None = None,
        seed: int = 0,
        num_images_per_prompt: int = 1,
        height: int | None = None,
        width: int | None = None,
        return_trajectory: bool = False,
        trajectory_extras: bool = False,
        output_type: str = "pil",
    ) -> PlaygroundOutput:
        """Generate images for a prompt. Same arguments as `generate_steps`; returns its final PlaygroundOutput.

        Without return_trajectory no step records are made at all (they cost a copy per step).
        """
        for item in self._generate(
            prompt, negative_prompt, sampler, num_inference_steps, guidance_scale, seed,
            num_images_per_prompt, height, width, return_trajectory, trajectory_extras, output_type,
            record_steps=return_trajectory,
        ):
            pass
        return item

    def generate_steps(
        self,
        prompt: str,
        negative_prompt: str = "",
        sampler: str | None = None,
        num_inference_steps: int = 20,
        guidance_scale: float | None = None,
        seed: int = 0,
        num_images_per_prompt: int = 1,
        height: int | None = None,
        width: int | None = None,
        return_trajectory: bool = False,
        trajectory_extras: bool = False,
        output_type: str = "pil",
    ) -> Iterator[StepRecord | PlaygroundOutput]:
        """Generate step by step: yields one StepRecord per sampler step, then the PlaygroundOutput.

        Stopping the iteration between yields cancels the generation.

        Args:
            prompt: what to draw ("" draws unconditionally).
            negative_prompt: what to steer away from (the "uncond" branch).
            sampler: a name from SAMPLERS; None uses the model's default.
            num_inference_steps: sampler steps, 1 to 150.
            guidance_scale: classifier-free guidance, 0 to 30; None uses the model's default.
                1 runs only the prompt branch, 0 only the negative prompt branch.
            seed: 0 to 2**32 - 1; image i uses seed + i.
            num_images_per_prompt: 1 to 8.
            height, width: output size in pixels; None uses the model's size.
            return_trajectory: keep the StepRecords in the output.
            trajectory_extras: also record predicted noise and the guidance direction.
            output_type: "pil", "np", "pt" or "latent".
        """
        yield from self._generate(
            prompt, negative_prompt, sampler, num_inference_steps, guidance_scale, seed,
            num_images_per_prompt, height, width, return_trajectory, trajectory_extras, output_type,
            record_steps=True,
        )

    def _generate(
        self, prompt, negative_prompt, sampler, num_inference_steps, guidance_scale, seed, num_images_per_prompt,
        height, width, return_trajectory, trajectory_extras, output_type, record_steps: bool,
    ) -> Iterator[StepRecord | PlaygroundOutput]:
        """The recipe behind `generate_steps` and `__call__`; record_steps=False makes and yields no StepRecords."""
        start = time.perf_counter()

        # 1. Check inputs
        settings = self.check_inputs(prompt, negative_prompt, sampler, num_inference_steps, guidance_scale, seed,
                                     num_images_per_prompt, height, width, output_type)
        warnings = list(settings.warnings)

        # 2. Encode prompt
        embeds = self.encode_prompt(settings.prompt, settings.negative_prompt)
        warnings += embeds.warnings

        # 3. Prepare timesteps and 4. initial noise: a fresh scheduler (self.scheduler is shared
        #    by all threads) and one generator per image (see SamplerRun).
        run = SamplerRun(self, settings, record_steps, trajectory_extras)

        # 5. Denoising loop: one scheduler.step per model call; a record per completed step.
        #    inference_mode is entered per iteration, not around the loop, because a
        #    generator may be resumed on another thread (Gradio does) and the mode is per thread.
        while not run.finished:
            with torch.inference_mode():
                model_input, t = run.model_input()
                guided, cond, uncond = self.guided_prediction(model_input, t, embeds, settings.guidance_scale)
                record = run.step(guided, cond, uncond)
            if record is not None:
                yield record

        # 6. Decode
        output = run.output(warnings, output_type, return_trajectory)
        output.seconds = time.perf_counter() - start
        yield output

    def generate_grid(
        self,
        prompt: str,
        negative_prompt: str = "",
        cells=(),
        guidance_scale: float | None = None,
        seed: int = 0,
        return_trajectory: bool = False,
        **options,
    ) -> list[PlaygroundOutput]:
        """Run several (sampler, steps) cells on one prompt and seed, batching their model calls.

        Each cell's output equals `self(prompt, negative_prompt, sampler, steps, guidance_scale, seed)`
        made alone. See `pipelines.grid.generate_grid` for the details and the options.
        """
        from .grid import generate_grid

        return generate_grid(self, prompt, negative_prompt, cells, guidance_scale, seed, return_trajectory, **options)

    # ------------------------------------------------------------------ records

    def _first_call_record(self, model_input, guided, cond, uncond, t, alpha_bar, sigma, extras) -> dict:
        prediction = self.scheduler.config.get("prediction_type", "epsilon")
        x0, eps = predicted_x0_and_noise(guided, model_input, alpha_bar, prediction)
        record = {"timestep": float(t), "sigma": sigma, "x0": _to_cpu(x0)}
        if extras:
            record["noise_pred"] = _to_cpu(eps)
            if cond is not None and uncond is not None:
                record["guidance"] = _to_cpu((cond - uncond) * _noise_per_output(alpha_bar, prediction))
        return record

    def _finish_record(self, pending: dict, latents, scheduler, sigma_space: bool, step: int, nfe: int,
                       sigma_next: float | None = None) -> StepRecord:
        if sigma_next is None and sigma_space:
            sigma_next = _sigma_after_step(scheduler)
        x_t = latents / math.sqrt(1 + sigma_next**2) if sigma_space else latents
        return StepRecord(step=step, x_t=_to_cpu(x_t), sigma_next=sigma_next, nfe=nfe, **pending)


class SamplerRun:
    """One sampler's denoising loop for one call, driven one model call at a time.

    `generate_steps` drives one run; `generate_grid` (grid.py) drives several in
    lockstep and batches their model calls. Everything that makes the result
    (scheduler, generators, latents) belongs to the run, so a run gives the same
    numbers whoever drives it, as long as the model output it is given is the same:

        while not run.finished:
            x, t = run.model_input()
            record = run.step(*pipe.guided_prediction(x, t, embeds, guidance))
        output = run.output(warnings, "pil", keep_trajectory=True)

    Call both methods under torch.inference_mode().
    """

    def __init__(self, pipe: PlaygroundPipeline, settings: GenerationSettings, record_steps: bool = True,
                 trajectory_extras: bool = False):
        self.pipe, self.settings = pipe, settings
        self.record_steps, self.trajectory_extras = record_steps, trajectory_extras
        scheduler = make_scheduler(settings.sampler.name, pipe.scheduler.config)
        scheduler.set_timesteps(settings.num_inference_steps, device=pipe.unet.device)
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(0)  # count steps, don't look timesteps up: Karras spacing can repeat them
        self.scheduler = scheduler
        self.timesteps = scheduler.timesteps  # one entry per model call
        self._euler_first = first_step_in_first_order(settings.sampler, scheduler)
        if self._euler_first:  # call 0 makes step 0 (see there); the scheduler takes over at its step 1
            scheduler.set_begin_index(2)
            self.timesteps = torch.cat([scheduler.timesteps[:1], scheduler.timesteps[2:]])
        self.seeds = [settings.seed + i for i in range(settings.num_images_per_prompt)]
        generators = [torch.Generator("cpu").manual_seed(x) for x in self.seeds]
        self._step_kwargs = _noise_kwargs(scheduler, generators, self.seeds)
        self.latents = pipe.prepare_latents(generators, settings.height, settings.width,
                                            float(scheduler.init_noise_sigma))
        self._sigma_space = _works_in_sigma_space(scheduler)
        self.index = 0  # model calls made
        self.nfe = 0
        self.trajectory: list[StepRecord] = []
        self._call = None  # (model_input, t, alpha_bar, sigma) of the call in progress
        self._pending = None  # what the current step's first model call saw

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
            level = _noise_level(self.scheduler, t, self._sigma_space) if self.record_steps else (None, None)
        self._call = (x, t, *level)
        return x, t

    def step(self, guided, cond=None, uncond=None) -> StepRecord | None:
        """Take the (guided) model output of the call; returns a record when a user-visible step is done."""
        x, t, alpha_bar, sigma = self._call
        self.nfe += 1
        if self.record_steps and self._pending is None:
            self._pending = self.pipe._first_call_record(x, guided, cond, uncond, t, alpha_bar, sigma,
                                                         self.trajectory_extras)
        sigma_next = None
        if self._euler_first and self.index == 0:
            sigma_next = float(self.scheduler.sigmas[1])
            x0, _ = predicted_x0_and_noise(guided, x, alpha_bar, self.scheduler.config.prediction_type)
            self.latents = euler_step(self.latents, x0, sigma, sigma_next)
            done = True
        else:
            self.latents = self.scheduler.step(guided, t, self.latents, **self._step_kwargs).prev_sample
            done = _completes_step(self.scheduler, self.index, len(self.timesteps))
        self.index += 1
        self._call = None
        if not (done and self.record_steps):
            return None
        record = self.pipe._finish_record(self._pending, self.latents, self.scheduler, self._sigma_space,
                                          len(self.trajectory), self.nfe, sigma_next)
        self._pending = None
        self.trajectory.append(record)
        return record

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
        )


# ---------------------------------------------------------------------- helpers


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


def _noise_per_output(alpha_bar: float, prediction_type: str) -> float:
    """How much the implied noise changes per unit of model output (for the guidance direction)."""
    if prediction_type == "v_prediction":
        return math.sqrt(alpha_bar)
    if prediction_type == "sample":
        return -math.sqrt(alpha_bar) / math.sqrt(max(1.0 - alpha_bar, 1e-12))
    return 1.0


# A first noise level above this is pure noise to the model (alpha_bar below 1e-6): a zero-terminal-SNR
# schedule's, 4096. Stable Diffusion's is 14.6.
PURE_NOISE_SIGMA = 1000.0


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


def _works_in_sigma_space(scheduler) -> bool:
    """k-diffusion style samplers keep x = x0 + sigma * noise and start from noise with std > 1."""
    return float(scheduler.init_noise_sigma) > 1.0


def _noise_level(scheduler, t, sigma_space: bool) -> tuple[float, float | None]:
    """(alpha_bar, sigma) of the model call at timestep t, after scale_model_input."""
    if sigma_space:
        sigma = float(scheduler.sigmas[scheduler.step_index])
        return 1.0 / (1.0 + sigma**2), sigma
    alpha_bar = float(scheduler.alphas_cumprod[int(t)])
    sigma = math.sqrt((1 - alpha_bar) / alpha_bar) if hasattr(scheduler, "sigmas") else None
    return alpha_bar, sigma


def _sigma_after_step(scheduler) -> float:
    index = scheduler.step_index
    return float(scheduler.sigmas[index]) if index < len(scheduler.sigmas) else 0.0


def _completes_step(scheduler, index: int, num_calls: int) -> bool:
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


def _noise_kwargs(scheduler, generators: list[torch.Generator], seeds: list[int]) -> dict:
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


def _to_cpu(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to("cpu", torch.float32, copy=True)


def _as_whole_number(value) -> int | None:
    """value as an int if it is a whole number (int or integral float, not bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            return int(value)
    except OverflowError:  # a Fraction too large for a float
        return None
    return None


def _whole_number(value, label: str, low: int, high: int) -> int:
    number = _as_whole_number(value)
    if number is None or not low <= number <= high:
        raise PlaygroundInputError(f"{label} must be a whole number from {low} to {high} (got {value!r}).")
    return number


def _number(value, label: str, low: float, high: float) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    try:
        ok = ok and math.isfinite(value)
    except OverflowError:  # an int too large for a float (10**400) is certainly out of range
        ok = False
    if not ok or not low <= value <= high:
        raise PlaygroundInputError(f"{label} must be a number from {low:g} to {high:g} (got {value!r}).")
    return float(value)


def _clean_text(text, label: str, warnings: list[str]) -> str:
    """Check that text is a str and drop control characters (NUL etc.) and lone surrogates (text that is not
    valid Unicode, which JSON can carry but the tokenizer cannot read), noting it in warnings."""
    if not isinstance(text, str):
        raise PlaygroundInputError(f"{label} must be text (got {type(text).__name__}).")
    categories = [unicodedata.category(c) for c in text]
    kept = "".join(c for c, cat in zip(text, categories) if c in "\t\n\r" or cat not in ("Cc", "Cs"))
    invalid = categories.count("Cs")
    removed = len(text) - len(kept) - invalid
    if removed:
        warnings.append(f"{label}: removed {removed} control character{'s' * (removed > 1)}.")
    if invalid:
        warnings.append(f"{label}: removed {invalid} invalid character{'s' * (invalid > 1)} (lone UTF-16 surrogates).")
    return kept


def _to_pixel_tensor(images) -> torch.Tensor:
    """PIL image(s) or a (N, 3, H, W) tensor in [-1, 1] -> float tensor in [-1, 1]."""
    if isinstance(images, torch.Tensor):
        return images.float() if images.ndim == 4 else images.float().unsqueeze(0)
    if isinstance(images, PIL.Image.Image):
        images = [images]
    arrays = [np.asarray(im.convert("RGB"), dtype=np.float32) / 127.5 - 1.0 for im in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
