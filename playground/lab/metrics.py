"""What the lab measures in pictures: pixel distances, how much a prompt's pictures spread over seeds, colour
saturation. No gradio here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PIL import Image


def rmse(a: Image.Image, b: Image.Image) -> float:
    """Root-mean-square difference of the pixels of two equally sized pictures (0 = identical, 255 = opposite)."""
    x, y = np.asarray(a.convert("RGB"), np.float32), np.asarray(b.convert("RGB"), np.float32)
    return float(np.sqrt(((x - y) ** 2).mean()))


def pairwise_rmse(images) -> np.ndarray:
    """RMSE (0-255) of every pair of equally sized images, as a flat array."""
    x = np.stack([np.asarray(im.convert("RGB"), np.float32).ravel() for im in images])
    sq = (x * x).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2 * x @ x.T) / x.shape[1]
    iu = np.triu_indices(len(images), 1)
    return np.sqrt(np.clip(d2[iu], 0, None))


@dataclass
class Spread:
    n_images: int
    mean_rmse: float  # mean over all pairs of the pixel RMSE (0-255)
    min_rmse: float
    max_rmse: float
    agree: Optional[int] = None  # seeds whose judged outcome is the most common one
    all_right: Optional[int] = None  # seeds that got every scored attribute right
    common_outcome: str = ""

    def markdown(self) -> str:
        if self.n_images < 2:
            return "Run at least two seeds to measure how much the pictures differ."
        lines = [f"**Spread over {self.n_images} seeds:** mean pixel distance between two images "
                 f"**{self.mean_rmse:.1f}** (0 = identical, 255 = opposite; smallest pair {self.min_rmse:.1f}, "
                 f"largest {self.max_rmse:.1f})."]
        if self.agree is not None:
            lines.append(f"**Agreement:** {self.agree} of {self.n_images} seeds give the most common judged outcome "
                         f"({self.common_outcome}); {self.all_right} of {self.n_images} get every scored attribute "
                         f"right.")
        return "\n\n".join(lines)


def identity_spread(images, judged: Optional[list[dict[str, bool]]] = None,
                    attributes: Optional[tuple[str, ...]] = None) -> Spread:
    """How different the same prompt comes out over seeds, and how many seeds agree on what the judge sees."""
    n = len(images)
    if n < 2:
        return Spread(n, 0.0, 0.0, 0.0)
    d = pairwise_rmse(images)
    spread = Spread(n, float(d.mean()), float(d.min()), float(d.max()))
    if judged is not None:
        attrs = tuple(attributes or sorted({a for j in judged for a in j}))
        outcomes = [tuple(bool(j.get(a, False)) for a in attrs) for j in judged]
        common = max(set(outcomes), key=outcomes.count)
        spread.agree = outcomes.count(common)
        spread.all_right = sum(all(o) for o in outcomes)
        spread.common_outcome = ", ".join(f"{'✓' if ok else '✗'} {a}" for a, ok in zip(attrs, common))
    return spread


def saturation(image: Image.Image) -> float:
    """Mean HSV saturation, 0 (grey) to 1 (pure colour)."""
    hsv = np.asarray(image.convert("RGB").convert("HSV"), np.float32)
    return float(hsv[..., 1].mean() / 255.0)
