"""The Model tab in Chromium (fixtures and helpers: conftest.py)."""
from PIL import Image

from browser_helpers import shot, wait_images
from pipelines.loading import BUNDLED_DIR


def test_model_tab_shows_the_card(page):
    page.get_by_role("tab", name="Model").click()
    page.wait_for_selector("#model_card")
    assert "parameters" in page.locator("#model_card").inner_text()
    wait_images(page, "#model_card", 1)  # the card's sample grid (samples.png in the model folder) shows
    size = page.evaluate("() => { const i = document.querySelector('#model_card img'); return [i.naturalWidth, i.naturalHeight]; }")
    assert size == list(Image.open(BUNDLED_DIR / "samples.png").size)
    shot(page, "model")
