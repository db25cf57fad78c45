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

One module a concern, each depending only on those above it:
``vocabulary`` (words, colours, font) <- ``scenes`` (specs, sampling, hard negatives) <- ``render`` (pictures)
and ``captions`` (words) <- ``judge`` (reading pictures back) and ``batches`` (training data).
"""
from .batches import count_twins, sample_batch
from .captions import caption
from .judge import analyse, classify_shape, components, judge, nearest_colour, object_weight, read_word
from .render import render, shape_mask
from .scenes import (SCENE_MIX, Obj, Scene, hard_negative, make_count, make_pair, make_single, make_text, pick,
                     sample_scene, scene_shares, with_background)
from .vocabulary import (BACKGROUND_COLOURS, BACKGROUNDS, COLOURS, COUNT_RADIUS, FLIPPED, FONT, GLYPH_GAP, GLYPH_H,
                         GLYPH_SCALE, GLYPH_W, LETTERS, NUMBER_WORDS, OBJECT_COLOURS, PAIR_RADIUS, POSITIONS,
                         RELATIONS, SHAPES, SIZE, SIZES, WORDS)

__all__ = [
    # vocabulary
    "SIZE", "COLOURS", "BACKGROUNDS", "OBJECT_COLOURS", "BACKGROUND_COLOURS", "SHAPES", "SIZES", "POSITIONS",
    "RELATIONS", "FLIPPED", "NUMBER_WORDS", "COUNT_RADIUS", "PAIR_RADIUS", "FONT", "LETTERS", "GLYPH_SCALE",
    "GLYPH_W", "GLYPH_H", "GLYPH_GAP", "WORDS",
    # scenes
    "Obj", "Scene", "pick", "SCENE_MIX", "scene_shares", "sample_scene", "make_single", "make_count", "make_pair",
    "make_text", "with_background", "hard_negative",
    # render, captions, batches
    "shape_mask", "render", "caption", "sample_batch", "count_twins",
    # judge
    "nearest_colour", "classify_shape", "object_weight", "components", "analyse", "read_word", "judge",
]
