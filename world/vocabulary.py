"""The world's words and their meanings: colours, shapes, sizes, positions, relations, numbers,
and the pixel font with the words a sign may say."""
from __future__ import annotations

import numpy as np

SIZE = 32  # pixels per side of every rendered image

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {**COLOURS, "gray": (128, 128, 128)}
OBJECT_COLOURS = list(COLOURS)
BACKGROUND_COLOURS = list(BACKGROUNDS)
SHAPES = ["circle", "square", "triangle"]
SIZES = {"small": 4.0, "big": 7.0}
POSITIONS = {"left": (8, 16), "right": (24, 16), "top": (16, 8), "bottom": (16, 24), "centre": (16, 16)}
RELATIONS = ["left of", "right of", "above", "below", "and"]
FLIPPED = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}  # each relation's opposite
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
COUNT_RADIUS = 3.0
PAIR_RADIUS = 5.0

# A 3x5 pixel font for the written-word scenes (drawn at 2x: 6x10 pixels per letter).
_FONT_ROWS = {
    "A": ["010", "101", "111", "101", "101"], "B": ["110", "101", "110", "101", "110"],
    "C": ["011", "100", "100", "100", "011"], "D": ["110", "101", "101", "101", "110"],
    "E": ["111", "100", "110", "100", "111"], "F": ["111", "100", "110", "100", "100"],
    "G": ["011", "100", "101", "101", "011"], "H": ["101", "101", "111", "101", "101"],
    "I": ["111", "010", "010", "010", "111"], "K": ["101", "101", "110", "101", "101"],
    "L": ["100", "100", "100", "100", "111"], "N": ["110", "101", "101", "101", "101"],
    "O": ["010", "101", "101", "101", "010"], "P": ["110", "101", "110", "100", "100"],
    "R": ["110", "101", "110", "101", "101"], "S": ["011", "100", "010", "001", "110"],
    "T": ["111", "010", "010", "010", "010"], "U": ["101", "101", "101", "101", "111"],
    "X": ["101", "101", "010", "101", "101"], "Y": ["101", "101", "010", "010", "010"],
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows]) for ch, rows in _FONT_ROWS.items()}
LETTERS = "".join(FONT)
GLYPH_SCALE = 2
GLYPH_W, GLYPH_H, GLYPH_GAP = 3 * GLYPH_SCALE, 5 * GLYPH_SCALE, 2
WORDS = ["HI", "OK", "NO", "GO", "UP", "ON", "SO", "TO", "BY", "AX", "YES", "CAT", "DOG", "SUN",
         "BIG", "RED", "TOP", "FOX", "BOX", "HAT", "LOG", "PIG", "NET", "KEY"]
