"""The world's judge as the lab uses it: which models it can judge, and what it saw, as ✓/✗. No gradio here.

Only the bundled model draws the synthetic world, so only its pictures can be read back against a caption.
"""
from __future__ import annotations

from typing import Optional

from PIL import Image

import world

JUDGED_MODEL = "bundled"


def has_judge(model_name: Optional[str]) -> bool:
    """Only the bundled model draws the synthetic world, so only its pictures can be judged."""
    return model_name == JUDGED_MODEL


def judge_images(images, scene: world.Scene) -> list[dict[str, bool]]:
    return [world.judge(im, scene) for im in images]


def ticks(judged: dict, attributes) -> str:
    """'✓ count ✗ colour': what the judge saw, attribute by attribute."""
    return " ".join(f"{'✓' if judged.get(a) else '✗'} {a}" for a in attributes)


def judge_ticks(image: Image.Image, scene: world.Scene) -> str:
    """Every attribute the judge reads for the scene, ticked or crossed for the picture."""
    judged = world.judge(image, scene)
    return ticks(judged, judged)
