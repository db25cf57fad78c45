"""Look at the world and time it: ``python -m world.v2.preview [sheet.png]`` prints how many pictures per second
``sample_batch`` makes on one core (with its sprite and backdrop stores empty, then filled) and writes a contact
sheet of sampled scenes, each 3x larger with its caption under it (docs/screenshots/world-v2-sheet.png)."""
from __future__ import annotations

import sys
import textwrap
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .batches import sample_batch
from .captions import caption
from .scenes import SCENE_MIX, lesson_scene, sample_scene
from .render import render

SCALE, COLUMNS, CAPTION_LINES = 3, 8, 4


def pictures_per_second(n: int = 512) -> tuple[float, float]:
    """(cold, warm): sample_batch(0, n) as the first call in a process, then sample_batch(1, n)."""
    rates = []
    for seed in (0, 1):
        start = time.perf_counter()
        sample_batch(seed, n)
        rates.append(n / (time.perf_counter() - start))
    return rates[0], rates[1]


def sheet(seed: int = 0, per_kind: int = 4) -> Image.Image:
    """The lesson's scene, then ``per_kind`` scenes of each kind, 3x larger, captions under them."""
    from matplotlib import font_manager  # only for the font: DejaVu Sans, which matplotlib ships

    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 11)
    rng = np.random.default_rng(seed)
    scenes = [lesson_scene()] + [sample_scene(rng, kind) for kind in SCENE_MIX for _ in range(per_kind)]
    cell_w, pic = 64 * SCALE + 8, 64 * SCALE
    cell_h = pic + 4 + 13 * CAPTION_LINES
    rows = -(-len(scenes) // COLUMNS)
    out = Image.new("RGB", (COLUMNS * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(out)
    for i, scene in enumerate(scenes):
        x, y = (i % COLUMNS) * cell_w + 4, (i // COLUMNS) * cell_h
        out.paste(Image.fromarray(render(scene)).resize((pic, pic), Image.Resampling.NEAREST), (x, y))
        text = caption(scene, rng if i else None)
        lines = textwrap.wrap(f"[{scene.kind}] {text}", 34)[:CAPTION_LINES]
        draw.multiline_text((x, y + pic + 2), "\n".join(lines), fill="black", font=font, spacing=1)
    return out


if __name__ == "__main__":
    cold, warm = pictures_per_second()
    print(f"sample_batch(0, 512): {cold:.0f} pictures/s with empty stores, {warm:.0f} pictures/s after")
    if len(sys.argv) > 1:
        sheet().save(sys.argv[1])
