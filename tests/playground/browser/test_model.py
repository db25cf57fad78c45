"""The Model tab in Chromium (fixtures and helpers: conftest.py)."""
from PIL import Image

from browser_helpers import DEFAULT_BUNDLED, DEFAULT_DIR, pick, shot, wait_images

TOP = "(sel) => document.querySelector(sel).getBoundingClientRect().top + window.scrollY"
HEADING_TOP = """(text) => { const h = [...document.querySelectorAll('#model_card h2')].find(e => e.innerText.startsWith(text));
                                return h.getBoundingClientRect().top + window.scrollY; }"""


def test_model_tab_shows_the_card(page):
    page.get_by_role("tab", name="Model").click()
    page.wait_for_selector("#model_card")
    assert "parameters" in page.locator("#model_summary").inner_text()
    wait_images(page, "#model_card", 1)  # the card's sample grid (samples.png in the model folder) shows
    size = page.evaluate("() => { const i = document.querySelector('#model_samples img'); "
                         "return [i.naturalWidth, i.naturalHeight]; }")
    assert size == list(Image.open(DEFAULT_DIR / "samples.png").size)
    shot(page, "model")


def test_model_tab_leads_with_what_the_model_knows_and_ends_with_its_training(page):
    page.get_by_role("tab", name="Model").click()
    wait_images(page, "#model_samples", 1)
    knows, limits, measured = (page.evaluate(HEADING_TOP, h) for h in ("What it knows", "Limits", "Measured"))
    samples, log = page.evaluate(TOP, "#model_samples img"), page.evaluate(TOP, "#model_log_box")
    assert knows < limits < measured < log and samples < measured  # the vocabulary and samples first, the log last
    # the training log is folded away until asked for
    assert not page.locator("#model_log").is_visible()
    page.locator("#model_log_box").get_by_text("How it was trained").click()
    page.wait_for_function("() => document.querySelector('#model_log')?.innerText.includes('Autoencoder:')")
    page.locator("#model_log_box").get_by_text("How it was trained").click()
    # the shapes card, whose length the tab's layout was made for, fits in 2,500 px (4,540 px with the log first);
    # v2's card is three times as long (its limits list and autoencoder table), whatever the layout
    pick(page, "model", "shapes-32")
    try:
        page.wait_for_function("() => document.querySelector('#model_summary').innerText.startsWith('shapes-32')")
        wait_images(page, "#model_samples", 1)
        knows, limits, measured = (page.evaluate(HEADING_TOP, h) for h in ("What it knows", "Limits", "Measured"))
        assert knows < limits < measured < page.evaluate(TOP, "#model_log_box")
        assert page.evaluate("() => document.body.scrollHeight") < 2500
    finally:
        pick(page, "model", DEFAULT_BUNDLED)
        page.wait_for_function("(name) => document.querySelector('#model_summary').innerText.startsWith(name)",
                               arg=DEFAULT_BUNDLED)


def test_what_the_model_is_made_of_is_folded_away_until_asked_for(page):
    """v2's autoencoder table and parts (1,900 px) open on a click; folded, the default model's card is 4,324 px
    tall on a 1400 x 1000 page (6,177 px with them open in the column)."""
    page.get_by_role("tab", name="Model").click()
    wait_images(page, "#model_samples", 1)
    assert not page.locator("#model_other").is_visible()
    assert page.evaluate("() => document.body.scrollHeight") < 4600
    show_what_it_is_made_of(page, True)
    assert "Parts" in page.locator("#model_other").inner_text()
    show_what_it_is_made_of(page, False)


def show_what_it_is_made_of(page, shown: bool) -> None:
    """Open (or fold) the card's "What it is made of" and wait until it is so."""
    if page.locator("#model_other").is_visible() != shown:
        page.locator("#model_other_box").get_by_text("What it is made of").click()
    page.wait_for_function("(shown) => (document.querySelector('#model_other')?.offsetParent != null) === shown",
                           arg=shown)


def card_headers() -> set[str]:
    """Every table header the card of the model the page opens on has (the row above each |---| line)."""
    lines = (DEFAULT_DIR / "README.md").read_text(encoding="utf-8").splitlines()
    return {cell.strip().replace("`", "") for above, line in zip(lines, lines[1:]) if line.startswith("|---")
            for cell in above.strip().strip("|").split("|") if cell.strip()}


def test_model_card_table_headers_sit_on_one_line(page):
    page.get_by_role("tab", name="Model").click()
    page.wait_for_selector("#model_scores_0 th")
    show_what_it_is_made_of(page, True)  # its tables too (folded away)
    lines = page.evaluate("""() => [...document.querySelectorAll('#model_card th')].filter(th => th.innerText.trim())
        .map(th => { const r = document.createRange(); r.selectNodeContents(th);
                     const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
                     return [th.innerText.trim(), tops.size]; })""")
    headers = dict(lines)
    assert {"parameters", "measured", "category"} <= card_headers() <= set(headers)  # every table of the card
    assert all(n == 1 for n in headers.values()), headers  # "parameters" used to wrap to "paramet / ers"
    parameters = page.locator("#model_card th", has_text="parameters").first
    line_height = page.evaluate("(th) => parseFloat(getComputedStyle(th).lineHeight)", parameters.element_handle())
    padding = page.evaluate("(th) => parseFloat(getComputedStyle(th).paddingTop) + "
                            "parseFloat(getComputedStyle(th).paddingBottom)", parameters.element_handle())
    assert parameters.bounding_box()["height"] < padding + 1.5 * line_height + 2  # one line (plus its border)
    show_what_it_is_made_of(page, False)
