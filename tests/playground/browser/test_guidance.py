"""The Guidance and seeds tab in Chromium (fixtures: conftest.py; helpers: browser_helpers.py)."""
import re

import pytest

from browser_helpers import captions, cut_captions, pictures, set_number, shot, text_of, wait_images, wait_text
from playground.lab.guidance_strip import DEFAULT_SCALES


@pytest.fixture(autouse=True)
def guidance_tab(page):
    page.get_by_role("tab", name="Guidance and seeds").click()


def test_stop_ends_the_strip_and_keeps_its_pictures(page):
    set_number(page, "g_score_seeds", 16)
    page.locator("#guidance_sweep").click()
    wait_text(page, "g_note", "Running")
    wait_images(page, "#g_strip", 1)
    page.locator("#g_stop").click()
    wait_text(page, "g_note", "Stopped at scale")
    done = int(re.search(r"Stopped at scale (\d) of 8\.", text_of(page, "g_note")).group(1))
    assert 1 <= done < 8 and pictures(page, "#g_strip") == done
    assert len(page.locator("#g_note table tbody tr").all_inner_texts()) == done  # the scales made, scored
    page.wait_for_selector("#g_plot img")
    set_number(page, "g_score_seeds", 8)


def test_stop_ends_the_seed_grid_and_keeps_its_pictures(page):
    set_number(page, "s_seeds", 64)
    page.locator("#seed_grid").click()
    wait_text(page, "s_spread", "Running")
    wait_images(page, "#s_grid", 8, all_loaded=False)
    page.locator("#s_stop").click()
    wait_text(page, "s_spread", "Stopped at seed")
    done = int(re.search(r"Stopped at seed (\d+) of 64\.", text_of(page, "s_spread")).group(1))
    assert 8 <= done < 64 and pictures(page, "#s_grid") == done
    assert f"Spread over {done} seeds" in text_of(page, "s_spread")


def test_the_seed_grid_runs_to_the_end(page):
    set_number(page, "s_seeds", 12)  # not a multiple of a batch (8): no stopped run's text says 12
    page.locator("#seed_grid").click()
    wait_text(page, "s_spread", "Spread over 12 seeds")
    wait_images(page, "#s_grid", 12, all_loaded=False)
    assert captions(page, "#s_grid") == [f"seed {s}" for s in range(12)]
    assert "Stopped" not in text_of(page, "s_spread")


def test_the_strip_runs_from_0_and_the_judge_scores_it_against_guidance(page):
    page.locator("#guidance_sweep").click()
    wait_text(page, "g_note", "Running")
    wait_images(page, "#g_strip", 2, all_loaded=False)  # pictures stream in, scale by scale
    page.wait_for_selector("#g_plot img")  # the plot grows with them
    shot(page, "guidance-streaming")
    wait_text(page, "g_note", "Best score")
    wait_images(page, "#g_strip", len(DEFAULT_SCALES), all_loaded=False)
    labels = captions(page, "#g_strip")
    assert labels[:3] == ["guidance 0 · ignores the prompt", "guidance 0.5 · a blend", "guidance 1 · plain prompt"]
    assert labels[-1] == "guidance 30 · exaggerated" and len(labels) == len(DEFAULT_SCALES)
    assert cut_captions(page, "#g_strip") == []
    page.wait_for_selector("#g_plot img")
    # the table's score column, measured on the bundled model over 8 seeds: the prompt is not followed at all
    # without guidance, followed better as it grows, and less again when it is far too large
    rows = page.locator("#g_note table tbody tr").all_inner_texts()
    scores = {float(r.split("\t")[0]): float(r.split("\t")[3]) for r in rows}
    assert list(scores) == list(DEFAULT_SCALES)
    best = max(scores.values())
    assert scores[0.0] < 0.5 < best and scores[0.0] < scores[1.0] <= scores[4.0] and scores[30.0] < best, scores
    assert f"Best score {best:.2f}" in text_of(page, "g_note")
    shot(page, "guidance")  # last in this file: the whole strip, its plot and the seed grid
