"""Reading a picture back against its scene: the colours, blobs, shapes and letters it holds, and judge."""
from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage

from .render import PIXEL_X, PIXEL_Y, shape_mask, word_box
from .scenes import Scene
from .vocabulary import (BACKGROUNDS, COLOURS, FONT, GLYPH_GAP, GLYPH_H, GLYPH_SCALE, GLYPH_W, OBJECT_COLOURS, SHAPES,
                         SIZE)


def nearest_colour(rgb, palette: dict[str, tuple[int, int, int]]) -> str:
    names = list(palette)
    ref = np.array([palette[k] for k in names], np.float32)
    d = ((ref - np.asarray(rgb, np.float32)) ** 2).sum(-1)
    return names[int(d.argmin())]


_SHAPE_AREA = {"circle": np.pi, "square": (2 * 0.88) ** 2, "triangle": 2.2}  # area / radius^2
_SHAPE_CENTROID_DY = {"circle": 0.0, "square": 0.0, "triangle": 1.0 / 3.0}  # centroid below centre, x radius


def classify_shape(mask: np.ndarray, weight: Optional[np.ndarray] = None) -> str:
    """Circle, square or triangle: the template (same area, same centroid) that overlaps the blob best.

    ``weight`` (0..1 per pixel, how much of the object colour a pixel holds) makes it work on soft,
    generated edges: blurring moves ink around but keeps its total, so area and centroid survive.
    """
    w = mask.astype(np.float32) if weight is None else np.where(mask, weight, 0).astype(np.float32)
    area = float(w.sum())
    if area <= 0:
        return "none"
    cx, cy = float((w * PIXEL_X).sum() / area), float((w * PIXEL_Y).sum() / area)
    best, best_iou = "none", -1.0
    for shape, k in _SHAPE_AREA.items():
        r = np.sqrt(area / k)
        template = shape_mask(shape, cx, cy - _SHAPE_CENTROID_DY[shape] * r, r).astype(np.float32)
        iou = np.minimum(template, w).sum() / np.maximum(template, w).sum()
        if iou > best_iou:
            best, best_iou = shape, iou
    return best


def object_weight(img: np.ndarray, bg_rgb, colour: str) -> np.ndarray:
    """Per pixel, how far it lies from the background towards ``colour`` (0 = background, 1 = object)."""
    o = np.asarray(COLOURS[colour], np.float32) - bg_rgb
    t = ((img.astype(np.float32) - bg_rgb) * o).sum(-1) / max(float((o * o).sum()), 1.0)
    return np.clip(t, 0.0, 1.0)


def components(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    """The connected blobs of ``mask`` with at least ``min_area`` pixels, each as a mask of its own."""
    labels, n = ndimage.label(mask)
    return [labels == i for i in range(1, n + 1) if (labels == i).sum() >= min_area]


def analyse(image) -> dict:
    """What the judge sees: background colour, and the blobs of each object colour."""
    img = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    if img.shape[:2] != (SIZE, SIZE):
        from PIL import Image
        img = np.asarray(Image.fromarray(img).resize((SIZE, SIZE), Image.BILINEAR))
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]).astype(np.float32)
    bg_rgb = np.median(border, axis=0)
    background = nearest_colour(bg_rgb, BACKGROUNDS)
    fg = np.sqrt(((img.astype(np.float32) - bg_rgb) ** 2).sum(-1)) > 60
    # Each foreground blob takes the palette colour nearest its median: soft, generated edges mix colours
    # pixel by pixel (red on blue shows purple rims), but a blob as a whole keeps its colour.
    names = [c for c in OBJECT_COLOURS if c != background]
    blobs: dict[str, np.ndarray] = {}
    for comp in components(fg, 4):
        colour = nearest_colour(np.median(img[comp].astype(np.float32), axis=0), {k: COLOURS[k] for k in names})
        blobs[colour] = blobs[colour] | comp if colour in blobs else comp
    weights = {c: object_weight(img, bg_rgb, c) for c in blobs}
    # let each blob reach out one pixel into its soft rim
    blobs = {c: ndimage.binary_dilation(m) & (weights[c] > 0.15) | m for c, m in blobs.items()}
    return {"image": img, "background": background, "foreground": fg, "colour_masks": blobs, "weights": weights}


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean() + 0.5), float(ys.mean() + 0.5)


def _position_ok(position: str, cx: float, cy: float) -> bool:
    lo, hi = SIZE * 0.4, SIZE * 0.6
    return {"left": cx < lo, "right": cx > hi, "top": cy < lo, "bottom": cy > hi,
            "centre": lo - 2 <= cx <= hi + 2 and lo - 2 <= cy <= hi + 2}[position]


def read_word(img: np.ndarray, n_letters: int) -> Optional[str]:
    """Find the white sign and read ``n_letters`` glyphs on it; None when there is no sign."""
    white = (img.astype(np.int32).min(-1) > 190)
    comps = components(white, 20)
    if not comps:
        return None
    sign = max(comps, key=lambda m: m.sum())
    ys, xs = np.nonzero(ndimage.binary_fill_holes(sign))
    cx, cy = (xs.min() + xs.max() + 1) / 2.0, (ys.min() + ys.max() + 1) / 2.0
    probe = Scene("text", "gray", word="A" * n_letters, sign_centre=(cx, cy))
    x0, y0, _, _ = word_box(probe)
    dark = (img.astype(np.float32).mean(-1) < 100).astype(np.float32)
    out = []
    for i in range(n_letters):
        gx = x0 + i * (GLYPH_W + GLYPH_GAP)
        cell = np.zeros((GLYPH_H, GLYPH_W), np.float32)
        ys0, xs0 = max(y0, 0), max(gx, 0)
        # ends clipped at 0 too: a glyph wholly left of (or above) the frame reads as blank, not a wrapped slice
        patch = dark[ys0:max(y0 + GLYPH_H, 0), xs0:max(gx + GLYPH_W, 0)]
        cell[ys0 - y0:ys0 - y0 + patch.shape[0], xs0 - gx:xs0 - gx + patch.shape[1]] = patch
        small = cell.reshape(5, GLYPH_SCALE, 3, GLYPH_SCALE).mean((1, 3)) > 0.5
        scores = {ch: int((g == small).sum()) for ch, g in FONT.items()}
        best = max(scores, key=scores.get)
        out.append(best if scores[best] >= 14 else "?")
    return "".join(out)


def judge(image, scene: Scene) -> dict[str, bool]:
    """Per attribute the caption states: did the image get it right?

    Attributes: background, colour, shape, size, position, count, relation, binding, text.
    """
    a = analyse(image)
    img, masks = a["image"], a["colour_masks"]
    res: dict[str, bool] = {}
    if scene.mention_background or scene.kind == "text":
        res["background"] = a["background"] == scene.background
    if scene.kind in ("single", "count"):
        want = scene.objects[0]
        dominant = max(masks, key=lambda k: masks[k].sum()) if masks else None
        res["colour"] = dominant == want.colour
        comps = components(masks[want.colour], 4) if want.colour in masks else []
        if scene.kind == "single":
            blob = max(comps, key=lambda m: m.sum()) if comps else None
            res["shape"] = blob is not None and classify_shape(blob, a["weights"][want.colour]) == want.shape
            if scene.size:
                area = 0 if blob is None else int(blob.sum())
                res["size"] = (area >= 90) if scene.size == "big" else (0 < area < 90)
            if scene.position:
                res["position"] = blob is not None and _position_ok(scene.position, *_centroid(blob))
        else:
            res["count"] = len(comps) == scene.count
            shapes = [classify_shape(c, a["weights"][want.colour]) for c in comps]
            # the asked-for shape must outnumber every other (a tie is not right; and no set order, which
            # follows Python's per-process string hashing, may decide it)
            res["shape"] = shapes.count(want.shape) > max([shapes.count(s) for s in SHAPES if s != want.shape] + [0])
    elif scene.kind == "pair":
        first, second = scene.objects
        ma, mb = masks.get(first.colour), masks.get(second.colour)
        res["colours"] = ma is not None and mb is not None
        if ma is not None and mb is not None:
            ba = max(components(ma, 4) or [ma], key=lambda m: m.sum())
            bb = max(components(mb, 4) or [mb], key=lambda m: m.sum())
            res["binding"] = (classify_shape(ba, a["weights"][first.colour]) == first.shape
                              and classify_shape(bb, a["weights"][second.colour]) == second.shape)
            (xa, ya), (xb, yb) = _centroid(ba), _centroid(bb)
            if scene.relation != "and":
                res["relation"] = {"left of": xa + 3 < xb, "right of": xa > xb + 3,
                                   "above": ya + 3 < yb, "below": ya > yb + 3}[scene.relation]
        else:
            res["binding"] = False
            if scene.relation != "and":
                res["relation"] = False
    elif scene.kind == "text":
        word = read_word(img, len(scene.word))
        res["sign"] = word is not None
        res["text"] = word == scene.word
    return res
