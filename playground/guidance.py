"""Guidance and seeds: one prompt and seed over several guidance scales, and one prompt over many seeds.

Classifier-free guidance mixes two predictions of the same step: one that sees the prompt ("cond") and
one that sees the negative prompt or nothing ("uncond"): guided = uncond + g · (cond − uncond).
At g = 0 only the unconditional branch is used (the prompt is ignored); at g = 1 the plain conditional
model; above 1 the difference is exaggerated, which follows the prompt harder and, pushed far, saturates
colours and breaks pictures.

No gradio here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from PIL import Image

from pipelines import PlaygroundInputError
from pipelines.pipeline_playground import MAX_GUIDANCE
from playground.limits import identity_spread, iter_over_seeds

DEFAULT_SCALES = (0.0, 1.0, 2.0, 4.0, 7.0, 12.0)
MAX_SCALES = 8

EXPLAINER = """\
**How to read the strip.** Every picture has the same prompt, seed and starting noise; only the guidance scale
changes. At each step the model predicts twice, once with the prompt and once without, and the sampler follows
*without + scale × (with − without)*.
**0** ignores the prompt altogether: you see what the model draws when told nothing.
**1** is the plain conditional model, with no push.
**2 to 7** push toward what makes the prompt's picture differ from a picture of nothing: usually the prompt is
followed better.
**High values (10 and up)** exaggerate that difference: colours saturate, edges harden, and far enough the picture
breaks. *Saturation* under each picture is the mean colour saturation (0 = grey, 1 = pure colour).
"""


def scale_note(g: float) -> str:
    if g == 0:
        return "ignores the prompt"
    if g < 1:
        return "mostly ignores the prompt"
    if g == 1:
        return "plain conditional model"
    if g < 10:
        return "follows the prompt harder"
    return "exaggerated"


def parse_scales(text) -> list[float]:
    """'0, 1, 2, 4, 7, 12' -> [0.0, 1.0, ...]: numbers 0..30, at most 8 of them, in the given order."""
    parts = [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]
    scales: list[float] = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            v = float("nan")
        if not math.isfinite(v) or not 0 <= v <= MAX_GUIDANCE:
            raise PlaygroundInputError(f"Guidance scales must be numbers from 0 to {MAX_GUIDANCE:g}, separated by "
                                       f"commas (got {p[:20]!r}).")
        if v not in scales:
            scales.append(v)
    if not scales:
        raise PlaygroundInputError("Give at least one guidance scale, e.g. 0, 1, 4, 7.")
    if len(scales) > MAX_SCALES:
        raise PlaygroundInputError(f"At most {MAX_SCALES} guidance scales at once (got {len(scales)}).")
    return scales


def saturation(image: Image.Image) -> float:
    """Mean HSV saturation, 0 (grey) to 1 (pure colour)."""
    hsv = np.asarray(image.convert("RGB").convert("HSV"), np.float32)
    return float(hsv[..., 1].mean() / 255.0)


@dataclass
class GuidanceStrip:
    prompt: str
    seed: int
    scales: list[float] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def items(self) -> list[tuple[Image.Image, str]]:
        return [(im, f"guidance {g:g} · {scale_note(g)} · saturation {saturation(im):.2f}")
                for g, im in zip(self.scales, self.images)]


def iter_guidance_strip(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                        steps=20) -> Iterator[GuidanceStrip]:
    """The prompt at each guidance scale, same seed; yields the growing strip after each picture."""
    scales = parse_scales(scales if isinstance(scales, str) else ",".join(str(s) for s in scales))
    strip = GuidanceStrip(prompt, seed)
    for g in scales:
        out = pipe(prompt, negative_prompt, sampler, steps, g, seed, 1)
        strip.scales.append(g)
        strip.images.append(out.images[0])
        strip.warnings += [w for w in out.warnings if w not in strip.warnings]
        strip.seed = out.seeds[0]
        yield strip


def guidance_strip(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                   steps=20) -> GuidanceStrip:
    strip = None
    for strip in iter_guidance_strip(pipe, prompt, negative_prompt, seed, scales, sampler, steps):
        pass
    return strip


@dataclass
class SeedGrid:
    prompt: str
    seeds: list[int] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def items(self) -> list[tuple[Image.Image, str]]:
        return [(im, f"seed {s}") for s, im in zip(self.seeds, self.images)]

    def spread_markdown(self) -> str:
        return identity_spread(self.images).markdown()


def iter_seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
                   guidance=None) -> Iterator[SeedGrid]:
    """One prompt over consecutive seeds (at most 64); yields the growing grid after each batch."""
    grid = SeedGrid(prompt)
    for seeds, images, warnings in iter_over_seeds(pipe, prompt, n_seeds, first_seed, steps, sampler, guidance,
                                                   negative_prompt):
        grid.seeds += seeds
        grid.images += images
        grid.warnings += [w for w in warnings if w not in grid.warnings]
        yield grid


def seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
              guidance=None) -> SeedGrid:
    grid = None
    for grid in iter_seed_grid(pipe, prompt, negative_prompt, n_seeds, first_seed, sampler, steps, guidance):
        pass
    return grid
