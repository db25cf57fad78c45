"""A scene's picture: the backdrop, the shadows things cast, then the things themselves, far ones first (a thing
lower in the picture stands nearer), each part in its paint, shaded on the side away from the light.

``render_with_masks`` also returns where each part of each object shows in the picture (what hides it taken
away): the ground truth a judge or a classifier learns from.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np
from PIL import Image

from .backdrops import backdrop
from .scenes import Obj, Scene, paint
from .sprites import Sprite, sprite
from .vocabulary import HORIZON, PAINTS, SHADE, SIZE, TINT, WALLS

Masks = list[dict[str, np.ndarray]]  # per object, in the scene's order: part -> (SIZE, SIZE) float32 coverage
SHADOW = {"day": 0.45, "sunset": 0.5, "night": 0.3}  # how much a shadow darkens the ground


def sprite_of(obj: Obj) -> Sprite:
    return sprite(obj.kind, obj.size, obj.flip, obj.tilt, obj.fingers, obj.word, any(p == "hat" for p, _ in obj.parts))


@lru_cache(maxsize=4096)
def _shadow(spr: Sprite, light: str, time: str, on_wall: bool) -> tuple[int, int, np.ndarray]:
    """(top, left, coverage) of the shadow a sprite casts. On open ground it lies flat behind the thing, slanting
    away from the light (long at sunset, a small pool under it when the light is above); at a wall's foot it falls
    on the wall, moved a little away from the light."""
    side = {"left": 1.0, "right": -1.0, "above": 0.0}[light]  # which way the shadow goes
    if on_wall:
        dx, dy = int(round(side * max(2, 0.12 * spr.alpha.shape[0]))), -1 if side else 1
        return spr.top + dy, spr.left + dx, spr.alpha
    squash, slant = (0.12, 0.0) if light == "above" else (0.3, 0.7 * side) if time != "sunset" else (0.3, 1.6 * side)
    h, w = spr.alpha.shape
    top, bottom = spr.top, spr.top + h  # rows of the sprite relative to the anchor
    new_top = int(np.floor(squash * top)) - 1
    reach = int(np.ceil(abs(slant) * -top)) + 1
    new_left = spr.left - (reach if slant < 0 else 0)
    new_w, new_h = w + reach, max(int(np.ceil(squash * bottom)) - new_top + 1, 1)
    # output (X, Y) relative to the anchor comes from input (X + slant * Y / squash, Y / squash)
    inv = 1 / squash
    data = (1, slant * inv, new_left - spr.left + slant * inv * new_top,
            0, inv, inv * new_top - top)
    img = Image.fromarray(spr.alpha).transform((new_w, new_h), Image.Transform.AFFINE, data,
                                               resample=Image.Resampling.BILINEAR)
    return new_top, new_left, np.asarray(img, np.float32)


def _ramp(spr: Sprite, light: str) -> np.ndarray:
    """Brightness over the sprite: 1 on the lit side, falling to SHADE on the far one; broadcasts against (h, w)."""
    h, w = spr.alpha.shape
    n = h if light == "above" else w
    u = np.linspace(0, 1, n, dtype=np.float32)
    ramp = 1 - (1 - SHADE) * np.clip((u - 0.3) / 0.7, 0, 1)
    if light == "above":
        return ramp[:, None]
    return (ramp if light == "left" else ramp[::-1])[None, :]


def clip_to_picture(top: int, left: int, h: int, w: int):
    """The part of a (h, w) patch at (top, left) inside the picture: picture slices and patch slices (or None)."""
    y0, x0, y1, x1 = max(top, 0), max(left, 0), min(top + h, SIZE), min(left + w, SIZE)
    if y0 >= y1 or x0 >= x1:
        return None
    return (slice(y0, y1), slice(x0, x1)), (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))


def render_with_masks(scene: Scene, masks: bool = True) -> tuple[np.ndarray, Optional[Masks]]:
    """The scene as RGB uint8 (SIZE, SIZE, 3) and, when ``masks``, where each object's parts show."""
    img = backdrop(scene.backdrop, scene.time)[:, scene.shift:scene.shift + SIZE].copy()
    lit = scene.light != "flat"
    if lit:
        horizon = HORIZON[scene.backdrop]
        on_wall = scene.backdrop in WALLS
        for o in scene.objects:
            if not o.shadow:
                continue
            top, left, cover = _shadow(sprite_of(o), scene.light, scene.time, on_wall)
            region = clip_to_picture(o.y + top, o.x + left, *cover.shape)
            if region is not None:
                (ys, xs), (py, px) = region
                dark = 1 - SHADOW[scene.time] * cover[py, px]
                if not on_wall:  # a shadow on the ground stops at the horizon
                    dark[: max(horizon - ys.start, 0)] = 1
                img[ys, xs] *= dark[..., None]
    out: Masks = [{} for _ in scene.objects] if masks else None
    order = sorted(range(len(scene.objects)), key=lambda i: scene.objects[i].y)
    tint = np.array(TINT[scene.time], np.float32)
    for i in order:
        o = scene.objects[i]
        spr = sprite_of(o)
        region = clip_to_picture(o.y + spr.top, o.x + spr.left, *spr.alpha.shape)
        if region is None:
            continue
        (ys, xs), (py, px) = region
        glow = o.kind == "sun"  # a sun is the light: neither shaded nor tinted
        shade = np.broadcast_to(_ramp(spr, scene.light), spr.alpha.shape)[py, px, None] if lit and not glow else 1.0
        patch = img[ys, xs]
        cover = spr.alpha[py, px]  # parts never overlap within a sprite: they add up to the object's coverage
        paint_sum = sum(a[py, px, None] * np.array(PAINTS[paint(o, part)], np.float32) for part, a in spr.parts)
        patch *= 1 - cover[..., None]
        patch += paint_sum * (1.0 if glow else tint) * shade
        if masks:  # what this object covers no longer shows of the things behind it
            for earlier in out:
                for m in earlier.values():
                    m[ys, xs] *= 1 - cover
            for part, a in spr.parts:
                out[i][part] = np.zeros((SIZE, SIZE), np.float32)
                out[i][part][ys, xs] = a[py, px]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), out


def render(scene: Scene) -> np.ndarray:
    """The scene as an RGB uint8 array of shape (64, 64, 3)."""
    return render_with_masks(scene, masks=False)[0]


def object_mask(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Where an object shows, from its parts' masks."""
    return np.sum(list(parts.values()), 0)
