"""The page: its header, the model dropdown every tab reads, and the tabs in order (each built by its module in
``playground.tabs``).

    demo = build_demo(ModelRegistry.load(["bundled"]))
    demo.queue().launch(css=CSS)
"""
from __future__ import annotations

import gradio as gr

from playground.registry import ModelRegistry
from playground.tabs import compare, forward, generate, guidance, limits, model, train

CSS = """
.pixelated img, #final img, #live_xt img, #live_x0 img, #grid img { image-rendering: pixelated; }
#model_card th { white-space: nowrap; }
#model_card th, #model_card td { padding: 3px 6px; overflow-wrap: normal; word-break: normal; }
#model_card table { font-size: 13px; }
#model_card .prose { overflow-x: auto; }
#model_samples img { image-rendering: pixelated; }
#fwd_strip .caption-label, #dn_gallery .caption-label, #dn_strip .caption-label { white-space: normal; }
/* Limits and Guidance: verdict captions under the picture (not over it), wrapped, never cut */
.verdicts .grid-wrap { padding-top: 2.4em; }
.verdicts .thumbnail-item.thumbnail-lg { aspect-ratio: auto; height: auto; display: flex; flex-direction: column; }
.verdicts .thumbnail-item.thumbnail-lg > img { aspect-ratio: 1 / 1; height: auto; }
.verdicts .thumbnail-item .caption-label { position: static; white-space: normal; overflow: visible;
  text-overflow: clip; max-width: none; border: none; border-radius: 0; }
#limit_explain { max-height: 470px; overflow-y: auto; }
"""

TABS = (generate, compare, limits, forward, guidance, train, model)  # the order a learner meets the ideas


def build_demo(registry: ModelRegistry) -> gr.Blocks:
    with gr.Blocks(title="Diffusion playground") as demo:
        # the model menu beside the title, not under it: a row less above every tab (Compare's grid and its
        # scrubber fit above the fold of a 1000 px high screen)
        with gr.Row(equal_height=True):
            with gr.Column(scale=3):
                gr.Markdown("# Diffusion playground\nSee how text-to-image diffusion works, step by step, on a model "
                            "small enough to run on a laptop CPU.")
            with gr.Column(scale=1, min_width=220, visible=len(registry.names) > 1):
                model_dropdown = gr.Dropdown(registry.names, value=registry.default, label="Model", elem_id="model",
                                             visible=len(registry.names) > 1)
        for tab in TABS:
            end_session = tab.build(registry, model_dropdown)  # a tab with per-session resources says how to free them
            if end_session is not None:
                demo.unload(end_session)
    return demo
