"""Scene specs and how they are drawn at random: Obj and Scene, the four kinds' builders, the training
mix of kinds, and hard negatives (a scene with one stated thing changed)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .vocabulary import (BACKGROUND_COLOURS, COUNT_RADIUS, FLIPPED, FONT, LETTERS, OBJECT_COLOURS, PAIR_RADIUS,
                         POSITIONS, RELATIONS, SHAPES, SIZE, SIZES, WORDS)


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


def pick(rng: np.random.Generator, items, exclude=()):
    """One of ``items`` (but none of ``exclude``), uniformly at random."""
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
    bg = pick(rng, BACKGROUND_COLOURS)
    mention_bg = bool(rng.random() < 0.85)
    if kind == "single":
        return make_single(rng, pick(rng, SHAPES), pick(rng, OBJECT_COLOURS, exclude=(bg,)), bg,
                           size=pick(rng, [None, "small", "big"]),
                           position=pick(rng, [None, None, *POSITIONS]), mention_background=mention_bg)
    if kind == "count":
        return make_count(rng, int(rng.integers(1, 10)), pick(rng, SHAPES),
                          pick(rng, OBJECT_COLOURS, exclude=(bg,)), bg, mention_background=mention_bg)
    if kind == "pair":
        c1 = pick(rng, OBJECT_COLOURS, exclude=(bg,))
        c2 = pick(rng, OBJECT_COLOURS, exclude=(bg, c1))
        return make_pair(rng, (pick(rng, SHAPES), c1), (pick(rng, SHAPES), c2), pick(rng, RELATIONS), bg,
                         mention_background=mention_bg)
    if kind == "text":
        word = pick(rng, WORDS) if rng.random() < 0.5 else "".join(
            LETTERS[int(i)] for i in rng.integers(len(LETTERS), size=int(rng.integers(2, 4))))
        return make_text(rng, word, pick(rng, BACKGROUND_COLOURS, exclude=("white",)), mention_background=mention_bg)
    raise ValueError(f"unknown scene kind {kind!r}")


def _jitter(rng: Optional[np.random.Generator], amount: float) -> float:
    return 0.0 if rng is None else float(rng.uniform(-amount, amount))


def make_single(rng, shape, colour, background, size=None, position=None, mention_background=True) -> Scene:
    radius = SIZES[size] if size else SIZES[pick(rng, list(SIZES))] if rng is not None else SIZES["big"]
    if position:
        cx, cy = POSITIONS[position]
        cx, cy = cx + _jitter(rng, 1.5), cy + _jitter(rng, 1.5)
    else:
        lo, hi = radius + 1, SIZE - radius - 1
        cx, cy = (float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))) if rng is not None else (16.0, 16.0)
    return Scene("single", background, (Obj(shape, colour, radius, cx, cy),), size=size, position=position,
                 mention_background=mention_background)


def count_object(rng: Optional[np.random.Generator], cell: int, shape: str, colour: str) -> Obj:
    """A count scene's object in ``cell`` (0..8, row by row) of the 3x3 grid, jittered a little when ``rng``."""
    step = SIZE / 3
    return Obj(shape, colour, COUNT_RADIUS, (cell % 3 + 0.5) * step + _jitter(rng, 1.0),
               (cell // 3 + 0.5) * step + _jitter(rng, 1.0))


def make_count(rng, n, shape, colour, background, mention_background=True) -> Scene:
    if not 1 <= n <= 9:
        raise ValueError("count must be 1..9")
    cells = rng.permutation(9)[:n] if rng is not None else np.arange(n)
    objs = tuple(count_object(rng, c, shape, colour) for c in sorted(int(c) for c in cells))
    return Scene("count", background, objs, mention_background=mention_background)


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


def with_background(scene: Scene, background: str) -> Scene:
    return replace(scene, background=background)


def hard_negative(scene: Scene, rng: np.random.Generator) -> Scene:
    """The scene with one thing its caption states changed: another shape, colour, size, position or count, the
    colours of a pair swapped, its relation flipped, a letter of a sign's word changed. For contrastive training
    (NegCLIP's hard negatives): told apart only by that one word or by word order, the captions make a text
    encoder keep shapes, counts and who-has-which-colour apart, which pictures drawn at random rarely demand."""
    def other(items, current, exclude=()):
        return pick(rng, items, exclude=(current, *exclude))

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
        if scene.relation in FLIPPED and rng.random() < 0.5:
            return replace(scene, relation=FLIPPED[scene.relation])
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
