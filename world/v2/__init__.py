"""The 64 x 64 world (issue 33, "Bundled model v2"): scene specs, their anti-aliased pictures with each part's
mask, and their captions; plain numpy (and Pillow, to fill polygons), deterministic from a seed.

A superset of today's 32 x 32 world (``world``, which stays as it is for today's model): its four kinds of scene
(single, count, pair, text) come back at twice the scale on plain backdrops, and new ones add
- backdrops: a sky with a horizon over ground, grass, a beach, a lake, a brick wall, a wooden wall, a wooden floor;
- light: from the left, the right or above, at sunset or at night, shading things on the far side and casting
  their shadows on the ground (or on the wall behind them);
- things made of parts: houses, trees, suns, cars, bicycles, mugs, hands with 1-6 fingers, people, signs;
- relations: in front of / behind (one hides part of the other), on top of, leaning against, next to, and
  today's left of, right of, above, below; counts of 1-9 small things; three things side by side;
- named characters (Pip, Bo, Kit) who always look the same.

``vocabulary`` (words, paints, font) <- ``scenes`` (specs, sampling) <- ``sprites`` (parts drawn) and
``backdrops`` (textures) <- ``render`` (pictures, masks); ``captions`` (words) <- ``batches`` (training data);
``reading`` (words back into the scene they ask for).
"""
from .batches import sample_batch
from .captions import caption
from .reading import read_caption
from .render import object_mask, render, render_with_masks
from .scenes import (SCENE_MIX, Obj, Scene, character, lesson_scene, make_count, make_lean, make_object, make_pair,
                     make_relation, make_single, make_text, make_trio, paint, sample_scene, thing)
from .vocabulary import (BACKDROPS, CHARACTERS, COLOURS, FONT, KINDS, LETTERS, NEW_RELATIONS, PLAIN, RELATIONS,
                         SCENIC, SIZE, TIMES, LIGHT_SIDES, WORDS)

__all__ = [
    "SIZE", "COLOURS", "BACKDROPS", "PLAIN", "SCENIC", "LIGHT_SIDES", "TIMES", "KINDS", "RELATIONS", "NEW_RELATIONS",
    "CHARACTERS", "FONT", "LETTERS", "WORDS",
    "Obj", "Scene", "SCENE_MIX", "sample_scene", "thing", "character", "paint", "make_single", "make_count",
    "make_pair", "make_text", "make_object", "make_relation", "make_trio", "make_lean", "lesson_scene",
    "render", "render_with_masks", "object_mask", "caption", "read_caption", "sample_batch",
]
