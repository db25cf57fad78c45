"""The app through its API, as gradio_client users (and the browser) reach it, on a tiny latent model."""
import os
import re
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import gradio as gr  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from PIL import Image  # noqa: E402

from playground.pictures import VIEW_SIDE  # noqa: E402
from playground.pngmeta import Settings, png_bytes_with_parameters  # noqa: E402
from playground.tabs import compare  # noqa: E402
from playground.tabs import model as model_tab  # noqa: E402


@pytest.fixture()
def client(served_app):
    return Client(served_app.url, verbose=False)


def test_generate_streams_steps_and_returns_pngs_with_settings(client):
    job = client.submit("bundled", "a red circle", "", "Euler", 6, 4.0, 11, 2, False, api_name="/generate")
    updates = list(job)
    final, live_xt, live_x0, caption, strip, info, _slider, tokens, _maps, _maps_text = job.result()
    assert len(updates) >= 2  # the start, then steps as they come (at most every UPDATE_EVERY s), then the end
    assert len(final) == 2 and [f["caption"] for f in final] == ["seed 11", "seed 12"]
    assert "step 6/6" in caption
    with Image.open(live_xt) as a, Image.open(live_x0) as b:
        assert a.size == b.size and a.width >= VIEW_SIDE
    with Image.open(strip) as im:  # six columns of x_t over x̂0, labelled
        assert im.width > 6 * 64 and im.height > 2 * 64
    with Image.open(final[0]["image"]) as im:
        assert im.size == (16, 16)
        assert im.text["parameters"] == "a red circle\nSteps: 6, Sampler: Euler, CFG scale: 4, Seed: 11, Size: 16x16, Model: bundled"
    assert "6 steps" in info and "6 model evaluations" in info and "`red`" in tokens


def test_the_word_maps_show_each_word_over_the_picture_and_say_why_when_there_are_none(client):
    """Cross-attention maps, drawn after the run (/word_maps, the session's last run): the picture and one map per
    word of the prompt in one sheet, each word's share of the attention in the text, the shares and the markers'
    summing to 100 %; at guidance 0 and with prompt editing none, and the text says why."""
    out = client.predict("bundled", "a red circle", "", "Euler", 4, 4.0, 5, 2, False, api_name="/generate")
    assert len(out[0]) == 2
    sheet, text = client.predict(api_name="/word_maps")  # drawn after the result, from the session's last run
    words = re.findall(r"\*\*(\S+)\*\* (\d+)%", text)
    assert [w for w, _ in words] == ["a", "red", "circle"], text
    rest = int(text.split("padding took the other ")[1].split("%")[0])
    assert abs(sum(int(share) for _, share in words) + rest - 100) <= 2  # each rounded
    assert "first picture (seed 5)" in text and "× 4 model evaluations" in text
    with Image.open(sheet) as im:  # the picture and three maps, 192 px each, in a row with their labels
        assert im.width == 4 * 192 + 3 * 6 and 192 < im.height < 2 * 192
        tiles = [im.crop((i * 198, 0, i * 198 + 192, 192)).tobytes() for i in range(4)]
        assert len(set(tiles)) == 4
    client.predict("bundled", "a red circle", "", "Euler", 4, 0.0, 5, 1, False, api_name="/generate")
    sheet, text = client.predict(api_name="/word_maps")
    assert sheet is None and "At guidance 0" in text
    client.predict("bundled", "[a red circle:a blue square:2]", "", "Euler", 4, 4.0, 5, 1, False, api_name="/generate")
    sheet, text = client.predict(api_name="/word_maps")
    assert sheet is None and "Prompt editing changes the words" in text


def test_prompt_editing_switches_the_prompt_and_the_png_keeps_the_syntax(client):
    """AUTOMATIC1111's [before:after:when]: the info line says which steps read which prompt, the token line shows
    the switch, the PNG carries the prompt as typed (so it restores, here and in AUTOMATIC1111), and the picture
    differs from the first prompt's alone."""
    edited = client.predict("bundled", "[a red circle:a blue square:2]", "", "Euler", 4, 4.0, 5, 1, False,
                            api_name="/generate")
    plain = client.predict("bundled", "a red circle", "", "Euler", 4, 4.0, 5, 1, False, api_name="/generate")
    final, info, tokens = edited[0], edited[5], edited[7]
    assert "prompt edited: steps 1-2: `a red circle`; steps 3-4: `a blue square`" in info
    assert "**Prompt editing**" in tokens and "`a red circle` → `a blue square` after step 2" in tokens
    with Image.open(final[0]["image"]) as im, Image.open(plain[0][0]["image"]) as other:
        assert im.text["parameters"].startswith("[a red circle:a blue square:2]\nSteps: 4, Sampler: Euler")
        assert im.tobytes() != other.tobytes()
    with pytest.raises(Exception, match="brackets inside brackets"):
        client.predict("bundled", "[a [red:blue:1] circle:a square:2]", "", "Euler", 4, 4.0, 5, 1, False,
                       api_name="/generate")


def test_the_strip_grows_rows_for_the_predicted_noise_and_guidance(client):
    plain = client.predict("bundled", "a red circle", "", "DPM++ 2M", 3, 4.0, 1, 1, False, api_name="/generate")[4]
    extras = client.predict("bundled", "a red circle", "", "DPM++ 2M", 3, 4.0, 1, 1, True, api_name="/generate")[4]
    with Image.open(plain) as a, Image.open(extras) as b:
        assert a.width == b.width and b.height > a.height + 2 * 64  # two more rows of pictures


def test_same_settings_give_the_same_bytes(client):
    a = client.predict("bundled", "a blue square", "", "DDIM", 4, 3.0, 5, 1, False, api_name="/generate")[0]
    b = client.predict("bundled", "a blue square", "", "DDIM", 4, 3.0, 5, 1, False, api_name="/generate")[0]
    with Image.open(a[0]["image"]) as ia, Image.open(b[0]["image"]) as ib:
        assert ia.tobytes() == ib.tobytes()


def test_approximate_previews_differ_from_decoded_ones_but_not_the_result(client):
    args = ("bundled", "a red circle", "", "Euler", 4, 4.0, 3, 1, False)
    decoded = client.predict(*args, "decoded", api_name="/generate")
    approx = client.predict(*args, "approximate", api_name="/generate")
    with Image.open(decoded[2]) as a, Image.open(approx[2]) as b:
        assert a.tobytes() != b.tobytes()  # the last x̂0: the decode vs the linear map
    with Image.open(decoded[0][0]["image"]) as a, Image.open(approx[0][0]["image"]) as b:
        assert a.tobytes() == b.tobytes()
    assert "x̂0 pictures approximate" in approx[5]


def test_scrub_and_gif_use_the_last_run_of_this_session(client):
    client.predict("bundled", "a red circle", "", "Euler", 5, 4.0, 1, 1, False, api_name="/generate")
    xt, x0, caption, strip = client.predict(2, api_name="/scrub")
    assert "step 3/5" in caption
    with Image.open(xt) as a, Image.open(x0) as b:
        assert a.size == b.size and a.width >= VIEW_SIDE
    gif = client.predict(api_name="/export_gif")
    with Image.open(gif) as g:
        assert g.format == "GIF" and g.n_frames >= 5


def test_gif_before_any_run_says_what_to_do(client):
    with pytest.raises(Exception, match="Run a generation first"):
        client.predict(api_name="/export_gif")


def test_png_restores_its_settings(client, tmp_path):
    s = Settings(prompt="two green squares", negative_prompt="blurry", steps=33, sampler="Heun", guidance_scale=6.5,
                 seed=1234, width=16, height=16)
    path = tmp_path / "in.png"
    path.write_bytes(png_bytes_with_parameters(Image.new("RGB", (16, 16)), s))
    out = client.predict(handle_file(str(path)), api_name="/restore_png")
    assert list(out) == ["two green squares", "blurry", "Heun", 33, 6.5, 1234]


def test_a_png_without_settings_is_refused_in_words(client, tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(path)
    with pytest.raises(Exception, match="carries no generation settings"):
        client.predict(handle_file(str(path)), api_name="/restore_png")


# Gradio checks values against each component's range and choices before the handler runs; the
# pipeline's own checks (tests/test_pipeline.py) stand behind them.
@pytest.mark.parametrize("args, message", [
    (("bundled", "x", "", "Nope", 5, 4.0, 1, 1, False), r"Nope is not in the list of choices: \['Euler'"),
    (("bundled", "x", "", "Euler", 0, 4.0, 1, 1, False), "Value 0 is less than minimum value 1"),
    (("bundled", "x", "", "Euler", 5, 99, 1, 1, False), "Value 99 is greater than maximum value 30"),
    (("bundled", "x", "", "Euler", 5, 4.0, -1, 1, False), "Value -1 is less than minimum value 0"),
    (("bundled", "x", "", "Euler", 5, 4.0, 1.5, 1, False), "Seed must be a whole number"),
    (("bundled", "x", "", "Euler", 5, 4.0, 1, 100, False), "Value 100 is greater than maximum value 8"),
    (("../../etc", "x", "", "Euler", 5, 4.0, 1, 1, False), r"etc is not in the list of choices: \['bundled', 'pixel'\]"),
])
def test_bad_input_is_a_message_not_a_crash(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/generate")
    assert client.predict("bundled", "ok", "", "Euler", 2, 4.0, 1, 1, False, api_name="/generate")[0]  # still serving


def test_compare_grid_captions_plot_and_scrubber(client):
    job = client.submit("bundled", "a red circle", "", ["Euler", "Heun", "Euler a"], "2, 4", 4.0, 3, api_name="/compare")
    notes = [update[3] for update in job]
    grid_png, grid, plot, note, scrub = job.result()
    assert any(n.startswith("Round ") for n in notes)  # the grid streams round by round, progress in the note
    assert len(grid) == 6 and scrub == 100
    captions = [g["caption"] for g in grid]
    assert captions[0].startswith("Euler · 2 steps · 2 evals · ")
    assert captions[2].startswith("Heun · 2 steps · 3 evals · ")  # two evaluations per step, one on the last
    assert all(c.endswith(" ms · 2/2 steps · result") for c in captions[::2])
    assert plot is not None and "Reference" in note
    with Image.open(grid_png) as g:
        assert g.width > 2 * 112 and g.height > 3 * 112  # 2 step columns, 3 sampler rows, labelled
    half_png, half = client.predict(50, "x_t (noisy sample)", api_name="/scrub_grid")
    assert [g["caption"].split(" · step ")[1].split(" · ")[0] for g in half[:2]] == ["2/2", "3/4"]
    assert all(" · σ=" in g["caption"] for g in half)


@pytest.mark.parametrize("samplers, steps, message", [
    (["Euler", "Heun", "DDIM", "LMS", "UniPC"], "1, 2, 3, 4, 5", "at most 24"),
    (["Euler"], "5, abc", "Step counts must be whole numbers"),
    (["Euler"], "200", "from 1 to 150"),
    ([], "5", "Pick at least one sampler"),
])
def test_compare_bounds(client, samplers, steps, message):
    with pytest.raises(Exception, match=message):
        client.predict("bundled", "x", "", samplers, steps, 4.0, 1, api_name="/compare")


def test_model_card_names_the_model(client):
    summary, about, *_rest, log = client.predict("pixel", api_name="/model_card")
    assert "**pixel** · pixel diffusion" in summary and "tiny pixel test model" in about
    assert summary.endswith(" · runs on cpu in float32")  # where and in what precision it runs (--device, --dtype)
    assert "says nothing about how the model was trained" in log  # its card is one line, without a training log


def test_model_card_pictures_in_the_model_folder_are_written_in(tmp_path):
    """The card's ![samples](samples.png) shows in the Model tab: the picture's bytes go into the markdown as a data
    URI; links out of the folder, web addresses and non-pictures are left alone (nothing else is read)."""
    import base64
    import re

    folder = tmp_path / "model"
    folder.mkdir()
    Image.new("RGB", (4, 2), (255, 0, 0)).save(folder / "samples.png")
    Image.new("RGB", (4, 2)).save(tmp_path / "outside.png")
    (folder / "weights.safetensors").write_bytes(b"secret")
    card = ("![samples](samples.png)\n![out](../outside.png)\n![web](https://example.com/a.png)\n"
            "![w](weights.safetensors)\n![gone](missing.png)")
    got = model_tab.inline_card_images(card, folder)
    data = re.search(r"!\[samples\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", got)
    assert data and base64.b64decode(data.group(1)) == (folder / "samples.png").read_bytes()
    assert got.split("\n")[1:] == card.split("\n")[1:]
    assert model_tab.inline_card_images(card, folder, limit=10) == card  # over the size limit: left as it is


def test_parse_step_counts():
    assert compare.parse_step_counts("20, 5 10;5") == [5, 10, 20]
    with pytest.raises(gr.Error):
        compare.parse_step_counts("1,2,3,4,5,6,7")
