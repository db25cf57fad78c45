"""Training data drawn from a seed: batches of 64 x 64 pictures with their captions and specs.

As in ``world.batches``, no caption here is empty: training blanks its own share of them (training.data's
CFG_DROPOUT) for classifier-free guidance.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .captions import caption
from .render import render
from .scenes import Scene, sample_scene


def sample_batch(seed: int, n: int, mix: Optional[dict[str, float]] = None
                 ) -> tuple[np.ndarray, list[str], list[Scene]]:
    """``n`` random scenes from ``seed``: images (n, 64, 64, 3) uint8, captions, specs (``mix``: see sample_scene)."""
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng, mix=mix) for _ in range(n)]
    images = np.stack([render(s) for s in scenes])
    captions = [caption(s, rng) for s in scenes]
    return images, captions, scenes
