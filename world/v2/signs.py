"""Reading a sign: find its board (a blob of the asked board colour, holes filled), straighten it if it leans,
and match each 6 x 10 cell where a letter sits against the pixel font."""
from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage

from .scenes import Obj
from .vocabulary import FONT, GLYPH_GAP, GLYPH_H, GLYPH_SCALE, GLYPH_W

INK = 60.0  # colour step from the board that makes a pixel part of a letter
TILTS = (0, 8, -8, 10, -10)  # degrees a sign may lean (against a wall, against a thing)
MIN_SCORE = 13  # of a glyph's 15 pixels that must agree for a letter to be read


def _read_upright(board: np.ndarray, ink: np.ndarray, n_letters: int) -> tuple[str, int]:
    """(word, score) read off an upright board: glyph cells from its top-left corner, the best of a pixel either
    way; '?' for a cell no letter matches well enough."""
    ys, xs = np.nonzero(board)
    x0, y0 = int(xs.min()), int(ys.min())
    best = ("", -1)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            word, total = "", 0
            for i in range(n_letters):
                gx, gy = x0 + 3 + dx + i * (GLYPH_W + GLYPH_GAP), y0 + 3 + dy
                cell = np.zeros((GLYPH_H, GLYPH_W), np.float32)
                patch = ink[max(gy, 0):max(gy + GLYPH_H, 0), max(gx, 0):max(gx + GLYPH_W, 0)]
                cell[max(-gy, 0):max(-gy, 0) + patch.shape[0], max(-gx, 0):max(-gx, 0) + patch.shape[1]] = patch
                small = cell.reshape(5, GLYPH_SCALE, 3, GLYPH_SCALE).mean((1, 3)) > 0.5
                scores = {ch: int((g == small).sum()) for ch, g in FONT.items()}
                ch = max(scores, key=scores.get)
                word += ch if scores[ch] >= MIN_SCORE else "?"
                total += scores[ch]
            if total > best[1]:
                best = (word, total)
    return best


def read_sign(pic, sign: Obj) -> Optional[str]:
    """The word on the board of the asked sign's colour, as many letters as the asked word has; None without
    a board. ``pic`` is a ``judge.Picture``."""
    found = pic.blobs(sign.colour, min_area=40)
    if not found:
        return None
    board = ndimage.binary_fill_holes(ndimage.binary_closing(found[0], np.ones((3, 3)), border_value=1)) | found[0]
    img = pic.img.astype(np.float32)
    colour = np.median(img[found[0]], axis=0)
    ink = (np.sqrt(((img - colour) ** 2).sum(-1)) > INK) & ndimage.binary_erosion(board)
    best = ("", -1)
    cy, cx = ndimage.center_of_mass(board)
    for tilt in TILTS:
        if tilt:
            b = _rotate(board, -tilt, cx, cy) > 0.5
            k = _rotate(ink.astype(np.float32), -tilt, cx, cy)
        else:
            b, k = board, ink.astype(np.float32)
        if b.any():
            word, total = _read_upright(b, k, len(sign.word))
            if total > best[1]:
                best = (word, total)
    return best[0]


def _rotate(a: np.ndarray, degrees: float, cx: float, cy: float) -> np.ndarray:
    """``a`` turned ``degrees`` clockwise about (cx, cy), bilinear."""
    t = np.radians(degrees)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])  # output (y, x) -> input (y, x)
    centre = np.array([cy, cx])
    return ndimage.affine_transform(a.astype(np.float32), rot, offset=centre - rot @ centre, order=1)
