"""The Compare samplers tab in Chromium (fixtures and helpers: conftest.py)."""
import io
import time

from PIL import Image

from browser_helpers import heun_evals, shot, wait_images

NOTE = "document.querySelector('#c_note').innerText"
GRID_SRC = "document.querySelector('#grid_image img')?.src"
# the grid picture is on top at its centre (no progress overlay hides it): true, or what is wrong
ON_TOP = """() => { const i = document.querySelector('#grid_image img');
  if (!i) return 'no img'; if (!i.naturalWidth) return 'no picture yet';  // a new src shows the old one until loaded
  const r = i.getBoundingClientRect(); const e = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return e === i ? true : 'covered by ' + e.tagName + '.' + e.className; }"""


def ink_share(png: bytes) -> float:
    """The share of a screenshot that is not the page's own near-white or light grey: the grid's labels, captions,
    outlines and pictures. An empty picture box (or one under Gradio's progress overlay) has next to none."""
    im = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = im.get_flattened_data() if hasattr(im, "get_flattened_data") else im.getdata()
    page_like = sum(1 for r, g, b in pixels if min(r, g, b) > 225 and max(r, g, b) - min(r, g, b) < 12)
    return 1 - page_like / (im.width * im.height)


def _bottom(page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    return box["y"] + box["height"]


def _start(page, steps: str) -> None:
    page.get_by_role("tab", name="Compare samplers").click()
    page.locator("#c_steps textarea, #c_steps input").first.fill(steps)
    page.locator("#compare").click()


def test_compare_streams_a_captioned_grid_with_the_scrubber_under_it(page, tmp_path):
    page.get_by_role("tab", name="Compare samplers").click()
    empty = ink_share(page.screenshot(clip=page.locator("#grid_image").bounding_box()))
    assert empty < 0.03, empty  # the measure below tells an empty picture box from the grid
    _start(page, "5, 10, 20")
    # progress in the note while the grid fills in; what a person sees, sampled every ~100 ms until the grid is
    # done: the grid picture in every frame (no progress overlay, no empty box between two pictures)
    page.wait_for_function(f"() => {NOTE}.startsWith('Round ')")
    box = page.locator("#grid_image").bounding_box()
    frames, mid_run = [], False
    while (note := page.locator("#c_note").inner_text()).startswith("Round "):
        frames.append(ink_share(page.screenshot(clip=box)))
        if not mid_run and int(note.split()[1]) >= 5:
            page.screenshot(path=str(tmp_path / "compare_streaming.png"))
            mid_run = True
        time.sleep(0.1)
    assert frames and min(frames) > 0.03, frames
    page.wait_for_function(f"() => {NOTE}.includes('Reference')")
    wait_images(page, "#grid_image", 1)
    page.wait_for_selector("#c_plot img")
    # the grid and its scrubber both above the fold of a 1400 x 1000 screen
    page.evaluate("() => window.scrollTo(0, 0)")
    assert _bottom(page, "#grid_image img") < _bottom(page, "#c_scrub") <= 1000
    # the cells one by one, captioned, in a closed accordion that opens
    assert not page.locator("#grid").is_visible()
    page.get_by_text("The same cells one by one").click()
    wait_images(page, "#grid", 12, all_loaded=False)
    text = page.locator("#grid").inner_text()
    for name in ["Euler", "Euler a", "Heun", "DPM++ 2M"]:
        assert f"{name} · 20 steps" in text
    assert f"Heun · 5 steps · {heun_evals(5)} evals" in text and "20/20 steps · result" in text
    page.get_by_text("The same cells one by one").click()
    shot(page, "compare")
    # scrub every cell back to its first step: a new picture, each cell named by its step and σ
    before = page.evaluate(f"() => {GRID_SRC}")
    page.locator("#c_scrub input[type=range]").fill("0")
    page.wait_for_function(f"() => {GRID_SRC} !== {before!r}")
    page.wait_for_function("() => document.querySelector('#grid').innerText.includes('step 1/5 · σ=')")
    assert "Euler a · 10 steps" in page.locator("#grid").text_content()


def test_stop_keeps_the_partial_grid_and_says_where_it_stopped(page, tmp_path):
    _start(page, "20, 40, 80")
    page.wait_for_function(f"() => {NOTE}.startsWith('Round ')")
    page.locator("#c_stop").click()
    page.wait_for_function(f"() => {NOTE}.startsWith('Stopped at round ')")
    note = page.locator("#c_note").inner_text()
    done, total = (int(x) for x in note.split("Stopped at round ")[1].split(".")[0].split(" of "))
    assert 1 <= done < total == heun_evals(80)  # Heun at 80 steps makes the most model calls
    wait_images(page, "#grid_image", 1)
    assert page.evaluate(ON_TOP) is True
    page.screenshot(path=str(tmp_path / "compare_stopped.png"))
    # the scrubber works on the partial run
    before = page.evaluate(f"() => {GRID_SRC}")
    page.locator("#c_scrub input[type=range]").fill("0")
    page.wait_for_function(f"() => {GRID_SRC} !== {before!r}")
    assert "step 1/20 · σ=" in page.locator("#grid").text_content()
