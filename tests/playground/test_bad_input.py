"""Whatever people type or send, the app answers in words and keeps serving (issue 7).

One table of bad inputs, each sent to the served app (tests/conftest.py: served_app, the tiny latent model
as "bundled" and the pixel one as "pixel") through gradio_client, or as raw JSON where gradio_client will
not send the value (NaN, null, too few values). Each row says which layer answers:

- gradio: Gradio's own checks before any handler (slider and number ranges, dropdown choices, upload types);
- gradio_client: the client library refuses or fills in before sending;
- component: playground/components.py (text or null where a number belongs, which crashes Gradio's check);
- handler / pipeline / limits / forward / pngmeta: our checks, in the user's words.

After every row the app must still serve a normal generate call, and the server must not have printed a
traceback (only Gradio's own "not enough input values" does, for a raw call missing arguments).

Sizes: the Generate tab has no size control, so sizes are checked on the pipeline's check_inputs directly
(test_sizes_are_checked_by_the_pipeline).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from gradio_client import Client, handle_file
from PIL import Image, PngImagePlugin

from api_calls import raw_call
from pipelines import PlaygroundInputError
from pipelines.limits import MAX_SEED
from playground.lab import forward_process, runs
from test_lab import huge_png

OK_GENERATE = ("bundled", "a red circle", "", "Euler", 1, 4.0, 1, 1, False, "decoded")
HOSTILE = "<img src=x onerror=alert(1)>\nSteps: 1e999, Seed: -5, Sampler: <script>, CFG scale: nan, Size: 99999x-1"


@dataclass(frozen=True)
class F:
    """A file from the bad_files fixture, uploaded with the call."""

    name: str


@dataclass(frozen=True)
class Case:
    endpoint: str  # api_name; "raw:" first = posted as raw JSON
    args: tuple
    expect: str  # regex: in the error message, or with ok=True in the returned values
    layer: str  # who answers (see the module docstring)
    ok: bool = False  # the call succeeds (and `expect` is found in what it returns)
    absent: str | None = None  # regex that must not be in what it returns
    kwargs: tuple = ()  # extra keyword arguments for gradio_client
    traceback_ok: bool = False  # Gradio itself prints one for this case


def gen(**changes) -> tuple:
    """A generate call's arguments: the OK call with some changed."""
    names = ["model", "prompt", "negative", "sampler", "steps", "guidance", "seed", "n_images", "extras", "preview"]
    args = dict(zip(names, OK_GENERATE))
    args.update(changes)
    return tuple(args.values())


def preset(**changes) -> tuple:
    names = ["model", "preset", "n_seeds", "first_seed", "steps", "sampler", "guidance"]
    args = dict(zip(names, ("bundled", "count-3-red-circles", 2, 0, 1, "Euler", 4.0)))
    args.update(changes)
    return tuple(args.values())


NAN, INF = float("nan"), float("inf")
EXAMPLE = forward_process.example_names()[0]
MAX = MAX_SEED

CASES = [
    # ---- prompts: all generate; what was changed is said in the info text (and as gr.Warning)
    pytest.param(Case("/generate", gen(prompt=""), r"\(empty: unconditional\)", "handler", ok=True), id="prompt-empty"),
    pytest.param(Case("/generate", gen(prompt="   \t  "), r"\(empty: unconditional\)", "handler", ok=True),
                 id="prompt-whitespace"),
    pytest.param(Case("/generate", gen(prompt="red " * 2500),
                      r"(?s)cut to its first 5,000 characters \(it had 10,000\).*Prompt too long: \d+ tokens, the model "
                      r"reads 14.*\*\*Truncated:\*\* the prompt has \d+ tokens", "handler+pipeline", ok=True),
                 id="prompt-10000-chars"),
    pytest.param(Case("/generate", gen(prompt="🔴 red circle 🎨👍🏽"), r"\*\*Tokens\*\* \(\d+/14\)", "pipeline", ok=True),
                 id="prompt-emoji"),
    pytest.param(Case("/generate", gen(prompt="עיגול אדום על רקע כחול دائرة حمراء"), r"\*\*Tokens\*\* \(\d+/14\)",
                      "pipeline", ok=True), id="prompt-right-to-left"),
    pytest.param(Case("/generate", gen(prompt="red\x00 circle\x07\x1b[31m\x7f"),
                      r"Prompt: removed 4 control characters\.", "pipeline", ok=True, absent=r"\\x00|\x00"),
                 id="prompt-control-chars-and-nul"),
    pytest.param(Case("/generate", gen(negative="blue\x00"), r"Negative prompt: removed 1 control character\.",
                      "pipeline", ok=True), id="negative-nul"),
    pytest.param(Case("raw:/generate", gen(prompt="red \ud800 circle"), r"Prompt: removed 1 invalid character",
                      "pipeline", ok=True), id="prompt-lone-surrogate"),
    pytest.param(Case("raw:/generate", gen(prompt=None), r"\(empty: unconditional\)", "handler", ok=True),
                 id="prompt-null"),
    # ---- emphasis ((word:1.5)): weights past 0-10 refused in words, odd brackets read as A1111 reads them
    pytest.param(Case("/generate", gen(prompt="a (red:25) circle"), r"Emphasis: 'red' would be weighted 25; weights "
                      r"from 0 to 10 are read", "pipeline"), id="emphasis-too-strong"),
    pytest.param(Case("/generate", gen(negative="(blue:99)"), r"Emphasis: 'blue' would be weighted 99;",
                      "pipeline"), id="emphasis-negative-too-strong"),
    pytest.param(Case("/compare", ("bundled", "a ((((red:9)))) circle", "", ["Euler"], "1", 4.0, 1),
                      r"Emphasis: 'red' would be weighted 11\.979", "pipeline"), id="emphasis-nested-past-10"),
    pytest.param(Case("/generate", gen(prompt="a ((red circle"), r"`a` `red`×1\.21 `circle`×1\.21", "pipeline",
                      ok=True), id="emphasis-never-closed"),
    # ---- prompt editing ([before:after:when]): nested brackets are refused, odd switch points read as they say
    pytest.param(Case("/generate", gen(prompt="[a [red:blue:1] circle:a square:2]"),
                      r"Prompt editing: brackets inside brackets are not read here", "handler"), id="prompt-edit-nested"),
    pytest.param(Case("/generate", gen(prompt="[red:blue:99999999999999999999] circle"),
                      r"`red` → `blue` after step 99999999999999999999", "handler", ok=True,
                      absent=r"prompt edited: step 1: `blue circle`"), id="prompt-edit-never"),
    pytest.param(Case("/generate", gen(prompt="[a:b:1e9] [:] [red:blue:-1] circle"), r"\*\*Tokens\*\*",
                      "handler", ok=True, absent=r"Prompt editing"), id="prompt-edit-not-edits"),
    # ---- steps
    pytest.param(Case("/generate", gen(steps=0), r"Value 0 is less than minimum value 1", "gradio"), id="steps-0"),
    pytest.param(Case("/generate", gen(steps=-1), r"Value -1 is less than minimum value 1", "gradio"), id="steps--1"),
    pytest.param(Case("/generate", gen(steps=10**9), r"Value 1000000000 is greater than maximum value 150", "gradio"),
                 id="steps-1e9"),
    pytest.param(Case("raw:/generate", gen(steps=NAN), r"Steps must be a whole number from 1 to 150 \(got nan\)",
                      "pipeline"), id="steps-nan"),
    pytest.param(Case("/generate", gen(steps="twenty"), r"Steps must be a number from 1 to 150 \(got 'twenty'\)",
                      "component"), id="steps-text"),
    pytest.param(Case("raw:/generate", gen(steps=None), r"Steps must be a number from 1 to 150 \(got nothing\)",
                      "component"), id="steps-null"),
    pytest.param(Case("/generate", gen(steps=2.5), r"Steps must be a whole number from 1 to 150 \(got 2\.5\)",
                      "pipeline"), id="steps-fractional"),
    # ---- guidance
    pytest.param(Case("/generate", gen(guidance=-1), r"Value -1 is less than minimum value 0", "gradio"),
                 id="guidance-negative"),
    pytest.param(Case("/generate", gen(guidance=1e6), r"Value 1000000\.0 is greater than maximum value 30", "gradio"),
                 id="guidance-huge"),
    pytest.param(Case("raw:/generate", gen(guidance=NAN), r"Guidance scale must be a number from 0 to 30 \(got nan\)",
                      "pipeline"), id="guidance-nan"),
    pytest.param(Case("raw:/generate", gen(guidance=INF), r"Value inf is greater than maximum value 30", "gradio"),
                 id="guidance-infinity"),
    pytest.param(Case("/generate", gen(guidance="lots"), r"Guidance scale must be a number from 0 to 30 \(got 'lots'\)",
                      "component"), id="guidance-text"),
    # ---- seed
    pytest.param(Case("/generate", gen(seed=-1), r"Value -1 is less than minimum value 0", "gradio"),
                 id="seed-negative"),
    pytest.param(Case("/generate", gen(seed=2**64), rf"Value {2**64} is greater than maximum value {MAX}", "gradio"),
                 id="seed-2**64"),
    pytest.param(Case("/generate", gen(seed=1.5), rf"Seed must be a whole number from 0 to {MAX} \(got 1\.5\)",
                      "handler"), id="seed-fractional"),
    pytest.param(Case("raw:/generate", gen(seed=NAN), rf"Seed must be a whole number from 0 to {MAX} \(got nan\)",
                      "handler"), id="seed-nan"),
    pytest.param(Case("/generate", gen(seed="lucky"), rf"Seed must be a number from 0 to {MAX} \(got 'lucky'\)",
                      "component"), id="seed-text"),
    pytest.param(Case("raw:/generate", gen(seed=None), rf"Seed is empty; enter a whole number from 0 to {MAX}\.",
                      "handler"), id="seed-empty"),
    # ---- sampler, image count, model
    pytest.param(Case("/generate", gen(sampler="Euler; rm -rf /"), r"Value: Euler; rm -rf / is not in the list of "
                      r"choices: \['Euler'", "gradio"), id="sampler-unknown"),
    pytest.param(Case("/generate", gen(n_images=0), r"Value 0 is less than minimum value 1", "gradio"), id="images-0"),
    pytest.param(Case("/generate", gen(n_images=100), r"Value 100 is greater than maximum value 8", "gradio"),
                 id="images-100"),
    pytest.param(Case("raw:/generate", gen(n_images=NAN), r"Images per prompt must be a whole number from 1 to 8",
                      "pipeline"), id="images-nan"),
    pytest.param(Case("/generate", gen(model="../../etc/passwd"), r"\.\./\.\./etc/passwd is not in the list of "
                      r"choices: \['bundled', 'pixel'\]", "gradio"), id="model-path"),
    # ---- API calls with missing or extra arguments
    pytest.param(Case("/generate", ("bundled", "a red circle"), r"20 steps", "gradio_client", ok=True),
                 id="missing-args-client-fills-defaults", marks=pytest.mark.slow),
    pytest.param(Case("raw:/generate", ("bundled", "a red circle"),
                      r"didn't receive enough input values \(needed: 10, got: 2\)", "gradio", traceback_ok=True),
                 id="missing-args-raw"),
    pytest.param(Case("/generate", gen() + ("surplus", 42), r"1 steps", "gradio", ok=True),
                 id="extra-positional-args-ignored"),
    pytest.param(Case("/generate", gen(preview="sideways"),
                      r"Value: 'sideways' .* is not in the list of choices: \['decoded', 'approximate'\]", "gradio"),
                 id="preview-unknown"),
    pytest.param(Case("/generate", gen(), r"Parameter `width` is not a valid key-word argument", "gradio_client",
                      kwargs=(("width", 20000),)), id="extra-keyword-arg"),
    pytest.param(Case("/restore_png", (), r"No value provided for required argument: file", "gradio_client"),
                 id="missing-file"),
    # ---- Compare and Limits presets
    pytest.param(Case("/compare", ("bundled", "x", "", ["Euler", "Heun", "DDIM", "LMS", "UniPC"], "1, 2, 3, 4, 5", 4.0,
                                   1), r"That is 25 cells .* at most 24", "handler"), id="compare-over-cell-limit"),
    pytest.param(Case("/compare", ("bundled", "x", "", ["Euler"], "1,2,3,4,5,6,7", 4.0, 1),
                      r"At most 6 step counts at once \(got 7\)", "handler"), id="compare-too-many-step-counts"),
    pytest.param(Case("/run_preset", preset(n_seeds=65), r"Value 65 is greater than maximum value 64", "gradio"),
                 id="preset-seeds-over-limit"),
    pytest.param(Case("raw:/run_preset", preset(n_seeds=NAN), r"Seeds: run over 1 to 64 seeds at a time \(got nan\)",
                      "limits"), id="preset-seeds-nan"),
    pytest.param(Case("/run_preset", preset(first_seed=2**40), r"First seed must be a whole number from 0 to "
                      rf"{MAX - 1} \(got {2**40}\)", "limits"), id="preset-first-seed-over-limit"),
    pytest.param(Case("/run_preset", preset(first_seed=10**400), r"First seed must be a whole number from 0 to "
                      rf"{MAX - 1} \(got 1000000000", "limits"), id="preset-first-seed-10**400"),
    pytest.param(Case("/forward", ("bundled", EXAMPLE, None, 100, 10**400), r"Seed must be a whole number from 0 to "
                      rf"{MAX} \(got 1000000000", "forward"), id="forward-seed-10**400"),
    pytest.param(Case("/run_preset", preset(preset="../../etc/passwd"), r"Unknown preset '\.\./\.\./etc/passwd'\. "
                      r"Choose one from the list\.", "limits"), id="preset-unknown"),
    # ---- files: PNG restore and the forward-diffusion upload
    pytest.param(Case("/restore_png", (F("corrupt.png"),), r"The PNG is damaged and could not be read", "pngmeta"),
                 id="png-corrupt"),
    pytest.param(Case("/restore_png", (F("hostile.png"),), r"^<img src=x onerror=alert\(1\)>\n\n", "pngmeta", ok=True,
                      absent=r"<script>|1e999|-5|99999|nan"), id="png-hostile-parameters"),
    pytest.param(Case("/restore_png", (F("huge-text.png"),), r"settings text is too long \(25,000 characters; at most "
                      r"20,000\)", "pngmeta"), id="png-parameters-over-20k"),
    pytest.param(Case("/restore_png", (F("notes.txt"),), r"Invalid file type\. Please upload a file that is one of "
                      r"these formats: \['\.png'\]", "gradio"), id="png-non-image-upload"),
    pytest.param(Case("/restore_png", (F("text-named.png"),), r"That file is not a PNG image", "pngmeta"),
                 id="png-text-named-png"),
    pytest.param(Case("/restore_png", (F("20000x20000.png"),), r"The PNG is too large to read", "pngmeta"),
                 id="png-20000x20000"),
    pytest.param(Case("/forward", ("bundled", None, F("20000x20000.png"), 100, 0),
                      r"The image is too large: at most 4096 × 4096 pixels", "forward"), id="forward-20000x20000"),
    pytest.param(Case("/forward", ("bundled", None, F("text-named.png"), 100, 0),
                      r"That file is not an image this app reads", "forward"), id="forward-non-image"),
    pytest.param(Case("raw:/forward", ("bundled", EXAMPLE, None, NAN, 0), r"t must be a whole number from 0 to 999 "
                      r"\(got nan\)", "forward"), id="forward-t-nan"),
    pytest.param(Case("/scrub", ("abc",), r"Scrub through the steps of the last run must be a number", "component"),
                 id="scrub-text"),
]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-files")
    good = d / "good.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(good)
    data = good.read_bytes()
    (d / "corrupt.png").write_bytes(data[:16] + b"\x00garbage" * 8 + data[-30:])
    for name, text in [("hostile.png", HOSTILE), ("huge-text.png", "a" * 25_000)]:
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", text)
        Image.new("RGB", (8, 8)).save(d / name, pnginfo=info)
    (d / "notes.txt").write_text("Steps: 20, Seed: 7\n")
    (d / "text-named.png").write_text("not a picture at all\n")
    huge_png(d / "20000x20000.png")
    return d


@pytest.fixture(scope="module")
def client(served_app, tmp_path_factory):
    # Downloads go to a folder of their own: not GRADIO_TEMP_DIR, where the server in this process reads.
    return Client(served_app.url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def _resolve(args, files):
    return tuple(handle_file(str(files / a.name)) if isinstance(a, F) else a for a in args)


def _flat(result) -> str:
    values = result if isinstance(result, (list, tuple)) else [result]
    return "\n".join("" if v is None or isinstance(v, dict) else str(v) for v in values)


def _call(client, url, case: Case, files):
    args = _resolve(case.args, files)
    if case.endpoint.startswith("raw:"):
        return raw_call(url, case.endpoint[4:], list(args))
    return client.predict(*args, api_name=case.endpoint, **dict(case.kwargs))


def test_the_table_covers_the_issue():
    assert len(CASES) >= 30
    layers = {p.values[0].layer for p in CASES}
    assert {"gradio", "gradio_client", "component", "handler", "pipeline", "pngmeta"} <= layers


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_words_and_the_app_keeps_serving(case: Case, client, served_app, bad_files, capfd):
    if case.ok:
        text = _flat(_call(client, served_app.url, case, bad_files))
        assert re.search(case.expect, text), text[:2000]
        if case.absent:
            assert not re.search(case.absent, text), text[:2000]
    else:
        with pytest.raises(Exception, match=case.expect) as info:
            _call(client, served_app.url, case, bad_files)
        assert "Traceback" not in str(info.value)
    final = client.predict(*OK_GENERATE, api_name="/generate")[0]
    assert len(final) == 1, "the app stopped serving"
    err = capfd.readouterr().err
    if case.layer == "gradio" and not case.traceback_ok:  # Gradio prints the gr.Error of its own checks
        assert err.count("Traceback") == err.count("gradio.exceptions.Error: "), err[-3000:]
    elif not case.traceback_ok:
        assert "Traceback" not in err, err[-3000:]


# --------------------------------------------------------------------------- sizes (no control in the Generate tab)

@pytest.mark.parametrize("height, width, message", [
    (None, None, None),  # the model's own size
    (32, 16, None),
    (1024, 4, None),  # allowed (not generated here: it only has to pass the check)
    (0, 16, r"Height must be a multiple of 4 from 4 to 1024 pixels \(got 0\)"),
    (-16, 16, r"Height must be a multiple of 4 from 4 to 1024 pixels \(got -16\)"),
    (18, 16, r"Height must be a multiple of 4 from 4 to 1024 pixels \(got 18\)"),
    (16, 2048, r"Width must be a multiple of 4 from 4 to 1024 pixels \(got 2048\)"),
    (16, 20000, r"Width must be a multiple of 4 from 4 to 1024 pixels \(got 20000\)"),
    (16.5, 16, r"Height must be a multiple of 4 .* \(got 16\.5\)"),
    (float("nan"), 16, r"Height must be a multiple of 4 .* \(got nan\)"),
    ("16", 16, r"Height must be a multiple of 4 .* \(got '16'\)"),
    (16, True, r"Width must be a multiple of 4 .* \(got True\)"),
])
def test_sizes_are_checked_by_the_pipeline(latent_pipe, height, width, message):
    """The Generate tab has no size control (the model's size is used); the pipeline checks sizes for API users."""
    args = ("a red circle", "", "Euler", 2, 4.0, 0, 1, height, width)
    if message is None:
        settings = latent_pipe.check_inputs(*args)
        assert (settings.height, settings.width) == ((16, 16) if height is None else (height, width))
    else:
        with pytest.raises(PlaygroundInputError, match=message):
            latent_pipe.check_inputs(*args)


def test_preset_limits_hold_for_direct_calls_too():
    """The slider stops 65 seeds; the check behind it stops any caller of the Limits logic."""
    for bad in (0, 65, 10**9, 10**400, 2.5, float("nan"), "many", None):
        with pytest.raises(PlaygroundInputError, match=r"Seeds: run over 1 to 64 seeds"):
            runs.check_seed_count(bad)
