"""The Generate tab in Chromium (fixtures and helpers: conftest.py)."""
from PIL import Image

from browser_helpers import pick, shot, wait_images
from playground.pngmeta import Settings, png_bytes_with_parameters


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
