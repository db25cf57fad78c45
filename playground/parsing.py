"""Reading what people type: comma lists of numbers, whole numbers, seeds. No gradio here.

Every reader returns clean values or raises ``PlaygroundInputError`` with a plain message that says what is
allowed; the tabs turn it into ``gr.Error``. The bounds come from the pipeline (steps, guidance, seed) and from
``playground.bounds`` (the app's own).
"""
from __future__ import annotations

import math

from pipelines import PlaygroundInputError
from pipelines.limits import MAX_GUIDANCE, MAX_SEED, MAX_STEPS
from playground.bounds import MAX_SCALES, MAX_STEP_COUNTS


def number_text(x) -> str:
    """4294967295 -> '4294967295' (not 4.29497e+09), 30.0 -> '30', 0.5 -> '0.5'."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        return None


def as_whole(value) -> int | None:
    """value as an int when it is a whole number (7, 7.0, "7"); None for text, NaN, 1.5, True, None."""
    if isinstance(value, bool):
        return None
    f = _as_float(value)
    if f is None or not math.isfinite(f) or f != int(f):
        return None
    return int(f)


def whole_number(value, label: str, low: int, high: int) -> int:
    """value as an int from low to high, or "<label> must be a whole number from <low> to <high> (got ...)."."""
    number = as_whole(value)
    if number is None or not low <= number <= high:
        raise PlaygroundInputError(f"{label} must be a whole number from {low} to {high} (got {str(value)[:20]}).")
    return number


def parse_seed(seed) -> int:
    """The seed box of Generate and Compare (it sends a float): a whole number from 0 to MAX_SEED."""
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        raise PlaygroundInputError(f"Seed is empty; enter a whole number from 0 to {MAX_SEED}.")
    number = as_whole(seed)
    if number is None or not 0 <= number <= MAX_SEED:
        got = repr(str(seed)[:40]) if _as_float(seed) is None else repr(seed)
        raise PlaygroundInputError(f"Seed must be a whole number from 0 to {MAX_SEED} (got {got}).")
    return number


def split_list(text) -> list[str]:
    """'5, 10;20 40' -> ['5', '10', '20', '40']: commas, semicolons and spaces all separate."""
    return [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]


def parse_number_list(text, low, high, most: int, *, name: str, one: str, many: str, example: str,
                      whole: bool = True, in_order: bool = False, commas_on_range: bool = True) -> list:
    """A comma list of numbers from low to high, each once, at most ``most`` of them; sorted unless ``in_order``.

    The messages name the list: ``name`` ("Step counts must be whole numbers from 1 to 150, separated by commas
    (got 'x')."), ``one`` ("Give at least one step count, e.g. <example>.") and ``many`` ("At most 6 step counts
    at once (got 7)."). Without ``commas_on_range``, a number out of range is told without the separator hint.
    """
    kind = "whole numbers" if whole else "numbers"
    values: list = []
    for p in split_list(text):
        v = _as_float(p)
        if v is None or not math.isfinite(v) or (whole and v != int(v)) or not low <= v <= high:
            commas = ", separated by commas" if v is None or commas_on_range else ""
            raise PlaygroundInputError(f"{name} must be {kind} from {number_text(low)} to {number_text(high)}"
                                       f"{commas} (got {p[:20]!r}).")
        v = int(v) if whole else v
        if v not in values:
            values.append(v)
    if not values:
        raise PlaygroundInputError(f"Give at least one {one}, e.g. {example}.")
    if len(values) > most:
        raise PlaygroundInputError(f"At most {most} {many} at once (got {len(values)}).")
    return values if in_order else sorted(values)


def parse_step_counts(text) -> list[int]:
    """'5, 10, 20' -> [5, 10, 20] (Compare's step counts)."""
    return parse_number_list(text, 1, MAX_STEPS, MAX_STEP_COUNTS, name="Step counts", one="step count",
                             many="step counts", example="5, 10, 20", commas_on_range=False)


def parse_scales(text) -> list[float]:
    """'0, 1, 2, 4, 7, 12' -> [0.0, 1.0, ...]: guidance scales, in the given order."""
    return parse_number_list(text, 0, MAX_GUIDANCE, MAX_SCALES, name="Guidance scales", one="guidance scale",
                             many="guidance scales", example="0, 1, 4, 7", whole=False, in_order=True)

