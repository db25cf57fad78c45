"""The layout: Blocks wiring components to the handlers. No logic lives here."""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines import SAMPLERS
from playground import handlers
from playground.models import ModelRegistry

CSS = """
.pixelated img, #final img, #xt img, #x0 img, #extras img, #scrub_xt img, #scrub_x0 img, #grid img { image-rendering: pixelated; }
"""

GENERATE_INTRO = """\
**Generate.** A diffusion model starts from pure noise and removes a little of it at every step, guided by your
prompt. Watch both rows as it runs: **x_t** is what the sampler holds now (noise turning into a picture), and
**x̂0** is the model's current guess of the finished image, which firms up long before the noise is gone.
"""


def build_demo(registry: ModelRegistry) -> gr.Blocks:
    pipe = registry.get(None)
    samplers = list(SAMPLERS)
    with gr.Blocks(title="Diffusion playground") as demo:
        gr.Markdown("# Diffusion playground\nSee how text-to-image diffusion works, step by step, on a model "
                    "small enough to run on a laptop CPU.")
        model = gr.Dropdown(registry.names, value=registry.default, label="Model", elem_id="model",
                            visible=len(registry.names) > 1)
        with gr.Tab("Generate", id="generate", elem_id="tab_generate"):
            gr.Markdown(GENERATE_INTRO)
            with gr.Row():
                with gr.Column(scale=2):
                    prompt = gr.Textbox(label="Prompt", value="three red circles on a blue background", lines=2,
                                        elem_id="prompt")
                    negative = gr.Textbox(label="Negative prompt (what to steer away from)", value="",
                                          elem_id="negative")
                    with gr.Row():
                        sampler = gr.Dropdown(samplers, value=pipe.config.default_sampler, label="Sampler",
                                              elem_id="sampler")
                        steps = gr.Slider(1, 150, value=20, step=1, label="Steps", elem_id="steps")
                    with gr.Row():
                        guidance = gr.Slider(0, 30, value=pipe.config.default_guidance_scale, step=0.5,
                                             label="Guidance scale", elem_id="guidance")
                        n_images = gr.Slider(1, 8, value=1, step=1, label="Images", elem_id="n_images")
                    with gr.Row():
                        seed = gr.Number(value=7, precision=0, minimum=0, maximum=handlers.MAX_SEED, label="Seed",
                                         elem_id="seed")
                        dice = gr.Button("🎲 Random seed", elem_id="random_seed", size="sm")
                    show_extras = gr.Checkbox(False, label="Also show the predicted noise and the guidance direction",
                                              elem_id="show_extras")
                    with gr.Row():
                        run = gr.Button("Generate", variant="primary", elem_id="generate")
                        stop = gr.Button("Stop", variant="stop", elem_id="stop")
                    png_in = gr.File(label="Drop a PNG made here (or in AUTOMATIC1111) to restore its settings",
                                     file_types=[".png"], elem_id="png_in", height=90)
                with gr.Column(scale=3):
                    final = gr.Gallery(label="Result (PNGs carry their settings)", columns=4, height=300,
                                       elem_id="final", format="png", interactive=False)
                    info = gr.Markdown(elem_id="info")
            gr.Markdown("### Every step")
            xt_gallery = gr.Gallery(label="x_t: what the sampler holds after each step", columns=10, height=190,
                                    elem_id="xt", interactive=False)
            x0_gallery = gr.Gallery(label="x̂0: the model's guess of the final image at each step", columns=10,
                                    height=190, elem_id="x0", interactive=False)
            extras_gallery = gr.Gallery(label="Predicted noise and guidance direction (cond − uncond)", columns=10,
                                        height=190, elem_id="extras", interactive=False)
            with gr.Row():
                step_slider = gr.Slider(0, 1, value=0, step=1, label="Scrub through the steps of the last run",
                                        elem_id="step_slider", interactive=False)
                gif_btn = gr.Button("Download the steps as an animated GIF", elem_id="gif_button")
            with gr.Row():
                scrub_xt = gr.Image(label="x_t", elem_id="scrub_xt", height=200, interactive=False)
                scrub_x0 = gr.Image(label="x̂0", elem_id="scrub_x0", height=200, interactive=False)
                with gr.Column():
                    scrub_caption = gr.Markdown(elem_id="scrub_caption")
                    gif_file = gr.File(label="GIF", elem_id="gif_file", interactive=False)
            pics = gr.State(None)

        # ---- wiring
        gen_event = run.click(
            partial(handlers.generate, registry),
            inputs=[model, prompt, negative, sampler, steps, guidance, seed, n_images, show_extras],
            outputs=[final, xt_gallery, x0_gallery, extras_gallery, info, pics, step_slider],
            api_name="generate",
        )
        gen_event.then(handlers.scrub, inputs=[pics, step_slider], outputs=[scrub_xt, scrub_x0, scrub_caption],
                       api_name=False)
        stop.click(None, cancels=[gen_event], api_name=False)
        dice.click(handlers.random_seed, outputs=seed, api_name="random_seed")
        step_slider.change(handlers.scrub, inputs=[pics, step_slider], outputs=[scrub_xt, scrub_x0, scrub_caption],
                           api_name="scrub", show_progress="hidden")
        gif_btn.click(handlers.export_gif, inputs=pics, outputs=gif_file, api_name="export_gif")
        png_in.upload(handlers.restore_from_png, inputs=png_in,
                      outputs=[prompt, negative, sampler, steps, guidance, seed], api_name="restore_png")
    return demo
