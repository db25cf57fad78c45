"""Number inputs that answer a value that is not a number in words.

Gradio checks a Slider's or Number's range before the handler runs, by comparing the value it was sent
with the minimum and maximum. An API caller can send text, a list or (to a Slider) null, and the
comparison then fails with a TypeError ("'<' not supported between instances of 'str' and 'int'"),
which the caller sees as a crash. These drop-in subclasses refuse such values first with the setting's
label and range; everything else, NaN included, goes on to Gradio's check and then to the handler,
which names the problem itself. The browser uses the same front-end component as before (template
components keep their parent's Svelte file). On import, Gradio writes a type stub for them beside this
file (components.pyi, git-ignored), as it does for every component class.
"""
from __future__ import annotations

import numbers

import gradio as gr


def _text(x) -> str:
    """4294967295 -> '4294967295' (not 4.29497e+09), 0.5 -> '0.5'."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _refuse_non_number(payload, label, minimum, maximum, allow_none: bool):
    if payload is None and allow_none:
        return
    if isinstance(payload, numbers.Real) and not isinstance(payload, bool):
        return
    what = "nothing" if payload is None else repr(payload)[:40]
    name = label or "This setting"
    if minimum is not None and maximum is not None:
        allowed = f"a number from {_text(minimum)} to {_text(maximum)}"
    elif minimum is not None:
        allowed = f"a number of at least {_text(minimum)}"
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
