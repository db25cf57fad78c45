"""Every bound on what a call may ask for, defined once, and the checks that enforce them.

The pipeline, the grid and every tab of the app read these; nothing else defines a bound on steps, guidance,
seeds, images, sizes, grid cells or prompt length. A value out of bounds is refused with a plain message
(PlaygroundInputError), never clipped silently.
"""
from __future__ import annotations

import math
import numbers
import unicodedata

from .errors import PlaygroundInputError

MAX_STEPS = 150  # sampler steps of one call
MAX_GUIDANCE = 30.0  # classifier-free guidance scale (0 is allowed: the unconditional picture)
MAX_SEED = 2**32 - 1  # seeds are whole numbers 0 .. MAX_SEED; image i of a call uses seed + i
MAX_IMAGES = 8  # images per prompt in one call
MAX_SIDE = 1024  # pixels along a side of the output
MAX_GRID_CELLS = 24  # (sampler, steps) cells of one generate_grid call (the Compare tab's grid too)
MAX_PROMPT_CHARS = 5_000  # the app cuts longer prompts: the model reads only its first few dozen tokens
PROMPT_CACHE_SIZE = 64  # encoded (prompt, negative prompt) pairs kept per pipeline


def as_whole_number(value) -> int | None:
    """value as an int if it is a whole number (int or integral float, not bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            return int(value)
    except OverflowError:  # a Fraction too large for a float
        return None
    return None


def whole_number(value, label: str, low: int, high: int) -> int:
    """value as an int in [low, high], or PlaygroundInputError naming `label`."""
    number = as_whole_number(value)
    if number is None or not low <= number <= high:
        raise PlaygroundInputError(f"{label} must be a whole number from {low} to {high} (got {value!r}).")
    return number


def number(value, label: str, low: float, high: float) -> float:
    """value as a float in [low, high], or PlaygroundInputError naming `label`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    try:
        ok = ok and math.isfinite(value)
    except OverflowError:  # an int too large for a float (10**400) is certainly out of range
        ok = False
    if not ok or not low <= value <= high:
        raise PlaygroundInputError(f"{label} must be a number from {low:g} to {high:g} (got {value!r}).")
    return float(value)


def clean_text(text, label: str, warnings: list[str]) -> str:
    """Check that text is a str and drop control characters (NUL etc.) and lone surrogates (text that is not
    valid Unicode, which JSON can carry but the tokenizer cannot read), noting it in warnings."""
    if not isinstance(text, str):
        raise PlaygroundInputError(f"{label} must be text (got {type(text).__name__}).")
    categories = [unicodedata.category(c) for c in text]
    kept = "".join(c for c, cat in zip(text, categories) if c in "\t\n\r" or cat not in ("Cc", "Cs"))
    invalid = categories.count("Cs")
    removed = len(text) - len(kept) - invalid
    if removed:
        warnings.append(f"{label}: removed {removed} control character{'s' * (removed > 1)}.")
    if invalid:
        warnings.append(f"{label}: removed {invalid} invalid character{'s' * (invalid > 1)} (lone UTF-16 surrogates).")
    return kept
