"""Reading a prompt in the 64 x 64 world's own words back into the scene it asks for: ``read_caption``.

Every phrasing ``captions.caption`` writes reads back (its canonical caption and each varied one), whatever the
case and spacing, a last "." ignored; anything else ("a photo of a dog") is None: nothing the judge could check.
The scene is built by the world's own builders with a fixed layout, so it states exactly what the words state
(kinds, colours, a house's roof, a person's hair, hat and shirt, fingers, a sign's word, names, counts, size,
position, relation, backdrop and light) and the judge (``judge.judge``) reads a picture against it.

What the words leave open is filled in as the world would draw it:
- no backdrop named: today's four kinds (a shape, a count of shapes, two shapes, a sign's word) on white, as
  ``world``'s reader does, a sign's word on gray (a white board on white is no sign); other things on
  DEFAULT_BACKDROP. The judge then checks no backdrop (but a sign's word's, as it always does).
- no light named: flat on a plain backdrop, daylight from the left on a scenic one; the judge checks no light.
  Sunset and night come from the left (the time is what the judge reads then).
- a hand's skin and a person's skin: the light one; sizes: the largest a thing is drawn at alone.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

import numpy as np

from .captions import BACKDROP_PHRASES, LIGHT_PHRASES, NOUNS, PLAIN_FORMS, POSITION_PHRASES
from .scenes import (DARK, SIGN_BOARD, SIZE_RANGES, Obj, Scene, character, make_character, make_count, make_lean,
                     make_object, make_pair, make_relation, make_single, make_text, make_trio, sign_width)
from .vocabulary import (CHARACTERS, COLOURS, FINGERS, FONT, KINDS, NEW_RELATIONS, NUMBER_WORDS, OLD_COLOURS, PLAIN,
                         RELATIONS, SHAPES, SIZE, SUPPORTS, TOP, WALLS)

DEFAULT_BACKDROP = "grass"  # where a new kind of thing stands when the words say nowhere (see the module's note)
LIT_BACKDROP = "grass"  # where anything stands when the words name a light but no backdrop (plain ones are lit flat)
OLD_BACKDROP, TEXT_BACKDROP = "white", "gray"  # today's kinds' (as the shapes world's reader has it), a sign's word's
LAYOUT_SEED = 0  # the builders' rng: the same words, the same scene

_C = "|".join(sorted(COLOURS, key=len, reverse=True))
_NUM = "|".join(NUMBER_WORDS[1:] + [str(n) for n in range(1, 10)])
_NOUN_KINDS = {word: kind for kind in KINDS if kind not in ("hand", "sign", "person")
               for word in NOUNS.get(kind, [kind])}  # "bike" -> bicycle, "cup" -> mug
_NOUN = "|".join(sorted(_NOUN_KINDS, key=len, reverse=True))
_NAMES = {name.lower(): name for name in CHARACTERS}
_POSITIONS = {phrase: key for key, phrases in POSITION_PHRASES.items() for phrase in phrases}
_POSITION = "|".join(sorted(_POSITIONS, key=len, reverse=True))
_LIGHTS = {phrase: key for key, phrases in LIGHT_PHRASES.items() for phrase in phrases}
_LIGHT = re.compile(rf"(?P<body>.+?),? (?P<light>{'|'.join(sorted(_LIGHTS, key=len, reverse=True))})")
# Where a scene is, as the words end: (ending, backdrop), longest first.
_BACKDROP_ENDINGS = sorted(
    [(form.format(a=a, bg=bg), bg) for bg in PLAIN for form in PLAIN_FORMS for a in ("a", "an")]
    + [(f" {phrase}", bg) for bg, phrases in BACKDROP_PHRASES.items() for phrase in phrases],
    key=lambda e: -len(e[0]))
# Relations as the words say them, longest first ("to the left of" before "left of").
_RELATIONS = sorted([(r, r) for r in dict.fromkeys(RELATIONS + NEW_RELATIONS)]
                    + [("to the left of", "left of"), ("to the right of", "right of")], key=lambda r: -len(r[0]))
_LEAN_VERBS = ("leaning against", "leaning on", "propped against")

# Today's four kinds, in today's words (world.captions), and a thing's name in the new kinds' (captions.noun_phrase).
_TEXT = re.compile(r'(?:a sign that says "(?P<a>[a-z]+)"|a sign reading "(?P<b>[a-z]+)"|'
                   r'the word "(?P<c>[a-z]+)" on a sign)')
_SINGLE = re.compile(rf"(?:an? |one )?(?:(?P<size>small|big) )?(?P<c>{_C}) (?P<s>{'|'.join(SHAPES)})"
                     rf"(?: (?P<pos>{_POSITION}))?")
_COUNT = re.compile(rf"(?P<n>{_NUM}) (?P<c>{_C}) (?P<noun>{_NOUN})(?P<plural>e?s)?(?: with (?P<roof>{_C}) roofs?)?")
_PAIR = re.compile(rf"an? (?P<c1>{_C}) (?P<s1>{'|'.join(SHAPES)}) (?P<rel>(?:to the )?(?:left of|right of)|above|"
                   rf"below|and) an? (?P<c2>{_C}) (?P<s2>{'|'.join(SHAPES)})")
_HAND = re.compile(rf"a hand (?:with|showing|holding up) (?P<n>{_NUM}) fingers?")
_SIGN = re.compile(rf'an? (?P<c>{_C}) sign (?:that says|reading) "(?P<w>[a-z]+)"')
_LOOKS = rf"(?P<hair>{_C}) hair(?: and an? (?P<hat>{_C}) hat)?"
_PERSON = [re.compile(rf"a person in an? (?P<shirt>{_C}) shirt with {_LOOKS}"),
           re.compile(rf"a person with {_LOOKS} in an? (?P<shirt>{_C}) shirt"),
           re.compile(rf"a person with (?P<hair>{_C}) hair(?:, an? (?P<hat>{_C}) hat)? and an? (?P<shirt>{_C}) shirt")]
_THING = re.compile(rf"an? (?P<c>{_C}) (?P<noun>{_NOUN})(?: with an? (?P<roof>{_C}) roof)?")


def read_caption(prompt) -> Optional[Scene]:
    """The v2 scene a prompt in the world's own words asks for (any phrasing ``captions.caption`` writes), or None."""
    if not isinstance(prompt, str):
        return None
    text = " ".join(prompt.lower().split()).rstrip(".").rstrip()
    light = None
    if m := _LIGHT.fullmatch(text):
        text, light = m["body"], _LIGHTS[m["light"]]
    endings = [(text[:-len(end)].rstrip(","), bg) for end, bg in _BACKDROP_ENDINGS
               if text.endswith(end) and len(text) > len(end)]
    for body, backdrop in endings + [(text, None)]:
        try:
            scene = _scene(body, backdrop, light)
        except (KeyError, ValueError):  # a relation or word the world cannot draw ("a circle on top of a tree")
            scene = None
        if scene is not None:
            return scene
    return None


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS.index(word)


def _rng() -> np.random.Generator:
    return np.random.default_rng(LAYOUT_SEED)


def _thing(text: str) -> Optional[Obj]:
    """One thing as ``captions.noun_phrase`` names it, at the origin, or None."""
    if text in _NAMES:
        return character(_NAMES[text], 40)
    if m := _HAND.fullmatch(text):
        n = _number(m["n"])
        if n not in FINGERS or (n == 1) == text.endswith("fingers"):
            return None
        return Obj("hand", "skin light", SIZE_RANGES["hand"][1], 0, 0, fingers=n)
    if m := _SIGN.fullmatch(text):
        word = m["w"].upper()
        if any(ch not in FONT for ch in word) or sign_width(word) > SIZE - 4:
            return None
        letters = "white" if m["c"] in DARK else "black"
        return Obj("sign", m["c"], max(SIZE_RANGES["sign"][1], SIGN_BOARD + 8), 0, 0, parts=(("letters", letters),),
                   word=word)
    for form in _PERSON:
        if m := form.fullmatch(text):
            parts = (("head", "skin light"), ("hair", m["hair"])) + ((("hat", m["hat"]),) if m["hat"] else ())
            return Obj("person", m["shirt"], SIZE_RANGES["person"][1], 0, 0, parts=parts)
    if m := _THING.fullmatch(text):
        kind = _NOUN_KINDS[m["noun"]]
        if m["roof"] and kind != "house":
            return None
        parts = (("roof", m["roof"]),) if m["roof"] else ()
        return Obj(kind, m["c"], SIZE_RANGES[kind][1], 0, 0, parts=parts)
    return None


def _where(backdrop: Optional[str], light: Optional[str], default: str) -> Optional[dict]:
    """The builders' backdrop and light arguments for what the words say (None where the world has no such scene:
    light named on a plain backdrop, which is lit flat)."""
    bg = backdrop or (default if default not in PLAIN or not light else
                      DEFAULT_BACKDROP if DEFAULT_BACKDROP not in PLAIN else LIT_BACKDROP)
    if bg in PLAIN:
        if light:
            return None
        return dict(backdrop=bg, light="flat", time="day", mention_backdrop=backdrop is not None, mention_light=False)
    side, time = (light, "day") if light in (None, "left", "right", "above") else ("left", light)
    return dict(backdrop=bg, light=side or "left", time=time, mention_backdrop=backdrop is not None,
                mention_light=light is not None)


def _old(backdrop: Optional[str], light: Optional[str]) -> bool:
    """Whether today's kinds can be meant: a plain backdrop (or none named) and no light."""
    return light is None and (backdrop is None or backdrop in PLAIN)


def _scene(text: str, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """The scene the words ``text`` (what is left once the backdrop and light are read) ask for, or None."""
    old = _old(backdrop, light)
    if m := _TEXT.fullmatch(text):  # today's sign: a word on a white board
        return make_text(None, m["a"] or m["b"] or m["c"], backdrop or TEXT_BACKDROP,
                         mention_backdrop=backdrop is not None) if old else None
    if m := _COUNT.fullmatch(text):
        return _count(m, backdrop, light)
    if old and (m := _SINGLE.fullmatch(text)) and (m["size"] or m["pos"] or m["c"] in OLD_COLOURS):
        return make_single(None, m["s"], m["c"], backdrop or OLD_BACKDROP, size=m["size"],
                           position=_POSITIONS[m["pos"]] if m["pos"] else None, mention_backdrop=backdrop is not None)
    if old and (m := _PAIR.fullmatch(text)) and {m["c1"], m["c2"]} <= set(OLD_COLOURS) and m["c1"] != m["c2"]:
        return make_pair(None, (m["s1"], m["c1"]), (m["s2"], m["c2"]), m["rel"].removeprefix("to the "),
                         backdrop or OLD_BACKDROP, mention_backdrop=backdrop is not None)
    return _lean(text, backdrop, light) or _trio(text, backdrop, light) or _relation(text, backdrop, light) or \
        _alone(text, backdrop, light)


def _count(m: re.Match, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """n alike things: today's count (shapes on a plain backdrop) or a group."""
    n, kind = _number(m["n"]), _NOUN_KINDS[m["noun"]]
    if (n == 1) == bool(m["plural"]) or (m["roof"] and kind != "house"):
        return None  # "three red circle", "one red circles", "three red cars with red roofs"
    where = _where(backdrop, light, OLD_BACKDROP if kind in SHAPES else DEFAULT_BACKDROP)
    if where is None:
        return None
    scene = make_count(None, n, kind, m["c"], **where)
    if m["roof"]:
        scene = replace(scene, objects=tuple(replace(o, parts=(("roof", m["roof"]),)) for o in scene.objects))
    return scene


def _lean(text: str, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """The lesson's kind: "a red bicycle leaning against a brick wall" (the wall is the backdrop)."""
    for verb in _LEAN_VERBS:
        for wall in WALLS:
            end = f" {verb} a {wall}"
            if text.endswith(end) and backdrop in (None, wall):
                obj = _thing(text[:-len(end)])
                if obj is not None and obj.kind != "hand":
                    where = _where(wall, light, wall)
                    return _asked_words(make_lean(None, obj, wall, where["light"], where["time"],
                                                  mention_light=where["mention_light"]), [obj])
    return None


def _splits(text: str, sep: str):
    """(before, after) at each place ``sep`` stands in ``text``."""
    start = text.find(sep)
    while start > 0:
        yield text[:start], text[start + len(sep):]
        start = text.find(sep, start + 1)


def _trio(text: str, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """Three things side by side, named left to right: "A, B and C" (", from left to right")."""
    text = text.removesuffix(", from left to right")
    for first, rest in _splits(text, ", "):
        a = _thing(first)
        if a is None or a.kind == "hand":
            continue
        for second, third in _splits(rest, " and "):
            b, c = _thing(second), _thing(third)
            if b is not None and c is not None and "hand" not in (b.kind, c.kind):
                where = _where(backdrop, light, DEFAULT_BACKDROP)
                return None if where is None else _asked_words(make_trio(_rng(), [a, b, c], **where), [a, b, c])
    return None


def _relation(text: str, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """Two things in a relation, "A <relation> B"; a named character first makes it a character scene."""
    for words, relation in _RELATIONS:
        for first, second in _splits(text, f" {words} "):
            a, b = _thing(first), _thing(second)
            if a is None or b is None or "hand" in (a.kind, b.kind):
                continue
            if (relation == "on top of" and b.kind not in TOP) or (relation == "leaning against"
                                                                  and b.kind not in SUPPORTS):
                continue
            where = _where(backdrop, light, DEFAULT_BACKDROP)
            if where is None:
                return None
            if a.name:
                scene = make_character(_rng(), a.name, other=b, relation=relation, **where)
            else:
                scene = make_relation(_rng(), a, b, relation, **where)
            return _asked_words(scene, [a, b])
    return None


def _alone(text: str, backdrop: Optional[str], light: Optional[str]) -> Optional[Scene]:
    """One thing: an object, a hand, a sign or a named character."""
    obj = _thing(text)
    if obj is None:
        return None
    where = _where(backdrop, light, DEFAULT_BACKDROP)
    if where is None:
        return None
    if obj.name:
        return make_character(_rng(), obj.name, **where)
    kind = {"hand": "hand", "sign": "sign"}.get(obj.kind, "object")
    return _asked_words(make_object(_rng(), obj, kind=kind, **where), [obj])


def _asked_words(scene: Scene, asked: list[Obj]) -> Scene:
    """``scene`` with each sign's word as asked (a builder shortens a word that does not fit the room it gives)."""
    objs = tuple(replace(o, word=a.word) if o.kind == "sign" else o for o, a in zip(scene.objects, asked))
    return replace(scene, objects=objs)
