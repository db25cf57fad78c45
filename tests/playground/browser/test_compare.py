"""The Compare samplers tab in Chromium (fixtures and helpers: conftest.py)."""
from browser_helpers import heun_evals, shot, wait_images

NOTE = "document.querySelector('#c_note').innerText"
GRID_SRC = "document.querySelector('#grid_image img')?.src"
# the grid picture is on top at its centre (no progress overlay hides it)
ON_TOP = """() => { const i = document.querySelector('#grid_image img'); if (!i || !i.complete || !i.naturalWidth) return false;
  const r = i.getBoundingClientRect(); return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === i; }"""


def _bottom(page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    return box["y"] + box["height"]


def _start(page, steps: str) -> None:
    page.get_by_role("tab", name="Compare samplers").click()
    page.locator("#c_steps textarea, #c_steps input").first.fill(steps)
    page.locator("#compare").click()


def test_compare_streams_a_captioned_grid_with_the_scrubber_under_it(page, tmp_path):
    _start(page, "5, 10, 20")
    page.wait_for_function(f"() => {NOTE}.startsWith('Round ')")  # progress in the note, the grid filling in
    page.wait_for_function(ON_TOP)
    page.screenshot(path=str(tmp_path / "compare_streaming.png"))
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


def test_stop_keeps_the_partial_grid_and_says_where_it_stopped(page):
    _start(page, "20, 40, 80")
    page.wait_for_function(f"() => {NOTE}.startsWith('Round ')")
    page.locator("#c_stop").click()
    page.wait_for_function(f"() => {NOTE}.startsWith('Stopped at round ')")
    note = page.locator("#c_note").inner_text()
    done, total = (int(x) for x in note.split("Stopped at round ")[1].split(".")[0].split(" of "))
    assert 1 <= done < total == heun_evals(80)  # Heun at 80 steps makes the most model calls
    wait_images(page, "#grid_image", 1)
    assert page.evaluate(ON_TOP)
    # the scrubber works on the partial run
    before = page.evaluate(f"() => {GRID_SRC}")
    page.locator("#c_scrub input[type=range]").fill("0")
    page.wait_for_function(f"() => {GRID_SRC} !== {before!r}")
    assert "step 1/20 · σ=" in page.locator("#grid").text_content()
