"""Forward diffusion: what noising a picture to step t looks like, the noise schedule, and denoising from there.

The forward process q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I) is the model's own training schedule
(its scheduler config's betas); for latent models it runs on the VAE latents of the picture, as in
training, and the result is shown both through the VAE (exact) and through the cheap linear preview the
step gallery uses.

"Denoise from here" noises a picture to t and lets the model run the rest of a sampler's schedule from
that point: what it keeps from the picture and what it invents depends on how much noise there was.

No gradio here.
"""
from __future__ import annotations

import inspect
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import torch
from diffusers import DDPMScheduler, LMSDiscreteScheduler, PNDMScheduler
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image, ImageOps, UnidentifiedImageError

import world
from pipelines import PlaygroundInputError, make_scheduler
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

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_SIDE = 4096
MAX_UPLOAD_PIXELS = MAX_UPLOAD_SIDE * MAX_UPLOAD_SIDE
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # never EPS & co. (they run external programs)
MAX_STRIP = 12
DEFAULT_STRIP = (0, 100, 250, 500, 750, 999)
DEFAULT_DENOISE_STRIP = (200, 400, 600, 800, 999)

EXAMPLES: dict[str, world.Scene] = {
    world.caption(s): s for s in (
        world.make_single(None, "circle", "red", "white", size="big"),
        world.make_count(None, 3, "square", "blue", "yellow"),
        world.make_pair(None, ("circle", "red"), ("triangle", "green"), "left of", "white"),
        world.make_text(None, "HI", "purple"),
        world.make_single(None, "triangle", "orange", "black", size="small", position="top"),
    )
}


# --------------------------------------------------------------------------- pictures in

def example_names() -> list[str]:
    return list(EXAMPLES)


def example_image(name: str) -> Image.Image:
    """One of the bundled example pictures, rendered from the synthetic world (32x32)."""
    scene = EXAMPLES.get(name) if isinstance(name, str) else None
    if scene is None:
        raise PlaygroundInputError(f"Unknown example {str(name)[:60]!r}; choose one of the examples.")
    return Image.fromarray(world.render(scene))


def fit_to_size(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop to the aspect ratio of (height, width) and resize: crisp when enlarging, smooth when shrinking."""
    h, w = size
    image = image.convert("RGB")
    iw, ih = image.size
    if iw * h != ih * w:
        if iw * h > ih * w:  # too wide
            cw = round(ih * w / h)
            box = ((iw - cw) // 2, 0, (iw - cw) // 2 + cw, ih)
        else:
            ch = round(iw * h / w)
            box = (0, (ih - ch) // 2, iw, (ih - ch) // 2 + ch)
        image = image.crop(box)
    if image.size == (w, h):
        return image
    method = Image.NEAREST if image.width <= w and image.height <= h else Image.LANCZOS
    return image.resize((w, h), method)


def load_upload(path, size: tuple[int, int]) -> Image.Image:
    """An uploaded file as an RGB picture of the model's size, refusing non-images and oversized ones.

    The file size and the declared pixel size are checked before any pixel is decoded.
    """
    p = Path(str(path))
    if not p.is_file():
        raise PlaygroundInputError("The uploaded file is gone; upload it again.")
    nbytes = p.stat().st_size
    if nbytes > MAX_UPLOAD_BYTES:
        raise PlaygroundInputError(f"The file is {nbytes / 2**20:.1f} MB; upload at most "
                                   f"{MAX_UPLOAD_BYTES // 2**20} MB.")
    too_big = (f"is too large: at most {MAX_UPLOAD_SIDE} × {MAX_UPLOAD_SIDE} pixels "
               f"({MAX_UPLOAD_PIXELS / 1e6:.1f} million) are accepted. Shrink it first.")
    not_image = f"That file is not an image this app reads ({', '.join(UPLOAD_FORMATS)})."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(p, formats=UPLOAD_FORMATS)
    except Image.DecompressionBombError:
        raise PlaygroundInputError(f"The image {too_big}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PlaygroundInputError(not_image) from None
    with im:
        w, h = im.size
        if w * h > MAX_UPLOAD_PIXELS or w < 1 or h < 1:
            raise PlaygroundInputError(f"The image is {w} × {h} pixels and {too_big}")
        try:
            im.draft("RGB", (max(size) * 2, max(size) * 2))  # JPEG: decode at a reduced size when it can
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                im = flat
            else:
                im = im.convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise PlaygroundInputError("The image could not be read (damaged or cut short); try another file.") \
                from None
    return fit_to_size(im, size)


# --------------------------------------------------------------------------- the schedule

def forward_scheduler(pipe) -> DDPMScheduler:
    """The model's training noise schedule as a fresh DDPM scheduler (the pipeline's own is shared by threads)."""
    config = {k: v for k, v in pipe.scheduler.config.items() if k != "_use_default_values"}
    return DDPMScheduler.from_config(config)


def num_train_timesteps(pipe) -> int:
    return int(pipe.scheduler.config.get("num_train_timesteps", 1000))


def check_t(t, pipe) -> int:
    top = num_train_timesteps(pipe) - 1
    try:
        value = float(t)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        value = float("nan")
    if isinstance(t, bool) or not math.isfinite(value) or value != int(value) or not 0 <= value <= top:
        raise PlaygroundInputError(f"t must be a whole number from 0 to {top} (got {str(t)[:20]}).")
    return int(value)


def check_seed(seed) -> int:
    try:
        value = float(seed)
    except (TypeError, ValueError, OverflowError):
        value = float("nan")
    if isinstance(seed, bool) or not math.isfinite(value) or value != int(value) or not 0 <= value <= 2**32 - 1:
        raise PlaygroundInputError(f"Seed must be a whole number from 0 to {2**32 - 1} (got {str(seed)[:20]}).")
    return int(value)


def parse_timesteps(text, pipe, limit: int = MAX_STRIP) -> list[int]:
    """'0, 250, 500' -> [0, 250, 500]: whole numbers in the model's range, at most ``limit`` of them."""
    top = num_train_timesteps(pipe) - 1
    parts = [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]
    values: list[int] = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            v = float("nan")
        if not math.isfinite(v) or v != int(v) or not 0 <= v <= top:
            raise PlaygroundInputError(f"Noise levels t must be whole numbers from 0 to {top}, separated by commas "
                                       f"(got {p[:20]!r}).")
        if int(v) not in values:
            values.append(int(v))
    if not values:
        raise PlaygroundInputError("Give at least one noise level t, e.g. 0, 250, 500, 999.")
    if len(values) > limit:
        raise PlaygroundInputError(f"At most {limit} noise levels at once (got {len(values)}).")
    return sorted(values)


@dataclass(frozen=True)
class NoiseLevel:
    t: int
    alpha_bar: float

    @property
    def snr(self) -> float:
        return self.alpha_bar / max(1.0 - self.alpha_bar, 1e-12)

    @property
    def sigma(self) -> float:
        return math.sqrt(max(1.0 - self.alpha_bar, 0.0) / self.alpha_bar)

    def caption(self) -> str:
        return f"t={self.t} · ᾱ={self.alpha_bar:.3g} · SNR {self.snr:.3g}"

    def describe(self) -> str:
        signal = math.sqrt(self.alpha_bar)
        noise = math.sqrt(max(1.0 - self.alpha_bar, 0.0))
        return (f"**t = {self.t}**: x_t = {signal:.3f} · x_0 + {noise:.3f} · noise. ᾱ_t = {self.alpha_bar:.4f}, "
                f"signal-to-noise ratio {self.snr:.3g}, σ = {self.sigma:.3g}.")


def noise_level(pipe, t: int) -> NoiseLevel:
    return NoiseLevel(int(t), float(forward_scheduler(pipe).alphas_cumprod[int(t)]))


def schedule_arrays(pipe) -> dict[str, np.ndarray]:
    ab = forward_scheduler(pipe).alphas_cumprod.double().numpy()
    return {"t": np.arange(len(ab)), "alpha_bar": ab, "snr": ab / np.clip(1 - ab, 1e-12, None),
            "sigma": np.sqrt((1 - ab) / ab)}


def schedule_plot(pipe, t: Optional[int] = None):
    """ᾱ_t, the signal-to-noise ratio (log scale) and σ_t (log scale) over the model's training timesteps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = schedule_arrays(pipe)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), dpi=100)
    panels = [("alpha_bar", "ᾱ_t (share of the signal's power kept)", False),
              ("snr", "signal-to-noise ratio ᾱ/(1−ᾱ)", True),
              ("sigma", "σ_t = √((1−ᾱ)/ᾱ)", True)]
    for ax, (key, title, log) in zip(axes, panels):
        ax.plot(s["t"], s[key], color="#4a7bd0")
        if log:
            ax.set_yscale("log")
        if t is not None:
            ax.axvline(int(t), color="#d04a4a", linestyle="--", linewidth=1)
            ax.plot([int(t)], [s[key][int(t)]], "o", color="#d04a4a", markersize=4)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("timestep t")
        ax.grid(True, alpha=0.3)
    axes[1].axhline(1.0, color="gray", linewidth=0.8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- q(x_t | x_0)

def _noise_like(x: torch.Tensor, seed: int) -> torch.Tensor:
    gen = torch.Generator("cpu").manual_seed(int(seed))
    return randn_tensor(tuple(x.shape), generator=gen, device=torch.device("cpu"), dtype=torch.float32).to(x.device,
                                                                                                           x.dtype)


def add_noise(pipe, x0: torch.Tensor, t: int, seed: int = 0) -> torch.Tensor:
    """x_t ~ q(x_t | x_0) with the model's own schedule and seeded noise (same seed, same noise at every t)."""
    sched = forward_scheduler(pipe)
    noise = _noise_like(x0, seed)
    return sched.add_noise(x0, noise, torch.tensor([int(t)] * x0.shape[0], dtype=torch.long))


@dataclass
class ForwardView:
    original: Image.Image
    decoded: Image.Image  # x_t through the VAE (or the pixels themselves)
    preview: Image.Image  # x_t through the cheap preview the step gallery uses
    level: NoiseLevel
    latent: bool


def forward_view(pipe, image: Image.Image, t, seed=0) -> ForwardView:
    t, seed = check_t(t, pipe), check_seed(seed)
    original = fit_to_size(image, pipe.default_size)
    x0 = pipe.encode_images(original)
    x_t = add_noise(pipe, x0, t, seed)
    decoded = pipe.decode(x_t)[0]
    preview = to_pil(pipe, x_t)[0] if pipe.is_latent else decoded
    return ForwardView(original, decoded, preview, noise_level(pipe, t), pipe.is_latent)


def forward_strip(pipe, image: Image.Image, timesteps, seed=0, method: str = "vae") -> list[tuple[Image.Image, str]]:
    """x_t at several t, all with the same noise. method: "vae" (decoded) or "approx" (cheap preview)."""
    seed = check_seed(seed)
    ts = [check_t(t, pipe) for t in timesteps]
    if not 1 <= len(ts) <= MAX_STRIP:
        raise PlaygroundInputError(f"Give 1 to {MAX_STRIP} noise levels (got {len(ts)}).")
    x0 = pipe.encode_images(fit_to_size(image, pipe.default_size))
    out = []
    for t in ts:
        x_t = add_noise(pipe, x0, t, seed)
        picture = pipe.decode(x_t)[0] if method == "vae" or not pipe.is_latent else to_pil(pipe, x_t)[0]
        out.append((picture, noise_level(pipe, t).caption()))
    return out


# --------------------------------------------------------------------------- denoise from here

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
    noise = _noise_like(x0, settings.seed)
    if not run:
        result.start = result.final = pipe.decode(add_noise(pipe, x0, t, settings.seed))[0]
        result.rmse = _rmse(result.final, original)
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
    result.rmse = _rmse(result.final, original)
    result.seconds = time.perf_counter() - started
    yield result


def denoise_from(pipe, image: Image.Image, t, prompt: str, negative_prompt: str = "", sampler=None, steps=20,
                 guidance=None, seed=0) -> DenoiseResult:
    result = None
    for result in iter_denoise_from(pipe, image, t, prompt, negative_prompt, sampler, steps, guidance, seed):
        pass
    return result


def _rmse(a: Image.Image, b: Image.Image) -> float:
    x, y = np.asarray(a.convert("RGB"), np.float32), np.asarray(b.convert("RGB"), np.float32)
    return float(np.sqrt(((x - y) ** 2).mean()))
