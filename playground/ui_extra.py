"""Layout of the Limits, Forward diffusion and Guidance and seeds tabs. No logic lives here.

Call ``build_extra_tabs(registry, model_dropdown)`` inside the app's ``gr.Blocks`` (between the Compare and
Model tabs); it adds the three tabs and wires them to ``handlers_extra``.
"""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines import SAMPLERS
from playground import forward as fwd
from playground import guidance as gd
from playground import handlers_extra as hx
from playground import limits
from playground.components import Number, Slider
from playground.models import MODEL_QUEUE, ModelRegistry

LIMITS_INTRO = """\
**Limits.** A diffusion model draws by removing noise in the direction of patterns it has learned; it never reads
the prompt as a plan and checks the result. That is why it struggles with exact text, precise counts, small
details, spatial relations, the same thing across images and prompts that combine several ideas. Pick a limit and
a prompt, run it over many seeds, and read how often it bites.
"""

FORWARD_INTRO = """\
**Forward diffusion.** Training teaches the model to undo noise, so first the noise is added on purpose: step t of
the forward process keeps a share ᾱ_t of the picture and fills the rest with Gaussian noise, until at the last
step almost nothing is left. Move t to see it, then let the model denoise from there and see what it recovers and
what it invents.
"""

SCHEDULE_EXPLAINER = """\
**The noise schedule.** ᾱ_t falls from 1 (clean) to almost 0 (pure noise). The signal-to-noise ratio spans many
powers of ten, so it is drawn on a log scale; where it crosses 1, signal and noise are equally strong. σ_t is the
same schedule written as "how many times stronger is the noise than the picture", the form the Euler, Heun and
DPM++ samplers step through. The dashed line is the t chosen above.
"""

DENOISE_EXPLAINER = """\
**Denoise from here.** The picture is noised to t (with the seed above), then the sampler runs only the steps of
its schedule at or below t. From a small t the model only cleans up: the picture comes back. From a large t little
of the picture is left, so the model invents: layout and colours come from the prompt and from what the noise
leans toward. The row shows the noised start and the model's guess x̂0 after each step.
"""

GUIDANCE_INTRO = """\
**Guidance and seeds.** The guidance scale sets how hard each step is pushed toward the prompt; the seed picks
the starting noise, and with it one picture out of everything the prompt could mean. Run a guidance strip to see
the first, and a seed grid to see the second.
"""


def build_extra_tabs(registry: ModelRegistry, model_dropdown: gr.Dropdown) -> None:
    """Add the Limits, Forward diffusion and Guidance and seeds tabs to the current Blocks."""
    pipe = registry.get(None)
    samplers = list(SAMPLERS)
    default_sampler = pipe.config.default_sampler
    default_guidance = pipe.config.default_guidance_scale
    top_t = fwd.num_train_timesteps(pipe) - 1

    # ------------------------------------------------------------------ Limits
    first_group = limits.GROUPS["counts"]
    first_preset = first_group.presets[0]
    _key, explain0, target0, _visible = hx.preset_info(first_preset.key)
    with gr.Tab("Limits", id="limits", elem_id="tab_limits"):
        gr.Markdown(LIMITS_INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                l_group = gr.Radio([(g.title, g.key) for g in limits.GROUPS.values()], value=first_group.key,
                                   label="Limit", elem_id="limit_group")
                l_preset = gr.Radio([(p.prompt, p.key) for p in first_group.presets], value=first_preset.key,
                                    label="Prompt", elem_id="limit_preset")
                # The selected preset's key: what the run buttons (and API callers) send; any preset of any group.
                l_key = gr.Textbox(first_preset.key, visible=False, elem_id="limit_preset_key")
                with gr.Row():
                    l_seeds = Slider(1, limits.MAX_SEEDS, value=limits.DEFAULT_SEEDS, step=1,
                                     label=f"Seeds (up to {limits.MAX_SEEDS})", elem_id="limit_seeds")
                    l_first = Number(value=0, precision=None, step=1, minimum=0, label="First seed",
                                     elem_id="limit_first_seed")
                with gr.Row():
                    l_sampler = gr.Dropdown(samplers, value=default_sampler, label="Sampler", elem_id="limit_sampler")
                    l_steps = Slider(1, 150, value=20, step=1, label="Steps", elem_id="limit_steps")
                    l_guidance = Slider(0, 30, value=default_guidance, step=0.5, label="Guidance scale",
                                        elem_id="limit_guidance")
                l_run = gr.Button("Run over the seeds", variant="primary", elem_id="run_preset")
            with gr.Column(scale=3):
                with gr.Row():
                    l_target = gr.Image(target0, label="The world's own picture of this caption", height=160,
                                        width=160, interactive=False, format="png", elem_id="limit_target",
                                        elem_classes=["pixelated"])
                l_explain = gr.Markdown(explain0, elem_id="limit_explain")
        l_scores = gr.Markdown(elem_id="limit_scores")
        l_grid = gr.Gallery(label="One picture per seed (✓/✗: what the judge saw)", columns=8, height=420,
                            format="png", interactive=False,
                            object_fit="contain", elem_id="limit_grid", elem_classes=["pixelated"])
        with gr.Group(visible=True, elem_id="count_group") as count_row:
            gr.Markdown("**Count sweep.** The same counting prompt for every count from 1 to 9, each over the seeds "
                        "below, with the share that came out exactly right.")
            with gr.Row():
                c_seeds = Slider(1, limits.MAX_SEEDS, value=8, step=1, label="Seeds per count",
                                 elem_id="count_seeds")
                c_run = gr.Button("Count accuracy 1 to 9", elem_id="count_sweep")
            c_plot = gr.Plot(label="Count accuracy", elem_id="count_plot")
            c_table = gr.Markdown(elem_id="count_table")
            c_examples = gr.Gallery(label="The first seed's picture for each count", columns=9, height=170,
                                    format="png", interactive=False,
                                    object_fit="contain", elem_id="count_examples", fit_columns=False,
                                    elem_classes=["pixelated"])

    # ------------------------------------------------------------------ Forward diffusion
    examples = fwd.example_names()
    init_t = min(250, top_t)
    orig0, noisy0, preview0, info0 = hx.forward(registry, None, examples[0], None, init_t, 0)
    with gr.Tab("Forward diffusion", id="forward", elem_id="tab_forward"):
        gr.Markdown(FORWARD_INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                f_example = gr.Radio(examples, value=examples[0], label="Example picture (from the synthetic world)",
                                     elem_id="fwd_example")
                f_upload = gr.File(label=f"…or upload a picture (PNG, JPEG, WebP; at most {fwd.MAX_UPLOAD_SIDE}×"
                                         f"{fwd.MAX_UPLOAD_SIDE} px, {fwd.MAX_UPLOAD_BYTES // 2**20} MB)",
                                   file_types=["image"], type="filepath", height=90, elem_id="fwd_upload")
                f_t = Slider(0, top_t, value=init_t, step=1, label="Noise level t", elem_id="fwd_t")
                f_seed = Number(value=0, precision=None, step=1, minimum=0, label="Noise seed", elem_id="fwd_seed")
            with gr.Column(scale=3):
                with gr.Row():
                    f_original = gr.Image(orig0, label="x_0 (at the model's size)", height=200, interactive=False,
                                          format="png", elem_id="fwd_original", elem_classes=["pixelated"])
                    f_noisy = gr.Image(noisy0, label="x_t (decoded)", height=200, interactive=False, format="png",
                                       elem_id="fwd_noisy", elem_classes=["pixelated"])
                    f_preview = gr.Image(preview0, label="x_t (cheap preview)", height=200, interactive=False,
                                         format="png", elem_id="fwd_preview", elem_classes=["pixelated"])
                f_info = gr.Markdown(info0, elem_id="fwd_info")
        with gr.Row():
            f_ts = gr.Textbox(", ".join(str(t) for t in fwd.DEFAULT_STRIP if t <= top_t),
                              label=f"Strip: noise levels t (comma-separated, up to {fwd.MAX_STRIP})",
                              elem_id="fwd_ts")
            f_strip_btn = gr.Button("Show the strip", elem_id="fwd_strip_button")
        f_strip = gr.Gallery(label="The same picture and noise at several t", columns=6, height=180, format="png",
                             interactive=False,
                             object_fit="contain", elem_id="fwd_strip", fit_columns=False, elem_classes=["pixelated"])
        f_plot = gr.Plot(fwd.schedule_plot(pipe, init_t), label="Noise schedule", elem_id="fwd_schedule")
        gr.Markdown(SCHEDULE_EXPLAINER)
        gr.Markdown("### Denoise from here")
        gr.Markdown(DENOISE_EXPLAINER)
        with gr.Row():
            with gr.Column(scale=2):
                d_prompt = gr.Textbox(examples[0], label="Prompt", elem_id="dn_prompt")
                d_negative = gr.Textbox("", label="Negative prompt", elem_id="dn_negative")
                with gr.Row():
                    d_sampler = gr.Dropdown(samplers, value=default_sampler, label="Sampler", elem_id="dn_sampler")
                    d_steps = Slider(1, 150, value=20, step=1, label="Steps (whole schedule)", elem_id="dn_steps")
                    d_guidance = Slider(0, 30, value=default_guidance, step=0.5, label="Guidance scale",
                                        elem_id="dn_guidance")
                with gr.Row():
                    d_run = gr.Button("Denoise from t", variant="primary", elem_id="denoise_from")
                    d_strip_btn = gr.Button("From several noise levels", elem_id="denoise_strip")
                d_ts = gr.Textbox(", ".join(str(t) for t in fwd.DEFAULT_DENOISE_STRIP if t <= top_t),
                                  label=f"Noise levels to start from (up to {fwd.MAX_STRIP // 2})", elem_id="dn_ts")
            with gr.Column(scale=3):
                d_final = gr.Image(label="What came back", height=200, interactive=False, format="png",
                                   elem_id="dn_final", elem_classes=["pixelated"])
                d_info = gr.Markdown(elem_id="dn_info")
        d_steps_gallery = gr.Gallery(label="Original, noised start, and the model's guess x̂0 after each step",
                                     columns=10, height=190, format="png", interactive=False,
                                     object_fit="contain", elem_id="dn_gallery",
                                     fit_columns=False,
                                     elem_classes=["pixelated"])
        d_strip = gr.Gallery(label="Per noise level: the noised start (left) and what came back (right)", columns=2,
                             height=420, format="png", interactive=False, object_fit="contain", elem_id="dn_strip",
                             elem_classes=["pixelated"])

    # ------------------------------------------------------------------ Guidance and seeds
    with gr.Tab("Guidance and seeds", id="guidance", elem_id="tab_guidance"):
        gr.Markdown(GUIDANCE_INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                g_prompt = gr.Textbox("a red circle left of a blue square on a white background", label="Prompt",
                                      elem_id="g_prompt")
                g_negative = gr.Textbox("", label="Negative prompt", elem_id="g_negative")
                with gr.Row():
                    g_sampler = gr.Dropdown(samplers, value=default_sampler, label="Sampler", elem_id="g_sampler")
                    g_steps = Slider(1, 150, value=20, step=1, label="Steps", elem_id="g_steps")
            with gr.Column(scale=3):
                gr.Markdown(gd.EXPLAINER)
        gr.Markdown("### Guidance strip: one seed, several scales")
        with gr.Row():
            g_scales = gr.Textbox(", ".join(f"{s:g}" for s in gd.DEFAULT_SCALES),
                                  label=f"Guidance scales (comma-separated, up to {gd.MAX_SCALES}, each 0 to 30)",
                                  elem_id="g_scales")
            g_seed = Number(value=7, precision=None, step=1, minimum=0, label="Seed", elem_id="g_seed")
            g_run = gr.Button("Run the guidance strip", variant="primary", elem_id="guidance_sweep")
        g_strip = gr.Gallery(label="Same prompt and seed; guidance grows to the right", columns=8, height=200,
                             format="png", interactive=False,
                             object_fit="contain", elem_id="g_strip", fit_columns=False,
                             elem_classes=["pixelated"])
        g_note = gr.Markdown(elem_id="g_note")
        gr.Markdown("### Seed grid: one scale, many seeds")
        with gr.Row():
            s_n = Slider(1, limits.MAX_SEEDS, value=limits.DEFAULT_SEEDS, step=1,
                         label=f"Seeds (up to {limits.MAX_SEEDS})", elem_id="s_seeds")
            s_first = Number(value=0, precision=None, step=1, minimum=0, label="First seed", elem_id="s_first_seed")
            s_guidance = Slider(0, 30, value=default_guidance, step=0.5, label="Guidance scale",
                                elem_id="s_guidance")
            s_run = gr.Button("Run the seed grid", variant="primary", elem_id="seed_grid")
        s_grid = gr.Gallery(label="Same prompt and settings; one picture per seed", columns=8, height=420,
                            format="png", interactive=False,
                            object_fit="contain", elem_id="s_grid", elem_classes=["pixelated"])
        s_spread = gr.Markdown(elem_id="s_spread")

    # ------------------------------------------------------------------ wiring
    l_group.change(hx.group_choices, inputs=l_group, outputs=l_preset, api_name=False, show_progress="hidden")
    l_preset.change(hx.preset_info, inputs=l_preset, outputs=[l_key, l_explain, l_target, count_row], api_name=False,
                    show_progress="hidden")
    l_run.click(partial(hx.run_preset, registry),
                inputs=[model_dropdown, l_key, l_seeds, l_first, l_steps, l_sampler, l_guidance],
                outputs=[l_grid, l_scores], api_name="run_preset", concurrency_id=MODEL_QUEUE)
    c_run.click(partial(hx.count_sweep, registry),
                inputs=[model_dropdown, l_key, c_seeds, l_first, l_steps, l_sampler, l_guidance],
                outputs=[c_plot, c_table, c_examples], api_name="count_sweep", concurrency_id=MODEL_QUEUE)

    fwd_inputs = [model_dropdown, f_example, f_upload, f_t, f_seed]
    fwd_outputs = [f_original, f_noisy, f_preview, f_info]
    forward = partial(hx.forward, registry)
    f_t.release(forward, inputs=fwd_inputs, outputs=fwd_outputs, api_name="forward", show_progress="hidden")
    f_t.release(partial(hx.noise_schedule, registry), inputs=[model_dropdown, f_t], outputs=f_plot,
                api_name="noise_schedule", show_progress="hidden")
    f_example.change(forward, inputs=fwd_inputs, outputs=fwd_outputs, api_name=False, show_progress="hidden")
    f_example.change(lambda name: name, inputs=f_example, outputs=d_prompt, api_name=False, show_progress="hidden")
    f_upload.change(forward, inputs=fwd_inputs, outputs=fwd_outputs, api_name=False, show_progress="hidden")
    f_seed.change(forward, inputs=fwd_inputs, outputs=fwd_outputs, api_name=False, show_progress="hidden")
    f_strip_btn.click(partial(hx.forward_strip, registry),
                      inputs=[model_dropdown, f_example, f_upload, f_ts, f_seed], outputs=f_strip,
                      api_name="forward_strip")
    d_run.click(partial(hx.denoise_from, registry),
                inputs=[model_dropdown, f_example, f_upload, f_t, d_prompt, d_negative, d_sampler, d_steps,
                        d_guidance, f_seed],
                outputs=[d_steps_gallery, d_final, d_info], api_name="denoise_from", concurrency_id=MODEL_QUEUE)
    d_strip_btn.click(partial(hx.denoise_strip, registry),
                      inputs=[model_dropdown, f_example, f_upload, d_ts, d_prompt, d_negative, d_sampler, d_steps,
                              d_guidance, f_seed],
                      outputs=d_strip, api_name="denoise_strip", concurrency_id=MODEL_QUEUE)
    model_dropdown.change(partial(hx.noise_schedule, registry), inputs=[model_dropdown, f_t], outputs=f_plot,
                          api_name=False, show_progress="hidden")
    model_dropdown.change(forward, inputs=fwd_inputs, outputs=fwd_outputs, api_name=False, show_progress="hidden")

    g_run.click(partial(hx.guidance_sweep, registry),
                inputs=[model_dropdown, g_prompt, g_negative, g_scales, g_seed, g_sampler, g_steps],
                outputs=[g_strip, g_note], api_name="guidance_sweep", concurrency_id=MODEL_QUEUE)
    s_run.click(partial(hx.seed_grid, registry),
                inputs=[model_dropdown, g_prompt, g_negative, s_n, s_first, g_sampler, g_steps, s_guidance],
                outputs=[s_grid, s_spread], api_name="seed_grid", concurrency_id=MODEL_QUEUE)
