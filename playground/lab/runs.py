"""Runs over seeds: one prompt over consecutive seeds, batched, optionally judged; and the measured figures of the
Limits presets. No gradio here.

The Limits tab runs a preset this way (and scores it); the seed grid of the Guidance and seeds tab runs any
prompt this way (and only measures the spread).

    python -m playground.lab.runs                          # the shapes presets on shapes-32, against their text
    python -m playground.lab.runs --model v2               # the v2 presets on the v2 model -> assets/v2/limits.json
    python -m playground.lab.runs --model DIR --seeds 4    # any model of a world of ours, quickly

A model's world (``judging.world_of``) picks the presets. The shapes presets' figures are written in presets.py,
so for them this prints what it measures next to what the text says. The v2 presets' figures are measured on each
model and kept in its folder (``FIGURES_FILE``, read by ``read_figures``): per preset, in how many seeds the judge
saw its own attribute wrong, and the autoencoder's ceiling: the judge on the model's autoencoder's reconstructions
of as many true pictures of the same caption (other layouts of the scene, as training/evaluate_v2.py draws them)
and on those true pictures themselves.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Optional

from PIL import Image

import world
from pipelines import PlaygroundInputError
from pipelines.limits import MAX_IMAGES, MAX_SEED
from playground.bounds import MAX_SEEDS
from playground.lab.judging import SHAPES, judge, judge_images, ticks, ticks_short, world_of
from playground.lab.metrics import identity_spread
from playground.lab.preset_types import ATTRIBUTE_LABELS, MEASURE, Figure, Limits, MeasureSettings, Preset
from playground.lab.presets import PRESETS, limits_for, target_picture
from playground.parsing import as_whole, whole_number

DEFAULT_SEEDS = 16
BATCH = MAX_IMAGES  # images per pipeline call; image i of a batch is exactly seed + i made alone


def last(results):
    """The last thing an iterator yields (the finished result of an iter_* function); None if it yields nothing."""
    result = None
    for result in results:
        pass
    return result


def add_new(notes: list, more) -> None:
    """Append the notes of ``more`` that ``notes`` does not have yet."""
    notes += [w for w in more if w not in notes]


# --------------------------------------------------------------------------- bounds

def check_seed_count(n_seeds) -> int:
    value = as_whole(n_seeds)
    if value is None or not 1 <= value <= MAX_SEEDS:
        raise PlaygroundInputError(
            f"Seeds: run over 1 to {MAX_SEEDS} seeds at a time (got {str(n_seeds)[:20]}); each seed is a whole "
            f"generation. {DEFAULT_SEEDS} is a good start.")
    return value


def check_first_seed(first_seed, n_seeds: int) -> int:
    return whole_number(first_seed, "First seed", 0, MAX_SEED - n_seeds + 1)


# --------------------------------------------------------------------------- running over seeds

@dataclass(frozen=True)
class SeedBatch:
    """One pipeline call's pictures of a run over seeds and, when judged, what the judge saw in each."""

    seeds: tuple[int, ...]
    images: tuple[Image.Image, ...]
    judged: Optional[tuple[dict[str, bool], ...]]  # None for models without a judge
    warnings: tuple[str, ...] = ()


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

    def add(self, batch: SeedBatch) -> "SeedRun":
        """Take in one batch (the tab's loop adds them as they come); returns the run."""
        self.seeds += batch.seeds
        self.images += batch.images
        add_new(self.warnings, batch.warnings)
        if self.judged is not None and batch.judged is not None:
            self.judged += batch.judged
        return self

    def wrong_seeds(self, attribute: str) -> list[int]:
        """The seeds whose picture the judge saw ``attribute`` wrong in ([] without a judge)."""
        if self.judged is None:
            return []
        return [seed for seed, j in zip(self.seeds, self.judged) if not j.get(attribute, False)]

    def score_lines(self) -> list[str]:
        if self.scores is None:
            return []
        return [f"{ATTRIBUTE_LABELS.get(a, a)} in {k} of {self.n}" for a, k in self.scores.items()]

    def verdicts(self) -> list[str]:
        """Per seed, everything the judge scored: 'seed 7: ✓ count ✗ colour ✓ shape' (the captions are short)."""
        if self.judged is None:
            return []
        return [f"seed {seed}: {ticks(j, self.attributes)}" for seed, j in zip(self.seeds, self.judged)]

    def items(self) -> list[tuple[Image.Image, str]]:
        """(picture, "seed 7") per seed; judged, short enough to read whole under a picture: "seed 7 · ✗ count"
        (the limit's own attribute, then only what else is wrong: "seed 7 · ✓ count · ✗ shape")."""
        items = []
        for i, (seed, image) in enumerate(zip(self.seeds, self.images)):
            caption = f"seed {seed}"
            if self.judged is not None:
                caption += " · " + ticks_short(self.judged[i], self.attributes)
            items.append((image, caption))
        return items

    def spread_markdown(self) -> str:
        return identity_spread(self.images, self.judged, self.attributes).markdown()


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


def iter_seed_batches(pipe, prompt: str, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None,
                      guidance=None, negative_prompt: str = "",
                      scene: Optional[world.Scene] = None) -> Iterator[SeedBatch]:
    """``prompt`` over consecutive seeds, one SeedBatch per pipeline call; each picture judged against ``scene``
    when one is given. A caller that stops iterating stops the run after the batch in hand."""
    for seeds, images, warnings in iter_over_seeds(pipe, prompt, n_seeds, first_seed, steps, sampler, guidance,
                                                   negative_prompt):
        judged = None if scene is None else tuple(judge_images(images, scene))
        yield SeedBatch(tuple(seeds), tuple(images), judged, tuple(warnings))


def new_run(prompt: str, judged: bool, attributes: tuple[str, ...] = ()) -> SeedRun:
    """An empty run to add batches to."""
    return SeedRun(prompt, [], [], [] if judged else None, attributes)


def iter_seed_run(pipe, prompt: str, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                  negative_prompt: str = "", scene: Optional[world.Scene] = None,
                  attributes: tuple[str, ...] = ()) -> Iterator[SeedRun]:
    """``prompt`` over consecutive seeds, yielding the growing SeedRun after each batch (for streaming to the UI);
    each picture judged against ``scene`` when one is given."""
    run = new_run(prompt, scene is not None, attributes)
    for batch in iter_seed_batches(pipe, prompt, n_seeds, first_seed, steps, sampler, guidance, negative_prompt,
                                   scene):
        yield run.add(batch)


def iter_preset_batches(pipe, preset: Preset, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None,
                        guidance=None, judge: bool = True) -> Iterator[SeedBatch]:
    """The preset's prompt over the seeds, one judged batch at a time (add them to ``new_run(...)``)."""
    return iter_seed_batches(pipe, preset.prompt, n_seeds, first_seed, steps, sampler, guidance,
                             scene=preset.scene if judge else None)


def iter_preset(pipe, preset: Preset, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                judge: bool = True) -> Iterator[SeedRun]:
    """run_over_seeds, yielding the growing SeedRun after each batch (for streaming to the UI)."""
    return iter_seed_run(pipe, preset.prompt, n_seeds, first_seed, steps, sampler, guidance,
                         scene=preset.scene if judge else None, attributes=preset.attributes)


def run_over_seeds(pipe, preset: Preset, n_seeds=DEFAULT_SEEDS, first_seed=0, steps=20, sampler=None, guidance=None,
                   judge: bool = True) -> SeedRun:
    """The preset's prompt over ``n_seeds`` consecutive seeds; scores per attribute when ``judge``."""
    return last(iter_preset(pipe, preset, n_seeds, first_seed, steps, sampler, guidance, judge))


def measure_preset(pipe, preset: Preset, settings=MEASURE) -> int:
    """In how many of the measurement's seeds the judge saw the preset's own attribute (its first) wrong: the
    figure its explanation quotes (``Preset.measured_wrong``, or the model's limits.json), recomputed. Only for a
    model that draws the preset's world."""
    run = run_over_seeds(pipe, preset, settings.n_seeds, settings.first_seed, settings.steps, settings.sampler,
                         settings.guidance)
    return len(run.wrong_seeds(preset.attributes[0]))


# --------------------------------------------------------------------------- the v2 presets' figures, per model

FIGURES_FILE = "limits.json"  # in a model's folder: its measured Limits figures


def ceiling_counts(pipe, preset: Preset, n: int, seed: int = 0) -> tuple[int, Optional[int]]:
    """(true_wrong, autoencoder_wrong): over ``n`` true pictures of the preset's caption (the scene and n - 1 other
    layouts of it, ``training.evaluate_v2.layouts``), in how many the judge sees the preset's own attribute wrong:
    on the pictures themselves, and on the model's autoencoder's reconstructions of them (None without one).
    The v2 world's presets only."""
    from training.evaluate_v2 import layouts

    own = preset.attributes[0]
    truths = layouts(preset.scene, n, seed)
    pictures = [target_picture(replace(preset, scene=t)) for t in truths]
    true_wrong = sum(not judge(im, t).get(own, False) for im, t in zip(pictures, truths))
    if getattr(pipe, "vae", None) is None:
        return true_wrong, None
    recon = pipe.decode(pipe.encode_images(pictures), output_type="pil")
    return true_wrong, sum(not judge(im, t).get(own, False) for im, t in zip(recon, truths))


def through_autoencoder(pipe, picture: Image.Image) -> Optional[Image.Image]:
    """``picture`` through the model's autoencoder (encoded, decoded; no denoising): what its decoder can draw of
    it. None for a model without one."""
    if getattr(pipe, "vae", None) is None:
        return None
    return pipe.decode(pipe.encode_images([picture.convert("RGB")]), output_type="pil")[0]


def resolved(settings: MeasureSettings, pipe, model: str, n_seeds: Optional[int] = None) -> MeasureSettings:
    """The settings as a measurement on ``pipe`` runs them: its default guidance where they leave it open, the model's
    name, today's date, and ``n_seeds`` in place of theirs when given."""
    guidance = settings.guidance if settings.guidance is not None else pipe.config.get("default_guidance_scale")
    return replace(settings, guidance=guidance, model=model, date=datetime.date.today().isoformat(),
                   n_seeds=n_seeds or settings.n_seeds)


def measure_figures(pipe, limits: Limits, settings: MeasureSettings, keys=None, log=None) -> dict:
    """Every preset of ``limits`` (or those in ``keys``) measured on ``pipe`` with ``settings`` (``resolved``), and
    the autoencoder's ceiling over as many true pictures as seeds: what FIGURES_FILE holds."""
    figures = {}
    for key, preset in limits.presets.items():
        if keys and key not in keys:
            continue
        wrong = measure_preset(pipe, preset, settings)
        true_wrong, ae_wrong = ceiling_counts(pipe, preset, settings.n_seeds)
        figures[key] = {"attribute": preset.attributes[0], "wrong": wrong, "true_wrong": true_wrong,
                        "autoencoder_wrong": ae_wrong}
        if log:
            log(f"{key:32s} {preset.attributes[0]:9s} model {wrong:3d}, autoencoder "
                f"{'-' if ae_wrong is None else ae_wrong:>3}, true pictures {true_wrong:3d} of {settings.n_seeds}")
    return {"world": limits.world, "model": settings.model, "date": settings.date,
            "settings": {"n_seeds": settings.n_seeds, "first_seed": settings.first_seed, "steps": settings.steps,
                         "sampler": settings.sampler, "guidance": settings.guidance},
            "ceiling_pictures": settings.n_seeds, "presets": figures}


def read_figures(folder, world_name: Optional[str]) -> dict[str, Figure]:
    """A model folder's measured figures (FIGURES_FILE) by preset key, for the presets of ``world_name``; {} where
    there is no file, it is unreadable, or it measured another world. A figure of another attribute than the one its
    preset now scores first (measured before the judge read it) is left out: that preset is not measured yet."""
    if folder is None or world_name is None:
        return {}
    try:
        data = json.loads((Path(folder) / FIGURES_FILE).read_text())
        if data.get("world") != world_name:
            return {}
        settings = replace(limits_for(world_name).measure, model=str(data["model"]), date=data.get("date"),
                           **{k: data["settings"][k] for k in ("n_seeds", "first_seed", "steps", "sampler",
                                                                "guidance")})
        scored = {key: p.attributes[0] for key, p in limits_for(world_name).presets.items()}
        return {key: Figure(int(f["wrong"]), settings, int(data["ceiling_pictures"]),
                            None if f.get("autoencoder_wrong") is None else int(f["autoencoder_wrong"]),
                            None if f.get("true_wrong") is None else int(f["true_wrong"]))
                for key, f in data["presets"].items() if key not in scored or f.get("attribute") in (None, scored[key])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def model_figures(pipe, world_name: Optional[str]) -> dict[str, Figure]:
    """The figures measured on this pipeline's model (its folder's FIGURES_FILE), by preset key."""
    from training.coarse_to_fine import model_folder

    return read_figures(model_folder(pipe), world_name)


def iter_seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
                   guidance=None) -> Iterator[SeedRun]:
    """One prompt over consecutive seeds (at most 64), unjudged; yields the growing grid after each batch."""
    return iter_seed_run(pipe, prompt, n_seeds, first_seed, steps, sampler, guidance, negative_prompt)


def seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
              guidance=None) -> SeedRun:
    return last(iter_seed_grid(pipe, prompt, negative_prompt, n_seeds, first_seed, sampler, steps, guidance))


def main(argv=None) -> None:
    """``python -m playground.lab.runs [--model NAME_OR_DIR]``: measure the presets of the model's world (see the
    module's note): the shapes world's against the figures their text quotes, the v2 world's into the model's
    folder."""
    import argparse

    import torch

    from pipelines import load_pipeline
    from playground.registry import display_name

    ap = argparse.ArgumentParser(description="Measure the Limits presets of a model's world on that model.")
    ap.add_argument("--model", default=MEASURE.model, help="a bundled model's name or a model folder (shapes-32)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per preset (default: the world's, 32)")
    ap.add_argument("--presets", default=None, help="comma-separated preset keys (default: all of the world's)")
    ap.add_argument("--out", default=None, help=f"write the figures here instead of <model>/{FIGURES_FILE}")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    pipe = load_pipeline(args.model)
    pipe.set_progress_bar_config(disable=True)
    name = display_name(args.model)
    world_name = world_of(name, pipe)
    if world_name is None:
        raise SystemExit(f"{args.model}: this model draws none of our worlds (its description: "
                         f"{pipe.config.get('model_description')!r}); there is no judge for its pictures")
    limits = limits_for(world_name)
    keys = [k.strip() for k in args.presets.split(",")] if args.presets else None
    unknown = sorted(set(keys or []) - set(limits.presets))
    if unknown:
        raise SystemExit(f"unknown presets for the {world_name} world: {', '.join(unknown)}")
    if world_name == SHAPES:
        settings = replace(MEASURE, n_seeds=args.seeds or MEASURE.n_seeds)
        print(f"Wrong in the limit's own attribute; {settings.words()}")
        for key, preset in PRESETS.items():
            if keys and key not in keys:
                continue
            wrong = measure_preset(pipe, preset, settings)
            differs = "" if wrong == preset.measured_wrong else f"   <- the text says {preset.measured_wrong}"
            print(f"{key:48s} {preset.attributes[0]:9s} {wrong:3d} of {settings.n_seeds}{differs}", flush=True)
        return
    settings = resolved(limits.measure, pipe, name, args.seeds)
    print(f"Wrong in the limit's own attribute on the {name} model; {settings.words()}", flush=True)
    result = measure_figures(pipe, limits, settings, keys, log=lambda m: print(m, flush=True))
    if args.no_write:
        return
    from training.coarse_to_fine import model_folder

    folder = model_folder(pipe)
    path = Path(args.out) if args.out else (folder / FIGURES_FILE if folder else None)
    if path is None:
        raise SystemExit(f"{args.model}: no model folder to write {FIGURES_FILE} into (use --out)")
    path.write_text(json.dumps(merged(result, path), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


def merged(result: dict, path: Path) -> dict:
    """``result`` with the other presets' figures already at ``path`` when they were measured the same way (a
    ``--presets`` run adds to the file); else ``result`` alone."""
    try:
        old = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return result
    same = all(old.get(k) == result[k] for k in ("world", "model", "settings", "ceiling_pictures"))
    return {**result, "presets": {**old.get("presets", {}), **result["presets"]}} if same else result


if __name__ == "__main__":
    main()
