"""Runs over seeds: one prompt over consecutive seeds, batched, optionally judged. No gradio here.

The Limits tab runs a preset this way (and scores it); the seed grid of the Guidance and seeds tab runs any
prompt this way (and only measures the spread).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from PIL import Image

import world
from pipelines import PlaygroundInputError
from pipelines.limits import MAX_IMAGES, MAX_SEED
from playground.bounds import MAX_SEEDS
from playground.lab.judging import judge_images, ticks, ticks_short
from playground.lab.metrics import identity_spread
from playground.lab.presets import ATTRIBUTE_LABELS, MEASURE, PRESETS, Preset
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
    figure its explanation quotes (``Preset.measured_wrong``), recomputed. Bundled model only."""
    run = run_over_seeds(pipe, preset, settings.n_seeds, settings.first_seed, settings.steps, settings.sampler,
                         settings.guidance)
    return len(run.wrong_seeds(preset.attributes[0]))


def iter_seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
                   guidance=None) -> Iterator[SeedRun]:
    """One prompt over consecutive seeds (at most 64), unjudged; yields the growing grid after each batch."""
    return iter_seed_run(pipe, prompt, n_seeds, first_seed, steps, sampler, guidance, negative_prompt)


def seed_grid(pipe, prompt: str, negative_prompt: str = "", n_seeds=16, first_seed=0, sampler=None, steps=20,
              guidance=None) -> SeedRun:
    return last(iter_seed_grid(pipe, prompt, negative_prompt, n_seeds, first_seed, sampler, steps, guidance))


def main() -> None:
    """``python -m playground.lab.runs``: recompute every preset's measured figure on the shapes-32 model and say
    which differ from the figure its text quotes."""
    from pipelines import load_pipeline

    pipe = load_pipeline(MEASURE.model)
    pipe.set_progress_bar_config(disable=True)
    print(f"Wrong in the limit's own attribute; {MEASURE.words()}")
    for key, preset in PRESETS.items():
        wrong = measure_preset(pipe, preset)
        differs = "" if wrong == preset.measured_wrong else f"   <- the text says {preset.measured_wrong}"
        print(f"{key:48s} {preset.attributes[0]:9s} {wrong:3d} of {MEASURE.n_seeds}{differs}", flush=True)


if __name__ == "__main__":
    main()
