"""The Guidance and seeds tab: one prompt and seed over several guidance scales (the guidance strip), and one
prompt over many seeds (the seed grid).

The strip is ``playground.lab.guidance_strip``, the grid a run over seeds (``playground.lab.runs``); here they
become gallery items, markdown and the score-against-guidance plot. Both runs stream their pictures as they are
made, say how far they are in their text (no overlay over the pictures), and stop cleanly: each run's first update
puts a fresh RunControl in the tab's state, the Stop buttons set it, and the run ends after the picture (or batch)
in hand with what it made ("Stopped at scale 3 of 8.").
"""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines.limits import MAX_GUIDANCE
from playground.bounds import MAX_SCALES, MAX_SEEDS
from playground.components import (Slider, guidance_slider, sampler_dropdown, seed_box, seed_count_slider,
                                   steps_slider)
from playground.feedback import user_errors, warn, warn_read_as_typed
from playground.lab.guidance_strip import (DEFAULT_SCALES, DEFAULT_SCORE_SEEDS, MAX_SCORE_SEEDS, GuidanceStrip,
                                           check_strip, iter_guidance_points)
from playground.lab.judging import SHAPES, V2, WORLD_NAMES, read_caption, world_of
from playground.lab.runs import DEFAULT_SEEDS, check_first_seed, check_seed_count, iter_seed_batches, new_run
from playground.parsing import number_text, parse_scales
from playground.pictures import gallery
from playground.plots import guidance_score_plot
from playground.registry import MODEL_QUEUE, ModelRegistry
from playground.world_prompts import default_prompt, prompt_for_model
from playground.streaming import RunControl, request_stop, stopped_text

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
breaks. The table under the strip gives each picture's mean colour saturation (0 = grey, 1 = pure colour) and, for
a prompt in the world's own words on a model of that world, **the judge's score**: over several seeds, the share of
what the prompt states (colours, things, count, place, backdrop, light) that the pictures got right, plotted
against guidance.
"""

# The prompt box's first words, per world the model draws: a prompt its judge reads (a model of no world gets the
# shapes world's). Switching models changes the box only while it holds one of these.
DEFAULT_PROMPTS = {SHAPES: "three red circles on a blue background", V2: "a red car on grass"}
# Prompts the judge reads, per world, for the note that says why a prompt got no score.
JUDGED_EXAMPLES = {SHAPES: ("a red circle left of a blue square on a white background",
                            "five purple triangles on a white background"),
                   V2: ("a red car on grass", "three yellow houses with red roofs on the beach",
                        "a hand with five fingers by the water")}


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Guidance and seeds tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    with gr.Tab("Guidance and seeds", id="guidance", elem_id="tab_guidance"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(default_prompt(registry, None, DEFAULT_PROMPTS), label="Prompt", elem_id="g_prompt")
                model.change(partial(prompt_for_model, registry, DEFAULT_PROMPTS), inputs=[model, prompt], outputs=prompt,
                             api_name=False, show_progress="hidden", queue=False)
                negative = gr.Textbox("", label="Negative prompt", elem_id="g_negative")
                with gr.Row():
                    sampler = sampler_dropdown(pipe.config.default_sampler, "g_sampler")
                    steps = steps_slider("g_steps")
            with gr.Column(scale=3):
                gr.Markdown(EXPLAINER)

        # The RunControl of this person's latest run (strip or grid): what the Stop buttons stop.
        control = gr.State(None)
        gr.Markdown("### Guidance strip: one seed, several scales")
        with gr.Row():
            scales = gr.Textbox(", ".join(f"{s:g}" for s in DEFAULT_SCALES),
                                label=f"Guidance scales (comma-separated, up to {MAX_SCALES}, each 0 to "
                                      f"{number_text(MAX_GUIDANCE)})",
                                elem_id="g_scales", scale=3)
            strip_seed = seed_box("g_seed")
            score_seeds = Slider(1, MAX_SCORE_SEEDS, value=DEFAULT_SCORE_SEEDS, step=1,
                                 label="Seeds for the judge's score", elem_id="g_score_seeds")
            with gr.Column(min_width=160):
                strip_run = gr.Button("Run the guidance strip", variant="primary", elem_id="guidance_sweep")
                strip_stop = gr.Button("Stop", variant="stop", elem_id="g_stop")
        strip = gr.Gallery(label="Same prompt and seed; guidance grows to the right", columns=8, height="auto",
                           format="png", interactive=False,
                           object_fit="contain", elem_id="g_strip", fit_columns=False,
                           elem_classes=["pixelated", "verdicts"])
        with gr.Row():
            strip_note = gr.Markdown(elem_id="g_note")
            score_plot = gr.Plot(label="The judge's score against guidance", show_label=False, elem_id="g_plot")
        strip_run.click(partial(guidance_sweep, registry),
                        inputs=[model, prompt, negative, scales, strip_seed, sampler, steps, score_seeds],
                        outputs=[strip, strip_note, score_plot, control], api_name="guidance_sweep",
                        concurrency_id=MODEL_QUEUE, show_progress="hidden")
        strip_stop.click(request_stop, inputs=control, queue=False, api_name=False)

        gr.Markdown("### Seed grid: one scale, many seeds")
        with gr.Row():
            grid_seeds = seed_count_slider("s_seeds", DEFAULT_SEEDS, f"Seeds (up to {MAX_SEEDS})")
            grid_first = seed_box("s_first_seed", value=0, label="First seed")
            grid_guidance = guidance_slider(pipe.config.default_guidance_scale, "s_guidance")
            with gr.Column(min_width=160):
                grid_run = gr.Button("Run the seed grid", variant="primary", elem_id="seed_grid")
                grid_stop = gr.Button("Stop", variant="stop", elem_id="s_stop")
        grid = gr.Gallery(label="Same prompt and settings; one picture per seed", columns=8, height=420,
                          format="png", interactive=False,
                          object_fit="contain", elem_id="s_grid", elem_classes=["pixelated"])
        spread = gr.Markdown(elem_id="s_spread")
        grid_run.click(partial(seed_grid, registry),
                       inputs=[model, prompt, negative, grid_seeds, grid_first, sampler, steps, grid_guidance],
                       outputs=[grid, spread, control], api_name="seed_grid", concurrency_id=MODEL_QUEUE,
                       show_progress="hidden")
        grid_stop.click(request_stop, inputs=control, queue=False, api_name=False)


# --------------------------------------------------------------------------- handlers

def no_score_note(prompt: str, world_name) -> str:
    """Why a strip has no judge's score, in the words of the model's world (``world_name``; None: no world)."""
    if world_name not in JUDGED_EXAMPLES:
        return ("No judge's score: this model draws none of the playground's worlds (the 32 × 32 shapes world of "
                "shapes-32, the 64 × 64 world of v2), so no judge reads its pictures.")
    examples = " or ".join(f"`{e}`" for e in JUDGED_EXAMPLES[world_name])
    return (f"No judge's score: the judge of {WORLD_NAMES[world_name]} reads only prompts in that world's own words, "
            f"like {examples}, and `{prompt[:80]}` is not one.")


def strip_summary(strip: GuidanceStrip, sampler: str, steps, stopped: str = "", no_score: str = "") -> str:
    head = (f"Prompt `{strip.prompt}`, seed {strip.seed}, {int(steps)} steps, sampler {sampler}: only the guidance "
            f"scale changes.")
    if stopped:
        head = f"**{stopped}** " + head
    parts = [head, strip.table()]
    best = strip.best()
    if best is not None:
        parts.append(f"The judge's score is the mean, over seeds {best.seeds[0]}..{best.seeds[-1]}, of the share of "
                     f"what the prompt states that a picture got right; *all right* counts the pictures with "
                     f"everything right.")
        parts.append(f"Best score **{best.score:.2f}** at guidance **{best.scale:g}**.")
    if no_score:
        parts.append(no_score)
    return "\n\n".join(parts)


def guidance_sweep(registry: ModelRegistry, model, prompt, negative, scales, seed, sampler, steps,
                   score_seeds=DEFAULT_SCORE_SEEDS):
    """One prompt and seed at several guidance scales, and (judged) the score over seeds against guidance.

    Yields (strip, note, score plot or None, run control) as each scale finishes, until done or stopped.
    """
    with user_errors():
        name, pipe = registry.pick(model)
        prompt = prompt or ""
        values = parse_scales(scales)
        world_name = world_of(name, pipe)
        scene = read_caption(prompt, world_name)
        first, n = check_strip(seed, scene, score_seeds)
    warn_read_as_typed(prompt)
    control = RunControl()
    sampler_name = sampler or pipe.config.default_sampler
    no_score = "" if scene is not None else no_score_note(prompt, world_name)
    total = len(values)
    seeds_words = f", each over {n} seeds for the score" if scene is not None else ""
    yield [], f"Running: 0 of {total} scales done{seeds_words}…", None, control
    strip = GuidanceStrip(prompt, first, scene)
    points = iter_guidance_points(pipe, prompt, negative or "", first, values, sampler, steps, scene, n)
    with user_errors():
        try:
            for point in points:
                strip.add(point)
                if control.stopped:
                    break
                if len(strip.points) < total:
                    yield (gallery(strip.items()), f"Running: {len(strip.points)} of {total} scales done{seeds_words}"
                           f"…\n\n" + strip.table(), guidance_score_plot(strip) if strip.judged else None, control)
        finally:
            points.close()
    warn(strip.warnings)
    stopped = stopped_text(len(strip.points), total, "scale") if len(strip.points) < total else ""
    yield (gallery(strip.items()), strip_summary(strip, sampler_name, steps, stopped, no_score),
           guidance_score_plot(strip) if strip.judged else None, control)


def seed_grid(registry: ModelRegistry, model, prompt, negative, n_seeds, first_seed, sampler, steps, guidance):
    """One prompt over N seeds. Yields (grid, spread, run control) as batches finish, until done or stopped."""
    with user_errors():
        _name, pipe = registry.pick(model)
        n = check_seed_count(n_seeds)
        check_first_seed(first_seed, n)
    warn_read_as_typed(prompt)
    control = RunControl()
    yield [], f"Running: 0 of {n} seeds done…", control
    grid = new_run(prompt or "", judged=False)
    batches = iter_seed_batches(pipe, prompt or "", n, first_seed, steps, sampler, guidance, negative or "")
    with user_errors():
        try:
            for batch in batches:
                grid.add(batch)
                if control.stopped:
                    break
                if grid.n < n:
                    yield gallery(grid.items()), f"Running: {grid.n} of {n} seeds done…", control
        finally:
            batches.close()
    warn(grid.warnings)
    spread = grid.spread_markdown()
    if grid.n < n:
        spread = f"**{stopped_text(grid.n, n, 'seed')}**\n\n" + spread
    yield gallery(grid.items()), spread, control
