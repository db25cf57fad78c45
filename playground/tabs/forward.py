"""The Forward diffusion tab: a picture noised to step t (and the noise schedule), then denoised from there.

The noising and the schedule are ``playground.lab.forward_process``, denoising from t is
``playground.lab.denoise``; here they become images, gallery items and markdown.
"""
from __future__ import annotations

from functools import partial

import gradio as gr
from PIL import Image

from pipelines import PlaygroundInputError
from pipelines.preview import preview_words
from playground.bounds import MAX_STRIP, MAX_UPLOAD_BYTES, MAX_UPLOAD_SIDE
from playground.components import Slider, guidance_slider, sampler_dropdown, seed_box, steps_slider
from playground.feedback import user_error, user_errors, warn, warn_read_as_typed
from playground.files import load_upload, upload_path
from playground.lab import denoise, forward_process
from playground.lab.judging import judge_ticks, world_of
from playground.pictures import fit_to_size, for_gallery, gallery, view
from playground.plots import schedule_plot
from playground.registry import MODEL_QUEUE, ModelRegistry
from playground.world_prompts import examples_world
from playground.streaming import RunControl, ahead, request_stop, stopped_text

INTRO = """\
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
leans toward. The row shows the noised start and the model's guess x̂0 after each step (decoded by the
autoencoder, as the result is). Stop ends a long run where it is: its last guess becomes the result.
"""

# A Slider's number box sends its value on blur ("release") but ignores Enter. In this tab Enter commits the typed
# value as leaving the box does: the box is blurred, so t's release handlers (the picture, the schedule) run.
ENTER_COMMITS_JS = """
if (!window.fwdEnterCommits) {
  window.fwdEnterCommits = true;
  document.addEventListener('keydown', (e) => {
    const box = e.target;
    if (e.key === 'Enter' && box instanceof HTMLInputElement && box.type === 'number'
        && box.closest('#tab_forward') && box.closest('.block')?.querySelector('input[type=range]')) {
      e.preventDefault();
      box.blur();
    }
  });
}
"""


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Forward diffusion tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    top_t = forward_process.num_train_timesteps(pipe) - 1
    examples = forward_process.example_names(examples_world(registry, None))  # the default model's world's
    init_t = min(250, top_t)
    original0, noisy0, preview0, info0 = forward(registry, None, examples[0], None, init_t, 0)
    with gr.Tab("Forward diffusion", id="forward", elem_id="tab_forward"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                example = gr.Radio(examples, value=examples[0], label="Example picture (from the synthetic world)",
                                   elem_id="fwd_example")
                upload = gr.File(label=f"…or upload a picture (PNG, JPEG, WebP; at most {MAX_UPLOAD_SIDE}×"
                                       f"{MAX_UPLOAD_SIDE} px, {MAX_UPLOAD_BYTES // 2**20} MB)",
                                 file_types=["image"], type="filepath", height=130, elem_id="fwd_upload")
                t = Slider(0, top_t, value=init_t, step=1, label="Noise level t", elem_id="fwd_t")
                noise_seed = seed_box("fwd_seed", value=0, label="Noise seed")
                gr.HTML("", js_on_load=ENTER_COMMITS_JS, visible="hidden", elem_id="fwd_enter")
            with gr.Column(scale=3):
                with gr.Row():
                    original = gr.Image(original0, label="x_0 (at the model's size)", height=200, interactive=False,
                                        format="png", elem_id="fwd_original", elem_classes=["pixelated"])
                    noisy = gr.Image(noisy0, label="x_t (decoded)", height=200, interactive=False, format="png",
                                     elem_id="fwd_noisy", elem_classes=["pixelated"])
                    preview = gr.Image(preview0, label="x_t (cheap preview)", height=200, interactive=False,
                                       format="png", elem_id="fwd_preview", elem_classes=["pixelated"])
                info = gr.Markdown(info0, elem_id="fwd_info")
        show = partial(forward, registry)
        show_inputs, show_outputs = [model, example, upload, t, noise_seed], [original, noisy, preview, info]
        t.release(show, inputs=show_inputs, outputs=show_outputs, api_name="forward", show_progress="hidden")
        example.change(show, inputs=show_inputs, outputs=show_outputs, api_name=False, show_progress="hidden")
        upload.change(show, inputs=show_inputs, outputs=show_outputs, api_name=False, show_progress="hidden")
        noise_seed.change(show, inputs=show_inputs, outputs=show_outputs, api_name=False, show_progress="hidden")
        with gr.Row():
            strip_levels = gr.Textbox(", ".join(str(s) for s in forward_process.DEFAULT_STRIP if s <= top_t),
                                      label=f"Strip: noise levels t (comma-separated, up to {MAX_STRIP})",
                                      elem_id="fwd_ts")
            strip_button = gr.Button("Show the strip", elem_id="fwd_strip_button")
        strip = gr.Gallery(label="The same picture and noise at several t", columns=6, height=240, format="png",
                           interactive=False,
                           object_fit="contain", elem_id="fwd_strip", fit_columns=False, elem_classes=["pixelated"])
        strip_button.click(partial(forward_strip, registry), inputs=[model, example, upload, strip_levels, noise_seed],
                           outputs=strip, api_name="forward_strip")
        strip_levels.submit(partial(forward_strip, registry), inputs=[model, example, upload, strip_levels, noise_seed],
                            outputs=strip, api_name=False)
        # drawn when the page opens (a load event), not while the app starts: matplotlib's first figure costs ~0.5 s
        schedule = gr.Plot(partial(noise_schedule, registry), inputs=[model, t], label="Noise schedule",
                           elem_id="fwd_schedule")
        t.release(partial(noise_schedule, registry), inputs=[model, t], outputs=schedule,
                  api_name="noise_schedule", show_progress="hidden")
        model.change(partial(noise_schedule, registry), inputs=[model, t], outputs=schedule, api_name=False,
                     show_progress="hidden")
        # the model's world's example pictures (its first, if the one picked is another world's), then the picture
        model.change(partial(examples_shown, registry), inputs=[model, example], outputs=example, api_name=False,
                     show_progress="hidden", queue=False).then(show, inputs=show_inputs, outputs=show_outputs,
                                                               api_name=False, show_progress="hidden")
        gr.Markdown(SCHEDULE_EXPLAINER)

        gr.Markdown("### Denoise from here")
        gr.Markdown(DENOISE_EXPLAINER)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(examples[0], label="Prompt", elem_id="dn_prompt")
                example.change(lambda name: name, inputs=example, outputs=prompt, api_name=False,
                               show_progress="hidden")
                negative = gr.Textbox("", label="Negative prompt", elem_id="dn_negative")
                with gr.Row():
                    sampler = sampler_dropdown(pipe.config.default_sampler, "dn_sampler")
                    steps = steps_slider("dn_steps", label="Steps (whole schedule)")
                    guidance = guidance_slider(pipe.config.default_guidance_scale, "dn_guidance")
                with gr.Row():
                    run = gr.Button("Denoise from t", variant="primary", elem_id="denoise_from")
                    stop = gr.Button("Stop", variant="stop", elem_id="dn_stop")
                with gr.Row(equal_height=True):
                    levels = gr.Textbox(", ".join(str(s) for s in forward_process.DEFAULT_DENOISE_STRIP if s <= top_t),
                                        label=f"Noise levels to start from (up to {MAX_STRIP // 2})", elem_id="dn_ts",
                                        scale=2)
                    strip_run = gr.Button("From several noise levels", elem_id="denoise_strip", scale=1)
            with gr.Column(scale=3):
                final = gr.Image(label="What came back", height=200, interactive=False, format="png",
                                 elem_id="dn_final", elem_classes=["pixelated"])
                summary = gr.Markdown(elem_id="dn_info")
        steps_gallery = gr.Gallery(label="Original, noised start, and the model's guess x̂0 after each step",
                                   columns=10, height=290, format="png", interactive=False,
                                   object_fit="contain", elem_id="dn_gallery",
                                   fit_columns=False,
                                   elem_classes=["pixelated"])
        control = gr.State(None)  # the running denoise's RunControl, per user (see playground.streaming)
        run_args = dict(fn=partial(denoise_from, registry),
                        inputs=[model, example, upload, t, prompt, negative, sampler, steps, guidance, noise_seed],
                        outputs=[steps_gallery, final, summary, control], concurrency_id=MODEL_QUEUE,
                        show_progress="hidden")  # progress is told in the summary line, not over the pictures
        run.click(**run_args, api_name="denoise_from")
        prompt.submit(**run_args, api_name=False)  # Enter in the prompt runs it too
        negative.submit(**run_args, api_name=False)
        stop.click(request_stop, inputs=control, queue=False, api_name=False)
        back_strip = gr.Gallery(label="Per noise level: the noised start and what came back, side by side",
                                columns=6, height=470, format="png", interactive=False, object_fit="contain",
                                elem_id="dn_strip", elem_classes=["pixelated"])
        strip_args = dict(fn=partial(denoise_strip, registry),
                          inputs=[model, example, upload, levels, prompt, negative, sampler, steps, guidance,
                                  noise_seed],
                          outputs=back_strip, concurrency_id=MODEL_QUEUE)
        strip_run.click(**strip_args, api_name="denoise_strip")
        levels.submit(**strip_args, api_name=False)  # Enter in its box runs it


# --------------------------------------------------------------------------- handlers

def examples_shown(registry: ModelRegistry, model, example):
    """The example choices for the model's world, keeping the one picked if it is among them (else their first)."""
    with user_errors():
        names = forward_process.example_names(examples_world(registry, model))
    return gr.update(choices=names, value=example if example in names else names[0])


def _source(pipe, example, upload) -> tuple[Image.Image, object]:
    """The picture to noise (model-sized) and its scene when it is a bundled example (for the judge)."""
    if upload:
        return load_upload(upload_path(upload), pipe.default_size), None
    image = forward_process.example_image(example)
    return fit_to_size(image, pipe.default_size), forward_process.example_scene(example)


def _judged(name, pipe, example, scene) -> bool:
    """Whether the judge reads what came back: the picture is an example of the world the model draws (its
    caption is in that world's words)."""
    return scene is not None and forward_process.example_world(example) == world_of(name, pipe)


def forward(registry: ModelRegistry, model, example, upload, t, seed):
    """q(x_t | x_0) at one t: (original, x_t through the VAE, x_t as the cheap preview, explanation)."""
    with user_errors():
        _name, pipe = registry.pick(model)
        image, _scene = _source(pipe, example, upload)
        shown = forward_process.forward_view(pipe, image, t, seed)
    if shown.latent:
        how = ("This model works on VAE latents: the picture is encoded, its latents are noised, and the result is "
               f"shown decoded by the VAE (left) and through the cheap preview the step gallery uses (right): "
               f"{preview_words(pipe)}.")
    else:
        how = "This model works on pixels: x_t *is* the picture, so both views are the same."
    return view(shown.original), view(shown.decoded), view(shown.preview), shown.level.describe() + "\n\n" + how


def forward_strip(registry: ModelRegistry, model, example, upload, timesteps, seed):
    """x_t at several t with the same noise: a gallery."""
    with user_errors():
        _name, pipe = registry.pick(model)
        image, _scene = _source(pipe, example, upload)
        ts = forward_process.parse_timesteps(timesteps, pipe)
        return gallery(forward_process.forward_strip(pipe, image, ts, seed))


def noise_schedule(registry: ModelRegistry, model, t=None):
    with user_errors():
        _name, pipe = registry.pick(model)
    try:
        t = None if t is None else forward_process.check_t(t, pipe)
    except PlaygroundInputError:
        t = None
    return schedule_plot(pipe, t)


def denoise_from(registry: ModelRegistry, model, example, upload, t, prompt, negative, sampler, steps, guidance, seed):
    """Noise the picture to t, then run the sampler from there, on a thread of its own (``streaming.ahead``).

    Yields (steps gallery, final, summary, run control): the first update puts a fresh RunControl in the tab's
    state for the Stop button; progress is told in the summary line, not over the pictures. Stopped, the last
    update holds the partial run, its last x̂0 decoded as the result, and "Stopped at step k of n."."""
    with user_errors():
        name, pipe = registry.pick(model)
        image, scene = _source(pipe, example, upload)
    warn_read_as_typed(prompt)
    control = RunControl()
    yield gr.skip(), gr.skip(), "Noising the picture, then denoising…", control
    result = None
    try:
        run = denoise.iter_denoise_from(pipe, image, t, prompt or "", negative or "", sampler, steps, guidance, seed)
        for batch in ahead(run, control):
            if batch:
                result = batch[-1]
                yield (_denoise_items(result), gr.skip(), f"Denoising from t={result.t}: step {result.steps_run} "
                       f"done (the whole schedule has {result.total_steps})…", gr.skip())
    except PlaygroundInputError as e:
        yield gr.skip(), gr.skip(), f"Not run: {e}", gr.skip()
        raise user_error(e) from None
    if result is None:  # stopped before the first step
        yield gr.skip(), gr.skip(), "Stopped before the first step.", gr.skip()
        return
    if not result.finished:
        result = denoise.stopped_result(pipe, result)
        yield (_denoise_items(result), view(result.final),
               stopped_text(result.steps_run, result.total_steps) + " " + result.summary(), gr.skip())
        return
    warn(result.warnings)
    summary = result.summary()
    if _judged(name, pipe, example, scene) and result.start_timestep is not None:
        summary += "\n\n**Judged against the example's caption:** " + judge_ticks(result.final, scene)
    yield _denoise_items(result), view(result.final), summary, gr.skip()


def _denoise_items(result: denoise.DenoiseResult):
    start_t = result.t if result.start_timestep is None else result.start_timestep
    return gallery([(result.original, "original"), (result.start, f"noised to t={start_t:.0f}")]
                   + [(x0, caption) for _xt, x0, caption in result.steps])


def denoise_strip(registry: ModelRegistry, model, example, upload, timesteps, prompt, negative, sampler, steps,
                  guidance, seed, progress=gr.Progress()):
    """Denoise from several noise levels: per t, the noised start and what came back (one row each)."""
    items = []
    with user_errors():
        name, pipe = registry.pick(model)
        image, scene = _source(pipe, example, upload)
        judge = _judged(name, pipe, example, scene)
        ts = forward_process.parse_timesteps(timesteps, pipe, limit=MAX_STRIP // 2)
        warn_read_as_typed(prompt)
        for i, level in enumerate(ts):
            progress((i, len(ts)), desc=f"from t={level}")
            r = denoise.denoise_from(pipe, image, level, prompt or "", negative or "", sampler, steps, guidance, seed)
            back = f"back from t={level} · distance {r.rmse:.1f}"
            if judge:
                back += " · " + judge_ticks(r.final, scene)
            items += [(for_gallery(r.start), f"noised to t={level}"), (for_gallery(r.final), back)]
    return items
