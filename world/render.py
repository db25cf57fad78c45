"""A scene's picture: the pixel grid, each shape's mask, where a sign's letters go, and render."""
from __future__ import annotations

import numpy as np

from .scenes import Scene
from .vocabulary import BACKGROUNDS, COLOURS, FONT, GLYPH_GAP, GLYPH_H, GLYPH_SCALE, GLYPH_W, SIZE

PIXEL_Y, PIXEL_X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5  # each pixel's centre


def shape_mask(shape: str, cx: float, cy: float, r: float) -> np.ndarray:
    dx, dy = PIXEL_X - cx, PIXEL_Y - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        s = r * 0.88
        return (np.abs(dx) <= s) & (np.abs(dy) <= s)
    if shape == "triangle":
        t = (dy + r) / (2 * r)  # 0 at the apex (top), 1 at the base
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= t * r * 1.1)
    raise ValueError(f"unknown shape {shape!r}")


def word_box(scene: Scene) -> tuple[int, int, int, int]:
    """Top-left of the first glyph, and the sign's half width / half height."""
    n = len(scene.word or "")
    text_w = n * GLYPH_W + (n - 1) * GLYPH_GAP
    cx, cy = scene.sign_centre
    x0 = int(round(cx - text_w / 2))
    y0 = int(round(cy - GLYPH_H / 2))
    return x0, y0, text_w // 2 + 2, GLYPH_H // 2 + 2


def render(scene: Scene) -> np.ndarray:
    """The scene as an RGB uint8 array of shape (32, 32, 3)."""
    img = np.empty((SIZE, SIZE, 3), np.uint8)
    img[:] = BACKGROUNDS[scene.background]
    for o in scene.objects:
        img[shape_mask(o.shape, o.cx, o.cy, o.radius)] = COLOURS[o.colour]
    if scene.kind == "text":
        x0, y0, hw, hh = word_box(scene)
        cx, cy = (int(round(v)) for v in scene.sign_centre)
        img[cy - hh:cy + hh, cx - hw - 1:cx + hw + 1] = COLOURS["white"]
        for i, ch in enumerate(scene.word):
            glyph = np.kron(FONT[ch], np.ones((GLYPH_SCALE, GLYPH_SCALE), bool))
            gx = x0 + i * (GLYPH_W + GLYPH_GAP)
            img[y0:y0 + GLYPH_H, gx:gx + GLYPH_W][glyph] = COLOURS["black"]
    return img
