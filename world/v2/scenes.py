"""Scene specs and how they are drawn at random: Obj and Scene, a builder for each kind of scene, and the mix of
kinds in training data.

An object stands on its anchor: ``x`` is the middle of its footprint and ``y`` its bottom edge, both whole pixels,
so that where things stand on the ground, what rests on what and what is in front (lower in the picture is nearer)
all read off the spec. Today's four kinds (single, count, pair, text) are built as in ``world.scenes`` at twice the
scale, on plain backdrops, so the old categories can be measured on a model trained on this world.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .vocabulary import (CHARACTERS, CLASH, COUNT_SIZE, GLYPH_GAP, GLYPH_H, GLYPH_W, GROUND, HAIR_COLOURS,
                         HORIZON, KIND_COLOURS, KINDS, LEANERS, LETTERS, LIGHT_SIDES, NEW_RELATIONS, OBJECT_COLOURS,
                         OLD_COLOURS, OLD_WORDS, PAIR_SIZE, PLAIN, POSITIONS, RELATIONS, SCENIC, SHAPES, SIZE, SIZES,
                         SKINS, SMALL_KINDS, SUPPORTS, TOP, WALLS, WIDTH, WORDS)


@dataclass(frozen=True)
class Obj:
    """One thing in a scene. ``colour`` paints its first part (the one a caption names); ``parts`` names the paints
    of others where they differ from DEFAULT_PAINTS (a person's hair, a house's roof); a hat is there only if named."""

    kind: str  # a key of KINDS
    colour: str  # a key of PAINTS (of COLOURS, but for a hand's skin)
    size: int  # height in pixels
    x: int  # middle of its footprint
    y: int  # bottom edge: where it stands
    parts: tuple[tuple[str, str], ...] = ()
    fingers: int = 0  # a hand's
    word: str = ""  # a sign's
    flip: bool = False  # faces left (a car, a bicycle, a mug's handle) instead of right
    tilt: int = 0  # degrees its top leans to the right (negative: to the left)
    shadow: bool = False  # casts a shadow on the ground
    name: str = ""  # a character's name

    @property
    def width(self) -> float:
        if self.kind == "sign":
            return sign_width(self.word)
        return WIDTH[self.kind] * self.size


@dataclass(frozen=True)
class Scene:
    """What a picture holds, and which of it the caption states. Objects are in the caption's order."""

    kind: str  # a key of SCENE_MIX
    backdrop: str  # a key of BACKDROPS
    objects: tuple[Obj, ...] = ()
    light: str = "flat"  # flat (plain backdrops) or one of LIGHT_SIDES
    time: str = "day"  # one of TIMES
    relation: Optional[str] = None  # pair, relation, character: one of RELATIONS or NEW_RELATIONS
    size: Optional[str] = None  # single: "small"/"big" when stated
    position: Optional[str] = None  # single: a key of POSITIONS when stated
    shift: int = 0  # how far the backdrop's texture is moved left, 0..15 pixels
    mention_backdrop: bool = True
    mention_light: bool = True

    @property
    def count(self) -> int:
        return len(self.objects)

    @property
    def word(self) -> str:
        return next((o.word for o in self.objects if o.kind == "sign"), "")


DEFAULT_PAINTS: dict[str, dict[str, str]] = {
    "house": {"roof": "brown", "door": "brown", "windows": "glass"}, "tree": {"trunk": "bark"},
    "car": {"windows": "glass", "wheels": "tyre", "hubs": "steel"},
    "bicycle": {"wheels": "tyre", "spokes": "steel", "handlebar": "steel", "saddle": "saddle"},
    "person": {"head": "skin light", "hair": "brown", "legs": "pants"}, "sign": {"letters": "black", "post": "wood"},
}


def paint(obj: Obj, part: str) -> str:
    """The paint of ``obj``'s ``part``: its colour for the first part and for parts that have no paint of their own
    (a sun's rays, a mug's handle, a hand's fingers), else the one named in ``parts``, else the default."""
    if part == KINDS[obj.kind][0]:
        return obj.colour
    return dict(obj.parts).get(part) or DEFAULT_PAINTS.get(obj.kind, {}).get(part, obj.colour)


def sign_width(word: str) -> int:
    """A sign's board: the word's letters and a 3-pixel margin either side."""
    return len(word) * (GLYPH_W + GLYPH_GAP) - GLYPH_GAP + 6


SIGN_BOARD = GLYPH_H + 6  # a sign's board height
SIZE_RANGES = {"circle": (14, 30), "square": (14, 30), "triangle": (14, 30), "house": (26, 42), "tree": (28, 46),
               "sun": (14, 24), "car": (16, 24), "bicycle": (26, 36), "mug": (16, 28), "hand": (38, 50),
               "person": (32, 46), "sign": (28, 40)}  # heights an object alone is drawn at
DARK = {"black", "blue", "purple", "brown", "red", "green"}  # boards whose letters are white

TRIO_KINDS = SMALL_KINDS + ["person", "bicycle"]  # what a trio's things may be

SCENE_MIX = {"single": 0.12, "count": 0.10, "pair": 0.08, "text": 0.05,  # today's four, on plain backdrops
             "object": 0.15, "relation": 0.15, "group": 0.08, "trio": 0.05, "hand": 0.06, "character": 0.08,
             "sign": 0.05, "lean": 0.03}


def pick(rng: np.random.Generator, items, exclude=()):
    """One of ``items`` (but none of ``exclude``), uniformly at random."""
    choices = [x for x in items if x not in exclude]
    return choices[int(rng.integers(len(choices)))]


def _int(rng: np.random.Generator, lo: float, hi: float) -> int:
    """A whole number in [lo, hi] (the bounds rounded inwards; lo when they cross)."""
    lo, hi = int(np.ceil(lo)), int(np.floor(hi))
    return lo if hi <= lo else int(rng.integers(lo, hi + 1))


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


def lighting(rng: np.random.Generator, backdrop: str) -> tuple[str, str]:
    """(side, time) for a backdrop: plain ones are lit flat by day, as today; sunset light comes from a side."""
    if backdrop in PLAIN:
        return "flat", "day"
    time = str(rng.choice(["day", "sunset", "night"], p=[0.6, 0.22, 0.18]))
    return pick(rng, LIGHT_SIDES, exclude=("above",) if time == "sunset" else ()), time


def colour_for(rng: np.random.Generator, kind: str, backdrop: str, avoid=()) -> str:
    """A colour a ``kind`` comes in (trees and suns have their own) that shows on ``backdrop``, none of ``avoid``."""
    clash = (backdrop,) if backdrop in PLAIN else () if kind == "tree" else CLASH[backdrop]
    return pick(rng, KIND_COLOURS.get(kind, OBJECT_COLOURS), exclude=(*clash, *avoid))


def thing(rng: np.random.Generator, kind: str, backdrop: str, avoid=(), size: Optional[int] = None) -> Obj:
    """An object of ``kind`` at the origin, in colours that show on ``backdrop`` (none of ``avoid``), with its
    other parts' paints, facing and (hand) fingers drawn at random."""
    lo, hi = SIZE_RANGES[kind]
    size = size or _int(rng, lo, hi)
    if kind == "hand":
        return Obj("hand", pick(rng, SKINS), size, 0, 0, fingers=int(rng.integers(1, 7)))
    colour = colour_for(rng, kind, backdrop, avoid)
    if kind == "person":
        return person(rng, size, colour)
    if kind == "sign":
        colour = "white" if rng.random() < 0.5 and backdrop != "white" else colour
        letters = "white" if colour in DARK else "black"
        return Obj("sign", colour, max(size, SIGN_BOARD + 8), 0, 0, parts=(("letters", letters),),
                   word=pick(rng, WORDS))
    parts: tuple[tuple[str, str], ...] = ()
    if kind == "house":
        parts = (("roof", pick(rng, ["red", "brown", "gray", "blue", "black"], exclude=(colour,))),)
    flip = bool(rng.random() < 0.5) and kind in ("car", "bicycle", "mug")
    return Obj(kind, colour, size, 0, 0, parts=parts, flip=flip)


def person(rng: np.random.Generator, size: int, body: str) -> Obj:
    """A person in a ``body`` shirt with random hair and hat (or none), never dressed exactly as a named character."""
    while True:
        hair, hat = pick(rng, HAIR_COLOURS), (pick(rng, OBJECT_COLOURS) if rng.random() < 0.5 else "")
        if all((c["body"], c["hair"], c["hat"]) != (body, hair, hat) for c in CHARACTERS.values()):
            break
    parts = (("head", pick(rng, SKINS)), ("hair", hair)) + ((("hat", hat),) if hat else ())
    return Obj("person", body, size, 0, 0, parts=parts, flip=bool(rng.random() < 0.5))


def character(name: str, size: int) -> Obj:
    """A named character: a person whose shirt, hair, hat and skin are always the same."""
    c = CHARACTERS[name]
    parts = (("head", c["skin"]), ("hair", c["hair"])) + ((("hat", c["hat"]),) if c["hat"] else ())
    return Obj("person", c["body"], size, 0, 0, parts=parts, name=name)


def fit_within(obj: Obj, max_w: float, max_h: float) -> Obj:
    """``obj`` shrunk, if need be, to fit max_w x max_h (a sign shortens its post, and its word if it must)."""
    if obj.kind == "sign":
        word = obj.word
        while len(word) > 2 and sign_width(word) > max_w:
            word = word[:-1]
        return replace(obj, size=int(min(obj.size, max(max_h, SIGN_BOARD))), word=word)
    return replace(obj, size=int(min(obj.size, max_h, max_w / WIDTH[obj.kind])))


def _stand(rng, obj: Obj, backdrop: str, x: Optional[float] = None, y: Optional[int] = None,
           room_above: int = 2) -> Obj:
    """``obj`` standing on the ground at ``x`` (random if None) and row ``y`` (random if None, leaving ``room_above``
    rows above it in the frame), inside the frame.
    On a scenic backdrop it casts a shadow; a sun floats in the sky instead and a hand rises from the bottom edge.
    A thing that leans swings its top sideways by up to its height times the sine of its tilt: kept inside too (a
    leaning sign's first letter was cut by the picture's edge)."""
    half = obj.width / 2 + obj.size * abs(np.sin(np.radians(obj.tilt)))
    x = _int(rng, half + 1, SIZE - half - 1) if x is None else int(round(min(max(x, half + 1), SIZE - half - 1)))
    if obj.kind == "hand":
        return replace(obj, x=x, y=SIZE + 2)
    if obj.kind == "sun":
        top = HORIZON.get(backdrop, SIZE - 2)
        return replace(obj, x=x, y=_int(rng, obj.size + 2, min(top - 2, obj.size + 14)) if y is None else y)
    lo, hi = GROUND.get(backdrop, (obj.size + 2, SIZE - 2))
    y = _int(rng, max(lo, obj.size + room_above), hi) if y is None else y
    return replace(obj, x=x, y=int(y), shadow=backdrop in SCENIC)


def sample_scene(rng: np.random.Generator, kind: Optional[str] = None,
                 mix: Optional[dict[str, float]] = None) -> Scene:
    """Draw a random scene. ``kind`` forces one of SCENE_MIX's kinds; ``mix`` reweights them."""
    if kind is None:
        shares = scene_shares(mix)
        kind = str(rng.choice(list(shares), p=list(shares.values())))
    mention_bg = bool(rng.random() < 0.85)
    if kind in ("single", "count", "pair", "text"):
        bg = pick(rng, PLAIN)
        if kind == "single":
            return make_single(rng, pick(rng, SHAPES), pick(rng, OLD_COLOURS, exclude=(bg,)), bg,
                               size=pick(rng, [None, "small", "big"]), position=pick(rng, [None, None, *POSITIONS]),
                               mention_backdrop=mention_bg)
        if kind == "count":
            return make_count(rng, int(rng.integers(1, 10)), pick(rng, SHAPES), pick(rng, OLD_COLOURS, exclude=(bg,)),
                              bg, mention_backdrop=mention_bg)
        if kind == "pair":
            c1 = pick(rng, OLD_COLOURS, exclude=(bg,))
            c2 = pick(rng, OLD_COLOURS, exclude=(bg, c1))
            return make_pair(rng, (pick(rng, SHAPES), c1), (pick(rng, SHAPES), c2), pick(rng, RELATIONS), bg,
                             mention_backdrop=mention_bg)
        word = pick(rng, OLD_WORDS) if rng.random() < 0.5 else "".join(
            LETTERS[int(i)] for i in rng.integers(len(LETTERS), size=int(rng.integers(2, 4))))
        return make_text(rng, word, pick(rng, PLAIN, exclude=("white",)), mention_backdrop=mention_bg)
    bg = pick(rng, SCENIC) if kind in ("group", "trio", "character") or rng.random() < 0.7 else pick(rng, PLAIN)
    light, time = lighting(rng, bg)
    mention = {"mention_backdrop": mention_bg, "mention_light": bool(rng.random() < 0.7)}
    if kind == "object":
        obj = thing(rng, pick(rng, [k for k in KINDS if k not in ("hand", "sign")]), bg)
        return make_object(rng, obj, bg, light, time, **mention)
    if kind == "hand":
        return make_object(rng, thing(rng, "hand", bg), bg, light, time, kind="hand", **mention)
    if kind == "sign":
        obj = thing(rng, "sign", bg)
        if rng.random() < 0.3:  # a random string, so letters are learnt and not only words
            obj = replace(obj, word="".join(LETTERS[int(i)] for i in rng.integers(len(LETTERS),
                                                                                size=int(rng.integers(2, 6)))))
        return make_object(rng, obj, bg, light, time, kind="sign", **mention)
    if kind == "relation":
        relation = pick(rng, NEW_RELATIONS + RELATIONS[:4])
        a, b = _relation_kinds(rng, relation)
        first = thing(rng, a, bg)
        second = thing(rng, b, bg, avoid=(first.colour,))
        return make_relation(rng, first, second, relation, bg, light, time, **mention)
    if kind == "group":
        what = pick(rng, SMALL_KINDS)
        return make_count(rng, int(rng.integers(1, 10)), what, colour_for(rng, what, bg), bg, light, time, **mention)
    if kind == "trio":
        kinds = [pick(rng, TRIO_KINDS) for _ in range(3)]
        return make_trio(rng, [thing(rng, k, bg) for k in kinds], bg, light, time, **mention)
    if kind == "character":
        name = pick(rng, list(CHARACTERS))
        other, relation = None, None
        if rng.random() < 0.5:
            relation = pick(rng, ["in front of", "next to", "left of", "right of", "behind"])
            other = thing(rng, pick(rng, ["house", "tree", "car", "bicycle", "sign", "person"]), bg)
        return make_character(rng, name, bg, light, time, other, relation, **mention)
    if kind == "lean":
        wall = pick(rng, WALLS)
        light, time = lighting(rng, wall)
        return make_lean(rng, thing(rng, pick(rng, LEANERS), wall), wall, light, time, **mention)
    raise ValueError(f"unknown scene kind {kind!r}")


def _relation_kinds(rng, relation: str) -> tuple[str, str]:
    """Kinds of the first and second object that ``relation`` can hold between."""
    anything = ["circle", "square", "triangle", "house", "tree", "car", "bicycle", "mug", "person", "sign"]
    if relation == "on top of":
        return pick(rng, ["circle", "triangle", "square", "mug"]), pick(rng, list(TOP))
    if relation == "leaning against":
        return pick(rng, LEANERS), pick(rng, SUPPORTS)
    floating = SHAPES + ["sun"]
    if relation == "above":
        return pick(rng, floating), pick(rng, anything)
    if relation == "below":
        return pick(rng, anything), pick(rng, floating)
    return pick(rng, anything), pick(rng, anything)


def _jitter(rng: Optional[np.random.Generator], amount: float) -> float:
    return 0.0 if rng is None else float(rng.uniform(-amount, amount))


def _centred(obj: Obj, cx: float, cy: float) -> Obj:
    """``obj`` with its middle at (cx, cy)."""
    return replace(obj, x=int(round(cx)), y=int(round(cy + obj.size / 2)))


def make_single(rng, shape, colour, backdrop, size=None, position=None, mention_backdrop=True) -> Scene:
    """Today's single shape: a stated size and position, or random ones."""
    height = SIZES[size] if size else SIZES[pick(rng, list(SIZES))] if rng is not None else SIZES["big"]
    if position:
        cx, cy = POSITIONS[position]
        cx, cy = cx + _jitter(rng, 3), cy + _jitter(rng, 3)
    else:
        lo, hi = height / 2 + 2, SIZE - height / 2 - 2
        cx, cy = (float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))) if rng is not None else (32.0, 32.0)
    obj = _centred(Obj(shape, colour, height, 0, 0), cx, cy)
    return Scene("single", backdrop, (obj,), size=size, position=position, mention_backdrop=mention_backdrop)


SHALLOW_GROUND = frozenset(b for b, (lo, hi) in GROUND.items() if hi - lo < 12)


def count_cell(rng: Optional[np.random.Generator], cell: int, obj: Obj, backdrop: str) -> Obj:
    """A count scene's object in ``cell`` (0..8, row by row) of a 3x3 grid, jittered a little when ``rng``: the
    whole picture on a plain backdrop; on a scenic one, three rows of things standing on the ground, the middle
    row moved half a cell sideways so that no thing stands right behind another."""
    step = SIZE / 3
    row, col = divmod(cell, 3)
    if backdrop in PLAIN:
        return _centred(obj, (col + 0.5) * step + _jitter(rng, 2.0), (row + 0.5) * step + _jitter(rng, 2.0))
    lo, hi = GROUND[backdrop]
    lo = max(lo, obj.size + 2)
    cx = (col + 0.5 + (0.25 if row == 1 else -0.25)) * step + _jitter(rng, 1.0) + 2
    return _stand(None, obj, backdrop, cx, int(round(lo + row * (hi - lo) / 2 + _jitter(rng, 1.0))))


def make_count(rng, n, kind, colour, backdrop, light="flat", time="day", mention_backdrop=True,
               mention_light=True) -> Scene:
    """n alike small things: today's "count" (shapes on a plain backdrop) or a "group" (any small kind, anywhere)."""
    if not 1 <= n <= 9:
        raise ValueError("count must be 1..9")
    cells = rng.permutation(9)[:n] if rng is not None else np.arange(n)
    # a car is small, to fit a cell; on a shallow ground (a wall's floor, a beach by the water: 10 rows for three rows
    # of things) a pixel smaller, or the rows hide too much of each other to count (true pictures of groups there
    # were counted right 0.88 of the time, 0.93 at this size; 1.00 on the other backdrops)
    size = COUNT_SIZE - 1 if backdrop in SHALLOW_GROUND else COUNT_SIZE
    template = fit_within(Obj(kind, colour, size, 0, 0), SIZE / 3 - 8, size)
    if kind == "house":
        template = replace(template, parts=(("roof", "red" if colour != "red" else "brown"),))
    objs = tuple(count_cell(rng, int(c), template, backdrop) for c in sorted(int(c) for c in cells))
    scene_kind = "count" if backdrop in PLAIN and kind in SHAPES else "group"
    return Scene(scene_kind, backdrop, objs, light, time, mention_backdrop=mention_backdrop,
                 mention_light=mention_light)


def make_pair(rng, first, second, relation, backdrop, mention_backdrop=True) -> Scene:
    """Today's pair: ``first``/``second`` are (shape, colour); the caption reads "first <relation> second"."""
    horizontal = relation in ("left of", "right of") or (relation == "and" and (rng is None or rng.random() < 0.5))
    a, b = (18.0, 46.0)
    if relation in ("right of", "below"):
        a, b = b, a
    if relation == "and" and rng is not None and rng.random() < 0.5:
        a, b = b, a
    other = 32.0
    if horizontal:
        pa = (a + _jitter(rng, 3), other + _jitter(rng, 6))
        pb = (b + _jitter(rng, 3), other + _jitter(rng, 6))
    else:
        pa = (other + _jitter(rng, 6), a + _jitter(rng, 3))
        pb = (other + _jitter(rng, 6), b + _jitter(rng, 3))
    objs = (_centred(Obj(first[0], first[1], PAIR_SIZE, 0, 0), *pa),
            _centred(Obj(second[0], second[1], PAIR_SIZE, 0, 0), *pb))
    return Scene("pair", backdrop, objs, relation=relation, mention_backdrop=mention_backdrop)


def make_text(rng, word, backdrop, mention_backdrop=True) -> Scene:
    """Today's sign: a white board with a short black word, no post."""
    word = word.upper()
    if not 1 <= len(word) <= 5 or any(ch not in LETTERS for ch in word):
        raise ValueError(f"words are 1-5 letters from {LETTERS}")
    board = Obj("sign", "white", SIGN_BOARD, 0, 0, word=word)
    obj = _centred(board, 32 + round(_jitter(rng, 4)), 32 + round(_jitter(rng, 4)))
    return Scene("text", backdrop, (obj,), mention_backdrop=mention_backdrop)


def make_object(rng, obj: Obj, backdrop, light="flat", time="day", kind="object", mention_backdrop=True,
                mention_light=True) -> Scene:
    """One thing (an "object", a "hand" or a "sign" scene) standing somewhere on the backdrop."""
    obj = fit_within(obj, SIZE - 4, SIZE - 4)
    return Scene(kind, backdrop, (_stand(rng, obj, backdrop),), light, time, shift=_int(rng, 0, 15),
                 mention_backdrop=mention_backdrop, mention_light=mention_light)


def _side_by_side(rng, objs: list[Obj], backdrop: str, y: Optional[int] = None) -> list[Obj]:
    """``objs`` shrunk to share the width and standing left to right on the same stretch of ground."""
    room = SIZE - 4 - 3 * (len(objs) - 1)
    objs = [fit_within(o, room * o.width / sum(p.width for p in objs), SIZE - 20) for o in objs]
    gaps = max(SIZE - 4 - sum(o.width for o in objs), 0)
    x = 2 + rng.uniform(0, gaps / len(objs))
    if y is None:
        lo, hi = GROUND.get(backdrop, (40, 58))
        y = _int(rng, max(lo, max(o.size for o in objs) + 2), hi)
    placed = []
    for o in objs:
        placed.append(_stand(rng, o, backdrop, x + o.width / 2, y + int(rng.integers(-1, 2))))
        x += o.width + gaps / len(objs)
    return placed


ON_TOP_ROOM = 12  # rows a thing on top of another has at least


def make_relation(rng, first: Obj, second: Obj, relation: str, backdrop, light="flat", time="day",
                  kind="relation", mention_backdrop=True, mention_light=True) -> Scene:
    """Two things in a relation, the caption reading "first <relation> second"."""
    a, b = first, second
    if relation in ("left of", "right of", "next to", "and"):
        left_first = relation == "left of" or (relation != "right of" and rng.random() < 0.5)
        pair = _side_by_side(rng, [a, b] if left_first else [b, a], backdrop)
        a, b = pair if left_first else pair[::-1]
    elif relation in ("in front of", "behind"):
        near, far = (a, b) if relation == "in front of" else (b, a)
        near, far = fit_within(near, 34, SIZE - 22), fit_within(far, 40, SIZE - 16)
        lo, hi = GROUND.get(backdrop, (40, 58))
        y = _int(rng, max(lo, far.size + 2), hi - 5)
        side = 1 if rng.random() < 0.5 else -1
        cx = SIZE / 2 + _jitter(rng, 4)
        offset = near.width / 2 + far.width / 10  # the near one hides at most about half of the far one
        far = _stand(rng, far, backdrop, cx - side * offset / 2, y)
        near = _stand(rng, near, backdrop, cx + side * offset / 2, y + _int(rng, 4, 6))
        a, b = (near, far) if relation == "in front of" else (far, near)
    elif relation in ("above", "below"):
        up, down = (a, b) if relation == "above" else (b, a)
        up, down = fit_within(up, 24, 18), fit_within(down, 44, 34)
        lo, hi = GROUND.get(backdrop, (down.size + up.size + 8, SIZE - 2))
        down = _stand(rng, down, backdrop, y=_int(rng, max(lo, down.size + up.size + 8), hi))
        up = replace(up, x=int(np.clip(down.x + round(_jitter(rng, 3)), up.width / 2 + 1, SIZE - up.width / 2 - 1)),
                     y=down.y - down.size - _int(rng, 3, 6))
        a, b = (up, down) if relation == "above" else (down, up)
    elif relation == "on top of":
        b = fit_within(b, 40, 30)  # standing low enough for a thing of 12 rows or more on its top (a red triangle
        # on a square standing high in a plain picture was 2 pixels: its true picture showed no triangle)
        b = _stand(rng, b, backdrop, room_above=ON_TOP_ROOM + 2 - int(round((1 - TOP[b.kind]) * b.size)))
        a = fit_within(a, b.width * 0.6, min(b.y - round(TOP[b.kind] * b.size) - 2, 20))
        roof = -0.114 * b.size * (-1 if b.flip else 1) if b.kind == "car" else 0.0
        a = replace(a, x=int(round(b.x + roof)), y=b.y - int(round(TOP[b.kind] * b.size)))
    elif relation == "leaning against":
        b = fit_within(b, 34, SIZE - 20)
        reach = {"house": 0.5, "tree": 0.07, "car": 0.95, "square": 0.44}[b.kind] * b.size  # b's side from its middle
        a = fit_within(a, (SIZE - 6 - b.width / 2 - reach) / 0.95, b.size * 1.1)
        side = 1 if rng.random() < 0.5 else -1  # which side of b the leaner stands on
        lo, hi = GROUND.get(backdrop, (40, 58))
        y = _int(rng, max(lo, b.size + 2), hi - 3)
        total = reach + a.width * 0.45  # from b's middle to a's
        span = b.width / 2 + total + a.width / 2
        b = _stand(rng, b, backdrop, SIZE / 2 - side * (span / 2 - b.width / 2) + _jitter(rng, 2), y)
        a = _stand(rng, replace(a, tilt=-side * 10), backdrop, b.x + side * total, y + 2)
    else:
        raise ValueError(f"unknown relation {relation!r}")
    return Scene(kind, backdrop, (a, b), light, time, relation=relation, shift=_int(rng, 0, 15),
                 mention_backdrop=mention_backdrop, mention_light=mention_light)


def make_trio(rng, objs: list[Obj], backdrop, light="flat", time="day", mention_backdrop=True,
              mention_light=True) -> Scene:
    """Three things side by side, the caption naming them left to right."""
    return Scene("trio", backdrop, tuple(_side_by_side(rng, objs, backdrop)), light, time, shift=_int(rng, 0, 15),
                 mention_backdrop=mention_backdrop, mention_light=mention_light)


def make_character(rng, name: str, backdrop, light="flat", time="day", other: Optional[Obj] = None,
                   relation: Optional[str] = None, mention_backdrop=True, mention_light=True) -> Scene:
    """A named character somewhere, alone or in a relation to another thing ("Pip in front of a house")."""
    hero = character(name, _int(rng, 34, 46))
    if other is None:
        return make_object(rng, hero, backdrop, light, time, kind="character", mention_backdrop=mention_backdrop,
                           mention_light=mention_light)
    return make_relation(rng, hero, other, relation, backdrop, light, time, kind="character",
                         mention_backdrop=mention_backdrop, mention_light=mention_light)


def make_lean(rng, obj: Obj, wall: str, light="flat", time="day", mention_backdrop=True,
              mention_light=True) -> Scene:
    """The lesson's picture: a thing leaning against a wall, tilted a little, standing at the wall's foot."""
    if wall not in WALLS:
        raise ValueError(f"things lean against {' or '.join(WALLS)}, not {wall!r}")
    obj = fit_within(obj, SIZE - 8, SIZE - 20)
    tilt = (1 if rng is None or rng.random() < 0.5 else -1) * 8
    obj = _stand(rng, replace(obj, tilt=tilt), wall, x=SIZE / 2 if rng is None else None,
                 y=GROUND[wall][0] + (0 if rng is None else _int(rng, 0, 3)))
    return Scene("lean", wall, (obj,), light, time, relation="leaning against",
                 shift=0 if rng is None else _int(rng, 0, 15), mention_backdrop=True, mention_light=mention_light)


def lesson_scene(rng: Optional[np.random.Generator] = None) -> Scene:
    """The lesson's own example: "a red bicycle leaning against a brick wall", lit from the left by day."""
    bike = Obj("bicycle", "red", SIZE_RANGES["bicycle"][1], 0, 0)
    return make_lean(rng, bike, "brick wall", "left", "day", mention_light=False)

