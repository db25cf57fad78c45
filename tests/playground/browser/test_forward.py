"""The Forward diffusion tab in Chromium (fixtures and helpers: conftest.py)."""
from browser_helpers import shot, wait_images


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
