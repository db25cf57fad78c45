"""The Limits tab in Chromium (fixtures: conftest.py; helpers: browser_helpers.py)."""
import re

import pytest

from browser_helpers import captions, cut_captions, pictures, set_number, shot, text_of, wait_images, wait_text
from playground.lab import presets


@pytest.fixture(autouse=True)
def limits_tab(page):
    page.get_by_role("tab", name="Limits").click()


def test_the_presets_say_how_often_the_model_fails(page):
    first = presets.GROUPS["counts"].presets[0]
    explain = text_of(page, "limit_explain")
    assert f"The count is wrong in {first.measured_wrong} of 32 seeds on the shapes-32 model" in explain
    assert "20 steps, DPM++ 2M, guidance 4; measured 2026-12-04" in explain
    assert "Why denoising by learned patterns fails here" in explain and first.measured_wrong >= 16
    page.get_by_label("Complex prompts").check()
    binding = presets.GROUPS["complex"].presets[0]
    wait_text(page, "limit_explain", binding.prompt)
    assert f"A colour sits on the wrong shape in {binding.measured_wrong} of 32 seeds" in text_of(page, "limit_explain")
    page.get_by_label("Precise counts").check()
    wait_text(page, "limit_explain", first.prompt)


def test_a_run_over_seeds_is_scored_with_captions_read_whole(page):
    set_number(page, "limit_seeds", 8)
    page.locator("#run_preset").click()
    wait_text(page, "limit_scores", "correct count in")
    wait_images(page, "#limit_grid", 8, all_loaded=False)
    scores = text_of(page, "limit_scores")
    assert "of five purple triangles on a white background" in scores and "Stopped" not in scores
    right = int(re.search(r"correct count in (\d) of 8", scores).group(1))
    labels = captions(page, "#limit_grid")
    assert len(labels) == 8 and all(re.fullmatch(r"seed \d · [✓✗] count( · ✗ [a-z, ]+)?", c) for c in labels), labels
    assert sum("✓ count" in c for c in labels) == right
    assert cut_captions(page, "#limit_grid") == []


def test_stop_ends_a_run_over_seeds_and_keeps_its_pictures(page):
    set_number(page, "limit_seeds", 64)
    page.locator("#run_preset").click()
    wait_text(page, "limit_scores", "Running")
    wait_images(page, "#limit_grid", 8, all_loaded=False)  # the first batch streamed in, scored
    assert cut_captions(page, "#limit_grid") == []
    shot(page, "limits-streaming")
    page.locator("#limit_stop").click()
    wait_text(page, "limit_scores", "Stopped at seed")
    scores = text_of(page, "limit_scores")
    done = int(re.search(r"Stopped at seed (\d+) of 64\.", scores).group(1))
    assert 8 <= done < 64 and "correct count in" in scores and f" of {done}" in scores
    wait_images(page, "#limit_grid", done, all_loaded=False)
    assert pictures(page, "#limit_grid") == done


def test_stop_ends_the_count_sweep_and_keeps_the_counts_done(page):
    set_number(page, "count_seeds", 16)
    page.locator("#count_sweep").click()
    wait_text(page, "count_table", "Running")
    wait_images(page, "#count_examples", 1)
    page.locator("#count_stop").click()
    wait_text(page, "count_table", "Stopped at count")
    table = text_of(page, "count_table")
    done = int(re.search(r"Stopped at count (\d) of 9\.", table).group(1))
    assert 1 <= done < 9 and "16 seeds per count" in table
    assert pictures(page, "#count_examples") == done
    page.wait_for_selector("#count_plot img")


def test_the_count_sweep_runs_to_the_end(page):
    set_number(page, "count_seeds", 5)  # not the stopped sweep's 16: the waits below see this run's text
    set_number(page, "limit_seeds", 12)
    page.locator("#run_preset").click()
    wait_text(page, "limit_scores", "Spread over 12 seeds")
    page.locator("#count_sweep").click()
    wait_text(page, "count_table", " 5 seeds per count")
    page.wait_for_function("() => !document.getElementById('count_table').innerText.includes('Running')")
    wait_images(page, "#count_examples", 9, all_loaded=False)
    table = text_of(page, "count_table")
    assert "Stopped" not in table and "purple triangles on white" in table
    labels = captions(page, "#count_examples")
    assert [c.split(" · ")[0] for c in labels] == [f"asked for {c}" for c in range(1, 10)]
    assert all(re.fullmatch(r"asked for \d · [✓✗] got \d+", c) for c in labels), labels
    assert cut_captions(page, "#count_examples") == []
    page.wait_for_selector("#count_plot img")
    page.locator("#tab_limits").scroll_into_view_if_needed()
    shot(page, "limits")
