"""The Limits lab: failure-case presets, one group per limit of diffusion models, and how to score them.

Each preset is a scene from the synthetic world (``world.py``), so the prompt is exactly the caption the
bundled model was trained on and the world's judge can read a generated picture back against it. A run
over N seeds gives a grid and, for the bundled model, a score per attribute ("correct count in 5 of 16").

No gradio here: plain data and functions (the handlers in ``handlers_extra.py`` turn them into UI values).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np
from PIL import Image

import world
from pipelines import PlaygroundInputError

MAX_SEEDS = 64
DEFAULT_SEEDS = 16
MAX_SEED = 2**32 - 1
BATCH = 8  # images per pipeline call; image i of a batch is exactly seed + i made alone
COUNTS = tuple(range(1, 10))
JUDGED_MODEL = "bundled"

ATTRIBUTE_LABELS = {
    "count": "correct count",
    "colour": "right colour",
    "shape": "right shape",
    "size": "right size",
    "position": "right position",
    "relation": "right relation (left/right/above/below)",
    "colours": "both colours present",
    "binding": "each colour on the right shape",
    "background": "right background",
    "sign": "a sign is there",
    "text": "exact text",
}


def has_judge(model_name: Optional[str]) -> bool:
    """Only the bundled model draws the synthetic world, so only its pictures can be judged."""
    return model_name == JUDGED_MODEL


# --------------------------------------------------------------------------- presets

@dataclass(frozen=True)
class Preset:
    key: str
    group: str
    scene: world.Scene
    attributes: tuple[str, ...]  # what the judge scores, the limit's own attribute first
    prompt_override: Optional[str] = None  # only for prompts the world cannot say (negation)
    note: str = ""  # preset-specific words, shown under the group's explanation

    @property
    def caption(self) -> str:
        return world.caption(self.scene)

    @property
    def prompt(self) -> str:
        return self.prompt_override or self.caption


@dataclass(frozen=True)
class LimitGroup:
    key: str
    title: str
    look_for: str
    why: str
    published: str
    presets: tuple[Preset, ...] = field(default=())


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
     "exception), and when wrong it is off by one, most often one too many: run the count sweep to see the curve.",
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
     "garbled fine print.",
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

_PRESETS = [
    # exact text
    Preset("text-hi", "text", _text("HI", "blue"), ("text", "sign", "background")),
    Preset("text-cat", "text", _text("CAT", "green"), ("text", "sign", "background")),
    Preset("text-dog", "text", _text("DOG", "gray"), ("text", "sign", "background")),
    Preset("text-yes", "text", _text("YES", "purple"), ("text", "sign", "background")),
    # precise counts
    Preset("count-3-red-circles", "counts", _count(3, "circle", "red", "blue"), ("count", "colour", "shape")),
    Preset("count-5-yellow-squares", "counts", _count(5, "square", "yellow", "purple"), ("count", "colour", "shape")),
    Preset("count-7-white-triangles", "counts", _count(7, "triangle", "white", "black"), ("count", "colour", "shape")),
    Preset("count-2-green-circles", "counts", _count(2, "circle", "green", "white"), ("count", "colour", "shape")),
    # small objects and details
    Preset("small-yellow-triangle", "small", _single("triangle", "yellow", "purple", size="small"),
           ("shape", "size", "colour")),
    Preset("small-red-square", "small", _single("square", "red", "gray", size="small"), ("shape", "size", "colour")),
    Preset("small-white-circle", "small", _single("circle", "white", "green", size="small"),
           ("shape", "size", "colour")),
    # spatial relations
    Preset("left-red-circle-blue-square", "spatial", _pair(("circle", "red"), ("square", "blue"), "left of", "white"),
           ("relation", "colours", "binding")),
    Preset("above-yellow-triangle-green-circle", "spatial",
           _pair(("triangle", "yellow"), ("circle", "green"), "above", "black"), ("relation", "colours", "binding")),
    Preset("right-purple-square-orange-triangle", "spatial",
           _pair(("square", "purple"), ("triangle", "orange"), "right of", "gray"), ("relation", "colours", "binding")),
    Preset("position-blue-circle-left", "spatial", _single("circle", "blue", "white", position="left"),
           ("position", "colour", "shape")),
    # identity across images
    Preset("identity-red-circle", "identity", _single("circle", "red", "white", size="big"),
           ("colour", "shape", "size")),
    Preset("identity-four-orange-squares", "identity", _count(4, "square", "orange", "blue"),
           ("count", "colour", "shape")),
    Preset("identity-sign-ok", "identity", _text("OK", "green"), ("text", "sign")),
    # complex prompts
    Preset("binding-red-circle-blue-square", "complex", _pair(("circle", "red"), ("square", "blue"), "and", "white"),
           ("binding", "colours")),
    Preset("binding-yellow-triangle-purple-circle", "complex",
           _pair(("triangle", "yellow"), ("circle", "purple"), "and", "gray"), ("binding", "colours")),
    Preset("binding-green-square-above-orange-triangle", "complex",
           _pair(("square", "green"), ("triangle", "orange"), "above", "white"), ("binding", "relation", "colours")),
    Preset("negation-square-no-circles", "complex", _single("square", "green", "white"),
           ("shape", "colour", "background"),
           prompt_override="a green square with no circles on a white background",
           note="The world has no negation: the judge scores only the square, its colour and the background. "
                "Count the circles yourself."),
    # works well
    Preset("control-big-red-circle", "control", _single("circle", "red", "white", size="big"),
           ("colour", "shape", "size", "background")),
    Preset("control-blue-square", "control", _single("square", "blue", "yellow"), ("colour", "shape", "background")),
    Preset("control-green-triangle", "control", _single("triangle", "green", "gray"),
           ("colour", "shape", "background")),
]

PRESETS: dict[str, Preset] = {p.key: p for p in _PRESETS}
GROUPS: dict[str, LimitGroup] = {
    key: LimitGroup(key, title, look, why, published, tuple(p for p in _PRESETS if p.group == key))
    for key, title, look, why, published in _GROUP_TEXT
}


def get_preset(key: str) -> Preset:
    preset = PRESETS.get(key) if isinstance(key, str) else None
    if preset is None:
        raise PlaygroundInputError(f"Unknown preset {str(key)[:60]!r}. Choose one from the list.")
    return preset


def get_group(key: str) -> LimitGroup:
    group = GROUPS.get(key) if isinstance(key, str) else None
    if group is None:
        raise PlaygroundInputError(f"Unknown limit {str(key)[:60]!r}; choose one of: {', '.join(GROUPS)}.")
    return group


def explain(preset: Preset) -> str:
    """The markdown shown for a preset: the prompt, what to look for, why it fails, published figures."""
    group = GROUPS[preset.group]
    scored = ", ".join(ATTRIBUTE_LABELS[a] for a in preset.attributes)
    parts = [f"### {group.title}", f"**Prompt:** `{preset.prompt}`", f"**What to look for.** {group.look_for}"]
    if preset.note:
        parts.append(f"**Note.** {preset.note}")
    parts += [f"**Why denoising by learned patterns fails here.** {group.why}",
              f"**Published figures for real models.** {group.published}",
              f"*Scored by the world's judge (bundled model only):* {scored}."]
    return "\n\n".join(parts)


def target_picture(preset: Preset) -> Image.Image:
    """The world's own picture of the preset's caption: what a perfect answer could look like."""
    return Image.fromarray(world.render(preset.scene))


# --------------------------------------------------------------------------- bounds

def check_seed_count(n_seeds) -> int:
    value = _whole(n_seeds)
    if value is None or not 1 <= value <= MAX_SEEDS:
        raise PlaygroundInputError(
            f"Seeds: run over 1 to {MAX_SEEDS} seeds at a time (got {str(n_seeds)[:20]}); each seed is a whole "
            f"generation. {DEFAULT_SEEDS} is a good start.")
    return value


def check_first_seed(first_seed, n_seeds: int) -> int:
    value = _whole(first_seed)
    top = MAX_SEED - n_seeds + 1
    if value is None or not 0 <= value <= top:
        raise PlaygroundInputError(f"First seed must be a whole number from 0 to {top} (got {str(first_seed)[:20]}).")
    return value


def _whole(value) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        return None
    if not np.isfinite(f) or f != int(f):
        return None
    return int(f)


# --------------------------------------------------------------------------- running over seeds

@dataclass
class SeedRun:
    """Images of one prompt over consecutive seeds and, when judged, what the judge saw in each."""

    prompt: str
    seeds: list[int]
    images: list[Image.Image]
    judged: Optional[list[dict[str, bool]]]  # None for models without a judge
    attributes: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.images)

    @property
    def scores(self) -> Optional[dict[str, int]]:
        """Attribute -> how many images got it right (None without a judge)."""
        if self.judged is None:
            return None
        return {a: sum(bool(j.get(a, False)) for j in self.judged) for a in self.attributes}

    def score_lines(self) -> list[str]:
        if self.scores is None:
            return []
        return [f"{ATTRIBUTE_LABELS.get(a, a)} in {k} of {self.n}" for a, k in self.scores.items()]


def iter_over_seeds(pipe, prompt: str, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                    negative_prompt: str = "") -> Iterator[tuple[list[int], list[Image.Image], list[str]]]:
    """Generate ``prompt`` for seeds first_seed .. first_seed + n - 1, yielding (seeds, images, warnings) per batch."""
    n = check_seed_count(n_seeds)
    first = check_first_seed(first_seed, n)
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        out = pipe(prompt, negative_prompt, sampler, steps, guidance, first + done, k)
        done += k
        yield list(out.seeds), list(out.images), list(out.warnings)


def judge_images(images, scene: world.Scene) -> list[dict[str, bool]]:
    return [world.judge(im, scene) for im in images]


def iter_preset(pipe, preset: Preset, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                judge: bool = True) -> Iterator[SeedRun]:
    """run_over_seeds, yielding the growing SeedRun after each batch (for streaming to the UI)."""
    run = SeedRun(preset.prompt, [], [], [] if judge else None, preset.attributes)
    for seeds, images, warnings in iter_over_seeds(pipe, preset.prompt, n_seeds, first_seed, steps, sampler,
                                                   guidance):
        run.seeds += seeds
        run.images += images
        run.warnings += [w for w in warnings if w not in run.warnings]
        if judge:
            run.judged += judge_images(images, preset.scene)
        yield run


def run_over_seeds(pipe, preset: Preset, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                   judge: bool = True) -> SeedRun:
    """The preset's prompt over ``n_seeds`` consecutive seeds; scores per attribute when ``judge``."""
    run = None
    for run in iter_preset(pipe, preset, n_seeds, first_seed, steps, sampler, guidance, judge):
        pass
    return run


# --------------------------------------------------------------------------- identity spread

@dataclass
class Spread:
    n_images: int
    mean_rmse: float  # mean over all pairs of the pixel RMSE (0-255)
    min_rmse: float
    max_rmse: float
    agree: Optional[int] = None  # seeds whose judged outcome is the most common one
    all_right: Optional[int] = None  # seeds that got every scored attribute right
    common_outcome: str = ""

    def markdown(self) -> str:
        if self.n_images < 2:
            return "Run at least two seeds to measure how much the pictures differ."
        lines = [f"**Spread over {self.n_images} seeds:** mean pixel distance between two images "
                 f"**{self.mean_rmse:.1f}** (0 = identical, 255 = opposite; smallest pair {self.min_rmse:.1f}, "
                 f"largest {self.max_rmse:.1f})."]
        if self.agree is not None:
            lines.append(f"**Agreement:** {self.agree} of {self.n_images} seeds give the most common judged outcome "
                         f"({self.common_outcome}); {self.all_right} of {self.n_images} get every scored attribute "
                         f"right.")
        return "\n\n".join(lines)


def pairwise_rmse(images) -> np.ndarray:
    """RMSE (0-255) of every pair of equally sized images, as a flat array."""
    x = np.stack([np.asarray(im.convert("RGB"), np.float32).ravel() for im in images])
    sq = (x * x).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2 * x @ x.T) / x.shape[1]
    iu = np.triu_indices(len(images), 1)
    return np.sqrt(np.clip(d2[iu], 0, None))


def identity_spread(images, judged: Optional[list[dict[str, bool]]] = None,
                    attributes: Optional[tuple[str, ...]] = None) -> Spread:
    """How different the same prompt comes out over seeds, and how many seeds agree on what the judge sees."""
    n = len(images)
    if n < 2:
        return Spread(n, 0.0, 0.0, 0.0)
    d = pairwise_rmse(images)
    spread = Spread(n, float(d.mean()), float(d.min()), float(d.max()))
    if judged is not None:
        attrs = tuple(attributes or sorted({a for j in judged for a in j}))
        outcomes = [tuple(bool(j.get(a, False)) for a in attrs) for j in judged]
        common = max(set(outcomes), key=outcomes.count)
        spread.agree = outcomes.count(common)
        spread.all_right = sum(all(o) for o in outcomes)
        spread.common_outcome = ", ".join(f"{'✓' if ok else '✗'} {a}" for a, ok in zip(attrs, common))
    return spread


# --------------------------------------------------------------------------- count sweep

@dataclass
class CountSweep:
    shape: str
    colour: str
    background: str
    seeds: list[int]
    correct: dict[int, int] = field(default_factory=dict)  # asked count -> images with exactly that many
    detected: dict[int, list[int]] = field(default_factory=dict)  # asked count -> blobs found per image
    examples: dict[int, Image.Image] = field(default_factory=dict)  # asked count -> the first seed's image

    @property
    def n_per_count(self) -> int:
        return len(self.seeds)

    def accuracy(self) -> dict[int, float]:
        return {c: k / max(1, self.n_per_count) for c, k in self.correct.items()}

    def markdown(self) -> str:
        rows = ["| asked | correct | counted (mean) |", "|---|---|---|"]
        for c in sorted(self.correct):
            found = self.detected[c]
            rows.append(f"| {c} | {self.correct[c]} of {self.n_per_count} | {np.mean(found):.1f} |")
        return "\n".join(rows)


def count_scene(n: int, shape: str, colour: str, background: str) -> world.Scene:
    return world.make_count(None, n, shape, colour, background)


def detected_count(image, colour: str) -> int:
    """How many separate blobs of ``colour`` the judge finds (as it does for the count attribute)."""
    masks = world.analyse(image)["colour_masks"]
    return len(world._components(masks[colour], 4)) if colour in masks else 0


def iter_count_sweep(pipe, shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0, steps=20,
                     sampler=None, guidance=None, counts=COUNTS,
                     judge: bool = True) -> Iterator[tuple[int, CountSweep]]:
    """For each count 1..9, the count prompt over ``n_seeds`` seeds, judged. Yields (count just done, sweep).

    Without ``judge`` nothing can be counted, so only the first seed's picture is made for each count.
    """
    n = check_seed_count(n_seeds)
    first = check_first_seed(first_seed, n)
    counts = tuple(counts)
    if not counts or any(_whole(c) is None or not 1 <= int(c) <= 9 for c in counts):
        raise PlaygroundInputError("Counts must be whole numbers from 1 to 9 (the world draws at most nine shapes).")
    sweep = CountSweep(shape, colour, background, list(range(first, first + n)))
    for c in counts:
        scene = count_scene(c, shape, colour, background)
        images = []
        for _seeds, batch, _warnings in iter_over_seeds(pipe, world.caption(scene), n if judge else 1, first, steps,
                                                        sampler, guidance):
            images += batch
        if judge:
            sweep.correct[c] = sum(j["count"] for j in judge_images(images, scene))
            sweep.detected[c] = [detected_count(im, colour) for im in images]
        sweep.examples[c] = images[0]
        yield c, sweep


def count_sweep(pipe, shape="circle", colour="red", background="blue", n_seeds=8, first_seed=0, steps=20,
                sampler=None, guidance=None, counts=COUNTS, judge: bool = True) -> CountSweep:
    """Count accuracy for each count (1..9 by default): how many of ``n_seeds`` images have exactly that many."""
    sweep = None
    for _c, sweep in iter_count_sweep(pipe, shape, colour, background, n_seeds, first_seed, steps, sampler, guidance,
                                      counts, judge):
        pass
    return sweep


def count_plot(sweep: CountSweep):
    """Bars: share of images with exactly the asked count; dots: what was counted, against the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = sorted(sweep.correct)
    acc = sweep.accuracy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=100)
    ax1.bar(counts, [acc[c] for c in counts], color="#4a7bd0")
    ax1.set_ylim(0, 1)
    ax1.set_xticks(counts)
    ax1.set_xlabel("count asked for")
    ax1.set_ylabel(f"share correct ({sweep.n_per_count} seeds each)")
    ax1.set_title("How often the count is exactly right")
    ax1.grid(True, axis="y", alpha=0.3)
    rng = np.random.default_rng(0)
    for c in counts:
        found = np.asarray(sweep.detected[c], float)
        ax2.scatter(c + rng.uniform(-0.15, 0.15, len(found)), found + rng.uniform(-0.15, 0.15, len(found)),
                    s=12, alpha=0.6, color="#d04a4a")
    top = max([9] + [max(v) for v in sweep.detected.values() if v])
    ax2.plot([0, top], [0, top], color="gray", linestyle="--", linewidth=1, label="exactly right")
    ax2.set_xticks(counts)
    ax2.set_xlabel("count asked for")
    ax2.set_ylabel("blobs the judge counted")
    ax2.set_title("What came out instead")
    ax2.legend(fontsize=8, loc="upper left")
    ax2.grid(True, alpha=0.3)
    fig.suptitle(f"{sweep.colour} {sweep.shape}s on {sweep.background}", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
