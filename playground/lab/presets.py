"""The Limits tab's presets: one group per limit of diffusion models, each preset a scene the judge can score.

Each preset is a scene from one of our synthetic worlds, so the prompt is exactly a caption the world's model was
trained on and the world's judge can read a generated picture back against it. Each group says what to look for,
why denoising by learned patterns fails there, and what was published for real models; each preset says how often
the world's model got its limit wrong, measured over the same seeds and settings.

Two sets, one per world (``limits_for``): this module's, for the 32 x 32 shapes world (``world``; measured on the
shapes-32 model with ``MEASURE``, the figures written here from ``python -m playground.lab.runs``), and
``playground.lab.presets_v2``'s for the 64 x 64 world (``world.v2``), whose figures are not written here: they are
measured on a model by ``python -m playground.lab.runs --model v2`` into that model's folder (limits.json, read back
by ``playground.lab.runs.read_figures``), with the autoencoder's ceiling beside each. What a preset is (the
dataclasses, the words for what the judges score) is ``playground.lab.preset_types``.

No gradio here.
"""
from __future__ import annotations

from typing import Optional

from PIL import Image

import world
from pipelines import PlaygroundInputError
from playground.lab.judging import SHAPES, V2, WORLD_NAMES
from playground.lab.preset_types import (ATTRIBUTE_LABELS, FAILURE_WORDS, MEASURE, Figure, LimitGroup, Limits,
                                         MeasureSettings, Preset, v2_world)

__all__ = ["ATTRIBUTE_LABELS", "FAILURE_WORDS", "MEASURE", "Figure", "LimitGroup", "Limits", "MeasureSettings",
           "Preset", "PRESETS", "GROUPS", "SHAPES_LIMITS", "limits_for", "get_preset", "get_group", "explain",
           "ceiling_text", "target_picture"]


def _single(shape, colour, bg, size=None, position=None):
    return world.make_single(None, shape, colour, bg, size=size, position=position)


def _count(n, shape, colour, bg):
    return world.make_count(None, n, shape, colour, bg)


def _pair(first, second, relation, bg):
    return world.make_pair(None, first, second, relation, bg)


def _text(word, bg):
    return world.make_text(None, word, bg)


_GROUP_TEXT = [
    ("text", "Exact text",
     "Is there a white sign, and does it say exactly the word asked for? The judge reads each letter with the "
     "world's own 3×5 pixel font.",
     "Letters are small, exact shapes: one pixel more or less turns an E into an F. The model does not spell. "
     "It learned what a sign with writing on it looks like, and at every step it nudges the picture toward that "
     "look. In the step gallery the white sign is there after the first few steps; the strokes on it are settled "
     "only in the last, low-noise steps, from local patterns that look letter-like. Nothing ties stroke number two "
     "to letter number two of the prompt, so you get letter-like marks, often the right size and number, rarely "
     "the right word.",
     "No GenEval score exists for text. DrawBench (Imagen paper) keeps a separate *text* category (prompts like "
     "\"a storefront that reads ...\") and PartiPrompts a *writing and symbols* aspect, because models fail it so "
     "often that it would drown the other categories."),
    ("counts", "Precise counts",
     "Count the shapes. The judge counts separate blobs of the asked colour; \"correct count\" means exactly that "
     "many.",
     "The model has a rough sense of number, not a counter. Where the shapes go is decided in the first few, "
     "noisiest steps, when the rough layout forms: in the x̂0 row of the step gallery faint blobs fill every place a "
     "shape could go, then some grow and the rest fade, and after that they stay put. Later steps only sharpen the "
     "blobs that are already there. The number word steers how many grow, but nothing checks the total: each blob "
     "grows or fades from what is around it. Pictures of five and of six shapes look alike (a scatter of blobs), so "
     "the model lands near the asked number, not on it. You can see it read the number in *Forward diffusion*: "
     "denoise the example of three blue squares from t = 800 with \"five blue squares ...\" as the prompt and the "
     "bundled model adds two squares in 6 of 8 seeds (one in a seventh, three in the eighth); with \"one blue "
     "square ...\" it removes two in 8 of 8. Up to three it is right about nine times in ten: it was tuned on pairs "
     "of pictures that differ by one shape and by the number word alone, which teaches exactly that difference. "
     "From four up it is right less often (about seven in ten at seven and eight; nine, a full grid, is the "
     "exception), and when wrong it is off by one, most often one too many: run the count sweep to see the curve. "
     "How often also depends on the shape and colour: small triangles on white are its weak spot (the first "
     "presets of this group), red circles on blue a strong one.",
     "GenEval counting (2 to 4 objects, \"a photo of three cups\"; detector-scored, 4 images per prompt): "
     "SD 1.5 **0.35**, SD 2.1 **0.44**, SDXL **0.39** of images correct (djghosh13/geneval README). DrawBench has a "
     "*counting* category and PartiPrompts a *quantity* aspect."),
    ("small", "Small objects and details",
     "Is the small shape the right kind (circle, square or triangle) and small? Its colour usually comes out; its "
     "outline is where it goes wrong.",
     "A small shape covers a few dozen of the picture's 1024 pixels; in a latent model only a few latent cells, "
     "each standing for a block of pixels. What separates a small triangle from a small circle is a handful of "
     "pixels at its edge, and those are decided in the last steps, when little noise is left, from local texture. "
     "The model learned that \"small shape\" means a blob of that colour: it gets the colour and the blob, and the "
     "exact outline is the first thing it gets wrong. In real models this is mangled hands, faces in crowds and "
     "garbled fine print. This small model, whose whole world is three shapes at two sizes, mostly gets them right "
     "(see how often it fails here); when it slips, it is the outline: a small square comes out round.",
     "PartiPrompts lists *fine-grained detail* as its own challenge aspect. GenEval and T2I-CompBench do not score "
     "small objects separately."),
    ("spatial", "Spatial relations",
     "Is the first shape where the prompt says, relative to the second (or to the frame)? The judge compares the "
     "centres of the two coloured blobs.",
     "\"Left of\" is a relation between two things, and the picture with them swapped has exactly the same parts. "
     "The model learns which pixels go with which words, but the word order that says who is left of whom is a "
     "weak signal in the prompt's encoding. The layout is fixed in the first noisy steps (in x̂0 the two blobs take "
     "their places early and never move after), so if the prompt's encoding barely changes when the two nouns "
     "swap, the model draws either layout. A model trained on nothing but such scenes, as the bundled one is, can "
     "learn the word order of a few simple relations: run the preset over many seeds and compare with the large "
     "models below, whose training captions seldom say where things are (Chatterjee et al. 2024, \"Getting it "
     "Right\", arXiv 2404.01197: re-captioning images with their spatial relations made 22 % more images "
     "spatially right).",
     "GenEval position (left/right/above/below of a second object): SD 1.5 **0.04**, SD 2.1 **0.07**, SDXL "
     "**0.15** (djghosh13/geneval README). T2I-CompBench spatial: SD 1.5 **0.12**. DrawBench has a *positional* "
     "category, PartiPrompts *properties and positioning*."),
    ("identity", "Identity across images",
     "Look at the grid as a whole: does the same prompt give the same picture? The spread below is the mean pixel "
     "distance between every pair of images, and how many seeds agree on what the judge sees.",
     "A prompt does not describe one picture; it describes a whole family of pictures, and the seed picks one. "
     "Nothing carries over from one image to the next: each seed starts from different noise, and in the first "
     "steps the model turns whatever that noise leans toward into the layout. So \"the same\" object comes out at "
     "another place, size and shape each time. In real models a character's face, clothes and proportions change "
     "from image to image; people work around it with reference images, fine-tuning (DreamBooth, LoRA) or by "
     "reusing one seed.",
     "None of the benchmarks quoted here (GenEval, T2I-CompBench, DrawBench, PartiPrompts) scores consistency "
     "across images; here it is measured directly."),
    ("complex", "Complex prompts",
     "Two objects: is each colour on the right shape? Negation: is there really no circle? (The judge cannot check "
     "\"no\"; it scores the stated square and its colour, and you look for circles yourself.)",
     "With two objects the model has to bind each colour to the right shape. It learned that the words red, blue, "
     "circle and square go with red pixels, blue pixels, round and square blobs, but not reliably which word "
     "modifies which; so colours leak and swap (\"a blue circle and a red square\"). Negation is worse: \"no "
     "circles\" contains the word \"circles\", and a model that matches words to patterns pulls the picture "
     "toward circles. This world never has \"no\" in a caption, so the model has never seen the word used at all.",
     "GenEval colour binding (\"a red umbrella and a green cow\"): SD 1.5 **0.06**, SD 2.1 **0.17**, SDXL **0.23**; "
     "two objects at all: 0.38, 0.51, 0.74 (djghosh13/geneval README). T2I-CompBench scores attribute binding and "
     "complex prompts; PartiPrompts has *linguistic structures* (\"a classroom without any students\") and "
     "DrawBench *conflicting* prompts."),
    ("control", "Works well (control)",
     "One big shape, one colour, a plain background: colour, shape and background should be right for most seeds.",
     "The whole picture is one pattern the model has seen thousands of times, and it is settled in the first "
     "steps, when the coarse colours form (watch x̂0: the right colours are there almost at once). Nothing has to "
     "be counted, spelled or placed relative to something else. High scores here show the model works; the other "
     "groups show where it stops working.",
     "GenEval single object: SD 1.5 **0.97**, SD 2.1 **0.98**, SDXL **0.98**; colours: 0.76, 0.85, 0.85 "
     "(djghosh13/geneval README)."),
]

# Each preset's measured_wrong: in how many of MEASURE's 32 seeds the judge saw its first attribute wrong (bundled
# model; `python -m playground.lab.runs` recomputes them all, tests/playground/test_lab.py two of them).
_PRESETS = [
    # exact text
    Preset("text-hi", "text", _text("HI", "blue"), ("text", "sign", "background"), 32),
    Preset("text-cat", "text", _text("CAT", "green"), ("text", "sign", "background"), 32),
    Preset("text-dog", "text", _text("DOG", "gray"), ("text", "sign", "background"), 32),
    Preset("text-yes", "text", _text("YES", "purple"), ("text", "sign", "background"), 32),
    # precise counts: where this model miscounts most (triangles on white), and three, which it mostly gets
    Preset("count-5-purple-triangles", "counts", _count(5, "triangle", "purple", "white"), ("count", "colour", "shape"),
           31, note="Asked for five, it draws six purple triangles, seed after seed (31 of the 32 measured seeds "
                    "have six). Run the count sweep to see which counts of purple triangles it can draw."),
    Preset("count-8-green-triangles", "counts", _count(8, "triangle", "green", "white"), ("count", "colour", "shape"),
           20, note="When it is wrong it draws nine, the whole 3 × 3 grid: eight and nine look almost alike."),
    Preset("count-8-yellow-triangles", "counts", _count(8, "triangle", "yellow", "white"),
           ("count", "colour", "shape"), 19, note="When it is wrong it draws nine, the whole 3 × 3 grid."),
    Preset("count-3-red-circles", "counts", _count(3, "circle", "red", "blue"), ("count", "colour", "shape"), 3,
           note="For contrast: up to three it is mostly right."),
    # small objects and details
    Preset("small-red-square", "small", _single("square", "red", "gray", size="small"), ("shape", "size", "colour"),
           4, note="In the seeds where it fails, the judge reads the small square as a circle: its corners are a "
                   "pixel or two each, settled last."),
    Preset("small-orange-square-on-red", "small", _single("square", "orange", "red", size="small"),
           ("shape", "size", "colour"), 3),
    Preset("small-yellow-triangle", "small", _single("triangle", "yellow", "purple", size="small"),
           ("shape", "size", "colour"), 0),
    Preset("small-white-circle", "small", _single("circle", "white", "green", size="small"),
           ("shape", "size", "colour"), 0),
    # spatial relations: this model gets them right (see the group's text); the figures say so
    Preset("left-red-circle-blue-square", "spatial", _pair(("circle", "red"), ("square", "blue"), "left of", "white"),
           ("relation", "colours", "binding"), 0),
    Preset("above-yellow-triangle-green-circle", "spatial",
           _pair(("triangle", "yellow"), ("circle", "green"), "above", "black"), ("relation", "colours", "binding"), 1),
    Preset("right-purple-square-orange-triangle", "spatial",
           _pair(("square", "purple"), ("triangle", "orange"), "right of", "gray"), ("relation", "colours", "binding"),
           0),
    Preset("position-blue-circle-left", "spatial", _single("circle", "blue", "white", position="left"),
           ("position", "colour", "shape"), 0),
    # identity across images
    Preset("identity-red-circle", "identity", _single("circle", "red", "white", size="big"),
           ("colour", "shape", "size"), 0),
    Preset("identity-four-orange-squares", "identity", _count(4, "square", "orange", "blue"),
           ("count", "colour", "shape"), 5),
    Preset("identity-sign-ok", "identity", _text("OK", "green"), ("text", "sign"), 32),
    # complex prompts
    Preset("binding-purple-circle-orange-square", "complex",
           _pair(("circle", "purple"), ("square", "orange"), "and", "gray"), ("binding", "colours"), 31),
    Preset("binding-yellow-circle-purple-square", "complex",
           _pair(("circle", "yellow"), ("square", "purple"), "and", "gray"), ("binding", "colours"), 24),
    Preset("binding-red-circle-blue-square", "complex", _pair(("circle", "red"), ("square", "blue"), "and", "white"),
           ("binding", "colours"), 23),
    Preset("binding-green-square-above-orange-triangle", "complex",
           _pair(("square", "green"), ("triangle", "orange"), "above", "white"), ("binding", "relation", "colours"), 0,
           note="For contrast: with a relation (\"above\") instead of \"and\", this model binds the colours right. "
                "\"Above\" says where the green shape goes, and the layout is the first thing the model settles; "
                "\"and\" leaves both places open, and the shapes' outlines, settled later, land on either colour."),
    Preset("negation-square-no-circles", "complex", _single("square", "green", "white"),
           ("shape", "colour", "background"), 0,
           prompt_override="a green square with no circles on a white background",
           note="The world has no negation: the judge scores only the square, its colour and the background. "
                "Count the circles yourself."),
    # works well
    Preset("control-big-red-circle", "control", _single("circle", "red", "white", size="big"),
           ("colour", "shape", "size", "background"), 0),
    Preset("control-blue-square", "control", _single("square", "blue", "yellow"), ("colour", "shape", "background"),
           0),
    Preset("control-green-triangle", "control", _single("triangle", "green", "gray"),
           ("colour", "shape", "background"), 0),
]

PRESETS: dict[str, Preset] = {p.key: p for p in _PRESETS}
GROUPS: dict[str, LimitGroup] = {
    key: LimitGroup(key, title, look, why, published, tuple(p for p in _PRESETS if p.group == key))
    for key, title, look, why, published in _GROUP_TEXT
}
SHAPES_LIMITS = Limits(SHAPES, GROUPS, MEASURE, "counts")


def limits_for(world_name: Optional[str]) -> Limits:
    """The presets of a world (SHAPES or V2); a model that draws no world of ours gets the shapes world's, as
    prompts to try (unjudged)."""
    if world_name == V2:
        from playground.lab.presets_v2 import V2_LIMITS

        return V2_LIMITS
    return SHAPES_LIMITS


def _everything() -> tuple[dict[str, Preset], dict[str, LimitGroup]]:
    worlds = [limits_for(w) for w in (SHAPES, V2)]
    return ({k: p for lim in worlds for k, p in lim.presets.items()},
            {k: g for lim in worlds for k, g in lim.groups.items()})


def _find(table: dict, key, unknown: str):
    """table[key] for a key from the browser; ``unknown`` (with {key!r}) as the message for any other key."""
    found = table.get(key) if isinstance(key, str) else None
    if found is None:
        raise PlaygroundInputError(unknown.format(key=str(key)[:60]))
    return found


def get_preset(key: str) -> Preset:
    """A preset of either world by its key (the keys never clash: the v2 world's start with "v2-")."""
    return _find(_everything()[0], key, "Unknown preset {key!r}. Choose one from the list.")


def get_group(key: str) -> LimitGroup:
    groups = _everything()[1]
    return _find(groups, key, "Unknown limit {key!r}; choose one of: " + ", ".join(groups) + ".")


def ceiling_text(preset: Preset, figure: Optional[Figure]) -> str:
    """The autoencoder's ceiling in words, and what it says about where the failure is; "" where not measured."""
    if figure is None or not figure.pictures or figure.autoencoder_wrong is None:
        return ""
    n, model_n = figure.pictures, figure.settings.n_seeds
    ae, true = figure.autoencoder_wrong, figure.true_wrong
    head = (f"The same judge on this model's autoencoder's reconstructions of {n} true pictures of this caption "
            f"(the world's own pictures, other layouts of this scene, through the encoder and the decoder with no "
            f"denoising): {FAILURE_WORDS[preset.attributes[0]]} in **{ae} of {n}**"
            + (f"; on the true pictures themselves, in {true} of {n}" if true is not None else "") + ".")
    model_rate, ae_rate = figure.wrong / max(1, model_n), ae / n
    if true is not None and true / n >= 0.25:
        verdict = ("The judge itself misreads the true pictures here, so these figures say as much about the judge "
                   "as about the model.")
    elif model_rate - ae_rate >= 0.25:
        verdict = ("The decoder can draw what the caption asks for; the model's failure is the denoiser's: it "
                   "does not put the right latent there.")
    elif ae_rate - (true or 0) / n >= 0.25:
        verdict = "The autoencoder loses it too: part of the model's failure is the decoder's."
    else:
        verdict = "The model fails about as often as its autoencoder does here."
    return f"{head} {verdict}"


def explain(preset: Preset, figure: Optional[Figure] = None, judged: bool = True) -> str:
    """The markdown shown for a preset: the prompt, how often it fails (``figure``: measured on the model in use;
    else the figure written here, if any), the autoencoder's ceiling, what to look for, why it fails, published
    figures. ``judged``: whether the model in use draws the preset's world."""
    limits = limits_for(preset.world)
    group = limits.groups[preset.group]
    scored = ", ".join(ATTRIBUTE_LABELS[a] for a in preset.attributes)
    if judged or preset.measured_wrong is not None:
        how_often = preset.measured_text(limits.measure, figure)
    else:  # a model of another world: none of its figures are this preset's
        how_often = f"Measured only on a model that draws {WORLD_NAMES[preset.world]}"
    parts = [f"### {group.title}", f"**Prompt:** `{preset.prompt}`", f"**How often it fails here.** {how_often}."]
    ceiling = ceiling_text(preset, figure)
    if ceiling:
        parts.append(f"**The autoencoder's ceiling.** {ceiling}")
    parts.append(f"**What to look for.** {group.look_for}")
    if preset.note:
        parts.append(f"**This prompt.** {preset.note}")
    parts += [f"**Why denoising by learned patterns fails here.** {group.why}",
              f"**Published figures for real models.** {group.published}"]
    if judged:
        parts.append(f"*Scored by the world's judge:* {scored}.")
    else:
        parts.append(f"*Scored by the world's judge (only for a model that draws this world):* {scored}.")
    return "\n\n".join(parts)


def target_picture(preset: Preset) -> Image.Image:
    """The world's own picture of the preset's caption: what a perfect answer could look like."""
    render = world.render if preset.world == SHAPES else v2_world().render
    return Image.fromarray(render(preset.scene))
