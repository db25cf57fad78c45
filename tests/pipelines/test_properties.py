"""Property tests (issue 7): the input checks and the PNG-parameters parser, on inputs hypothesis invents.

- check_inputs: any value for any argument either passes or raises PlaygroundInputError (never another
  exception); settings that pass generate (a small sample, 1-2 steps, on the tiny pixel model).
- parse_parameters(format_parameters(s)) == s for settings drawn below. Excluded, as documented in
  playground/pngmeta.py: a prompt line starting with "Negative prompt:" (AUTOMATIC1111's format reads it as
  the start of the negative prompt), "\\r" and NUL in texts (they are normalised/removed), sampler and model
  names with commas, quotes or surrounding spaces, and `extra` (it is only read, never written).
- parse_parameters of arbitrary text (or of anything) raises nothing but SettingsParseError, quickly.
"""
from __future__ import annotations

import time
import unicodedata
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import SAMPLERS, PlaygroundInputError
from pipelines.pipeline_playground import OUTPUT_TYPES, GenerationSettings
from playground.pngmeta import NEGATIVE_PREFIX, Settings, SettingsParseError, format_parameters, parse_parameters

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # every code point, lone surrogates included
junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**400), st.floats(), st.just(float("nan")),
    st.fractions(), st.just(Fraction(10**400, 3)), st.decimals(allow_nan=True), st.text(ANY_CHAR, max_size=12),
    st.binary(max_size=4), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.none(),
                                                                               max_size=1),
)


@SETTINGS
@given(prompt=st.one_of(st.text(ANY_CHAR, max_size=40), junk),
       negative=st.one_of(st.text(ANY_CHAR, max_size=10), junk),
       sampler=st.one_of(st.none(), st.sampled_from(list(SAMPLERS)), junk),
       steps=st.one_of(st.integers(-3, 160), junk),
       guidance=st.one_of(st.none(), st.floats(-2, 40), junk),
       seed=st.one_of(st.integers(-3, 2**33), junk),
       count=st.one_of(st.integers(-1, 10), junk),
       height=st.one_of(st.none(), st.integers(-8, 1100), junk),
       width=st.one_of(st.none(), st.integers(-8, 1100), junk),
       output_type=st.one_of(st.sampled_from(OUTPUT_TYPES), junk))
def test_check_inputs_passes_or_raises_the_documented_error(pixel_pipe, prompt, negative, sampler, steps, guidance,
                                                            seed, count, height, width, output_type):
    try:
        s = pixel_pipe.check_inputs(prompt, negative, sampler, steps, guidance, seed, count, height, width,
                                    output_type)
    except PlaygroundInputError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    assert isinstance(s, GenerationSettings)
    assert 1 <= s.num_inference_steps <= 150 and 0 <= s.guidance_scale <= 30 and 0 <= s.seed <= 2**32 - 1
    assert 1 <= s.num_images_per_prompt <= 8 and s.height % pixel_pipe.size_multiple == 0
    assert all(c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cs") for c in s.prompt + s.negative_prompt)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.text(ANY_CHAR, max_size=30), negative=st.text(ANY_CHAR, max_size=10),
       sampler=st.sampled_from(list(SAMPLERS) + [None]),
       steps=st.integers(1, 2), guidance=st.floats(0, 30), seed=st.integers(0, 2**32 - 1), count=st.integers(1, 2),
       side=st.sampled_from([None, 4, 8, 12]))
def test_settings_that_pass_generate(pixel_pipe, prompt, negative, sampler, steps, guidance, seed, count, side):
    """A sample of valid settings generates the pictures asked for."""
    out = pixel_pipe(prompt, negative, sampler, steps, guidance, seed, count, side, side)
    want = pixel_pipe.default_size if side is None else (side, side)
    assert len(out.images) == count and out.images[0].size == (want[1], want[0])
    assert out.seeds == [seed + i for i in range(count)]


# --------------------------------------------------------------------------- the PNG-parameters parser

TEXT_CHAR = st.characters(codec=None, exclude_characters="\r\x00")  # no lone surrogates (not valid in a PNG)
NAME = st.from_regex(r"[A-Za-z0-9_.()+/-]+( [A-Za-z0-9_.()+/-]+)*", fullmatch=True)


def _no_negative_line(text: str) -> bool:
    return not any(line.startswith(NEGATIVE_PREFIX) for line in text.split("\n"))


@st.composite
def settings_strategy(draw):
    size = draw(st.one_of(st.none(), st.tuples(st.integers(-10**6, 10**6).filter(bool),
                                               st.integers(-10**6, 10**6).filter(bool))))
    return Settings(
        prompt=draw(st.text(TEXT_CHAR, max_size=200).filter(_no_negative_line)),
        negative_prompt=draw(st.text(TEXT_CHAR, max_size=80)),
        steps=draw(st.one_of(st.none(), st.integers(-10**18, 10**18))),
        sampler=draw(st.one_of(st.none(), st.sampled_from(list(SAMPLERS)), NAME)),
        guidance_scale=draw(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))),
        seed=draw(st.one_of(st.none(), st.integers(-10**18, 10**18))),
        width=None if size is None else size[0],
        height=None if size is None else size[1],
        model=draw(st.one_of(st.none(), NAME)),
    )


@SETTINGS
@given(s=settings_strategy())
def test_parse_reads_back_what_format_wrote(s):
    assert parse_parameters(format_parameters(s)) == s


FRAGMENTS = st.sampled_from(["Steps:", "Steps: 20", "Seed:", "-5", "1e999", "nan", "CFG scale:", "Size:", "x",
                             "Negative prompt:", "Sampler:", "Model:", '"', '\\"', "\\", ",", ":", " ", "\n", "\r",
                             "\x00", "a", "9" * 5000, "<script>", "🎨", "\ud800"])


def _repeat_to(piece: str, n: int) -> str:
    """piece repeated to n characters: texts at the parser's length limit."""
    return (piece * (n // len(piece) + 1))[:n]


@SETTINGS
@given(text=st.one_of(st.text(ANY_CHAR, max_size=300), st.lists(FRAGMENTS, max_size=60).map("".join),
                      st.builds(_repeat_to, st.lists(FRAGMENTS, min_size=1, max_size=6).map("".join),
                                st.integers(19_990, 20_010)), junk))
def test_parse_of_anything_raises_only_settings_parse_error(text):
    try:
        s = parse_parameters(text)
    except SettingsParseError as e:
        assert str(e)
        return
    assert isinstance(s, Settings) and len(s.extra) <= 50
    for value in (s.steps, s.seed, s.width, s.height):
        assert value is None or isinstance(value, int)


def test_a_long_hostile_parameters_line_parses_quickly():
    """The regular expression this parser replaced took minutes on lines like these (backtracking)."""
    for line in ["Steps: 1, " + " " * 19_000, "Steps: 1, " + "a" * 19_000, 'Steps: 1, A: "' + "\\" * 19_000,
                 "Steps: 1, " + "a:" * 9_000, 'Steps: 1, ' + 'K: "a, ' * 2_700]:
        start = time.perf_counter()
        parse_parameters(line)
        assert time.perf_counter() - start < 5.0
