"""One run's steps as pictures, for the live view and the strip of every step. No gradio.

`step_views` turns the StepRecords the pipeline streams into StepViews, a batch at a time (one decode of x̂0 for
all the steps that came since the last update, made while the model runs on); `LiveRun` keeps a run's views for
the scrubber, the GIF and Stop; `Strip` draws every step of a run as one labelled picture (x_t over x̂0, a column a step), a step at a time, with
the scrubbed step framed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from PIL import Image, ImageDraw

from pipelines import StepRecord
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
    extras: bool = False
    views: list = field(default_factory=list)
    control: RunControl = field(default_factory=RunControl)
    stopped: bool = False
    strip: Strip | None = None
    words: Callable | None = None  # draws the run's word maps when called (the Generate tab's, after the run)

    def __post_init__(self):
        self.strip = Strip(self.steps, self.extras)

    def add(self, views: list) -> None:
        self.views += views
        self.strip.add(views)

    @property
    def x_t(self) -> list:
        return [v.x_t for v in self.views]

    @property
    def x0(self) -> list:
        return [v.x0 for v in self.views]


def step_views(pipe, records: list, steps: int, preview: str = "decoded") -> list[StepView]:
    """StepViews of StepRecords (the first image of each batch), their x̂0 decoded together in one call."""
    records = [r for r in records if isinstance(r, StepRecord)]
    if not records:
        return []
    x_t = to_pil(pipe, torch.cat([r.x_t[:1] for r in records]))
    x0 = to_pil(pipe, torch.cat([r.x0[:1] for r in records]), PREVIEWS.get(preview, "vae"))
    views = []
    for r, a, b in zip(records, x_t, x0):
        view = StepView(step=r.step, steps=steps, timestep=r.timestep, sigma=r.sigma, x_t=a, x0=b)
        if r.noise_pred is not None:
            view.noise = noise_picture(pipe, r.noise_pred)
            if r.guidance is not None:
                view.guidance = noise_picture(pipe, r.guidance)
        views.append(view)
    return views


ROW_NAMES = {"x_t": "x_t", "x0": "x̂0", "noise": "noise", "guidance": "cond−uncond"}


def short_number(x: float) -> str:
    """A number in at most about six characters: 4096, 22.6, 0.513."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.3g}"


class Strip:
    """Every step of a run as one picture: a column per step (x_t over x̂0, and the predicted noise and guidance
    direction when the run keeps them), labelled with its step, t and σ, wrapped after `per_row` steps.

    The canvas is laid out for the whole run at once and each step is drawn when it arrives, so an update while
    the run streams costs only its new columns; `picture(current)` frames one step on a copy, cropped to the
    steps drawn so far.
    """

    THUMB, GAP, LABEL_W, TEXT_H = 64, 4, 44, 40

    def __init__(self, steps: int, extras: bool = False, per_row: int = 20):
        self.rows = ["x_t", "x0"] + (["noise", "guidance"] if extras else [])
        self.per_row, self.drawn = per_row, 0
        self.col_w = self.THUMB + self.GAP
        self.block_h = len(self.rows) * (self.THUMB + self.GAP) + self.TEXT_H + 10
        cols, blocks = min(per_row, max(1, steps)), -(-max(1, steps) // per_row)
        self.canvas = Image.new("RGB", (self.LABEL_W + cols * self.col_w + self.GAP, blocks * self.block_h + self.GAP),
                                (255, 255, 255))
        self.draw = ImageDraw.Draw(self.canvas)
        self.font, self.small = label_font(13), label_font(11)
        for b in range(blocks):
            for r, name in enumerate(self.rows):
                y = self.GAP + b * self.block_h + r * (self.THUMB + self.GAP) + self.THUMB // 2 - 7
                self.draw.text((4, y), ROW_NAMES[name], fill=(40, 40, 40), font=self.font)

    def _where(self, i: int) -> tuple[int, int]:
        b, c = divmod(i, self.per_row)
        return self.LABEL_W + c * self.col_w, self.GAP + b * self.block_h

    def add(self, views: list) -> None:
        """Draw the columns of these steps (the next ones of the run)."""
        for v in views:
            x, y0 = self._where(self.drawn)
            for r, name in enumerate(self.rows):
                picture = getattr(v, name)
                if picture is not None:
                    self.canvas.paste(picture.convert("RGB").resize((self.THUMB, self.THUMB), Image.NEAREST),
                                      (x, y0 + r * (self.THUMB + self.GAP)))
            ty = y0 + len(self.rows) * (self.THUMB + self.GAP)
            self.draw.text((x, ty), f"{v.step + 1}", fill=(0, 0, 0), font=self.font)
            self.draw.text((x, ty + 14), f"t={v.timestep:.0f}", fill=(70, 70, 70), font=self.small)
            if v.sigma is not None:
                self.draw.text((x, ty + 26), f"σ={short_number(v.sigma)}", fill=(70, 70, 70), font=self.small)
            self.drawn += 1

    def picture(self, current: int | None = None) -> Image.Image | None:
        """The steps drawn so far, with step `current` (0-based) framed; None before the first step."""
        if not self.drawn:
            return None
        cols = min(self.per_row, self.drawn)
        blocks = -(-self.drawn // self.per_row)
        out = self.canvas.crop((0, 0, self.LABEL_W + cols * self.col_w + self.GAP, blocks * self.block_h + self.GAP))
        if current is not None and 0 <= current < self.drawn:
            x, y0 = self._where(current)
            bottom = y0 + len(self.rows) * (self.THUMB + self.GAP) + self.TEXT_H
            ImageDraw.Draw(out).rectangle((x - 2, y0 - 2, x + self.THUMB + 1, bottom), outline=(230, 90, 20), width=2)
        return out
