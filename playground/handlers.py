"""What the buttons do: plain functions from inputs to outputs, apart from the layout (ui.py).

Every handler takes the model registry first (the one shared object) and returns or yields plain
values: lists of (image, caption) for galleries, markdown strings, dicts for per-user state.
Bad input becomes ``gr.Error`` with the pipeline's plain message; notes become ``gr.Warning``.
"""
from __future__ import annotations

import base64
import math
import os
import random
import re
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
MAX_PROMPT_CHARS = 5_000  # longer prompts are cut: the model reads only its first few dozen tokens anyway


def _out_dir() -> Path:
    """Where files for the browser go: inside Gradio's temp dir, never elsewhere."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    d = base / "playground"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _user_error(e: Exception) -> gr.Error:
    return gr.Error(str(e), print_exception=False)


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cap_text(text, label: str, notes: list) -> str:
    """A prompt as the handlers use it: None (an API caller's null) is empty; past MAX_PROMPT_CHARS it is cut."""
    if text is None:
        return ""
    if isinstance(text, str) and len(text) > MAX_PROMPT_CHARS:
        notes.append(f"{label}: cut to its first {MAX_PROMPT_CHARS:,} characters (it had {len(text):,}); "
                     "the model reads only the first few dozen words anyway.")
        return text[:MAX_PROMPT_CHARS]
    return text


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def _parse_seed(seed) -> int:
    """The UI's seed box sends a float; accept whole numbers only."""
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        raise gr.Error(f"Seed is empty; enter a whole number from 0 to {MAX_SEED}.", print_exception=False)
    try:
        value = float(seed)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
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
    """Stream one generation. Yields (final gallery, x_t gallery, x0 gallery, extras gallery, info, state, slider).

    Notes (prompt cut or truncated, control characters removed, ...) show as gr.Warning and, for API
    callers, at the end of the info text.
    """
    notes = []
    prompt = _cap_text(prompt, "Prompt", notes)
    negative = _cap_text(negative, "Negative prompt", notes)
    try:
        pipe = registry.get(model)
        seed = _parse_seed(seed)
        used = pipe.check_inputs(prompt, negative, sampler, steps, guidance, seed, n_images, None, None)
        stream = pipe.generate_steps(prompt, negative, sampler, steps, guidance, seed, n_images,
                                     return_trajectory=False, trajectory_extras=bool(show_extras))
        pics = StepPictures()
        files = _StepFiles()
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
            yield (gr.skip(), files.gallery(pics.x_t, pics.captions, "x_t"),
                   files.gallery(pics.x0, pics.captions, "x̂0"), files.extras_gallery(pics), gr.skip(), gr.skip(),
                   gr.skip())
    except PlaygroundInputError as e:
        raise _user_error(e) from None
    notes += out.warnings
    for note in notes:
        gr.Warning(_shorten(note))
    h, w = out.images[0].height, out.images[0].width
    finals = []
    stamp = f"{int(time.time() * 1000)}-{random.randrange(1 << 30):x}"
    for i, (image, s) in enumerate(zip(out.images, out.seeds)):
        settings = Settings(prompt=used.prompt, negative_prompt=used.negative_prompt, steps=out.num_inference_steps,
                            sampler=out.sampler, guidance_scale=out.guidance_scale, seed=s, width=w, height=h,
                            model=model or registry.default)
        finals.append((save_png(image, settings, f"image-{stamp}-{i}"), f"seed {s}"))
    spec = SAMPLERS[out.sampler]
    info = (f"**{out.seconds * 1000:.0f} ms** for {len(out.images)} image(s) · {out.num_inference_steps} steps · "
            f"**{out.nfe} model evaluations** ({_evals_words(spec, out)}"
            f"{', with cond and uncond batched' if 0 < out.guidance_scale != 1 else ''}) · sampler {out.sampler} · "
            f"guidance {out.guidance_scale:g} · seed {out.seeds[0]}"
            f"{'' if len(out.seeds) == 1 else f'..{out.seeds[-1]}'} · {w}×{h} px\n\n" + token_summary(pipe, prompt))
    if notes:
        info += "\n\n**Notes:**\n" + "\n".join(f"- {_shorten(note)}" for note in notes)
    last = max(0, len(pics.x_t) - 1)
    yield (finals, files.gallery(pics.x_t, pics.captions, "x_t"), files.gallery(pics.x0, pics.captions, "x̂0"),
           files.extras_gallery(pics), info, pics,
           gr.update(minimum=0, maximum=max(1, last), value=last, step=1, interactive=True))  # Gradio needs min < max


def _evals_words(spec, out) -> str:
    """How the model evaluations add up: Heun-like samplers take their last step, and from pure noise their first
    (pipeline_playground.first_step_in_first_order), in one call."""
    if spec.evals_per_step == 1:
        return "1 per step" if out.nfe == out.num_inference_steps else "1 per step, 2 for the first"  # PLMS
    steps = out.num_inference_steps
    if steps > 1 and out.nfe == 2 * steps - 2:
        return "2 per step; 1 for the last and for the first, from pure noise"
    return "2 per step; 1 for the last" if steps > 1 else "1 for a single step"


class _StepFiles:
    """The step galleries of one run, as PNG files written once each.

    Gradio re-encodes a PIL image and rewrites its cache file every time it is yielded, while a browser may
    still be downloading that file from the previous update: the download is cut short ("Too little data
    for declared Content-Length"), and a run of n steps costs n²/2 encodes. A file path is copied into the
    cache once, so the streamed galleries hand out paths.
    """

    def __init__(self):
        self.stamp = f"{int(time.time() * 1000)}-{random.randrange(1 << 30):x}"
        self.paths: dict = {}

    def path(self, kind: str, i: int, image: Image.Image) -> str:
        if (kind, i) not in self.paths:
            path = _out_dir() / f"{kind}-{self.stamp}-{i}.png"
            image.save(path)
            self.paths[kind, i] = str(path)
        return self.paths[kind, i]

    def gallery(self, images, captions, label):
        kind = "xt" if label == "x_t" else "x0"
        return [(self.path(kind, i, im), f"{label} · {c}") for i, (im, c) in enumerate(zip(images, captions))]

    def extras_gallery(self, pics: StepPictures):
        out = [(self.path("noise", i, im), f"predicted noise · {c}")
               for i, (im, c) in enumerate(zip(pics.noise, pics.captions))]
        out += [(self.path("guidance", i, im), f"guidance (cond − uncond) · {c}")
                for i, (im, c) in enumerate(zip(pics.guidance, pics.captions))]
        return out


def scrub(pics: StepPictures | None, index):
    """The slider: x_t and x̂0 at one step of the last run."""
    if not pics or not pics.x_t:
        return None, None, "Run a generation first."
    try:
        i = int(float(index or 0))
    except (TypeError, ValueError, OverflowError):  # NaN, infinity or text from an API caller
        i = 0
    i = min(max(0, i), len(pics.x_t) - 1)
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
    return s.prompt[:MAX_PROMPT_CHARS], s.negative_prompt[:MAX_PROMPT_CHARS], sampler, steps, guidance, seed


# --------------------------------------------------------------------------- Compare tab

MAX_CELLS = 24
MAX_STEP_COUNTS = 6
REFERENCE_SAMPLER, REFERENCE_STEPS = "DPM++ 2M", 100


def parse_step_counts(text) -> list[int]:
    """'5, 10, 20' -> [5, 10, 20]; a plain message for anything else."""
    parts = [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]
    counts = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise gr.Error(f"Step counts must be whole numbers from 1 to 150, separated by commas (got {p[:20]!r}).",
                           print_exception=False) from None
        if not math.isfinite(v) or v != int(v) or not 1 <= v <= 150:
            raise gr.Error(f"Step counts must be whole numbers from 1 to 150 (got {p[:20]!r}).", print_exception=False)
        if int(v) not in counts:
            counts.append(int(v))
    if not counts:
        raise gr.Error("Give at least one step count, e.g. 5, 10, 20.", print_exception=False)
    if len(counts) > MAX_STEP_COUNTS:
        raise gr.Error(f"At most {MAX_STEP_COUNTS} step counts at once (got {len(counts)}).", print_exception=False)
    return sorted(counts)


@dataclass
class CompareResult:
    """Per-user state of the last comparison: every cell's step pictures, for the shared scrubber."""

    cells: list = field(default_factory=list)  # dicts: sampler, steps, nfe, ms, x_t, x0 (lists of PIL), final, rmse
    samplers: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    batch_ms: float = 0.0  # wall time of the whole grid; each cell's "ms" is its share of it


def _rmse(a: Image.Image, b: Image.Image) -> float:
    x, y = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return float(np.sqrt(((x - y) ** 2).mean()))


def cell_caption(cell: dict) -> str:
    """The cell's cost: its model evaluations and its share of the grid's batch time (see compare)."""
    return f"{cell['sampler']} · {cell['steps']} steps · {cell['nfe']} evals · batch share {cell['ms']:.0f} ms"


def compare(registry: ModelRegistry, model: str, prompt: str, negative: str, samplers, step_counts, guidance, seed,
            progress=gr.Progress()):
    """Run every sampler at every step count on the same prompt and seed. Yields (grid, plot, state, note)."""
    pipe = registry.get(model)
    seed = _parse_seed(seed)
    samplers = [s for s in (samplers or []) if s]
    if not samplers:
        raise gr.Error("Pick at least one sampler to compare.", print_exception=False)
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown:
        raise gr.Error(f"Unknown sampler {unknown[0][:40]!r}. Choose from: {', '.join(SAMPLERS)}.", print_exception=False)
    counts = parse_step_counts(step_counts)
    n_cells = len(samplers) * len(counts)
    if n_cells > MAX_CELLS:
        raise gr.Error(f"That is {n_cells} cells ({len(samplers)} samplers × {len(counts)} step counts); "
                       f"at most {MAX_CELLS} at once. Pick fewer samplers or step counts.", print_exception=False)
    result = CompareResult(samplers=samplers, counts=counts)
    cells = [(name, n) for name in samplers for n in counts]
    try:
        progress(0, desc="reference image")
        reference = pipe(prompt, negative or "", REFERENCE_SAMPLER, REFERENCE_STEPS, guidance, seed).images[0]
        yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
               f"Reference ready; running {n_cells} cells together ({len(samplers)} samplers × {len(counts)} step counts)…")
        # All cells at once: their model calls share UNet batches, round by round (pipelines/grid.py);
        # each cell is byte-identical to the same settings run alone.
        outs = pipe.generate_grid(prompt, negative or "", cells, guidance, seed, return_trajectory=True,
                                  on_round=lambda done, total: progress((done, total), desc="model evaluation rounds"))
    except PlaygroundInputError as e:
        raise _user_error(e) from None
    for (name, n), out in zip(cells, outs):
        result.cells.append({"sampler": name, "steps": n, "nfe": out.nfe, "ms": out.seconds * 1000,
                             "stochastic": SAMPLERS[name].stochastic, "final": out.images[0],
                             "x_t": [to_pil(pipe, r.x_t[:1])[0] for r in out.trajectory],
                             "x0": [to_pil(pipe, r.x0[:1])[0] for r in out.trajectory],
                             "rmse": _rmse(out.images[0], reference)})
    result.batch_ms = sum(out.seconds for out in outs) * 1000
    evals = sum(out.nfe for out in outs)
    note = (f"Reference: {REFERENCE_SAMPLER} at {REFERENCE_STEPS} steps, same prompt and seed. "
            f"Distance = root-mean-square difference of the pixels (0-255).\n\n"
            f"**Time:** the {n_cells} cells ran together in **{result.batch_ms:.0f} ms** ({evals} model evaluations, "
            f"batched across cells); each cell's \"batch share\" is that time split in proportion to its evaluations.")
    yield grid_image(result), grid_gallery(result), convergence_plot(result), result, note


def grid_gallery(result: CompareResult, fraction: float | None = None, which: str = "x0"):
    """The grid, row by row (sampler) and column by column (steps). With a fraction, each cell shows its
    trajectory at that point of its own schedule; otherwise its final image."""
    items = []
    for cell in result.cells:
        if fraction is None:
            image, tag = cell["final"], ""
        else:
            frames = cell["x_t" if which == "x_t" else "x0"]
            i = min(len(frames) - 1, max(0, int(fraction * (len(frames) - 1) + 0.5)))
            image, tag = frames[i], f" · step {i + 1}/{len(frames)}"
        items.append((upscale_nearest(image, PREVIEW_SIDE), cell_caption(cell) + tag))
    return items


def scrub_grid(result: CompareResult | None, percent, which: str):
    """The shared scrubber: every cell at the same fraction of its own schedule."""
    if not result or not result.cells:
        return None, []
    fraction = min(1.0, max(0.0, float(percent or 0) / 100.0))
    which = "x_t" if str(which).startswith("x_t") else "x0"
    return grid_image(result, fraction, which), grid_gallery(result, fraction, which)


def convergence_plot(result: CompareResult):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    by_sampler: dict = {}
    for cell in result.cells:
        by_sampler.setdefault(cell["sampler"], []).append(cell)
    for name, cells in by_sampler.items():
        cells = sorted(cells, key=lambda c: c["nfe"])
        ax.plot([c["nfe"] for c in cells], [c["rmse"] for c in cells], marker="o",
                linestyle="--" if cells[0]["stochastic"] else "-", label=name + (" (adds noise)" if cells[0]["stochastic"] else ""))
    ax.set_xscale("log")
    ax.set_xlabel("model evaluations (log scale)")
    ax.set_ylabel(f"distance to the {REFERENCE_STEPS}-step reference")
    ax.set_title("More steps help, up to a point")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def grid_columns(step_counts):
    """One grid column per step count, so rows line up with samplers."""
    try:
        return gr.update(columns=len(parse_step_counts(step_counts)))
    except gr.Error:
        return gr.skip()


# --------------------------------------------------------------------------- Model tab

_CARD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp"}


def inline_card_images(card: str, folder: Path, limit: int = 2_000_000) -> str:
    """The card's pictures that sit in the model's own folder (``![samples](samples.png)``), written into it as data
    URIs, so the Model tab shows them without serving the folder's files (weights included) over HTTP. Links that
    leave the folder, web addresses, other file types and files over ``limit`` bytes stay as they are."""
    root = folder.resolve()

    def inline(m: re.Match) -> str:
        target = m.group(2)
        if ":" in target or target.startswith(("/", "\\")):
            return m.group(0)
        path = (root / target).resolve()
        kind = _IMAGE_TYPES.get(path.suffix.lower())
        if kind is None or not path.is_relative_to(root) or not path.is_file() or path.stat().st_size > limit:
            return m.group(0)
        return f"![{m.group(1)}](data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    return _CARD_IMAGE.sub(inline, card)


def model_card(registry: ModelRegistry, model: str) -> str:
    """The loaded model's card (README.md in its folder) and a summary of its parts."""
    pipe = registry.get(model)
    parts = []
    for name in ("text_encoder", "unet", "vae"):
        module = getattr(pipe, name, None)
        if module is not None:
            parts.append(f"{name} {sum(p.numel() for p in module.parameters()) / 1e6:.2f} M parameters")
    h, w = pipe.default_size
    summary = (f"**{model or registry.default}** · {'latent' if pipe.is_latent else 'pixel'} diffusion · {w}×{h} px · "
               f"{', '.join(parts)} · prediction type `{pipe.scheduler.config.get('prediction_type', 'epsilon')}` · "
               f"default sampler {pipe.config.default_sampler}, guidance {pipe.config.default_guidance_scale:g} · "
               f"prompt window {pipe.max_prompt_tokens} tokens")
    folder = getattr(pipe, "name_or_path", None) or pipe.config.get("_name_or_path")
    card = ""
    if folder:
        readme = Path(str(folder)) / "README.md"
        if readme.is_file():
            card = inline_card_images(readme.read_text(encoding="utf-8", errors="replace")[:50_000], readme.parent)
    if not card:
        card = pipe.config.model_description or "This model has no model card (README.md) in its folder."
    return summary + "\n\n---\n\n" + card


def grid_image(result: CompareResult | None, fraction: float | None = None, which: str = "x0", cell_px: int = 128):
    """AUTOMATIC1111-style X/Y grid as one picture: a row per sampler, a column per step count, labelled."""
    if not result or not result.cells:
        return None
    from PIL import ImageDraw

    samplers = result.samplers or list(dict.fromkeys(c["sampler"] for c in result.cells))
    counts = result.counts or sorted(dict.fromkeys(c["steps"] for c in result.cells))
    cells = {(c["sampler"], c["steps"]): c for c in result.cells}
    left, top, below = 150, 28, 18
    W = left + len(counts) * (cell_px + 8)
    H = top + len(samplers) * (cell_px + below + 8)
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for j, n in enumerate(counts):
        draw.text((left + j * (cell_px + 8) + 4, 8), f"{n} steps", fill=(0, 0, 0))
    for i, name in enumerate(samplers):
        y = top + i * (cell_px + below + 8)
        draw.text((6, y + cell_px // 2 - 6), name + (" *" if SAMPLERS[name].stochastic else ""), fill=(0, 0, 0))
        for j, n in enumerate(counts):
            cell = cells.get((name, n))
            if cell is None:  # not run yet (the grid streams in)
                continue
            if fraction is None:
                image = cell["final"]
            else:
                frames = cell["x_t" if which == "x_t" else "x0"]
                image = frames[min(len(frames) - 1, max(0, int(fraction * (len(frames) - 1) + 0.5)))]
            x = left + j * (cell_px + 8)
            canvas.paste(image.convert("RGB").resize((cell_px, cell_px), Image.NEAREST), (x, y))
            draw.text((x + 2, y + cell_px + 3), f"{cell['nfe']} evals · ~{cell['ms']:.0f} ms", fill=(60, 60, 60))
    if any(SAMPLERS[s].stochastic for s in samplers):
        draw.text((6, H - 14), "* adds fresh noise every step", fill=(120, 120, 120))
    return canvas
