"""Training data drawn from a seed: batches of pictures with their captions, and count twins (minimal pairs)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .captions import caption
from .render import render
from .scenes import Scene, count_object, pick, sample_scene
from .vocabulary import BACKGROUND_COLOURS, OBJECT_COLOURS, SHAPES


def sample_batch(seed: int, n: int, mix: Optional[dict[str, float]] = None
                 ) -> tuple[np.ndarray, list[str], list[Scene]]:
    """``n`` random scenes from ``seed``: images (n, 32, 32, 3) uint8, captions, specs (``mix``: see sample_scene)."""
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng, mix=mix) for _ in range(n)]
    images = np.stack([render(s) for s in scenes])
    captions = [caption(s, rng) for s in scenes]
    return images, captions, scenes


def count_twins(rng: np.random.Generator) -> tuple[tuple[Scene, str], tuple[Scene, str]]:
    """Two count scenes that differ by one object only, with their captions: N things (N from 1 to 8) and the
    same N things plus one more in a free cell, captioned alike but for the number ("two red circles on blue",
    "three red circles on blue"). Trained with the same noise, a pair shows the model the one difference the
    number makes: where it draws the extra object from the same noisy picture (a minimal pair)."""
    bg = pick(rng, BACKGROUND_COLOURS)
    shape, colour = pick(rng, SHAPES), pick(rng, OBJECT_COLOURS, exclude=(bg,))
    n = int(rng.integers(1, 9))
    mention_bg = bool(rng.random() < 0.85)
    cells = [int(c) for c in rng.permutation(9)[:n + 1]]
    objs = {c: count_object(rng, c, shape, colour) for c in cells}
    phrasing = int(rng.integers(2**31))
    out = []
    for chosen in (cells[:n], cells):
        scene = Scene("count", bg, tuple(objs[c] for c in sorted(chosen)), mention_background=mention_bg)
        out.append((scene, caption(scene, np.random.default_rng(phrasing))))
    return out[0], out[1]
