"""A scene in plain words: caption, canonical (the first phrasing of each choice) or with varied phrasing.

Today's four kinds are captioned exactly as ``world.captions`` captions them; the new kinds name each thing by
its colour and kind (and the parts that tell one apart: a roof, a person's hair and hat, a hand's fingers, a
sign's word), the relation between things, where they are (the backdrop) and the light.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .scenes import Obj, Scene, paint
from .vocabulary import NUMBER_WORDS, PLAIN

POSITION_PHRASES = {
    "left": ["on the left", "at the left"], "right": ["on the right", "at the right"],
    "top": ["at the top", "on top"], "bottom": ["at the bottom", "on the bottom"],
    "centre": ["in the centre", "in the center", "in the middle"],
}
PLAIN_FORMS = [" on {a} {bg} background", ", {bg} background", " on {bg}", " with {a} {bg} background"]  # after the text
BACKDROP_PHRASES = {
    "sky": ["under the open sky", "outdoors under the sky", "under a wide sky"],
    "grass": ["on grass", "on the grass", "in a grassy field"],
    "sand": ["on the beach", "on sand", "on a sandy beach"],
    "water": ["by the water", "by a lake", "on the shore of a lake"],
    "brick wall": ["in front of a brick wall", "by a brick wall", "against a brick wall"],
    "wooden wall": ["in front of a wooden wall", "by a wooden wall", "against a wooden wall"],
    "wooden floor": ["on a wooden floor", "in a room with a wooden floor", "on wooden floorboards"],
}
LIGHT_PHRASES = {
    "left": ["lit from the left", "with light from the left", "in light coming from the left"],
    "right": ["lit from the right", "with light from the right", "in light coming from the right"],
    "above": ["lit from above", "with light from above", "in light from overhead"],
    "sunset": ["at sunset", "at dusk", "in the evening light"],
    "night": ["at night", "at nighttime", "in the dark of night"],
}
NOUNS = {"bicycle": ["bicycle", "bike"], "mug": ["mug", "cup"], "person": ["person"], "car": ["car"]}


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


class _Phrasing:
    """Picks among phrasings: the first without an rng (the canonical caption), else at random."""

    def __init__(self, rng: Optional[np.random.Generator]):
        self.rng = rng

    def __call__(self, options):
        return options[0] if self.rng is None else options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return self.rng is not None and self.rng.random() < p

    def number(self, n: int) -> str:
        return str(n) if self.chance(0.3) else NUMBER_WORDS[n]


def noun_phrase(o: Obj, choose: _Phrasing, article: bool = True) -> str:
    """The thing as a caption names it: "a red car", "a yellow house with a red roof", "Pip"."""
    if o.name:
        return o.name
    if o.kind == "hand":
        n = o.fingers
        return choose([f"a hand with {choose.number(n)} finger{'s' * (n > 1)}",
                       f"a hand showing {choose.number(n)} finger{'s' * (n > 1)}",
                       f"a hand holding up {choose.number(n)} finger{'s' * (n > 1)}"])
    if o.kind == "sign":
        return choose([f'{_a(o.colour)} {o.colour} sign that says "{o.word}"',
                       f'{_a(o.colour)} {o.colour} sign reading "{o.word}"'])
    if o.kind == "person":
        hair, hat = paint(o, "hair"), dict(o.parts).get("hat")
        looks = [f"{hair} hair", f"a {hat} hat"] if hat else [f"{hair} hair"]
        shirt = f"{_a(o.colour)} {o.colour} shirt"
        return choose([f"a person in {shirt} with {' and '.join(looks)}",
                       f"a person with {' and '.join(looks)} in {shirt}",
                       f"a person with {', '.join(looks)} and {shirt}"])
    noun = f"{o.colour} {choose(NOUNS.get(o.kind, [o.kind]))}"
    if o.kind == "house":
        noun += f" with {_a(paint(o, 'roof'))} {paint(o, 'roof')} roof"
    return f"{_a(noun)} {noun}" if article else noun


def _setting(text: str, scene: Scene, choose: _Phrasing) -> str:
    """The text followed by where the scene is and its light, when the scene states them."""
    bg = scene.backdrop
    if scene.mention_backdrop:
        if bg in PLAIN:
            text = text + choose(PLAIN_FORMS).format(a=_a(bg), bg=bg)
        elif not (scene.kind == "lean" and bg in text):
            text = f"{text} {choose(BACKDROP_PHRASES[bg])}"
    if scene.mention_light and scene.light != "flat":
        light = choose(LIGHT_PHRASES[scene.light if scene.time == "day" else scene.time])
        text = choose([f"{text}, {light}", f"{text} {light}"])
    return text


def caption(scene: Scene, rng: Optional[np.random.Generator] = None) -> str:
    """A plain caption of what the scene states. With ``rng`` the phrasing varies; without, it is canonical."""
    choose = _Phrasing(rng)
    objs = scene.objects
    if scene.kind == "single":
        o = objs[0]
        noun = f"{scene.size} {o.colour} {o.kind}" if scene.size else f"{o.colour} {o.kind}"
        text = choose([f"{_a(noun)} {noun}", f"one {noun}", f"{noun}"])
        if scene.position:
            text = f"{text} {choose(POSITION_PHRASES[scene.position])}"
        return _setting(text, scene, choose)
    if scene.kind in ("count", "group"):
        o, n = objs[0], scene.count
        noun = choose(NOUNS.get(o.kind, [o.kind]))
        text = f"{choose.number(n)} {o.colour} {noun if n == 1 else _plural(noun)}"
        if o.kind == "house":
            text += f" with {paint(o, 'roof')} roof{'s' * (n > 1)}"
        return _setting(text, scene, choose)
    if scene.kind == "pair":
        a, b = objs
        rel = scene.relation
        if rel in ("left of", "right of") and choose.chance(0.4):
            rel = f"to the {rel}"
        return _setting(f"{_a(a.colour)} {a.colour} {a.kind} {rel} {_a(b.colour)} {b.colour} {b.kind}", scene, choose)
    if scene.kind == "text":
        text = choose([f'a sign that says "{scene.word}"', f'a sign reading "{scene.word}"',
                       f'the word "{scene.word}" on a sign'])
        return _setting(text, scene, choose)
    if scene.kind == "lean":
        verb = choose(["leaning against", "leaning on", "propped against"])
        return _setting(f"{noun_phrase(objs[0], choose)} {verb} {_a(scene.backdrop)} {scene.backdrop}", scene,
                        choose)
    if scene.kind == "trio":
        names = [noun_phrase(o, choose) for o in sorted(objs, key=lambda o: o.x)]
        text = f"{names[0]}, {names[1]} and {names[2]}"
        return _setting(text + (", from left to right" if choose.chance(0.3) else ""), scene, choose)
    if scene.relation is not None:  # relation, character
        a, b = objs
        rel = scene.relation
        if rel in ("left of", "right of") and choose.chance(0.4):
            rel = f"to the {rel}"
        return _setting(f"{noun_phrase(a, choose)} {rel} {noun_phrase(b, choose)}", scene, choose)
    return _setting(noun_phrase(objs[0], choose), scene, choose)  # object, hand, sign, character alone
