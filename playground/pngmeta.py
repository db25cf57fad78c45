"""Generation settings in a PNG's ``parameters`` text chunk, in AUTOMATIC1111's format.

    three red circles on a blue background
    Negative prompt: blurry
    Steps: 20, Sampler: DPM++ 2M, CFG scale: 4.0, Seed: 7, Size: 32x32, Model: shapes-32

``format_parameters(settings)`` writes that text and ``parse_parameters(text)`` reads it back, so a
PNG saved by the app (or by AUTOMATIC1111) can be dropped onto the Generate tab to restore its
settings. The parser never trusts the text: it caps its length, reads the parameters line in one pass
(no regular expression that could backtrack for minutes on hostile text), ignores keys it does not know,
and returns only values of the right type; it raises ``SettingsParseError`` with a plain message otherwise.

``parse_parameters(format_parameters(s)) == s`` holds for settings without ``extra`` whose texts have no
"\r" or NUL, whose prompt has no line starting with "Negative prompt:" (such a line starts the negative
prompt: the format cannot tell the two apart), and whose sampler and model names are single lines without
commas or surrounding spaces (checked in tests/test_properties.py).
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

from PIL import Image, PngImagePlugin

from playground.bounds import MAX_SETTINGS_TEXT, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS

NEGATIVE_PREFIX = "Negative prompt:"


class SettingsParseError(ValueError):
    """The PNG or its text could not be read as generation settings."""


@dataclass
class Settings:
    prompt: str = ""
    negative_prompt: str = ""
    steps: int | None = None
    sampler: str | None = None
    guidance_scale: float | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    model: str | None = None
    extra: dict = field(default_factory=dict)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def format_parameters(s: Settings) -> str:
    lines = [_clean(s.prompt)]
    if s.negative_prompt:
        lines.append(NEGATIVE_PREFIX + " " + _clean(s.negative_prompt))
    parts = []
    if s.steps is not None:
        parts.append(f"Steps: {s.steps}")
    if s.sampler:
        parts.append(f"Sampler: {_one_line(s.sampler)}")
    if s.guidance_scale is not None:
        parts.append(f"CFG scale: {_float_text(s.guidance_scale)}")
    if s.seed is not None:
        parts.append(f"Seed: {s.seed}")
    if s.width and s.height:
        parts.append(f"Size: {s.width}x{s.height}")
    if s.model:
        parts.append(f"Model: {_one_line(s.model)}")
    lines.append(", ".join(parts))
    return "\n".join(lines)


def _float_text(value: float) -> str:
    """4.0 -> '4', 7.5 -> '7.5'; more digits only where needed to read back the same number."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


_KEY_CHAR = re.compile(r"[\w \-/]")


def _pairs(line: str):
    """'Key: value, Key: "quoted, value", ...' -> (key, value) pairs, in one pass over the line.

    It reads like AUTOMATIC1111's regular expression (a key is the run of word characters, spaces, '-' and
    '/' before a colon; a value runs to the next comma unless it is a quoted string followed by a comma or
    the end), without its backtracking, which took seconds to minutes on a long line of hostile text.
    """
    pos, n = 0, len(line)
    while pos < n:
        colon = line.find(":", pos)
        if colon < 0:
            return
        start = colon
        while start > pos and _KEY_CHAR.match(line[start - 1]):
            start -= 1
        key = line[start:colon].strip()
        if not key:
            pos = colon + 1
            continue
        v = colon + 1
        while v < n and line[v].isspace():
            v += 1
        if v < n and line[v] == '"':
            q = v + 1
            while q < n and line[q] != '"':
                q += 2 if line[q] == "\\" else 1
            if q < n and (q + 1 == n or line[q + 1] == ","):
                yield key, line[v:q + 1]
                pos = q + 2
                continue
        comma = line.find(",", v)
        end = n if comma < 0 else comma
        yield key, line[v:end]
        pos = end + 1


def parse_parameters(text: str) -> Settings:
    if not isinstance(text, str):
        raise SettingsParseError("The PNG's settings text is not text.")
    if len(text) > MAX_SETTINGS_TEXT:
        raise SettingsParseError(f"The PNG's settings text is too long ({len(text):,} characters; "
                                 f"at most {MAX_SETTINGS_TEXT:,}).")
    text = _clean(text).replace("\x00", "")
    lines = text.split("\n")
    has_params = len(lines) > 1 or re.match(r"\s*Steps:\s*\d", lines[-1]) is not None
    params_line = lines[-1] if has_params else ""
    body = lines[:-1] if has_params else lines
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in body:
        if not in_negative and line.startswith(NEGATIVE_PREFIX):
            in_negative = True
            line = line[len(NEGATIVE_PREFIX):]
            line = line[1:] if line.startswith(" ") else line  # format_parameters writes exactly one space
        (negative_lines if in_negative else prompt_lines).append(line)
    s = Settings(prompt="\n".join(prompt_lines), negative_prompt="\n".join(negative_lines))
    for key, value in _pairs(params_line):
        key, value = key.strip(), value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"')
        try:
            if key == "Steps":
                s.steps = int(value)
            elif key == "Sampler":
                s.sampler = value
            elif key == "CFG scale":
                g = float(value)
                s.guidance_scale = g if math.isfinite(g) else None
            elif key == "Seed":
                s.seed = int(value)
            elif key == "Size":
                w, h = value.lower().split("x")
                s.width, s.height = int(w), int(h)
            elif key == "Model":
                s.model = value
            elif len(s.extra) < 50:
                s.extra[key[:100]] = value[:500]
        except ValueError:
            continue  # a value of the wrong type is dropped, the rest still restores
    return s


def png_bytes_with_parameters(image: Image.Image, s: Settings) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", format_parameters(s))
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def read_png_settings(path_or_bytes) -> Settings:
    """Settings from a PNG file (path or bytes). Raises SettingsParseError with a plain message."""
    try:
        if isinstance(path_or_bytes, (bytes, bytearray)):
            data = bytes(path_or_bytes)
        else:
            with open(path_or_bytes, "rb") as f:
                data = f.read(MAX_UPLOAD_BYTES + 1)
    except OSError as e:
        raise SettingsParseError(f"Could not read the file ({e.strerror or e}).") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise SettingsParseError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SettingsParseError("That file is not a PNG image.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_UPLOAD_PIXELS:
                raise SettingsParseError("The PNG is too large to read.")
            text = im.text.get("parameters") if hasattr(im, "text") else None
    except SettingsParseError:
        raise
    except Image.DecompressionBombError:  # Pillow refuses to open it at all: far over MAX_UPLOAD_PIXELS
        raise SettingsParseError("The PNG is too large to read.") from None
    except Exception:
        raise SettingsParseError("The PNG is damaged and could not be read.") from None
    if not text:
        raise SettingsParseError("This PNG carries no generation settings (no 'parameters' text).")
    return parse_parameters(text)
