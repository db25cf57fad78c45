"""The Limits tab knows which world a model draws (issue 33): shapes-32 gets the shapes presets, v2 its own (five
fingers, the word on a sign, counts of five and more, binding with three things, the same character across seeds,
and the v2 versions of relations, small things and the control), each measured on the model by
``python -m playground.lab.runs`` with the autoencoder's ceiling beside it; a model of no world gets the presets
unjudged.

A tiny v2 model is trained here through training.train's phases (2 steps each) and exported, as the real one will
be: its pictures are noise, so only wording, counts and wiring are asserted on it.
"""
import json
import os
import shutil
import socket
import tempfile
from collections import OrderedDict
from dataclasses import replace
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import pytest  # noqa: E402

from pipelines import loading  # noqa: E402
from playground.lab import judging, presets, runs  # noqa: E402
from playground.lab.judging import SHAPES, V2, world_of  # noqa: E402
from playground.lab.presets_v2 import V2_LIMITS  # noqa: E402
from world import v2  # noqa: E402
from world.v2.vocabulary import NUMBER_WORDS  # noqa: E402

FAILURES = ["v2-fingers", "v2-sign", "v2-counts", "v2-trio", "v2-character"]


def _pipe(description: str):
    return SimpleNamespace(config={"model_description": description})


# --------------------------------------------------------------------------- which world a model draws

def test_a_model_s_world_comes_from_its_description_then_its_bundled_name():
    assert world_of("shapes-32") == SHAPES and world_of("v2") == V2
    assert world_of("bundled") == {"shapes-32": SHAPES, "v2": V2}[loading.DEFAULT_BUNDLED]
    assert world_of("sd15") is None and world_of(None) is None and world_of("trained 1: colours") is None
    # what training/export.py writes, under any menu name (a folder's)
    assert world_of("model", _pipe("The 64 x 64 world (v2), trained from scratch by training/train.py")) == V2
    assert world_of("my-run", _pipe("Shapes world, trained from scratch by training/train.py")) == SHAPES
    assert world_of("v2", _pipe("Shapes world, trained from scratch by training/train.py")) == SHAPES  # its own word
    assert world_of("v2", _pipe("tiny test model")) == V2  # no word: the bundled name's
    assert world_of("sd15", _pipe("Stable Diffusion v1-5")) is None
    assert world_of("x", _pipe("a copy of the shapes world")) is None  # only the start says
    assert judging.has_judge("v2") and judging.has_judge("shapes-32") and not judging.has_judge("sd15")
    # the Guidance and Forward tabs read typed prompts in the words of the model's world
    assert judging.reads_captions("shapes-32") and judging.reads_captions("v2") and not judging.reads_captions("sd15")


@pytest.mark.slow
def test_the_exported_tiny_v2_model_draws_the_v2_world(tiny_v2):
    assert world_of("any name", tiny_v2.pipe) == V2
    assert presets.limits_for(world_of("any name", tiny_v2.pipe)) is V2_LIMITS


# --------------------------------------------------------------------------- the v2 presets

def test_the_v2_presets_have_a_group_per_failure_and_the_old_limits():
    assert list(V2_LIMITS.groups)[:5] == FAILURES
    assert {"v2-spatial", "v2-small", "v2-control"} <= set(V2_LIMITS.groups)
    assert V2_LIMITS.first_group == "v2-fingers" and presets.limits_for(None) is presets.SHAPES_LIMITS
    assert presets.limits_for(SHAPES).groups is presets.GROUPS  # the shapes presets as they were
    shapes_keys = set(presets.PRESETS)
    for key, preset in V2_LIMITS.presets.items():
        assert key.startswith("v2-") and key not in shapes_keys and presets.get_preset(key) is preset
        assert isinstance(preset.scene, v2.Scene) and preset.world == V2 and preset.measured_wrong is None
        assert preset.prompt == preset.caption == v2.caption(preset.scene)
        assert preset.attributes and all(a in presets.ATTRIBUTE_LABELS for a in preset.attributes)
        assert preset.attributes[0] in presets.FAILURE_WORDS
    group = V2_LIMITS.groups
    assert {p.scene.objects[0].fingers for p in group["v2-fingers"].presets[:3]} == {5}
    assert all(p.scene.count >= 5 for p in group["v2-counts"].presets)
    assert all(p.scene.kind == "trio" for p in group["v2-trio"].presets[:3])
    assert {p.scene.objects[0].name for p in group["v2-character"].presets} == set(v2.CHARACTERS)
    assert all(p.attributes[0] == "text" and p.scene.objects[0].word for p in group["v2-sign"].presets)
    for g in V2_LIMITS.groups.values():
        assert g.why and g.look_for and g.published and g.presets, g.key


def test_trio_presets_score_binding_as_evaluate_v2_does():
    """The judge reads a trio's binding (each colour on a thing of its kind), so the trio presets score it first,
    as training/evaluate_v2.py scores its "trio binding" category, and say nothing is left unjudged."""
    from training.evaluate_v2 import NOT_JUDGED, score_key

    assert "trio binding" not in NOT_JUDGED and score_key("trio binding") == "binding"
    for preset in V2_LIMITS.groups["v2-trio"].presets:
        assert preset.attributes[0] == "binding" and not preset.not_judged, preset.key
        text = presets.explain(preset, presets.Figure(3, replace(V2_LIMITS.measure, guidance=4.0, date="2026-12-05")))
        assert "**Not judged:**" not in text, preset.key


def test_the_judge_reads_every_v2_preset_s_true_picture_right():
    """The judge's ceiling on each preset's own scene, through world.v2.render: a perfect model would pass."""
    for key, preset in V2_LIMITS.presets.items():
        picture = presets.target_picture(preset)
        assert picture.size == (v2.SIZE, v2.SIZE)
        verdict = judging.judge(picture, preset.scene)
        assert all(verdict.get(a) for a in preset.attributes), (key, verdict)


# --------------------------------------------------------------------------- the measured figure, in words

def test_measured_text_on_the_shapes_presets_is_unchanged():
    preset = presets.PRESETS["count-5-purple-triangles"]
    assert preset.measured_text() == ("The count is wrong in **31 of 32 seeds** on the shapes-32 model (seeds 0 to 31, "
                                      "20 steps, DPM++ 2M, guidance 4; measured 2026-12-04)")
    assert "autoencoder's ceiling" not in presets.explain(preset)


def test_measured_text_of_a_v2_preset_before_and_after_it_is_measured():
    preset = V2_LIMITS.presets["v2-five-fingers-floor"]
    before = presets.explain(preset)
    assert "**Not measured yet on this model.** `python -m playground.lab.runs --model v2`" in before
    assert "**The autoencoder's ceiling.**" not in before and "of 32 seeds" not in before
    settings = replace(V2_LIMITS.measure, guidance=4.0, date="2026-12-05")
    figure = presets.Figure(29, settings, pictures=32, autoencoder_wrong=2, true_wrong=1)
    assert preset.measured_text(V2_LIMITS.measure, figure) == (
        "The hand does not hold up that many fingers in **29 of 32 seeds** on the v2 model (seeds 0 to 31, 20 steps, "
        "DPM++ 2M, guidance 4; measured 2026-12-05)")
    text = presets.explain(preset, figure)
    assert "reconstructions of 32 true pictures" in text and "in **2 of 32**" in text
    assert "on the true pictures themselves, in 1 of 32" in text and "the model's failure is the denoiser's" in text
    # the words follow the numbers: a decoder that loses it, a judge that misreads the truth
    decoder = presets.ceiling_text(preset, replace(figure, autoencoder_wrong=25))
    assert "part of the model's failure is the decoder's" in decoder
    assert "The judge itself misreads" in presets.ceiling_text(preset, replace(figure, true_wrong=12))
    # another world's model: no figure of this preset is its
    assert "Measured only on a model that draws the 64 × 64 world (v2)" in presets.explain(preset, judged=False)


def test_figures_round_trip_through_a_model_folder(tmp_path):
    settings = replace(V2_LIMITS.measure, guidance=4.0, model="v2", date="2026-12-05", n_seeds=2)
    result = {"world": V2, "model": "v2", "date": "2026-12-05",
              "settings": {"n_seeds": 2, "first_seed": 0, "steps": 20, "sampler": "DPM++ 2M", "guidance": 4.0},
              "ceiling_pictures": 2,
              "presets": {"v2-pip-beach": {"attribute": "character", "wrong": 1, "true_wrong": 0,
                                           "autoencoder_wrong": 0}}}
    (tmp_path / runs.FIGURES_FILE).write_text(json.dumps(result))
    figures = runs.read_figures(tmp_path, V2)
    assert figures == {"v2-pip-beach": presets.Figure(1, settings, 2, 0, 0)}
    # a figure of another attribute than its preset now scores first (the trio presets' colour, before the judge
    # read their binding) is not quoted as the preset's: not measured yet
    result["presets"]["v2-trio-car-mug-car"] = {"attribute": "colour", "wrong": 3, "true_wrong": 0,
                                                "autoencoder_wrong": 0}
    (tmp_path / runs.FIGURES_FILE).write_text(json.dumps(result))
    assert set(runs.read_figures(tmp_path, V2)) == {"v2-pip-beach"}
    assert runs.read_figures(tmp_path, SHAPES) == {} and runs.read_figures(None, V2) == {}
    (tmp_path / runs.FIGURES_FILE).write_text("{not json")
    assert runs.read_figures(tmp_path, V2) == {}


# --------------------------------------------------------------------------- the script and the tab on a tiny v2 model

@pytest.fixture(scope="module")
def tiny_v2(tmp_path_factory):
    """A tiny v2 model made as the real one is: training.train --world v2 --tiny, vae and unet phases of 2 steps,
    then export; its folder (a copy, for the script to write into) and its pipeline."""
    from pipelines import load_pipeline
    from training import train

    out = tmp_path_factory.mktemp("v2t")
    common = ["--tiny", "--out", str(out), "--batch", "4", "--threads", "1"]
    train.main(["--world", "v2", "--phase", "vae", "--steps", "2", *common])
    train.main(["--phase", "unet", "--steps", "2", *common])
    train.main(["--phase", "export", "--export-to", str(out / "model"), *common])
    pipe = load_pipeline(str(out / "model"))
    pipe.set_progress_bar_config(disable=True)
    return SimpleNamespace(folder=out / "model", pipe=pipe)


@pytest.mark.slow
def test_the_script_measures_a_v2_model_into_its_folder(tiny_v2, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_v2.folder, folder)
    runs.main(["--model", str(folder), "--seeds", "2", "--presets", "v2-five-fingers-floor"])
    runs.main(["--model", str(folder), "--seeds", "2", "--presets", "v2-trio-car-mug-car"])  # adds to the file
    data = json.loads((folder / runs.FIGURES_FILE).read_text())
    assert data["world"] == V2 and data["model"] == "model" and data["settings"]["n_seeds"] == 2
    assert data["settings"]["guidance"] == tiny_v2.pipe.config.default_guidance_scale  # the model's own
    assert set(data["presets"]) == {"v2-five-fingers-floor", "v2-trio-car-mug-car"}
    for figure in data["presets"].values():
        assert 0 <= figure["wrong"] <= 2 and 0 <= figure["autoencoder_wrong"] <= 2 and 0 <= figure["true_wrong"] <= 2
    assert data["presets"]["v2-five-fingers-floor"]["attribute"] == "fingers"
    figures = runs.read_figures(folder, V2)
    text = presets.explain(V2_LIMITS.presets["v2-five-fingers-floor"], figures["v2-five-fingers-floor"])
    assert " of 2 seeds** on the model model (seeds 0 to 1, 20 steps, DPM++ 2M, guidance 4; measured " in text
    assert "reconstructions of 2 true pictures" in text


def test_the_script_refuses_a_model_of_no_world(pixel_pipe, tmp_path):
    pixel_pipe.save_pretrained(tmp_path / "sd-like")
    with pytest.raises(SystemExit, match="draws none of our worlds"):
        runs.main(["--model", str(tmp_path / "sd-like"), "--seeds", "1"])


@pytest.fixture(scope="module")
def v2_app(tiny_v2, latent_pipe, pixel_pipe, tmp_path_factory):
    """The app as `python app.py --model <tiny v2 folder> --model shapes-32 ...` serves it: the tiny v2 model first
    (its folder, with two presets measured into it), the tiny latent model as shapes-32 and the pixel one (no
    world)."""
    import app
    from playground.app_ui import CSS, build_demo
    from playground.registry import ModelRegistry

    folder = tmp_path_factory.mktemp("served") / "v2-tiny"
    shutil.copytree(tiny_v2.folder, folder)
    runs.main(["--model", str(folder), "--seeds", "1", "--presets", "v2-five-fingers-floor,v2-seven-houses-beach"])
    registry = ModelRegistry.load([str(folder)])
    registry = ModelRegistry(OrderedDict([("v2-tiny", registry.get("v2-tiny")), ("shapes-32", latent_pipe),
                                          ("pixel", pixel_pipe)]))
    demo = build_demo(registry).queue(default_concurrency_limit=2, max_size=app.QUEUE_SIZE)
    with socket.socket() as probe:  # a free port (tests/conftest.py's helper; "conftest" names two modules here)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS,
                **app.LAUNCH_OPTIONS)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", registry=registry)
    demo.close()


@pytest.fixture(scope="module")
def client(v2_app):
    from gradio_client import Client

    return Client(v2_app.url, verbose=False)


def _groups(update) -> list[str]:
    choices = update["choices"] if isinstance(update, dict) else update
    return [c[1] if isinstance(c, (list, tuple)) else c for c in choices]


@pytest.mark.slow
def test_the_limits_tab_shows_the_world_of_the_model_picked(client, v2_app):
    from playground.tabs import limits as limits_tab

    # the page opens on the default model's world: the tiny v2 model
    _key, text, target, decoded, _row = limits_tab.preset_info(v2_app.registry, None, "v2-five-fingers-floor")
    assert text.startswith("### Exactly five fingers")
    assert decoded["visible"] and decoded["value"].size == target.size  # the target through its autoencoder
    config = client.config
    radios = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "limit_group"]
    assert radios and [c[1] for c in radios[0]["props"]["choices"]][:5] == FAILURES

    for model, first_group, first_key in (("shapes-32", "counts", "count-5-purple-triangles"),
                                          ("pixel", "counts", "count-5-purple-triangles"),
                                          ("v2-tiny", "v2-fingers", "v2-five-fingers-floor")):  # as a person switches
        group, preset, key, explain, target, decoded = client.predict(model, api_name="/limit_presets")
        assert group["value"] == first_group and preset["value"] == key == first_key and target, model
        assert (decoded["visible"] and decoded["value"] is not None) == (model == "v2-tiny"), model
        assert (_groups(group)[:5] == FAILURES) == (model == "v2-tiny"), model
        assert first_key in _groups(preset)
        assert ("No judge for this model" in explain) == (model == "pixel"), model
    # the measured figures of the model in use, from its folder, with the autoencoder's ceiling
    key, explain, _target, _decoded = client.predict("v2-tiny", "v2-five-fingers-floor",
                                                     api_name="/limit_preset_info")
    assert " of 1 seeds** on the v2-tiny model (seeds 0 to 0, 20 steps, DPM++ 2M, guidance 4; measured " in explain
    assert "**The autoencoder's ceiling.**" in explain and "reconstructions of 1 true pictures" in explain
    _key, explain, _t, _d = client.predict("v2-tiny", "v2-five-fingers-grass", api_name="/limit_preset_info")
    assert "**Not measured yet on this model.**" in explain
    _key, explain, _t, _d = client.predict("shapes-32", "v2-five-fingers-grass", api_name="/limit_preset_info")
    assert "No judge for this model on this preset" in explain


@pytest.mark.slow
def test_run_preset_judges_the_v2_model_with_the_v2_judge(client):
    grid, summary, *_maps = client.predict("v2-tiny", "v2-five-fingers-floor", 2, 3, 2, "Euler", 4.0,
                                           api_name="/run_preset")
    assert [g["caption"].split(" · ")[0] for g in grid] == ["seed 3", "seed 4"]
    assert all("fingers" in g["caption"] for g in grid)
    assert "right number of fingers in" in summary and " of 2" in summary and "No judge" not in summary
    _grid, summary, *_maps = client.predict("v2-tiny", "v2-trio-car-mug-car", 1, 0, 1, "Euler", 4.0,
                                            api_name="/run_preset")
    assert "each colour on the right thing in" in summary and "right colour in" in summary
    assert "**Not judged:**" not in summary
    # a preset of the other world: the grid, no judge
    grid, summary, *_maps = client.predict("v2-tiny", "count-3-red-circles", 1, 0, 1, "Euler", 4.0,
                                           api_name="/run_preset")
    assert len(grid) == 1 and "No judge for this model on this preset" in summary
    grid, summary, *_maps = client.predict("shapes-32", "v2-pip-beach", 1, 0, 1, "Euler", 4.0, api_name="/run_preset")
    assert "✓" not in grid[0]["caption"] and "✗" not in grid[0]["caption"] and "No judge" in summary


# --------------------------------------------------------------------------- the count sweep in the v2 world

def test_the_v2_count_sweep_asks_in_v2_words_and_counts_true_pictures_right():
    """A v2 model's count sweep asks for n things of the counting preset's kind on its backdrop, and the count it
    reports per picture is the v2 judge's: exact on the world's own pictures, every count 1 to 9."""
    from playground.lab import counts
    from playground.tabs.limits import sweep_target

    assert sweep_target("v2-six-mugs-floor", V2) == ("mug", "blue", "wooden floor")
    assert sweep_target("v2-five-fingers-floor", V2) == ("mug", "blue", "wooden floor")  # not a count: the default
    assert sweep_target("count-5-purple-triangles", SHAPES) == ("triangle", "purple", "white")
    for n in range(1, 10):
        scene = counts.count_scene(n, "mug", "blue", "wooden floor", V2)
        assert v2.caption(scene).startswith(f"{NUMBER_WORDS[n]} blue mug")
        assert counts.detected_count(v2.render(scene), "blue", scene) == n
        assert judging.judge(v2.render(scene), scene)["count"]


def test_the_count_sweep_counts_as_the_judge_s_verdict_does():
    """"five purple triangles on a white background" is a count of today's kind: the judge's verdict counts blobs,
    and the sweep's "counted" column and dots counted a group's way (by area), so a single big triangle was "right"
    in the table and "got 2" under its picture. Both read one count now, on pictures drawn too big or too small."""
    from playground.lab import counts

    for n, scale in ((1, 2.0), (2, 1.6), (3, 0.6), (5, 1.3)):
        scene = counts.count_scene(n, "triangle", "purple", "white", V2)
        drawn = replace(scene, objects=tuple(replace(o, size=int(o.size * scale)) for o in scene.objects))
        image = v2.render(drawn)
        found = counts.detected_count(image, "purple", scene)
        assert judging.judge(image, scene)["count"] == (found == n), (n, scale, found)
        assert found == n, (n, scale, found)
    group = counts.count_scene(6, "mug", "blue", "wooden floor", V2)
    image = v2.render(group)
    assert counts.detected_count(image, "blue", group) == 6 and judging.judge(image, group)["count"]


@pytest.mark.slow
def test_the_count_sweep_on_a_v2_model_is_judged_in_its_world(client):
    plot, table, examples = client.predict("v2-tiny", "v2-six-mugs-floor", 1, 0, 1, "Euler", 4.0,
                                           api_name="/count_sweep")
    assert plot is not None and len(examples) == 9 and "No judge" not in table
    assert "blue mugs on wooden floor" in table and table.count("of 1 |") == 9
    assert examples[5]["caption"].startswith("asked for 6 · ")
