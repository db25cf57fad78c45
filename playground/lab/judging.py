"""The worlds' judges as the lab uses them: which world a model draws (and so which judge reads its pictures),
what the judge saw (as ✓/✗ and as a score), and the scene a prompt in a world's own words asks for
(``read_caption``: the shapes world's words read here, v2's by ``world.v2.reading``). No gradio here.

Which world a model draws (``world_of``), in this order:
- its pipeline config's ``model_description``, which ``training/export.py`` starts with the world's name: "Shapes
  world, ..." for the 32 x 32 shapes world (``world``), "The 64 x 64 world (v2), ..." for the v2 world
  (``world.v2``): a model exported from a run keeps its world wherever its folder goes, under any menu name;
- else the bundled model's name: "shapes-32" draws the shapes world, "v2" the v2 world, and "bundled" whichever
  one ``pipelines.loading.DEFAULT_BUNDLED`` names;
- else no world (a Stable Diffusion folder, a model trained in the Train tab): nothing to judge its pictures with.
"""
from __future__ import annotations

import re
from typing import Optional, Union

import numpy as np
from PIL import Image

import world
import world.v2
from pipelines.loading import bundled_name

SHAPES, V2 = "shapes", "v2"  # the worlds, by the names training.worlds gives them
# How training/export.py starts a model's description, per world.
WORLD_DESCRIPTIONS = {SHAPES: "Shapes world", V2: "The 64 x 64 world (v2)"}
BUNDLED_WORLDS = {"shapes-32": SHAPES, "v2": V2}  # pipelines.loading.BUNDLED's names
WORLD_NAMES = {SHAPES: "the 32 × 32 shapes world", V2: "the 64 × 64 world (v2)"}  # in the UI's words
AnyScene = Union[world.Scene, world.v2.Scene]  # a scene of either world: what its own judge reads


def world_of(model_name: Optional[str], pipe=None) -> Optional[str]:
    """The world (SHAPES or V2) the model draws, from its description or its bundled name; None for a model that
    draws no world of ours (see the module's note)."""
    config = getattr(pipe, "config", None)
    description = config.get("model_description", "") if config is not None else ""
    for name, start in WORLD_DESCRIPTIONS.items():
        if isinstance(description, str) and description.startswith(start):
            return name
    bundled = bundled_name(model_name) if isinstance(model_name, str) else None
    return BUNDLED_WORLDS.get(bundled)


def has_judge(model_name: Optional[str], pipe=None) -> bool:
    """Whether a world's judge can read the model's pictures back (the model draws one of our worlds)."""
    return world_of(model_name, pipe) is not None


def reads_captions(model_name: Optional[str], pipe=None) -> bool:
    """Whether a typed prompt can be judged on the model's pictures (the Guidance and Forward tabs' judge): the
    model draws one of our worlds, whose words ``read_caption`` reads."""
    return world_of(model_name, pipe) in (SHAPES, V2)


def judge(image, scene) -> dict[str, bool]:
    """The judge of the scene's own world: ``world.judge`` for a shapes scene, ``world.v2.judge``'s for a v2 one
    (which loads its object classifier, and torch, on first use)."""
    if isinstance(scene, world.Scene):
        return world.judge(image, scene)
    from world.v2.judge import judge as judge_v2

    return judge_v2(np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image), scene)


def judge_images(images, scene) -> list[dict[str, bool]]:
    return [judge(im, scene) for im in images]


def ticks(judged: dict, attributes) -> str:
    """'✓ count ✗ colour': what the judge saw, attribute by attribute."""
    return " ".join(f"{'✓' if judged.get(a) else '✗'} {a}" for a in attributes)


def judge_ticks(image: Image.Image, scene) -> str:
    """Every attribute the judge reads for the scene, ticked or crossed for the picture."""
    judged = judge(image, scene)
    return ticks(judged, judged)


def ticks_short(judged: dict, attributes) -> str:
    """A caption-sized verdict: the limit's own attribute (the first), then only what else went wrong.

    '✓ count', '✗ count', '✓ count · ✗ shape'. The full list is in the run's summary.
    """
    if not attributes:
        return ""
    own, rest = attributes[0], attributes[1:]
    text = f"{'✓' if judged.get(own) else '✗'} {own}"
    wrong = [a for a in rest if not judged.get(a)]
    return text + (" · ✗ " + ", ".join(wrong) if wrong else "")


def score(judged: dict) -> float:
    """How well one picture follows its caption: the share of the stated attributes the judge saw right."""
    return sum(bool(v) for v in judged.values()) / max(1, len(judged))


# --------------------------------------------------------------------------- reading a prompt back into a scene

_COLOUR = "|".join(sorted(world.COLOURS, key=len, reverse=True))
_BACKGROUND = "|".join(sorted(world.BACKGROUNDS, key=len, reverse=True))
_SHAPE = "|".join(world.SHAPES)
_NUMBER = "|".join(world.NUMBER_WORDS[1:] + [str(n) for n in range(1, 10)])
_POSITIONS = {phrase: key for key, phrases in (
    ("left", ("on the left", "at the left")), ("right", ("on the right", "at the right")),
    ("top", ("at the top", "on top")), ("bottom", ("at the bottom", "on the bottom")),
    ("centre", ("in the centre", "in the center", "in the middle"))) for phrase in phrases}
_POSITION = "|".join(sorted(_POSITIONS, key=len, reverse=True))
_BACKGROUND_FORMS = [re.compile(p) for p in (
    rf"^(?P<body>.+?) on an? (?P<bg>{_BACKGROUND}) background$", rf"^(?P<body>.+?), (?P<bg>{_BACKGROUND}) background$",
    rf"^(?P<body>.+?) with an? (?P<bg>{_BACKGROUND}) background$", rf"^(?P<body>.+?) on (?P<bg>{_BACKGROUND})$")]
_TEXT = re.compile(r'^(?:a sign that says "(?P<a>[a-z]{1,3})"|a sign reading "(?P<b>[a-z]{1,3})"|'
                   r'the word "(?P<c>[a-z]{1,3})" on a sign)$')
_PAIR = re.compile(rf"^an? (?P<c1>{_COLOUR}) (?P<s1>{_SHAPE}) (?:to the )?(?P<rel>left of|right of|above|below|and) "
                   rf"an? (?P<c2>{_COLOUR}) (?P<s2>{_SHAPE})$")
_COUNT = re.compile(rf"^(?P<n>{_NUMBER}) (?P<c>{_COLOUR}) (?P<s>{_SHAPE})s?$")
_SINGLE = re.compile(rf"^(?:an? |one )?(?:(?P<size>small|big) )?(?P<c>{_COLOUR}) (?P<s>{_SHAPE})"
                     rf"(?: (?P<pos>{_POSITION}))?$")


def read_caption(prompt, world_name: Optional[str] = SHAPES) -> Optional[AnyScene]:
    """The scene a prompt in ``world_name``'s own words asks for (a ``world.Scene`` for the shapes world, a
    ``world.v2.Scene`` for v2; any phrasing the world's ``caption`` writes), or None: for words the world cannot
    say, and for a model of no world of ours (``world_name`` None)."""
    if world_name == V2:
        return world.v2.read_caption(prompt)
    return read_shapes_caption(prompt) if world_name == SHAPES else None


def read_shapes_caption(prompt) -> Optional[world.Scene]:
    """The scene a prompt in the shapes world's own words asks for (any phrasing ``world.caption`` writes), or None.

    Only what the judge checks is read: the kind, colours, shapes, count, size, position, relation, word and
    background. A prompt the world cannot say ("a red bicycle") gives None: nothing to judge it against.
    """
    if not isinstance(prompt, str):
        return None
    text = " ".join(prompt.strip().lower().rstrip(".").split())
    background, mention = "white", False
    for form in _BACKGROUND_FORMS:
        m = form.match(text)
        if m:
            text, background, mention = m["body"], m["bg"], True
            break
    try:
        if m := _TEXT.match(text):
            word = (m["a"] or m["b"] or m["c"]).upper()
            return world.make_text(None, word, background, mention_background=mention)
        if m := _PAIR.match(text):
            return world.make_pair(None, (m["s1"], m["c1"]), (m["s2"], m["c2"]), m["rel"], background,
                                   mention_background=mention)
        if m := _COUNT.match(text):
            n = int(m["n"]) if m["n"].isdigit() else world.NUMBER_WORDS.index(m["n"])
            if (n == 1) == text.endswith("s"):  # "one red circles", "three red circle": not the world's words
                return None
            return world.make_count(None, n, m["s"], m["c"], background, mention_background=mention)
        if m := _SINGLE.match(text):
            return world.make_single(None, m["s"], m["c"], background, size=m["size"],
                                     position=_POSITIONS.get(m["pos"]) if m["pos"] else None,
                                     mention_background=mention)
    except ValueError:  # a word of letters the world's font lacks
        return None
    return None
