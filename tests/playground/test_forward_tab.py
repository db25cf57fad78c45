"""The Forward diffusion tab's handlers, called as Gradio calls them (the tiny models of the served app)."""
import re

import gradio as gr
import pytest

from playground.lab import forward_process
from playground.pictures import view
from playground.streaming import RunControl, request_stop
from playground.tabs import forward as forward_tab

EXAMPLE = forward_process.example_names()[0]


def _run(registry, steps=40, t=999, stop_after=None):
    """Iterate denoise_from as Gradio does; with stop_after=k, press Stop once k steps have been shown."""
    updates = []
    run = forward_tab.denoise_from(registry, "bundled", EXAMPLE, None, t, "a red circle", "", "Euler", steps, 4.0, 3)
    for update in run:
        updates.append(update)
        control = update[3]
        if isinstance(control, RunControl):
            first_control = control
        if stop_after is not None and isinstance(update[0], list) and len(update[0]) - 2 >= stop_after:
            request_stop(first_control)
    return updates, first_control


def test_the_first_update_hands_the_stop_button_a_fresh_control(served_app):
    updates, control = _run(served_app.registry, steps=4)
    assert isinstance(updates[0][3], RunControl) and updates[0][3] is control and not control.stopped
    assert all(u[3] is not control for u in updates[1:])  # later updates leave the state alone
    assert any(u[2].startswith("Denoising from t=999: step ") for u in updates[1:-1])  # progress in the info line
    gallery, final, summary, _ = updates[-1]
    assert "ran **4 of 4 steps**" in summary and len(gallery) == 2 + 4 and final is not None


def test_stop_ends_the_run_with_its_partial_steps(served_app):
    updates, control = _run(served_app.registry, steps=150, stop_after=2)
    assert control.stopped
    gallery, final, summary, _ = updates[-1]
    done, total = (int(x) for x in re.match(r"Stopped at step (\d+) of (\d+)\.", summary).groups())
    assert 2 <= done < total == 150
    assert len(gallery) == 2 + done and gallery[-1][1].startswith(f"step {done} · t=")
    assert final is not None and f"x̂0 after step {done}" in summary


def test_bad_input_is_a_plain_message_and_says_so_in_the_info_line(served_app):
    run = forward_tab.denoise_from(served_app.registry, "bundled", EXAMPLE, None, 999, "x", "", "Euler", 0, 4.0, 3)
    assert isinstance(next(run)[3], RunControl)
    assert next(run)[2].startswith("Not run: Steps")
    with pytest.raises(gr.Error, match="Steps"):
        next(run)


# --------------------------------------------------------------------------- the v2 model's examples

V2_LESSON = forward_process.example_names("v2")[0]


def test_each_model_gets_its_own_world_s_example_pictures(v2_registry):
    shapes, v2 = forward_process.example_names("shapes"), forward_process.example_names("v2")
    update = forward_tab.examples_shown(v2_registry, "v2", EXAMPLE)  # a shapes picture was picked: v2's first
    assert update["choices"] == v2 and update["value"] == V2_LESSON == "a red bicycle leaning against a brick wall"
    assert forward_tab.examples_shown(v2_registry, "v2", v2[2])["value"] == v2[2]  # the one picked stays
    for model in ("shapes-32", "pixel"):  # a model of no world gets the shapes world's
        update = forward_tab.examples_shown(v2_registry, model, V2_LESSON)
        assert update["choices"] == shapes and update["value"] == EXAMPLE
    assert forward_tab.examples_world(v2_registry, None) == "v2"


def test_the_v2_model_noises_a_64_pixel_v2_picture(v2_registry):
    original, noisy, preview, info = forward_tab.forward(v2_registry, "v2", V2_LESSON, None, 250, 0)
    picture = forward_process.example_image(V2_LESSON)
    assert picture.size == (64, 64) and original.size == noisy.size == preview.size
    assert original.tobytes() == view(picture).tobytes()  # the v2 render itself, enlarged
    assert "t = 250" in info and "VAE latents" in info


def test_denoising_a_v2_picture_is_judged_by_v2_s_judge(v2_registry):
    *_, (gallery, final, summary, _control) = forward_tab.denoise_from(
        v2_registry, "v2", V2_LESSON, None, 200, V2_LESSON, "", "DPM++ 2M", 10, 4.0, 0)
    assert final is not None and len(gallery) >= 3
    verdict = summary.split("**Judged against the example's caption:** ")[1]
    assert [w for w in verdict.split() if w not in "✓✗"] == ["object", "backdrop", "colour"]  # the lesson's
    # a shapes picture on the v2 model (an old choice): denoised, not judged
    *_, (_g, _f, summary, _c) = forward_tab.denoise_from(v2_registry, "v2", EXAMPLE, None, 200, EXAMPLE, "",
                                                       "DPM++ 2M", 4, 4.0, 0)
    assert "Judged" not in summary
    items = forward_tab.denoise_strip(v2_registry, "v2", V2_LESSON, None, "400", V2_LESSON, "", "DPM++ 2M", 6,
                                      4.0, 0, progress=lambda *a, **k: None)
    assert len(items) == 2 and items[1][1].startswith("back from t=400 · distance ") and "object" in items[1][1]
