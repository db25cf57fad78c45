"""Number inputs that answer a value that is not a number in words, and the controls several tabs share.

Gradio checks a Slider's or Number's range before the handler runs, by comparing the value it was sent
with the minimum and maximum. An API caller can send text, a list or (to a Slider) null, and the
comparison then fails with a TypeError ("'<' not supported between instances of 'str' and 'int'"),
which the caller sees as a crash. These drop-in subclasses refuse such values first with the setting's
label and range; everything else, NaN included, goes on to Gradio's check and then to the handler,
which names the problem itself. The browser uses the same front-end component as before (template
components keep their parent's Svelte file). On import, Gradio writes a type stub for them beside this
file (components.pyi, git-ignored), as it does for every component class.

The shared controls (steps, guidance scale, sampler, seed, seed count) take their bounds from the pipeline
and ``playground.bounds``, so no tab writes a bound again.
"""
from __future__ import annotations

import numbers

import gradio as gr

from pipelines import SAMPLERS
from pipelines.limits import MAX_GUIDANCE, MAX_STEPS
from playground.bounds import MAX_SEEDS
from playground.parsing import number_text


def _refuse_non_number(payload, label, minimum, maximum, allow_none: bool):
    if payload is None and allow_none:
        return
    if isinstance(payload, numbers.Real) and not isinstance(payload, bool):
        return
    what = "nothing" if payload is None else repr(payload)[:40]
    name = label or "This setting"
    if minimum is not None and maximum is not None:
        allowed = f"a number from {number_text(minimum)} to {number_text(maximum)}"
    elif minimum is not None:
        allowed = f"a number of at least {number_text(minimum)}"
    else:
        allowed = "a number"
    raise gr.Error(f"{name} must be {allowed} (got {what}).", print_exception=False)


class Slider(gr.Slider):
    """gr.Slider that says "Steps must be a number from 1 to 150 (got 'abc')." instead of crashing."""

    is_template = True

    def preprocess(self, payload):
        _refuse_non_number(payload, self.label, self.minimum, self.maximum, allow_none=False)
        return super().preprocess(payload)


class Number(gr.Number):
    """gr.Number that says "Seed must be a number from 0 to ... (got 'abc')." instead of crashing.

    None (an empty box) still reaches the handler, as with gr.Number.
    """

    is_template = True

    def preprocess(self, payload):
        _refuse_non_number(payload, self.label, self.minimum, self.maximum, allow_none=True)
        return super().preprocess(payload)


# --------------------------------------------------------------------------- controls several tabs share

def _as_written(x):
    """30.0 -> 30: Gradio writes a bound into its own messages ("greater than maximum value 30")."""
    return int(x) if float(x).is_integer() else x


def steps_slider(elem_id: str, label: str = "Steps") -> Slider:
    return Slider(1, MAX_STEPS, value=20, step=1, label=label, elem_id=elem_id)


def guidance_slider(value: float, elem_id: str) -> Slider:
    return Slider(0, _as_written(MAX_GUIDANCE), value=value, step=0.5, label="Guidance scale", elem_id=elem_id)


def sampler_dropdown(value: str, elem_id: str) -> gr.Dropdown:
    return gr.Dropdown(list(SAMPLERS), value=value, label="Sampler", elem_id=elem_id)


def seed_box(elem_id: str, value: int = 7, label: str = "Seed", maximum: int | None = None) -> Number:
    """A whole-number seed box. Without ``maximum`` the handler alone checks the top (it depends on other inputs)."""
    return Number(value=value, precision=None, step=1, minimum=0, maximum=maximum, label=label, elem_id=elem_id)


def seed_count_slider(elem_id: str, value: int, label: str) -> Slider:
    return Slider(1, MAX_SEEDS, value=value, step=1, label=label, elem_id=elem_id)
