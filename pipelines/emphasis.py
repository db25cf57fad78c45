"""Emphasis in AUTOMATIC1111's prompt syntax: some words' text-encoder vectors weighted up or down.

    a (red:1.5) car      'red' × 1.5
    a (red) car          × 1.1 (each pair of round brackets; ((red)) × 1.21)
    a [red] car          ÷ 1.1 (each pair of square brackets)
    a \\(red\\) car        the brackets as text

The prompt is cut into runs of one weight (``parse``, AUTOMATIC1111's ``parse_prompt_attention``); each run is
tokenized on its own and every token keeps its run's weight (``weighted_ids``). The text encoder reads the tokens as
usual; then each token's output vector is multiplied by its weight and the whole prompt's is scaled back to the mean
it had (``apply_weights``), as AUTOMATIC1111 does. A prompt without brackets is read exactly as diffusers reads it.
Prompt editing (``[before:after:when]``) is read before this, in the Generate tab (playground/prompt_edit.py).
"""
from __future__ import annotations

import re

import torch

from .errors import PlaygroundInputError

ROUND, SQUARE = 1.1, 1 / 1.1  # a pair of round brackets weights its words up this much; square ones down
MAX_WEIGHT = 10.0  # the most a word may be weighted (A1111's usual range is 1.1 to 1.5)

_TOKEN = re.compile(r"""
\\\(|\\\)|\\\[|\\]|\\\\|\\|      # escaped brackets and backslashes: text
\(|\[|                           # opening brackets
:\s*([+-]?[.\d]+)\s*\)|          # ':1.5)' closes a round bracket with that weight
\)|]|                            # closing brackets
[^\\()\[\]:]+|                   # text
:                                # a colon that closes nothing: text
""", re.X)


def parse(text: str) -> list[tuple[str, float]]:
    """``text`` as runs of (text, weight), AUTOMATIC1111's way: brackets that never close weight the rest of the
    prompt; a closing bracket with none open, and a colon that closes nothing, are text; neighbouring runs of one
    weight are joined. [("", 1.0)] for an empty prompt."""
    runs: list[list] = []
    round_open: list[int] = []
    square_open: list[int] = []

    def multiply(start: int, by: float) -> None:
        for run in runs[start:]:
            run[1] *= by

    for match in _TOKEN.finditer(text):
        piece, weight = match.group(0), match.group(1)
        if piece.startswith("\\"):
            runs.append([piece[1:], 1.0])
        elif piece == "(":
            round_open.append(len(runs))
        elif piece == "[":
            square_open.append(len(runs))
        elif weight is not None and round_open and _number(weight) is not None:
            multiply(round_open.pop(), _number(weight))
        elif piece == ")" and round_open:
            multiply(round_open.pop(), ROUND)
        elif piece == "]" and square_open:
            multiply(square_open.pop(), SQUARE)
        else:
            runs.append([piece, 1.0])
    for start in round_open:
        multiply(start, ROUND)
    for start in square_open:
        multiply(start, SQUARE)
    joined: list[list] = []
    for piece, weight in runs:
        if joined and joined[-1][1] == weight:
            joined[-1][0] += piece
        else:
            joined.append([piece, weight])
    return [(piece, weight) for piece, weight in joined] or [("", 1.0)]


def _number(text: str) -> float | None:
    """A weight as typed ('1.5', '.8'), or None where it is no number ('1.2.3', '.'): then the text stays text."""
    try:
        return float(text)
    except ValueError:
        return None


def has_emphasis(text: str) -> bool:
    """Whether ``text`` weights any word (or writes a bracket or a backslash as text): whether ``parse`` reads it
    otherwise than as plain text."""
    return any(c in text for c in "()[]\\")


def weighted_ids(tokenizer, text: str) -> tuple[list[int], list[float]]:
    """The token ids of ``text`` without start and end markers, each run tokenized on its own, and each token's
    weight. Without emphasis, the tokenizer's ids of the whole text and weights of 1. A weight outside 0 to
    MAX_WEIGHT is refused (PlaygroundInputError)."""
    if not has_emphasis(text):
        ids = tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
        return ids, [1.0] * len(ids)
    ids, weights = [], []
    for piece, weight in parse(text):
        if not 0 <= weight <= MAX_WEIGHT:
            raise PlaygroundInputError(
                f"Emphasis: '{piece.strip()[:40]}' would be weighted {weight:g}; weights from 0 to {MAX_WEIGHT:g} are "
                "read (1 leaves a word as it is, 1.1 to 1.5 is the usual range).")
        if piece:
            more = tokenizer(piece, add_special_tokens=False, truncation=False, verbose=False).input_ids
            ids += more
            weights += [weight] * len(more)
    return ids, weights


def plain_text(text: str) -> str:
    """``text`` without its emphasis: the words the model reads."""
    return "".join(piece for piece, _ in parse(text)) if has_emphasis(text) else text


def apply_weights(hidden: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The text encoder's output ``hidden`` (rows, tokens, width) with each token's vector times its weight
    (``weights``: rows, tokens; 1 for the markers and the padding), each row scaled back to the mean it had
    (AUTOMATIC1111's ``process_tokens``)."""
    weighted = hidden * weights[..., None].to(hidden.dtype)
    scale = hidden.mean(dim=(1, 2), keepdim=True) / weighted.mean(dim=(1, 2), keepdim=True)
    # a mean near 0 that changes sign would flip or blow up the whole prompt: left unscaled then
    return weighted * torch.where(torch.isfinite(scale) & (scale > 0), scale, torch.ones_like(scale))
