"""The Forward diffusion tab's handlers, called as Gradio calls them (the tiny models of the served app)."""
import re

import gradio as gr
import pytest

from playground.lab import forward_process
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
