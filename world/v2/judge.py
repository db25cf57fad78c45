"""Reading a 64 x 64 picture back against its scene: per thing the caption states, did the picture get it right?

``judge(image, scene)`` reads the picture alone (``seeing``: pixels named after paints, blobs, the backdrop's
rows); the scene only says what was asked. Categories, each where the caption states it:

- backdrop: the rows look like the asked backdrop (plain colour, or sky/grass/sand/water/walls/floor by colour and
  texture per row); light: the asked time of day (sunset, night), or by day the lit side of the asked thing (not
  judged where the only things are suns: a sun glows unshaded);
- today's four kinds as ``world.judge`` reads them at 32 px, at twice the scale: colour, shape, size, position,
  count, colours, binding, relation, text;
- colour: a blob of the asked paint (each thing's first part); count: blobs of the asked colour (a group's by
  laying one thing's silhouette again and again over its paints, ``count_things``); relation: where the asked
  things' blobs stand; fingers: fingers counted around the hand's palm; text: the sign's word read off its board;
  character: the named character's shirt, hair and hat in their places;
- object: every kind of thing the caption asks for (a circle, a house, a hand, a person...) is there, as a small
  trained classifier (``classifier``, shipped weights, imported lazily: torch only when this is asked) finds it;
- binding in a trio: each asked colour sits on a thing of the asked kind (``read_trio_binding``: the classifier
  looks at the thing around each colour's blob), the things' left-to-right order not read. Without torch neither
  "object" nor a trio's "binding" is read.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace
from functools import lru_cache
from typing import Optional

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from .hands import count_fingers
from .render import clip_to_picture, object_mask, render, render_with_masks, sprite_of
from .scenes import Obj, Scene, count_cell, paint, sign_width
from .seeing import (BACKDROP, as_array, backdrop_colours, box, centroid, components, label_pixels,
                     nearer_paint_than_backdrop, paint_mask, read_backdrop)
from .signs import lit_as, read_sign
from .sprites import sprite
from .vocabulary import CHARACTERS, COLOURS, HAIR_COLOURS, KINDS, PAINTS, PLAIN, SHADE, SIZE, SKINS, TINT

MAX_BACKDROP_DISTANCE = 60.0  # mean colour step per row beyond which a picture shows no backdrop we know
MIN_AREA = 12  # pixels a blob needs to count as a thing (or, in a count, one of the things)
BIG_AREA = 360  # today's "big"/"small" line (90 pixels at 32 px), at 64 px
MIN_LIGHT_SLOPE = 0.05  # brightness change across a blob (against its median) below which it is evenly lit (was
# 0.08: a white sign lit from above changes by 0.05-0.07 only, its paint clipped at white)
NEAR = 6  # pixels between centroids that make "left of"/"above" (today's 3, doubled)
TRIO_VIEW = 20  # pixels high a trio's thing cut out smaller than this is also shown to the classifier (at most 3x)
TRIO_FLOOR = 0.1  # of its threshold, the least a kind scores where it reads as the likeliest of the asked kinds


@lru_cache(maxsize=None)
def _foot(kind: str) -> float:
    """How far below its first part's bottom a thing stands, in heights of that part (from its sprite)."""
    if kind == "sign":
        return 0.75  # a post about three quarters of the board's height
    part = dict(sprite(kind, 40, fingers=3).parts)[KINDS[kind][0]]
    rows = np.nonzero(part.sum(1) > 0.5)[0] + sprite(kind, 40, fingers=3).top
    return float(-(rows.max() + 1) / (rows.max() + 1 - rows.min()))


class Picture:
    """A picture as the judge reads it against one scene: its pixels named in the scene's light and backdrop."""

    def __init__(self, image, scene: Scene):
        self.img = as_array(image)
        self.scene = scene
        self.labels = label_pixels(self.img, scene.backdrop, scene.light, scene.time)

    def blobs(self, paints, min_area: int = MIN_AREA) -> list[np.ndarray]:
        return components(paint_mask(self.labels, paints), min_area)

    def blob(self, paints) -> Optional[np.ndarray]:
        """The largest blob of ``paints``, or None."""
        found = self.blobs(paints)
        return found[0] if found else None

    def dominant(self) -> Optional[str]:
        """The object colour covering the most (rim-free) pixels."""
        areas = {c: int(paint_mask(self.labels, c).sum()) for c in COLOURS}
        best = max(areas, key=areas.get)
        return best if areas[best] >= MIN_AREA else None


def classify_shape(mask: np.ndarray) -> str:
    """Circle, square or triangle by how much of its bounding box a blob fills (about 0.79, 1 and 0.5)."""
    x0, y0, x1, y1 = box(mask)
    fill = mask.sum() / ((x1 - x0) * (y1 - y0))
    return "square" if fill > 0.9 else "circle" if fill > 0.65 else "triangle"


def _position_ok(position: str, cx: float, cy: float) -> bool:
    lo, hi = SIZE * 0.4, SIZE * 0.6
    return {"left": cx < lo, "right": cx > hi, "top": cy < lo, "bottom": cy > hi,
            "centre": lo - 4 <= cx <= hi + 4 and lo - 4 <= cy <= hi + 4}[position]


def _above(a: np.ndarray, b: np.ndarray) -> bool:
    return centroid(a)[1] + NEAR < centroid(b)[1]


def _left(a: np.ndarray, b: np.ndarray) -> bool:
    return centroid(a)[0] + NEAR < centroid(b)[0]


ALIKE = 40.0  # colour distance under which two paints are taken for each other where a part is looked for


@lru_cache(maxsize=None)
def _alike(name: str) -> frozenset[str]:
    """``name`` and the paints near it (a tyre's dark gray, black and a saddle's near-black; wood and brown): a
    thin, anti-aliased part's pixels are named after any of them."""
    rgb = np.array(PAINTS[name], np.float32)
    return frozenset(p for p, c in PAINTS.items() if np.linalg.norm(np.array(c, np.float32) - rgb) < ALIKE)


WOODEN = ("wooden wall", "wooden floor")
POST_NAMED = 0.5  # of its board's height a sign's post, named wood, must reach below it to be taken as named
LOWEST = {"bicycle": "wheels", "sign": "post"}  # the part a thing stands on, read where its first part says little
# about where it stands (a bicycle's frame, a sign's board); a tree's leaves, a car's body or a person's shirt say it
# well, and their lower parts (trunks, tyres, legs) look alike from one thing to the next


def _taken(blobs, i: int) -> Optional[np.ndarray]:
    """The pixels of the other things' blobs than the ``i``-th (none found: None)."""
    others = [b for k, b in enumerate(blobs) if k != i and b is not None and b is not blobs[i]]
    return np.logical_or.reduce(others) if others else None


def _lowest_part(blob: np.ndarray, obj: Obj, pic: Optional[Picture], others=frozenset()) -> Optional[np.ndarray]:
    """For a bicycle and a sign (``LOWEST``), the pixels of its wheels or post that the picture (``pic``) shows
    joined to ``blob`` (its first part's), followed across gaps of a pixel (a thin part's anti-aliased pixels are
    named after the backdrop here and there); None for other kinds. A sign's board may be found in part (its shaded
    half named after the backdrop), so its post is looked for under the whole width a board of its word could
    have. A bicycle's wheels are also the pixels nearer its tyres' paint than the backdrop, unless named after
    ``others`` (the other thing's paints): a decoder blurs dark tyres into grass or sand, and none of their pixels
    is named tyre (a bicycle's foot was then guessed from its frame, 8 to 12 rows too high); so is a sign's post on
    a wooden backdrop, where its pixels are named after the wood. Elsewhere a sign's post is also where a pixel is
    a blend of the post's wood and what shows either side of it (``_blended_thin``; nearer the post's paint than
    the backdrop, under a model's smudged board, a house's dark door or shadow was taken for it)."""
    if pic is None or obj.kind not in LOWEST:
        return None
    x0, y0, x1, y1 = box(blob)
    like = _alike(paint(obj, LOWEST[obj.kind]))
    named = np.isin(pic.labels, list(like))
    scene = pic.scene
    window = np.zeros_like(named)
    seed = ndimage.binary_dilation(blob, np.ones((3, 3)), iterations=2 if obj.kind == "sign" else 3)
    if obj.kind == "sign":  # under the board, as far either side as a board of its word could reach
        slack = max(sign_width(obj.word) - (x1 - x0), 0) + 2
        window[(y0 + y1) // 2:int(y1 + 1.2 * (y1 - y0)) + 4, max(x0 - slack, 0):x1 + slack + 1] = True
        seed[(y0 + y1) // 2:y1 + 3] = True  # the post's top, under a part of the board that was not found
    else:
        guess = y1 + _foot(obj.kind) * (y1 - y0)
        side = int(np.ceil(_reach(obj.kind)[1] * (x1 - x0))) + 2  # as far as its wheels reach beyond its frame
        window[(y0 + y1) // 2:int(guess + max(4.0, 0.3 * (y1 - y0))) + 1, max(x0 - side, 0):x1 + side + 1] = True

    def followed(part):
        bridged = ndimage.binary_dilation(part & window, np.ones((3, 3))) & window
        found = ndimage.binary_propagation(part & window & seed, mask=bridged) & part
        return found & (found.sum(1) >= 2)[:, None]  # a row of one anti-aliased pixel is not yet the part

    if obj.kind == "sign" and scene.backdrop in WOODEN:
        found = followed(named)
        if found.any() and np.nonzero(found.any(1))[0].max() + 1 - y1 >= POST_NAMED * (y1 - y0):
            return found  # a post named wood all the way down: the floor's planks nearer the post's wood than the
            # floor's own browns took in the floor under two signs, and each stood at its window's bottom
    if obj.kind == "bicycle" or scene.backdrop in WOODEN:
        named = named | nearer_paint_than_backdrop(pic.img, like, scene.backdrop, scene.light, scene.time) & ~np.isin(
            pic.labels, list(others))
    else:
        named = named | _blended_thin(pic, paint(obj, "post"), window) & ~np.isin(pic.labels, list(others))
    return followed(named)


def _shades(name: str, time: str) -> np.ndarray:
    """Paint ``name`` as the light of ``time`` shows it, from a thing's far side to its lit side: (6, 3)."""
    tint = np.array(TINT[time], np.float32)
    return np.array([np.array(PAINTS[name], np.float32) * tint * s for s in np.linspace(SHADE, 1.0, 6)])


THIN_SHARE = 0.3  # of a pixel's colour a thin part's paint must make up
THIN_FIT = 20.0  # colour distance within which a pixel is such a blend
THIN_BETTER = 2.0  # times nearer that than any blend of its two sides alone
THIN_CONTRAST = 12.0  # colour distance from its sides' blends and the backdrop's colours below which it is those
THIN_WIDTH = 4  # pixels in a row at most: a row of more is the backdrop's texture (bricks and mortar), not a post
THIN_SIDE = 3  # pixels either side along the row where the backdrop behind a thin upright part shows


def _blended_thin(pic: Picture, name: str, window: np.ndarray) -> np.ndarray:
    """Where ``window`` shows a thin upright part of paint ``name`` (a sign's post) blurred into what is behind it:
    a pixel nearer a blend of the paint (THIN_SHARE of it at least, lit anywhere from its far side to its lit side)
    with the pixels THIN_SIDE to its left and right than to any blend of those two alone or any of the backdrop's
    colours (THIN_BETTER times, and THIN_CONTRAST at least), in a row of THIN_WIDTH such pixels at most. A decoder
    blurs a post two pixels wide into the brick wall or the night grass behind it, and its pixels are named after
    the backdrop."""
    ys, xs = np.nonzero(window)
    keep = (xs >= THIN_SIDE) & (xs < SIZE - THIN_SIDE)
    ys, xs = ys[keep], xs[keep]
    out = np.zeros(window.shape, bool)
    if not len(ys):
        return out
    img = pic.img.astype(np.float32)
    px, left, right = img[ys, xs], img[ys, xs - THIN_SIDE], img[ys, xs + THIN_SIDE]
    mix = np.linspace(0, 1, 11, dtype=np.float32)[None, :, None]
    sides = left[:, None] * mix + right[:, None] * (1 - mix)  # (n, 11, 3)
    without = np.sqrt(((px[:, None] - sides) ** 2).sum(-1)).min(1)
    ground = backdrop_colours(pic.scene.backdrop, pic.scene.time)
    without = np.minimum(without, np.sqrt(((px[:, None] - ground[None]) ** 2).sum(-1)).min(1))
    shades = _shades(name, pic.scene.time)
    share = np.linspace(THIN_SHARE, 1, int(round((1 - THIN_SHARE) / 0.05)) + 1, dtype=np.float32)
    best = np.full(len(px), np.inf, np.float32)
    for shade in shades:
        blends = share[None, :, None, None] * shade + (1 - share[None, :, None, None]) * sides[:, None]  # (n, a, 11, 3)
        best = np.minimum(best, np.sqrt(((px[:, None, None] - blends) ** 2).sum(-1)).min((1, 2)))
    out[ys, xs] = (best <= THIN_FIT) & (best * THIN_BETTER < without) & (without >= THIN_CONTRAST)
    return out & (out.sum(1) <= THIN_WIDTH)[:, None]


def _foot_of(blob: np.ndarray, obj: Obj, lowest: Optional[np.ndarray] = None, backdrop: str = "") -> float:
    """Where a thing stands: the blob's (of its first part) bottom and how far below it the thing reaches in its
    sprite; for a bicycle and a sign, the bottom of its wheels or post (``lowest``, from ``_lowest_part``: a pale
    frame's blob, grown through its spokes, gave feet up to 12 pixels too low). Where no post shows and the backdrop
    is not wood (which hides one), the sign stands at its board's bottom (a sign leaning against a small car is
    barely taller than its board)."""
    x0, y0, x1, y1 = box(blob)
    if lowest is not None and lowest.any():
        return float(max(np.nonzero(lowest.any(1))[0].max() + 1, y1 + 1))
    if lowest is not None and obj.kind == "sign" and backdrop not in WOODEN:
        return float(y1 + 1)
    return y1 + _foot(obj.kind) * (y1 - y0)


SHADED_GROWTH = 8  # pixels a thing's blob may grow through its own paint in other shades


def shaded_whole(pic: Picture, blob: np.ndarray, obj: Obj, taken: Optional[np.ndarray] = None) -> np.ndarray:
    """``blob`` (of ``obj``'s first part) grown up to SHADED_GROWTH pixels through what is its paint in some shade
    (lit or shaded anywhere between), where the picture is not named after the backdrop, another asked thing's
    colour or its own other parts (a sign's wooden post): a shaded thing passes through other paints' names on its
    way from its lit side to its far side (a gray mug lit from above is named steel half way down, a brown circle's
    lower half dark brown), which cut its blob half way and moved where it stands. Not into ``taken`` (another
    asked thing's blob: two white signs split from one blob grew back into one)."""
    scene = pic.scene
    rgb = np.array(PAINTS[obj.colour], np.float32) * TINT[scene.time]
    like = lit_as(pic.img.astype(np.float32), rgb, 0.9 if scene.light == "flat" else SHADE - 0.1)
    others = (frozenset(o.colour for o in scene.objects) | _paints(obj)) - {obj.colour}  # its other parts too
    free = like & (pic.labels != BACKDROP) & ~np.isin(pic.labels, list(others))
    if obj.kind == "sign":  # a board grows sideways only: grown down, it ran down its post of a like brown
        free[box(blob)[3]:] = False
    if taken is not None:
        free &= ~taken
    return ndimage.binary_dilation(blob, np.ones((3, 3)), iterations=SHADED_GROWTH, mask=free | blob)


@lru_cache(maxsize=1024)
def _part_area(obj: Obj, part: str) -> float:
    """Pixels ``obj``'s ``part`` covers, in its sprite (0 for a part it has not: a person without a hat)."""
    drawn = dict(sprite_of(obj).parts).get(part)
    return 0.0 if drawn is None else float(drawn.sum())


def _thin_blobs(pic: Picture, colour: str) -> list[np.ndarray]:
    """Blobs of ``colour`` and the paints alike it (``_alike``) that hold at least MIN_AREA pixels of ``colour``
    itself, most of it first: a black bicycle's frame, a line or two wide on white, is named black, tyre, or a gray
    between them from one pixel to the next, and no blob of black alone was large enough to be found."""
    exact = pic.labels == colour
    found = [(int((b & exact).sum()), b) for b in pic.blobs(_alike(colour))]
    return [b for n, b in sorted(found, key=lambda f: -f[0]) if n >= MIN_AREA]


PART_RIM_WEIGHT = 2.0  # log-area units a part's slot gains per share of the blob's rim its thing's other paints hold


def _rim_share(pic: Picture, blob: np.ndarray, paints) -> float:
    """The share of the pixels just outside ``blob`` named one of ``paints``."""
    rim = ndimage.binary_dilation(blob, np.ones((3, 3))) & ~blob
    return float(np.isin(pic.labels[rim], list(paints)).mean()) if rim.any() else 0.0


JOIN_GAP = 3  # pixels between two pieces of one thing's paint that make them one thing's
PIECE_SEEN_THROUGH = 0.25  # share of a piece's rim other asked things wear that keeps it apart


def _others(objs, colour: str) -> frozenset[str]:
    """The paints of the asked things not of ``colour`` that no thing of ``colour`` wears (a car's tyres are not
    another thing's to a bicycle)."""
    return frozenset().union(*(_paints(o) for o in objs if o.colour != colour)) - frozenset().union(
        *(_paints(o) for o in objs if o.colour == colour))


def _pieces(pic: Picture, spare: list[np.ndarray], objs, colour: str) -> list[np.ndarray]:
    """The blobs of ``colour`` given to no thing or part that may be pieces of a thing of that colour: not those
    seen through another asked thing (whose paints, ``_others``, hold at least PIECE_SEEN_THROUGH of the piece's rim:
    a house's wall between a bicycle's spokes, joined to the house, took it down to the wheel's foot, in front of
    it)."""
    others = _others(objs, colour)
    return [f for f in spare if _rim_share(pic, f, others) < PIECE_SEEN_THROUGH]


def _with_pieces(blob: np.ndarray, pieces: list[np.ndarray]) -> np.ndarray:
    """``blob`` joined with the ``pieces`` (``_pieces``) within JOIN_GAP pixels of it, and theirs in turn, taken out
    of ``pieces``: a bicycle's thin frame drawn at night or shaded breaks in two or three (a gray bicycle touching a
    black car's bumper was read 7 columns from it, its frame's front half missing)."""
    grown = True
    while grown and pieces:
        near = ndimage.binary_dilation(blob, np.ones((3, 3)), iterations=JOIN_GAP)
        grown = [k for k, f in enumerate(pieces) if (f & near).any()]
        for k in reversed(grown):
            blob = blob | pieces.pop(k)
    return blob


def things_blobs(pic: Picture, objs) -> list[Optional[np.ndarray]]:
    """Each asked thing's blob: the largest of its paint (or of its paint and those alike it, where the paint alone
    makes no blob: ``_thin_blobs``). Where its paint is shared - by another asked thing (a person's blue shirt and
    a blue house) or by another thing's part (a gray bicycle leaning against a house with a gray roof, whose roof
    was taken for the bicycle) - the largest blobs are shared out, each going to the thing or part whose area in
    its sprite is nearest the blob's (in log), a part's slot the nearer the more of the blob's rim its thing wears
    (a door in its walls), every asked thing getting one. Where the paint makes fewer blobs than there are things
    and parts, the paints alike it are looked in too (``_thin_blobs``: a brown frame on sand beside a brown door).
    A thing's blob takes in the pieces of its paint near it that went to no one (``_with_pieces``)."""
    out: list[Optional[np.ndarray]] = [None] * len(objs)
    for colour in dict.fromkeys(o.colour for o in objs):
        which = [i for i, o in enumerate(objs) if o.colour == colour]
        parts = [(o, a) for o in objs for p in KINDS[o.kind][1:] if paint(o, p) == colour and (a := _part_area(o, p))]
        found = pic.blobs(colour)
        if len(found) < len(which) + len(parts):  # a thin thing's paint may make no blob of its own beside a part's
            thin = _thin_blobs(pic, colour)
            found = thin if len(thin) > len(found) else found
        pieces = _pieces(pic, found[len(which) + len(parts):], objs, colour)
        found = found[:len(which) + len(parts)]  # each goes to a slot below: as many slots as blobs at least
        if len(found) >= max(len(which), 2):
            want = [np.log(_part_area(objs[i], KINDS[objs[i].kind][0])) for i in which] + [np.log(a) for _, a in parts]
            area = [np.log(max(f.sum(), 1)) for f in found]
            # blob i to slot j at the area's cost, less for a part's slot the more of the blob's rim its thing's
            # other paints hold (a door in its walls; a brown bicycle's frame, found in part, was as near a house's
            # brown door in area as the door itself); every thing's slot is filled first (found >= things), and
            # a tie keeps the blobs in order (the largest to the first thing)
            cost = np.abs(np.subtract.outer(area, want)) + 1e-6 * np.abs(np.subtract.outer(
                np.arange(len(found)), np.arange(len(want))))
            for j, (owner, _) in enumerate(parts, start=len(which)):
                cost[:, j] -= PART_RIM_WEIGHT * np.array([_rim_share(pic, f, _paints(owner) - {colour}) for f in found])
            cost[:, :len(which)] -= 1e3
            rows, best = linear_sum_assignment(cost)
            for blob, j in zip((found[i] for i in rows), best):
                if j < len(which):
                    out[which[j]] = _with_pieces(blob, pieces)
            continue
        if len(which) == 2 and len(found) == 1 and (halves := _split(
                shaded_whole(pic, found[0], objs[which[0]]), [objs[i] for i in which])):  # its shaded rims too
            found = halves  # two things of one colour, one hiding part of the other: one blob laid out in two
        for i, blob in zip(which, found):
            out[i] = _with_pieces(blob, pieces)
        for i in which[len(found):] if found else ():
            out[i] = found[0]  # fewer blobs than things: they touch
    return out


SPLIT_INSIDE = 0.8  # of a thing's first part that must lie in a merged blob where it is laid to split the blob
SPLIT_COVERED = 0.9  # of the merged blob that the two laid parts must cover together


def _split(blob: np.ndarray, objs) -> Optional[list[np.ndarray]]:
    """A blob of two things of one colour (one in front of the other hides part of it, in the same paint: two white
    signs, "PAR" in front of "UP", were one blob, given to both, so neither stood in front) as each thing's part:
    each thing's first part (drawn at its size) laid where SPLIT_INSIDE of it lies in the blob, the pair of places
    that covers the most of the blob (at least SPLIT_COVERED) less what they lay beyond it, each thing's blob the
    blob's pixels under its part. None where no such pair is found (the picture draws them otherwise) or where the
    two parts are alike (which is which cannot be told)."""
    parts, given = [], blob
    for obj in objs:
        part = ndimage.binary_fill_holes(dict(sprite_of(obj).parts)[KINDS[obj.kind][0]] > 0.5)
        x0, y0, x1, y1 = box(part)
        parts.append(part[y0:y1, x0:x1])
    blob = ndimage.binary_fill_holes(blob)  # a sign's letters are holes in its board, one's letters in the other's
    if parts[0].shape == parts[1].shape and (parts[0] == parts[1]).all():
        return None
    places = []
    for part in parts:
        inside = ndimage.correlate(blob.astype(np.float32), part.astype(np.float32), mode="constant")
        ys, xs = np.nonzero(inside >= SPLIT_INSIDE * part.sum())
        if not len(ys):
            return None
        places.append([_laid(part, y, x) for y, x in zip(ys, xs)])
    first = np.array([m.ravel() for m in places[0]], np.float32)
    second = np.array([m.ravel() for m in places[1]], np.float32)
    inside, outside = blob.ravel().astype(np.float32), (~blob).ravel().astype(np.float32)
    covered = (first @ inside)[:, None] + (second @ inside)[None] - (first * inside) @ second.T
    beyond = (first @ outside)[:, None] + (second @ outside)[None] - (first * outside) @ second.T
    i, j = np.unravel_index(np.argmax(covered - beyond), covered.shape)
    if covered[i, j] < SPLIT_COVERED * blob.sum():
        return None
    return [places[0][i] & given, places[1][j] & given]


def read_relation(relation: str, a: np.ndarray, b: np.ndarray, first: Obj, second: Obj,
                  pic: Optional[Picture] = None) -> bool:
    """Does the blob of the first thing stand in ``relation`` to the second's? (``pic``: the picture, named, where a
    bicycle's wheels and a sign's post are followed to their foot, ``_lowest_part``.)"""
    labels, backdrop = (None, "") if pic is None else (pic.labels, pic.scene.backdrop)
    # side to side, a bicycle's or sign's wheels or post count too (a bicycle's frame spans its middle only: its
    # wheels reach a third of the frame's width beyond it either side, so a bicycle leaning against a car, wheel to
    # bumper, was read standing apart from it)
    low_a = _lowest_part(a, first, pic, _paints(second) - _paints(first))
    low_b = _lowest_part(b, second, pic, _paints(first) - _paints(second))
    (ax0, ay0, ax1, ay1) = box(a if low_a is None else a | low_a)
    (bx0, by0, bx1, by1) = box(b if low_b is None else b | low_b)
    foot_a, foot_b = _foot_of(a, first, low_a, backdrop), _foot_of(b, second, low_b, backdrop)
    gap = max(ax0 - bx1, bx0 - ax1)  # columns between them (negative: they overlap)
    if relation in ("left of", "right of"):
        return _left(a, b) if relation == "left of" else _left(b, a)
    if relation in ("above", "below"):
        return _above(a, b) if relation == "above" else _above(b, a)
    if relation == "next to":
        return gap >= -2 and abs(foot_a - foot_b) <= 7  # feet read from blobs are a few pixels out either way
    if relation in ("in front of", "behind"):
        near, far = (foot_a, foot_b) if relation == "in front of" else (foot_b, foot_a)
        return gap <= 3 and near > far + 2  # 3: a person's shirt is narrower than what hides her legs
    if relation == "on top of":
        cx = (ax0 + ax1) / 2
        if labels is not None:  # the top of the whole second thing: a car's roof is its windows' top, once a
            # decoder has blurred the body's thin line above them away
            # (not through the first thing's edge: a white square's rim blended with a blue backdrop is named glass)
            parts = np.isin(labels, list(_paints(second) - {second.colour, first.colour}))
            parts &= ~ndimage.binary_dilation(a, np.ones((3, 3)))
            # also from the parts within 2 pixels of the blob: a blurred line between body and windows, a blend of
            # the two, is named after neither (an orange car's, skin); but not from the first thing's paint in some
            # light named after one of the second's (a gray mug's lit side named steel: across the gap, the car
            # reached the mug's top)
            rgb = np.array(PAINTS[first.colour], np.float32) * TINT[pic.scene.time]
            first_lit = lit_as(pic.img.astype(np.float32), rgb, SHADE - 0.1)
            near = ndimage.binary_dilation(b, np.ones((3, 3)), iterations=2) & parts & ~first_lit
            by0 = box(ndimage.binary_propagation(b | near, mask=b | parts))[1]
        return abs(foot_a - by0) <= 4 and bx0 - 2 <= cx <= bx1 + 2
    if relation == "leaning against":  # touching, on the same ground, not standing in front of its middle (a leaner
        # overlaps a tree's leaves by up to half its width: the gap's old floor of -6 refused 9 of 16 true pictures)
        wheels = None if low_a is None else box(low_a) if low_a.any() else (0, 0, 0, 0)  # None: no picture to look in
        if first.kind == "bicycle" and wheels is not None and wheels[2] - wheels[0] < box(a)[2] - box(a)[0]:
            # its wheels not found (a gray bicycle's dark tyres at night, named tyre, skin and steel by turns): it
            # reaches as far as a bicycle of its frame's height would (``_window``: its frame found in part too)
            wx0, _, wx1, _ = _window(a, "bicycle", margin=0)
            gap = max(wx0 - bx1, bx0 - wx1)
        return bool(gap <= 5 and abs(foot_a - foot_b) <= 6 and abs((ax0 + ax1) - (bx0 + bx1)) / 2 >= (bx1 - bx0) / 4)
    return True  # "and"


def _edge_contrast(img: np.ndarray, mask: np.ndarray) -> float:
    """How sharp a picture is about ``mask`` (what a thing's paint shows, grown by 2 pixels): the mean change a
    3 x 3 box blur makes there (a soft picture, already blurred, changes less)."""
    img = img.astype(np.float32)
    near = ndimage.binary_dilation(mask, np.ones((5, 5)))
    change = np.abs(img - ndimage.uniform_filter(img, size=(3, 3, 1))).sum(-1)
    return float(change[near].mean()) if near.any() else 0.0


def _paints(obj: Obj) -> frozenset[str]:
    """The paints a thing shows: its parts'."""
    return frozenset(paint(obj, part) for part in KINDS[obj.kind])


SHOWN = 0.45  # of one thing's silhouette a placement must newly cover (of its paints) to count one more thing
ON_BACKDROP = 0.4  # of the silhouette a placement may lay on pixels named after the backdrop
OWN_SHOWN = 0.3  # of its first part's (its colour's) pixels a placement must newly cover too
MOST_COUNTED = 20  # placements at most (the world counts to nine)
SILHOUETTE_MARGIN = 1  # pixels around one thing's drawn shape that its silhouette may take in (anti-aliased rims)


@lru_cache(maxsize=512)
def _silhouettes(obj: Obj, backdrop: str, light: str, time: str, shift: int, own_paints: bool = True):
    """One thing like ``obj`` as the judge sees it when drawn alone in each row of a group's grid (cells 1, 4 and 7:
    on a scenic backdrop the rows stand on the ground at different depths, and a thing's lower half on a gray floor
    or in its shadow is named otherwise from one row to the next), drawn sharp and soft (3 x 3 box blur, a decoder's
    look): per row, (its middle row in the picture, (sharp, soft)), each (where its paints show, where its colour
    shows, as boxes cut to the former; its colour's pixels; its edge contrast). None where one drawn alone shows
    none of its paints."""
    paints = _paints(obj)
    rows = []
    for cell in (1, 4, 7):
        img, masks = render_with_masks(Scene("group", backdrop, (count_cell(None, cell, obj, backdrop),), light,
                                             time, shift=shift))
        near = ndimage.binary_dilation(object_mask(masks[0]) > 0, np.ones((3, 3)), iterations=SILHOUETTE_MARGIN)
        versions = []
        for version in (img, np.clip(ndimage.uniform_filter(img.astype(np.float32), size=(3, 3, 1)) + 0.5, 0, 255)
                        .astype(np.uint8)):
            labels = label_pixels(version, backdrop, light, time, paints if own_paints else None)
            whole, own = paint_mask(labels, paints) & near, paint_mask(labels, obj.colour) & near
            if not whole.any():
                return None
            x0, y0, x1, y1 = box(whole)
            versions.append((whole[y0:y1, x0:x1].astype(np.float32), own[y0:y1, x0:x1].astype(np.float32),
                             float(max(own.sum(), MIN_AREA)), _edge_contrast(version, own)))
        rows.append(((y0 + y1) / 2, tuple(versions)))
    return tuple(rows)


def _laid(silhouette: np.ndarray, y: int, x: int) -> np.ndarray:
    """Where ``silhouette`` covers the picture with its middle at (y, x) (as ``ndimage.correlate`` centres it)."""
    h, w = silhouette.shape
    (ys, xs), (py, px) = clip_to_picture(y - h // 2, x - w // 2, h, w)  # its middle is in the picture: never None
    out = np.zeros((SIZE, SIZE), bool)
    out[ys, xs] = silhouette[py, px] > 0
    return out


def count_things(pic: Picture, obj: Obj, own_paints: bool = True) -> int:
    """How many things like ``obj`` the picture shows: one thing's silhouette (``_silhouettes``, of the grid row
    nearest) laid again and again where it covers the most of its paints' pixels not yet covered, less the backdrop
    it lays on, while a placement newly covers SHOWN of it (OWN_SHOWN of its colour) and lays no more than ON_BACKDROP
    of it on the backdrop. Things standing close merge into one blob and hide parts of each other; a blob's area in
    one thing's area took eight houses, two of them half hidden, for seven, and nine suns whose rays touch for ten.
    One thing's silhouette is taken sharp or soft as the picture looks (in a soft picture of several blobs, as their
    areas fit: ``_misfit``). With ``own_paints`` (where the picture shows the asked backdrop) only the thing's own
    paints and the backdrop name pixels (nothing else is asked: a shaded brown car is not bark)."""
    scene = pic.scene
    paints = _paints(obj)
    labels = label_pixels(pic.img, scene.backdrop, scene.light, scene.time, paints) if own_paints else pic.labels
    own = paint_mask(labels, obj.colour)
    rows = _silhouettes(obj, scene.backdrop, scene.light, scene.time, scene.shift, own_paints)
    if rows is None:
        return 0
    units = rows[1][1]
    contrast = _edge_contrast(pic.img, own)
    version = min((0, 1), key=lambda v: abs(units[v][3] - contrast))
    groups, n = ndimage.label(ndimage.binary_dilation(own, np.ones((3, 3))), structure=np.ones((3, 3)))
    areas = ndimage.sum(own, groups, range(1, n + 1))
    if contrast < SOFT_EDGES * units[0][3] and (areas >= MIN_AREA).sum() >= 2:
        # a soft picture: a decoder's softness lies anywhere between sharp and the 3 x 3 blur, and so does one
        # thing's look (a decoder keeps a purple square's 112 pixels, a blur 103; a car's 25-41, a blur 17): of the
        # two, the one whose area the blobs are the nearer whole multiples of
        version = min((0, 1), key=lambda v: _misfit(areas, units[v][2]))
    wholes = [versions[version][0] for _, versions in rows]
    owns = [versions[version][1] for _, versions in rows]
    # each row's silhouette is laid where its row is the nearest, and where two rows are as near, both are tried: a
    # thing jittered half-way to the next row is laid with the one that fits it (taking the upper row's alone read
    # four yellow cars as three)
    gaps = np.abs(np.arange(SIZE)[:, None] - np.array([y for y, _ in rows])[None])
    nearest = gaps == gaps.min(1, keepdims=True)
    bare = (labels == BACKDROP) if own_paints else ~np.isin(labels, list(paints))
    on_bare = [ndimage.correlate(bare.astype(np.float32), w, mode="constant") for w in wholes]
    left, left_own = paint_mask(labels, paints).astype(np.float32), own.astype(np.float32)
    count = 0
    while count < MOST_COUNTED:
        score = np.full((SIZE, SIZE), -np.inf, np.float32)
        best = np.zeros((SIZE, SIZE), int)
        for k, (whole, mine) in enumerate(zip(wholes, owns)):
            if not nearest[:, k].any():
                continue
            cover = ndimage.correlate(left, whole, mode="constant")
            ok = ((cover >= SHOWN * whole.sum()) & (on_bare[k] <= ON_BACKDROP * whole.sum())
                  & (ndimage.correlate(left_own, mine, mode="constant") >= OWN_SHOWN * mine.sum())
                  & nearest[:, k, None])  # the rows where this row's silhouette is laid, every column
            mine_score = np.where(ok, cover - on_bare[k], -np.inf)
            better = mine_score > score
            score[better], best[better] = mine_score[better], k
        if not np.isfinite(score).any():
            break
        y, x = np.unravel_index(np.argmax(score), score.shape)
        laid = _laid(wholes[best[y, x]], y, x)
        left[laid], left_own[laid] = 0, 0
        count += 1
    return count


SOFT_EDGES = 0.8  # of one sharp thing's edge contrast, under which a group's picture is soft


def _counted(areas, unit: float) -> list[float]:
    """The blobs' ``areas`` that count at all: a thing's least area, and at least 0.35 of one thing's ``unit``."""
    return [a for a in areas if a >= max(MIN_AREA, 0.35 * unit)]


def _misfit(areas, unit: float) -> float:
    """How far, on average, the blobs' ``areas`` that count are from whole multiples of ``unit`` (in units)."""
    kept = [a / unit for a in _counted(areas, unit)]
    return float(np.mean([abs(k - max(1, round(k))) for k in kept])) if kept else np.inf


HAND_GROWTH = 2  # pixels the hand's skin grows into what is clearly nearer a (shaded) skin than the backdrop
HAND_MARGIN = 1.5  # how many times nearer: at 1, the wood between two close shaded fingers of a light hand joined them


def read_hand(pic: Picture) -> Optional[np.ndarray]:
    """The hand's pixels: its skin as the picture's pixels are named, grown by HAND_GROWTH pixels into what is
    nearer a skin, shaded anywhere between its lit and far side, than the backdrop. Nothing but a hand is asked, so
    a shaded or blurred finger's edge is still skin: the far side of a dark hand on a wooden floor falls between the
    palette's steps of shade, nearer the floor's browns than either (the hand's far finger split in two, or was
    lost: 20 of 32 true two-finger pictures were misread). Two pixels only, so that a backdrop's skin-like seam
    beside it stays out."""
    core = paint_mask(pic.labels, SKINS)
    near = nearer_paint_than_backdrop(pic.img, SKINS, pic.scene.backdrop, pic.scene.light, pic.scene.time,
                                      HAND_MARGIN)
    found = components(ndimage.binary_dilation(core, np.ones((3, 3)), iterations=HAND_GROWTH, mask=near), MIN_AREA)
    return found[0] if found else None


def read_light_side(pic: Picture, blob: np.ndarray) -> Optional[str]:
    """The side a thing is lit from: which way its paint darkens across its blob (a plane fitted to the brightness of
    its inner pixels, against their median): left, right or above, whichever slope is steeper; None when evenly lit
    (brightness changing less than MIN_LIGHT_SLOPE across the blob) or too small to tell."""
    inner = ndimage.binary_erosion(blob)
    inner = inner if inner.sum() >= MIN_AREA else blob
    ys, xs = np.nonzero(inner)
    if len(ys) < 4:
        return None
    lum = pic.img.astype(np.float32).mean(-1)[ys, xs]
    lum = lum / max(float(np.median(lum)), 1.0)
    design = np.stack([xs - xs.mean(), ys - ys.mean(), np.ones(len(xs))], 1).astype(np.float32)
    (gx, gy, _), *_ = np.linalg.lstsq(design, lum, rcond=None)
    x0, y0, x1, y1 = box(blob)
    if max(abs(gx) * (x1 - x0), abs(gy) * (y1 - y0)) < MIN_LIGHT_SLOPE:
        return None
    if abs(gx) >= abs(gy):
        return "left" if gx < 0 else "right"
    return "above" if gy < 0 else None


def read_character(pic: Picture, name: str, shirt: Optional[np.ndarray] = None) -> bool:
    """Is the named character there: a blob of their shirt, their hair right above it and their hat (or none)
    above that? ``shirt``, where given, is looked at first: the character's own blob, split from another thing of
    the shirt's colour that it touches (Bo's yellow shirt in front of a yellow tree)."""
    looks = CHARACTERS[name]
    # above the shirt, the pixels named among the character's own paints and the backdrop: the hair is a rim of a
    # pixel or two round the head, lit and anti-aliased with the skin, that the whole palette names pink or orange
    # (8 of 32 true pictures of Pip on a beach were misread: no red hair)
    paints = {looks["body"], looks["hair"], looks["skin"]} | ({looks["hat"]} if looks["hat"] else set())
    own = label_pixels(pic.img, pic.scene.backdrop, pic.scene.light, pic.scene.time, paints)
    for shirt in ([] if shirt is None else [shirt]) + pic.blobs(looks["body"]):
        x0, y0, x1, y1 = box(shirt)
        h = (y1 - y0) / 0.34  # the shirt is a third of a person's height
        cx = (x0 + x1) / 2
        head = np.zeros_like(shirt)
        head[max(int(y0 - 0.45 * h), 0):y0, max(int(cx - 0.2 * h), 0):int(np.ceil(cx + 0.2 * h))] = True
        hair = ((own == looks["hair"]) & head).sum()  # a cap over the head; under a hat, a rim thinner than a pixel
        hair += _blended_hair(pic, own, head, looks) if looks["hat"] and hair < 2 else 0
        skin = ((own == looks["skin"]) & head).sum()
        hat = ((own == looks["hat"]) & head).sum() if looks["hat"] else 0
        if hair >= 2 and skin >= 2 and (hat >= 3 if looks["hat"] else True):
            return True
    return False


HAIR_SHARE = 0.4  # of a rim pixel's colour that the hair must make up to count it as hair
HAIR_FIT = 20.0  # colour distance within which a rim pixel is that blend
HAIR_GROUND = 15.0  # colour distance within which the pixel beyond the rim is the backdrop's (not some other paint)
HAIR_BETTER = 2.0  # times nearer the blend with the hair than the backdrop, or a blend with the hat or other hair
HAIR_LIGHT = np.linspace(-0.15, 0.15, 7)  # the hair's light, against the face's beside it
_WEIGHTS = np.array([(a, b, 1 - a - b) for a in np.linspace(0, 1, 21) for b in np.linspace(0, 1, 21)
                     if a + b <= 1 + 1e-9], np.float32)  # blends of three colours, in 0.05 steps


def _blend_distance(pixel: np.ndarray, firsts: np.ndarray, second: np.ndarray, third: np.ndarray,
                    share: float = 0.0) -> float:
    """How near ``pixel`` is to a blend of one of ``firsts`` (a paint's shades: at least ``share`` of it), second and
    third."""
    w = _WEIGHTS[_WEIGHTS[:, 0] >= share - 1e-6]
    mixes = (w[None, :, :1] * firsts[:, None] + w[None, :, 1:2] * second + w[None, :, 2:] * third).reshape(-1, 3)
    return float(np.sqrt(((mixes - pixel) ** 2).sum(-1).min()))


def _blended_hair(pic: Picture, own: np.ndarray, head: np.ndarray, looks: dict[str, str]) -> int:
    """The head's rim pixels that are a blend of the hair's paint with the face beside them and the backdrop
    beyond: under a hat the hair is a rim thinner than a pixel round the head, drawn at 4 x and averaged, that no
    paint names (Pip's red hair against the sky shows as (158, 69, 81) and (228, 120, 103), named skin or backdrop).
    A pixel counts where it lies between a face pixel (the most skin-like within 3 inward along its row) and a
    backdrop pixel (within 2 outward, within HAIR_GROUND of the backdrop's colours), is within HAIR_FIT of a blend of
    those two with at least HAIR_SHARE of the hair's paint (lit as the face beside it is, give or take 0.15), and
    HAIR_BETTER times nearer that than to the backdrop's colours or any blend of the two with the hat's paint or
    another hair colour (at least HAIR_SHARE of it: Kit's yellow hair, Bo's black, a passer-by's brown). None
    unless the hair shows on both sides of the face, as the rim does (a model's orange or blond head beside the
    rim's reddish blend on one side only is not Pip's red hair)."""
    if not head.any():  # a shirt at the picture's top edge: no room for a head
        return 0
    img = pic.img.astype(np.float32)
    tint = np.array(TINT[pic.scene.time], np.float32)
    hat, skin_paint = _shades(looks["hat"], pic.scene.time), _shades(looks["skin"], pic.scene.time)
    hair_lit, skin_lit = (np.array(PAINTS[looks[p]], np.float32) * tint for p in ("hair", "skin"))
    others = [np.array(PAINTS[c], np.float32) * tint for c in HAIR_COLOURS if c != looks["hair"]]  # hair of others
    skin = own == looks["skin"]
    ground = backdrop_colours(pic.scene.backdrop, pic.scene.time)
    to_ground = np.sqrt(((img[:, :, None] - ground[None, None]) ** 2).sum(-1).min(-1))
    to_skin = np.sqrt(((img[:, :, None] - skin_paint[None, None]) ** 2).sum(-1).min(-1))
    cols = np.nonzero(head.any(0))[0]
    cx = (cols[0] + cols[-1]) / 2
    sides = {-1 if x < cx else 1 for x in np.nonzero(head & (own == looks["hair"]))[1]}
    found = 0
    for y, x in zip(*np.nonzero(head & (own != looks["hair"]) & (own != looks["hat"]))):
        for out in (-1, 1):
            face = [x - out * d for d in (1, 2, 3) if 0 <= x - out * d < SIZE and skin[y, x - out * d]]
            beyond = [x + out * d for d in (1, 2) if 0 <= x + out * d < SIZE and own[y, x + out * d] == BACKDROP
                      and to_ground[y, x + out * d] <= HAIR_GROUND]
            if not face or not beyond:
                continue
            px, s, b = img[y, x], img[y, min(face, key=lambda f: to_skin[y, f])], img[y, beyond[0]]
            lit = float(s @ skin_lit / (skin_lit @ skin_lit))  # the face's light, which the hair beside it shares
            lights = np.clip(lit + HAIR_LIGHT, SHADE, 1.0)[:, None]
            with_hair = _blend_distance(px, hair_lit * lights, s, b, HAIR_SHARE)
            if with_hair > HAIR_FIT:
                continue
            without = min([_blend_distance(px, hat, s, b), float(to_ground[y, x])] +
                          [_blend_distance(px, o * lights, s, b, HAIR_SHARE) for o in others])
            if with_hair * HAIR_BETTER < without:
                sides.add(out)
                found += 1
                break
    return found if len(sides) == 2 else 0


def _judge_old(pic: Picture, scene: Scene, res: dict[str, bool]) -> None:
    """Today's four kinds, read as ``world.judge`` reads them."""
    if scene.kind in ("single", "count"):
        want = scene.objects[0]
        res["colour"] = pic.dominant() == want.colour
        comps = pic.blobs(want.colour)
        if scene.kind == "single":
            blob = comps[0] if comps else None
            res["shape"] = blob is not None and classify_shape(blob) == want.kind
            if scene.size:
                area = 0 if blob is None else int(blob.sum())
                res["size"] = area >= BIG_AREA if scene.size == "big" else 0 < area < BIG_AREA
            if scene.position:
                res["position"] = blob is not None and _position_ok(scene.position, *centroid(blob))
        else:
            res["count"] = _count_of(pic) == scene.count
            shapes = [classify_shape(c) for c in comps]
            res["shape"] = shapes.count(want.kind) > max(
                [shapes.count(s) for s in ("circle", "square", "triangle") if s != want.kind] + [0])
    elif scene.kind == "pair":
        first, second = scene.objects
        ba, bb = pic.blob(first.colour), pic.blob(second.colour)
        res["colours"] = ba is not None and bb is not None
        res["binding"] = res["colours"] and classify_shape(ba) == first.kind and classify_shape(bb) == second.kind
        if scene.relation != "and":
            res["relation"] = res["colours"] and read_relation(scene.relation, ba, bb, first, second)
    else:  # text
        res["text"] = read_sign(pic, scene.objects[0]) == scene.word


def kinds_seen(img: np.ndarray) -> Optional[set[str]]:
    """The kinds of thing the shipped classifier finds in the picture; None where torch is not installed."""
    try:
        from .classifier import kinds_seen as seen
    except ImportError:
        return None
    return seen(img)


@lru_cache(maxsize=None)
def _reach(kind: str) -> tuple[float, float, float, float]:
    """A thing's first part's width / height, and how far the thing reaches beyond that part, from its sprite:
    sideways in widths of the part (the farther side, either way: a picture may face it either way), above and below
    in heights of it."""
    spr = sprite(kind, 40, fingers=3)
    ys, xs = np.nonzero(dict(spr.parts)[KINDS[kind][0]] > 0.5)
    ay, ax = np.nonzero(spr.alpha > 0.5)
    w, h = xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()
    return (w / h, max(xs.min() - ax.min(), ax.max() - xs.max()) / w, (ys.min() - ay.min()) / h,
            (ay.max() - ys.max()) / h)


def _window(blob: np.ndarray, kind: str, margin: int = 2) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): where a ``kind`` whose first part is ``blob`` would show, and ``margin`` pixels more. A blob
    narrower (or flatter) than the part is for its height (width) is taken for its lit side only (the far side
    shaded into another paint): the window grows by the missing width, at most half the blob's, on both sides (the
    missing height above and below)."""
    x0, y0, x1, y1 = box(blob)
    aspect, side, up, down = _reach(kind)
    w, h = x1 - x0, y1 - y0
    dx, dy = min(max(aspect * h - w, 0), w / 2), min(max(w / aspect - h, 0), h / 2)
    w, h = w + dx, h + dy
    return (max(int(np.floor(x0 - dx - side * w)) - margin, 0), max(int(np.floor(y0 - dy - up * h)) - margin, 0),
            min(int(np.ceil(x1 + dx + side * w)) + margin, SIZE), min(int(np.ceil(y1 + dy + down * h)) + margin, SIZE))


@lru_cache(maxsize=64)
def _bare(backdrop: str, time: str, shift: int) -> np.ndarray:
    """The asked backdrop with nothing on it."""
    return render(Scene("object", backdrop, (), "flat", time, shift=shift))


def _scaled_up(img: np.ndarray, cut: np.ndarray, bare: np.ndarray, scale: float) -> np.ndarray:
    """The pixels of ``cut`` scaled up by ``scale`` (bilinear, the cut's own edges blended), standing where they
    stood (same middle, same bottom, inside the picture) on ``bare``."""
    x0, y0, x1, y1 = box(cut)
    w, h = max(int(round((x1 - x0) * scale)), 1), max(int(round((y1 - y0) * scale)), 1)
    patch = np.asarray(Image.fromarray(img[y0:y1, x0:x1]).resize((w, h), Image.BILINEAR), np.float32)
    alpha = np.asarray(Image.fromarray(cut[y0:y1, x0:x1].astype(np.uint8) * 255).resize((w, h), Image.BILINEAR),
                       np.float32)[..., None] / 255
    left, top = int(np.clip(round((x0 + x1 - w) / 2), 0, SIZE - w)), int(np.clip(y1 - h, 0, SIZE - h))
    view = bare.astype(np.float32)
    view[top:top + h, left:left + w] = view[top:top + h, left:left + w] * (1 - alpha) + patch * alpha
    return np.clip(view + 0.5, 0, 255).astype(np.uint8)


def _views(img: np.ndarray, labels: np.ndarray, blob: np.ndarray, kind: str, bare: np.ndarray,
           others: frozenset[str]) -> list[np.ndarray]:
    """The classifier's looks at the thing whose first part is ``blob``, were it a ``kind``: its cut-out (the
    picture's pixels named neither backdrop nor one of ``others`` - the other things' paints - that hang together
    with the blob inside the window a ``kind`` would fill, grown by a pixel) on the bare backdrop; that cut-out
    scaled up to TRIO_VIEW pixels high where it is smaller (a trio's things are small: the classifier misses small
    shapes); and the whole window on the bare backdrop."""
    x0, y0, x1, y1 = _window(blob, kind)
    inside = np.zeros_like(blob)
    inside[y0:y1, x0:x1] = True
    mine = (labels != BACKDROP) & ~np.isin(labels, list(others))
    pieces, _ = ndimage.label((mine | blob) & inside, structure=np.ones((3, 3)))
    cut = ndimage.binary_dilation(np.isin(pieces, np.unique(pieces[blob])), np.ones((3, 3))) & inside
    views = [np.where(cut[..., None], img, bare)]
    cx0, cy0, cx1, cy1 = box(cut)
    scale = min(3.0, TRIO_VIEW / (cy1 - cy0), (SIZE - 2) / (cx1 - cx0))
    if scale > 1.05:
        views.append(_scaled_up(img, cut, bare, scale))
    return views + [np.where(inside[..., None], img, bare)]


def read_trio_binding(pic: Picture) -> Optional[bool]:
    """Does each asked thing's colour sit on a thing of its kind? None where torch is not installed.

    The picture's pixels are named among the asked things' own paints and the backdrop (a white shirt at sunset is
    not skin, a shaded brown square not orange); each asked colour's largest blobs (one more than the things of that
    colour) are each taken as a thing's first part; for each kind asked in that colour the classifier looks at the
    thing the blob would be part of (``_views``: cut out, scaled up when small, the whole window, each pasted on the
    bare backdrop) and the blob reads as the kind when, in some look, the kind scores highest of the kinds the scene
    asks for and at least TRIO_FLOOR of its threshold (where the scene asks one kind only: its threshold). Right
    when each colour's things can be given blobs of their own (touching things may share one) that read as their
    kinds. A thing of a kind the scene does not ask for reads as the likeliest asked kind unless it scores too low.

    The left-to-right order is not read: a canonical caption names the things left to right without saying so, and
    the scene does not keep whether a varied caption said "from left to right".

    Calibration (600 sampled trios, seed 6; docs/world-v2.md, ``tests/world/v2/test_judge_v2.py``): true pictures
    0.990, blurred + noised 0.862 (a blurred bicycle's thin frame is often no blob of its colour at all), the
    colours moved between things of other kinds (``negatives.swap_colours``) 0.027 accepted, pure noise 0.003,
    another trio's picture 0.010."""
    try:
        from .classifier import kind_scores_many
    except ImportError:
        return None
    scene, objs = pic.scene, pic.scene.objects
    labels = label_pixels(pic.img, scene.backdrop, scene.light, scene.time, frozenset().union(*map(_paints, objs)))
    bare = _bare(scene.backdrop, scene.time, scene.shift)
    asked = sorted({o.kind for o in objs})
    groups, views, keys = [], [], []
    for colour in dict.fromkeys(o.colour for o in objs):
        which = [i for i, o in enumerate(objs) if o.colour == colour]
        found = components(paint_mask(labels, colour), MIN_AREA)[:len(which) + 1]
        if not found:
            return False
        groups.append((colour, which, len(found)))
        for j, blob in enumerate(found):
            for i in {objs[i].kind: i for i in which}.values():  # a thing of each kind asked in this colour
                others = frozenset().union(*(_paints(o) for o in objs if o.kind != objs[i].kind)) - _paints(objs[i])
                for view in _views(pic.img, labels, blob, objs[i].kind, bare, others):
                    views.append(view)
                    keys.append((colour, j, objs[i].kind))
    scores, thresholds = kind_scores_many(views)
    reads: dict[tuple[str, int, str], bool] = defaultdict(bool)  # (colour, blob, kind): some look reads the kind
    for (colour, j, kind), s in zip(keys, scores):
        floor = thresholds[kind] * (TRIO_FLOOR if len(asked) > 1 else 1.0)
        reads[colour, j, kind] |= max(asked, key=s.get) == kind and s[kind] >= floor
    for colour, which, n in groups:
        ways = (itertools.permutations(range(n), len(which)) if n >= len(which)
                else itertools.product(range(n), repeat=len(which)))
        if not any(all(reads[colour, j, objs[i].kind] for i, j in zip(which, way)) for way in ways):
            return False
    return True


def where_the_picture_is(scene: Scene, seen: str, time: str, distance: float) -> Scene:
    """The scene to read the picture against. Where the words name no backdrop (a typed "a red car"), the reader
    guessed one (white, or grass when light is named): against the wrong backdrop the picture's pixels are named
    wrongly and its things are not found (61 of 120 true pictures of ten kinds judged all right, against 114 with
    the backdrop named). So the backdrop and time the picture shows are taken instead, lit as the world lights
    them (flat on a plain backdrop, from the left on a scenic one) unless the words name the light. A picture that
    shows no backdrop the world knows keeps the guess. (seen, time, distance): ``read_backdrop`` of the picture."""
    if scene.mention_backdrop or scene.kind == "text":
        return scene
    if distance > MAX_BACKDROP_DISTANCE or (seen, time) == (scene.backdrop, scene.time):
        return scene
    if scene.mention_light:
        return replace(scene, backdrop=seen)
    return replace(scene, backdrop=seen, time=time, light="flat" if seen in PLAIN else
                   ("left" if scene.light == "flat" else scene.light))


def _count_of(pic: Picture, own_paints: bool = False) -> int:
    """How many of its scene's thing the picture shows, as the judge reads a count: today's counts (shapes on a plain
    backdrop, as ``world.judge`` reads them) by blobs of the asked colour; a group by its paint's area in things'
    areas (``count_things``; ``own_paints``: where the picture shows the asked backdrop)."""
    want = pic.scene.objects[0]
    if pic.scene.kind == "count":
        return len(pic.blobs(want.colour))
    return count_things(pic, want, own_paints)


def _read(image, scene: Scene) -> tuple[Picture, str, str, bool]:
    """The picture named against the scene it is read as (``where_the_picture_is``), the backdrop and time it shows,
    and whether that backdrop is one the world knows."""
    img = as_array(image)
    seen_backdrop, seen_time, distance = read_backdrop(img)
    pic = Picture(img, where_the_picture_is(scene, seen_backdrop, seen_time, distance))
    return pic, seen_backdrop, seen_time, distance <= MAX_BACKDROP_DISTANCE


def read_count(image, scene: Scene) -> int:
    """The count ``judge`` reads in ``image`` for a count or group ``scene`` (what the Limits tab's count sweep shows
    beside its verdict: it counted a group's way for today's counts, and said 2 where the verdict was right)."""
    pic, seen_backdrop, _time, known = _read(image, scene)
    return _count_of(pic, known and seen_backdrop == pic.scene.backdrop)


def judge(image, scene: Scene) -> dict[str, bool]:
    """Per category the scene's caption states: did the picture get it right?"""
    pic, seen_backdrop, seen_time, known = _read(image, scene)
    scene = pic.scene
    res: dict[str, bool] = {}
    seen = kinds_seen(pic.img) if scene.objects else None
    if seen is not None:
        res["object"] = {o.kind for o in scene.objects} <= seen
    if scene.mention_backdrop or scene.kind == "text":
        res["backdrop"] = known and seen_backdrop == scene.backdrop
    if scene.kind in ("single", "count", "pair", "text"):
        _judge_old(pic, scene, res)
        return res
    objs = scene.objects
    if scene.kind == "hand":
        hand = read_hand(pic)
        res["fingers"] = hand is not None and count_fingers(hand) == objs[0].fingers
    elif scene.kind == "character" and scene.relation is None:
        res["character"] = read_character(pic, objs[0].name)
    else:
        blobs = things_blobs(pic, objs)
        res["colour"] = all(b is not None for b in blobs)
        if scene.kind == "group":
            res["count"] = _count_of(pic, known and seen_backdrop == scene.backdrop) == scene.count
        if scene.kind in ("sign", "lean") and objs[0].kind == "sign":
            res["text"] = read_sign(pic, objs[0]) == scene.word
        if scene.kind == "character":
            res["character"] = read_character(pic, objs[0].name, blobs[0])
        if scene.relation is not None and scene.kind != "lean":
            whole = [None if b is None else shaded_whole(pic, b, o, _taken(blobs, i))
                     for i, (b, o) in enumerate(zip(blobs, objs))]
            res["relation"] = res["colour"] and read_relation(scene.relation, *whole, *objs, pic)
        if scene.kind == "trio" and (bound := read_trio_binding(pic)) is not None:
            res["binding"] = bound
    if scene.mention_light and scene.light != "flat":
        if scene.time != "day":
            res["light"] = known and seen_time == scene.time
        elif any(o.kind != "sun" for o in objs):  # a sun glows unshaded: suns alone show no side to read
            lit = [b for b, o in zip([pic.blob(o.colour) for o in objs], objs) if b is not None and o.kind != "sun"]
            res["light"] = known and seen_time == "day" and bool(lit) and read_light_side(pic, lit[0]) == scene.light
    return res
