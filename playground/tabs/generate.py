"""The Generate tab: a prompt to pictures, each step streamed live as x_t and x̂0 beside the prompt, a strip of
every step with a scrubber over it, Stop, the steps as a GIF, and PNGs that carry their settings (drop one back
on the tab to restore them). Under the strip, the model's measured coarse-to-fine curve (training.coarse_to_fine):
when each kind of structure settles in x̂0, read from its folder's coarse_to_fine.json.

Handlers take the model registry first and return or yield plain values: lists of (image, caption) for
galleries, file paths and PIL images for pictures, markdown strings, a LiveRun for the per-user state.
"""
from __future__ import annotations

import random
import time
from functools import partial

import gradio as gr
from PIL import Image

from pipelines import SAMPLERS, PlaygroundInputError, PlaygroundOutput
from pipelines.attention_maps import KEY
from pipelines.limits import MAX_GUIDANCE, MAX_IMAGES, MAX_PROMPT_CHARS, MAX_SEED, MAX_STEPS
from playground.components import Slider, guidance_slider, sampler_dropdown, seed_box, steps_slider
from playground.feedback import shorten, user_error, user_errors
from playground.files import out_dir, save_png, steps_gif, unique_stamp, upload_path
from playground.parsing import parse_seed
from playground.lab import picture_maps
from playground.lab.judging import SHAPES, V2
from playground.lab.live import PREVIEWS, LiveRun, step_views
from playground.pictures import view, word_maps_sheet
from playground.plots import settling_plot
from playground.pngmeta import Settings, SettingsParseError, read_png_settings
from playground.prompt_edit import edits, plan_words, prompt_at, schedule, switch_callback, unread_syntax
from playground.registry import MODEL_QUEUE, ModelRegistry
from playground.world_prompts import examples_world
from playground.streaming import ahead, later, request_stop, stopped_text
from training import coarse_to_fine

INTRO = """\
**Generate.** A diffusion model starts from pure noise and removes a little of it at every step, guided by your
prompt. Watch both pictures as it runs: **x_t** is what the sampler holds now (noise turning into a picture), and
**x̂0** is the model's current guess of the finished image, which firms up long before the noise is gone.
"""

# What the model knows and where it fails, per world: (label, prompt, sampler, steps, guidance, seed).
EXAMPLES = [  # the 32 x 32 shapes world (shapes-32)
    ("counting", "three red circles on a blue background", "DPM++ 2M", 25, 4.0, 7),
    ("position", "a yellow triangle on the left, white background", "DPM++ 2M", 25, 4.0, 7),
    ("relation", "a green square above a purple circle on a gray background", "DPM++ 2M", 25, 4.0, 3),
    ("size", "a big orange circle on a black background", "Euler", 20, 4.0, 11),
    ("two colours", "a red square and a blue circle on a white background", "DPM++ 2M", 25, 4.0, 5),
    ("limit: counts past 5", "seven blue squares on a yellow background", "DPM++ 2M", 25, 4.0, 7),
    ("limit: written words", 'a sign that says "HI"', "DPM++ 2M", 25, 4.0, 7),
    ("limit: words it never saw", "a red bicycle leaning against a brick wall", "DPM++ 2M", 25, 4.0, 7),
]
EXAMPLES_V2 = [  # the 64 x 64 world (v2): the lesson's own prompt first (issue 33)
    ("the lesson", "a red bicycle leaning against a brick wall", "DPM++ 2M", 25, 4.0, 7),
    ("texture and light", "a yellow car on grass, at sunset", "DPM++ 2M", 25, 4.0, 7),
    ("relations", "a blue mug on top of a red square by the water", "DPM++ 2M", 25, 4.0, 7),
    ("a character", "Pip on the beach", "DPM++ 2M", 25, 4.0, 7),
    ("the old world", "three red circles on a blue background", "DPM++ 2M", 25, 4.0, 7),
    ("coarse to fine, prompt switched after step 3 (try 8)",
     "[a yellow car on grass:a yellow car on the beach:3]", "DPM++ 2M", 20, 4.0, 7),
    ("limit: five fingers", "a hand with five fingers by the water", "DPM++ 2M", 25, 4.0, 7),
    ("limit: words", 'a red sign that says "PARK" on the beach', "DPM++ 2M", 25, 4.0, 7),
    ("limit: counts", "seven orange triangles on a green background", "DPM++ 2M", 25, 4.0, 7),
]
WORLD_EXAMPLES = {SHAPES: EXAMPLES, V2: EXAMPLES_V2}


SETTLING_INTRO = """\
Diffusion is said to settle **broad composition first and small details last**. Measured on this model: the world's
judge read x̂0 at every step of held-out prompts over several seeds; the plot shows, per kind of structure the judge
reads, the share of pictures in which it has settled by each step. See it in one picture with prompt editing
(AUTOMATIC1111's `[before:after:step]`): `[a yellow car on grass:a yellow car on the beach:3]` at 20 steps draws the
beach, while with `:8]` the grass, settled by then, stays (16 of 16 seeds each way, read by the world's judge).
"""
NO_SETTLING = (f"This model has no `{coarse_to_fine.FILENAME}` in its folder, so there is no measured curve for it. "
               "`python -m training.coarse_to_fine --model DIR` measures one for a model of the playground's worlds.")

WORD_MAPS_INTRO = """\
The UNet reads the prompt through **cross-attention**: at every step, in each of its cross-attention layers, every
cell of the picture's latent grid takes a weighted mix of the words' vectors. Averaged over the layers and the steps,
the weights a word got from each cell make a map of where it was read (DAAM, Tang et al. 2022). Bright is where that
word was read most; each map is scaled to its own brightest cell. A map shows where the model *listened* to a word,
not a plan of the scene. Measured on v2 (`python -m playground.lab.word_maps`; the things found by the world's
judge): in 32 pictures of one thing on a backdrop, the thing's word was read on the thing's pixels 1.57× as much as
over the whole picture, its colour 1.36×, and the backdrop's word 0.99×: around the thing ("grass" mostly in the
sky). In 14 pictures of two things of two colours drawn right, each colour word was read 1.41× on its own thing and
0.92× on the other. In 16 pictures of counts ("seven orange triangles"), the number word was read 0.96× on the
things it counts (never above 1) and the thing's word 1.17×: the count is one more word, not a tally of the things.
"""

WORD_MAPS_PENDING = WORD_MAPS_INTRO + "\n**This run:** its maps are drawn when it ends."

PREVIEW_CHOICES = [("decoded by the autoencoder (what the result will look like)", "decoded"),
                   ("approximate: a linear map of the latents (cheap, for large models)", "approximate")]


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Generate tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    shown = examples_world(registry, None)  # the default model's world: its examples, its first one in the box
    first_prompt = WORLD_EXAMPLES[shown][0][1]
    with gr.Tab("Generate", id="generate", elem_id="tab_generate"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(label="Prompt", value=first_prompt, lines=2, max_length=MAX_PROMPT_CHARS,
                                    elem_id="prompt")
                tokens = gr.Markdown(token_summary(pipe, first_prompt), elem_id="tokens")
                negative = gr.Textbox(label="Negative prompt (what to steer away from)", value="",
                                      max_length=MAX_PROMPT_CHARS, elem_id="negative")
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
                with gr.Row():
                    run = gr.Button("Generate", variant="primary", elem_id="generate")
                    stop = gr.Button("Stop", variant="stop", elem_id="stop")
                info = gr.Markdown(elem_id="info")
                with gr.Accordion("More: x̂0 pictures, predicted noise, restore from a PNG", open=False):
                    preview = gr.Radio(PREVIEW_CHOICES, value="decoded", label="x̂0 pictures", elem_id="preview")
                    show_extras = gr.Checkbox(False, label="Also show the predicted noise and the guidance direction "
                                              "(cond − uncond) in the strip of steps", elem_id="show_extras")
                    png_in = gr.File(label="Drop a PNG made here (or in AUTOMATIC1111) to restore its settings",
                                     file_types=[".png"], elem_id="png_in", height=140)
            with gr.Column(scale=3):
                with gr.Row(equal_height=True):
                    live_xt = gr.Image(label="x_t: what the sampler holds", elem_id="live_xt", height=256,
                                       interactive=False, format="png")
                    live_x0 = gr.Image(label="x̂0: the model's guess of the final image", elem_id="live_x0",
                                       height=256, interactive=False, format="png")
                live_caption = gr.Markdown(elem_id="live_caption")
                step_slider = Slider(0, 1, value=0, step=1, label="Scrub through the steps of the last run",
                                     elem_id="step_slider", interactive=False)
                # two pictures a row, not stretched to the row: one picture is shown whole, not scrolled
                final = gr.Gallery(label="Result (PNGs carry their settings)", columns=4, fit_columns=False,
                                   height=230, elem_id="final", format="png", interactive=False,
                                   object_fit="contain")
        example_sets = [gr.Examples([list(e[1:]) for e in rows], inputs=[prompt, sampler, steps, guidance, seed],
                                    example_labels=[f"{e[0]}: {e[1]}" for e in rows], elem_id=f"examples_{name}",
                                    label="Examples: what the model knows, and where it fails", visible=name == shown)
                        for name, rows in WORLD_EXAMPLES.items()]
        model.change(partial(examples_shown, registry), inputs=model, outputs=[e.dataset for e in example_sets],
                     api_name=False, show_progress="hidden", queue=False)
        gr.Markdown("### Every step of the last run (x_t over x̂0; the scrubbed step is framed)")
        strip = gr.Image(label="Every step", elem_id="strip", interactive=False, show_label=False, format="png")
        with gr.Row():
            gif_btn = gr.Button("Download the steps as an animated GIF", elem_id="gif_button", scale=0)
            gif_file = gr.File(label="GIF", elem_id="gif_file", interactive=False, visible=False)
        gr.Markdown("### Where each word was read: cross-attention maps of the last run")
        with gr.Row():
            word_sheet = gr.Image(label="The first picture, then each word's map over it", elem_id="word_maps",
                                    format="png", interactive=False, show_label=False, scale=3)
            with gr.Column(scale=2):
                word_note = gr.Markdown(WORD_MAPS_INTRO, elem_id="word_maps_text")
        gr.Markdown("### Coarse to fine, measured: when each kind of structure settles in x̂0")
        with gr.Row():
            # drawn when the page opens (a load event with the menu's model), not while the app starts
            settling = gr.Plot(partial(coarse_to_fine_plot, registry), inputs=[model], label="Share settled by step",
                               show_label=False, elem_id="settling_plot", scale=3)
            with gr.Column(scale=2):
                settling_text = gr.Markdown(coarse_to_fine_text(registry, None), elem_id="settling_text")
        model.change(partial(coarse_to_fine_view, registry), inputs=model, outputs=[settling, settling_text],
                     api_name="coarse_to_fine", show_progress="hidden")
        run_state = gr.State(None)

        prompt.change(partial(tokens_for, registry), inputs=[model, prompt], outputs=tokens, api_name=False,
                      show_progress="hidden", trigger_mode="always_last", queue=False)
        png_in.upload(restore_from_png, inputs=png_in,
                      outputs=[prompt, negative, sampler, steps, guidance, seed], api_name="restore_png")
        run.click(
            partial(generate, registry),
            inputs=[model, prompt, negative, sampler, steps, guidance, seed, n_images, show_extras, preview],
            outputs=[final, live_xt, live_x0, live_caption, strip, info, run_state, step_slider, tokens, word_sheet,
                     word_note],
            api_name="generate", concurrency_id=MODEL_QUEUE, show_progress="minimal", show_progress_on=[info],
        ).success(word_maps, inputs=run_state, outputs=[word_sheet, word_note], api_name="word_maps",
               show_progress="hidden")  # after the result: drawing them holds up nothing the person waits on
        stop.click(request_stop, inputs=run_state, api_name=False, queue=False, show_progress="hidden")
        step_slider.input(scrub, inputs=[run_state, step_slider], outputs=[live_xt, live_x0, live_caption, strip],
                           api_name="scrub", show_progress="hidden", trigger_mode="always_last")
        gif_btn.click(export_gif, inputs=run_state, outputs=gif_file, api_name="export_gif").success(
            lambda: gr.update(visible=True), outputs=gif_file, api_name=False, queue=False)


# --------------------------------------------------------------------------- handlers

def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def examples_shown(registry: ModelRegistry, model) -> list:
    """One visibility update per world's examples: the chosen model's world's are shown, the others hidden."""
    with user_errors():
        shown = examples_world(registry, model)
    return [gr.update(visible=name == shown) for name in WORLD_EXAMPLES]


def coarse_to_fine_view(registry: ModelRegistry, model):
    """The model's measured coarse-to-fine curve (its folder's coarse_to_fine.json) and the words beside it: which
    kinds of structure settle first and last, and what "settled" means. Without the file: no plot, one line."""
    result = _settling(registry, model)
    return _plot_of(result), _text_of(result)


def coarse_to_fine_plot(registry: ModelRegistry, model):
    """The curve alone (None without a measured one). The page draws it when it opens, not when the app starts:
    drawing it is a third of a second of matplotlib that nobody waits on below the fold."""
    return _plot_of(_settling(registry, model))


def coarse_to_fine_text(registry: ModelRegistry, model) -> str:
    return _text_of(_settling(registry, model))


def _settling(registry: ModelRegistry, model):
    with user_errors():
        _name, pipe = registry.pick(model)
    return coarse_to_fine.read(coarse_to_fine.model_folder(pipe))


def _plot_of(result):
    return None if result is None else settling_plot(result)


def _text_of(result) -> str:
    if result is None:
        return NO_SETTLING
    return (f"{SETTLING_INTRO}\n{coarse_to_fine.summary(result)}\n\n*Settled:* {coarse_to_fine.DEFINITION}; "
            f"{coarse_to_fine.COUNTED}.")


def cap_text(text, label: str, notes: list) -> str:
    """A prompt as the handlers use it: None (an API caller's null) is empty; past MAX_PROMPT_CHARS it is cut."""
    if text is None:
        return ""
    if isinstance(text, str) and len(text) > MAX_PROMPT_CHARS:
        notes.append(f"{label}: cut to its first {MAX_PROMPT_CHARS:,} characters (it had {len(text):,}); "
                     "the model reads only the first few dozen words anyway.")
        return text[:MAX_PROMPT_CHARS]
    return text


def token_summary(pipe, prompt: str) -> str:
    """The token line under the prompt: what the model reads, what it cuts, and the words it never saw whole; with
    prompt editing (``[before:after:when]``), the prompt it starts with, and what it switches to when."""
    found = edits(prompt)
    if found:
        start, end = prompt_at(prompt, 0, 1, found), prompt_at(prompt, 10**6, 10**6, found)
        switches = "; ".join(f"`{e.before or '(nothing)'}` → `{e.after or '(nothing)'}` {e.words()}" for e in found)
        return (token_summary(pipe, start) + f"\n\n**Prompt editing** (AUTOMATIC1111's `[before:after:when]`): "
                f"{switches}; it ends as `{end or '(empty)'}`" + _unknown_words(pipe, end))
    tokens, weights, truncated = pipe.weighted_tokens(prompt)
    limit = pipe.max_prompt_tokens
    shown = " ".join(f"`{t}`" + ("" if w == 1 else f"×{w:.3g}")
                     for t, w in zip(tokens[:limit], weights[:limit])) or "(empty: unconditional)"
    text = f"**Tokens** ({min(len(tokens), limit)}/{limit}): {shown}"
    if any(w != 1 for w in weights[:limit]):
        text += ("\n\n**Emphasis** (AUTOMATIC1111's `(word:1.5)`; `(word)` ×1.1, `[word]` ÷1.1): the text encoder's "
                 "vectors of the marked tokens are multiplied by their weight, then the prompt's are scaled back to "
                 "the mean they had. The word maps show how much more the model reads them; that is not the same as "
                 "drawing them. Measured on v2 (16 seeds): `(five:1.6) yellow squares` gave \"five\" twice its share "
                 "of the attention (0.08 → 0.17), and five squares came out in 2 pictures against 5 without.")
    if truncated:
        text += (f"\n\n**Truncated:** the prompt has {len(tokens)} tokens and the model reads {limit}; the rest is "
                 "ignored.")
    unread = unread_syntax(prompt)
    if unread:
        text += "\n\n**Not read here:** " + " ".join(unread)
    return text + _unknown_words(pipe, prompt)


def _unknown_words(pipe, prompt: str) -> str:
    unknown = pipe.split_words(prompt)
    if not unknown:
        return ""
    return ("\n\n**Not in this model's vocabulary:** " + ", ".join(f"*{w}*" for w in unknown[:12])
            + ("…" if len(unknown) > 12 else "") + ". Its tokenizer cuts them into pieces: the model never "
            "saw them as words in training, so they steer the picture little or not at all.")


def tokens_for(registry: ModelRegistry, model: str, prompt) -> str:
    """The token line, updated as the prompt is typed."""
    try:
        pipe = registry.get(model)
        return token_summary(pipe, cap_text(prompt, "Prompt", []))
    except PlaygroundInputError as e:
        return shorten(str(e))


def generate(registry: ModelRegistry, model: str, prompt: str, negative: str, sampler: str, steps, guidance, seed,
             n_images, show_extras: bool = False, preview: str = "decoded"):
    """Stream one generation. Yields (result gallery, live x_t, live x̂0, live caption, strip of every step, info,
    run state, scrubber, token line, word maps, their text).

    The model runs ahead on a thread of its own (playground.streaming.ahead) while updates go out, at most every
    UPDATE_EVERY seconds; the live view shows the newest step, the strip every step so far. The Stop button ends
    the run after its current step: the info line says so, the last x̂0 is the result, and the scrubber and the
    GIF work on the steps made. Notes (prompt cut, control characters removed, ...) show in the info line. The
    UNet's cross-attention weights are recorded as it runs (the pixels the same either way) and shown at the end as
    one map per word.
    """
    notes = []
    prompt = cap_text(prompt, "Prompt", notes)
    negative = cap_text(negative, "Negative prompt", notes)
    with user_errors():
        pipe = registry.get(model)
        seed = parse_seed(seed)
        used = pipe.check_inputs(prompt, negative, sampler, steps, guidance, seed, n_images, None, None)
        if preview not in PREVIEWS:
            raise PlaygroundInputError(f"x̂0 pictures must be one of {', '.join(PREVIEWS)} (got {str(preview)[:40]!r}).")
        n_steps = int(steps)
        # prompt editing: the run starts with the first prompt, and a step-end callback hands the sampler the
        # next one's embeddings where it switches
        plan = schedule(used.prompt, n_steps)
        notes += list(used.warnings)  # what cleaning the prompt changed (the run gets it cleaned)
        for _, later_prompt in plan[1:]:  # a later prompt cut short says so, as the first does
            notes += [w for w in pipe.encode_prompt_pair(later_prompt, used.negative_prompt).warnings
                      if w not in notes and w.startswith("Prompt")]
        edited = plan_words(plan, n_steps) if edits(used.prompt) else ""
        run = LiveRun(steps=n_steps, extras=bool(show_extras))
        files = StepFiles()
        store, no_maps = word_store(pipe, used.prompt, bool(edited), used.guidance_scale, used.images)
        stream = pipe.generate_steps(plan[0][1], negative, sampler, steps, guidance, seed, n_images,
                                     return_trajectory=False, trajectory_extras=bool(show_extras),
                                     callback_on_step_end=switch_callback(pipe, plan, used.negative_prompt)
                                     if len(plan) > 1 else None,
                                     cross_attention_kwargs=None if store is None else {KEY: store})
        batches = ahead(stream, run.control, every=UPDATE_EVERY)  # the model starts now, not after this update
        yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"Starting: {n_steps} steps…", run,
               gr.update(interactive=False), gr.skip(), None, WORD_MAPS_PENDING)
        out, started, pending = None, time.perf_counter(), []
        for batch in batches:
            out = next((item for item in batch if isinstance(item, PlaygroundOutput)), out)
            pending += batch
            made = len(run.views) + sum(not isinstance(item, PlaygroundOutput) for item in pending)
            # a step's pictures are made when an update shows them: the steps of a run that ends before the next
            # update could show are drawn after its result is out (below)
            if made and out is None and not ends_within(started, made, n_steps, UPDATE_EVERY):
                run.add(step_views(pipe, pending, n_steps, preview))
                pending = []
                last = len(run.views) - 1
                live = live_view(files, run, last)
                so_far = [(live[1], f"so far: step {last + 1}/{n_steps}")]  # the live x̂0's file
                yield (so_far, *live, files.strip(run, last),
                       f"Denoising: step {last + 1} of {n_steps}…", gr.skip(),
                       gr.update(maximum=max(1, last), value=last), gr.skip(), gr.skip(), gr.skip())
    if out is None:  # stopped
        run.stopped = True
        run.add(step_views(pipe, pending, n_steps, preview))
        last = len(run.views) - 1
        slider = gr.update(minimum=0, maximum=max(1, last), value=max(0, last), step=1, interactive=last > 0)
        info = stopped_text(last + 1, n_steps) + (
            " The result is the model's guess of the image at that step (x̂0); scrub through the steps made, or "
            "save them as a GIF." if run.views else "")
        live = live_view(files, run, last) if run.views else (gr.skip(),) * 3
        finals = [(live[1], f"x̂0 at step {last + 1} of {n_steps}")] if run.views else []
        if run.views:
            run.words = partial(word_map_views, files, pipe, store, used.prompt, run.views[-1].x0, seed, no_maps)
        yield (finals, *live,
               files.strip(run, last) if run.views else gr.skip(), info + notes_text(notes), run, slider,
               token_summary(pipe, prompt), gr.skip(), gr.skip())
        return
    notes += [w for w in out.warnings if w not in notes]
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
            f"{'' if len(out.seeds) == 1 else f'..{out.seeds[-1]}'} · {w}×{h} px · x̂0 pictures {preview}"
            + (f" · prompt edited: {edited}" if edited else ""))
    # the result first, while the steps' pictures not drawn yet are made on another thread; then the live view, the
    # strip and the scrubber (the last update holds every output, the result again as the same files: an API caller
    # reads the last update alone)
    drawn = later(step_views, pipe, pending, n_steps, preview)
    yield (finals, gr.skip(), gr.skip(), gr.skip(), gr.skip(), info + notes_text(notes), gr.skip(), gr.skip(),
           gr.skip(), gr.skip(), gr.skip())
    run.words = partial(word_map_views, files, pipe, store, used.prompt, out.images[0], out.seeds[0], no_maps)
    run.add(drawn())
    last = len(run.views) - 1
    slider = gr.update(minimum=0, maximum=max(1, last), value=max(0, last), step=1, interactive=last > 0)
    yield (finals, *live_view(files, run, last), files.strip(run, last), info + notes_text(notes), run, slider,
           token_summary(pipe, prompt), gr.skip(), gr.skip())


def word_store(pipe, prompt: str, edited: bool, guidance: float, images: int):
    """The run's cross-attention recorder (pipelines.attention_maps), or None and why the run has no maps."""
    why = picture_maps.why_no_maps(pipe, prompt, guidance, edited)
    return (None, why) if why else (picture_maps.recorder(pipe, images), "")


def word_maps(run: LiveRun | None):
    """The last run's word maps (its sheet and text), drawn after it ended."""
    if not isinstance(run, LiveRun) or run.words is None:
        return gr.skip(), gr.skip()
    return run.words()


def word_map_views(files: "StepFiles", pipe, store, prompt: str, image: Image.Image, seed: int, why_not: str):
    """(sheet, text) for the maps: the first picture, then each word's map over it labelled with the word and its
    share of the attention (one file), and what they were averaged over; or no picture and why."""
    if store is None:
        return None, f"{WORD_MAPS_INTRO}\n**No maps for this run.** {why_not}"
    maps = picture_maps.read_store(pipe, store, prompt, image, seed)
    if not maps.layers:
        return None, f"{WORD_MAPS_INTRO}\n**No maps for this model:** {picture_maps.NO_CROSS_ATTENTION}"
    sheet = files.path("words", 0, word_maps_sheet(image, maps.words))
    return sheet, (f"{WORD_MAPS_INTRO}\n**This run:** the first picture (seed {seed}), the weights averaged over "
                   f"the UNet's {maps.averaged()}. Each word's share of all the attention: {maps.shares()}; the start "
                   f"and end markers and the padding took the other {maps.rest:.0%}.")


UPDATE_EVERY = 0.2  # seconds between two streamed updates at most: five a second show the run; more slow the model


def ends_within(started: float, done: int, total: int, seconds: float) -> bool:
    """Whether a run that made `done` of `total` steps since `started` will end within `seconds` at its pace so
    far: then an update now would only hold up the final one."""
    per_step = (time.perf_counter() - started) / max(1, done)
    return (total - done) * per_step < seconds


def notes_text(notes: list) -> str:
    return "\n\n**Notes:**\n" + "\n".join(f"- {shorten(note)}" for note in notes) if notes else ""


def live_view(files: "StepFiles", run: LiveRun, i: int) -> tuple:
    """(x_t, x̂0, caption) of step i, enlarged, as files written once."""
    v = run.views[i]
    return (files.path("xt", i, view(v.x_t)), files.path("x0", i, view(v.x0)),
            f"**{v.caption}**" + ("  (stopped here)" if run.stopped and i == len(run.views) - 1 else ""))


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
    """The pictures of one run, as PNG files written once each.

    Gradio re-encodes a PIL image and rewrites its cache file every time it is yielded, while a browser may
    still be downloading that file from the previous update: the download is cut short ("Too little data
    for declared Content-Length"). A file path is copied into the cache once, so the stream hands out paths;
    the strip of every step is a new file each time it grows.
    """

    def __init__(self):
        self.stamp = unique_stamp()
        self.paths: dict = {}

    def path(self, kind: str, i: int, image: Image.Image) -> str:
        if (kind, i) not in self.paths:
            path = out_dir() / f"{kind}-{self.stamp}-{i}.png"
            image.save(path, compress_level=1)
            self.paths[kind, i] = str(path)
        return self.paths[kind, i]

    def strip(self, run: LiveRun, current: int) -> str:
        return self.path(f"strip{len(run.views)}", current, run.strip.picture(current))


def scrub(run: LiveRun | None, index):
    """The slider: x_t and x̂0 at one step of the last run, large, and the strip with that step framed."""
    if not isinstance(run, LiveRun) or not run.views:
        return None, None, "Run a generation first.", None
    try:
        i = int(float(index or 0))
    except (TypeError, ValueError, OverflowError):  # NaN, infinity or text from an API caller
        i = 0
    i = min(max(0, i), len(run.views) - 1)
    v = run.views[i]
    return view(v.x_t), view(v.x0), f"**{v.caption}**", run.strip.picture(i)


def export_gif(run: LiveRun | None, frame_ms: int = 150) -> str:
    """An animated GIF of the last run (stopped or not): x_t beside x̂0 at every step made."""
    if not isinstance(run, LiveRun) or not run.views:
        raise gr.Error("Run a generation first; then its steps can be saved as a GIF.", print_exception=False)
    return steps_gif([view(x) for x in run.x_t], [view(x) for x in run.x0], frame_ms)


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
