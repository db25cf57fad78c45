"""The Forward diffusion tab in Chromium (fixtures and helpers: conftest.py)."""
import re

from browser_helpers import pick, shot, wait_images

NOISY_SRC = "document.querySelector('#fwd_noisy img')?.src"


def test_enter_in_the_t_box_shows_that_t(page):
    """Typing t and pressing Enter updates the picture, its caption and the schedule, without leaving the box."""
    page.get_by_role("tab", name="Forward diffusion").click()
    page.wait_for_function("() => document.querySelector('#fwd_info').innerText.includes('t = 250')")
    wait_images(page, "#fwd_noisy", 1)
    before = page.evaluate(f"() => {NOISY_SRC}")
    box = page.locator("#fwd_t input[type=number]")
    box.fill("600")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#fwd_info').innerText.includes('t = 600')")
    page.wait_for_function(f"() => {NOISY_SRC} && {NOISY_SRC} !== {before!r}")
    wait_images(page, "#fwd_noisy", 1)
    assert page.locator("#fwd_t input[type=range]").input_value() == "600"
    # Enter in the strip's box shows the strip, at those t
    levels = page.locator("#fwd_ts textarea, #fwd_ts input").first
    levels.fill("0, 600, 999")
    levels.press("Enter")
    page.wait_for_function("() => document.querySelector('#fwd_strip').innerText.includes('t=600 · ᾱ=')")
    wait_images(page, "#fwd_strip", 3)
    assert re.findall(r"t=(\d+) · ᾱ=", page.locator("#fwd_strip").inner_text()) == ["0", "600", "999"]


def test_forward_tab_noises_and_denoises(page):
    page.get_by_role("tab", name="Forward diffusion").click()
    page.locator("#fwd_ts textarea, #fwd_ts input").first.fill("0, 100, 250, 500, 750, 999")
    page.locator("#fwd_strip_button").click()
    page.wait_for_function("() => document.querySelector('#fwd_strip').innerText.includes('t=100 · ᾱ=')")
    wait_images(page, "#fwd_strip", 4, all_loaded=False)
    strip = page.locator("#fwd_strip").inner_text()
    assert "t=0 · ᾱ=" in strip and "t=999 · ᾱ=" in strip and "SNR" in strip  # each picture names its noise level
    page.locator("#denoise_from").click()
    page.wait_for_function("() => document.querySelector('#dn_info').innerText.includes('Distance from the original')")
    wait_images(page, "#dn_final", 1)
    info = page.locator("#dn_info").inner_text()
    steps = int(re.search(r"ran (\d+) of 20 steps", info).group(1))
    page.locator("#dn_gallery").scroll_into_view_if_needed()  # galleries load their pictures lazily
    wait_images(page, "#dn_gallery", 2 + steps)  # the original, the noised start, and each step's x̂0
    assert "Noised to t=" in info and "model evaluations" in info  # what ran, measured
    gallery = page.locator("#dn_gallery").inner_text()
    assert "original" in gallery and "noised to t=" in gallery and "step 1 · t=" in gallery
    # from several noise levels: per level its noised start and what came back
    page.locator("#denoise_strip").click()
    page.wait_for_function("() => document.querySelector('#dn_strip').innerText.includes('back from t=999')")
    page.locator("#dn_strip").scroll_into_view_if_needed()
    wait_images(page, "#dn_strip", 10)
    assert re.findall(r"back from t=(\d+)", page.locator("#dn_strip").inner_text()) == ["200", "400", "600", "800",
                                                                                         "999"]
    page.mouse.move(0, 0)  # no hover frame on a picture in the screenshot
    shot(page, "forward")


def test_stop_keeps_the_partial_denoise_and_says_where_it_stopped(page):
    """A long run from t = 999: the info line counts the steps (no overlay over the pictures); Stop ends it with the
    steps so far, their last x̂0 as the result, and where it stopped."""
    page.get_by_role("tab", name="Forward diffusion").click()
    page.locator("#fwd_t input[type=number]").fill("999")
    page.locator("#fwd_t input[type=number]").press("Enter")
    page.wait_for_function("() => document.querySelector('#fwd_info').innerText.includes('t = 999')")
    pick(page, "dn_sampler", "Euler")
    page.locator("#dn_steps input[type=range]").fill("150")
    page.locator("#denoise_from").click()
    page.wait_for_function("""() => { const m = document.querySelector('#dn_info').innerText
                                          .match(/^Denoising from t=999: step (\\d+) done/);
                                      return m && +m[1] >= 3; }""")
    # while it runs, the gallery's pictures are on top: no progress overlay covers them
    assert page.evaluate("""() => { const img = document.querySelector('#dn_gallery img');
        const r = img.getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === img; }""")
    page.locator("#dn_stop").click()
    page.wait_for_function("() => document.querySelector('#dn_info').innerText.startsWith('Stopped at step ')")
    info = page.locator("#dn_info").inner_text()
    done, total = (int(x) for x in re.match(r"Stopped at step (\d+) of (\d+)\.", info).groups())
    assert 3 <= done < total == 150
    assert f"ran {done} of 150 steps" in info and f"x̂0 after step {done}" in info
    wait_images(page, "#dn_final", 1)
    captions = page.locator("#dn_gallery").inner_text()
    assert f"step {done} · t=" in captions and f"step {done + 1} · t=" not in captions
