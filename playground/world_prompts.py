"""What a tab offers follows the chosen model's world (``examples_world``), and so does a tab's prompt box: each
world has the tab's default prompt (one its judge reads, in its own words); on a change of model the box takes the
new world's default while it still holds a world's default (or nothing), and what a person typed stays."""
from __future__ import annotations

import gradio as gr

from playground.feedback import user_errors
from playground.lab.judging import SHAPES, world_of
from playground.registry import ModelRegistry


def examples_world(registry: ModelRegistry, model) -> str:
    """Whose words and pictures a tab offers for a model: its world's; a model of no world of ours gets the shapes
    world's."""
    name, pipe = registry.pick(model)
    return world_of(name, pipe) or SHAPES


def default_prompt(registry: ModelRegistry, model, defaults: dict[str, str]) -> str:
    """The prompt box's first words for a model: its world's default (a model of no world: the shapes world's)."""
    return defaults[examples_world(registry, model)]


def prompt_for_model(registry: ModelRegistry, defaults: dict[str, str], model, prompt):
    """On a change of model: the new model's world's default prompt, if the box holds a world's default (or
    nothing); what the person typed stays."""
    if (prompt or "").strip() and prompt not in defaults.values():
        return gr.skip()
    with user_errors():
        return default_prompt(registry, model, defaults)
