"""Each kind of object drawn from its parts: polygons in pixels around the object's anchor, filled four times
larger than shown and averaged 4 x 4 (anti-aliasing by area), and kept, since the same shape at the same size
comes back often. A sprite holds each part's coverage where it shows (later parts hide earlier ones), so the
renderer paints the parts in any colours and the judge gets each part's ground truth.

Coordinates: x to the right, y down, the anchor (middle of the footprint, bottom edge) at (0, 0), so an object of
height h spans y from -h to 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .scenes import SIGN_BOARD, sign_width
from .vocabulary import FONT, GLYPH_GAP, GLYPH_SCALE, GLYPH_W, KINDS

SS = 4  # supersampling: polygons are filled on a grid this many times finer, then averaged
ERASE = ""  # the part name of a hole: cuts through what the object drew before it


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: sprites are kept and reused
class Sprite:
    """An object's parts as coverage maps: rows ``top``.. and columns ``left``.. relative to the anchor."""

    top: int
    left: int
    parts: tuple[tuple[str, np.ndarray], ...]  # (part, float32 (h, w) coverage in 0..1), in KINDS order
    alpha: np.ndarray  # all parts together


def _ellipse(cx, cy, rx, ry, n=40):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _rect(x0, y0, x1, y1):
    """A rectangle; its far edges come in by a sub-pixel, as PIL fills both edges' rows and columns."""
    x1, y1 = x1 - 1 / SS, y1 - 1 / SS
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def _bar(p, q, width):
    """A straight stroke from p to q, ``width`` thick, with round ends."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    d = q - p
    angle = np.arctan2(d[1], d[0])
    t = np.linspace(-np.pi / 2, np.pi / 2, 7)
    r = width / 2
    cap_q = q + r * np.stack([np.cos(angle + t), np.sin(angle + t)], 1)
    cap_p = p + r * np.stack([np.cos(angle + np.pi + t), np.sin(angle + np.pi + t)], 1)
    return np.concatenate([cap_q, cap_p])


def _shape(kind, h):
    if kind == "circle":
        return [("body", _ellipse(0, -h / 2, h / 2, h / 2))]
    if kind == "square":
        s = 0.88 * h
        return [("body", _rect(-s / 2, -s, s / 2, 0))]
    return [("body", np.array([[0, -h], [0.55 * h, 0], [-0.55 * h, 0]]))]  # triangle


def _house(h):
    w, eave = 1.0 * h, 0.6 * h
    win = 0.17 * h
    return [("walls", _rect(-w / 2, -eave, w / 2, 0)),
            ("roof", np.array([[-w / 2 - 0.08 * h, -eave + 0.02 * h], [0, -h], [w / 2 + 0.08 * h, -eave + 0.02 * h]])),
            ("door", _rect(-0.1 * h, -0.34 * h, 0.1 * h, 0)),
            ("windows", _rect(-0.38 * h, -0.48 * h, -0.38 * h + win, -0.48 * h + win)),
            ("windows", _rect(0.38 * h - win, -0.48 * h, 0.38 * h, -0.48 * h + win))]


def _tree(h):
    return [("trunk", _rect(-0.07 * h, -0.5 * h, 0.07 * h, 0)),
            ("leaves", _ellipse(-0.17 * h, -0.5 * h, 0.15 * h, 0.15 * h)),
            ("leaves", _ellipse(0.17 * h, -0.5 * h, 0.15 * h, 0.15 * h)),
            ("leaves", _ellipse(0, -0.7 * h, 0.3 * h, 0.3 * h))]


def _sun(h):
    c, out = -h / 2, []
    for i in range(8):
        a = i * np.pi / 4
        out.append(("rays", _bar((0.36 * h * np.cos(a), c + 0.36 * h * np.sin(a)),
                                 (0.46 * h * np.cos(a), c + 0.46 * h * np.sin(a)), max(0.08 * h, 1.2))))
    return out + [("disc", _ellipse(0, c, 0.3 * h, 0.3 * h))]


def _car(h):
    half, r = 0.95 * h, 0.22 * h
    body = np.array([[-half, -0.25 * h], [-half, -0.55 * h], [-0.62 * half, -0.6 * h], [-0.4 * half, -h],
                     [0.2 * half, -h], [0.5 * half, -0.6 * h], [half, -0.55 * h], [half, -0.25 * h],
                     [half - 0.05 * h, -0.2 * h], [-half + 0.05 * h, -0.2 * h]])
    out = [("body", body),
           ("windows", np.array([[-0.52 * half, -0.62 * h], [-0.36 * half, -0.9 * h], [-0.12 * half, -0.9 * h],
                                 [-0.12 * half, -0.62 * h]])),
           ("windows", np.array([[-0.04 * half, -0.62 * h], [-0.04 * half, -0.9 * h], [0.17 * half, -0.9 * h],
                                 [0.38 * half, -0.62 * h]]))]
    for x in (-0.58 * half, 0.58 * half):
        out += [("wheels", _ellipse(x, -r, r, r)), ("hubs", _ellipse(x, -r, 0.45 * r, 0.45 * r))]
    return out


def _bicycle(h):
    r, wheelbase = 0.3 * h, 0.84 * h
    rear, front = np.array([-wheelbase / 2, -r]), np.array([wheelbase / 2, -r])
    crank = np.array([-0.02 * h, -r])
    seat, head = np.array([-0.17 * h, -0.8 * h]), np.array([0.27 * h, -0.78 * h])
    tyre, tube = max(0.06 * h, 1.3), max(0.06 * h, 1.4)
    out = []
    for c in (rear, front):
        out += [("wheels", _ellipse(c[0], c[1], r, r)), (ERASE, _ellipse(c[0], c[1], r - tyre, r - tyre))]
        for i in range(6):
            a = i * np.pi / 6 + 0.2
            d = (r - tyre) * np.array([np.cos(a), np.sin(a)])
            out.append(("spokes", _bar(c - d, c + d, 0.45)))
    seat_low = crank + 0.82 * (seat - crank)
    for p, q in ((rear, crank), (rear, seat_low), (crank, seat), (seat_low, head + (0, 0.1 * h)),
                 (crank, head + (0, 0.1 * h)), (head, front)):
        out.append(("frame", _bar(p, q, tube)))
    bar_top = head + (-0.02 * h, -0.14 * h)
    out += [("handlebar", _bar(head, bar_top, tube * 0.8)),
            ("handlebar", _bar(bar_top, bar_top + (0.1 * h, 0.02 * h), tube)),
            ("saddle", _bar(seat + (-0.08 * h, -0.03 * h), seat + (0.06 * h, -0.03 * h), 0.07 * h))]
    return out


def _mug(h):
    w = 0.75 * h
    return [("handle", _ellipse(w / 2, -0.52 * h, 0.26 * h, 0.27 * h)),
            (ERASE, _ellipse(w / 2, -0.52 * h, 0.13 * h, 0.14 * h)),
            ("body", np.concatenate([_rect(-w / 2, -h, w / 2, -0.1 * h)[:2],
                                     _ellipse(0, -0.1 * h, w / 2, 0.1 * h)[:21]]))]


def _hand(h, fingers):
    """A palm with ``fingers`` fingers fanned out 24 degrees apart, the palm hiding their bases so that each shows
    apart from the next: countable at 64 pixels."""
    pivot = np.array([0.0, -0.42 * h])
    span = np.radians(min(24 * (fingers - 1), 120))
    out = [("palm", _rect(-0.14 * h, -0.3 * h, 0.14 * h, 0.05 * h))]
    for i in range(fingers):
        a = 0.0 if fingers == 1 else -span / 2 + i * span / (fingers - 1)
        length = 0.56 * h * (1 - 0.2 * abs(a) / np.radians(55))
        d = np.array([np.sin(a), -np.cos(a)])
        out.append(("fingers", _bar(pivot + 0.15 * h * d, pivot + length * d, max(0.07 * h, 2.4))))
    return out + [("palm", _ellipse(pivot[0], pivot[1] + 0.03 * h, 0.26 * h, 0.27 * h))]


def _person(h, hat):
    head_y, head_r = -0.83 * h, 0.1 * h
    out = [("legs", _bar((-0.06 * h, -0.38 * h), (-0.07 * h, -0.02 * h), 0.09 * h)),
           ("legs", _bar((0.06 * h, -0.38 * h), (0.07 * h, -0.02 * h), 0.09 * h)),
           ("body", np.array([[-0.14 * h, -0.7 * h], [0.14 * h, -0.7 * h], [0.16 * h, -0.36 * h],
                              [-0.16 * h, -0.36 * h]])),
           ("body", _bar((-0.15 * h, -0.66 * h), (-0.22 * h, -0.42 * h), 0.07 * h)),
           ("body", _bar((0.15 * h, -0.66 * h), (0.22 * h, -0.42 * h), 0.07 * h)),
           ("hair", _ellipse(0, head_y - 0.025 * h, head_r * 1.2, head_r * 1.15)),
           ("head", _ellipse(0, head_y + 0.02 * h, head_r, head_r))]
    if hat:
        out += [("hat", _rect(-0.17 * h, head_y - 0.09 * h, 0.17 * h, head_y - 0.05 * h)),
                ("hat", _rect(-0.1 * h, -h, 0.1 * h, head_y - 0.07 * h))]
    return out


def _sign(h, word):
    """A board with the word in the pixel font on a post; letters sit on whole pixels so they stay sharp."""
    w = sign_width(word)
    left, top = -(w // 2), -h
    out = [("post", _rect(-1, top + SIGN_BOARD - 1, 1, 0))] if h > SIGN_BOARD else []
    out.append(("board", _rect(left, top, left + w, top + SIGN_BOARD)))
    for i, ch in enumerate(word):
        gx = left + 3 + i * (GLYPH_W + GLYPH_GAP)
        for row, col in zip(*np.nonzero(FONT[ch])):
            x, y = gx + col * GLYPH_SCALE, top + 3 + row * GLYPH_SCALE
            out.append(("letters", _rect(x, y, x + GLYPH_SCALE, y + GLYPH_SCALE)))
    return out


def polygons(kind: str, size: int, fingers: int = 0, word: str = "", hat: bool = False):
    """(part, polygon) in drawing order for an object of ``kind`` and height ``size``, anchored at (0, 0)."""
    if kind in ("circle", "square", "triangle"):
        return _shape(kind, size)
    if kind == "hand":
        return _hand(size, fingers)
    if kind == "person":
        return _person(size, hat)
    if kind == "sign":
        return _sign(size, word)
    return {"house": _house, "tree": _tree, "sun": _sun, "car": _car, "bicycle": _bicycle, "mug": _mug}[kind](size)


@lru_cache(maxsize=4096)
def sprite(kind: str, size: int, flip: bool = False, tilt: int = 0, fingers: int = 0, word: str = "",
           hat: bool = False) -> Sprite:
    """The object's parts filled at 4x, facing left when ``flip``, its top leaning ``tilt`` degrees to the right."""
    shapes = polygons(kind, size, fingers, word, hat)
    a = np.radians(tilt)
    turn = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])  # turns (x, y) about the anchor
    shapes = [(part, (poly * (-1 if flip else 1, 1)) @ turn) for part, poly in shapes]
    every = np.concatenate([p for _, p in shapes])
    left, top = int(np.floor(every[:, 0].min())) - 1, int(np.floor(every[:, 1].min())) - 1
    w, h = int(np.ceil(every[:, 0].max())) + 1 - left, int(np.ceil(every[:, 1].max())) + 1 - top
    names = KINDS[kind]
    canvas = Image.new("L", (w * SS, h * SS), 0)
    draw = ImageDraw.Draw(canvas)
    for part, poly in shapes:  # each pixel keeps the last part drawn over it: the nearest
        label = 0 if part == ERASE else names.index(part) + 1
        draw.polygon([tuple(p) for p in (poly - (left, top)) * SS], fill=label)
    labels = np.asarray(canvas).reshape(h, SS, w, SS)
    parts = tuple((name, (labels == i + 1).mean((1, 3), dtype=np.float32)) for i, name in enumerate(names)
                  if name != "hat" or hat)
    return Sprite(top, left, parts, np.sum([c for _, c in parts], 0, dtype=np.float32))
