"""The count sweep of the Limits tab: the same counting prompt for every count from 1 to 9, over seeds, with the
share the judge counts exactly right. In either world: the shapes world's "five red circles on a blue background",
or the v2 world's "five yellow houses with red roofs on the beach" (where things touch, its judge lays one
thing's outline again and again over their colour). No gradio here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np
from PIL import Image

import world
from pipelines import PlaygroundInputError
from playground.lab.judging import SHAPES, V2, judge_images
from playground.lab.runs import check_first_seed, check_seed_count, iter_over_seeds, last
from playground.parsing import as_whole

COUNTS = tuple(range(1, 10))  # the world draws at most nine shapes


@dataclass(frozen=True)
class CountResult:
    """One count of the sweep: the first seed's picture and, judged, how many came out exactly right."""

    count: int
    example: Image.Image
    correct: Optional[int] = None  # None without a judge
    detected: Optional[tuple[int, ...]] = None  # blobs found per image


@dataclass
class CountSweep:
    shape: str  # the kind of thing counted (a shape, or in the v2 world any small thing: "house", "mug")
    colour: str
    background: str
    seeds: list[int]
    world_name: str = SHAPES
    correct: dict[int, int] = field(default_factory=dict)  # asked count -> images with exactly that many
    detected: dict[int, list[int]] = field(default_factory=dict)  # asked count -> blobs found per image
    examples: dict[int, Image.Image] = field(default_factory=dict)  # asked count -> the first seed's image

    @property
    def n_per_count(self) -> int:
        return len(self.seeds)

    def add(self, result: CountResult) -> "CountSweep":
        """Take in one count's result (the tab's loop adds them as they come); returns the sweep."""
        if result.correct is not None:
            self.correct[result.count] = result.correct
            self.detected[result.count] = list(result.detected)
        self.examples[result.count] = result.example
        return self

    def accuracy(self) -> dict[int, float]:
        return {c: k / max(1, self.n_per_count) for c, k in self.correct.items()}

    def markdown(self) -> str:
        rows = ["| asked | correct | counted (mean) |", "|---|---|---|"]
        for c in sorted(self.correct):
            found = self.detected[c]
            rows.append(f"| {c} | {self.correct[c]} of {self.n_per_count} | {np.mean(found):.1f} |")
        return "\n".join(rows)


def count_scene(n: int, shape: str, colour: str, background: str, world_name: str = SHAPES):
    """The counting scene of ``n`` things in the world's words (its caption is the prompt)."""
    if world_name == V2:
        from world.v2 import make_count  # the v2 world loads with its first sweep

        return make_count(None, n, shape, colour, background)
    return world.make_count(None, n, shape, colour, background)


def _v2_caption(scene) -> str:
    from world.v2 import caption

    return caption(scene)


def detected_count(image, colour: str, scene=None) -> int:
    """How many things the judge counts, as its verdict reads them: separate blobs of ``colour`` in the shapes world
    (as it does for the count attribute); for a v2 ``scene``, its judge's ``read_count`` (blobs for today's counts
    of shapes, things' areas for a group of any small thing)."""
    if scene is not None and not isinstance(scene, world.Scene):
        from world.v2.judge import read_count

        return read_count(np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image), scene)
    masks = world.analyse(image)["colour_masks"]
    return len(world.components(masks[colour], 4)) if colour in masks else 0


def check_counts(counts) -> tuple[int, ...]:
    counts = tuple(counts)
    if not counts or any(as_whole(c) is None or not 1 <= int(c) <= 9 for c in counts):
        raise PlaygroundInputError("Counts must be whole numbers from 1 to 9 (the world draws at most nine shapes).")
    return tuple(int(c) for c in counts)


def new_sweep(shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0,
              world_name: str = SHAPES) -> CountSweep:
    """An empty sweep to add CountResults to (the seed range checked)."""
    n = check_seed_count(n_seeds)
    first = check_first_seed(first_seed, n)
    return CountSweep(shape, colour, background, list(range(first, first + n)), world_name)


def iter_count_results(pipe, shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0, steps=20,
                       sampler=None, guidance=None, counts=COUNTS, judge: bool = True,
                       world_name: str = SHAPES) -> Iterator[CountResult]:
    """For each count, the count prompt (in ``world_name``'s words) over ``n_seeds`` seeds, judged by that world's
    judge: one CountResult per count.

    Without ``judge`` nothing can be counted, so only the first seed's picture is made for each count. A caller
    that stops iterating stops the sweep after the count in hand.
    """
    n = check_seed_count(n_seeds)
    first = check_first_seed(first_seed, n)
    for c in check_counts(counts):
        scene = count_scene(c, shape, colour, background, world_name)
        prompt = world.caption(scene) if isinstance(scene, world.Scene) else _v2_caption(scene)
        images = []
        for _seeds, batch, _warnings in iter_over_seeds(pipe, prompt, n if judge else 1, first, steps,
                                                        sampler, guidance):
            images += batch
        if judge:
            yield CountResult(c, images[0], sum(j["count"] for j in judge_images(images, scene)),
                              tuple(detected_count(im, colour, scene) for im in images))
        else:
            yield CountResult(c, images[0])


def iter_count_sweep(pipe, shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0, steps=20,
                     sampler=None, guidance=None, counts=COUNTS, judge: bool = True,
                     world_name: str = SHAPES) -> Iterator[tuple[int, CountSweep]]:
    """For each count 1..9, the count prompt over ``n_seeds`` seeds, judged. Yields (count just done, sweep)."""
    sweep = new_sweep(shape, colour, background, n_seeds, first_seed, world_name)
    check_counts(counts)
    for result in iter_count_results(pipe, shape, colour, background, n_seeds, first_seed, steps, sampler, guidance,
                                     counts, judge, world_name):
        yield result.count, sweep.add(result)


def count_sweep(pipe, shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0, steps=20,
                sampler=None, guidance=None, counts=COUNTS, judge: bool = True, world_name: str = SHAPES) -> CountSweep:
    """Count accuracy for each count (1..9 by default): how many of ``n_seeds`` images have exactly that many."""
    _count, sweep = last(iter_count_sweep(pipe, shape, colour, background, n_seeds, first_seed, steps, sampler,
                                          guidance, counts, judge, world_name))
    return sweep
