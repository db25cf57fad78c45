"""GenEval-style evaluation of a model on the 64 x 64 world (``world.v2``, issue 33), scored by its judge.

    python -m training.evaluate_v2 --model DIR                     # every category, the card's settings
    python -m training.evaluate_v2 --model DIR --prompts 8 --seeds 2 --seed 2000 \
        --categories "object class,lesson"                         # a quick look on validation seeds
    python -m training.evaluate_v2 --ceiling-only [--soft]         # the judge on true pictures, no model

As ``training.evaluate`` does for today's world: each category is a set of prompts (canonical captions of scene
specs built with world.v2's builders) times a set of seeds, every image judged (``world.v2.judge``) against the
spec its prompt came from, on the one judge key the category is about (``score_key``). Next to the model's rate:
- ``ceiling``: the judge on the true pictures of the same prompts (``world.v2.render``) - the best a perfect
  denoiser can get, and a category whose judge is weak shows it here;
- ``autoencoder``: the judge on the model's autoencoder's reconstructions of as many true pictures of each prompt
  (``layouts``), where the pipeline has one;
- ``all seeds``: the share of prompts every seed got right (for "same character": the same look every time).

Categories the judge cannot read yet have ``score_key`` None and are reported "not judged yet" (``NOT_JUDGED``
says why); a key missing from the judge's answer (e.g. "object" without torch) is reported the same way.

Held out: a category's prompts are drawn from the seed sequence [seed, HELD_OUT, category index], a stream that
no training batch (``np.random.default_rng(int)``, training.data.batch_seed) draws from. Each prompt's images take
noise seeds of their own (``noise_seed``): no two images of a card share their starting noise.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from world import v2
from world.v2.judge import judge
from world.v2.scenes import SIZE_RANGES, TRIO_KINDS, colour_for, lighting, make_character, make_object, pick
from world.v2.vocabulary import (CHARACTERS, KINDS, LEANERS, LIGHT_SIDES, OLD_COLOURS, OLD_WORDS, PLAIN,
                                 RELATIONS, SCENIC, SHAPES, SMALL_KINDS, SUPPORTS, TOP)

HELD_OUT = 33  # the second entry of every category's seed sequence (issue 33)

TODAY = ["single: colour", "single: shape", "single: background", "position"] + \
    [f"count {n}" for n in range(1, 10)] + ["two objects", "colour binding", "relations", "written words"]
NEW = ["object class", "object colour", "backdrop texture", "light side", "time of day", "directions",
       "in front of", "leaning against", "on top of"]
LESSON = "lesson"  # world.v2.lesson_scene's prompt, "a red bicycle leaning against a brick wall"
FAILURES = ["five fingers", "sign word", "counts ≥ 5", "trio binding", "same character"]
CATEGORIES = TODAY + NEW + [LESSON] + FAILURES

ALL = "all"  # score_key for the lesson: every category the judge reads in its picture
NOT_JUDGED: dict[str, str] = {}  # category -> why the judge cannot read it yet (every category is read today)

NOTES = {  # how a judged category is read, where that is less than its name says
    LESSON: "every category the judge reads in the picture (the thing's kind and colour, the wall); the lean "
            "against a wall itself is not read",
    "same character": "per picture, the named character's shirt, hair, skin and hat in their places; 'all seeds': "
                      "the same character in every seed of a prompt",
    "object class": "the kinds the caption asks for are found (a classifier), not how many nor where",
    "trio binding": "each asked colour on a thing of its asked kind (the classifier looks at the thing around each "
                    "colour's blob); the left-to-right order is not read",
}

_ANYTHING = ["circle", "square", "triangle", "house", "tree", "car", "bicycle", "mug", "person", "sign"]
_FLOATING = SHAPES + ["sun"]  # what can be "above" another thing


def _backdrop(rng, scenic_share: float = 0.7) -> str:
    """A backdrop as sample_scene draws the new kinds': scenic 70 % of the time, else plain."""
    return pick(rng, SCENIC) if rng.random() < scenic_share else pick(rng, PLAIN)


def _relation(rng, relation: str, first_kinds, second_kinds, backdrop: Optional[str] = None) -> v2.Scene:
    bg = backdrop or _backdrop(rng)
    light, when = lighting(rng, bg)
    first = v2.thing(rng, pick(rng, first_kinds), bg)
    second = v2.thing(rng, pick(rng, second_kinds), bg, avoid=(first.colour,))
    return v2.make_relation(rng, first, second, relation, bg, light, when)


def _direction(rng, i: int) -> v2.Scene:
    relation = RELATIONS[i % 4]  # left of, right of, above, below in turn
    first, second = {"above": (_FLOATING, _ANYTHING), "below": (_ANYTHING, _FLOATING)}.get(
        relation, (_ANYTHING, _ANYTHING))
    return _relation(rng, relation, first, second)


def _single_object(rng, kind: str, backdrop: Optional[str] = None, light: Optional[str] = None,
                   when: Optional[str] = None) -> v2.Scene:
    bg = backdrop or _backdrop(rng)
    side, t = lighting(rng, bg)
    scene_kind = kind if kind in ("hand", "sign") else "object"
    return make_object(rng, v2.thing(rng, kind, bg), bg, light or side, when or t, kind=scene_kind)


def _lit(rng, i: int, times: bool) -> v2.Scene:
    """A thing (not a sun, which is the light, nor a hand) on a scenic backdrop in a stated light."""
    bg = pick(rng, SCENIC)
    kind = pick(rng, [k for k in KINDS if k not in ("sun", "hand")])
    if times:
        when = ("sunset", "night")[i % 2]
        side = pick(rng, LIGHT_SIDES, exclude=("above",) if when == "sunset" else ())
        return _single_object(rng, kind, bg, side, when)
    return _single_object(rng, kind, bg, LIGHT_SIDES[i % 3], "day")


def _trio(rng) -> v2.Scene:
    bg = pick(rng, SCENIC)
    light, when = lighting(rng, bg)
    things = []
    for _ in range(3):  # three colours apart where the kind comes in enough of them
        kind = pick(rng, TRIO_KINDS)
        try:
            things.append(v2.thing(rng, kind, bg, avoid=tuple(t.colour for t in things)))
        except (IndexError, ValueError):
            things.append(v2.thing(rng, kind, bg))
    return v2.make_trio(rng, things, bg, light, when)


def _count(rng, n: int) -> v2.Scene:
    bg = pick(rng, PLAIN)
    return v2.make_count(rng, n, pick(rng, SHAPES), pick(rng, OLD_COLOURS, exclude=(bg,)), bg)


def _group(rng, i: int) -> v2.Scene:
    bg = pick(rng, SCENIC)
    light, when = lighting(rng, bg)
    kind = pick(rng, SMALL_KINDS)
    return v2.make_count(rng, 5 + i % 5, kind, colour_for(rng, kind, bg), bg, light, when)


def _today(rng, category: str) -> v2.Scene:
    """Today's categories as training.evaluate draws them, at 64 px: today's colours on plain backdrops."""
    bg = pick(rng, PLAIN)
    fg = pick(rng, OLD_COLOURS, exclude=(bg,))
    shape = pick(rng, SHAPES)
    if category.startswith("single"):
        return v2.make_single(rng, shape, fg, bg)
    if category == "position":
        return v2.make_single(rng, shape, fg, bg, position=pick(rng, ["left", "right", "top", "bottom", "centre"]))
    if category in ("two objects", "colour binding", "relations"):
        fg2 = pick(rng, OLD_COLOURS, exclude=(bg, fg))
        rel = "and" if category != "relations" else pick(rng, RELATIONS[:4])
        return v2.make_pair(rng, (shape, fg), (pick(rng, SHAPES), fg2), rel, bg)
    return v2.make_text(rng, pick(rng, OLD_WORDS), pick(rng, PLAIN, exclude=("white",)))


def _factory(category: str) -> Callable[[np.random.Generator, int], v2.Scene]:
    """category -> (rng, prompt index) -> scene. The index walks through what a category covers (kinds,
    backdrops, sides, relations) so that 24 prompts hold each of them."""
    kinds = list(KINDS)
    if category.startswith("count ") and category[6:].isdigit():
        return lambda rng, i: _count(rng, int(category[6:]))
    if category in TODAY:
        return lambda rng, i: _today(rng, category)
    return {
        "object class": lambda rng, i: _single_object(rng, kinds[i % len(kinds)]),
        "object colour": lambda rng, i: _single_object(rng, [k for k in kinds if k != "hand"][i % (len(kinds) - 1)]),
        "backdrop texture": lambda rng, i: _single_object(rng, pick(rng, [k for k in kinds if k != "hand"]),
                                                          SCENIC[i % len(SCENIC)]),
        "light side": lambda rng, i: _lit(rng, i, times=False),
        "time of day": lambda rng, i: _lit(rng, i, times=True),
        "directions": _direction,
        "in front of": lambda rng, i: _relation(rng, "in front of", _ANYTHING, _ANYTHING),
        "leaning against": lambda rng, i: _relation(rng, "leaning against", LEANERS, SUPPORTS),
        "on top of": lambda rng, i: _relation(rng, "on top of", ["circle", "triangle", "square", "mug"], list(TOP)),
        LESSON: lambda rng, i: v2.lesson_scene(rng),
        "five fingers": lambda rng, i: _five_fingers(rng),
        "sign word": lambda rng, i: _single_object(rng, "sign"),
        "counts ≥ 5": _group,
        "trio binding": lambda rng, i: _trio(rng),
        "same character": lambda rng, i: _character(rng, i),
    }[category]


def _five_fingers(rng) -> v2.Scene:
    bg = _backdrop(rng)
    light, when = lighting(rng, bg)
    return make_object(rng, replace(v2.thing(rng, "hand", bg), fingers=5), bg, light, when, kind="hand")


def _character(rng, i: int) -> v2.Scene:
    bg = pick(rng, SCENIC)
    light, when = lighting(rng, bg)
    return make_character(rng, list(CHARACTERS)[i % len(CHARACTERS)], bg, light, when)


def check_categories(categories: Optional[list[str]]) -> None:
    unknown = sorted(set(categories or []) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown categories {unknown}; known: {', '.join(CATEGORIES)}")


def category_scenes(category: str, n: int, seed: int) -> list[v2.Scene]:
    """``n`` held-out scenes of ``category``, the same for the same seed (see the module's note on HELD_OUT)."""
    check_categories([category])
    rng = np.random.default_rng([seed, HELD_OUT, CATEGORIES.index(category)])
    make = _factory(category)
    return [make(rng, i) for i in range(n)]


def _at_origin(o):
    return replace(o, x=0, y=0, shadow=False, tilt=0)


def layouts(scene: v2.Scene, n: int, seed: int) -> list[v2.Scene]:
    """``scene`` and n - 1 other pictures its canonical caption describes as well (other places, sizes where
    unstated, other cells for a count, other layouts of a relation): the pictures a perfect model could draw."""
    rng = np.random.default_rng([seed, HELD_OUT])
    out = [scene]
    s = scene
    for _ in range(n - 1):
        o = s.objects[0]
        if s.kind == "single":
            new = v2.make_single(rng, o.kind, o.colour, s.backdrop, s.size, s.position, s.mention_backdrop)
        elif s.kind in ("count", "group"):
            new = v2.make_count(rng, s.count, o.kind, o.colour, s.backdrop, s.light, s.time, s.mention_backdrop,
                                s.mention_light)
        elif s.kind == "pair":
            a, b = s.objects
            new = v2.make_pair(rng, (a.kind, a.colour), (b.kind, b.colour), s.relation, s.backdrop,
                               s.mention_backdrop)
        elif s.kind == "text":
            new = v2.make_text(rng, s.word, s.backdrop, s.mention_backdrop)
        elif s.kind == "lean":
            new = v2.make_lean(rng, _at_origin(o), s.backdrop, s.light, s.time, s.mention_backdrop, s.mention_light)
        elif s.kind == "trio":
            things = [_at_origin(t) for t in sorted(s.objects, key=lambda t: t.x)]  # the caption's order
            new = v2.make_trio(rng, things, s.backdrop, s.light, s.time, s.mention_backdrop, s.mention_light)
        elif s.kind == "character" and s.relation is None:
            new = make_character(rng, o.name, s.backdrop, s.light, s.time, mention_backdrop=s.mention_backdrop,
                                 mention_light=s.mention_light)
        elif s.relation is not None:  # relation, a character in one
            a, b = (_at_origin(t) for t in s.objects)
            new = v2.make_relation(rng, a, b, s.relation, s.backdrop, s.light, s.time, kind=s.kind,
                                   mention_backdrop=s.mention_backdrop, mention_light=s.mention_light)
        else:  # object, hand, sign: the same thing elsewhere, at another size if the caption leaves it open
            lo, hi = SIZE_RANGES[o.kind]
            size = int(rng.integers(lo, hi + 1)) if o.kind != "sign" else o.size
            new = make_object(rng, replace(_at_origin(o), size=size), s.backdrop, s.light, s.time, kind=s.kind,
                              mention_backdrop=s.mention_backdrop, mention_light=s.mention_light)
        out.append(new)
    return out


def noise_seed(seed: int, category_index: int, prompt_index: int, seeds: int) -> int:
    """The seed of a prompt's first image (image i of a call uses seed + i, pipelines.limits.MAX_SEED): apart for
    every image of a category, up to 1,000 images a category, and for every category. Prompt after prompt took
    consecutive seeds until 2026-12-05, and their images shared noise: the lesson asks one prompt 24 times, and
    its 96 images were 27 pictures."""
    return (seed * 100 + category_index) * 1000 + prompt_index * seeds


def score_key(category: str) -> Optional[str]:
    """The judge key that scores ``category``; ALL for the lesson (every key the judge reads in its picture);
    None where the judge cannot read it yet (NOT_JUDGED says why)."""
    check_categories([category])
    if category in NOT_JUDGED:
        return None
    if category.startswith("count ") or category == "counts ≥ 5":
        return "count"
    return {"single: colour": "colour", "single: shape": "shape", "single: background": "backdrop",
            "position": "position", "two objects": "colours", "colour binding": "binding", "relations": "relation",
            "written words": "text", "object class": "object", "object colour": "colour",
            "backdrop texture": "backdrop", "light side": "light", "time of day": "light", "directions": "relation",
            "in front of": "relation", "leaning against": "relation", "on top of": "relation", LESSON: ALL,
            "five fingers": "fingers", "sign word": "text", "trio binding": "binding",
            "same character": "character"}[category]


def judged(image, scene: v2.Scene, key: Optional[str]) -> Optional[bool]:
    """The judge's verdict on ``image`` for ``key``; None when it does not read that key in this scene."""
    if key is None:
        return None
    verdict = judge(image, scene)
    if key == ALL:
        return bool(verdict) and all(verdict.values())
    return verdict.get(key)


def _rate(hits: list) -> Optional[float]:
    seen = [h for h in hits if h is not None]
    return float(np.mean(seen)) if seen else None


def _all_seeds(hits: list, seeds: int) -> Optional[float]:
    per_prompt = [hits[i:i + seeds] for i in range(0, len(hits), seeds)]
    if not per_prompt or any(h is None for p in per_prompt for h in p):
        return None
    return float(np.mean([all(p) for p in per_prompt]))


def as_uint8(image) -> np.ndarray:
    """A pipeline's image ("np": floats in [0, 1]; "pil") as (H, W, 3) uint8."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr.astype(np.float32) * 255), 0, 255).astype(np.uint8)
    return arr


def _note(cat: str, key: Optional[str], rate: Optional[float]) -> Optional[str]:
    if key is None:
        return f"not judged yet: {NOT_JUDGED[cat]}"
    if rate is None:
        return f"not judged yet: the judge gave no {key!r} verdict here" + (
            " (torch missing: no object classifier)" if key == "object" else "")
    return NOTES.get(cat)


def ceiling(categories: Optional[list[str]] = None, prompts: int = 24, seeds: int = 1, seed: int = 1000,
            soft: bool = False) -> dict:
    """The judge on true pictures (``world.v2.render``) of each category's prompts - with ``seeds`` > 1, of as many
    layouts of each - the best a perfect denoiser can get: {category: {"ceiling", "n", "key", "note"}}.
    ``soft``: the pictures blurred and noised as world.v2.calibration's stand-in for the v2 autoencoder's
    reconstructions (until there is one)."""
    from world.v2.calibration import soften

    check_categories(categories)
    out = {}
    for ci, cat in enumerate(CATEGORIES):
        if categories and cat not in categories:
            continue
        key = score_key(cat)
        hits = []
        for si, scene in enumerate(category_scenes(cat, prompts, seed)):
            noise = np.random.default_rng([seed, HELD_OUT, ci, si])
            for truth in layouts(scene, seeds, noise_seed(seed, ci, si, seeds)):
                img = v2.render(truth)
                hits.append(judged(soften(img, noise) if soft else img, truth, key))
        rate = _rate(hits)
        out[cat] = {"ceiling": rate, "n": len(hits), "key": key, "note": _note(cat, key, rate)}
    return out


def evaluate(pipe, categories: Optional[list[str]] = None, prompts: int = 24, seeds: int = 4,
             sampler: str = "DPM++ 2M", steps: int = 20, guidance: Optional[float] = None, seed: int = 1000,
             autoencoder: bool = True) -> dict:
    """Returns {category: {"model", "all seeds", "ceiling", "autoencoder", "n", "key", "note"}} plus "_meta".

    "model": the share of images the judge reads right on the category's key (None: not judged yet, "note" says
    why); "all seeds": the share of prompts all of whose seeds are right; "ceiling": the judge on the prompts'
    true pictures; "autoencoder": on the pipeline's reconstructions of ``seeds`` layouts of each prompt (None
    without an autoencoder or with ``autoencoder=False``). ``seed`` picks the prompts and the noise (the card's:
    1000; tune settings on another). ``categories`` evaluates a subset, each with the prompts and noise of a full run.
    """
    from PIL import Image

    check_categories(categories)
    results = {}
    t0 = time.time()
    n_images = 0
    for ci, cat in enumerate(CATEGORIES):
        if categories and cat not in categories:
            continue
        key = score_key(cat)
        model_hits, ae_hits, true_hits = [], [], []
        for si, scene in enumerate(category_scenes(cat, prompts, seed)):
            noise = noise_seed(seed, ci, si, seeds)
            out = pipe(v2.caption(scene), sampler=sampler, num_inference_steps=steps, guidance_scale=guidance,
                       seed=noise, num_images_per_prompt=seeds, output_type="np")
            n_images += len(out.images)
            model_hits += [judged(as_uint8(im), scene, key) for im in out.images]
            true_hits.append(judged(v2.render(scene), scene, key))
            if autoencoder and key is not None and getattr(pipe, "vae", None) is not None:
                truths = layouts(scene, seeds, noise)
                recon = pipe.decode(pipe.encode_images([Image.fromarray(v2.render(t)) for t in truths]),
                                    output_type="np")
                ae_hits += [judged(as_uint8(im), t, key) for im, t in zip(recon, truths)]
        rate = _rate(model_hits)
        results[cat] = {"model": rate, "all seeds": _all_seeds(model_hits, seeds), "ceiling": _rate(true_hits),
                        "autoencoder": _rate(ae_hits), "n": len(model_hits), "key": key,
                        "note": _note(cat, key, rate)}
    results["_meta"] = {"sampler": sampler, "steps": steps, "guidance": guidance if guidance is not None else
                        getattr(pipe.config, "default_guidance_scale", None), "prompts": prompts, "seeds": seeds,
                        "seed": seed, "seconds": round(time.time() - t0, 1), "images": n_images}
    return results


def _cell(x: Optional[float]) -> str:
    return "" if x is None else f"{x:.2f}"


def table(results: dict) -> str:
    lines = ["| category | judge key | model | all seeds | true pictures (ceiling) | autoencoder | images |",
             "|---|---|---|---|---|---|---|"]
    for cat in (c for c in CATEGORIES if c in results):
        r = results[cat]
        model = "not judged yet" if r["key"] is None or (r.get("model") is None and "model" in r) \
            else _cell(r.get("model"))
        lines.append(f"| {cat} | {r['key'] or '-'} | {model} | {_cell(r.get('all seeds'))} | "
                     f"{_cell(r.get('ceiling'))} | {_cell(r.get('autoencoder'))} | {r['n']} |")
    notes = [f"- {c}: {results[c]['note']}" for c in CATEGORIES if c in results and results[c].get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="a trained v2 model's folder (or a name load_pipeline knows)")
    ap.add_argument("--prompts", type=int, default=24)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--sampler", default="DPM++ 2M")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--seed", type=int, default=1000, help="prompts and noise (the model card uses 1000)")
    ap.add_argument("--categories", default=None, help=f"comma-separated subset of: {', '.join(CATEGORIES)}")
    ap.add_argument("--no-autoencoder", action="store_true", help="skip the reconstruction ceiling")
    ap.add_argument("--ceiling-only", action="store_true",
                    help="only the judge on true pictures (--seeds layouts of each prompt), no model")
    ap.add_argument("--soft", action="store_true", help="--ceiling-only on blurred + noised true pictures")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    categories = [c.strip() for c in args.categories.split(",")] if args.categories else None
    try:
        check_categories(categories)  # before the model loads
    except ValueError as e:
        ap.error(str(e))
    if args.ceiling_only:
        res = ceiling(categories, args.prompts, args.seeds, args.seed, soft=args.soft)
    else:
        if args.model is None:
            ap.error("--model DIR: there is no bundled v2 model yet (or --ceiling-only)")
        from pipelines import load_pipeline

        pipe = load_pipeline(args.model)
        res = evaluate(pipe, categories, args.prompts, args.seeds, args.sampler, args.steps, args.guidance,
                       args.seed, autoencoder=not args.no_autoencoder)
        print(json.dumps(res["_meta"]))
    print(table(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
