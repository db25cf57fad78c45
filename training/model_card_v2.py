"""Write the v2 model's card (the 64 x 64 world, issue 33) from measurements, never by hand.

    python -m training.model_card_v2 --run runs/v2 --model assets/v2 [--prompts 24 --seeds 4]

As ``training.model_card`` does for the shapes model, and with its helpers: it evaluates the model on the v2
world's categories (``training.evaluate_v2``, judged by ``world.v2.judge``), scores its autoencoder's
reconstructions (``training.check_vae``), reads the training logs, draws a sample sheet, and writes
<model>/README.md, samples.png, evaluation.json and training.json. The card leads with what the model knows
(the world's vocabulary, from ``world.v2.vocabulary``, and the sample sheet) and its measured limits; the
measurements, the autoencoder, the parts and the training log follow (issue 33, "In the app").
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from PIL import Image

from training.check_vae import reconstruction_scores
from training.evaluate import sample_grid
from training.evaluate_v2 import (CATEGORIES, FAILURES, LESSON, NOT_JUDGED, TODAY, category_scenes, evaluate,
                                  table)
from training.model_card import parts_table, phase_summaries, training_section
from training.worlds import WORLDS
from world import v2
from world.v2 import vocabulary as vocab
from world.v2.captions import BACKDROP_PHRASES, LIGHT_PHRASES, NOUNS
from world.v2.scenes import SCENE_MIX, sample_scene
from world.v2.scenes import scene_shares as v2_scene_shares

RECIPE = "training/recipes/v2.sh"
LESSON_PROMPT = "a red bicycle leaning against a brick wall"
SHEET_SEEDS, SHEET_SCALE, SHEET_SEED = 4, 2, 3
WEAK = 0.8  # a category under this goes into Limits
HIGH = 0.8  # an autoencoder ceiling at least this high: the decoder can draw what the denoiser does not

# The targets (held-out prompts, 24 x 4 seeds a category): today's categories as good as the 32 x 32
# model's, each object's class and colour, backdrop texture, light side, the four directions, the lesson's prompt
# (at least 3 of 4 seeds); None: measured, no target.
TARGETS: dict[str, Optional[float]] = {
    **{k: 0.9 for k in ("single: colour", "single: shape", "single: background", "position", "count 1", "count 2",
                        "count 3", "relations")},
    "object class": 0.9, "object colour": 0.9, "backdrop texture": 0.9, "light side": 0.8, "directions": 0.8,
    LESSON: 0.75, "in front of": None, "leaning against": None, "on top of": None,
}


def run_mix(run: Path) -> Optional[dict]:
    """The scene kinds' shares the run's UNet phase trained on (its --mix, in <run>/unet/args.json; in a run that
    imported the model, the one its training.json keeps), or None."""
    args, imported = Path(run) / "unet" / "args.json", Path(run) / "imported.json"
    mix = json.loads(args.read_text()).get("mix") if args.exists() else None
    if mix is None and imported.exists():  # the UNet phase ran elsewhere: its summary came with the model
        mix = json.loads(imported.read_text()).get("training", {}).get("unet", {}).get("mix")
    return v2_scene_shares(mix) if mix else None


def _words(items) -> str:
    return ", ".join(str(i) for i in items)


def vocabulary() -> dict[str, list[str]]:
    """The v2 world's words, group by group (from world.v2.vocabulary and its captions), for the card."""
    return {
        "plain backdrops": list(vocab.PLAIN),
        "scenic backdrops": list(vocab.SCENIC),
        "light sides": list(vocab.LIGHT_SIDES),
        "times of day": list(vocab.TIMES),
        "kinds of things": list(vocab.KINDS),
        "colours": list(vocab.COLOURS),
        "sizes": list(vocab.SIZES),
        "positions": list(vocab.POSITIONS),
        "counts": vocab.NUMBER_WORDS[1:10],
        "fingers": [str(n) for n in vocab.FINGERS],
        "relations": list(vocab.RELATIONS) + list(vocab.NEW_RELATIONS),
        "characters": list(vocab.CHARACTERS),
        "sign words": list(vocab.WORDS),
        "letters": list(vocab.LETTERS),
        "kinds of scene": list(SCENE_MIX),
    }


def vocabulary_words(mix: Optional[dict] = None) -> str:
    """The card's "What it knows" list, one line per group of vocabulary(); the scene kinds' shares are ``mix``'s
    (the UNet phase's --mix, as shares) where the run had one, else the world's defaults."""
    groups = vocabulary()
    scenic = [f'{b} ("{BACKDROP_PHRASES[b][0]}")' for b in groups["scenic backdrops"]]
    sides = [f'{s} ("{LIGHT_PHRASES[s][0]}")' for s in groups["light sides"]]
    times = [f'{t} ("{LIGHT_PHRASES[t][0]}")' if t in LIGHT_PHRASES else f"{t} (unsaid)" for t in groups["times of day"]]
    kinds = []
    for k in groups["kinds of things"]:
        also = "".join(f'; also "{n}"' for n in NOUNS.get(k, [k])[1:])
        kinds.append(f"{k} ({', '.join(vocab.KINDS[k])}{also})")
    only = "; ".join(f"{k}s only {_words(sorted(set(c)))}" for k, c in vocab.KIND_COLOURS.items())
    chars = [f"{n} ({looks['body']} shirt, {looks['hair']} hair, {looks['hat'] + ' hat' if looks['hat'] else 'no hat'}, "
             f"{looks['skin'].split()[-1]} skin)" for n, looks in vocab.CHARACTERS.items()]
    scene_kinds = [f"{k} {share:.0%}" for k, share in (mix or SCENE_MIX).items()]
    lines = [
        f"- **plain backdrops** (flat light, as the 32 × 32 world): {_words(groups['plain backdrops'])}",
        f"- **scenic backdrops** (textures and a ground to stand on): {_words(scenic)}",
        f"- **light sides** (scenic backdrops): {_words(sides)}",
        f"- **times of day**: {_words(times)}",
        f"- **kinds of things** (their parts): {_words(kinds)}",
        f"- **colours** (of a thing, a roof, a shirt, hair, a hat): {_words(groups['colours'])} ({only})",
        f"- **sizes** (circles, squares, triangles): {_words(groups['sizes'])}; **positions**: "
        f"{_words(groups['positions'])}",
        f"- **counts** (of small things: {_words(vocab.SMALL_KINDS)}): {_words(groups['counts'])} (or digits)",
        f"- **fingers** (a hand holding up): {_words(groups['fingers'])}",
        f"- **relations**: {_words(groups['relations'])}",
        f"- **characters** (always the same look): {_words(chars)}",
        f"- **sign words**: {_words(groups['sign words'])}, or any {min(len(w) for w in vocab.WORDS)}–"
        f"{max(len(w) for w in vocab.WORDS)} of the **letters** {' '.join(groups['letters'])}",
        f"- **kinds of scene** (their share of the UNet phase's pictures{'' if mix else ', the world defaults'}; "
        f"later stages' shares under Training): {_words(scene_kinds)}",
    ]
    return "\n".join(lines)


def sheet_prompts(seed: int = SHEET_SEED) -> list[str]:
    """The sample sheet's rows: the lesson's prompt, then one canonical caption of each other kind of scene
    (world.v2.sample_scene, from ``seed``), so that the rows span the vocabulary."""
    rng = np.random.default_rng([seed, 33])
    prompts = [v2.caption(v2.lesson_scene())]
    for kind in SCENE_MIX:
        if kind != "lean":  # the lesson's own kind
            prompts.append(v2.caption(sample_scene(rng, kind)))
    return prompts


def _rate(x: Optional[float]) -> str:
    return "–" if x is None else f"{x:.2f}"


def limit_line(cat: str, r: dict, example: str) -> str:
    """One category of the Limits section, in plain words: what it asks, the model's rate, the autoencoder's
    ceiling and whose failure it is."""
    head = f"- **{cat}** (e.g. '{example}'): "
    if r.get("key") is None or r.get("model") is None:
        why = NOT_JUDGED.get(cat) or (r.get("note") or "the judge gave no verdict").removeprefix("not judged yet: ")
        return head + f"not judged yet ({why})."
    m, ae, ceil = r["model"], r.get("autoencoder"), r.get("ceiling")
    words = head + f"the model draws it right {m:.2f} of the time"
    if r.get("all seeds") is not None:
        words += f" (every seed of a prompt right: {r['all seeds']:.2f})"
    if ae is None:
        words += "; its autoencoder was not measured here."
    elif ae - m >= 0.1 and ae >= HIGH:
        words += (f"; its autoencoder's reconstructions of true pictures are right {ae:.2f} of the time, so the "
                  f"decoder can draw it: the failure is the denoiser's.")
    elif ae - m >= 0.1:
        words += (f"; its autoencoder's reconstructions are right only {ae:.2f} of the time: the decoder loses it "
                  f"too, and the denoiser loses more.")
    elif ae < HIGH:
        words += (f"; its autoencoder's reconstructions are right about as often ({ae:.2f}): here the decoder, not "
                  f"the denoiser, is what limits it.")
    else:
        words += f"; about as often as its autoencoder's reconstructions ({ae:.2f}): the model is near its ceiling."
    if ceil is not None and ceil < 0.9:
        words += (f" The judge itself reads only {ceil:.2f} of the true pictures right: part of the gap is the "
                  f"judge's.")
    return words


def limits_section(results: dict, examples: dict[str, str]) -> str:
    """The failure categories (five fingers, sign word, counts ≥ 5, trio binding, same character), then every other
    category under WEAK, each with limit_line."""
    weak = [c for c in CATEGORIES if c in results and c not in FAILURES
            and results[c].get("model") is not None and results[c]["model"] < WEAK]
    lines = [limit_line(c, results[c], examples[c]) for c in FAILURES if c in results]
    if weak:
        lines.append(f"\nOther categories under {WEAK:.1f}:\n")
        lines += [limit_line(c, results[c], examples[c]) for c in weak]
    else:
        lines.append(f"\nEvery other category scores {WEAK:.1f} or more.")
    return "\n".join(lines)


def target_rows(results: dict) -> list[tuple[str, Optional[float], Optional[float], str]]:
    """(category, measured, target, "met" / "not met" / "measured" / "not judged") for each of TARGETS."""
    rows = []
    for cat, target in TARGETS.items():
        measured = results.get(cat, {}).get("model")
        if measured is None:
            verdict = "not judged"
        elif target is None:
            verdict = "measured"
        else:
            verdict = "met" if measured >= target else "not met"
        rows.append((cat, measured, target, verdict))
    return rows


def targets_table(results: dict) -> str:
    lines = ["| category | measured | target | |", "|---|---|---|---|"]
    for cat, measured, target, verdict in target_rows(results):
        lines.append(f"| {cat} | {_rate(measured)} | {'–' if target is None else f'≥ {target:.2f}'} | {verdict} |")
    return "\n".join(lines)


def autoencoder_table(ae: dict) -> str:
    true = ae.get("true pictures", {})
    lines = ["| scene kind: judge key | reconstructions | true pictures |", "|---|---|---|"]
    cell = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
    lines += [f"| {k} | {cell(v)} | {cell(true.get(k))} |" for k, v in ae.items() if k not in ("psnr", "true pictures")]
    return "\n".join(lines)


def weights_words(model: Path) -> str:
    """How the weights are stored (dtype of each part's safetensors) and the model folder's size on disk."""
    from safetensors import safe_open

    dtypes = set()
    for part in ("text_encoder", "unet", "vae", "preview_vae"):
        for f in (model / part).glob("*.safetensors"):
            with safe_open(f, "pt") as st:
                dtypes |= {str(st.get_slice(k).get_dtype()) for k in st.keys()}
    size = sum(f.stat().st_size for f in model.rglob("*") if f.is_file() and f.suffix == ".safetensors") / 1e6
    kind = "fp16" if dtypes == {"F16"} else "/".join(sorted(dtypes)) or "no"
    upcast = ", upcast to fp32 on load" if kind == "fp16" else ""
    return f"Weights stored as {kind} safetensors{upcast}: {size:.1f} MB in all."


def write_card(run: Path, model: Path, prompts: int = 24, seeds: int = 4, threads: int = 2,
               ae_pictures: int = 512, vae_batch: int = 32, unet_batch: int = 32, schedule: str = "",
               loss_weight: str = "uniform", steps: int = 20, sheet_seeds: int = SHEET_SEEDS,
               reuse: bool = False) -> str:
    """Measure the model in ``model`` (trained in ``run``) and write its card and files there; returns the card.
    ``prompts`` x ``seeds`` a category, ``steps`` of DPM++ 2M (the issue's: 24 x 4, 20 steps); the autoencoder
    on ``ae_pictures`` world pictures; the sample sheet ``sheet_seeds`` wide. With ``reuse``, the measurements
    already in the folder (evaluation.json, samples.png) are written up again, nothing is measured."""
    from pipelines import load_pipeline

    torch.set_num_threads(threads)
    pipe = load_pipeline(str(model))
    t0 = time.time()
    if reuse:
        kept = json.loads((model / "evaluation.json").read_text())
        results, ae, rows = kept["model"], kept["autoencoder_reconstructions"], kept["samples"]
        steps = results["_meta"]["steps"]  # the sheet's too, and its width in pictures
        ae_pictures = kept.get("autoencoder_pictures", ae_pictures)
        sheet_seeds = Image.open(model / "samples.png").width // (pipe.vae.config.sample_size * SHEET_SCALE)
    else:
        results = evaluate(pipe, prompts=prompts, seeds=seeds, sampler="DPM++ 2M", steps=steps)
        ae = reconstruction_scores(pipe.vae, n=ae_pictures, source=WORLDS["v2"], truth=True)
        rows = sheet_prompts()
        sample_grid(pipe, model / "samples.png", seed=SHEET_SEED, prompts=rows, seeds=sheet_seeds,
                    sampler="DPM++ 2M", scale=SHEET_SCALE, steps=steps)
        (model / "evaluation.json").write_text(json.dumps(
            {"model": results, "autoencoder_reconstructions": ae, "autoencoder_pictures": ae_pictures, "samples": rows},
            indent=1, ensure_ascii=False))
    written = ("Card written again from the measurements in evaluation.json by `training/model_card_v2.py --reuse`."
               if reuse else f"Card written by `training/model_card_v2.py` in {time.time() - t0:.0f} s.")
    logs = phase_summaries(run, model)
    vae_batch = logs.get("vae", {}).get("batch", vae_batch)
    examples = {c: v2.caption(category_scenes(c, 1, results["_meta"]["seed"])[0]) for c in CATEGORIES if c in results}
    meta = results["_meta"]
    guidance = "the model's default" if meta["guidance"] is None else f"{meta['guidance']:g}"
    on_cpu = " on CPU" if not any(v.get("device") for v in logs.values()) else ""
    size = pipe.vae.config.sample_size
    today = [c for c in TODAY if c in results]
    card = f"""# The {size} × {size} world: a text-to-image diffusion model trained from scratch{on_cpu}

A small latent diffusion model in the Stable Diffusion recipe (CLIP text encoder → UNet with cross-attention
denoising autoencoder latents → autoencoder decoder), trained by `training/train.py --world v2` (the recipe:
`{RECIPE}`) on {size} × {size} pictures rendered by the `world.v2` package: textured backdrops, light from a side
or at sunset or night, things made of parts (houses, cars, bicycles, hands, people, signs), relations, counts,
named characters and words. Every output can be *judged* (`world.v2.judge`): the world knows what each prompt
asks for, so the limits below are measured, not guessed. It is the sequel of the 32 × 32 shapes model, whose
words it keeps.

## What it knows
{vocabulary_words(run_mix(run))}

Captions vary in phrasing (a number as a word or a digit, "bike" or "bicycle", three ways to say each backdrop and
light); some leave out the backdrop or the light, and 10 % are empty during training so classifier-free guidance
works. Words outside this vocabulary still tokenize but mean nothing to the model.

![samples](samples.png)

Rows ({sheet_seeds} seeds each, DPM++ 2M, {steps} steps): {' · '.join(rows)}.

## Limits (what the Limits tab shows)
Where diffusion fails, measured on held-out prompts ({meta['prompts']} × {meta['seeds']} seeds a category). Next to
the model's rate, its autoencoder's ceiling: the judge on the autoencoder's reconstructions of true pictures of
the same prompts. A high ceiling and a low rate mean the decoder could draw it and the denoiser did not.

{limits_section(results, examples)}

## Measured (GenEval-style, judged by `world.v2.judge`)
{meta['prompts']} prompts × {meta['seeds']} seeds per category, {meta['sampler']}, {meta['steps']} steps, guidance
{guidance}, {meta['images']} images in {meta['seconds']:.0f} s (`training/evaluate_v2.py`). "True pictures" is the
judge on the prompts' own rendered pictures (its ceiling); "autoencoder" on the autoencoder's reconstructions of as
many true pictures of each prompt as the model drew. Today's categories ({len(today)}) are the 32 × 32 world's, at
{size} px.

{table(results)}

Targets set for this model (issue 33):

{targets_table(results)}

## Autoencoder
Reconstructions of {ae_pictures} random world pictures: PSNR {ae['psnr']:.2f} dB; the judge's acceptance per scene
kind and key, on the reconstructions and on the true pictures (`training/check_vae.py --world v2`):

{autoencoder_table(ae)}

## Parts
{parts_table(pipe)}

{weights_words(model)}

{training_section(RECIPE, logs, vae_batch, unet_batch, schedule, loss_weight)}

{written}
"""
    (model / "README.md").write_text(card)
    return card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/v2")
    ap.add_argument("--model", default="assets/v2")
    ap.add_argument("--prompts", type=int, default=24)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20, help="DPM++ 2M steps, for the measurements and the samples")
    ap.add_argument("--sheet-seeds", type=int, default=SHEET_SEEDS, help="images per row of samples.png")
    ap.add_argument("--ae-pictures", type=int, default=512, help="world pictures the autoencoder is scored on")
    ap.add_argument("--vae-batch", type=int, default=32, help="the autoencoder's --batch, where its log does not say")
    ap.add_argument("--unet-batch", type=int, default=32, help="the UNet's --batch, where its log does not say")
    ap.add_argument("--loss-weight", choices=["min-snr", "uniform"], default="uniform", help="the UNet's --loss-weight")
    ap.add_argument("--schedule", default="", help="how the UNet's lr schedule ran, if not in one go (a phrase)")
    ap.add_argument("--reuse", action="store_true",
                    help="write the card again from the folder's evaluation.json and samples.png (no measuring)")
    args = ap.parse_args()
    print(write_card(Path(args.run), Path(args.model), args.prompts, args.seeds, args.threads, args.ae_pictures,
                     args.vae_batch, args.unet_batch, args.schedule, args.loss_weight, args.steps, args.sheet_seeds,
                     args.reuse))


if __name__ == "__main__":
    main()
