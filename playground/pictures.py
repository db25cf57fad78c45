"""Pictures for the browser: model-sized inputs, and small outputs enlarged so their pixels stay crisp. No gradio.

The models draw tiny pictures (16 to 64 px); shown at that size they are a smudge, resized smoothly they are a
blur. Galleries and single views therefore enlarge them with nearest-neighbour resampling.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageFont

from pipelines.preview import latents_to_rgb, upscale_nearest

GALLERY_SIDE = 128  # pictures in galleries (step previews, grid cells, strips) are enlarged to at least this
VIEW_SIDE = 256  # single pictures, likewise
WORD_MAP_SIDE = 192  # a word's cross-attention map over the picture


def for_gallery(image: Image.Image) -> Image.Image:
    """One picture enlarged for a gallery."""
    return upscale_nearest(image, GALLERY_SIDE)


def gallery(items) -> list[tuple[Image.Image, str]]:
    """(picture, caption) pairs with each picture enlarged for a gallery."""
    return [(for_gallery(image), caption) for image, caption in items]


def view(image: Image.Image) -> Image.Image:
    """One picture enlarged to be looked at on its own."""
    return upscale_nearest(image, VIEW_SIDE)


def fit_to_size(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop to the aspect ratio of (height, width) and resize: crisp when enlarging, smooth when shrinking."""
    h, w = size
    image = image.convert("RGB")
    iw, ih = image.size
    if iw * h != ih * w:
        if iw * h > ih * w:  # too wide
            cw = round(ih * w / h)
            box = ((iw - cw) // 2, 0, (iw - cw) // 2 + cw, ih)
        else:
            ch = round(iw * h / w)
            box = (0, (ih - ch) // 2, iw, (ih - ch) // 2 + ch)
        image = image.crop(box)
    if image.size == (w, h):
        return image
    method = Image.NEAREST if image.width <= w and image.height <= h else Image.LANCZOS
    return image.resize((w, h), method)


def noise_picture(pipe, tensor) -> Image.Image:
    """A picture of a noise-like tensor (predicted noise, guidance direction): stretched to its own range."""
    x = tensor[:1].float()
    if pipe.is_latent:
        x = latents_to_rgb(x, pipe.config.latent_rgb_factors)
    x = x - x.mean()
    x = x / (3 * x.std().clamp_min(1e-6))
    x = x.clamp(-1, 1)
    arr = ((x[0].permute(1, 2, 0).numpy() / 2 + 0.5).clip(0, 1) * 255).round().astype(np.uint8)
    return Image.fromarray(arr)


@lru_cache(maxsize=8)
def label_font(size: int = 13) -> ImageFont.FreeTypeFont:
    """A font for labels drawn into pictures that has σ, ᾱ and x̂: DejaVu Sans, which matplotlib ships (Pillow's
    own default font lacks them)."""
    from matplotlib import font_manager

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def word_map_picture(image: Image.Image, cells, side: int = WORD_MAP_SIDE) -> Image.Image:
    """Where one word was read (pipelines.attention_maps.WordMap.cells, a small grid of weights) over the picture,
    ``side`` pixels a side: the grid upsampled smoothly, scaled from its least (dark) to its most (bright yellow,
    matplotlib's magma), laid over the picture in gray so the thing it sits on shows through."""
    from matplotlib import colormaps

    cells = np.asarray(cells, dtype=np.float32)
    spread = float(cells.max() - cells.min())
    scaled = (cells - cells.min()) / spread if spread > 0 else np.zeros_like(cells)
    heat = Image.fromarray((scaled * 255).round().astype(np.uint8)).resize((side, side), Image.BILINEAR)
    coloured = colormaps["magma"](np.asarray(heat, dtype=np.float32) / 255)[..., :3]
    gray = np.asarray(image.convert("L").resize((side, side), Image.NEAREST), dtype=np.float32)[..., None] / 255
    return Image.fromarray(((0.45 * gray + 0.55 * coloured) * 255).round().astype(np.uint8))


def word_maps_sheet(image: Image.Image, words, columns: int = 7) -> Image.Image:
    """One picture: ``image`` (enlarged), then each word's map over it (``words``: (word, cells, share) of
    pipelines.attention_maps.WordMap), each tile labelled with its word and its share of the attention, ``columns``
    tiles a row. One file for the browser to fetch, not one a word."""
    from PIL import ImageDraw

    tiles = [(image.convert("RGB").resize((WORD_MAP_SIDE, WORD_MAP_SIDE), Image.NEAREST), "the picture")]
    tiles += [(word_map_picture(image, w.cells), f"{w.word}{'' if w.emphasis == 1 else f' ×{w.emphasis:.3g}'} · "
                                                  f"{w.share:.0%}") for w in words]
    columns = min(columns, len(tiles))
    rows = -(-len(tiles) // columns)
    gap, label = 6, 22
    sheet = Image.new("RGB", (columns * (WORD_MAP_SIDE + gap) - gap, rows * (WORD_MAP_SIDE + label + gap) - gap),
                      "white")
    draw, font = ImageDraw.Draw(sheet), label_font(15)
    for i, (tile, text) in enumerate(tiles):
        x, y = (i % columns) * (WORD_MAP_SIDE + gap), (i // columns) * (WORD_MAP_SIDE + label + gap)
        sheet.paste(tile, (x, y))
        draw.text((x + WORD_MAP_SIDE / 2, y + WORD_MAP_SIDE + 3), text, fill="black", font=font, anchor="ma")
    return sheet
