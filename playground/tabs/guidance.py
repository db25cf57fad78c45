"""The Guidance and seeds tab: one prompt and seed over several guidance scales (the guidance strip), and one
prompt over many seeds (the seed grid).

The strip is ``playground.lab.guidance_strip``, the grid a run over seeds (``playground.lab.runs``); here they
become gallery items and markdown.
"""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines.limits import MAX_GUIDANCE
from playground.bounds import MAX_SCALES, MAX_SEEDS
from playground.components import guidance_slider, sampler_dropdown, seed_box, seed_count_slider, steps_slider
from playground.feedback import user_errors, warn
from playground.lab.guidance_strip import DEFAULT_SCALES, iter_guidance_strip
from playground.lab.runs import DEFAULT_SEEDS, check_seed_count, iter_seed_grid
from playground.parsing import number_text, parse_scales
from playground.pictures import gallery
from playground.registry import MODEL_QUEUE, ModelRegistry

INTRO = """\
**Guidance and seeds.** The guidance scale sets how hard each step is pushed toward the prompt; the seed picks
the starting noise, and with it one picture out of everything the prompt could mean. Run a guidance strip to see
the first, and a seed grid to see the second.
"""

EXPLAINER = """\
**How to read the strip.** Every picture has the same prompt, seed and starting noise; only the guidance scale
changes. At each step the model predicts twice, once with the prompt and once without, and the sampler follows
*without + scale × (with − without)*.
**0** ignores the prompt altogether: you see what the model draws when told nothing.
**Between 0 and 1** blends the two predictions, from the unconditional picture toward the prompt's. (diffusers'
own pipelines switch guidance off at 1 or less, so there 0.5 gives the same picture as 1; here it does not.)
**1** is the plain conditional model, with no push.
**2 to 7** push toward what makes the prompt's picture differ from a picture of nothing: usually the prompt is
followed better.
**High values (10 and up)** exaggerate that difference: colours saturate, edges harden, and far enough the picture
breaks. *Saturation* under each picture is the mean colour saturation (0 = grey, 1 = pure colour).
"""


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Guidance and seeds tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    with gr.Tab("Guidance and seeds", id="guidance", elem_id="tab_guidance"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox("a red circle left of a blue square on a white background", label="Prompt",
                                    elem_id="g_prompt")
                negative = gr.Textbox("", label="Negative prompt", elem_id="g_negative")
                with gr.Row():
                    sampler = sampler_dropdown(pipe.config.default_sampler, "g_sampler")
                    steps = steps_slider("g_steps")
            with gr.Column(scale=3):
                gr.Markdown(EXPLAINER)

        gr.Markdown("### Guidance strip: one seed, several scales")
        with gr.Row():
            scales = gr.Textbox(", ".join(f"{s:g}" for s in DEFAULT_SCALES),
                                label=f"Guidance scales (comma-separated, up to {MAX_SCALES}, each 0 to "
                                      f"{number_text(MAX_GUIDANCE)})",
                                elem_id="g_scales")
            strip_seed = seed_box("g_seed")
            strip_run = gr.Button("Run the guidance strip", variant="primary", elem_id="guidance_sweep")
        strip = gr.Gallery(label="Same prompt and seed; guidance grows to the right", columns=8, height=200,
                           format="png", interactive=False,
                           object_fit="contain", elem_id="g_strip", fit_columns=False,
                           elem_classes=["pixelated"])
        strip_note = gr.Markdown(elem_id="g_note")
        strip_run.click(partial(guidance_sweep, registry),
                        inputs=[model, prompt, negative, scales, strip_seed, sampler, steps],
                        outputs=[strip, strip_note], api_name="guidance_sweep", concurrency_id=MODEL_QUEUE)

        gr.Markdown("### Seed grid: one scale, many seeds")
        with gr.Row():
            grid_seeds = seed_count_slider("s_seeds", DEFAULT_SEEDS, f"Seeds (up to {MAX_SEEDS})")
            grid_first = seed_box("s_first_seed", value=0, label="First seed")
            grid_guidance = guidance_slider(pipe.config.default_guidance_scale, "s_guidance")
            grid_run = gr.Button("Run the seed grid", variant="primary", elem_id="seed_grid")
        grid = gr.Gallery(label="Same prompt and settings; one picture per seed", columns=8, height=420,
                          format="png", interactive=False,
                          object_fit="contain", elem_id="s_grid", elem_classes=["pixelated"])
        spread = gr.Markdown(elem_id="s_spread")
        grid_run.click(partial(seed_grid, registry),
                       inputs=[model, prompt, negative, grid_seeds, grid_first, sampler, steps, grid_guidance],
                       outputs=[grid, spread], api_name="seed_grid", concurrency_id=MODEL_QUEUE)


# --------------------------------------------------------------------------- handlers

def guidance_sweep(registry: ModelRegistry, model, prompt, negative, scales, seed, sampler, steps,
                   progress=gr.Progress()):
    """One prompt and seed at several guidance scales. Yields (strip, note)."""
    strip = None
    with user_errors():
        _name, pipe = registry.pick(model)
        n = len(parse_scales(scales))
        for strip in iter_guidance_strip(pipe, prompt or "", negative or "", seed, scales, sampler, steps):
            progress((len(strip.images), n), desc="guidance scales")
            yield gallery(strip.items()), f"Running: {len(strip.images)} of {n} scales done…"
    warn(strip.warnings)
    yield gallery(strip.items()), (f"Prompt `{strip.prompt}`, seed {strip.seed}, {int(steps)} steps, "
                                   f"sampler {sampler or pipe.config.default_sampler}: only the guidance scale "
                                   f"changes.")


def seed_grid(registry: ModelRegistry, model, prompt, negative, n_seeds, first_seed, sampler, steps, guidance,
              progress=gr.Progress()):
    """One prompt over N seeds. Yields (grid, spread)."""
    grid = None
    with user_errors():
        _name, pipe = registry.pick(model)
        n = check_seed_count(n_seeds)
        for grid in iter_seed_grid(pipe, prompt or "", negative or "", n, first_seed, sampler, steps, guidance):
            progress((len(grid.images), n), desc="seeds")
            yield gallery(grid.items()), f"Running: {len(grid.images)} of {n} seeds done…"
    warn(grid.warnings)
    yield gallery(grid.items()), grid.spread_markdown()
