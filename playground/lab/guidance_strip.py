"""The guidance strip: one prompt and seed over several guidance scales, and the judge's score against guidance.
No gradio here.

Classifier-free guidance mixes two predictions of the same step: one that sees the prompt ("cond") and
one that sees the negative prompt or nothing ("uncond"): guided = uncond + g · (cond − uncond).
At g = 0 only the unconditional branch is used (the prompt is ignored); at g = 1 the plain conditional
model; above 1 the difference is exaggerated, which follows the prompt harder and, pushed far, saturates
colours and breaks pictures. (The seed grid, one prompt over many seeds, is ``playground.lab.runs``.)

When the prompt is in the words of the world the model draws (``judging.read_caption``: the shapes world's or
v2's), each scale is also run over a few more seeds and judged by that world's judge: the mean score (the share of
the prompt's stated attributes the judge sees right) against guidance shows how far more guidance helps. The
strip's picture at a scale is the first of those seeds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from PIL import Image

from pipelines import PlaygroundInputError
from playground.lab.judging import AnyScene, judge_images, score
from playground.lab.metrics import saturation
from pipelines.limits import MAX_SEED
from playground.lab.runs import add_new, iter_over_seeds, last
from playground.parsing import as_whole, parse_scales, whole_number

# 0 and 1 (no prompt, the plain prompt), 0.5 between them (a blend), and larger pushes up to far too large: on the
# bundled model the judge's score climbs from 0 to 1 by guidance 4 and falls again past about 16.
DEFAULT_SCALES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
DEFAULT_SCORE_SEEDS = 8  # seeds per scale behind the score: one pipeline call each
MAX_SCORE_SEEDS = 32


def scale_note(g: float) -> str:
    if g == 0:
        return "ignores the prompt"
    if g < 1:
        return "a blend"
    if g == 1:
        return "plain prompt"
    if g < 10:
        return "pushed to the prompt"
    return "exaggerated"


def check_score_seeds(n) -> int:
    value = as_whole(n)
    if value is None or not 1 <= value <= MAX_SCORE_SEEDS:
        raise PlaygroundInputError(f"Seeds for the score: 1 to {MAX_SCORE_SEEDS} (got {str(n)[:20]}); each seed is "
                                   f"one more picture at every scale. {DEFAULT_SCORE_SEEDS} is a good start.")
    return value


def check_strip(seed, scene: Optional[AnyScene], score_seeds=DEFAULT_SCORE_SEEDS) -> tuple[int, int]:
    """(first seed, seeds per scale) of a strip: one seed, or ``score_seeds`` of them when judged."""
    n = check_score_seeds(score_seeds) if scene is not None else 1
    return whole_number(seed, "Seed", 0, MAX_SEED - n + 1), n


@dataclass(frozen=True)
class GuidancePoint:
    """One scale: the strip's picture (the first seed) and, judged, what the judge saw in each seed's picture."""

    scale: float
    image: Image.Image
    seeds: tuple[int, ...]
    judged: Optional[tuple[dict[str, bool], ...]] = None  # None: not judged
    warnings: tuple[str, ...] = ()

    @property
    def score(self) -> Optional[float]:
        """Mean over the seeds of the share of stated attributes right (None when not judged)."""
        if not self.judged:
            return None
        return sum(score(j) for j in self.judged) / len(self.judged)

    @property
    def all_right(self) -> Optional[float]:
        """Share of the seeds whose picture has every stated attribute right (None when not judged)."""
        if not self.judged:
            return None
        return sum(all(j.values()) for j in self.judged) / len(self.judged)


@dataclass
class GuidanceStrip:
    prompt: str
    seed: int
    scene: Optional[AnyScene] = None  # what the judge reads the pictures against; None: not judged
    points: list[GuidancePoint] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def scales(self) -> list[float]:
        return [p.scale for p in self.points]

    @property
    def images(self) -> list[Image.Image]:
        return [p.image for p in self.points]

    @property
    def judged(self) -> bool:
        return self.scene is not None

    @property
    def score_seeds(self) -> int:
        return len(self.points[0].seeds) if self.points else 0

    def add(self, point: GuidancePoint) -> "GuidanceStrip":
        """Take in one scale (the tab's loop adds them as they come); returns the strip."""
        self.points.append(point)
        add_new(self.warnings, point.warnings)
        return self

    def items(self) -> list[tuple[Image.Image, str]]:
        """(picture, 'guidance 0 · ignores the prompt'): short enough to read whole under a picture."""
        return [(p.image, f"guidance {p.scale:g} · {scale_note(p.scale)}") for p in self.points]

    def table(self) -> str:
        """Markdown: per scale, what it does, the picture's saturation and (judged) the score over the seeds and how
        many of them got everything right."""
        judged = self.judged and self.points
        head = "| guidance | what it does | saturation |"
        rule = "|---|---|---|"
        if judged:
            head += " judge's score | all right |"
            rule += "---|---|"
        rows = [head, rule]
        for p in self.points:
            row = f"| {p.scale:g} | {scale_note(p.scale)} | {saturation(p.image):.2f} |"
            if judged:
                row += f" {p.score:.2f} | {round(p.all_right * len(p.seeds))} of {len(p.seeds)} |"
            rows.append(row)
        return "\n".join(rows)

    def best(self) -> Optional[GuidancePoint]:
        """The scale with the highest score (the lowest such scale on a tie); None when not judged."""
        if not self.judged or not self.points:
            return None
        return max(self.points, key=lambda p: (p.score, -p.scale))


def iter_guidance_points(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                         steps=20, scene: Optional[AnyScene] = None,
                         score_seeds=DEFAULT_SCORE_SEEDS) -> Iterator[GuidancePoint]:
    """The prompt at each guidance scale from ``seed``; with a ``scene``, over ``score_seeds`` seeds from ``seed``,
    judged. One GuidancePoint per scale; a caller that stops iterating stops after the scale in hand."""
    scales = parse_scales(scales if isinstance(scales, str) else ",".join(str(s) for s in scales))
    first, n = check_strip(seed, scene, score_seeds)
    for g in scales:
        seeds, images, warnings = [], [], []
        for batch_seeds, batch, notes in iter_over_seeds(pipe, prompt, n, first, steps, sampler, g, negative_prompt):
            seeds += batch_seeds
            images += batch
            add_new(warnings, notes)
        judged = tuple(judge_images(images, scene)) if scene is not None else None
        yield GuidancePoint(g, images[0], tuple(seeds), judged, tuple(warnings))


def iter_guidance_strip(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                        steps=20, scene: Optional[AnyScene] = None,
                        score_seeds=DEFAULT_SCORE_SEEDS) -> Iterator[GuidanceStrip]:
    """The prompt at each guidance scale, same seed; yields the growing strip after each scale."""
    strip = GuidanceStrip(prompt, seed, scene)
    for point in iter_guidance_points(pipe, prompt, negative_prompt, seed, scales, sampler, steps, scene,
                                      score_seeds):
        strip.seed = point.seeds[0]
        yield strip.add(point)


def guidance_strip(pipe, prompt: str, negative_prompt: str = "", seed=0, scales=DEFAULT_SCALES, sampler=None,
                   steps=20, scene: Optional[AnyScene] = None,
                   score_seeds=DEFAULT_SCORE_SEEDS) -> GuidanceStrip:
    return last(iter_guidance_strip(pipe, prompt, negative_prompt, seed, scales, sampler, steps, scene,
                                    score_seeds))
