"""The 64 x 64 world's words and what they mean: colours and paints, backdrops and where their ground lies,
lights, object kinds and their parts, sizes, positions, relations, the named characters, and the pixel font
with the words a sign may say.

Every word of today's 32 x 32 world (``world.vocabulary``) keeps its meaning here, at twice the scale.
"""
from __future__ import annotations

import numpy as np

from .. import vocabulary as today

SIZE = 64  # pixels per side of every rendered image

# Colours a caption may name: today's eight, the same values, then three more for objects and their parts.
COLOURS: dict[str, tuple[int, int, int]] = {
    **today.COLOURS,
    "brown": (130, 80, 40),
    "pink": (245, 150, 190),
    "gray": today.BACKGROUNDS["gray"],
}
OLD_COLOURS = list(today.OBJECT_COLOURS)  # today's object colours
OBJECT_COLOURS = list(COLOURS)
# Paints no caption names: the fixed colours of some parts (tyres, glass, bark) and of skin.
PAINTS: dict[str, tuple[int, int, int]] = {
    **COLOURS,
    "tyre": (35, 35, 40), "steel": (150, 150, 160), "glass": (170, 215, 240), "bark": (110, 70, 35),
    "pants": (50, 60, 90), "saddle": (40, 30, 30), "wood": (150, 100, 55),
    "skin light": (245, 205, 170), "skin tan": (210, 150, 105), "skin dark": (130, 85, 55),
}
SKINS = ["skin light", "skin tan", "skin dark"]
KIND_COLOURS = {"tree": ["green"] * 4 + ["yellow", "orange", "pink", "red"],
                "sun": ["yellow", "orange", "red", "white"]}  # kinds that come in a few colours only

# Backdrops: today's plain colours, and scenes with a ground that objects stand on.
PLAIN = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black", "gray"]  # today's BACKGROUNDS
SCENIC = ["sky", "grass", "sand", "water", "brick wall", "wooden wall", "wooden floor"]
BACKDROPS = PLAIN + SCENIC
CLASH = {"brick wall": ("red", "brown", "orange", "pink"), "wooden wall": ("brown", "orange"),
         "wooden floor": ("brown", "orange"), "grass": ("green",), "water": ("blue",), "sand": ("yellow",),
         "sky": ()}  # colours a thing on a scenic backdrop would be hard to see in (plain ones: their own)
WALLS = ["brick wall", "wooden wall"]  # what a thing can lean against without another object
HORIZON = {"sky": 34, "grass": 32, "sand": 36, "water": 34, "brick wall": 46, "wooden wall": 46, "wooden floor": 30}
GROUND = {"sky": (44, 61), "grass": (42, 61), "sand": (46, 61), "water": (52, 61), "brick wall": (51, 61),
          "wooden wall": (51, 61), "wooden floor": (42, 61)}  # the rows where things on the ground may stand

# Lights: which side the light comes from, and the time of day. Plain backdrops are lit flat, as today.
LIGHT_SIDES = ["left", "right", "above"]
TIMES = ["day", "sunset", "night"]
SHADE = 0.55  # brightness of an object's far side
TINT = {"day": (1.0, 1.0, 1.0), "sunset": (1.0, 0.8, 0.62), "night": (0.42, 0.47, 0.68)}  # light on everything

# Things a scene can hold, each drawn from named parts; the first part takes the colour a caption names.
KINDS: dict[str, tuple[str, ...]] = {
    "circle": ("body",), "square": ("body",), "triangle": ("body",),
    "house": ("walls", "roof", "door", "windows"),
    "tree": ("leaves", "trunk"),
    "sun": ("disc", "rays"),
    "car": ("body", "windows", "wheels", "hubs"),
    "bicycle": ("frame", "wheels", "spokes", "handlebar", "saddle"),
    "mug": ("body", "handle"),
    "hand": ("palm", "fingers"),
    "person": ("body", "head", "hair", "hat", "legs"),
    "sign": ("board", "letters", "post"),
}
SHAPES = ["circle", "square", "triangle"]  # today's kinds
SMALL_KINDS = ["circle", "square", "triangle", "mug", "tree", "house", "car", "sun"]  # what count scenes count
WIDTH = {"circle": 1.0, "square": 0.88, "triangle": 1.1, "house": 1.16, "tree": 0.64, "sun": 1.0, "car": 1.9,
         "bicycle": 1.46, "mug": 1.1, "hand": 1.0, "person": 0.5}  # width / height (a sign's depends on its word)
TOP = {"square": 0.88, "car": 1.0}  # what can hold a thing on top: its flat top's height / height
LEANERS = ["bicycle", "sign"]  # what can lean against something
SUPPORTS = ["house", "tree", "car", "square"]  # what something can lean against

SIZES = {"small": 16, "big": 28}  # a shape's height in pixels (today's radii 4 and 7, doubled)
COUNT_SIZE, PAIR_SIZE = 12, 20  # today's count and pair radii 3 and 5, doubled
POSITIONS = {"left": (16, 32), "right": (48, 32), "top": (32, 16), "bottom": (32, 48), "centre": (32, 32)}
RELATIONS = ["left of", "right of", "above", "below", "and"]  # today's
NEW_RELATIONS = ["in front of", "behind", "on top of", "leaning against", "next to"]
FLIPPED = {"left of": "right of", "right of": "left of", "above": "below", "below": "above",
           "in front of": "behind", "behind": "in front of"}  # each relation's opposite
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
FINGERS = range(1, 7)

# Named characters: a person whose features never change, so a caption's name means one look.
CHARACTERS: dict[str, dict[str, str]] = {
    "Pip": {"body": "blue", "hair": "red", "hat": "green", "skin": "skin light"},
    "Bo": {"body": "yellow", "hair": "black", "hat": "", "skin": "skin dark"},
    "Kit": {"body": "purple", "hair": "yellow", "hat": "red", "skin": "skin tan"},
}
HAIR_COLOURS = ["black", "brown", "red", "yellow", "white"]

# A 3x5 pixel font (today's twenty letters and J, V, Z), drawn at 2x: 6 x 10 pixels a letter, 2 apart.
_FONT_ROWS = {
    "A": ["010", "101", "111", "101", "101"], "B": ["110", "101", "110", "101", "110"],
    "C": ["011", "100", "100", "100", "011"], "D": ["110", "101", "101", "101", "110"],
    "E": ["111", "100", "110", "100", "111"], "F": ["111", "100", "110", "100", "100"],
    "G": ["011", "100", "101", "101", "011"], "H": ["101", "101", "111", "101", "101"],
    "I": ["111", "010", "010", "010", "111"], "J": ["001", "001", "001", "101", "010"],
    "K": ["101", "101", "110", "101", "101"], "L": ["100", "100", "100", "100", "111"],
    "N": ["110", "101", "101", "101", "101"], "O": ["010", "101", "101", "101", "010"],
    "P": ["110", "101", "110", "100", "100"], "R": ["110", "101", "110", "101", "101"],
    "S": ["011", "100", "010", "001", "110"], "T": ["111", "010", "010", "010", "010"],
    "U": ["101", "101", "101", "101", "111"], "V": ["101", "101", "101", "101", "010"],
    "X": ["101", "101", "010", "101", "101"], "Y": ["101", "101", "010", "010", "010"],
    "Z": ["111", "001", "010", "100", "111"],
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows]) for ch, rows in _FONT_ROWS.items()}
LETTERS = "".join(FONT)
GLYPH_SCALE = 2
GLYPH_W, GLYPH_H, GLYPH_GAP = 3 * GLYPH_SCALE, 5 * GLYPH_SCALE, 2
OLD_WORDS = ["HI", "OK", "NO", "GO", "UP", "ON", "SO", "TO", "BY", "AX", "YES", "CAT", "DOG", "SUN",
             "BIG", "RED", "TOP", "FOX", "BOX", "HAT", "LOG", "PIG", "NET", "KEY"]  # today's
WORDS = OLD_WORDS + ["STOP", "OPEN", "SHOP", "CAFE", "EXIT", "TAXI", "BIKE", "LAKE", "PARK", "SALE", "FISH", "BOOK",
                     "ZOO", "JAZZ", "BEACH", "HOTEL", "HELLO", "NORTH", "SOUTH", "TOYS", "PIP", "KIT", "BO"]
