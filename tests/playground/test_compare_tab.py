"""The Compare tab's handler called directly (as Gradio iterates it), its grid picture, and the convergence plot."""
from collections import OrderedDict

import numpy as np
import pytest
from PIL import Image

from playground import streaming
from playground.plots import convergence_plot
from playground.registry import ModelRegistry
from playground.pictures import label_font
from playground.sampler_grid import Cell, grid_image, step_caption
from playground.tabs import compare

SAMPLERS = ["Euler", "Euler a", "Heun"]


@pytest.fixture()
def registry(latent_pipe):
    return ModelRegistry(OrderedDict(tiny=latent_pipe))


def _run(registry, counts="2, 4", stop_when=None):
    """Every update of a comparison; Stop pressed (as its button's handler does, on the RunControl the first update
    put in the state) at the first update whose note starts with `stop_when`."""
    updates = []
    for update in compare.compare(registry, "tiny", "a red circle", "", SAMPLERS, counts, 4.0, 3):
        updates.append(update)
        if stop_when is not None and str(update[4]).startswith(stop_when):
            streaming.request_stop(updates[0][-1])
    return updates


def test_a_comparison_streams_the_grid_then_the_results_the_plot_and_the_scrubber(registry):
    updates = _run(registry)
    picture, gallery, plot, result, note, scrub, control = updates[0]
    assert isinstance(control, streaming.RunControl) and not control.stopped and scrub == 100 and gallery == []
    live = [u for u in updates if "Round " in str(u[4])]
    assert live and all(u[0] is not None for u in live)  # the grid picture streams
    assert live[-1][4].startswith("Round 7 of 7")  # Heun at 4 steps: 7 model calls
    done = next(u for u in updates if str(u[4]).startswith("Grid done"))  # the results show before the reference
    assert done[0] is not None and all(c.finished for c in done[3].cells) and len(done[1]) == 6
    picture, gallery, plot, result, note, scrub, control = updates[-1]
    assert plot is not None and "Reference: DPM++ 2M at 100 steps" in note and scrub == 100
    assert [c.sampler for c in result.cells] == ["Euler", "Euler", "Euler a", "Euler a", "Heun", "Heun"]
    assert all(c.finished and c.rmse is not None and len(c.frames) == c.steps for c in result.cells)
    assert gallery[0][1].startswith("Euler · 2 steps · 2 evals · ") and gallery[4][1].startswith("Heun · 2 steps · 3 evals")
    assert gallery[0][1].endswith("2/2 steps · result")
    # the scrubber: every cell at the same fraction of its own schedule, captioned with its step and σ
    half, half_gallery = compare.scrub_grid(result, 50, compare.SHOW_XT)
    assert [caption.split(" · ")[4] for _, caption in half_gallery[:2]] == ["step 2/2", "step 3/4"]
    assert all(" · σ=" in caption for _, caption in half_gallery)
    assert half.size == picture.size and np.asarray(half).tobytes() != np.asarray(picture).tobytes()


def test_the_note_on_a_cpu_says_nothing_of_batching_differences(registry):
    assert "made alone" not in _run(registry, counts="2")[-1][4]


def test_where_cells_may_differ_from_alone_the_note_measures_it_on_the_run(registry, monkeypatch):
    """On a GPU (batched kernels are not batch-invariant) the final note remakes the first cell alone and says how
    far it is. Run here on CPU with the check forced on: the cell made alone is byte-identical, and says so."""
    monkeypatch.setattr(compare, "cells_match_alone", lambda pipe: False)
    note = _run(registry, counts="2")[-1][4]
    assert "**On CPU** the cells ran batched together" in note
    assert note.endswith("Checked on this run: Euler at 2 steps made alone is byte-identical.")


def test_the_difference_from_alone_is_measured_in_pixels(latent_pipe):
    from pipelines import difference_from_alone

    alone = np.asarray(latent_pipe("a red circle", "", "Euler", 2, 4.0, 3).images[0]).copy()
    same = difference_from_alone(latent_pipe, "a red circle", "", ("Euler", 2), 4.0, 3, alone)
    assert same["identical"] and same["max_abs"] == 0 and same["psnr_db"] == float("inf")
    moved = alone.copy()
    moved[0, 0, 0] = int(moved[0, 0, 0]) + (5 if moved[0, 0, 0] < 128 else -5)
    d = difference_from_alone(latent_pipe, "a red circle", "", ("Euler", 2), 4.0, 3, moved)
    assert not d["identical"] and d["max_abs"] == 5 and d["changed"] == pytest.approx(1 / moved.size)
    assert 60 < d["psnr_db"] < 80


def test_the_note_counts_rounds_only_after_the_first_grid_picture(registry):
    """A browser fetches a picture after the update that names it: the note that counts rounds comes one update
    after the first grid picture (which still says "Starting"), so it never sits over an empty box."""
    updates = _run(registry, "2, 4, 8")
    pictures = [i for i, u in enumerate(updates) if isinstance(u[0], Image.Image)]
    rounds = [i for i, u in enumerate(updates) if str(u[4]).startswith("Round ")]
    assert pictures and rounds and updates[pictures[0]][4].startswith("Starting 3 samplers × 3 step counts")
    assert pictures[0] < rounds[0] and all(isinstance(updates[i][0], Image.Image) for i in rounds)


def test_stop_ends_with_the_partial_grid_and_a_scrubber_on_it(registry):
    updates = _run(registry, "2, 4, 8", stop_when="Starting")
    picture, gallery, plot, result, note, scrub, _ = updates[-1]
    assert note.startswith("Stopped at round 1 of 15.")  # Heun at 8 steps: 15 calls
    assert picture is not None and plot is None and scrub == 100
    assert [len(c.frames) for c in result.cells] == [1, 1, 1, 1, 1, 1, 0, 0, 0]  # Heun's first step takes 2 calls
    assert not any(c.finished for c in result.cells)
    assert gallery[0][1].startswith("Euler · 2 steps · 1 eval so far · step 1/2 · σ=")
    scrubbed, scrubbed_gallery = compare.scrub_grid(result, 0, compare.SHOW_X0)
    assert scrubbed is not None and len(scrubbed_gallery) == 6  # the cells that made a step


def test_stop_while_the_reference_runs_keeps_the_whole_grid(registry):
    picture, gallery, plot, result, note, scrub, _ = _run(registry, stop_when="Grid done")[-1]
    assert note.startswith("Stopped at reference step 1 of 100.") and "The grid is complete" in note
    assert plot is None and all(c.finished for c in result.cells) and len(gallery) == 6


def test_bad_input_is_refused_in_words_before_anything_runs(registry):
    with pytest.raises(compare.gr.Error, match="Pick at least one sampler"):
        next(compare.compare(registry, "tiny", "x", "", [], "5", 4.0, 1))
    with pytest.raises(compare.gr.Error, match="at most 24"):
        next(compare.compare(registry, "tiny", "x", "", ["Euler", "Heun", "DDIM", "LMS", "UniPC"], "1,2,3,4,5", 4.0, 1))
    assert compare.scrub_grid(None, 50, compare.SHOW_X0) == (None, [])


def test_labels_keep_their_spaces_and_cells_name_their_step():
    font = label_font(16)
    assert font.getlength("Euler a") - font.getlength("Eulera") >= 4  # a space a reader sees
    assert step_caption(6, 20, 1.234) == "step 7/20 · σ=1.23" and step_caption(0, 20, 4096.0) == "step 1/20 · σ=4096"
    blank = grid_image(["Euler a"], [5], {})
    with_caption = grid_image(["Euler a"], [5], {("Euler a", 5): (None, "step 1/5 · σ=1.00", "")})
    assert np.asarray(blank).tobytes() != np.asarray(with_caption).tobytes()


def test_every_line_of_the_convergence_plot_shows_and_coincident_ones_say_so():
    """Euler and DDIM differ by a pixel on the bundled model: one line to the eye, so the legend says so."""
    def cells(name, rmses, stochastic=False):
        return [Cell(name, n, stochastic, nfe=n, rmse=r) for n, r in zip([5, 10, 20], rmses)]

    fig = convergence_plot(cells("Euler", [4, 2, 1]) + cells("DDIM", [4.01, 2, 1]) + cells("DPM++ 2M", [4, 2.1, 1])
                           + cells("Euler a", [9, 8, 7], True), 100)
    lines = fig.axes[0].get_lines()
    assert len({line.get_marker() for line in lines}) == 4
    xs = [tuple(line.get_xdata()) for line in lines]
    assert len(set(xs)) == 4  # side by side, not on top of each other
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Euler (coincides with DDIM)", "DDIM (coincides with Euler)", "DPM++ 2M", "Euler a (adds noise)"]
