"""The Limits tab's presets for the 64 x 64 world (``world.v2``, issue 33): one group per failure of diffusion the
world can show and its judge can read - exactly five fingers, the exact word on a sign, counts of five and more,
binding with three things, the same character across seeds - and the v2 versions of the shapes world's groups
(spatial relations, small objects, a control).

Each scene is built with world.v2's builders, as training/evaluate_v2.py builds its categories, from a fixed seed
(``_rng``), so a preset is one picture and one canonical caption. Seeds were chosen so that the judge reads each
preset's true picture right (tests/playground/test_limits_v2.py checks it).

No figure is written here: ``python -m playground.lab.runs --model v2`` measures every preset on a model (over
``V2_MEASURE``'s seeds and settings, with the autoencoder's ceiling beside it) into the model's folder (limits.json),
and the tab reads it from there; until then a preset says it is not measured yet on that model.

No gradio here.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from playground.lab.judging import V2
from playground.lab.preset_types import LimitGroup, Limits, MeasureSettings, Preset
from world import v2
from world.v2.scenes import SIZE_RANGES, make_character

# The settings of every v2 figure: the model card's sampler and steps, the model's own default guidance, 32 seeds
# as the shapes presets; the date, model and guidance used are kept with the figures in the model's limits.json.
V2_MEASURE = MeasureSettings(guidance=None, model="v2", date=None)

def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([33, seed])  # 33: the issue; a stream of its own


def _thing(rng, kind: str, colour: str, backdrop: str, size=None) -> v2.Obj:
    obj = v2.thing(rng, kind, backdrop, size=size)
    return obj if colour is None else replace(obj, colour=colour)


def _hand(seed: int, fingers: int, backdrop: str, light="left", time="day") -> v2.Scene:
    rng = _rng(seed)
    return v2.make_object(rng, replace(v2.thing(rng, "hand", backdrop), fingers=fingers), backdrop, light, time,
                          kind="hand")


def _sign(seed: int, word: str, backdrop: str, light="left", time="day") -> v2.Scene:
    rng = _rng(seed)
    return v2.make_object(rng, replace(v2.thing(rng, "sign", backdrop), word=word), backdrop, light, time, kind="sign")


def _group(seed: int, n: int, kind: str, colour: str, backdrop: str, light="flat", time="day") -> v2.Scene:
    return v2.make_count(_rng(seed), n, kind, colour, backdrop, light, time)


def _trio(seed: int, things, backdrop: str, light="left", time="day") -> v2.Scene:
    rng = _rng(seed)
    return v2.make_trio(rng, [_thing(rng, kind, colour, backdrop) for kind, colour in things], backdrop, light, time)


def _relation(seed: int, first, relation: str, second, backdrop: str, light="left", time="day") -> v2.Scene:
    rng = _rng(seed)
    a, b = _thing(rng, *first, backdrop), _thing(rng, *second, backdrop)
    return v2.make_relation(rng, a, b, relation, backdrop, light, time)


def _object(seed: int, kind: str, colour: str, backdrop: str, light="left", time="day", size=None) -> v2.Scene:
    rng = _rng(seed)
    return v2.make_object(rng, _thing(rng, kind, colour, backdrop, size), backdrop, light, time)


def _smallest(kind: str) -> int:
    return SIZE_RANGES[kind][0]


_GROUP_TEXT = [
    ("v2-fingers", "Exactly five fingers",
     "Count the fingers. The judge finds the hand's skin, takes away the palm, and counts the pieces that stick up "
     "out of it: \"right number of fingers\" means exactly the number asked for.",
     "A hand is a palm with a fan of thin fingers, and what makes it five and not four or six is a few pixels at the "
     "top of the fan. The model learned what a hand looks like - skin, a palm, some fingers fanned out - not the "
     "rule \"five\". The hand's place and outline settle in the first steps; the gaps between the fingers, each a "
     "pixel or two wide, settle last, from local patterns of finger-next-to-finger that look right with four, five "
     "or six of them. Nothing counts them. Real models are famous for the same failure: extra, missing or fused "
     "fingers, even when the rest of the picture is right. The autoencoder's ceiling (above) shows whether this "
     "model's decoder can draw a five-fingered hand at all: where it can, the wrong count is the denoiser's.",
     "No benchmark quoted here scores fingers; malformed hands are the best-known failure of Stable Diffusion "
     "1.x/2.x, and the fixes are made for hands alone: HandRefiner (Lu et al. 2023, arXiv 2311.17957) repaints a "
     "generated hand from the depth map of a hand model fitted to it."),
    ("v2-sign", "The exact word on a sign",
     "Is there a sign, and does it say exactly the word asked for? The judge finds the board and reads each letter "
     "with the world's own 3 × 5 pixel font (drawn at 2×).",
     "Letters are small, exact shapes: one pixel more or less turns an E into an F. The model does not spell. It "
     "learned what a sign with writing on it looks like, and at every step it nudges the picture toward that look. "
     "The board and its post are there after the first few steps; the strokes on it settle only in the last, "
     "low-noise steps, from local patterns that look letter-like. Nothing ties stroke number two to letter number "
     "two of the prompt, and the text encoder sees a word like OPEN as one token, not as O, P, E, N; so you get "
     "letter-like marks of about the right length, rarely the right word. Random letter strings (the second "
     "preset) are harder still: there is no whole word to have learned.",
     "DrawBench (Imagen paper) keeps a separate *text* category and PartiPrompts a *writing and symbols* aspect, "
     "because models fail it so often that it would drown the other categories. Liu et al. 2022 (\"Character-Aware "
     "Models Improve Visual Text Rendering\", arXiv 2212.10562) traced much of it to text encoders that cannot see "
     "the letters inside a token: encoders that read characters spell far better."),
    ("v2-counts", "Counts of five and more",
     "Count the things. The judge counts the asked kind of thing in the asked colour on the backdrop: where things "
     "overlap, it lays the outline of one such thing again and again where it covers the most of that colour not "
     "yet covered, so a thing half hidden behind another still counts; \"correct count\" means exactly that many.",
     "The model has a rough sense of number, not a counter. Where the things go is decided in the first, noisiest "
     "steps, when the rough layout forms: in the x̂0 row faint blobs fill every place a thing could stand, then some "
     "grow and the rest fade, and after that they stay put. The number word steers how many grow, but nothing "
     "checks the total: each blob grows or fades from what is around it. Generate's word maps show it: the number "
     "word is read no more on the things than around them (0.96× in 16 pictures), the thing's word on them. Six houses and seven houses in rows on a "
     "beach look alike (a crowd of houses), so the model lands near the asked number, not on it. The last preset, "
     "five triangles on a plain backdrop, is the shapes world's count at twice the size.",
     "GenEval counting (2 to 4 objects, \"a photo of three cups\"; detector-scored, 4 images per prompt): SD 1.5 "
     "**0.35**, SD 2.1 **0.44**, SDXL **0.39** of images correct (djghosh13/geneval README): with five and more it "
     "is worse. DrawBench has a *counting* category and PartiPrompts a *quantity* aspect."),
    ("v2-trio", "Binding with three objects",
     "Three things side by side: is each colour on the thing the caption gives it? The judge finds each asked "
     "colour and asks its classifier what kind of thing wears it; the left-to-right order the caption names them "
     "in is not read, so check that yourself. The last preset, two shapes, is binding as the shapes world reads it.",
     "With several things the model has to bind each colour to the right thing. It learned that \"yellow\", "
     "\"car\", \"purple\" and \"mug\" go with yellow pixels, car shapes, purple pixels and mug shapes, but not "
     "reliably which word modifies which: the prompt's encoding is a blend in which \"a yellow car and a purple mug\" "
     "and \"a purple car and a yellow mug\" sit close together. So colours leak and swap, and with three things "
     "there are more ways to get it wrong than with two. The layout (three things in a row) settles first; which "
     "colour lands on which outline is decided later, by what looks locally right. On this small model the word "
     "maps under the grid show a second way to fail: each colour word is read where its own thing's word is read, "
     "in the pictures judged wrong as in the right ones (48 of 48 measured), and each asked colour is drawn (35 of "
     "the 42 wrong), but what wears it is not a thing of its kind, often a blob: the words were read together, the "
     "kind was not drawn.",
     "GenEval colour binding (two objects, \"a red umbrella and a green cow\"): SD 1.5 **0.06**, SD 2.1 **0.17**, "
     "SDXL **0.23** (djghosh13/geneval README); T2I-CompBench scores attribute binding and complex prompts with "
     "several objects. Three objects only make it harder."),
    ("v2-character", "The same character across seeds",
     "Pip, Bo and Kit always look the same in the world's pictures: a shirt, hair, skin and (Pip, Kit) a hat of "
     "their own. Does each seed draw the named character with all of it? The spread below says how alike the "
     "pictures are.",
     "A name is a word like any other to the model. It learned that \"Pip\" comes with a blue shirt, red hair and a "
     "green hat, but each seed starts from different noise, and in the first steps the model turns whatever that "
     "noise leans toward into the layout: the person stands elsewhere, at another size, in other light. The small "
     "details that make Pip Pip - the hair's rim under the hat, the hat's colour, the skin - are a few pixels each "
     "and settle last, so a seed can draw a person in a blue shirt who is not quite Pip. Nothing carries over from "
     "one seed to the next. Real models change a character's face, clothes and proportions from image to image; "
     "people work around it with reference images, fine-tuning (DreamBooth, LoRA) or by reusing one seed.",
     "None of the benchmarks quoted here (GenEval, T2I-CompBench, DrawBench, PartiPrompts) scores consistency "
     "across images; DreamBooth (Ruiz et al. 2022, arXiv 2208.12242) and textual inversion (Gal et al. 2022, arXiv "
     "2208.01618) were made to teach a model one subject so that it can draw it again."),
    ("v2-spatial", "Spatial relations",
     "Is the first thing where the prompt says, relative to the second? The judge works out where each thing "
     "stands from its blob (its footprint on the ground), so \"in front of\", \"on top of\" and \"leaning "
     "against\" can be read, roughly: see the judge's own ceiling beside each figure.",
     "A relation is between two things, and the picture with them swapped has the same parts. The model learns "
     "which pixels go with which words, but the word order that says who is in front of whom is a weak signal in "
     "the prompt's encoding. The layout is fixed in the first noisy steps, so if the prompt's encoding barely "
     "changes when the two nouns swap, the model draws either layout. \"Leaning against\" is the lesson's own "
     "example: a tilt of a few degrees and a touch, details that settle late.",
     "GenEval position (left/right/above/below of a second object): SD 1.5 **0.04**, SD 2.1 **0.07**, SDXL "
     "**0.15** (djghosh13/geneval README). T2I-CompBench spatial: SD 1.5 **0.12**. DrawBench has a *positional* "
     "category, PartiPrompts *properties and positioning*."),
    ("v2-small", "Small objects and details",
     "Is the small thing there, as the kind asked for (a trained classifier looks for it), in its colour? The "
     "first presets are each kind at its smallest.",
     "A small mug covers a few dozen of the picture's 4096 pixels, and in the latent model a handful of latent "
     "cells, each standing for a 4 × 4 block. What separates a small mug from a small square or a small car is its "
     "handle or its wheels: a few pixels settled in the last steps from local texture. The model gets the blob and "
     "its colour; the kind, told by its small parts, is the first thing it gets wrong.",
     "PartiPrompts lists *fine-grained detail* as its own challenge aspect. GenEval and T2I-CompBench do not score "
     "small objects separately."),
    ("v2-control", "Works well (control)",
     "One big thing, one colour, one backdrop: the kind, its colour and the backdrop should be right for most seeds.",
     "The whole picture is one pattern the model has seen thousands of times, and it is settled in the first steps, "
     "when the coarse colours and the layout form. Nothing has to be counted, spelled, bound or placed relative to "
     "something else. High scores here show the model works; the other groups show where it stops working.",
     "GenEval single object: SD 1.5 **0.97**, SD 2.1 **0.98**, SDXL **0.98**; colours: 0.76, 0.85, 0.85 "
     "(djghosh13/geneval README)."),
]

_HAND = ("fingers", "object")
_SIGN = ("text", "object")
_COUNT = ("count", "colour", "object")
_TRIO = ("binding", "colour", "object")
_CHARACTER = ("character", "object")
_RELATION = ("relation", "colour", "object")
_THING = ("object", "colour")

_PRESETS = [
    # exactly five fingers
    Preset("v2-five-fingers-floor", "v2-fingers", _hand(1, 5, "wooden floor"), _HAND, None, world=V2),
    Preset("v2-five-fingers-grass", "v2-fingers", _hand(2, 5, "grass", "right"), _HAND, None, world=V2),
    Preset("v2-five-fingers-blue", "v2-fingers", _hand(3, 5, "blue", "flat"), _HAND, None, world=V2),
    Preset("v2-two-fingers", "v2-fingers", _hand(4, 2, "wooden floor"), _HAND, None, world=V2,
           note="For contrast: two fingers, far apart, are fewer pixels to get right."),
    # the exact word on a sign
    Preset("v2-sign-open", "v2-sign", _sign(1, "OPEN", "grass"), _SIGN, None, world=V2),
    Preset("v2-sign-random-letters", "v2-sign", _sign(2, "KVZ", "wooden floor", "right"), _SIGN, None, world=V2,
           note="Random letters: no word the model could have learned whole."),
    Preset("v2-sign-taxi", "v2-sign", _sign(3, "TAXI", "sky", "left", "sunset"), _SIGN, None, world=V2),
    Preset("v2-sign-hi-plain", "v2-sign", v2.make_text(_rng(4), "HI", "blue"), _SIGN, None, world=V2,
           note="The shapes world's sign (a white board, no post) at twice the size."),
    # counts of five and more
    Preset("v2-seven-houses-beach", "v2-counts", _group(1, 7, "house", "yellow", "sand", "right"), _COUNT, None,
           world=V2),
    Preset("v2-five-trees-grass", "v2-counts", _group(2, 5, "tree", "green", "grass", "left"), _COUNT, None,
           world=V2, note="Green trees on green grass: the decoder loses them into the grass (the ceiling above), "
           "and the model draws them a darker green than the world does, which the judge often misreads - count "
           "them yourself in the pictures."),
    Preset("v2-six-mugs-floor", "v2-counts", _group(3, 6, "mug", "blue", "wooden floor", "left"), _COUNT, None,
           world=V2),
    Preset("v2-five-purple-triangles", "v2-counts", _group(4, 5, "triangle", "purple", "white"),
           ("count", "colour", "shape"), None, world=V2,
           note="The shapes world's weakest count (five purple triangles), on the 64 × 64 model."),
    # binding with three objects (the judge reads which colour is on which kind of thing, not the order)
    Preset("v2-trio-car-mug-car", "v2-trio", _trio(1, [("car", "yellow"), ("mug", "purple"), ("car", "white")],
                                                   "brick wall"), _TRIO, None, world=V2),
    Preset("v2-trio-circle-house-tree", "v2-trio",
           _trio(2, [("circle", "red"), ("house", "blue"), ("tree", "yellow")], "grass", "right"), _TRIO, None,
           world=V2),
    Preset("v2-trio-three-mugs", "v2-trio", _trio(3, [("mug", "green"), ("mug", "orange"), ("mug", "pink")],
                                                  "wooden floor"), _TRIO, None, world=V2,
           note="Three of one kind: the colours are all that tells them apart."),
    Preset("v2-binding-two-shapes", "v2-trio", v2.make_pair(_rng(4), ("circle", "purple"), ("square", "orange"),
                                                            "and", "gray"), ("binding", "colours"), None, world=V2,
           note="Two shapes, where the judge can read the binding: is the purple one the circle?"),
    # the same character across seeds
    Preset("v2-pip-beach", "v2-character", make_character(_rng(12), "Pip", "sand", "left", "day"), _CHARACTER, None,
           world=V2),
    Preset("v2-bo-lake", "v2-character", make_character(_rng(2), "Bo", "water", "right", "day"), _CHARACTER, None,
           world=V2),
    Preset("v2-kit-grass", "v2-character", make_character(_rng(3), "Kit", "grass", "left", "day"), _CHARACTER, None,
           world=V2),
    # spatial relations
    Preset("v2-bicycle-leaning-house", "v2-spatial",
           _relation(1, ("bicycle", "red"), "leaning against", ("house", "yellow"), "grass"), _RELATION, None,
           world=V2),
    Preset("v2-mug-on-top-of-square", "v2-spatial",
           _relation(2, ("mug", "white"), "on top of", ("square", "pink"), "wooden floor"), _RELATION, None, world=V2),
    Preset("v2-car-in-front-of-house", "v2-spatial",
           _relation(3, ("car", "blue"), "in front of", ("house", "purple"), "water"), _RELATION, None, world=V2),
    Preset("v2-tree-left-of-car", "v2-spatial",
           _relation(4, ("tree", "green"), "left of", ("car", "red"), "sky"), _RELATION, None, world=V2),
    # small objects
    Preset("v2-small-mug", "v2-small", _object(1, "mug", "red", "wooden floor", size=_smallest("mug")), _THING, None,
           world=V2),
    Preset("v2-small-car", "v2-small", _object(2, "car", "blue", "sand", size=_smallest("car")), _THING, None,
           world=V2),
    Preset("v2-small-circle", "v2-small", _object(3, "circle", "red", "grass", size=_smallest("circle")), _THING,
           None, world=V2),
    Preset("v2-small-square", "v2-small", v2.make_single(_rng(4), "square", "red", "gray", size="small"),
           ("shape", "colour", "size"), None, world=V2, note="The shapes world's small square at twice the size."),
    # works well
    Preset("v2-control-house", "v2-control", _object(1, "house", "yellow", "grass"), _THING, None, world=V2),
    Preset("v2-control-red-circle", "v2-control", v2.make_single(_rng(2), "circle", "red", "white", size="big"),
           ("colour", "shape", "size"), None, world=V2),
    Preset("v2-control-tree", "v2-control", _object(3, "tree", "green", "sky"), _THING, None, world=V2),
]

V2_GROUPS: dict[str, LimitGroup] = {
    key: LimitGroup(key, title, look, why, published, tuple(p for p in _PRESETS if p.group == key))
    for key, title, look, why, published in _GROUP_TEXT
}
V2_LIMITS = Limits(V2, V2_GROUPS, V2_MEASURE, "v2-fingers")
