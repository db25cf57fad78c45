"""The Compare tab's grid, no gradio: each cell's steps as pictures, the cell at a point of its schedule, and the
labelled AUTOMATIC1111-style grid picture (a row per sampler, a column per step count, each cell captioned with
the step it shows and that step's noise level σ).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from playground.lab.live import step_views
from playground.pictures import label_font

CELL_PX = 112  # each cell's picture in the grid (the bundled model's 16 px pictures, 7 times)
GAP = 12
# Labels and captions in DejaVu Sans, legible when the page fits a 4 x 3 grid into 640 px. (Pillow's default font,
# at its default 10 px, draws a space 2 px wide: "Euler a" read "Eulera"; and it has no σ.)
FONT_PX, SMALL_PX = 17, 14


@dataclass(frozen=True)
class Frame:
    """One step of a cell: the noisy sample after it, the model's guess at it, and its number and σ."""

    x_t: Image.Image
    x0: Image.Image
    step: int  # 0-based
    sigma: float | None


@dataclass
class Cell:
    """One (sampler, steps) cell of a comparison, finished or not (a stopped run keeps the steps it made)."""

    sampler: str
    steps: int
    stochastic: bool
    frames: list[Frame] = field(default_factory=list)
    nfe: int = 0
    ms: float = 0.0  # its share of the grid's time
    final: Image.Image | None = None  # the decoded result, once the cell has finished
    rmse: float | None = None  # distance of the result to the reference

    @property
    def finished(self) -> bool:
        return self.final is not None


@dataclass
class CompareResult:
    """Per-user state of the last comparison: every cell's step pictures, for the shared scrubber."""

    samplers: list[str]
    counts: list[int]
    cells: list[Cell] = field(default_factory=list)
    batch_ms: float = 0.0  # wall time of the whole grid; each cell's "ms" is its share of it


def step_sigma(pipe, record) -> float | None:
    """The noise level of a step's model call as σ = √((1−ᾱ)/ᾱ): the record's own, or (samplers without sigmas:
    DDIM, DDPM, PNDM) from ᾱ at its timestep; infinite at pure noise."""
    if record.sigma is not None:
        return float(record.sigma)
    alphas = getattr(pipe.scheduler, "alphas_cumprod", None)
    if alphas is None:
        return None
    alpha_bar = float(alphas[min(max(int(round(record.timestep)), 0), len(alphas) - 1)])
    return math.inf if alpha_bar <= 0 else math.sqrt((1 - alpha_bar) / alpha_bar)


def frames_of(pipe, records) -> list[Frame]:
    """StepRecords as pictures, as Generate shows them (lab.live.step_views: x̂0 decoded by the autoencoder, x_t
    through the cheap preview, one decode for all), with each step's σ."""
    views = step_views(pipe, records, len(records), "decoded")
    return [Frame(v.x_t, v.x0, r.step, step_sigma(pipe, r)) for v, r in zip(views, records)]


def sigma_text(sigma: float | None) -> str:
    if sigma is None:
        return ""
    if math.isinf(sigma):
        return " · σ=∞"
    return f" · σ={sigma:.0f}" if sigma >= 100 else f" · σ={sigma:.2f}"


def step_caption(step: int, steps: int, sigma: float | None) -> str:
    """'step 7/20 · σ=1.23'."""
    return f"step {step + 1}/{steps}{sigma_text(sigma)}"


def cell_view(cell: Cell, fraction: float | None = None, which: str = "x0") -> tuple[Image.Image | None, str]:
    """(picture, caption) of the cell at a fraction of its own schedule (0: the first step, 1: the last), as
    far as it got; without a fraction, its result (or, unfinished, its newest guess)."""
    if fraction is None and cell.finished:
        return cell.final, f"{cell.steps}/{cell.steps} steps · result"
    if not cell.frames:
        return None, "waiting"
    index = len(cell.frames) - 1
    if fraction is not None:
        index = min(index, max(0, int(fraction * (cell.steps - 1) + 0.5)))
    frame = cell.frames[index]
    return (frame.x_t if which == "x_t" else frame.x0), step_caption(frame.step, cell.steps, frame.sigma)


def cost_caption(cell: Cell) -> str:
    """The cell's cost: its model evaluations and its share of the grid's batch time."""
    evals = f"{cell.nfe} eval{'s' if cell.nfe != 1 else ''}"
    if cell.finished:
        return f"{evals} · {cell.ms:.0f} ms"
    return evals if cell.frames and cell.frames[-1].step + 1 == cell.steps else f"{evals} so far"


def grid_image(samplers: list[str], counts: list[int], views: dict, stochastic: set[str] = frozenset()) -> Image.Image:
    """The grid as one picture. views: (sampler, steps) -> (picture or None, caption, second caption); a cell
    without a picture (not started yet) stays blank. Samplers in `stochastic` are starred."""
    font, small = label_font(FONT_PX), label_font(SMALL_PX)
    names = [name + (" *" if name in stochastic else "") for name in samplers]
    widest = [f"step {n}/{n} · σ=14.61" for n in counts] + [f"{2 * n} evals · 99999 ms" for n in counts]
    pitch = int(max([CELL_PX] + [small.getlength(text) for text in widest])) + GAP  # the same while a run streams
    left = int(max(font.getlength(n) for n in names)) + 2 * GAP
    top, below = FONT_PX + 2 * GAP, 2 * (SMALL_PX + 4) + 4
    footer = SMALL_PX + GAP if stochastic & set(samplers) else 0
    width = left + len(counts) * pitch
    height = top + len(samplers) * (CELL_PX + below + GAP) + footer
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for j, n in enumerate(counts):
        draw.text((left + j * pitch, GAP), f"{n} steps", fill=(0, 0, 0), font=font)
    for i, (name, label) in enumerate(zip(samplers, names)):
        y = top + i * (CELL_PX + below + GAP)
        draw.text((GAP, y + CELL_PX // 2), label, fill=(0, 0, 0), font=font, anchor="lm")
        for j, n in enumerate(counts):
            x = left + j * pitch
            picture, caption, cost = views.get((name, n), (None, "", ""))
            if picture is not None:
                canvas.paste(picture.convert("RGB").resize((CELL_PX, CELL_PX), Image.NEAREST), (x, y))
            draw.rectangle((x - 1, y - 1, x + CELL_PX, y + CELL_PX), outline=(200, 200, 200))  # white pictures too
            draw.text((x, y + CELL_PX + 3), caption, fill=(0, 0, 0), font=small)
            draw.text((x, y + CELL_PX + SMALL_PX + 7), cost, fill=(90, 90, 90), font=small)
    if footer:
        draw.text((GAP, height - footer), "* adds fresh noise every step", fill=(100, 100, 100), font=small)
    return canvas


def result_image(result: CompareResult | None, fraction: float | None = None, which: str = "x0"):
    """The comparison's grid picture with every cell at the same fraction of its own schedule (None: results)."""
    if not result or not result.cells:
        return None
    views = {}
    for cell in result.cells:
        picture, caption = cell_view(cell, fraction, which)
        views[(cell.sampler, cell.steps)] = (picture, caption, cost_caption(cell))
    return grid_image(result.samplers, result.counts, views, {c.sampler for c in result.cells if c.stochastic})
