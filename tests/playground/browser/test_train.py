"""The Train tab in Chromium (fixtures: conftest.py; helpers: browser_helpers.py): a model learns while the page
shows it, then serves in Generate from the page's model menu."""
import re

import pytest

from browser_helpers import pick, set_number, shot, text_of, wait_images, wait_text
from pipelines.loading import DEFAULT_BUNDLED


@pytest.fixture(autouse=True)
def train_tab(page):
    page.get_by_role("tab", name="Train").click()


def test_a_training_streams_then_its_model_draws_in_generate(page):
    set_number(page, "t_seconds", 30)
    page.locator("#t_train").click()
    wait_text(page, "t_status", "Training")
    wait_images(page, "#t_batch", 1)
    page.wait_for_selector("#t_loss img")
    # a few checkpoints in (one every tenth of the 30 s): the strip has grown past the untrained column while the run
    # goes on; by the run's own clock, not a step count, which a busy machine reaches later (the run ended first)
    page.wait_for_function("() => { const m = document.getElementById('t_status').innerText"
                           ".match(/Training.*step \\d+, (\\d+) s of 30 s/); return m && +m[1] >= 10; }")
    wait_images(page, "#t_samples", 1)
    assert "Training" in text_of(page, "t_status")
    shot(page, "train-streaming")
    wait_text(page, "t_status", "Done", timeout_ms=180_000)
    status = text_of(page, "t_status")
    untrained, trained = (int(n) for n in re.findall(r"(\d+) of 12", status)[:2])
    assert trained > untrained, status  # 30 s: measured 11 of 12 against 2-4 of 12 untrained
    name = re.search(r"The model is (trained \d+: [^\n]+?) in the", status).group(1)
    page.locator("#t_download").wait_for(state="visible", timeout=10_000)
    shot(page, "train")
    # the page's model menu (hidden while the server has one model) now offers it; Generate draws with it
    assert page.locator("#model").is_visible()
    pick(page, "model", name)
    page.get_by_role("tab", name="Generate").click()
    page.locator("#prompt textarea").fill("a green circle")
    page.locator("#generate").click()
    wait_text(page, "info", "model evaluations")
    wait_images(page, "#final", 1)
    pick(page, "model", DEFAULT_BUNDLED)  # the served "bundled" model, by its own name


def test_stop_ends_a_training_and_keeps_its_model(page):
    set_number(page, "t_seconds", 300)
    page.locator("#t_train").click()
    page.wait_for_function("() => /Training.*step (\\d+)/.test(document.getElementById('t_status').innerText)")
    page.locator("#t_stop").click()
    wait_text(page, "t_status", "Stopped", timeout_ms=60_000)
    status = text_of(page, "t_status")
    seconds = int(re.search(r"step \d+, (\d+) s of 300 s", status).group(1))
    assert seconds < 60, status
    assert re.search(r"The model is trained \d+: one shape, three colours \(tiny, latent, \d+ s\)", status), status
    page.locator("#t_download").wait_for(state="visible", timeout=10_000)
    wait_images(page, "#t_samples", 1)
