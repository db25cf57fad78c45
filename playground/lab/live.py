"""One run's steps as pictures, for the live view and the strip of every step. No gradio.

`step_views` turns the pipeline's stream of StepRecords into StepViews (made where the model runs, so a decode
of x̂0 never waits for the browser); `LiveRun` keeps a run's views for the scrubber, the GIF and Stop;
`strip_picture` draws every step of a run as one labelled picture (x_t over x̂0, a column a step), with the
scrubbed step framed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from PIL import Image, ImageDraw

from pipelines import PlaygroundOutput, StepRecord
from pipelines.preview import to_pil
from playground.pictures import label_font, noise_picture
from playground.streaming import RunControl

# How x̂0 is drawn: the autoencoder's own decode (what the result will look like) or a cheap linear map of the
# latents (AUTOMATIC1111's "Approx cheap": for large models, where a decode per step would cost too much).
PREVIEWS = {"decoded": "vae", "approximate": "approx"}


@dataclass
class StepView:
    """One step's pictures at the model's size and its label."""

    step: int  # 0-based
    steps: int
    timestep: float
    sigma: float | None
    x_t: Image.Image
    x0: Image.Image
    noise: Image.Image | None = None
    guidance: Image.Image | None = None

    @property
    def caption(self) -> str:
        sigma = f" · σ={self.sigma:.2f}" if self.sigma is not None else ""
        return f"step {self.step + 1}/{self.steps} · t={self.timestep:.0f}{sigma}"


@dataclass
class LiveRun:
    """Per-user record of the last run (kept in gr.State): its steps, its stop flag, how it ended."""

    steps: int = 0
    views: list = field(default_factory=list)
    control: RunControl = field(default_factory=RunControl)
    stopped: bool = False

    @property
    def x_t(self) -> list:
        return [v.x_t for v in self.views]

    @property
    def x0(self) -> list:
        return [v.x0 for v in self.views]

    @property
    def captions(self) -> list:
        return [v.caption for v in self.views]


def step_views(pipe, stream, steps: int, preview: str = "decoded",
               extras: bool = False) -> Iterator[StepView | PlaygroundOutput]:
    """The stream of `pipe.generate_steps` with each StepRecord turned into a StepView (first image of the batch);
    the PlaygroundOutput passes through."""
    method = PREVIEWS.get(preview, "vae")
    for item in stream:
        if not isinstance(item, StepRecord):
            yield item
            continue
        view = StepView(step=item.step, steps=steps, timestep=item.timestep, sigma=item.sigma,
                        x_t=to_pil(pipe, item.x_t[:1])[0], x0=to_pil(pipe, item.x0[:1], method)[0])
        if extras and item.noise_pred is not None:
            view.noise = noise_picture(pipe, item.noise_pred)
            if item.guidance is not None:
                view.guidance = noise_picture(pipe, item.guidance)
        yield view


ROW_NAMES = {"x_t": "x_t", "x0": "x̂0", "noise": "noise", "guidance": "cond−uncond"}


def strip_picture(views: list, current: int | None = None, thumb: int = 64, per_row: int = 20) -> Image.Image | None:
    """Every step of a run as one picture: a column per step (x_t over x̂0, and the predicted noise and guidance
    direction when the run kept them), labelled with its step, t and σ; wrapped after `per_row` steps. The step
    `current` (0-based) is framed."""
    if not views:
        return None
    rows = ["x_t", "x0"] + [k for k in ("noise", "guidance") if any(getattr(v, k) is not None for v in views)]
    label_w, gap, text_h = 44, 4, 40
    col_w = thumb + gap
    block_h = len(rows) * (thumb + gap) + text_h + 10
    cols = min(per_row, len(views))
    n_blocks = -(-len(views) // per_row)
    canvas = Image.new("RGB", (label_w + cols * col_w + gap, n_blocks * block_h + gap), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font, small = label_font(13), label_font(11)
    for b in range(n_blocks):
        y0 = gap + b * block_h
        for r, name in enumerate(rows):
            draw.text((4, y0 + r * (thumb + gap) + thumb // 2 - 7), ROW_NAMES[name], fill=(40, 40, 40), font=font)
    for i, v in enumerate(views):
        b, c = divmod(i, per_row)
        x, y0 = label_w + c * col_w, gap + b * block_h
        for r, name in enumerate(rows):
            picture = getattr(v, name)
            if picture is not None:
                canvas.paste(picture.convert("RGB").resize((thumb, thumb), Image.NEAREST), (x, y0 + r * (thumb + gap)))
        ty = y0 + len(rows) * (thumb + gap)
        draw.text((x, ty), f"{v.step + 1}", fill=(0, 0, 0), font=font)
        draw.text((x, ty + 14), f"t={v.timestep:.0f}", fill=(70, 70, 70), font=small)
        if v.sigma is not None:
            draw.text((x, ty + 26), f"σ={v.sigma:.3g}", fill=(70, 70, 70), font=small)
        if i == current:
            draw.rectangle((x - 2, y0 - 2, x + thumb + 1, ty + text_h), outline=(230, 90, 20), width=2)
    return canvas
