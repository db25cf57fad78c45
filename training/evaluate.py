"""GenEval-style evaluation of a model on the synthetic world, scored by the world's judge.

    python -m training.evaluate                       # the bundled model, every category (the card's seed)
    python -m training.evaluate --model DIR --prompts 8 --seeds 2 --seed 2000 --guidance 3 \
        --categories "single: colour,position" --no-autoencoder  # a quick look on validation seeds

Each category is a set of prompts (canonical captions of random scene specs) times a set of seeds;
every image is judged against the spec its prompt came from. The autoencoder's reconstructions of as many true
pictures of each prompt (``layouts``) are scored the same way: that is the ceiling the denoiser can reach.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import world

# category -> (scene factory, attribute that scores it)
CATEGORIES = ["single: colour", "single: shape", "single: background", "position"] + \
    [f"count {n}" for n in range(1, 10)] + ["two objects", "colour binding", "relations", "written words"]


def category_scenes(category: str, n: int, seed: int) -> list[world.Scene]:
    rng = np.random.default_rng(seed)
    scenes = []
    for _ in range(n):
        bg = world.pick(rng, world.BACKGROUND_COLOURS)
        fg = world.pick(rng, world.OBJECT_COLOURS, exclude=(bg,))
        shape = world.pick(rng, world.SHAPES)
        if category.startswith("single"):
            scenes.append(world.make_single(rng, shape, fg, bg))
        elif category == "position":
            scenes.append(world.make_single(rng, shape, fg, bg, position=world.pick(rng, list(world.POSITIONS))))
        elif category.startswith("count"):
            scenes.append(world.make_count(rng, int(category.split()[1]), shape, fg, bg))
        elif category in ("two objects", "colour binding", "relations"):
            fg2 = world.pick(rng, world.OBJECT_COLOURS, exclude=(bg, fg))
            rel = "and" if category != "relations" else world.pick(rng, ["left of", "right of", "above", "below"])
            scenes.append(world.make_pair(rng, (shape, fg), (world.pick(rng, world.SHAPES), fg2), rel, bg))
        elif category == "written words":
            scenes.append(world.make_text(rng, world.pick(rng, world.WORDS), world.pick(rng, world.BACKGROUND_COLOURS, exclude=("white",))))
        else:
            raise ValueError(category)
    return scenes


def layouts(scene: world.Scene, n: int, seed: int) -> list[world.Scene]:
    """``scene`` and n - 1 other pictures its caption describes as well (other places, sizes where unstated,
    other cells for a count): the pictures a perfect model could draw for that prompt."""
    rng = np.random.default_rng(seed)
    out = [scene]
    for _ in range(n - 1):
        if scene.kind == "single":
            o = scene.objects[0]
            out.append(world.make_single(rng, o.shape, o.colour, scene.background, scene.size, scene.position,
                                         scene.mention_background))
        elif scene.kind == "count":
            o = scene.objects[0]
            out.append(world.make_count(rng, scene.count, o.shape, o.colour, scene.background,
                                        scene.mention_background))
        elif scene.kind == "pair":
            a, b = scene.objects
            out.append(world.make_pair(rng, (a.shape, a.colour), (b.shape, b.colour), scene.relation,
                                       scene.background, scene.mention_background))
        else:
            out.append(world.make_text(rng, scene.word, scene.background, scene.mention_background))
    return out


def noise_seed(seed: int, category_index: int, prompt_index: int) -> int:
    """The seed of a prompt's first image (image i of a call uses seed + i): consecutive from prompt to prompt, as
    the shapes-32 card was measured (training.evaluate_v2.noise_seed spreads them apart)."""
    return seed * 1000 + category_index * 100 + prompt_index


def score_key(category: str) -> str:
    return {"single: colour": "colour", "single: shape": "shape", "single: background": "background",
            "position": "position", "two objects": "colours", "colour binding": "binding",
            "relations": "relation", "written words": "text"}.get(category, "count")


def check_categories(categories: list[str] | None) -> None:
    unknown = sorted(set(categories or []) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown categories {unknown}; known: {', '.join(CATEGORIES)}")


def evaluate(pipe, prompts: int = 16, seeds: int = 4, sampler: str = "DPM++ 2M", steps: int = 20,
             guidance: float | None = None, seed: int = 1000, categories: list[str] | None = None,
             autoencoder: bool = True) -> dict:
    """Returns {category: {"model": accuracy, "autoencoder": accuracy, "n": images}} plus timing.

    ``seed`` picks the prompts and the noise: the model card uses 1000, so choose settings (e.g. the default
    guidance) on another seed, or the card would measure the choice on the pictures it was tuned on.
    ``categories`` evaluates a subset; each category draws the same prompts and noise as in a full run.
    """
    check_categories(categories)
    results = {}
    t0 = time.time()
    n_images = 0
    for ci, cat in enumerate(CATEGORIES):
        if categories and cat not in categories:
            continue
        scenes = category_scenes(cat, prompts, seed + ci)
        key = score_key(cat)
        model_hits, ae_hits = [], []
        for si, scene in enumerate(scenes):
            out = pipe(world.caption(scene), sampler=sampler, num_inference_steps=steps, guidance_scale=guidance,
                       seed=noise_seed(seed, ci, si), num_images_per_prompt=seeds)
            n_images += len(out.images)
            model_hits += [world.judge(im, scene)[key] for im in out.images]
            if autoencoder and getattr(pipe, "vae", None) is not None:  # as many true pictures as the model drew
                truths = layouts(scene, seeds, noise_seed(seed, ci, si))
                recon = pipe.decode(pipe.encode_images([Image.fromarray(world.render(t)) for t in truths]))
                ae_hits += [world.judge(im, t)[key] for im, t in zip(recon, truths)]
        results[cat] = {"model": float(np.mean(model_hits)), "n": len(model_hits),
                        "autoencoder": float(np.mean(ae_hits)) if ae_hits else None}
    results["_meta"] = {"sampler": sampler, "steps": steps, "guidance": guidance if guidance is not None else
                        pipe.config.default_guidance_scale, "prompts": prompts, "seeds": seeds,
                        "seed": seed, "seconds": round(time.time() - t0, 1), "images": n_images}
    return results


def table(results: dict) -> str:
    lines = ["| category | model | autoencoder (ceiling) | images |", "|---|---|---|---|"]
    for cat in (c for c in CATEGORIES if c in results):
        r = results[cat]
        ae = "" if r["autoencoder"] is None else f"{r['autoencoder']:.2f}"
        lines.append(f"| {cat} | {r['model']:.2f} | {ae} | {r['n']} |")
    return "\n".join(lines)


SAMPLE_PROMPTS = ["a red circle on a blue background", "a big yellow square on the left, black background",
                  "three green triangles on a white background", "a purple circle above an orange square",
                  "two blue squares, yellow background", "a white triangle at the top on a red background",
                  'a sign that says "HI" on a green background', "six black circles on an orange background"]


def sample_grid(pipe, path: Path, seed: int = 3, prompts: list[str] = SAMPLE_PROMPTS, seeds: int = 4,
                sampler: str | None = None, scale: int = 3, steps: int = 20) -> None:
    """A sheet of samples: a row per prompt, ``seeds`` images each (``steps`` steps of ``sampler``, the
    pipeline's default when None), enlarged ``scale`` times without smoothing."""
    rows = []
    for p in prompts:
        out = pipe(p, num_inference_steps=steps, seed=seed, num_images_per_prompt=seeds, sampler=sampler)
        rows.append(np.concatenate([np.asarray(im) for im in out.images], 1))
    grid = np.concatenate(rows, 0)
    Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="shapes-32")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--sampler", default="DPM++ 2M")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--seed", type=int, default=1000, help="prompts and noise (the model card uses 1000)")
    ap.add_argument("--categories", default=None, help=f"comma-separated subset of: {', '.join(CATEGORIES)}")
    ap.add_argument("--no-autoencoder", action="store_true", help="skip the reconstruction ceiling (2x faster)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from pipelines import load_pipeline

    categories = [c.strip() for c in args.categories.split(",")] if args.categories else None
    try:
        check_categories(categories)  # before the model loads
    except ValueError as e:
        ap.error(str(e))
    pipe = load_pipeline(args.model)
    res = evaluate(pipe, args.prompts, args.seeds, args.sampler, args.steps, args.guidance, args.seed, categories,
                   autoencoder=not args.no_autoencoder)
    print(table(res))
    print(json.dumps(res["_meta"]))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
