"""The Model tab: the loaded model's card (README.md in its folder) and a summary of its parts.

The card is shown in the order a learner asks about a model (``playground.cards.arrange``): what it knows and
where it fails, beside its sample sheet, then (folded away) what it is made of; how it was measured (its score
tables side by side); and last, folded away, how it was trained.
"""
from __future__ import annotations

import base64
import re
from functools import partial
from pathlib import Path

import gradio as gr

from playground.cards import arrange
from playground.registry import ModelRegistry

SCORE_COLUMNS = 3
NO_LOG = "_The card says nothing about how the model was trained._"


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Model tab inside the current Blocks; its card follows the page's model dropdown."""
    first = model_card(registry, registry.default)
    with gr.Tab("Model", id="model_tab", elem_id="tab_model"):
        with gr.Column(elem_id="model_card"):
            summary = gr.Markdown(first[0], elem_id="model_summary")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    about = gr.Markdown(first[1], elem_id="model_about")
                    # what it is made of (v2: its autoencoder's per-scene table, 1,900 px), folded away like the log
                    with gr.Accordion("What it is made of (its autoencoder, its parts)", open=False,
                                      elem_id="model_other_box"):
                        other = gr.Markdown(first[4 + SCORE_COLUMNS], elem_id="model_other")
                with gr.Column(scale=2):
                    samples = gr.Markdown(first[2], elem_id="model_samples")
            scores = gr.Markdown(first[3], elem_id="model_scores")
            with gr.Row(equal_height=False):
                columns = [gr.Markdown(text, elem_id=f"model_scores_{i}", min_width=360)
                           for i, text in enumerate(first[4:4 + SCORE_COLUMNS])]
            with gr.Accordion("How it was trained (the training log)", open=False, elem_id="model_log_box"):
                log = gr.Markdown(first[5 + SCORE_COLUMNS], elem_id="model_log")
    model.change(partial(model_card, registry), inputs=model,
                 outputs=[summary, about, samples, scores, *columns, other, log], api_name="model_card")


# --------------------------------------------------------------------------- handlers

_CARD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp"}


def inline_card_images(card: str, folder: Path, limit: int = 2_000_000) -> str:
    """The card's pictures that sit in the model's own folder (``![samples](samples.png)``), written into it as data
    URIs, so the Model tab shows them without serving the folder's files (weights included) over HTTP. Links that
    leave the folder, web addresses, other file types and files over ``limit`` bytes stay as they are."""
    root = folder.resolve()

    def inline(m: re.Match) -> str:
        target = m.group(2)
        if ":" in target or target.startswith(("/", "\\")):
            return m.group(0)
        path = (root / target).resolve()
        kind = _IMAGE_TYPES.get(path.suffix.lower())
        if kind is None or not path.is_relative_to(root) or not path.is_file() or path.stat().st_size > limit:
            return m.group(0)
        return f"![{m.group(1)}](data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    return _CARD_IMAGE.sub(inline, card)


def model_card(registry: ModelRegistry, model: str) -> tuple[str, ...]:
    """The loaded model's card, arranged for the tab: (summary of its parts, about (intro, what it knows, its
    limits), samples, scores, the score tables in SCORE_COLUMNS columns, other sections, training log)."""
    pipe = registry.get(model)
    parts = []
    for name in ("text_encoder", "unet", "vae"):
        module = getattr(pipe, name, None)
        if module is not None:
            parts.append(f"{name} {sum(p.numel() for p in module.parameters()) / 1e6:.2f} M parameters")
    h, w = pipe.default_size
    kind = "latent" if pipe.is_latent else "pixel"
    summary = (f"**{model or registry.default}** · {kind} diffusion · {w}×{h} px · "
               f"{', '.join(parts)} · prediction type `{pipe.scheduler.config.get('prediction_type', 'epsilon')}` · "
               f"default sampler {pipe.config.default_sampler}, guidance {pipe.config.default_guidance_scale:g} · "
               f"prompt window {pipe.max_prompt_tokens} tokens · runs on {pipe.device} in "
               f"{str(pipe.unet.dtype).removeprefix('torch.')}")
    folder = getattr(pipe, "name_or_path", None) or pipe.config.get("_name_or_path")
    card = ""
    if folder:
        readme = Path(str(folder)) / "README.md"
        if readme.is_file():
            card = inline_card_images(readme.read_text(encoding="utf-8", errors="replace")[:50_000], readme.parent)
    if not card:
        card = pipe.config.model_description or "This model has no model card (README.md) in its folder."
    view = arrange(card, SCORE_COLUMNS)
    return (summary, view.about, view.samples, view.scores, *view.score_columns, view.other, view.log or NO_LOG)
