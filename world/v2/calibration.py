"""How well the judge reads pictures, per category: ``python -m world.v2.calibration [n]`` prints the table in
docs/world-v2.md.

Columns: true pictures judged right; the same softened as a decoder's output is (a 3 x 3 box blur and gaussian
noise of 4/255: the stand-in for the v2 autoencoder's reconstructions until there is one); and how often the
category is wrongly accepted on pure noise and on the picture of a hard negative (``negatives``; for "object",
every thing of the first thing's kind turned into a kind the scene does not hold; for a trio's binding, its colours
moved between things of other kinds). A trio's binding has a row of its own, "binding (trio)"."""
from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from scipy import ndimage

from .judge import judge
from .negatives import hard_negative
from .render import render
from .scenes import SCENE_MIX, sample_scene

COLUMNS = ("true", "soft", "noise", "negative")
ROWS = {("trio", "binding"): "binding (trio)"}  # (scene kind, category) counted apart from the category's row


def soften(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 3 x 3 box blur and gaussian noise of sigma 4/255, as uint8."""
    soft = ndimage.uniform_filter(img.astype(np.float32), size=(3, 3, 1)) + rng.normal(0, 4, img.shape)
    return np.clip(soft + 0.5, 0, 255).astype(np.uint8)


def calibrate(n: int, seed: int = 0) -> dict[str, dict[str, tuple[int, int]]]:
    """Per category, per column, (judged right or accepted, judged): over ``n`` scenes of each kind."""
    rng = np.random.default_rng(seed)
    kinds_rng = np.random.default_rng([seed, 1])  # kind-swapping negatives draw apart, so the scenes stay the same
    negatives_rng = np.random.default_rng([seed, 2])  # and so do the others: which categories a scene is judged on
    # (a change to the judge) moves no later scene
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {c: [0, 0] for c in COLUMNS})
    for kind in SCENE_MIX:
        for _ in range(n):
            scene = sample_scene(rng, kind)
            img = render(scene)
            pictures = {"true": img, "soft": soften(img, rng),
                        "noise": rng.integers(0, 256, img.shape, dtype=np.uint8)}
            for column, picture in pictures.items():
                for category, ok in judge(picture, scene).items():
                    counts[ROWS.get((kind, category), category)][column][0] += ok
                    counts[ROWS.get((kind, category), category)][column][1] += 1
            for category in judge(img, scene):
                negative = hard_negative(scene, category, kinds_rng if category == "object" else negatives_rng)
                ok = judge(render(negative), scene)[category]
                counts[ROWS.get((kind, category), category)]["negative"][0] += ok
                counts[ROWS.get((kind, category), category)]["negative"][1] += 1
    return {k: {c: tuple(v) for c, v in cols.items()} for k, cols in counts.items()}


def table(results: dict[str, dict[str, tuple[int, int]]]) -> str:
    """The results as a markdown table of rates."""
    lines = ["| category | true pictures | blurred + noised | pure noise accepted | hard negatives accepted |",
             "|---|---|---|---|---|"]
    for category, cols in sorted(results.items()):
        cells = [f"{k / m:.2f} ({m})" if m else "-" for k, m in (cols[c] for c in COLUMNS)]
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(calibrate(int(sys.argv[1]) if len(sys.argv) > 1 else 100)))
