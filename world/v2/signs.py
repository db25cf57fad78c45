"""Reading a sign: find its board (a blob of the asked board colour, holes filled), straighten it if it leans,
and match each 6 x 10 cell where a letter sits against the pixel font, drawn sharp and blurred."""
from __future__ import annotations

import itertools
from typing import Optional

import numpy as np
from scipy import ndimage

from .scenes import SIGN_BOARD, Obj, paint, sign_width
from .seeing import BACKDROP, box, components
from .vocabulary import FONT, GLYPH_GAP, GLYPH_H, GLYPH_SCALE, GLYPH_W, PAINTS, SHADE, SIZE, TINT

TILTS = (0, 8, -8, 10, -10)  # degrees a sign may lean (against a wall, against a thing)
MAX_MISMATCH = 0.15  # mean squared difference of a cell's ink from a letter's beyond which it is no letter


def _glyphs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each letter's cell as drawn: (sharp, 3 x 3 box-blurred, a decoder's look), 0 to 1, GLYPH_H x GLYPH_W."""
    out = {}
    for ch, g in FONT.items():
        sharp = np.kron(g.astype(np.float32), np.ones((GLYPH_SCALE, GLYPH_SCALE), np.float32))
        out[ch] = (sharp, ndimage.uniform_filter(np.pad(sharp, 1), 3)[1:-1, 1:-1])
    return out


GLYPHS = _glyphs()
_LETTERS = tuple(GLYPHS)
_LOOKS = np.stack([np.stack(GLYPHS[ch]) for ch in _LETTERS])  # (letter, look, GLYPH_H, GLYPH_W): matched at once


def _read_upright(board: np.ndarray, ink: np.ndarray, word: str) -> tuple[str, float]:
    """(word, score) read off an upright board, as many letters as ``word`` (the asked one) has: glyph cells from its
    top-left corner, or from its top-right one (a board the picture's edge cuts), the best of a pixel either way.
    Each cell's ink (0 to 1) is matched to every letter drawn sharp and blurred, the least mean squared difference
    winning; '?' for a cell no letter comes within MAX_MISMATCH of. The score is minus the letters' mismatch."""
    ys, xs = np.nonzero(board)
    y0 = int(ys.min())
    lefts = sorted({int(xs.min()), int(xs.max()) + 1 - sign_width(word)})
    best = ("", -np.inf)
    for x0, dy, dx in itertools.product(lefts, (-1, 0, 1), (-1, 0, 1)):
        read, total = "", 0.0
        for i in range(len(word)):
            gx, gy = x0 + 3 + dx + i * (GLYPH_W + GLYPH_GAP), y0 + 3 + dy
            cell = np.zeros((GLYPH_H, GLYPH_W), np.float32)
            patch = ink[max(gy, 0):max(gy + GLYPH_H, 0), max(gx, 0):max(gx + GLYPH_W, 0)]
            cell[max(-gy, 0):max(-gy, 0) + patch.shape[0], max(-gx, 0):max(-gx, 0) + patch.shape[1]] = patch
            mismatch = ((cell - _LOOKS) ** 2).mean((2, 3)).min(1)
            k = int(mismatch.argmin())
            read += _LETTERS[k] if mismatch[k] <= MAX_MISMATCH else "?"
            total -= float(mismatch[k])
        if total > best[1]:
            best = (read, total)
    return best


def _ink(img: np.ndarray, board: np.ndarray, sign: Obj) -> np.ndarray:
    """How much of a letter's paint each pixel of an upright board shows, 0 to 1: how far it is from the board's
    own margin in its column (its two outer rows, the one farthest from the letters' paint) towards the letters'
    paint as that column's light shows it. Comparing within a column keeps it right when the light shades the board
    from one side to the other; a soft picture's letters show as strokes of part ink, matched to blurred glyphs."""
    lum = img.mean(-1)
    ys, xs = np.nonzero(board)
    rows = lum[[int(ys.min()), min(int(ys.min()) + 1, SIZE - 1), max(int(ys.max()) - 1, 0), int(ys.max())]]
    ratio = np.mean(PAINTS[paint(sign, "letters")]) / np.mean(PAINTS[sign.colour])
    margin = np.maximum(rows.max(0) if ratio < 1 else rows.min(0), 1.0)[None, :]
    ink = (lum / margin - 1) / (ratio - 1)
    return np.clip(ink, 0, 1) * board


def lit_as(img: np.ndarray, rgb: np.ndarray, darkest: float) -> np.ndarray:
    """Where the picture shows ``rgb`` at a brightness from ``darkest`` to full: a board is one paint shaded
    across, which a nearest-paint label may split (a white board's far side looks like steel)."""
    s = (img * rgb).sum(-1) / float((rgb * rgb).sum())
    off = np.sqrt(((img - s[..., None] * rgb) ** 2).sum(-1))
    return (s > darkest) & (s < 1.1) & (off < 24)


def boards(pic, sign: Obj) -> list[np.ndarray]:
    """Patches that may be the asked sign's board: of its paint in some light, its letters' holes filled (a
    soft picture blurs them into the board), at least 3 pixels across (a brick wall's mortar lines are
    thinner), no taller than a board leaning 10 degrees; first among all such pixels, then among those not named
    after the backdrop (a sunset sky's band may touch a white board), then among those 3 pixels thick (a brick
    wall's mortar looks like a white board's paint at sunset and at night: its lines, closed, enclosed the wall)."""
    rgb = np.array(PAINTS[sign.colour], np.float32) * TINT[pic.scene.time]
    paint_like = lit_as(pic.img.astype(np.float32), rgb, 0.9 if pic.scene.light == "flat" else SHADE - 0.1)
    tall = SIGN_BOARD + 0.18 * sign_width(sign.word) + 3
    out = []
    thick = ndimage.binary_opening(paint_like, np.ones((3, 3)))  # a board's 3-pixel margins, no mortar lines
    for mask in (paint_like, paint_like & (pic.labels != BACKDROP), thick):
        solid = ndimage.binary_fill_holes(ndimage.binary_closing(mask, np.ones((3, 3))))
        found = components(ndimage.binary_opening(solid, np.ones((3, 3))), 40)
        out += [b for b in found if np.ptp(np.nonzero(b)[0]) < tall]
    return out


def read_sign(pic, sign: Obj) -> Optional[str]:
    """The word on the asked sign's board, as many letters as the asked word has; None without a board. Each
    board that may be it is read upright and turned back by each tilt a sign may lean at; the read whose letters
    match the font best counts. ``pic`` is a ``judge.Picture``."""
    img = pic.img.astype(np.float32)
    best = (None, -np.inf)
    for board in boards(pic, sign):
        cy, cx = ndimage.center_of_mass(board)
        for tilt in TILTS:
            b = ndimage.binary_erosion(_rotate(board, -tilt, cx, cy) > 0.5) if tilt else board
            if not b.any():
                continue
            upright = np.stack([_rotate(img[..., c], -tilt, cx, cy) for c in range(3)], -1) if tilt else img
            word, total = _read_upright(b, _ink(upright, b, sign).astype(np.float32), sign.word)
            if total > best[1]:
                best = (word, total)
    return best[0]


def _rotate(a: np.ndarray, degrees: float, cx: float, cy: float) -> np.ndarray:
    """``a`` turned ``degrees`` clockwise about (cx, cy), bilinear."""
    t = np.radians(degrees)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])  # output (y, x) -> input (y, x)
    centre = np.array([cy, cx])
    return ndimage.affine_transform(a.astype(np.float32), rot, offset=centre - rot @ centre, order=1)
