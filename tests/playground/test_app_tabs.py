"""The Limits, Forward diffusion and Guidance and seeds tabs through the API, as gradio_client users reach them.

The tiny latent model is registered as "bundled" so the judge path runs; the tiny pixel model has no judge.
Both are random: only counts, sizes and ranges are asserted.
"""
import os
import re
import tempfile
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import gradio as gr  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from PIL import Image  # noqa: E402

from playground.lab import forward_process  # noqa: E402
from playground.pictures import GALLERY_SIDE  # noqa: E402
from playground.tabs import limits as limits_tab  # noqa: E402
from test_lab import huge_png  # noqa: E402

EXAMPLE = forward_process.example_names()[0]


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app.url, verbose=False)


def _size(path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_run_preset_scores_the_bundled_model(client):
    grid, summary, *_maps = client.predict("bundled", "count-3-red-circles", 3, 5, 2, "Euler", 4.0,
                                           api_name="/run_preset")
    assert len(grid) == 3
    assert [g["caption"].split(" · ")[0] for g in grid] == ["seed 5", "seed 6", "seed 7"]
    assert all("count" in g["caption"] and ("✓" in g["caption"] or "✗" in g["caption"]) for g in grid)
    assert all(_size(g["image"]) == (GALLERY_SIDE,) * 2 for g in grid)
    scores = re.findall(r"correct count in (\d+) of 3", summary)
    assert len(scores) == 1 and 0 <= int(scores[0]) <= 3
    assert "Spread over 3 seeds" in summary


def test_the_limit_word_maps_draw_the_first_failure_again_to_the_grid_s_pixels(client, served_app):
    """After a run over seeds (/limit_word_maps, the session's last run): the run's first picture the judge saw
    wrong, drawn again alone to the same pixels as in the grid, then each word's map; clicking a picture of the grid
    (picked_maps, the same code) shows that one's; at guidance 0 none, and the text says why."""
    grid, summary, *_ = client.predict("bundled", "count-3-red-circles", 4, 5, 2, "Euler", 4.0,
                                       api_name="/run_preset")
    sheet, text = client.predict(api_name="/limit_word_maps")
    wrong = re.search(r"wrong: seeds? ([\d, ]+)\)", summary)
    seed = int(wrong.group(1).split(",")[0]) if wrong else 5  # the first wrong, else the first
    assert f"**Seed {seed}** (" in text and "drawn again alone to the same pixels as in the grid" in text
    assert ("the run's first picture the judge saw wrong" in text) == bool(wrong)
    words = re.findall(r"\*\*(\S+)\*\* (\d+)%", text)
    assert [w for w, _ in words] == "three red circles on a blue background".split(), text
    assert "× 2 model evaluations" in text
    assert "the number word was read 0.96× as much on the things" in text  # what the maps showed, for counts
    with Image.open(sheet) as im, Image.open(grid[seed - 5]["image"]) as shown:
        assert im.width == 7 * 192 + 6 * 6  # the picture and six words, a row
        first = im.crop((0, 0, 192, 192)).convert("RGB")  # the picture, enlarged as the grid enlarges it
        assert first.resize(shown.size, Image.NEAREST).tobytes() == shown.convert("RGB").tobytes()
    # a click on the grid's second picture
    from playground.tabs.limits import LimitRun, picked_maps
    from playground.lab import presets, runs

    preset = presets.get_preset("count-3-red-circles")
    run = runs.run_over_seeds(served_app.registry.get("bundled"), preset, 4, 5, 2, "Euler", 4.0)
    last = LimitRun("bundled", run, 2, "Euler", 4.0)
    _sheet, text = picked_maps(served_app.registry, last, SimpleNamespace(index=1))
    assert "**Seed 6** (" in text and "drawn again alone to the same pixels" in text
    assert picked_maps(served_app.registry, last, SimpleNamespace(index=9)) == (gr.skip(), gr.skip())
    client.predict("bundled", "count-3-red-circles", 1, 0, 2, "Euler", 0.0, api_name="/run_preset")
    sheet, text = client.predict(api_name="/limit_word_maps")
    assert sheet is None and "At guidance 0" in text


def test_run_preset_without_a_judge_shows_the_grid_alone(client):
    grid, summary, *_maps = client.predict("pixel", "text-hi", 2, 0, 1, "DDIM", 4.0, api_name="/run_preset")
    assert len(grid) == 2 and all("✓" not in g["caption"] and "✗" not in g["caption"] for g in grid)
    assert "No judge" in summary and " of 2" not in summary.split("Spread")[0]


def test_run_preset_refuses_more_than_64_seeds(client):
    with pytest.raises(Exception, match="64"):
        client.predict("bundled", "count-3-red-circles", 65, 0, 2, "Euler", 4.0, api_name="/run_preset")


def test_preset_info_explains_and_shows_the_target(served_app):
    key, text, target, decoded, _row = limits_tab.preset_info(served_app.registry, "bundled",
                                                              "left-red-circle-blue-square")
    assert decoded["visible"] is False  # the shapes presets show the world's picture alone
    assert key == "left-red-circle-blue-square"
    assert "GenEval position" in text and "T2I-CompBench" in text
    assert target.size == (256, 256)


def test_count_sweep_gives_a_chart_and_nine_examples(client):
    plot, table, examples = client.predict("bundled", "count-5-purple-triangles", 1, 0, 1, "Euler", 4.0,
                                           api_name="/count_sweep")
    assert plot is not None and len(examples) == 9
    assert "purple triangles on white" in table and table.count("of 1 |") == 9
    assert examples[8]["caption"].startswith("asked for 9")


def test_count_sweep_without_a_judge_says_so(client):
    plot, table, examples = client.predict("pixel", "count-3-red-circles", 4, 0, 1, "Euler", 4.0,
                                           api_name="/count_sweep")
    assert plot is None and "No judge" in table and len(examples) == 9


def test_forward_shows_x_t_decoded_and_previewed(client):
    original, noisy, preview, info = client.predict("bundled", EXAMPLE, None, 999, 3, api_name="/forward")
    assert _size(original) == _size(noisy) == _size(preview) == (256, 256)  # 16 px, enlarged 16x
    assert "t = 999" in info and "VAE" in info


def test_forward_strip_and_schedule(client):
    strip = client.predict("pixel", EXAMPLE, None, "0, 500, 999", 1, api_name="/forward_strip")
    assert [s["caption"].split(" · ")[0] for s in strip] == ["t=0", "t=500", "t=999"]
    assert _size(strip[0]["image"]) == (128, 128)
    assert client.predict("bundled", 400, api_name="/noise_schedule") is not None
    with pytest.raises(Exception, match="At most 12"):
        client.predict("pixel", EXAMPLE, None, ",".join(str(i) for i in range(13)), 1, api_name="/forward_strip")


def test_denoise_from_and_from_several_levels(client):
    gallery, final, info = client.predict("bundled", EXAMPLE, None, 600, EXAMPLE, "", "DPM++ 2M", 5, 4.0, 2,
                                          api_name="/denoise_from")
    steps = int(re.search(r"ran \*\*(\d+) of 5 steps", info).group(1))
    assert 1 <= steps <= 5 and len(gallery) == 2 + steps
    assert gallery[1]["caption"].startswith("noised to t=") and _size(final) == (256, 256)
    assert "Judged against the example's caption" in info
    strip = client.predict("bundled", EXAMPLE, None, "300, 999", EXAMPLE, "", "Euler", 3, 4.0, 2,
                           api_name="/denoise_strip")
    assert len(strip) == 4 and strip[1]["caption"].startswith("back from t=300 · distance ")


def test_uploads_are_checked(client, tmp_path):
    ok = tmp_path / "wide.png"
    Image.new("RGB", (40, 20), (0, 0, 255)).save(ok)
    original, _noisy, _preview, _info = client.predict("bundled", EXAMPLE, handle_file(str(ok)), 10, 0,
                                                       api_name="/forward")
    with Image.open(original) as im:
        assert im.size == (256, 256) and im.getpixel((128, 128)) == (0, 0, 255)
    huge = tmp_path / "huge.png"
    huge_png(huge)
    with pytest.raises(Exception, match="too large"):
        client.predict("bundled", EXAMPLE, handle_file(str(huge)), 10, 0, api_name="/forward")
    fake = tmp_path / "fake.png"
    fake.write_text("hello")
    with pytest.raises(Exception, match="not an image"):
        client.predict("bundled", EXAMPLE, handle_file(str(fake)), 10, 0, api_name="/forward")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(Exception, match="Invalid file type"):  # refused by Gradio's file_types check
        client.predict("bundled", EXAMPLE, handle_file(str(notes)), 10, 0, api_name="/forward")


def test_guidance_sweep(client):
    strip, note, plot = client.predict("bundled", "a red bicycle", "", "0, 1, 7", 4, "Euler", 2,
                                       api_name="/guidance_sweep")
    assert [s["caption"].split(" · ")[0] for s in strip] == ["guidance 0", "guidance 1", "guidance 7"]
    assert "ignores the prompt" in strip[0]["caption"] and _size(strip[0]["image"]) == (128, 128)
    assert "seed 4" in note and "| 7 | pushed to the prompt |" in note
    assert plot is None and "No judge's score" in note and "`a red bicycle` is not one" in note
    strip, note, plot = client.predict("bundled", "a red circle on a white background", "", "0, 4", 4, "Euler", 2,
                                       3, api_name="/guidance_sweep")
    assert len(strip) == 2 and plot is not None and "over seeds 4..6" in note and "judge's score" in note
    assert re.search(r"\| 4 \| pushed to the prompt \| [0-9.]+ \| [0-9.]+ \| \d of 3 \|", note)
    with pytest.raises(Exception, match="At most 8"):
        client.predict("bundled", "x", "", "0,1,2,3,4,5,6,7,8", 4, "Euler", 2, api_name="/guidance_sweep")


def test_guidance_sweep_on_the_v2_model_reads_v2_s_words(v2_registry):
    from playground.lab.judging import read_caption
    from playground.tabs.guidance import DEFAULT_PROMPTS, JUDGED_EXAMPLES, guidance_sweep
    from playground.tabs.compare import DEFAULT_PROMPTS as COMPARE_PROMPTS
    from playground.world_prompts import default_prompt, prompt_for_model

    for world_name, prompts in JUDGED_EXAMPLES.items():  # what the tab offers, each world's judge reads
        assert all(read_caption(p, world_name) is not None for p in (DEFAULT_PROMPTS[world_name], *prompts))
    assert default_prompt(v2_registry, None, DEFAULT_PROMPTS) == DEFAULT_PROMPTS["v2"] == "a red car on grass"
    *_, (strip, note, plot, _control) = guidance_sweep(v2_registry, "v2", "a red car on grass", "", "0, 4", 3,
                                                       "DPM++ 2M", 6, 2)
    assert [c.split(" · ")[0] for _, c in strip] == ["guidance 0", "guidance 4"] and strip[0][0].size == (GALLERY_SIDE,) * 2
    assert plot is not None and "over seeds 3..4" in note and "No judge's score" not in note
    assert re.search(r"\| 4 \| pushed to the prompt \| [0-9.]+ \| [0-9.]+ \| \d of 2 \|", note)
    *_, (_strip, note, plot, _control) = guidance_sweep(v2_registry, "v2", "a photo of a dog", "", "4", 3,
                                                        "DPM++ 2M", 2, 2)
    assert plot is None and "the judge of the 64 × 64 world (v2) reads only prompts" in note
    assert "`a red car on grass`" in note and "`a photo of a dog` is not one" in note
    # the shapes world's words on a shapes model, and no judge on a model of no world
    *_, (_strip, note, _plot, _control) = guidance_sweep(v2_registry, "shapes-32", "a red car on grass", "", "4", 3,
                                                         "Euler", 1, 2)
    assert "the judge of the 32 × 32 shapes world reads only" in note and "`five purple triangles" in note
    *_, (_strip, note, _plot, _control) = guidance_sweep(v2_registry, "pixel", "a red circle", "", "4", 3, "Euler",
                                                         1, 2)
    assert "this model draws none of the playground's worlds" in note
    # switching models changes the prompt box only while it holds a world's default prompt
    assert prompt_for_model(v2_registry, DEFAULT_PROMPTS, "shapes-32", "a red car on grass") == DEFAULT_PROMPTS["shapes"]
    assert prompt_for_model(v2_registry, DEFAULT_PROMPTS, "v2", DEFAULT_PROMPTS["shapes"]) == "a red car on grass"
    assert prompt_for_model(v2_registry, DEFAULT_PROMPTS, "v2", "") == "a red car on grass"
    assert prompt_for_model(v2_registry, DEFAULT_PROMPTS, "pixel", "a red car on grass") == DEFAULT_PROMPTS["shapes"]
    kept = prompt_for_model(v2_registry, DEFAULT_PROMPTS, "shapes-32", "my own prompt")
    assert not isinstance(kept, str)  # gr.skip(): what was typed stays
    # Compare's prompt follows the model the same way, each default read by its world's judge
    assert default_prompt(v2_registry, None, COMPARE_PROMPTS) == COMPARE_PROMPTS["v2"]
    assert prompt_for_model(v2_registry, COMPARE_PROMPTS, "shapes-32", COMPARE_PROMPTS["v2"]) == COMPARE_PROMPTS["shapes"]
    assert all(read_caption(p, w) is not None for w, p in COMPARE_PROMPTS.items())


def test_seed_grid(client):
    grid, spread = client.predict("pixel", "a red circle", "", 5, 10, "Euler", 1, 4.0, api_name="/seed_grid")
    assert [g["caption"] for g in grid] == [f"seed {s}" for s in range(10, 15)]
    assert _size(grid[0]["image"]) == (128, 128) and "Spread over 5 seeds" in spread
    with pytest.raises(Exception, match="64"):
        client.predict("pixel", "x", "", 100, 0, "Euler", 1, 4.0, api_name="/seed_grid")


def test_the_info_line_says_how_the_model_evaluations_add_up(pixel_pipe, ztsnr_pipe):
    from pipelines import SAMPLERS
    from playground.tabs.generate import evals_words

    def words(pipe, sampler, steps):
        out = pipe("a red circle", sampler=sampler, num_inference_steps=steps, output_type="latent")
        return out.nfe, evals_words(SAMPLERS[sampler], out)

    assert words(pixel_pipe, "Euler", 4) == (4, "1 per step")
    assert words(pixel_pipe, "PNDM", 4) == (5, "1 per step, 2 for the first")
    assert words(pixel_pipe, "Heun", 4) == (7, "2 per step; 1 for the last")
    assert words(ztsnr_pipe, "Heun", 4) == (6, "2 per step; 1 for the last and for the first, from pure noise")
    assert words(ztsnr_pipe, "DPM++ SDE", 4) == (7, "2 per step; 1 for the last")
    assert words(pixel_pipe, "Heun", 1) == (1, "1 for a single step")


# --------------------------------------------------------------------------- Stop (the handlers as Gradio runs them)

@pytest.fixture
def tiny_registry(shapes_pipe, pixel_pipe):
    from collections import OrderedDict

    from playground.registry import ModelRegistry

    return ModelRegistry(OrderedDict(bundled=shapes_pipe, pixel=pixel_pipe))


def _stop_after_first(updates):
    """Stop the run the first update hands its RunControl to, as the Stop button does; the updates that follow."""
    from playground.streaming import RunControl, request_stop

    first = next(updates)
    control = first[-1]
    assert isinstance(control, RunControl) and not control.stopped
    assert "Running" in first[1]
    request_stop(control)
    return list(updates)


def test_stopping_a_run_over_seeds_keeps_and_scores_what_was_made(tiny_registry):
    from playground.tabs.limits import run_preset

    rest = _stop_after_first(run_preset(tiny_registry, "bundled", "count-3-red-circles", 24, 0, 1, "Euler", 4.0))
    assert len(rest) == 1  # no further run: the last update at once, with the first batch
    grid, text, _run, _sheet, _text, _control = rest[-1]
    assert len(grid) == 8 and [c for _, c in grid][0].startswith("seed 0 · ")
    assert "Stopped at seed 8 of 24." in text and re.search(r"correct count in \d of 8", text)


def test_stopping_the_count_sweep_keeps_the_counts_done(tiny_registry):
    from playground.tabs.limits import count_sweep

    rest = _stop_after_first(count_sweep(tiny_registry, "bundled", "count-3-red-circles", 2, 0, 1, "Euler", 4.0))
    plot, table, examples, _control = rest[-1]
    assert len(rest) == 1 and plot is not None and len(examples) == 1
    assert "Stopped at count 1 of 9." in table and "| 1 | " in table and "| 2 | " not in table
    assert examples[0][1].startswith("asked for 1 · ")


def test_stopping_the_guidance_strip_and_the_seed_grid(tiny_registry):
    from playground.tabs.guidance import guidance_sweep, seed_grid

    rest = _stop_after_first(guidance_sweep(tiny_registry, "bundled", "a red circle on a white background", "",
                                            "0, 1, 4, 7", 3, "Euler", 1, 2))
    strip, note, plot, _control = rest[-1]
    assert len(rest) == 1 and len(strip) == 1 and strip[0][1] == "guidance 0 · ignores the prompt"
    assert "Stopped at scale 1 of 4." in note and plot is not None
    rest = _stop_after_first(seed_grid(tiny_registry, "pixel", "a red circle", "", 20, 5, "Euler", 1, 4.0))
    grid, spread, _control = rest[-1]
    assert len(rest) == 1 and [c for _, c in grid] == [f"seed {s}" for s in range(5, 13)]
    assert "Stopped at seed 8 of 20." in spread


def test_a_run_not_stopped_ends_with_its_summary(tiny_registry):
    from playground.tabs.limits import run_preset

    updates = list(run_preset(tiny_registry, "bundled", "count-3-red-circles", 10, 0, 1, "Euler", 4.0))
    assert [len(u[0]) for u in updates] == [0, 8, 10]  # streamed batch by batch
    assert "Running" in updates[1][1] and "Stopped" not in updates[-1][1] and "of 10" in updates[-1][1]
    assert all(u[-1] is updates[0][-1] for u in updates)  # one RunControl for the whole run
