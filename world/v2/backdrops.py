"""Backdrops: today's plain colours, and scenes with a sky or a wall above a textured ground (grass, sand, water,
bricks, wooden planks), at each time of day. Each is drawn once, 16 pixels wider than a picture (a scene's
``shift`` says where it is cut) and kept: textures with fine detail cost nothing per picture.

Textures are fixed patterns from their own seed, so "grass" or "a brick wall" always looks the same kind of way.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .vocabulary import COLOURS, HORIZON, PLAIN, SIZE, TINT

WIDE = SIZE + 16  # a backdrop's width: SIZE columns from a scene's shift are shown
SKY = {"day": ((70, 130, 220), (180, 215, 245)), "sunset": ((60, 50, 130), (250, 150, 70)),
       "night": ((5, 8, 25), (25, 35, 80))}  # top and horizon colours


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))


def _sky(rows: int, time: str) -> np.ndarray:
    top, low = (np.array(c, np.float32) for c in SKY[time])
    t = (np.arange(rows, dtype=np.float32) / max(rows - 1, 1))[:, None, None]
    sky = np.broadcast_to(top + (low - top) * t ** 0.8, (rows, WIDE, 3)).copy()
    if time == "night":  # a few stars, brighter or dimmer
        rng = _rng("stars")
        for _ in range(14):
            y, x = int(rng.integers(0, rows - 4)), int(rng.integers(0, WIDE))
            sky[y, x] = 120 + 120 * rng.random()
    return sky


def _noise(rng, shape, amount: float) -> np.ndarray:
    return (rng.random(shape, dtype=np.float32) - 0.5) * 2 * amount


def _downsample(big: np.ndarray, k: int = 4) -> np.ndarray:
    h, w = big.shape[0] // k, big.shape[1] // k
    return big.reshape(h, k, w, k, -1).mean((1, 3))


def _grass(rows: int) -> np.ndarray:
    """Blades: thin vertical strokes of lighter and darker green, longer near the viewer (drawn 4x, averaged)."""
    rng = _rng("grass")
    k = 4
    big = np.empty((rows * k, WIDE * k, 3), np.float32)
    big[:] = (60, 140, 50)
    big += _noise(rng, (rows * k, WIDE * k, 1), 10)
    n = rows * WIDE * 3
    ys, xs = rng.integers(0, rows * k, n), rng.integers(0, WIDE * k, n)
    lengths = (3 + ys * 14 / (rows * k)).astype(int)
    shades = np.array([(30, 95, 30), (95, 185, 70), (45, 120, 40), (120, 200, 90)], np.float32)[rng.integers(0, 4, n)]
    for step in range(int(lengths.max())):
        keep = step < lengths
        big[np.clip(ys[keep] - step, 0, None), xs[keep] % (WIDE * k)] = shades[keep]
    return _downsample(big)


def _sand(rows: int) -> np.ndarray:
    """Speckled sand with faint wind ripples."""
    rng = _rng("sand")
    y, x = np.mgrid[0:rows, 0:WIDE].astype(np.float32)
    ripple = np.sin(y * 1.3 + 1.5 * np.sin(x * 0.15)) > 0.8
    tex = np.empty((rows, WIDE, 3), np.float32)
    tex[:] = (225, 195, 135)
    tex -= 22 * ripple[..., None]
    tex += _noise(rng, (rows, WIDE, 1), 14)
    specks = rng.random((rows, WIDE)) < 0.06
    tex[specks] *= 0.75
    return tex


def _water(rows: int) -> np.ndarray:
    """Deep blue water, darker near the viewer, with short light wave crests (drawn 4x across, averaged)."""
    rng = _rng("water")
    k = 4
    t = np.linspace(0, 1, rows, dtype=np.float32)[:, None, None]
    big = np.repeat(np.array([45, 120, 195], np.float32) * (1 - 0.3 * t), k, axis=0)
    big = np.repeat(np.broadcast_to(big, (rows * k, WIDE, 3)), k, axis=1).copy()
    n = rows * WIDE // 2
    ys, xs = rng.integers(0, rows * k, n), rng.integers(0, WIDE * k, n)
    lengths = (4 + ys * 12 / (rows * k)).astype(int)
    for step in range(int(lengths.max())):
        keep = step < lengths
        big[ys[keep], (xs[keep] + step) % (WIDE * k)] = (150, 200, 240)
    return _downsample(big)


def _bricks(rows: int) -> np.ndarray:
    """Bricks 7 x 3 pixels, each its own shade of red, in staggered courses with 1-pixel mortar lines."""
    rng = _rng("bricks")
    tex = np.empty((rows, WIDE, 3), np.float32)
    tex[:] = (200, 195, 185)  # mortar
    for course, y in enumerate(range(0, rows, 4)):
        for x in range(-4 * (course % 2), WIDE, 8):
            shade = np.array((165, 70, 50)) * (0.85 + 0.3 * rng.random()) + _noise(rng, (1, 1, 3), 6)[0, 0]
            tex[y:y + 3, max(x, 0):max(x + 7, 0)] = shade
    return tex + _noise(rng, (rows, WIDE, 1), 6)


def _planks(rows: int, cols: int, across: bool) -> np.ndarray:
    """Wooden planks 5 pixels wide with dark seams and grain, lying along the rows (a floor) or standing (a wall)."""
    rng = _rng("planks")
    n, length = (rows, cols) if across else (cols, rows)
    along = np.arange(length)
    tex = np.empty((n, length, 3), np.float32)
    for start in range(0, n, 5):
        shade = np.array((175, 120, 70), np.float32) * (0.85 + 0.25 * rng.random())
        grain = 1 + 0.08 * np.sin(along[None, :] * rng.uniform(0.2, 0.5) + rng.uniform(0, 6)
                                  + np.arange(5)[:, None] * 1.7)
        tex[start:start + 5] = shade * grain[:n - start, :, None]
        tex[start] *= 0.55  # the seam
        cut = int(rng.integers(4, 30))
        tex[start:start + 5, cut::32] *= 0.6  # where planks end
    tex += _noise(rng, (n, length, 1), 5)
    return tex if across else tex.transpose(1, 0, 2)


def _pavement(rows: int) -> np.ndarray:
    """Gray paving slabs with darker joints."""
    tex = np.empty((rows, WIDE, 3), np.float32)
    tex[:] = (150, 148, 142)
    tex[::6] *= 0.75
    for r in range(0, rows, 6):
        tex[r:r + 6, (r // 6 % 2) * 6::12] *= 0.8
    return tex + _noise(_rng("pavement"), (rows, WIDE, 1), 5)


@lru_cache(maxsize=None)
def backdrop(name: str, time: str) -> np.ndarray:
    """The backdrop as float32 RGB (SIZE, WIDE, 3), 0..255, lit for ``time`` (plain ones are not lit)."""
    if name in PLAIN:
        return np.broadcast_to(np.array(COLOURS[name], np.float32), (SIZE, WIDE, 3))
    h = HORIZON[name]
    if name in ("brick wall", "wooden wall"):
        upper = _bricks(h) if name == "brick wall" else _planks(h, WIDE, across=False)
        lower = _pavement(SIZE - h)
    elif name == "wooden floor":
        upper = np.broadcast_to(np.array((225, 210, 180), np.float32), (h, WIDE, 3)).copy()
        upper[-2:] = (120, 80, 45)  # skirting board
        lower = _planks(SIZE - h, WIDE, across=True)
    else:  # the sky has its own colours at each time; the ground takes the light's tint
        sky_rows = h - 6 if name == "sand" else h  # a beach has a strip of sea at the horizon
        upper = _sky(sky_rows, time)
        rows = SIZE - sky_rows
        if name == "sky":
            t = np.linspace(0, 1, rows, dtype=np.float32)[:, None, None]
            lower = np.broadcast_to(np.array((150, 165, 100), np.float32) * (1 - 0.25 * t), (rows, WIDE, 3))
        elif name == "grass":
            lower = _grass(rows)
        elif name == "sand":
            lower = np.concatenate([_water(6), _sand(rows - 6)])
        else:  # water: a lake up to a sandy shore
            lower = np.concatenate([_water(15), _sand(rows - 15)])
        return np.clip(np.concatenate([upper, lower * TINT[time]]), 0, 255).astype(np.float32)
    img = np.concatenate([upper, lower]).astype(np.float32) * TINT[time]
    return np.clip(img, 0, 255)
