"""The Compare samplers tab in Chromium (fixtures and helpers: conftest.py)."""
from browser_helpers import heun_evals, shot, wait_images


def test_compare_tab_grid_plot_and_shared_scrubber(page):
    page.get_by_role("tab", name="Compare samplers").click()
    page.locator("#c_steps textarea, #c_steps input").first.fill("5, 10, 20")
    page.locator("#compare").click()
    page.wait_for_function("() => document.querySelector('#c_note').innerText.includes('Reference')")
    wait_images(page, "#grid", 12, all_loaded=False)
    wait_images(page, "#grid_image", 1)
    page.wait_for_selector("#c_plot img")
    text = page.locator("#grid").inner_text()
    for name in ["Euler", "Euler a", "Heun", "DPM++ 2M"]:
        assert f"{name} · 20 steps" in text
    assert f"Heun · 5 steps · {heun_evals(5)} evals" in text
    shot(page, "compare")
    page.locator("#c_scrub input[type=range]").fill("0")
    page.wait_for_function("() => document.querySelector('#grid').innerText.includes('step 1/5')")
    wait_images(page, "#grid", 12, all_loaded=False)
    wait_images(page, "#grid_image", 1)
