"""The guidance strip: one prompt and seed over several guidance scales. No gradio here.

Classifier-free guidance mixes two predictions of the same step: one that sees the prompt ("cond") and
one that sees the negative prompt or nothing ("uncond"): guided = uncond + g · (cond − uncond).
At g = 0 only the unconditional branch is used (the prompt is ignored); at g = 1 the plain conditional
model; above 1 the difference is exaggerated, which follows the prompt harder and, pushed far, saturates
colours and breaks pictures. (The seed grid, one prompt over many seeds, is ``playground.lab.runs``.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from PIL import Image

from playground.lab.metrics import saturation
from playground.lab.runs import add_new, last
from playground.parsing import parse_scales

DEFAULT_SCALES = (0.0, 0.5, 1.0, 2.0, 4.0, 7.0, 12.0)  # 0.5: between 0 and 1 the two predictions blend


def scale_note(g: float) -> str:
    if g == 0:
        return "ignores the prompt"
    if g < 1:
        return "a blend, between no prompt and the plain prompt"
    if g == 1:
        return "plain conditional model"
    if g < 10:
        return "follows the prompt harder"
    return "exaggerated"


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
        add_new(strip.warnings, out.warnings)
        strip.seed = out.seeds[0]
        yield strip


def guidance_strip(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                   steps=20) -> GuidanceStrip:
    return last(iter_guidance_strip(pipe, prompt, negative_prompt, seed, scales, sampler, steps))
