"""Files in and out: the folder of files for the browser, PNGs that carry their settings, the steps GIF, and
uploaded pictures read safely. No gradio here.
"""
from __future__ import annotations

import os
import random
import tempfile
import time
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines import PlaygroundInputError
from playground.bounds import MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, MAX_UPLOAD_SIDE
from playground.pictures import fit_to_size
from playground.pngmeta import Settings, png_bytes_with_parameters

UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # never EPS & co. (they run external programs)


# --------------------------------------------------------------------------- out

def out_dir() -> Path:
    """Where files for the browser go: inside Gradio's temp dir, never elsewhere."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    d = base / "playground"
    d.mkdir(parents=True, exist_ok=True)
    return d


def unique_stamp() -> str:
    """A file-name part no other run (of this user or another) writes at the same time."""
    return f"{int(time.time() * 1000)}-{random.randrange(1 << 30):x}"


def save_png(image: Image.Image, settings: Settings, tag: str) -> str:
    """The picture as a PNG with its settings in AUTOMATIC1111's parameters chunk; returns its path."""
    path = out_dir() / f"{tag}.png"
    path.write_bytes(png_bytes_with_parameters(image, settings))
    return str(path)


def steps_gif(x_t, x0, frame_ms: int = 150) -> str:
    """An animated GIF of a run, x_t beside x̂0 at every step, the last frame held; returns its path."""
    frames = []
    for a, b in zip(x_t, x0):
        frame = Image.new("RGB", (a.width + b.width + 8, max(a.height, b.height)), (255, 255, 255))
        frame.paste(a, (0, 0))
        frame.paste(b, (a.width + 8, 0))
        frames.append(frame)
    path = out_dir() / f"steps-{unique_stamp()}.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:] + [frames[-1]] * 4, duration=frame_ms, loop=0)
    return str(path)


# --------------------------------------------------------------------------- in

def upload_path(file) -> str | None:
    """The server-side path of an uploaded file as Gradio hands it over (a path, a tempfile or a FileData dict)."""
    return file if isinstance(file, str) else getattr(file, "name", None) or file.get("path")


def load_upload(path, size: tuple[int, int]) -> Image.Image:
    """An uploaded file as an RGB picture of the model's size, refusing non-images and oversized ones.

    The file size and the declared pixel size are checked before any pixel is decoded.
    """
    p = Path(str(path))
    if not p.is_file():
        raise PlaygroundInputError("The uploaded file is gone; upload it again.")
    nbytes = p.stat().st_size
    if nbytes > MAX_UPLOAD_BYTES:
        raise PlaygroundInputError(f"The file is {nbytes / 2**20:.1f} MB; upload at most "
                                   f"{MAX_UPLOAD_BYTES // 2**20} MB.")
    too_big = (f"is too large: at most {MAX_UPLOAD_SIDE} × {MAX_UPLOAD_SIDE} pixels "
               f"({MAX_UPLOAD_PIXELS / 1e6:.1f} million) are accepted. Shrink it first.")
    not_image = f"That file is not an image this app reads ({', '.join(UPLOAD_FORMATS)})."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(p, formats=UPLOAD_FORMATS)
    except Image.DecompressionBombError:
        raise PlaygroundInputError(f"The image {too_big}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PlaygroundInputError(not_image) from None
    with im:
        w, h = im.size
        if w * h > MAX_UPLOAD_PIXELS or w < 1 or h < 1:
            raise PlaygroundInputError(f"The image is {w} × {h} pixels and {too_big}")
        try:
            im.draft("RGB", (max(size) * 2, max(size) * 2))  # JPEG: decode at a reduced size when it can
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                im = flat
            else:
                im = im.convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise PlaygroundInputError("The image could not be read (damaged or cut short); try another file.") \
                from None
    return fit_to_size(im, size)
