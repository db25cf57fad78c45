"""PlaygroundPipeline: a small text-to-image diffusion pipeline made for looking inside.

It works like a diffusers Stable Diffusion pipeline (`generator`, `output_type`, `return_dict`,
`callback_on_step_end`, `interrupt`, a progress bar), with the playground's own additions:

* the sampler is chosen per call by name (see `samplers.py`) and built fresh
  each time, so many people can use one pipeline at once from threads;
* every step can be recorded (`return_trajectory`, or a `callback_on_step_end`
  that asks for "record"): the noisy sample and the model's guess of the clean
  picture; `generate_steps` streams those records, so a UI can show them live
  and stop between steps;
* image i of a batch uses its own random generator seeded `seed + i`, so it is
  exactly the picture that seed gives when made alone, for every sampler
  (checked bit for bit on CPU; on a GPU the kernels picked for different batch
  sizes may differ in the last float bits);
* `image` + `start_timestep` noise a picture to t and denoise it from there with
  the same loop (the Forward tab's "Denoise from t").

Without a VAE the UNet works directly on pixels in [-1, 1]; with one it works
on VAE latents, normalised with the VAE's scaling (and, if given, per-channel
mean/std) like the diffusers SD / SDXL pipelines. Every bound on the arguments
is in `limits.py`.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from types import SimpleNamespace
from typing import Callable, Iterator
from warnings import filterwarnings

import torch
from diffusers import (AutoencoderKL, AutoencoderTiny, DDPMScheduler, DiffusionPipeline, StableDiffusionMixin,
                       UNet2DConditionModel)
from diffusers.image_processor import VaeImageProcessor
from diffusers.utils.torch_utils import randn_tensor
from transformers import CLIPTextModel, CLIPTokenizer

from .batch_invariance import make_batch_invariant
from .denoising import PURE_NOISE_SIGMA, SamplerRun, StartPoint, seeded_noise, to_cpu
from .emphasis import apply_weights, has_emphasis, weighted_ids
from .errors import PlaygroundInputError
from .grid import generate_grid
from .limits import (MAX_GUIDANCE, MAX_IMAGES, MAX_SEED, MAX_SIDE, MAX_STEPS, PROMPT_CACHE_SIZE, clean_text, number,
                     as_whole_number, whole_number)
from .outputs import GenerationSettings, PlaygroundOutput, PromptEmbeds, StepRecord
from .samplers import SamplerSpec, get_sampler, sampler_of

# torchsde (used by DPM++ SDE) warns when float rounding puts a query a hair outside
# its interval; the result is unaffected, so keep that noise out of the logs.
filterwarnings("ignore", message=r"Should have (ta|tb)", category=UserWarning, module="torchsde")

OUTPUT_TYPES = ("pil", "np", "pt", "latent")

__all__ = ["OUTPUT_TYPES", "PURE_NOISE_SIGMA", "GenerationSettings", "PlaygroundOutput", "PlaygroundPipeline",
           "PromptEmbeds", "StepRecord"]


_EMBED_FIELDS = {"prompt_embeds": "cond", "negative_prompt_embeds": "uncond", "pooled_prompt_embeds": "cond_pooled",
                 "negative_pooled_prompt_embeds": "uncond_pooled"}


def _embeds_changed(embeds: PromptEmbeds, changed: dict) -> PromptEmbeds:
    """``embeds`` with the embeddings a step-end callback handed back (diffusers' names) in place of its own."""
    new = {field: changed[name] for name, field in _EMBED_FIELDS.items() if changed.get(name) is not None}
    return replace(embeds, **new) if new else embeds


class PlaygroundPipeline(DiffusionPipeline, StableDiffusionMixin):
    """Text-to-image pipeline with per-call samplers and a recorded trajectory.

    Components: `tokenizer` (CLIPTokenizer), `text_encoder` (CLIPTextModel),
    `unet` (UNet2DConditionModel), `scheduler` (any diffusers scheduler; only
    its config is used) and optionally `vae` (AutoencoderKL) and `preview_vae` (AutoencoderTiny: the vae
    distilled, training/preview_vae.py, for cheap pictures of the latents while a run streams).

    The other arguments are saved in model_index.json:
    default_guidance_scale / default_sampler are used when a call passes None;
    latent_rgb_factors is a C x 3 matrix (one row per latent channel,
    optionally followed by a row of 3 biases) for cheap latent previews;
    model_description is shown in the UI.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"
    _optional_components = ["vae", "preview_vae"]
    # What callback_on_step_end may ask for; "record" (the step's StepRecord) is the playground's own.
    _callback_tensor_inputs = ["latents", "prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds",
                               "negative_pooled_prompt_embeds", "record"]

    def __init__(
        self,
        tokenizer: CLIPTokenizer,
        text_encoder: CLIPTextModel,
        unet: UNet2DConditionModel,
        scheduler,
        vae: AutoencoderKL | None = None,
        preview_vae: AutoencoderTiny | None = None,
        default_guidance_scale: float = 4.0,
        default_sampler: str = "DPM++ 2M",
        latent_rgb_factors: list | None = None,
        model_description: str = "",
    ):
        super().__init__()
        if unet is not None:
            make_batch_invariant(unet)  # an image made in a batch equals the same image made alone
        self.register_modules(tokenizer=tokenizer, text_encoder=text_encoder, unet=unet, scheduler=scheduler, vae=vae,
                              preview_vae=preview_vae)
        self.register_to_config(
            default_guidance_scale=float(default_guidance_scale),
            default_sampler=default_sampler,
            latent_rgb_factors=latent_rgb_factors,
            model_description=model_description,
        )
        self.image_processor = VaeImageProcessor(vae_scale_factor=self.vae_scale_factor, do_resize=False)
        self._prompt_cache: OrderedDict = OrderedDict()
        self._prompt_cache_lock = threading.Lock()
        self._call_state = threading.local()  # per call (so per thread): what the properties below report
        self._loaded_scheduler = scheduler  # one set later by hand (pipe.scheduler = ...) is used when no sampler is named

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

        steps = whole_number(num_inference_steps, "Steps", 1, MAX_STEPS)
        guidance = number(guidance_scale, "Guidance scale", 0.0, MAX_GUIDANCE)
        seed = whole_number(seed, "Seed", 0, MAX_SEED)
        count = whole_number(num_images_per_prompt, "Images per prompt", 1, MAX_IMAGES)
        height = self._check_side(height, "Height")
        width = self._check_side(width, "Width")
        spec = sampler if isinstance(sampler, SamplerSpec) else get_sampler(sampler)
        self._check_sampler_fits_model(spec)
        if output_type not in OUTPUT_TYPES:
            raise PlaygroundInputError(f"Output type must be one of {', '.join(OUTPUT_TYPES)} (got {output_type!r}).")

        warnings = []
        prompt = clean_text(prompt, "Prompt", warnings)
        negative_prompt = clean_text(negative_prompt, "Negative prompt", warnings)
        return GenerationSettings(
            prompt, negative_prompt, spec, steps, guidance, seed, count, height, width, tuple(warnings)
        )

    def _check_side(self, value, label: str) -> int:
        m, top = self.size_multiple, self.max_side
        message = f"{label} must be a multiple of {m} from {m} to {top} pixels (got {value!r})."
        side = as_whole_number(value)
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
        tokens, _weights, truncated = self.weighted_tokens(prompt)
        return tokens, truncated

    def weighted_tokens(self, prompt: str) -> tuple[list[str], list[float], bool]:
        """As `tokenize`, with each token's weight: AUTOMATIC1111's emphasis, `(red:1.5)` (pipelines/emphasis.py),
        read as the text encoder's output is weighted; 1 where the prompt weights nothing."""
        prompt = clean_text(prompt, "Prompt", [])
        ids, weights = weighted_ids(self.tokenizer, prompt)
        tokens = [self.tokenizer.decode([i]) for i in ids]
        return tokens, weights, len(ids) > self.max_prompt_tokens

    def split_words(self, prompt: str) -> list[str]:
        """The prompt's words that the tokenizer cuts into several pieces, once each, in order.

        A CLIP tokenizer keeps the words of the text it was built from as whole tokens; a word it cuts was rare
        there or absent. The bundled model's tokenizer was built from its own training captions, so these are
        words it never saw in training. Numbers and punctuation are left out.
        """
        prompt = clean_text(prompt, "Prompt", [])
        words = []
        for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", prompt.lower()):
            pieces = self.tokenizer.tokenize(word)
            if len(pieces) > 1 and word not in words:
                words.append(word)
        return words

    def encode_prompt(
        self,
        prompt: str | list[str] | None,
        device: torch.device | str | None = None,
        num_images_per_prompt: int = 1,
        do_classifier_free_guidance: bool = True,
        negative_prompt: str | list[str] | None = None,
        prompt_embeds: torch.Tensor | None = None,
        negative_prompt_embeds: torch.Tensor | None = None,
        lora_scale: float | None = None,
        clip_skip: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
        """diffusers' signature: (prompt_embeds, negative_prompt_embeds, pooled_prompt_embeds,
        negative_pooled_prompt_embeds), one row per image, as SDXL pipelines return them (this UNet may read the
        pooled embedding too). The negative ones are None without classifier-free guidance. Pass them back to the
        call as prompt_embeds=... and so on. Cached per prompt pair (see `encode_prompt_pair`)."""
        if lora_scale is not None:
            raise PlaygroundInputError("lora_scale: this pipeline loads no LoRA weights.")
        prompts, negatives = self._check_prompts(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        count = whole_number(num_images_per_prompt, "Images per prompt", 1, MAX_IMAGES)
        embeds = self._prompt_batch(prompts, negatives, count, clip_skip, prompt_embeds, negative_prompt_embeds,
                                    None, None)
        rows = len(prompts) * count

        def batch(tensor):  # one row per image, on the device asked for
            tensor = tensor.expand(rows, *tensor.shape[1:]) if tensor.shape[0] == 1 else tensor
            return tensor.to(device) if device is not None else tensor

        cond, pooled = batch(embeds.cond), batch(embeds.cond_pooled)
        if not do_classifier_free_guidance:
            return cond, None, pooled, None
        return cond, batch(embeds.uncond), pooled, batch(embeds.uncond_pooled)

    def encode_prompt_pair(self, prompt: str, negative_prompt: str = "", clip_skip: int | None = None) -> PromptEmbeds:
        """Text-encode a prompt and its negative prompt (cached, at most 64 pairs).

        clip_skip: read the text encoder's output that many layers before its last (through its final layer
        norm, as diffusers does); None or 0 reads the last. The cache is shared by all threads; its tensors are
        never modified.
        """
        clip_skip = self._check_clip_skip(clip_skip)
        key = (prompt, negative_prompt, clip_skip, str(self.text_encoder.device), self.text_encoder.dtype)
        with self._prompt_cache_lock:
            if key in self._prompt_cache:
                self._prompt_cache.move_to_end(key)
                return self._prompt_cache[key]

        warnings = [w for w in (self._truncation_warning(prompt, "Prompt"),
                                self._truncation_warning(negative_prompt, "Negative prompt")) if w]
        texts = [negative_prompt, prompt]
        if any(has_emphasis(t) for t in texts):  # AUTOMATIC1111's (word:1.5): each run tokenized alone
            input_ids, weights = self._weighted_input_ids(texts)
        else:
            input_ids, weights = self.tokenizer(texts, padding="max_length", max_length=self.tokenizer.model_max_length,
                                                truncation=True, return_tensors="pt").input_ids, None
        with torch.inference_mode():
            out = self.text_encoder(input_ids.to(self.text_encoder.device), output_hidden_states=bool(clip_skip))
            hidden, pooled = out.last_hidden_state, out.pooler_output
            if clip_skip:
                tower = getattr(self.text_encoder, "text_model", self.text_encoder)  # transformers 4 nests it
                hidden = tower.final_layer_norm(out.hidden_states[-(clip_skip + 1)])
            if weights is not None:
                hidden = apply_weights(hidden, weights.to(hidden.device))
        embeds = PromptEmbeds(hidden[1:2], hidden[0:1], pooled[1:2], pooled[0:1], tuple(warnings))

        with self._prompt_cache_lock:
            self._prompt_cache[key] = embeds
            while len(self._prompt_cache) > PROMPT_CACHE_SIZE:
                self._prompt_cache.popitem(last=False)
        return embeds

    def _weighted_input_ids(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids, weights), each (texts, window): every text's weighted tokens (`emphasis.weighted_ids`) cut to the
        window, between the start and end markers and padded as the tokenizer pads; the markers and padding
        weigh 1."""
        width = self.tokenizer.model_max_length
        rows, weight_rows = [], []
        for text in texts:
            ids, weights = weighted_ids(self.tokenizer, text)
            ids, weights = ids[:self.max_prompt_tokens], weights[:self.max_prompt_tokens]
            tok = self.tokenizer
            row = [tok.bos_token_id] + ids + [tok.eos_token_id]
            rows.append(row + [tok.pad_token_id] * (width - len(row)))
            weight_rows.append([1.0] + weights + [1.0] * (width - 1 - len(weights)))
        return torch.tensor(rows), torch.tensor(weight_rows)

    def _check_clip_skip(self, clip_skip) -> int:
        if clip_skip is None:
            return 0
        layers = self.text_encoder.config.num_hidden_layers
        return whole_number(clip_skip, "clip_skip", 0, layers - 1)

    def _truncation_warning(self, text: str, label: str) -> str | None:
        ids, _weights = weighted_ids(self.tokenizer, text)
        limit = self.max_prompt_tokens
        if len(ids) <= limit:
            return None
        ignored = self.tokenizer.decode(ids[limit:limit + 200])
        ignored = ignored[:200] + ("…" if len(ids) > limit + 200 or len(ignored) > 200 else "")
        return f"{label} too long: {len(ids)} tokens, the model reads {limit}; ignored: '{ignored}'"

    # ------------------------------------------------------------------ latents

    def prepare_latents(
        self, generators: list[torch.Generator], height: int, width: int, init_noise_sigma: float,
        latents: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Starting noise: drawn on the CPU from each image's generator (or the caller's `latents`, standard normal
        noise of the right shape), moved to the execution device and scaled to the sampler's first noise level."""
        f = self.vae_scale_factor
        shape = (len(generators), self.unet.config.in_channels, height // f, width // f)
        if latents is None:
            noise = randn_tensor(shape, generator=generators, device=torch.device("cpu"), dtype=torch.float32)
        elif not isinstance(latents, torch.Tensor) or tuple(latents.shape) != shape:
            got = tuple(latents.shape) if isinstance(latents, torch.Tensor) else type(latents).__name__
            raise PlaygroundInputError(f"latents must be a tensor of shape {shape} (got {got}).")
        else:
            noise = latents
        return noise.to(self._execution_device, self.unet.dtype) * init_noise_sigma

    def latent_stats(self, like: torch.Tensor) -> tuple[torch.Tensor | float, torch.Tensor | float]:
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
        pixels = self.image_processor.preprocess(images).to(self._execution_device, self.unet.dtype)
        if not self.is_latent:
            return pixels
        latents = []
        for image in pixels.to(self.vae.dtype).split(1):  # one at a time, like decode
            dist = self.vae.encode(image).latent_dist
            latents.append(dist.sample(generator) if sample else dist.mode())
        latents = torch.cat(latents)
        shift, scale = self.latent_stats(latents)
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
            shift, scale = self.latent_stats(latents)
            vae_latents = (latents / scale + shift).to(self.vae.device, self.vae.dtype)
            pixels = torch.cat([self.vae.decode(z).sample for z in vae_latents.split(1)])
        else:
            pixels = latents
        pixels = torch.nan_to_num(pixels.float(), nan=-1.0).cpu()  # a broken (NaN) pixel shows black
        return self.image_processor.postprocess(pixels, output_type=output_type)

    def training_schedule(self) -> DDPMScheduler:
        """The model's training noise schedule (its betas, alpha_bar) as a fresh DDPM scheduler: the forward process.
        Fresh each time: the pipeline's own scheduler is shared by threads."""
        config = {k: v for k, v in self._loaded_scheduler.config.items() if k != "_use_default_values"}
        return DDPMScheduler.from_config(config)

    def add_noise(self, x0: torch.Tensor, t: int, seed: int = 0) -> torch.Tensor:
        """x_t ~ q(x_t | x_0): the forward process with the model's own training schedule and noise drawn from
        `seed` (the same seed gives the same noise at every t)."""
        noise = seeded_noise(x0, seed)
        return self.training_schedule().add_noise(x0, noise, torch.tensor([int(t)] * x0.shape[0], dtype=torch.long))

    # ------------------------------------------------------------------ model

    def guided_prediction(
        self,
        model_input: torch.Tensor,
        timestep: torch.Tensor,
        embeds: PromptEmbeds,
        guidance_scale: float,
        force_both: bool = False,
        guidance_rescale: float = 0.0,
        cross_attention_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Run the UNet once (cond and uncond in one batch) and apply classifier-free guidance.

        timestep is one timestep for the whole batch, or a 1-D tensor with one
        per sample of model_input (a Compare grid batches several samplers).
        At guidance 1 only the prompt branch is run, at 0 only the negative
        prompt branch (force_both runs both anyway, for checks). guidance_rescale
        (0 to 1) pulls the guided output's spread back toward the prompt branch's, as
        diffusers does after Lin et al. 2023.
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
            cross_attention_kwargs=cross_attention_kwargs,
        ).sample
        if run_uncond and run_cond:
            uncond, cond = out.chunk(2)
            guided = uncond + guidance_scale * (cond - uncond)
            if guidance_rescale > 0:  # diffusers' own (imported here: its module pulls in image processors)
                from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import rescale_noise_cfg

                guided = rescale_noise_cfg(guided, cond, guidance_rescale=guidance_rescale)
            return guided, cond, uncond
        if run_cond:
            return out, out, None
        return out, None, out

    # ------------------------------------------------------------------ call

    @property
    def guidance_scale(self) -> float | None:
        """The guidance scale of the call in progress on this thread (for callbacks)."""
        return getattr(self._call_state, "guidance_scale", None)

    @property
    def num_timesteps(self) -> int | None:
        """Model calls of the call in progress on this thread."""
        return getattr(self._call_state, "num_timesteps", None)

    @property
    def interrupt(self) -> bool:
        """Set `pipe._interrupt = True` in a callback to stop the call in progress on its thread after this step;
        what was made so far is decoded and returned. Other threads' calls go on."""
        return getattr(self._call_state, "interrupt", False)

    @property
    def _interrupt(self) -> bool:
        return self.interrupt

    @_interrupt.setter
    def _interrupt(self, value: bool) -> None:
        self._call_state.interrupt = bool(value)

    def __call__(
        self,
        prompt: str | list[str] | None = None,
        negative_prompt: str | list[str] | None = None,
        sampler: str | None = None,
        num_inference_steps: int = 20,
        guidance_scale: float | None = None,
        seed: int | None = None,
        num_images_per_prompt: int = 1,
        height: int | None = None,
        width: int | None = None,
        return_trajectory: bool = False,
        trajectory_extras: bool = False,
        output_type: str = "pil",
        *,
        generator: torch.Generator | list[torch.Generator] | None = None,
        latents: torch.Tensor | None = None,
        timesteps: list[int] | None = None,
        sigmas: list[float] | None = None,
        eta: float = 0.0,
        guidance_rescale: float = 0.0,
        clip_skip: int | None = None,
        cross_attention_kwargs: dict | None = None,
        prompt_embeds: torch.Tensor | None = None,
        negative_prompt_embeds: torch.Tensor | None = None,
        pooled_prompt_embeds: torch.Tensor | None = None,
        negative_pooled_prompt_embeds: torch.Tensor | None = None,
        image=None,
        start_timestep: int | None = None,
        return_dict: bool = True,
        callback_on_step_end: Callable[["PlaygroundPipeline", int, torch.Tensor, dict], dict] | None = None,
        callback_on_step_end_tensor_inputs: list[str] = ("latents",),
    ) -> PlaygroundOutput | tuple:
        """Generate images for a prompt (or a list of prompts, batched).

        Args:
            prompt: what to draw ("" draws unconditionally); a list makes num_images_per_prompt images
                of each, in order.
            negative_prompt: what to steer away from (the "uncond" branch); one for all prompts or one each.
            sampler: a name from SAMPLERS; None uses the scheduler set on the pipeline if one was set by hand
                (`pipe.scheduler = ...`), else the model's default sampler.
            num_inference_steps: sampler steps, 1 to MAX_STEPS.
            guidance_scale: classifier-free guidance, 0 to MAX_GUIDANCE; None uses the model's default.
                1 runs only the prompt branch, 0 only the negative prompt branch (the unconditional picture),
                and values between 0 and 1 blend the two (diffusers pipelines switch guidance off at 1 or less).
            seed: 0 to MAX_SEED; image i uses seed + i. None: 0, or the `generator`'s.
            num_images_per_prompt: 1 to MAX_IMAGES (all prompts together at most MAX_IMAGES images).
            height, width: output size in pixels; None uses the model's size.
            return_trajectory: keep a StepRecord per step in the output (without it none are made: they cost a
                copy per step).
            trajectory_extras: also record predicted noise and the guidance direction.
            output_type: "pil", "np", "pt" or "latent".
            generator: instead of `seed`, a torch.Generator (or one per image) that the starting noise and a
                stochastic sampler's noise are drawn from.
            latents: standard normal starting noise of your own, (images, channels, h, w), instead of drawing it.
            timesteps, sigmas: a schedule of your own for samplers that take one (instead of num_inference_steps).
            eta: DDIM's eta (0: deterministic, 1: as much fresh noise as DDPM).
            guidance_rescale: 0 to 1, see `guided_prediction`.
            clip_skip: read the text encoder that many layers before its last.
            cross_attention_kwargs: passed to the UNet's attention processors.
            prompt_embeds, negative_prompt_embeds: text embeddings of your own (images, tokens, hidden) instead
                of prompts; pooled_prompt_embeds and negative_pooled_prompt_embeds (images, hidden) with them
                when the UNet also reads the pooled embedding (the bundled model does).
            image, start_timestep: denoise from a picture instead of pure noise: `image` (PIL or an
                (N, 3, H, W) tensor in [-1, 1], of the output size) is noised to the schedule's first step at
                or below `start_timestep`, with noise from `seed`, and the rest of the schedule is run.
            return_dict: False returns the tuple (images,) as diffusers pipelines do.
            callback_on_step_end: called as fn(pipe, step, timestep, kwargs) after each completed step, with
                kwargs holding the names in `callback_on_step_end_tensor_inputs`; a "latents" it returns
                replaces the sample, and "prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds" or
                "negative_pooled_prompt_embeds" (as `encode_prompt` gives them) condition the steps after this one
                (prompt editing). "record" gives the step's StepRecord. Set `pipe._interrupt = True` in it to
                stop after this step.
        """
        start = time.perf_counter()
        # 1.-4. Check inputs, encode the prompt, prepare timesteps and the starting sample
        call = self._prepare_call(
            prompt, negative_prompt, sampler, num_inference_steps, guidance_scale, seed, num_images_per_prompt, height,
            width, return_trajectory, trajectory_extras, output_type, generator, latents, timesteps, sigmas, eta,
            guidance_rescale, clip_skip, cross_attention_kwargs, prompt_embeds, negative_prompt_embeds,
            pooled_prompt_embeds, negative_pooled_prompt_embeds, image, start_timestep, callback_on_step_end,
            callback_on_step_end_tensor_inputs)
        # 5. Denoising loop: model (both branches in one batch), guidance, scheduler step, record, callback
        for _ in self._denoising_loop(call):
            pass
        # 6. Decode
        output = self._finish_call(call, start)
        return output if return_dict else (output.images,)

    def generate_steps(self, *args, **kwargs) -> Iterator[StepRecord | PlaygroundOutput]:
        """The same call, streamed: yields one StepRecord per sampler step as it is made, then the PlaygroundOutput.

        Takes `__call__`'s arguments (not return_dict). It runs the call's own steps on the calling thread (a worker
        thread would cost more than twice the time on a 2-core CPU: OpenMP throttles its spinning once two thread
        teams exist); leaving the loop that reads it stops the run after its current step.
        """
        if "return_dict" in kwargs:
            raise PlaygroundInputError("generate_steps yields the output itself; call the pipeline for return_dict.")
        start = time.perf_counter()
        call = self._prepare_call(*args, **kwargs, record_steps=True)
        for record in self._denoising_loop(call):
            yield record
        yield self._finish_call(call, start)

    def _prepare_call(
        self, prompt=None, negative_prompt=None, sampler=None, num_inference_steps=20, guidance_scale=None, seed=None,
        num_images_per_prompt=1, height=None, width=None, return_trajectory=False, trajectory_extras=False,
        output_type="pil", generator=None, latents=None, timesteps=None, sigmas=None, eta=0.0, guidance_rescale=0.0,
        clip_skip=None, cross_attention_kwargs=None, prompt_embeds=None, negative_prompt_embeds=None,
        pooled_prompt_embeds=None, negative_pooled_prompt_embeds=None, image=None, start_timestep=None,
        callback_on_step_end=None, callback_on_step_end_tensor_inputs=("latents",), record_steps=False,
    ) -> SimpleNamespace:
        """Steps 1-4 of a call; what the loop and the decode need, as one namespace."""
        # 1. Check inputs
        prompts, negatives = self._check_prompts(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        settings = self.check_inputs(prompts[0], negatives[0], self._resolve_sampler(sampler), num_inference_steps,
                                     guidance_scale, 0 if seed is None else seed, num_images_per_prompt, height,
                                     width, output_type)
        settings = self._check_call_options(settings, len(prompts), timesteps, sigmas, eta, guidance_rescale)
        generators = self._check_generators(generator, seed, settings.images)
        if generators is not None:
            settings = replace(settings, seed=generators[0].initial_seed())
        start_point = self._check_start(image, start_timestep, settings)
        tensor_inputs = self._check_callback_inputs(callback_on_step_end_tensor_inputs)
        record_steps = record_steps or return_trajectory or "record" in tensor_inputs
        warnings = list(settings.warnings)

        # 2. Encode the prompt (cached), or take the embeddings given
        embeds = self._prompt_batch(prompts, negatives, settings.num_images_per_prompt, clip_skip, prompt_embeds,
                                    negative_prompt_embeds, pooled_prompt_embeds, negative_pooled_prompt_embeds)
        warnings = list(dict.fromkeys(warnings + list(embeds.warnings)))  # the first pair is cleaned by both

        # 3. Prepare timesteps and 4. the starting sample: a fresh scheduler (self.scheduler is shared by all
        #    threads) and one generator per image, or the picture noised to start_timestep (see SamplerRun)
        run = SamplerRun(self, settings, record_steps, trajectory_extras, generators, start_point, latents)
        return SimpleNamespace(settings=settings, embeds=embeds, run=run, warnings=warnings, output_type=output_type,
                               return_trajectory=return_trajectory, guidance_rescale=guidance_rescale,
                               cross_attention_kwargs=cross_attention_kwargs, callback=callback_on_step_end,
                               tensor_inputs=tensor_inputs)

    def _denoising_loop(self, call: SimpleNamespace) -> Iterator[StepRecord | None]:
        """Step 5 of a call: model, guidance, scheduler step, record and callback, one model call at a time; yields
        after each completed step (its StepRecord when recording). Stops early when a callback sets _interrupt or
        the reader stops iterating."""
        run, embeds, settings = call.run, call.embeds, call.settings
        state = self._call_state
        state.guidance_scale, state.num_timesteps, state.interrupt = settings.guidance_scale, len(run.timesteps), False
        steps_done = 0
        try:
            with self.progress_bar(total=len(run.timesteps)) as progress:
                while not run.finished and not self.interrupt:
                    # inference_mode per model call, not around the loop: the reader may resume this generator
                    # on another thread (Gradio does), and the mode belongs to a thread
                    with torch.inference_mode():
                        model_input, t = run.model_input()
                        guided, cond, uncond = self.guided_prediction(
                            model_input, t, embeds, settings.guidance_scale, guidance_rescale=call.guidance_rescale,
                            cross_attention_kwargs=call.cross_attention_kwargs)
                        step_done = run.step(guided, cond, uncond)
                    progress.update()
                    if not step_done:
                        continue
                    steps_done += 1
                    record = run.trajectory[-1] if run.record_steps else None
                    if call.callback is not None:
                        values = {"latents": run.latents, "prompt_embeds": embeds.cond,
                                  "negative_prompt_embeds": embeds.uncond, "pooled_prompt_embeds": embeds.cond_pooled,
                                  "negative_pooled_prompt_embeds": embeds.uncond_pooled, "record": record}
                        changed = call.callback(self, steps_done - 1, t,
                                                {k: values[k] for k in call.tensor_inputs}) or {}
                        run.latents = changed.get("latents", run.latents)
                        # as in diffusers' pipelines, the callback may hand back other prompt embeddings for the
                        # steps after this one (prompt editing: another prompt from a step on)
                        embeds = _embeds_changed(embeds, changed)
                    yield record
        finally:
            state.guidance_scale, state.num_timesteps, state.interrupt = None, None, False

    def _finish_call(self, call: SimpleNamespace, start: float) -> PlaygroundOutput:
        """Step 6 of a call: decode, and the output."""
        output = call.run.output(call.warnings, call.output_type, call.return_trajectory)
        output.seconds = time.perf_counter() - start
        self.maybe_free_model_hooks()
        return output

    def denoising_start(self, image, start_timestep, sampler: str | None = None, num_inference_steps: int = 20,
                        seed: int = 0) -> tuple[float | None, torch.Tensor]:
        """Where `self(image=image, start_timestep=t, ...)` with these arguments starts, without running it:
        (the timestep of its first step, or None when every step is above t and nothing is left to denoise; the
        noised sample it starts from, VP-normalised, CPU float32). For showing the start before the run ends."""
        settings = self.check_inputs("", "", sampler, num_inference_steps, 1.0, seed, 1, None, None)
        run = SamplerRun(self, settings, False, False, None, self._check_start(image, start_timestep, settings))
        return run.start_timestep, run.start_latents if run.start_latents is not None else to_cpu(run.latents)

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
        return generate_grid(self, prompt, negative_prompt, cells, guidance_scale, seed, return_trajectory, **options)

    # ------------------------------------------------------------------ call checks

    def _check_prompts(self, prompt, negative_prompt, prompt_embeds, negative_prompt_embeds):
        """(prompts, negative prompts), one each per prompt: texts, or "" placeholders beside given embeddings."""
        if prompt_embeds is not None:
            if prompt not in (None, "", []):
                raise PlaygroundInputError("Give either prompt or prompt_embeds, not both.")
            if not isinstance(prompt_embeds, torch.Tensor) or prompt_embeds.ndim != 3:
                raise PlaygroundInputError("prompt_embeds must be a tensor (prompts, tokens, hidden).")
            prompt = [""] * prompt_embeds.shape[0]
        if negative_prompt_embeds is not None and negative_prompt not in (None, "", []):
            raise PlaygroundInputError("Give either negative_prompt or negative_prompt_embeds, not both.")
        prompts = list(prompt) if isinstance(prompt, (list, tuple)) else [prompt]  # None: refused by check_inputs
        if not prompts:
            raise PlaygroundInputError("The list of prompts is empty.")
        if isinstance(negative_prompt, (list, tuple)):
            negatives = list(negative_prompt)
            if len(negatives) != len(prompts):
                raise PlaygroundInputError(f"Got {len(negatives)} negative prompts for {len(prompts)} prompts; give "
                                           "one for all or one each.")
        else:
            negatives = ["" if negative_prompt is None else negative_prompt] * len(prompts)
        return prompts, negatives

    def _check_call_options(self, settings: GenerationSettings, n_prompts: int, timesteps, sigmas, eta,
                            guidance_rescale) -> GenerationSettings:
        images = n_prompts * settings.num_images_per_prompt
        if images > MAX_IMAGES:
            raise PlaygroundInputError(f"At most {MAX_IMAGES} images a call: {n_prompts} prompts × "
                                       f"{settings.num_images_per_prompt} images each is {images}.")
        number(guidance_rescale, "guidance_rescale", 0.0, 1.0)
        eta = number(eta, "eta", 0.0, 1.0)
        if timesteps is not None and sigmas is not None:
            raise PlaygroundInputError("Give either timesteps or sigmas, not both.")
        schedule = {}
        for name, values in (("timesteps", timesteps), ("sigmas", sigmas)):
            if values is None:
                continue
            values = [float(v) for v in (values.tolist() if isinstance(values, torch.Tensor) else values)]
            if not 1 <= len(values) <= MAX_STEPS + 1 or not all(math.isfinite(v) and v >= 0 for v in values):
                raise PlaygroundInputError(f"{name} must be 1 to {MAX_STEPS} numbers of 0 or more.")
            schedule[name] = tuple(values)
            steps = len(values) - (name == "sigmas")  # sigmas end at the final noise level: one more than steps
            settings = replace(settings, num_inference_steps=max(1, steps))
        return replace(settings, batch_size=images, eta=eta, **schedule)

    def _resolve_sampler(self, sampler):
        """The sampler to run: the name asked for, else the scheduler set on the pipeline by hand, else None (the
        model's default). Asking for one sampler while another was set is an error, never a silent choice."""
        if self.scheduler is self._loaded_scheduler:
            return sampler
        chosen = sampler_of(self.scheduler, self._loaded_scheduler.config)
        if sampler is not None and sampler != chosen.name:
            raise PlaygroundInputError(f"sampler={sampler!r} asked for, but the pipeline's scheduler was set to "
                                       f"{type(self.scheduler).__name__} ({chosen.name}). Pass sampler=None to use "
                                       "that scheduler, or set the pipeline's scheduler back.")
        return chosen

    def _prompt_batch(self, prompts, negatives, per_prompt: int, clip_skip, prompt_embeds, negative_prompt_embeds,
                      pooled, negative_pooled) -> PromptEmbeds:
        """The text embeddings of every image of the call: one row per image (or one row for all, when there is
        one prompt), cond and uncond. Texts are cleaned as check_inputs cleans them (it has noted what it removed
        from the first pair)."""
        if prompt_embeds is None and negative_prompt_embeds is None:
            if len(prompts) == 1:
                return self.encode_prompt_pair(clean_text(prompts[0], "Prompt", []),
                                               clean_text(negatives[0], "Negative prompt", []), clip_skip)
            warnings: list[str] = []
            pairs = [self.encode_prompt_pair(clean_text(p, "Prompt", warnings),
                                             clean_text(n, "Negative prompt", warnings), clip_skip)
                     for p, n in zip(prompts, negatives)]

            def rows(part):  # each prompt's row once per image of it, in order: a, a, b, b
                return torch.cat([getattr(e, part) for e in pairs for _ in range(per_prompt)])

            notes = tuple(dict.fromkeys(warnings + [w for e in pairs for w in e.warnings]))
            return PromptEmbeds(rows("cond"), rows("uncond"), rows("cond_pooled"), rows("uncond_pooled"), notes)
        text = [self.encode_prompt_pair(clean_text(p, "Prompt", []), clean_text(n, "Negative prompt", []), clip_skip)
                for p, n in zip(prompts, negatives)]
        needs_pooled = self.unet.config.class_embed_type == "projection"

        def given(tensor, pooled_tensor, label, encoded, encoded_pooled):
            if tensor is None:  # each prompt's row once per image of it: a, a, b, b (as given tensors below)
                return encoded.repeat_interleave(per_prompt, 0), encoded_pooled.repeat_interleave(per_prompt, 0)
            if tensor.shape[0] != len(prompts) or tuple(tensor.shape[1:]) != tuple(encoded.shape[1:]):
                shape = ", ".join(map(str, (len(prompts), *encoded.shape[1:])))
                raise PlaygroundInputError(f"{label} must have shape ({shape}) (got {tuple(tensor.shape)}).")
            if needs_pooled and pooled_tensor is None:
                raise PlaygroundInputError(f"This model's UNet also reads the pooled text embedding: pass "
                                           f"{'negative_' if 'negative' in label else ''}pooled_prompt_embeds "
                                           f"with {label}, as SDXL pipelines take them.")
            if pooled_tensor is None:
                pooled_tensor = torch.zeros(tensor.shape[0], encoded_pooled.shape[-1])
            device, dtype = encoded.device, encoded.dtype
            return (tensor.to(device, dtype).repeat_interleave(per_prompt, 0),
                    pooled_tensor.to(device, dtype).repeat_interleave(per_prompt, 0))

        cond_rows = torch.cat([e.cond for e in text]), torch.cat([e.cond_pooled for e in text])
        uncond_rows = torch.cat([e.uncond for e in text]), torch.cat([e.uncond_pooled for e in text])
        cond, cond_pooled = given(prompt_embeds, pooled, "prompt_embeds", *cond_rows)
        uncond, uncond_pooled = given(negative_prompt_embeds, negative_pooled, "negative_prompt_embeds", *uncond_rows)
        return PromptEmbeds(cond, uncond, cond_pooled, uncond_pooled)

    def _check_generators(self, generator, seed, count: int) -> list[torch.Generator] | None:
        if generator is None:
            return None
        if seed is not None:
            raise PlaygroundInputError("Give either seed or generator, not both.")
        generators = list(generator) if isinstance(generator, (list, tuple)) else [generator]
        if not all(isinstance(g, torch.Generator) for g in generators):
            raise PlaygroundInputError("generator must be a torch.Generator or a list of them.")
        if len(generators) == 1 and count > 1:
            generators = generators * count  # one generator drawn from in turn, as diffusers does
        if len(generators) != count:
            raise PlaygroundInputError(f"Got {len(generators)} generators for {count} images; give one or one per image.")
        return generators

    def _check_start(self, image, start_timestep, settings: GenerationSettings) -> StartPoint | None:
        if image is None and start_timestep is None:
            return None
        if image is None or start_timestep is None:
            raise PlaygroundInputError("Denoising from a picture needs both image and start_timestep.")
        top = int(self.scheduler.config.get("num_train_timesteps", 1000)) - 1
        t = as_whole_number(start_timestep)
        if t is None or not 0 <= t <= top:
            raise PlaygroundInputError(f"t must be a whole number from 0 to {top} (got {str(start_timestep)[:20]}).")
        x0 = self.encode_images(image)
        if tuple(x0.shape[-2:]) != (settings.height // self.vae_scale_factor, settings.width // self.vae_scale_factor):
            raise PlaygroundInputError(f"The picture must be {settings.width} × {settings.height} pixels, the output "
                                       "size.")
        return StartPoint(x0, t, settings.seed)

    def _check_callback_inputs(self, names) -> list[str]:
        names = list(names or ())
        unknown = [n for n in names if n not in self._callback_tensor_inputs]
        if unknown:
            raise PlaygroundInputError(f"callback_on_step_end_tensor_inputs: {unknown} not among "
                                       f"{self._callback_tensor_inputs}.")
        return names


