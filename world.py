"""The synthetic world: scene specs, their pictures, their captions, and a judge.

Everything here is plain numpy, deterministic from a seed, and fast (tens of thousands of
32x32 images per second), so training makes its data on the fly and the app can *measure*
what a generated image got right: the judge reads an image back against the spec it was asked for.

A scene is one of four kinds:
- ``single``: one shape, optionally with a size and a position ("a big red circle on the left");
- ``count``: n identical small shapes, n = 1..9 ("three red circles on a blue background");
- ``pair``: two shapes with different colours and a relation ("a red circle left of a blue square",
  "a red circle and a blue square");
- ``text``: a white sign with a short written word ('a sign that says "HI"').
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np
from scipy import ndimage

SIZE = 32  # pixels per side of every rendered image

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {**COLOURS, "gray": (128, 128, 128)}
OBJECT_COLOURS = list(COLOURS)
BACKGROUND_COLOURS = list(BACKGROUNDS)
SHAPES = ["circle", "square", "triangle"]
SIZES = {"small": 4.0, "big": 7.0}
POSITIONS = {"left": (8, 16), "right": (24, 16), "top": (16, 8), "bottom": (16, 24), "centre": (16, 16)}
RELATIONS = ["left of", "right of", "above", "below", "and"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
COUNT_RADIUS = 3.0
PAIR_RADIUS = 5.0

# A 3x5 pixel font for the written-word scenes (drawn at 2x: 6x10 pixels per letter).
_FONT_ROWS = {
    "A": ["010", "101", "111", "101", "101"], "B": ["110", "101", "110", "101", "110"],
    "C": ["011", "100", "100", "100", "011"], "D": ["110", "101", "101", "101", "110"],
    "E": ["111", "100", "110", "100", "111"], "F": ["111", "100", "110", "100", "100"],
    "G": ["011", "100", "101", "101", "011"], "H": ["101", "101", "111", "101", "101"],
    "I": ["111", "010", "010", "010", "111"], "K": ["101", "101", "110", "101", "101"],
    "L": ["100", "100", "100", "100", "111"], "N": ["110", "101", "101", "101", "101"],
    "O": ["010", "101", "101", "101", "010"], "P": ["110", "101", "110", "100", "100"],
    "R": ["110", "101", "110", "101", "101"], "S": ["011", "100", "010", "001", "110"],
    "T": ["111", "010", "010", "010", "010"], "U": ["101", "101", "101", "101", "111"],
    "X": ["101", "101", "010", "101", "101"], "Y": ["101", "101", "010", "010", "010"],
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows]) for ch, rows in _FONT_ROWS.items()}
LETTERS = "".join(FONT)
GLYPH_SCALE = 2
GLYPH_W, GLYPH_H, GLYPH_GAP = 3 * GLYPH_SCALE, 5 * GLYPH_SCALE, 2
WORDS = ["HI", "OK", "NO", "GO", "UP", "ON", "SO", "TO", "BY", "AX", "YES", "CAT", "DOG", "SUN",
         "BIG", "RED", "TOP", "FOX", "BOX", "HAT", "LOG", "PIG", "NET", "KEY"]


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    radius: float
    cx: float
    cy: float


@dataclass(frozen=True)
class Scene:
    """What a picture holds, and which of it the caption states (and so the judge checks)."""

    kind: str  # single | count | pair | text
    background: str
    objects: tuple[Obj, ...] = ()
    size: Optional[str] = None  # single: "small"/"big" when stated
    position: Optional[str] = None  # single: a key of POSITIONS when stated
    relation: Optional[str] = None  # pair: one of RELATIONS
    word: Optional[str] = None  # text
    sign_centre: tuple[float, float] = (16.0, 16.0)
    mention_background: bool = True

    @property
    def count(self) -> int:
        return len(self.objects)


# --------------------------------------------------------------------------- sampling

def _pick(rng: np.random.Generator, items, exclude=()):
    choices = [x for x in items if x not in exclude]
    return choices[int(rng.integers(len(choices)))]


SCENE_MIX = {"single": 0.35, "count": 0.30, "pair": 0.22, "text": 0.13}  # share of each kind in training data


def scene_shares(mix: Optional[dict[str, float]] = None) -> dict[str, float]:
    """``mix`` (kind -> weight; kinds left out get none) as probabilities over SCENE_MIX's kinds."""
    if mix is None:
        return SCENE_MIX
    unknown = sorted(set(mix) - set(SCENE_MIX))
    shares = {k: float(mix.get(k, 0.0)) for k in SCENE_MIX}
    total = sum(shares.values())
    if unknown or total <= 0 or min(shares.values()) < 0:
        raise ValueError(f"a scene mix needs non-negative shares of {', '.join(SCENE_MIX)} with a positive sum"
                         + (f"; unknown scene kind {unknown[0]!r}" if unknown else ""))
    return {k: v / total for k, v in shares.items()}


def sample_scene(rng: np.random.Generator, kind: Optional[str] = None,
                 mix: Optional[dict[str, float]] = None) -> Scene:
    """Draw a random scene. ``kind`` forces one of single/count/pair/text; ``mix`` reweights the kinds."""
    if kind is None:
        shares = scene_shares(mix)
        kind = str(rng.choice(list(shares), p=list(shares.values())))
    bg = _pick(rng, BACKGROUND_COLOURS)
    mention_bg = bool(rng.random() < 0.85)
    if kind == "single":
        return make_single(rng, _pick(rng, SHAPES), _pick(rng, OBJECT_COLOURS, exclude=(bg,)), bg,
                           size=_pick(rng, [None, "small", "big"]),
                           position=_pick(rng, [None, None, *POSITIONS]), mention_background=mention_bg)
    if kind == "count":
        return make_count(rng, int(rng.integers(1, 10)), _pick(rng, SHAPES),
                          _pick(rng, OBJECT_COLOURS, exclude=(bg,)), bg, mention_background=mention_bg)
    if kind == "pair":
        c1 = _pick(rng, OBJECT_COLOURS, exclude=(bg,))
        c2 = _pick(rng, OBJECT_COLOURS, exclude=(bg, c1))
        return make_pair(rng, (_pick(rng, SHAPES), c1), (_pick(rng, SHAPES), c2), _pick(rng, RELATIONS), bg,
                         mention_background=mention_bg)
    if kind == "text":
        word = _pick(rng, WORDS) if rng.random() < 0.5 else "".join(
            LETTERS[int(i)] for i in rng.integers(len(LETTERS), size=int(rng.integers(2, 4))))
        return make_text(rng, word, _pick(rng, BACKGROUND_COLOURS, exclude=("white",)), mention_background=mention_bg)
    raise ValueError(f"unknown scene kind {kind!r}")


def _jitter(rng: Optional[np.random.Generator], amount: float) -> float:
    return 0.0 if rng is None else float(rng.uniform(-amount, amount))


def make_single(rng, shape, colour, background, size=None, position=None, mention_background=True) -> Scene:
    radius = SIZES[size] if size else SIZES[_pick(rng, list(SIZES))] if rng is not None else SIZES["big"]
    if position:
        cx, cy = POSITIONS[position]
        cx, cy = cx + _jitter(rng, 1.5), cy + _jitter(rng, 1.5)
    else:
        lo, hi = radius + 1, SIZE - radius - 1
        cx, cy = (float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))) if rng is not None else (16.0, 16.0)
    return Scene("single", background, (Obj(shape, colour, radius, cx, cy),), size=size, position=position,
                 mention_background=mention_background)


def make_count(rng, n, shape, colour, background, mention_background=True) -> Scene:
    if not 1 <= n <= 9:
        raise ValueError("count must be 1..9")
    cells = rng.permutation(9)[:n] if rng is not None else np.arange(n)
    step = SIZE / 3
    objs = tuple(Obj(shape, colour, COUNT_RADIUS, (c % 3 + 0.5) * step + _jitter(rng, 1.0),
                     (c // 3 + 0.5) * step + _jitter(rng, 1.0)) for c in sorted(int(c) for c in cells))
    return Scene("count", background, objs, mention_background=mention_background)


def count_twins(rng: np.random.Generator) -> tuple[tuple[Scene, str], tuple[Scene, str]]:
    """Two count scenes that differ by one object only, with their captions: N things (N from 1 to 8) and the
    same N things plus one more in a free cell, captioned alike but for the number ("two red circles on blue",
    "three red circles on blue"). Trained with the same noise, a pair shows the model the one difference the
    number makes: where it draws the extra object from the same noisy picture (a minimal pair)."""
    bg = _pick(rng, BACKGROUND_COLOURS)
    shape, colour = _pick(rng, SHAPES), _pick(rng, OBJECT_COLOURS, exclude=(bg,))
    n = int(rng.integers(1, 9))
    mention_bg = bool(rng.random() < 0.85)
    cells = [int(c) for c in rng.permutation(9)[:n + 1]]
    step = SIZE / 3
    objs = {c: Obj(shape, colour, COUNT_RADIUS, (c % 3 + 0.5) * step + _jitter(rng, 1.0),
                   (c // 3 + 0.5) * step + _jitter(rng, 1.0)) for c in cells}
    phrasing = int(rng.integers(2**31))
    out = []
    for chosen in (cells[:n], cells):
        scene = Scene("count", bg, tuple(objs[c] for c in sorted(chosen)), mention_background=mention_bg)
        out.append((scene, caption(scene, np.random.default_rng(phrasing))))
    return out[0], out[1]


def make_pair(rng, first, second, relation, background, mention_background=True) -> Scene:
    """``first``/``second`` are (shape, colour); the caption reads "first <relation> second"."""
    axis_horizontal = relation in ("left of", "right of") or (relation == "and" and (rng is None or rng.random() < 0.5))
    a, b = (9.0, 23.0)
    if relation in ("right of", "below"):
        a, b = b, a
    if relation == "and" and rng is not None and rng.random() < 0.5:
        a, b = b, a
    other = 16.0
    if axis_horizontal:
        pa = (a + _jitter(rng, 1.5), other + _jitter(rng, 3.0))
        pb = (b + _jitter(rng, 1.5), other + _jitter(rng, 3.0))
    else:
        pa = (other + _jitter(rng, 3.0), a + _jitter(rng, 1.5))
        pb = (other + _jitter(rng, 3.0), b + _jitter(rng, 1.5))
    objs = (Obj(first[0], first[1], PAIR_RADIUS, *pa), Obj(second[0], second[1], PAIR_RADIUS, *pb))
    return Scene("pair", background, objs, relation=relation, mention_background=mention_background)


def make_text(rng, word, background, mention_background=True) -> Scene:
    word = word.upper()
    if not 1 <= len(word) <= 3 or any(ch not in FONT for ch in word):
        raise ValueError(f"words are 1-3 letters from {LETTERS}")
    centre = (16.0 + round(_jitter(rng, 2.0)), 16.0 + round(_jitter(rng, 2.0)))
    return Scene("text", background, word=word, sign_centre=centre, mention_background=mention_background)


# --------------------------------------------------------------------------- rendering

_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5


def shape_mask(shape: str, cx: float, cy: float, r: float) -> np.ndarray:
    dx, dy = _XX - cx, _YY - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        s = r * 0.88
        return (np.abs(dx) <= s) & (np.abs(dy) <= s)
    if shape == "triangle":
        t = (dy + r) / (2 * r)  # 0 at the apex (top), 1 at the base
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= t * r * 1.1)
    raise ValueError(f"unknown shape {shape!r}")


def _word_box(scene: Scene) -> tuple[int, int, int, int]:
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
        x0, y0, hw, hh = _word_box(scene)
        cx, cy = (int(round(v)) for v in scene.sign_centre)
        img[cy - hh:cy + hh, cx - hw - 1:cx + hw + 1] = COLOURS["white"]
        for i, ch in enumerate(scene.word):
            glyph = np.kron(FONT[ch], np.ones((GLYPH_SCALE, GLYPH_SCALE), bool))
            gx = x0 + i * (GLYPH_W + GLYPH_GAP)
            img[y0:y0 + GLYPH_H, gx:gx + GLYPH_W][glyph] = COLOURS["black"]
    return img


# --------------------------------------------------------------------------- captions

def _plural(shape: str) -> str:
    return shape + "s"


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _number(n: int, rng) -> str:
    return str(n) if rng is not None and rng.random() < 0.3 else NUMBER_WORDS[n]


def _with_background(text: str, scene: Scene, rng) -> str:
    if not scene.mention_background:
        return text
    bg = scene.background
    forms = [f"{text} on {_a(bg)} {bg} background", f"{text}, {bg} background", f"{text} on {bg}",
             f"{text} with {_a(bg)} {bg} background"]
    return forms[0] if rng is None else forms[int(rng.integers(len(forms)))]


_POSITION_PHRASES = {
    "left": ["on the left", "at the left"], "right": ["on the right", "at the right"],
    "top": ["at the top", "on top"], "bottom": ["at the bottom", "on the bottom"],
    "centre": ["in the centre", "in the center", "in the middle"],
}


def caption(scene: Scene, rng: Optional[np.random.Generator] = None) -> str:
    """A plain caption of what the scene states. With ``rng`` the phrasing varies; without, it is canonical."""
    def choose(options):
        return options[0] if rng is None else options[int(rng.integers(len(options)))]

    if scene.kind == "single":
        o = scene.objects[0]
        noun = f"{scene.size} {o.colour} {o.shape}" if scene.size else f"{o.colour} {o.shape}"
        text = choose([f"{_a(noun)} {noun}", f"one {noun}", f"{noun}"])
        if scene.position:
            text = f"{text} {choose(_POSITION_PHRASES[scene.position])}"
        return _with_background(text, scene, rng)
    if scene.kind == "count":
        o, n = scene.objects[0], scene.count
        noun = f"{o.colour} {o.shape if n == 1 else _plural(o.shape)}"
        return _with_background(f"{_number(n, rng)} {noun}", scene, rng)
    if scene.kind == "pair":
        a, b = scene.objects
        rel = scene.relation
        if rel in ("left of", "right of") and rng is not None and rng.random() < 0.4:
            rel = f"to the {rel}"
        return _with_background(f"{_a(a.colour)} {a.colour} {a.shape} {rel} {_a(b.colour)} {b.colour} {b.shape}",
                                scene, rng)
    if scene.kind == "text":
        text = choose([f'a sign that says "{scene.word}"', f'a sign reading "{scene.word}"',
                       f'the word "{scene.word}" on a sign'])
        return _with_background(text, scene, rng)
    raise ValueError(scene.kind)


def sample_batch(seed: int, n: int, mix: Optional[dict[str, float]] = None
                 ) -> tuple[np.ndarray, list[str], list[Scene]]:
    """``n`` random scenes from ``seed``: images (n, 32, 32, 3) uint8, captions, specs (``mix``: see sample_scene)."""
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng, mix=mix) for _ in range(n)]
    images = np.stack([render(s) for s in scenes])
    captions = [caption(s, rng) for s in scenes]
    return images, captions, scenes


# --------------------------------------------------------------------------- the judge

def nearest_colour(rgb, palette: dict[str, tuple[int, int, int]]) -> str:
    names = list(palette)
    ref = np.array([palette[k] for k in names], np.float32)
    d = ((ref - np.asarray(rgb, np.float32)) ** 2).sum(-1)
    return names[int(d.argmin())]


def _palette_labels(img: np.ndarray, names: list[str]) -> np.ndarray:
    ref = np.array([BACKGROUNDS[k] for k in names], np.float32)
    d = ((img[:, :, None, :].astype(np.float32) - ref[None, None]) ** 2).sum(-1)
    return d.argmin(-1)


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
    cx, cy = float((w * _XX).sum() / area), float((w * _YY).sum() / area)
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


def _components(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
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
    for comp in _components(fg, 4):
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
    comps = _components(white, 20)
    if not comps:
        return None
    sign = max(comps, key=lambda m: m.sum())
    ys, xs = np.nonzero(ndimage.binary_fill_holes(sign))
    cx, cy = (xs.min() + xs.max() + 1) / 2.0, (ys.min() + ys.max() + 1) / 2.0
    probe = Scene("text", "gray", word="A" * n_letters, sign_centre=(cx, cy))
    x0, y0, _, _ = _word_box(probe)
    dark = (img.astype(np.float32).mean(-1) < 100).astype(np.float32)
    out = []
    for i in range(n_letters):
        gx = x0 + i * (GLYPH_W + GLYPH_GAP)
        cell = np.zeros((GLYPH_H, GLYPH_W), np.float32)
        ys0, xs0 = max(y0, 0), max(gx, 0)
        patch = dark[ys0:y0 + GLYPH_H, xs0:gx + GLYPH_W]
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
        comps = _components(masks[want.colour], 4) if want.colour in masks else []
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
            ba = max(_components(ma, 4) or [ma], key=lambda m: m.sum())
            bb = max(_components(mb, 4) or [mb], key=lambda m: m.sum())
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


def with_background(scene: Scene, background: str) -> Scene:
    return replace(scene, background=background)


_FLIPPED = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}


def hard_negative(scene: Scene, rng: np.random.Generator) -> Scene:
    """The scene with one thing its caption states changed: another shape, colour, size, position or count, the
    colours of a pair swapped, its relation flipped, a letter of a sign's word changed. For contrastive training
    (NegCLIP's hard negatives): told apart only by that one word or by word order, the captions make a text
    encoder keep shapes, counts and who-has-which-colour apart, which pictures drawn at random rarely demand."""
    def other(items, current, exclude=()):
        return _pick(rng, items, exclude=(current, *exclude))

    if scene.kind == "single":
        o = scene.objects[0]
        options = ["shape", "shape", "colour"] + ["position"] * bool(scene.position) + ["size"] * bool(scene.size)
        what = options[int(rng.integers(len(options)))]
        if what == "shape":
            return replace(scene, objects=(replace(o, shape=other(SHAPES, o.shape)),))
        if what == "colour":
            return replace(scene, objects=(replace(o, colour=other(OBJECT_COLOURS, o.colour, (scene.background,))),))
        if what == "position":
            return replace(scene, position=other(list(POSITIONS), scene.position))
        return replace(scene, size=other(list(SIZES), scene.size))
    if scene.kind == "count":
        o, n = scene.objects[0], scene.count
        if rng.random() < 0.25:
            return replace(scene, objects=tuple(replace(x, shape=other(SHAPES, o.shape)) for x in scene.objects))
        m = n + (1 if n == 1 else -1 if n == 9 else int(rng.choice([-1, 1])))
        return replace(scene, objects=tuple(o for _ in range(m)))  # the caption reads the count and the first object
    if scene.kind == "pair":
        a, b = scene.objects
        if scene.relation in _FLIPPED and rng.random() < 0.5:
            return replace(scene, relation=_FLIPPED[scene.relation])
        if a.shape == b.shape:  # swapping would say the same ("a red square and a blue square"): change one
            return replace(scene, objects=(a, replace(b, shape=other(SHAPES, b.shape))))
        if rng.random() < 0.5:
            return replace(scene, objects=(replace(a, shape=b.shape), replace(b, shape=a.shape)))
        return replace(scene, objects=(replace(a, colour=b.colour), replace(b, colour=a.colour)))
    if scene.kind == "text":
        i = int(rng.integers(len(scene.word)))
        word = scene.word[:i] + other(list(LETTERS), scene.word[i]) + scene.word[i + 1:]
        return replace(scene, word=word)
    raise ValueError(f"unknown scene kind {scene.kind!r}")
