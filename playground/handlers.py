"""What the buttons do: plain functions from inputs to outputs, apart from the layout (ui.py).

Every handler takes the model registry first (the one shared object) and returns or yields plain
values: lists of (image, caption) for galleries, markdown strings, dicts for per-user state.
Bad input becomes ``gr.Error`` with the pipeline's plain message; notes become ``gr.Warning``.
"""
from __future__ import annotations

import math
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from pipelines import SAMPLERS, PlaygroundInputError, PlaygroundOutput, StepRecord
from pipelines.preview import latents_to_rgb, to_pil, upscale_nearest
from playground.models import ModelRegistry
from playground.pngmeta import Settings, SettingsParseError, format_parameters, png_bytes_with_parameters, read_png_settings

PREVIEW_SIDE = 128  # step previews are upscaled (nearest neighbour) to at least this many pixels
MAX_SEED = 2**32 - 1


def _out_dir() -> Path:
    """Where files for the browser go: inside Gradio's temp dir, never elsewhere."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    d = base / "playground"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _user_error(e: Exception) -> gr.Error:
    return gr.Error(str(e), print_exception=False)


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def _parse_seed(seed) -> int:
    """The UI's seed box sends a float; accept whole numbers only."""
    try:
        value = float(seed)
    except (TypeError, ValueError):
        raise gr.Error(f"Seed must be a whole number from 0 to {MAX_SEED} (got {str(seed)[:40]!r}).",
                       print_exception=False) from None
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_SEED:
        raise gr.Error(f"Seed must be a whole number from 0 to {MAX_SEED} (got {seed!r}).", print_exception=False)
    return int(value)


def _noise_picture(pipe, tensor) -> Image.Image:
    """A picture of a noise-like tensor (predicted noise, guidance direction): stretched to its own range."""
    x = tensor[:1].float()
    if pipe.is_latent:
        x = latents_to_rgb(x, pipe.config.latent_rgb_factors)
    x = x - x.mean()
    x = x / (3 * x.std().clamp_min(1e-6))
    return _to_img(x.clamp(-1, 1))


def _to_img(x) -> Image.Image:
    arr = ((x[0].permute(1, 2, 0).numpy() / 2 + 0.5).clip(0, 1) * 255).round().astype(np.uint8)
    return Image.fromarray(arr)


@dataclass
class StepPictures:
    """Per-user record of one run's pictures (kept in gr.State), for the slider and the GIF."""

    x_t: list = field(default_factory=list)
    x0: list = field(default_factory=list)
    captions: list = field(default_factory=list)
    noise: list = field(default_factory=list)
    guidance: list = field(default_factory=list)


def step_caption(record: StepRecord, steps: int) -> str:
    sigma = f", σ={record.sigma:.2f}" if record.sigma is not None else ""
    return f"step {record.step + 1}/{steps}, t={record.timestep:.0f}{sigma}"


def token_summary(pipe, prompt: str) -> str:
    tokens, truncated = pipe.tokenize(prompt)
    limit = pipe.max_prompt_tokens
    shown = " ".join(f"`{t}`" for t in tokens[:limit]) or "(empty: unconditional)"
    note = ""
    if truncated:
        note = f"\n\n**Truncated:** the prompt has {len(tokens)} tokens and the model reads {limit}; the rest is ignored."
    return f"**Tokens** ({min(len(tokens), limit)}/{limit}): {shown}{note}"


def save_png(image: Image.Image, settings: Settings, tag: str) -> str:
    path = _out_dir() / f"{tag}.png"
    path.write_bytes(png_bytes_with_parameters(image, settings))
    return str(path)


def generate(registry: ModelRegistry, model: str, prompt: str, negative: str, sampler: str, steps, guidance, seed,
             n_images, show_extras: bool = False, progress=gr.Progress()):
    """Stream one generation. Yields (final gallery, x_t gallery, x0 gallery, extras gallery, info, state, slider)."""
    try:
        pipe = registry.get(model)
        seed = _parse_seed(seed)
        stream = pipe.generate_steps(prompt, negative or "", sampler, steps, guidance, seed, n_images,
                                     return_trajectory=False, trajectory_extras=bool(show_extras))
        pics = StepPictures()
        t0 = time.perf_counter()
        for item in stream:
            if isinstance(item, PlaygroundOutput):
                out = item
                break
            record = item
            n_steps = int(steps)
            pics.x_t.append(upscale_nearest(to_pil(pipe, record.x_t[:1])[0], PREVIEW_SIDE))
            pics.x0.append(upscale_nearest(to_pil(pipe, record.x0[:1])[0], PREVIEW_SIDE))
            pics.captions.append(step_caption(record, n_steps))
            if show_extras and record.noise_pred is not None:
                pics.noise.append(upscale_nearest(_noise_picture(pipe, record.noise_pred), PREVIEW_SIDE))
                if record.guidance is not None:
                    pics.guidance.append(upscale_nearest(_noise_picture(pipe, record.guidance), PREVIEW_SIDE))
            progress((record.step + 1, n_steps), desc="denoising")
            yield (gr.skip(), _gallery(pics.x_t, pics.captions, "x_t"), _gallery(pics.x0, pics.captions, "x̂0"),
                   _extras_gallery(pics), gr.skip(), gr.skip(), gr.skip())
    except PlaygroundInputError as e:
        raise _user_error(e) from None
    for w in out.warnings:
        gr.Warning(w)
    h, w = out.images[0].height, out.images[0].width
    finals = []
    stamp = f"{int(time.time() * 1000)}-{random.randrange(1 << 30):x}"
    for i, (image, s) in enumerate(zip(out.images, out.seeds)):
        settings = Settings(prompt=prompt, negative_prompt=negative or "", steps=out.num_inference_steps,
                            sampler=out.sampler, guidance_scale=out.guidance_scale, seed=s, width=w, height=h,
                            model=model or registry.default)
        finals.append((save_png(image, settings, f"image-{stamp}-{i}"), f"seed {s}"))
    spec = SAMPLERS[out.sampler]
    info = (f"**{out.seconds * 1000:.0f} ms** for {len(out.images)} image(s) · {out.num_inference_steps} steps · "
            f"**{out.nfe} model evaluations** ({spec.evals_per_step} per step"
            f"{', with cond and uncond batched' if 0 < out.guidance_scale != 1 else ''}) · sampler {out.sampler} · "
            f"guidance {out.guidance_scale:g} · seed {out.seeds[0]}"
            f"{'' if len(out.seeds) == 1 else f'..{out.seeds[-1]}'} · {w}×{h} px\n\n" + token_summary(pipe, prompt))
    last = max(0, len(pics.x_t) - 1)
    yield (finals, _gallery(pics.x_t, pics.captions, "x_t"), _gallery(pics.x0, pics.captions, "x̂0"),
           _extras_gallery(pics), info, pics, gr.update(minimum=0, maximum=last, value=last, step=1, interactive=True))


def _gallery(images, captions, label):
    return [(im, f"{label} · {c}") for im, c in zip(images, captions)]


def _extras_gallery(pics: StepPictures):
    out = [(im, f"predicted noise · {c}") for im, c in zip(pics.noise, pics.captions)]
    out += [(im, f"guidance (cond − uncond) · {c}") for im, c in zip(pics.guidance, pics.captions)]
    return out


def scrub(pics: StepPictures | None, index):
    """The slider: x_t and x̂0 at one step of the last run."""
    if not pics or not pics.x_t:
        return None, None, "Run a generation first."
    i = int(min(max(0, int(index or 0)), len(pics.x_t) - 1))
    return pics.x_t[i], pics.x0[i], pics.captions[i]


def export_gif(pics: StepPictures | None, frame_ms: int = 150) -> str:
    """An animated GIF of the last run: x_t beside x̂0 at every step."""
    if not pics or not pics.x_t:
        raise gr.Error("Run a generation first; then its steps can be saved as a GIF.", print_exception=False)
    frames = []
    for a, b in zip(pics.x_t, pics.x0):
        frame = Image.new("RGB", (a.width + b.width + 8, max(a.height, b.height)), (255, 255, 255))
        frame.paste(a, (0, 0))
        frame.paste(b, (a.width + 8, 0))
        frames.append(frame)
    path = _out_dir() / f"steps-{int(time.time() * 1000)}-{random.randrange(1 << 30):x}.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:] + [frames[-1]] * 4, duration=frame_ms, loop=0)
    return str(path)


def restore_from_png(file):
    """A PNG dropped on the tab -> (prompt, negative, sampler, steps, guidance, seed) updates."""
    if file is None:
        return (gr.skip(),) * 6
    path = file if isinstance(file, str) else getattr(file, "name", None) or file.get("path")
    try:
        s = read_png_settings(path)
    except SettingsParseError as e:
        raise gr.Error(str(e), print_exception=False) from None
    notes = []
    sampler = gr.skip()
    if s.sampler is not None:
        if s.sampler in SAMPLERS:
            sampler = s.sampler
        else:
            notes.append(f"sampler {s.sampler[:40]!r} is not offered here")
    steps = s.steps if s.steps is not None and 1 <= s.steps <= 150 else gr.skip()
    guidance = s.guidance_scale if s.guidance_scale is not None and 0 <= s.guidance_scale <= 30 else gr.skip()
    seed = s.seed if s.seed is not None and 0 <= s.seed <= MAX_SEED else gr.skip()
    if notes:
        gr.Warning("Restored what fits; " + "; ".join(notes) + ".")
    return s.prompt[:5000], s.negative_prompt[:5000], sampler, steps, guidance, seed
