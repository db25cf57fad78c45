"""Counting a hand's fingers in a picture: take the palm away (what is left after an opening too wide for a
finger), and count the pieces that stick out of it."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

PALM_OPENING = 3  # radius of the opening: wider than a finger (2.4-3.5 pixels), narrower than the palm
REACH = 4  # rows below the palm's middle a finger may reach (a seam of the backdrop beside the hand runs on)
FINGER_AREA = 11  # pixels a piece needs to count as a finger (a finger shows 15-30; a shaded finger split in two, less)


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return x * x + y * y <= radius * radius


def count_fingers(hand: np.ndarray) -> int:
    """The fingers of the hand whose pixels are ``hand``: pieces of it outside its palm (grown by 2 pixels, so
    that neighbouring fingers part where they leave it), each counted once (4-connected), and only those above
    the palm's middle (a hand rises from the bottom edge; what sticks out below is the palm's corners), not reaching
    far below it (a seam of the backdrop beside the hand does) and not
    reaching a side of the picture (a hand stands clear of them; a backdrop's line in a skin-like colour does not)."""
    palm = ndimage.binary_opening(hand, _disk(PALM_OPENING))
    if not palm.any():
        return 0
    fingers = hand & ~ndimage.binary_dilation(palm, _disk(2))
    labels, n = ndimage.label(fingers)
    for side in (labels[:, 0], labels[:, -1]):  # a line across the backdrop (a shore, a skirting board)
        fingers &= ~np.isin(labels, side[side > 0])
    labels, n = ndimage.label(fingers)
    index = range(1, n + 1)
    sizes = np.asarray(ndimage.sum(fingers, labels, index))
    middle = ndimage.center_of_mass(palm)[0]
    rows = np.array([c[0] for c in ndimage.center_of_mass(fingers, labels, index)]) if n else np.zeros(0)
    ys = np.broadcast_to(np.arange(hand.shape[0])[:, None], hand.shape)
    lowest = np.asarray(ndimage.maximum(ys, labels, index)) if n else np.zeros(0)
    return int(((sizes >= FINGER_AREA) & (rows < middle) & (lowest < middle + REACH)).sum())
