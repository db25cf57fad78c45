"""Coarse to fine, measured: along the x̂0 row of a run, at which step does each kind of structure settle?

    python -m training.coarse_to_fine --model assets/bundled --prompts 24 --seeds 4  # -> <model>/coarse_to_fine.json
    python -m training.coarse_to_fine --model DIR --world v2 --prompts 8 --seeds 2 --no-write

Held-out prompts are drawn as the evaluation draws them (``training.evaluate`` for the 32 × 32 shapes world,
``training.evaluate_v2`` for the 64 × 64 world): prompt p comes from the world's category p mod the number of
categories (``PROMPT_CATEGORIES``), with that category's scene and noise seeds, so the final pictures are the ones
the model card's evaluation judges. Each prompt is run over ``seeds`` seeds (DPM++ 2M, 20 steps, the card's
guidance), the model's guess of the clean image x̂0 is decoded at every step, and the world's judge reads every
step's x̂0 and the final image. Every key the judge returns (background, colour, shape, count, ... ; for the 64 ×
64 world also backdrop, object, light, fingers, text, ...) is one category.

DEFINITION (below) says when a category counts as settled. A judge's reading is its verdict (right or wrong
against the prompt), so a reading that moves from one wrong answer to another would not be seen as a change: the
shares are counted over the images whose final reading is right (COUNTED), and a category no image gets right
(the shapes model's written words) is named as not measured.
The result goes into the model's folder as coarse_to_fine.json (``FILENAME``); the Generate tab plots it.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

FILENAME = "coarse_to_fine.json"
DEFINITION = ("a category is settled at step k when the judge's reading of x̂0 at step k, and at every step after "
              "it, equals its reading of the final image")
COUNTED = ("counted over the images the judge reads right at the end: a reading is right or wrong, and one wrong "
           "answer turning into another would look settled")

# The evaluation categories prompts are drawn from, in turn: each judge key turns up within the first dozen
# prompts, and counts do not crowd out the rest (the evaluations have one category per count).
PROMPT_CATEGORIES = {
    "shapes": ["single: background", "single: colour", "single: shape", "position", "count 2", "two objects",
               "colour binding", "relations", "written words", "count 1", "count 3", "count 5"],
    "v2": ["backdrop texture", "object class", "object colour", "position", "directions", "light side",
           "five fingers", "sign word", "count 3", "same character", "time of day", "colour binding",
           "lesson", "in front of", "leaning against", "counts ≥ 5", "single: shape", "written words"],
}


# --------------------------------------------------------------------------- settling

def settled_from(readings: Sequence, final) -> Optional[int]:
    """The first step (1-based) from which every reading equals ``final``; None when even the last one differs.
    ``readings[i]`` is the reading at step i + 1 (None where the judge gave no reading)."""
    first = None
    for i in range(len(readings) - 1, -1, -1):
        if readings[i] != final:
            break
        first = i + 1
    return first


def settled_shares(settled_steps: Sequence[Optional[int]], steps: int) -> list[float]:
    """Share of samples settled at each step 1..steps, from each sample's ``settled_from`` (None: never)."""
    if not settled_steps:
        return [0.0] * steps
    at = np.array([s if s is not None else steps + 1 for s in settled_steps])
    return [float(np.mean(at <= k)) for k in range(1, steps + 1)]


def half_step(shares: Sequence[float]) -> Optional[int]:
    """The first step (1-based) at which at least half are settled; None if that never happens."""
    return next((k + 1 for k, s in enumerate(shares) if s >= 0.5), None)


def summarise(samples: dict[str, list[tuple[Optional[int], bool]]], steps: int) -> dict:
    """Per judge key, from each image's (``settled_from``, right at the end): {"settled": share per step, "half":
    step, "n": images counted, "right_at_end": share of all}, earliest first (by the half step, then by the mean
    share over the steps). Only images whose final reading is right are counted (COUNTED); a key with none is left
    out here (``unmeasured`` names it)."""
    out = {}
    for key, pairs in samples.items():
        counted = [settled for settled, right in pairs if right]
        if not counted:
            continue
        shares = settled_shares(counted, steps)
        out[key] = {"settled": [round(s, 4) for s in shares], "half": half_step(shares), "n": len(counted),
                    "right_at_end": round(float(np.mean([right for _, right in pairs])), 4)}
    return dict(sorted(out.items(), key=lambda kv: _order(kv[1], steps)))


def unmeasured(samples: dict[str, list[tuple[Optional[int], bool]]]) -> dict[str, int]:
    """{key: images} for the keys no image got right at the end: their settling is not measured."""
    return {key: len(pairs) for key, pairs in samples.items() if not any(right for _, right in pairs)}


def _order(c: dict, steps: int) -> tuple:
    return (c["half"] if c["half"] is not None else steps + 1, -float(np.mean(c["settled"])))


# --------------------------------------------------------------------------- the worlds

def world_of(pipe) -> str:
    """The world a model draws: 64 × 64 pictures are the v2 world's, others the shapes world's."""
    return "v2" if tuple(pipe.default_size) == (64, 64) else "shapes"


def prompt_plan(world_name: str, prompts: int, seed: int = 1000, seeds: int = 4) -> list[tuple[str, object, str, int]]:
    """[(evaluation category, scene, caption, noise seed)] for ``prompts`` held-out prompts, drawn in turn from
    PROMPT_CATEGORIES with the evaluation's scenes and noise seeds for the same ``seed`` (and ``seeds`` images a
    prompt)."""
    cats = PROMPT_CATEGORIES[world_name]
    per_cat = {c: (prompts - i + len(cats) - 1) // len(cats) for i, c in enumerate(cats)}  # how many of each
    if world_name == "shapes":
        import world
        from training import evaluate

        scenes = {c: evaluate.category_scenes(c, n, seed + evaluate.CATEGORIES.index(c))
                  for c, n in per_cat.items() if n}
        all_cats, caption = evaluate.CATEGORIES, world.caption
        noise = lambda ci, si: evaluate.noise_seed(seed, ci, si)  # noqa: E731
    else:
        from world import v2
        from training import evaluate_v2

        scenes = {c: evaluate_v2.category_scenes(c, n, seed) for c, n in per_cat.items() if n}
        all_cats, caption = evaluate_v2.CATEGORIES, v2.caption
        noise = lambda ci, si: evaluate_v2.noise_seed(seed, ci, si, seeds)  # noqa: E731
    plan = []
    for p in range(prompts):
        cat, si = cats[p % len(cats)], p // len(cats)
        scene = scenes[cat][si]
        plan.append((cat, scene, caption(scene), noise(all_cats.index(cat), si)))
    return plan


def judge_for(world_name: str):
    """The world's judge: (uint8 picture, scene) -> {key: verdict}."""
    if world_name == "shapes":
        import world

        return world.judge
    from world.v2.judge import judge

    return judge


# --------------------------------------------------------------------------- measuring

def measure(pipe, prompts: int = 24, seeds: int = 4, steps: int = 20, sampler: str = "DPM++ 2M",
            guidance: Optional[float] = None, seed: int = 1000, world_name: Optional[str] = None,
            log=None) -> dict:
    """Run ``prompts`` held-out prompts × ``seeds`` seeds, judge x̂0 at every step and the final image, and return
    what coarse_to_fine.json holds: the settings, DEFINITION, and per judge key the share settled per step."""
    import torch

    from training.evaluate_v2 import as_uint8

    world_name = world_name or world_of(pipe)
    judge = judge_for(world_name)
    samples: dict[str, list[tuple[Optional[int], bool]]] = {}
    t0, n_images = time.time(), 0
    plan = prompt_plan(world_name, prompts, seed, seeds)
    for i, (_cat, scene, caption, noise) in enumerate(plan):
        out = pipe(caption, sampler=sampler, num_inference_steps=steps, guidance_scale=guidance, seed=noise,
                   num_images_per_prompt=seeds, return_trajectory=True, output_type="np")
        x0 = pipe.decode(torch.cat([r.x0 for r in out.trajectory]), output_type="np")  # step-major
        n = len(out.images)
        n_images += n
        for b in range(n):
            final = judge(as_uint8(out.images[b]), scene)
            along = [judge(as_uint8(x0[k * n + b]), scene) for k in range(len(out.trajectory))]
            for key, verdict in final.items():
                settled = settled_from([v.get(key) for v in along], verdict)
                samples.setdefault(key, []).append((settled, bool(verdict)))
        if log:
            log(f"prompt {i + 1}/{len(plan)}: {caption!r} ({time.time() - t0:.0f} s)")
    n_steps = len(out.trajectory) if plan else steps
    return {"definition": DEFINITION, "counted": COUNTED, "world": world_name, "sampler": sampler, "steps": n_steps,
            "guidance": guidance if guidance is not None else getattr(pipe.config, "default_guidance_scale", None),
            "prompts": prompts, "seeds": seeds, "seed": seed, "images": n_images,
            "prompt_categories": sorted({c for c, *_ in plan}), "seconds": round(time.time() - t0, 1),
            "categories": summarise(samples, n_steps), "never_right": unmeasured(samples)}


# --------------------------------------------------------------------------- the file

def model_folder(pipe) -> Optional[Path]:
    """The folder a pipeline was loaded from, if it has one."""
    folder = getattr(pipe, "name_or_path", None) or pipe.config.get("_name_or_path")
    return Path(str(folder)) if folder and Path(str(folder)).is_dir() else None


def write(result: dict, path: Path) -> Path:
    """``result`` as JSON at ``path`` (a model folder's FILENAME, for the app to read)."""
    path = Path(path)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return path


def read(folder: Optional[Path]) -> Optional[dict]:
    """A model folder's coarse_to_fine.json, or None where there is none (or it is unreadable)."""
    if folder is None:
        return None
    try:
        data = json.loads((Path(folder) / FILENAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("categories"), dict) and data["categories"] else None


def _when(c: dict, steps: int) -> str:
    return f"half by step {c['half']} of {steps}" if c["half"] is not None else f"never half settled in {steps} steps"


MIN_RANKED = 8  # images a category needs for the line to name it first or last (one picture's step is no curve)


def summary(result: dict) -> str:
    """One line in plain words, from the numbers: which categories settle first and which last. Categories of
    fewer than MIN_RANKED images are named apart, unranked (unless fewer than two categories have that many)."""
    cats, steps = result["categories"], result["steps"]
    few = {k: c["n"] for k, c in cats.items() if c["n"] < MIN_RANKED}
    if len(cats) - len(few) >= 2:
        cats = {k: c for k, c in cats.items() if k not in few}
    else:
        few = {}
    ranked = sorted(cats, key=lambda k: _order(cats[k], steps))
    first, last = ranked[0], ranked[-1]
    firsts = [k for k in ranked if _order(cats[k], steps)[0] == _order(cats[first], steps)[0]][:3]
    lasts = [k for k in ranked if _order(cats[k], steps)[0] == _order(cats[last], steps)[0]][-3:]
    never = result.get("never_right") or {}
    tail = (f" Too few pictures to rank: {', '.join(f'**{k}** ({n})' for k, n in few.items())}." if few else "")
    tail += (f" Not measured: **{', '.join(never)}** (never right at the end)." if never else "")
    over = (f"{result['images']} images: {result['prompts']} held-out prompts × {result['seeds']} seeds, "
            f"{result['sampler']}, {steps} steps")
    if len(ranked) == 1:
        return f"**{first}** is the only category measured: {_when(cats[first], steps)} ({over}).{tail}"
    return (f"Settles first: **{', '.join(firsts)}** ({_when(cats[first], steps)}); last: **{', '.join(lasts)}** "
            f"({_when(cats[last], steps)}). Over {over}.{tail}")


def table(result: dict) -> str:
    steps = result["steps"]
    marks = sorted({1, 2, 3, 5, 10, 15, steps} & set(range(1, steps + 1)))
    lines = ["| category | images counted | right at the end | half settled by step | "
             + " | ".join(f"step {k}" for k in marks) + " |",
             "|---|---|---|---|" + "---|" * len(marks)]
    for key, c in result["categories"].items():
        lines.append(f"| {key} | {c['n']} | {c['right_at_end']:.2f} | {c['half'] if c['half'] is not None else '-'} | "
                     + " | ".join(f"{c['settled'][k - 1]:.2f}" for k in marks) + " |")
    for key, n in (result.get("never_right") or {}).items():
        lines.append(f"| {key} | 0 of {n} | 0.00 | never right at the end: not measured |" + " |" * len(marks))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bundled", help="a model folder (or a name load_pipeline knows)")
    ap.add_argument("--world", choices=sorted(PROMPT_CATEGORIES), default=None,
                    help="the model's world (default: v2 for 64 × 64 models, else shapes)")
    ap.add_argument("--prompts", type=int, default=24)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sampler", default="DPM++ 2M")
    ap.add_argument("--guidance", type=float, default=None, help="default: the model card's")
    ap.add_argument("--seed", type=int, default=1000, help="prompts and noise, as the evaluation draws them")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true", help=f"print only; do not write {FILENAME}")
    ap.add_argument("--out", default=None, help=f"write here instead of <model>/{FILENAME}")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from pipelines import load_pipeline

    pipe = load_pipeline(args.model)
    pipe.set_progress_bar_config(disable=True)
    result = measure(pipe, args.prompts, args.seeds, args.steps, args.sampler, args.guidance, args.seed, args.world,
                     log=lambda m: print(m, flush=True))
    print(table(result))
    print(summary(result).replace("**", ""))
    print(f"Settled: {DEFINITION}; {COUNTED}.")
    if not args.no_write:
        folder = model_folder(pipe)
        path = Path(args.out) if args.out else (folder / FILENAME if folder else None)
        if path is None:
            raise SystemExit(f"{args.model}: no model folder to write {FILENAME} into (use --out)")
        print(f"wrote {write(result, path)}")


if __name__ == "__main__":
    main()
