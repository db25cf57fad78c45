"""Hard negatives for the judge's calibration: the scene with the one thing a category reads changed (another
backdrop, colour, count, finger count, word, relation, character, light, kind of thing), everything else as it
was. A judge that accepts the picture of such a scene for the asked one's category cannot tell that category
apart."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .scenes import TRIO_KINDS, Obj, Scene, fit_within, character, make_count, make_relation, pick, thing
from .vocabulary import (CHARACTERS, COLOURS, FLIPPED, KIND_COLOURS, KINDS, LEANERS, LETTERS, LIGHT_SIDES,
                         OBJECT_COLOURS, PLAIN, SCENIC, SHAPES, SIZES, TIMES)


def _first(scene: Scene, **changes) -> Scene:
    return replace(scene, objects=(replace(scene.objects[0], **changes),) + scene.objects[1:])


def swap_kind(scene: Scene, rng: np.random.Generator) -> Scene:
    """``scene`` with every thing of its first thing's kind turned into one kind the scene does not hold: in the
    same place, no wider or taller than it was, in the same colour where the new kind comes in it."""
    old = scene.objects[0].kind
    new = pick(rng, list(KINDS), exclude=tuple(o.kind for o in scene.objects))
    objs = []
    for o in scene.objects:
        if o.kind == old:
            other = thing(rng, new, scene.backdrop, size=o.size)
            if o.colour in KIND_COLOURS.get(new, OBJECT_COLOURS) and new != "hand":
                other = replace(other, colour=o.colour)
            other = fit_within(other, o.width, o.size)
            o = replace(other, x=o.x, y=o.y, shadow=o.shadow and new != "sun", tilt=o.tilt if new in LEANERS else 0)
        objs.append(o)
    return replace(scene, objects=tuple(objs))


def swap_colours(scene: Scene) -> Scene:
    """A trio with its colours moved between its things so that some kind wears another colour (the first of: each
    colour one thing on, one thing back, then two things swapping theirs, that does); where none does (three of one
    kind or of one colour), its first thing turned into the first kind a trio may hold that it does not, in that
    thing's colour and place, no bigger. Drawn without an rng: the calibration's other scenes stay the same."""
    objs = scene.objects
    asked = sorted((o.kind, o.colour) for o in objs)
    for order in ((1, 2, 0), (2, 0, 1), (1, 0, 2), (0, 2, 1), (2, 1, 0)):
        moved = tuple(replace(o, colour=objs[j].colour) for o, j in zip(objs, order))
        if sorted((o.kind, o.colour) for o in moved) != asked:
            return replace(scene, objects=moved)
    o = objs[0]
    new = next(k for k in TRIO_KINDS if k not in {x.kind for x in objs})
    other = fit_within(Obj(new, o.colour, o.size, 0, 0), o.width, o.size)
    return replace(scene, objects=(replace(other, x=o.x, y=o.y, shadow=o.shadow),) + objs[1:])


def hard_negative(scene: Scene, category: str, rng: np.random.Generator) -> Scene:
    """``scene`` with what ``category`` (a key of ``judge``'s answer for it) reads changed."""
    o = scene.objects[0]
    if category == "backdrop":
        return replace(scene, backdrop=pick(rng, PLAIN if scene.backdrop in PLAIN else SCENIC,
                                            exclude=(scene.backdrop, *(x.colour for x in scene.objects))))
    if category in ("colour", "colours"):  # every thing of the first one's colour (all of a group) in another
        new = pick(rng, list(COLOURS), exclude=(o.colour, scene.backdrop, *(x.colour for x in scene.objects)))
        return replace(scene, objects=tuple(replace(x, colour=new) if x.colour == o.colour else x
                                            for x in scene.objects))
    if category == "shape":
        return replace(scene, objects=tuple(replace(x, kind=pick(rng, SHAPES, exclude=(o.kind,)))
                                            for x in scene.objects))
    if category == "size":
        return _first(scene, size=SIZES["small" if scene.size == "big" else "big"])
    if category == "position":
        return replace(scene, objects=(replace(o, x=64 - o.x, y=64 - o.y + o.size),)) if scene.position in (
            "left", "right", "top", "bottom") else _first(scene, x=o.x + 20)
    if category == "count":  # one too many (one too few from nine)
        n = scene.count + 1 if scene.count < 9 else 8
        return replace(make_count(rng, n, o.kind, o.colour, scene.backdrop, scene.light, scene.time), kind=scene.kind)
    if category == "binding" and scene.kind == "trio":
        return swap_colours(scene)
    if category == "binding":  # colours swapped; alike shapes would not tell, so one changes its shape
        a, b = scene.objects
        if a.kind == b.kind:
            return replace(scene, objects=(a, replace(b, kind=pick(rng, SHAPES, exclude=(b.kind,)))))
        return replace(scene, objects=(replace(a, colour=b.colour), replace(b, colour=a.colour)))
    if category == "fingers":
        return _first(scene, fingers=o.fingers + 1 if o.fingers < 6 else 5)
    if category == "text":
        i = int(rng.integers(len(scene.word)))
        word = scene.word[:i] + pick(rng, list(LETTERS), exclude=(scene.word[i],)) + scene.word[i + 1:]
        return _first(scene, word=word)
    if category == "relation":  # the two swap places (the flipped relation), or one is put above the other
        a, b = scene.objects
        if scene.relation in FLIPPED:
            return replace(scene, objects=(replace(a, x=b.x, y=b.y), replace(b, x=a.x, y=a.y)))
        return make_relation(rng, a, b, "above", scene.backdrop, scene.light, scene.time, kind=scene.kind)
    if category == "character":
        name = pick(rng, list(CHARACTERS), exclude=(o.name,))
        return _first(scene, **{f: getattr(character(name, o.size), f) for f in ("colour", "parts", "name")})
    if category == "object":
        return swap_kind(scene, rng)
    if category == "light":
        if scene.time != "day":
            return replace(scene, time=pick(rng, TIMES, exclude=(scene.time,)))
        return replace(scene, light=pick(rng, LIGHT_SIDES, exclude=(scene.light,)))
    raise ValueError(f"no hard negative for {category!r}")
