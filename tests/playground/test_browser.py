"""A person in a real browser (Debian's Chromium, driven by Playwright): each tab, clicked through.

Screenshots land in docs/screenshots/ (the README shows them). Skipped when /usr/bin/chromium is missing;
test.sh installs it when it can.
"""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from pipelines.loading import BUNDLED_DIR  # noqa: E402
from playground.pngmeta import Settings, png_bytes_with_parameters  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (/usr/bin/chromium)")]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app_url(serve_app):
    return serve_app("bundled").url


@pytest.fixture(scope="module")
def page(app_url):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        pg = browser.new_page(viewport={"width": 1280, "height": 1000})
        pg.set_default_timeout(120_000)
        pg.goto(app_url)
        pg.wait_for_selector("#prompt textarea")
        yield pg
        browser.close()


def wait_images(page, selector: str, count: int, all_loaded: bool = True) -> None:
    """Wait until `count` images are under selector and have loaded. Galleries load lazily: with
    all_loaded=False only the first must have loaded (the rest may be scrolled out of view)."""
    page.wait_for_function(
        """([sel, n, all]) => { const imgs = [...document.querySelectorAll(sel + ' img')];
             const ok = i => i.complete && i.naturalWidth > 0;
             return imgs.length >= n && (all ? imgs.every(ok) : ok(imgs[0])); }""",
        arg=[selector, count, all_loaded])


def heun_evals(steps: int) -> int:
    """Heun's model calls: two a step, one for the last; from pure noise (a zero-terminal-SNR schedule, as the
    bundled model's) one for the first too. The fallback tiny model's schedule does not start there."""
    from diffusers import DDPMScheduler

    from pipelines.pipeline_playground import PURE_NOISE_SIGMA
    from pipelines.samplers import top_sigma

    bundled = (BUNDLED_DIR / "model_index.json").exists()
    from_noise = bundled and top_sigma(DDPMScheduler.from_pretrained(BUNDLED_DIR / "scheduler")) > PURE_NOISE_SIGMA
    return 2 * steps - (2 if from_noise else 1)


def pick(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input[role=combobox]").click()
    page.get_by_role("option", name=option, exact=True).click()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_generate_tab_streams_steps_scrubs_and_exports(page, tmp_path):
    page.locator("#prompt textarea").fill("a yellow triangle on the left, white background")
    pick(page, "sampler", "Euler")
    page.locator("#steps input[type=range]").fill("12")
    page.locator("#generate").click()
    wait_images(page, "#xt", 12)
    wait_images(page, "#x0", 12)
    wait_images(page, "#final", 1)
    info = page.locator("#info").inner_text()
    assert "12 steps" in info and "12 model evaluations" in info and "Euler" in info
    assert "step 12/12" in page.locator("#xt").inner_text()
    # scrub back to the third step
    page.locator("#step_slider input[type=range]").fill("2")
    page.wait_for_function("() => document.querySelector('#scrub_caption').innerText.includes('step 3/12')")
    wait_images(page, "#scrub_x0", 1)
    # the GIF
    page.locator("#gif_button").click()
    page.wait_for_selector("#gif_file a")
    shot(page, "generate")


def test_dropping_a_png_restores_its_settings(page, tmp_path):
    s = Settings(prompt="two blue squares, yellow background", steps=17, sampler="Heun", guidance_scale=5.5, seed=4242,
                 width=32, height=32)
    path = tmp_path / "restore.png"
    path.write_bytes(png_bytes_with_parameters(Image.new("RGB", (32, 32)), s))
    page.locator("#png_in input[type=file]").set_input_files(str(path))
    page.wait_for_function(
        "() => document.querySelector('#prompt textarea').value === 'two blue squares, yellow background'")
    assert page.locator("#steps input[type=number]").input_value() == "17"
    assert page.locator("#seed input").input_value() == "4242"
    assert page.locator("#sampler input[role=combobox]").input_value() == "Heun"


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


def test_model_tab_shows_the_card(page):
    page.get_by_role("tab", name="Model").click()
    page.wait_for_selector("#model_card")
    assert "parameters" in page.locator("#model_card").inner_text()
    wait_images(page, "#model_card", 1)  # the card's sample grid (samples.png in the model folder) shows
    size = page.evaluate("() => { const i = document.querySelector('#model_card img'); return [i.naturalWidth, i.naturalHeight]; }")
    assert size == list(Image.open(BUNDLED_DIR / "samples.png").size)
    shot(page, "model")


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


def test_forward_tab_noises_and_denoises(page):
    page.get_by_role("tab", name="Forward diffusion").click()
    page.locator("#fwd_strip_button").click()
    wait_images(page, "#fwd_strip", 4, all_loaded=False)
    strip = page.locator("#fwd_strip").inner_text()
    assert "t=0 · ᾱ=" in strip and "t=999 · ᾱ=" in strip and "SNR" in strip  # each picture names its noise level
    page.locator("#denoise_from").click()
    page.wait_for_function("() => document.querySelector('#dn_info').innerText.includes('Distance from the original')")
    wait_images(page, "#dn_final", 1)
    info = page.locator("#dn_info").inner_text()
    assert "Noised to t=" in info and "model evaluations" in info  # what ran, measured
    gallery = page.locator("#dn_gallery").inner_text()
    assert "original" in gallery and "noised to t=" in gallery and "x̂0 · step 1 · t=" in gallery
    shot(page, "forward")


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
