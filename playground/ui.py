"""The layout: Blocks wiring components to the handlers. No logic lives here."""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines import SAMPLERS
from playground import handlers
from playground.components import Number, Slider
from playground.models import MODEL_QUEUE, ModelRegistry
from playground.ui_extra import build_extra_tabs

CSS = """
.pixelated img, #final img, #xt img, #x0 img, #extras img, #scrub_xt img, #scrub_x0 img, #grid img { image-rendering: pixelated; }
"""

COMPARE_INTRO = """\
**Compare samplers.** A sampler decides how to walk from noise to image with the model's guesses: how big each
step is, whether it reuses earlier guesses, whether it adds fresh noise. Here every sampler gets the same prompt,
seed and starting noise, at several step counts. Cost is counted in **model evaluations**: Heun, DPM2 and
DPM++ SDE call the model twice per step.
"""

PLOT_EXPLAINER = """\
**What the plot shows.** Each line is one sampler; each point is one step count, placed by how many times it
called the model. Height is how far its picture is from a reference made with many steps (the picture the
deterministic samplers all converge to). Solid lines fall and then flatten: more steps help, up to a point, and
good samplers (DPM++ 2M, UniPC) get there in fewer evaluations. Dashed lines are samplers that add fresh noise
every step (Euler a, DPM2 a, SDE, DDPM): they do not converge to the reference; more steps give a *different*
picture, not a sharper one. For comparison, the DPM-Solver authors report images "almost converged" at 20 steps
and "converged" at 50 on real models (LuChengTHU/dpm-solver README).
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
                        steps = Slider(1, 150, value=20, step=1, label="Steps", elem_id="steps")
                    with gr.Row():
                        guidance = Slider(0, 30, value=pipe.config.default_guidance_scale, step=0.5,
                                          label="Guidance scale", elem_id="guidance")
                        n_images = Slider(1, 8, value=1, step=1, label="Images", elem_id="n_images")
                    with gr.Row():
                        seed = Number(value=7, precision=None, step=1, minimum=0, maximum=handlers.MAX_SEED, label="Seed",
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
                    # two pictures a row, not stretched to the row: one picture is shown whole, not scrolled
                    final = gr.Gallery(label="Result (PNGs carry their settings)", columns=2, fit_columns=False,
                                       height=400, elem_id="final", format="png", interactive=False,
                                       object_fit="contain")
                    info = gr.Markdown(elem_id="info")
            gr.Markdown("### Every step")
            xt_gallery = gr.Gallery(label="x_t: what the sampler holds after each step", columns=10, height=190,
                                    elem_id="xt", interactive=False, object_fit="contain")
            x0_gallery = gr.Gallery(label="x̂0: the model's guess of the final image at each step", columns=10,
                                    height=190, elem_id="x0", interactive=False, object_fit="contain")
            extras_gallery = gr.Gallery(label="Predicted noise and guidance direction (cond − uncond)", columns=10,
                                        height=190, elem_id="extras", interactive=False, object_fit="contain")
            with gr.Row():
                step_slider = Slider(0, 1, value=0, step=1, label="Scrub through the steps of the last run",
                                     elem_id="step_slider", interactive=False)
                gif_btn = gr.Button("Download the steps as an animated GIF", elem_id="gif_button")
            with gr.Row():
                scrub_xt = gr.Image(label="x_t", elem_id="scrub_xt", height=200, interactive=False)
                scrub_x0 = gr.Image(label="x̂0", elem_id="scrub_x0", height=200, interactive=False)
                with gr.Column():
                    scrub_caption = gr.Markdown(elem_id="scrub_caption")
                    gif_file = gr.File(label="GIF", elem_id="gif_file", interactive=False)
            pics = gr.State(None)

        with gr.Tab("Compare samplers", id="compare", elem_id="tab_compare"):
            gr.Markdown(COMPARE_INTRO)
            with gr.Row():
                with gr.Column(scale=2):
                    c_prompt = gr.Textbox(label="Prompt", value="a yellow triangle on the left, white background",
                                          elem_id="c_prompt")
                    c_negative = gr.Textbox(label="Negative prompt", value="", elem_id="c_negative")
                    c_samplers = gr.Dropdown(samplers, value=["Euler", "Euler a", "Heun", "DPM++ 2M"], multiselect=True,
                                             label="Samplers", elem_id="c_samplers")
                    c_steps = gr.Textbox(label="Step counts (comma-separated, up to 6)", value="5, 10, 20",
                                         elem_id="c_steps")
                    with gr.Row():
                        c_guidance = Slider(0, 30, value=pipe.config.default_guidance_scale, step=0.5,
                                            label="Guidance scale", elem_id="c_guidance")
                        c_seed = Number(value=7, precision=None, step=1, minimum=0, maximum=handlers.MAX_SEED, label="Seed",
                                        elem_id="c_seed")
                    c_run = gr.Button("Compare", variant="primary", elem_id="compare")
                    c_note = gr.Markdown(elem_id="c_note")
                with gr.Column(scale=3):
                    c_plot = gr.Plot(label="Convergence", elem_id="c_plot")
                    gr.Markdown(PLOT_EXPLAINER)
            c_grid_image = gr.Image(label="Sampler × steps", elem_id="grid_image", interactive=False, format="png",
                                    show_label=True)
            c_grid = gr.Gallery(label="The same cells one by one (rows: samplers; columns: step counts)", columns=3,
                                height=320, elem_id="grid", interactive=False, object_fit="contain")
            with gr.Row():
                c_scrub = Slider(0, 100, value=100, step=1, label="Scrub all cells together (% of each schedule)",
                                 elem_id="c_scrub")
                c_which = gr.Radio(["x̂0 (model's guess)", "x_t (noisy sample)"], value="x̂0 (model's guess)",
                                   label="Show", elem_id="c_which")
            c_state = gr.State(None)

        build_extra_tabs(registry, model)  # Limits, Forward diffusion, Guidance and seeds

        with gr.Tab("Model", id="model_tab", elem_id="tab_model"):
            card = gr.Markdown(handlers.model_card(registry, registry.default), elem_id="model_card")

        # ---- wiring
        gen_event = run.click(
            partial(handlers.generate, registry),
            inputs=[model, prompt, negative, sampler, steps, guidance, seed, n_images, show_extras],
            outputs=[final, xt_gallery, x0_gallery, extras_gallery, info, pics, step_slider],
            api_name="generate", concurrency_id=MODEL_QUEUE,
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
        c_event = c_run.click(
            partial(handlers.compare, registry),
            inputs=[model, c_prompt, c_negative, c_samplers, c_steps, c_guidance, c_seed],
            outputs=[c_grid_image, c_grid, c_plot, c_state, c_note], api_name="compare", concurrency_id=MODEL_QUEUE,
        )
        c_steps.change(handlers.grid_columns, inputs=c_steps, outputs=c_grid, api_name=False, show_progress="hidden")
        c_scrub.input(handlers.scrub_grid, inputs=[c_state, c_scrub, c_which], outputs=[c_grid_image, c_grid],
                      api_name="scrub_grid",
                        show_progress="hidden")
        c_which.change(handlers.scrub_grid, inputs=[c_state, c_scrub, c_which], outputs=[c_grid_image, c_grid],
                       api_name=False,
                       show_progress="hidden")
        model.change(partial(handlers.model_card, registry), inputs=model, outputs=card, api_name="model_card")
    return demo
