"""A scene in plain words: caption, canonical or with varied phrasing."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .scenes import Scene
from .vocabulary import NUMBER_WORDS


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
