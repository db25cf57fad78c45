"""The Guidance and seeds tab in Chromium (fixtures and helpers: conftest.py)."""
from browser_helpers import shot, wait_images


def test_guidance_tab_strip_and_seed_grid(page):
    page.get_by_role("tab", name="Guidance and seeds").click()
    page.locator("#guidance_sweep").click()
    wait_images(page, "#g_strip", 7, all_loaded=False)
    strip = page.locator("#g_strip").inner_text()
    assert "guidance 0 · ignores the prompt" in strip and "guidance 0.5 · a blend" in strip and "guidance 12" in strip
    page.locator("#seed_grid").click()
    page.wait_for_function("() => document.querySelector('#s_spread').innerText.length > 10")
    wait_images(page, "#s_grid", 4, all_loaded=False)
    shot(page, "guidance")
