"""Counting a hand's fingers in a picture: take the palm away (what is left after an opening too wide for a
finger), and count the pieces that stick out of it."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

PALM_OPENING = 3  # radius of the opening: wider than a finger (2.4-3.5 pixels), narrower than the palm
FINGER_AREA = 6  # pixels a piece needs to count as a finger (a finger shows 15-30)


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return x * x + y * y <= radius * radius


def count_fingers(hand: np.ndarray) -> int:
    """The fingers of the hand whose pixels are ``hand``: pieces of it outside its palm (grown by 2 pixels, so
    that neighbouring fingers part where they leave it), each counted once (4-connected)."""
    palm = ndimage.binary_opening(hand, _disk(PALM_OPENING))
    fingers = hand & ~ndimage.binary_dilation(palm, _disk(2))
    labels, n = ndimage.label(fingers)
    sizes = ndimage.sum(fingers, labels, range(1, n + 1))
    return int((np.asarray(sizes) >= FINGER_AREA).sum())
