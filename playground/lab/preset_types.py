"""What a Limits preset is: the dataclasses of presets, their groups, one world's set of them and their measured
figures, and the words for what the judges score. ``presets`` (the shapes world's) and ``presets_v2`` (the 64 x 64
world's) are made of these. No gradio here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import world
from playground.lab.judging import SHAPES

ATTRIBUTE_LABELS = {
    "count": "correct count",
    "colour": "right colour",
    "shape": "right shape",
    "size": "right size",
    "position": "right position",
    "relation": "right relation (the two things placed as the prompt says)",
    "colours": "both colours present",
    "binding": "each colour on the right thing",
    "background": "right background",
    "sign": "a sign is there",
    "text": "exact text",
    # the 64 x 64 world's own
    "fingers": "right number of fingers",
    "object": "each asked kind of thing is there",
    "backdrop": "right backdrop",
    "light": "right light",
    "character": "the character's own look",
}


# How the limit reads when the judge sees it wrong: "the count is wrong in 21 of 32 seeds".
FAILURE_WORDS = {
    "count": "the count is wrong",
    "colour": "the colour is wrong",
    "shape": "the shape is wrong",
    "size": "the size is wrong",
    "position": "the shape is not where the prompt puts it",
    "relation": "the two things are not placed as the prompt says",
    "colours": "a colour is missing",
    "binding": "a colour sits on the wrong thing",
    "background": "the background is wrong",
    "sign": "there is no sign",
    "text": "the sign does not say the word",
    "fingers": "the hand does not hold up that many fingers",
    "object": "an asked kind of thing is missing",
    "backdrop": "the backdrop is wrong",
    "light": "the light is wrong",
    "character": "the character does not look like themself",
}


@dataclass(frozen=True)
class MeasureSettings:
    """The run behind every preset's measured figure: the same seeds and settings for all of them."""

    n_seeds: int = 32
    first_seed: int = 0
    steps: int = 20
    sampler: str = "DPM++ 2M"
    guidance: float = 4.0
    model: str = "shapes-32"  # the 32 x 32 model, whose world these presets are in
    date: Optional[str] = "2026-12-04"  # None: not measured yet

    def words(self) -> str:
        guidance = "the model's default guidance" if self.guidance is None else f"guidance {self.guidance:g}"
        when = f"; measured {self.date}" if self.date else ""
        return (f"seeds {self.first_seed} to {self.first_seed + self.n_seeds - 1}, {self.steps} steps, "
                f"{self.sampler}, {guidance}{when}")


MEASURE = MeasureSettings()  # the shapes presets' measurement (their figures are written in presets.py)


@dataclass(frozen=True)
class Figure:
    """A preset's measured figure on one model: in how many seeds the judge saw the preset's own attribute wrong,
    and (where measured) the autoencoder's ceiling: the same judge on the model's autoencoder's reconstructions of
    true pictures of the same caption, and on those true pictures themselves (the judge's own ceiling)."""

    wrong: int
    settings: MeasureSettings
    pictures: int = 0  # true pictures reconstructed for the ceiling (0: not measured)
    autoencoder_wrong: Optional[int] = None
    true_wrong: Optional[int] = None


@dataclass(frozen=True)
class Preset:
    key: str
    group: str
    scene: world.Scene
    attributes: tuple[str, ...]  # what the judge scores, the limit's own attribute first
    # seeds of MEASURE in which the judge saw the limit's own attribute wrong; None where the figure is measured
    # on each model instead (the v2 presets: ``Figure``s from the model's limits.json)
    measured_wrong: Optional[int]
    prompt_override: Optional[str] = None  # only for prompts the world cannot say (negation)
    note: str = ""  # preset-specific words, shown under the group's explanation
    world: str = SHAPES  # the world of the scene: SHAPES (a world.Scene) or V2 (a world.v2.Scene)
    not_judged: str = ""  # the limit the judge cannot read here, and why (attributes holds what it can read)

    def figure(self, settings: MeasureSettings = MEASURE) -> Optional[Figure]:
        """The figure written in this module (the shapes presets'), or None."""
        return None if self.measured_wrong is None else Figure(self.measured_wrong, settings)

    def measured_text(self, settings: MeasureSettings = MEASURE, figure: Optional[Figure] = None) -> str:
        """'The count is wrong in 21 of 32 seeds on the shapes-32 model (seeds 0 to 31, 20 steps, DPM++ 2M, ...)';
        ``figure`` (a model's measurement) in place of the one written here; without either, that it is not
        measured yet."""
        figure = figure or self.figure(settings)
        if figure is None:
            text = (f"**Not measured yet on this model.** `python -m playground.lab.runs --model {settings.model}` "
                    f"(or the model's folder) measures it ({settings.words()}), and the autoencoder's ceiling beside "
                    f"it")
            return f"**Not judged:** {self.not_judged}. {text}" if self.not_judged else text
        words = FAILURE_WORDS[self.attributes[0]]
        s = figure.settings
        text = (f"{words[0].upper()}{words[1:]} in **{figure.wrong} of {s.n_seeds} seeds** on the {s.model} model "
                f"({s.words()})")
        return f"**Not judged:** {self.not_judged}. What it can read: {text[0].lower()}{text[1:]}" \
            if self.not_judged else text

    @property
    def caption(self) -> str:
        return world.caption(self.scene) if self.world == SHAPES else v2_world().caption(self.scene)

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


@dataclass(frozen=True)
class Limits:
    """One world's presets: its groups (the first is shown first) and the settings its figures are measured with."""

    world: str
    groups: dict[str, LimitGroup]
    measure: MeasureSettings
    first_group: str

    @property
    def presets(self) -> dict[str, Preset]:
        return {p.key: p for g in self.groups.values() for p in g.presets}


def v2_world():
    """``world.v2``, imported when a v2 preset first needs it."""
    import world.v2

    return world.v2
