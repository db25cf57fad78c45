"""The Generate tab: a prompt to pictures, every step streamed as x_t and x̂0, a scrubber over the steps, the
steps as a GIF, and PNGs that carry their settings (drop one back on the tab to restore them).

Handlers take the model registry first and return or yield plain values: lists of (image, caption) for
galleries, markdown strings, a StepPictures for the per-user state.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial

import gradio as gr
from PIL import Image

from pipelines import SAMPLERS, PlaygroundOutput, StepRecord
from pipelines.limits import MAX_GUIDANCE, MAX_IMAGES, MAX_PROMPT_CHARS, MAX_SEED, MAX_STEPS
from pipelines.preview import to_pil
from playground.components import Slider, guidance_slider, sampler_dropdown, seed_box, steps_slider
from playground.feedback import shorten, user_error, user_errors, warn
from playground.files import out_dir, save_png, steps_gif, unique_stamp, upload_path
from playground.parsing import parse_seed
from playground.pictures import for_gallery, noise_picture
from playground.pngmeta import Settings, SettingsParseError, read_png_settings
from playground.registry import MODEL_QUEUE, ModelRegistry

INTRO = """\
**Generate.** A diffusion model starts from pure noise and removes a little of it at every step, guided by your
prompt. Watch both rows as it runs: **x_t** is what the sampler holds now (noise turning into a picture), and
**x̂0** is the model's current guess of the finished image, which firms up long before the noise is gone.
"""


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Generate tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    with gr.Tab("Generate", id="generate", elem_id="tab_generate"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(label="Prompt", value="three red circles on a blue background", lines=2,
                                    elem_id="prompt")
                negative = gr.Textbox(label="Negative prompt (what to steer away from)", value="",
                                      elem_id="negative")
                with gr.Row():
                    sampler = sampler_dropdown(pipe.config.default_sampler, "sampler")
                    steps = steps_slider("steps")
                with gr.Row():
                    guidance = guidance_slider(pipe.config.default_guidance_scale, "guidance")
                    n_images = Slider(1, MAX_IMAGES, value=1, step=1, label="Images", elem_id="n_images")
                with gr.Row():
                    seed = seed_box("seed", maximum=MAX_SEED)
                    dice = gr.Button("🎲 Random seed", elem_id="random_seed", size="sm")
                    dice.click(random_seed, outputs=seed, api_name="random_seed")
                show_extras = gr.Checkbox(False, label="Also show the predicted noise and the guidance direction",
                                          elem_id="show_extras")
                with gr.Row():
                    run = gr.Button("Generate", variant="primary", elem_id="generate")
                    stop = gr.Button("Stop", variant="stop", elem_id="stop")
                png_in = gr.File(label="Drop a PNG made here (or in AUTOMATIC1111) to restore its settings",
                                 file_types=[".png"], elem_id="png_in", height=90)
                png_in.upload(restore_from_png, inputs=png_in,
                              outputs=[prompt, negative, sampler, steps, guidance, seed], api_name="restore_png")
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

        gen_event = run.click(
            partial(generate, registry),
            inputs=[model, prompt, negative, sampler, steps, guidance, seed, n_images, show_extras],
            outputs=[final, xt_gallery, x0_gallery, extras_gallery, info, pics, step_slider],
            api_name="generate", concurrency_id=MODEL_QUEUE,
        )
        gen_event.then(scrub, inputs=[pics, step_slider], outputs=[scrub_xt, scrub_x0, scrub_caption],
                       api_name=False)
        stop.click(None, cancels=[gen_event], api_name=False)
        step_slider.change(scrub, inputs=[pics, step_slider], outputs=[scrub_xt, scrub_x0, scrub_caption],
                           api_name="scrub", show_progress="hidden")
        gif_btn.click(export_gif, inputs=pics, outputs=gif_file, api_name="export_gif")


# --------------------------------------------------------------------------- handlers

def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def cap_text(text, label: str, notes: list) -> str:
    """A prompt as the handlers use it: None (an API caller's null) is empty; past MAX_PROMPT_CHARS it is cut."""
    if text is None:
        return ""
    if isinstance(text, str) and len(text) > MAX_PROMPT_CHARS:
        notes.append(f"{label}: cut to its first {MAX_PROMPT_CHARS:,} characters (it had {len(text):,}); "
                     "the model reads only the first few dozen words anyway.")
        return text[:MAX_PROMPT_CHARS]
    return text


@dataclass
class StepPictures:
    """Per-user record of one run's pictures (kept in gr.State), for the slider and the GIF."""

    x_t: list = field(default_factory=list)
    x0: list = field(default_factory=list)
    captions: list = field(default_factory=list)
    noise: list = field(default_factory=list)
    guidance: list = field(default_factory=list)


def step_caption(record: StepRecord, steps: int) -> str:
    sigma = f", σ={record.sigma:.2f}" if record.sigma is not None else ""
    return f"step {record.step + 1}/{steps}, t={record.timestep:.0f}{sigma}"


def token_summary(pipe, prompt: str) -> str:
    tokens, truncated = pipe.tokenize(prompt)
    limit = pipe.max_prompt_tokens
    shown = " ".join(f"`{t}`" for t in tokens[:limit]) or "(empty: unconditional)"
    note = ""
    if truncated:
        note = (f"\n\n**Truncated:** the prompt has {len(tokens)} tokens and the model reads {limit}; the rest is "
                "ignored.")
    return f"**Tokens** ({min(len(tokens), limit)}/{limit}): {shown}{note}"


def generate(registry: ModelRegistry, model: str, prompt: str, negative: str, sampler: str, steps, guidance, seed,
             n_images, show_extras: bool = False, progress=gr.Progress()):
    """Stream one generation. Yields (final gallery, x_t gallery, x0 gallery, extras gallery, info, state, slider).

    Notes (prompt cut or truncated, control characters removed, ...) show as gr.Warning and, for API
    callers, at the end of the info text.
    """
    notes = []
    prompt = cap_text(prompt, "Prompt", notes)
    negative = cap_text(negative, "Negative prompt", notes)
    with user_errors():
        pipe = registry.get(model)
        seed = parse_seed(seed)
        used = pipe.check_inputs(prompt, negative, sampler, steps, guidance, seed, n_images, None, None)
        stream = pipe.generate_steps(prompt, negative, sampler, steps, guidance, seed, n_images,
                                     return_trajectory=False, trajectory_extras=bool(show_extras))
        pics = StepPictures()
        files = StepFiles()
        for item in stream:
            if isinstance(item, PlaygroundOutput):
                out = item
                break
            record = item
            n_steps = int(steps)
            pics.x_t.append(for_gallery(to_pil(pipe, record.x_t[:1])[0]))
            pics.x0.append(for_gallery(to_pil(pipe, record.x0[:1])[0]))
            pics.captions.append(step_caption(record, n_steps))
            if show_extras and record.noise_pred is not None:
                pics.noise.append(for_gallery(noise_picture(pipe, record.noise_pred)))
                if record.guidance is not None:
                    pics.guidance.append(for_gallery(noise_picture(pipe, record.guidance)))
            progress((record.step + 1, n_steps), desc="denoising")
            yield (gr.skip(), files.gallery(pics.x_t, pics.captions, "x_t"),
                   files.gallery(pics.x0, pics.captions, "x̂0"), files.extras_gallery(pics), gr.skip(), gr.skip(),
                   gr.skip())
    notes += out.warnings
    warn(shorten(note) for note in notes)
    h, w = out.images[0].height, out.images[0].width
    finals = []
    stamp = unique_stamp()
    for i, (image, s) in enumerate(zip(out.images, out.seeds)):
        settings = Settings(prompt=used.prompt, negative_prompt=used.negative_prompt, steps=out.num_inference_steps,
                            sampler=out.sampler, guidance_scale=out.guidance_scale, seed=s, width=w, height=h,
                            model=model or registry.default)
        finals.append((save_png(image, settings, f"image-{stamp}-{i}"), f"seed {s}"))
    spec = SAMPLERS[out.sampler]
    info = (f"**{out.seconds * 1000:.0f} ms** for {len(out.images)} image(s) · {out.num_inference_steps} steps · "
            f"**{out.nfe} model evaluations** ({evals_words(spec, out)}"
            f"{', with cond and uncond batched' if 0 < out.guidance_scale != 1 else ''}) · sampler {out.sampler} · "
            f"guidance {out.guidance_scale:g} · seed {out.seeds[0]}"
            f"{'' if len(out.seeds) == 1 else f'..{out.seeds[-1]}'} · {w}×{h} px\n\n" + token_summary(pipe, prompt))
    if notes:
        info += "\n\n**Notes:**\n" + "\n".join(f"- {shorten(note)}" for note in notes)
    last = max(0, len(pics.x_t) - 1)
    yield (finals, files.gallery(pics.x_t, pics.captions, "x_t"), files.gallery(pics.x0, pics.captions, "x̂0"),
           files.extras_gallery(pics), info, pics,
           gr.update(minimum=0, maximum=max(1, last), value=last, step=1, interactive=True))  # Gradio needs min < max


def evals_words(spec, out) -> str:
    """How the model evaluations add up: Heun-like samplers take their last step, and from pure noise their first
    (pipeline_playground.first_step_in_first_order), in one call."""
    if spec.evals_per_step == 1:
        return "1 per step" if out.nfe == out.num_inference_steps else "1 per step, 2 for the first"  # PLMS
    steps = out.num_inference_steps
    if steps > 1 and out.nfe == 2 * steps - 2:
        return "2 per step; 1 for the last and for the first, from pure noise"
    return "2 per step; 1 for the last" if steps > 1 else "1 for a single step"


class StepFiles:
    """The step galleries of one run, as PNG files written once each.

    Gradio re-encodes a PIL image and rewrites its cache file every time it is yielded, while a browser may
    still be downloading that file from the previous update: the download is cut short ("Too little data
    for declared Content-Length"), and a run of n steps costs n²/2 encodes. A file path is copied into the
    cache once, so the streamed galleries hand out paths.
    """

    def __init__(self):
        self.stamp = unique_stamp()
        self.paths: dict = {}

    def path(self, kind: str, i: int, image: Image.Image) -> str:
        if (kind, i) not in self.paths:
            path = out_dir() / f"{kind}-{self.stamp}-{i}.png"
            image.save(path)
            self.paths[kind, i] = str(path)
        return self.paths[kind, i]

    def gallery(self, images, captions, label):
        kind = "xt" if label == "x_t" else "x0"
        return [(self.path(kind, i, im), f"{label} · {c}") for i, (im, c) in enumerate(zip(images, captions))]

    def extras_gallery(self, pics: StepPictures):
        out = [(self.path("noise", i, im), f"predicted noise · {c}")
               for i, (im, c) in enumerate(zip(pics.noise, pics.captions))]
        out += [(self.path("guidance", i, im), f"guidance (cond − uncond) · {c}")
                for i, (im, c) in enumerate(zip(pics.guidance, pics.captions))]
        return out


def scrub(pics: StepPictures | None, index):
    """The slider: x_t and x̂0 at one step of the last run."""
    if not pics or not pics.x_t:
        return None, None, "Run a generation first."
    try:
        i = int(float(index or 0))
    except (TypeError, ValueError, OverflowError):  # NaN, infinity or text from an API caller
        i = 0
    i = min(max(0, i), len(pics.x_t) - 1)
    return pics.x_t[i], pics.x0[i], pics.captions[i]


def export_gif(pics: StepPictures | None, frame_ms: int = 150) -> str:
    """An animated GIF of the last run: x_t beside x̂0 at every step."""
    if not pics or not pics.x_t:
        raise gr.Error("Run a generation first; then its steps can be saved as a GIF.", print_exception=False)
    return steps_gif(pics.x_t, pics.x0, frame_ms)


def restore_from_png(file):
    """A PNG dropped on the tab -> (prompt, negative, sampler, steps, guidance, seed) updates."""
    if file is None:
        return (gr.skip(),) * 6
    try:
        s = read_png_settings(upload_path(file))
    except SettingsParseError as e:
        raise user_error(e) from None
    notes = []
    sampler = gr.skip()
    if s.sampler is not None:
        if s.sampler in SAMPLERS:
            sampler = s.sampler
        else:
            notes.append(f"sampler {s.sampler[:40]!r} is not offered here")
    steps = s.steps if s.steps is not None and 1 <= s.steps <= MAX_STEPS else gr.skip()
    g = s.guidance_scale
    guidance = g if g is not None and 0 <= g <= MAX_GUIDANCE else gr.skip()
    seed = s.seed if s.seed is not None and 0 <= s.seed <= MAX_SEED else gr.skip()
    if notes:
        gr.Warning("Restored what fits; " + "; ".join(notes) + ".")
    return s.prompt[:MAX_PROMPT_CHARS], s.negative_prompt[:MAX_PROMPT_CHARS], sampler, steps, guidance, seed
