"""What a judge sees in a 64 x 64 picture before it judges: each pixel named after the paint (or the backdrop) it
looks most like, blobs of one paint, and the backdrop and time of day the rows of the picture look like.

Everything here reads the picture alone; the scene only says which paints and which backdrop were asked for, so
that a pixel is named among the things that could be there (a red brick is the wall, not a red object, when a
brick wall was asked), lit as the asked light would light it.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage

from .backdrops import backdrop
from .render import SHADOW
from .vocabulary import BACKDROPS, HORIZON, PAINTS, PLAIN, SHADE, SIZE, TIMES, TINT

BACKDROP = "backdrop"  # the label of pixels that look like the asked backdrop
SHADES = tuple(np.linspace(1.0, SHADE, 6))  # how lit a thing's pixel may be: from its lit side to its far side


def as_array(image) -> np.ndarray:
    """The picture as (SIZE, SIZE, 3) uint8 (a PIL image or an array; other sizes resized)."""
    img = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    if img.shape[:2] != (SIZE, SIZE):
        from PIL import Image
        img = np.asarray(Image.fromarray(img).resize((SIZE, SIZE), Image.BILINEAR))
    return img


def _kmeans(pixels: np.ndarray, k: int) -> np.ndarray:
    """k representative colours of ``pixels`` (n, 3): a few rounds of k-means from an even spread of them."""
    order = np.argsort(pixels.sum(1))
    centres = pixels[order[np.linspace(0, len(pixels) - 1, k).astype(int)]].copy()
    for _ in range(8):
        nearest = ((pixels[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
        for i in range(k):
            if (nearest == i).any():
                centres[i] = pixels[nearest == i].mean(0)
    return centres


@lru_cache(maxsize=None)
def backdrop_colours(name: str, time: str) -> np.ndarray:
    """The colours a backdrop shows (and its ground in a thing's shadow), (n, 3) float32."""
    tex = backdrop(name, time)
    if name in PLAIN:
        return tex[:1, 0].astype(np.float32)
    h = HORIZON[name]
    centres = _kmeans(tex.reshape(-1, 3).astype(np.float32), 24)
    ground = _kmeans(tex[h:].reshape(-1, 3).astype(np.float32), 8) * (1 - SHADOW[time])
    wall = _kmeans(tex[:h].reshape(-1, 3).astype(np.float32), 8) * (1 - SHADOW[time])
    return np.concatenate([centres, ground, wall]).astype(np.float32)


@lru_cache(maxsize=None)
def palette(name: str, light: str, time: str) -> tuple[tuple[str, ...], np.ndarray]:
    """(labels, colours): the asked backdrop's colours labelled BACKDROP (first, so that a plain backdrop's pixel
    is the backdrop and not the paint of the same colour), then every paint as the asked light shows it (flat, or
    tinted and shaded; a sun glows untinted)."""
    labels, colours = [], []
    tint = np.array(TINT[time], np.float32)
    for paint, rgb in PAINTS.items():
        rgb = np.array(rgb, np.float32)
        for rgb_lit in ([rgb] if light == "flat" else [rgb * tint * s for s in SHADES] + [rgb]):
            labels.append(paint)
            colours.append(rgb_lit)
    ground = backdrop_colours(name, time)
    return (BACKDROP,) * len(ground) + tuple(labels), np.concatenate([ground, np.array(colours)]).astype(np.float32)


def label_pixels(img: np.ndarray, name: str, light: str, time: str, paints=None) -> np.ndarray:
    """Per pixel, the palette entry it looks most like: (SIZE, SIZE) array of label strings. ``paints`` keeps only
    those paints (and the backdrop) in the palette: where nothing else is asked (a hand's skin alone), a shaded or
    blurred pixel of it is not named after some other paint it happens to be nearer."""
    labels, colours = palette(name, light, time)
    if paints is not None:
        keep = [i for i, label in enumerate(labels) if label == BACKDROP or label in paints]
        labels, colours = tuple(labels[i] for i in keep), colours[keep]
    d = ((img.astype(np.float32)[:, :, None] - colours[None, None]) ** 2).sum(-1)
    return np.array(labels, dtype=object)[d.argmin(-1)]


def nearer_paint_than_backdrop(img: np.ndarray, paints, name: str, light: str, time: str,
                               margin: float = 1.0) -> np.ndarray:
    """Where a pixel is ``margin`` times nearer one of ``paints``, lit anywhere between its lit side and past its far
    side (the shading is continuous; the palette's SHADES are six steps of it), than every colour of the backdrop
    ``name``. A shaded skin between two of the palette's steps can be nearer a wooden floor's brown than either step."""
    x = img.astype(np.float32).reshape(-1, 3)
    tint = np.array(TINT[time], np.float32)
    nearest = np.full(len(x), np.inf, np.float32)
    for paint in paints:
        for ray in ([1.0] if light == "flat" else [tint, 1.0]):
            v = np.array(PAINTS[paint], np.float32) * ray
            s = np.clip(x @ v / float(v @ v), SHADE - 0.05, 1.05)
            nearest = np.minimum(nearest, ((x - s[:, None] * v) ** 2).sum(1))
    ground = backdrop_colours(name, time)
    to_ground = ((x[:, None] - ground[None]) ** 2).sum(-1).min(1)
    return (nearest * margin**2 < to_ground).reshape(img.shape[:2])


def components(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    """The connected blobs of ``mask`` (8-connected) with at least ``min_area`` pixels, largest first."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = ndimage.sum(mask, labels, range(1, n + 1))
    return [labels == i + 1 for i in np.argsort(-sizes) if sizes[i] >= min_area]


def paint_mask(labels: np.ndarray, paints) -> np.ndarray:
    """Where the picture shows any of ``paints``, without the lone pixels an anti-aliased edge between two other
    colours happens to look like (a pixel counts when at least two of its 8 neighbours show the same)."""
    mask = np.isin(labels, list(paints) if not isinstance(paints, str) else [paints])
    same = ndimage.convolve(mask.astype(np.int32), np.ones((3, 3), np.int32), mode="constant") - mask
    return mask & (same >= 2)


def centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean() + 0.5), float(ys.mean() + 0.5)


def box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of a mask's pixels, ends exclusive."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@lru_cache(maxsize=None)
def _row_profiles(name: str, time: str) -> tuple[np.ndarray, np.ndarray]:
    """A backdrop's median colour per row and its texture per row (median step between neighbouring pixels), as
    drawn and as a soft picture of it (3 x 3 box blur) would show it: a decoder's fine texture is fainter."""
    tex = backdrop(name, time if name not in PLAIN else "day")
    return _profile(tex), _profile(ndimage.uniform_filter(tex, size=(3, 3, 1)))


def _profile(img: np.ndarray) -> np.ndarray:
    img = img.astype(np.float32)
    colour = np.median(img, axis=1)
    across = np.median(np.abs(np.diff(img, axis=1)).sum(-1), axis=1)
    down = np.abs(np.diff(img, axis=0, append=img[-1:])).sum(-1)
    return np.concatenate([colour, across[:, None], np.median(down, axis=1)[:, None]], axis=1)


def read_backdrop(img: np.ndarray) -> tuple[str, str, float]:
    """(backdrop, time, distance): the backdrop and time of day whose rows the picture's rows look most like.

    Each row is summed up by its median colour and the median step between neighbouring pixels (texture), so
    things covering less than half a row leave it alone; rows are compared and the best two thirds counted, so
    the rows a big thing covers do not decide either. ``distance`` is the mean colour step per row."""
    seen = _profile(img)
    best = (PLAIN[0], "day", np.inf)
    for name in BACKDROPS:
        for time in (TIMES if name not in PLAIN else ("day",)):
            score = min(float(np.sort(np.abs(seen - p).sum(1))[: 2 * SIZE // 3].mean())
                        for p in _row_profiles(name, time))
            if score < best[2]:
                best = (name, time, score)
    return best
