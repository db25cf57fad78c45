"""Helpers of the browser tests (fixtures: conftest.py)."""
from pathlib import Path

from pipelines.loading import BUNDLED, DEFAULT_BUNDLED

DEFAULT_DIR = BUNDLED[DEFAULT_BUNDLED]  # the folder of the model the page opens on

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


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

    bundled = (DEFAULT_DIR / "model_index.json").exists()
    from_noise = bundled and top_sigma(DDPMScheduler.from_pretrained(DEFAULT_DIR / "scheduler")) > PURE_NOISE_SIGMA
    return 2 * steps - (2 if from_noise else 1)


def pick(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input[role=combobox]").click()
    page.get_by_role("option", name=option, exact=True).click()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def cut_captions(page, selector: str) -> list[str]:
    """The gallery captions under selector that a person cannot read whole: text cut off or ellipsed inside its
    label, a label sticking out of its picture, or one hidden below the gallery's visible box. [] when every
    caption reads whole."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel + ' .caption-label')].filter(c => {
             const box = c.getBoundingClientRect();
             const tile = (c.closest('button') || c.parentElement).getBoundingClientRect();
             const wrap = (c.closest('.grid-wrap') || c.parentElement).getBoundingClientRect();
             return c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1
                 || box.left < tile.left - 1 || box.right > tile.right + 1
                 || box.bottom > tile.bottom + 1 || box.bottom > wrap.bottom + 1; }).map(c => c.innerText)""",
        selector)


def captions(page, selector: str) -> list[str]:
    return page.evaluate("(sel) => [...document.querySelectorAll(sel + ' .caption-label')].map(c => c.innerText)",
                         selector)


def text_of(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").inner_text()


def wait_text(page, elem_id: str, text: str, timeout_ms: int = 300_000) -> None:
    page.wait_for_function("([id, t]) => document.getElementById(id).innerText.includes(t)", arg=[elem_id, text],
                           timeout=timeout_ms)


def set_number(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def pictures(page, selector: str) -> int:
    return page.locator(f"{selector} img").count()
