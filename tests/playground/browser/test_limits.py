"""The Limits tab in Chromium (fixtures and helpers: conftest.py)."""
from browser_helpers import shot, wait_images


def test_limits_tab_runs_a_preset_over_seeds_and_scores_it(page):
    page.get_by_role("tab", name="Limits").click()
    page.get_by_label("Precise counts").check()
    page.locator("#limit_seeds input[type=number]").fill("8")
    page.locator("#limit_seeds input[type=number]").press("Enter")
    page.locator("#run_preset").click()
    page.wait_for_function("() => document.querySelector('#limit_scores').innerText.includes(' of 8')")
    wait_images(page, "#limit_grid", 8, all_loaded=False)
    scores = page.locator("#limit_scores").inner_text()
    assert "count" in scores.lower()
    page.locator("#count_sweep").click()
    page.wait_for_selector("#count_plot img", timeout=300_000)
    shot(page, "limits")
