"""The Limits tab: failure-case presets run over many seeds and scored by the world's judge, and the count sweep.

The presets, runs, judge and count sweep are ``playground.lab``; here they become gallery items and markdown.
"""
from __future__ import annotations

from functools import partial

import gradio as gr

from playground.bounds import MAX_SEEDS
from playground.components import guidance_slider, sampler_dropdown, seed_box, seed_count_slider, steps_slider
from playground.feedback import user_errors, warn
from playground.lab import counts, presets
from playground.lab.judging import has_judge
from playground.lab.runs import DEFAULT_SEEDS, SeedRun, check_seed_count, iter_preset
from playground.pictures import gallery, view
from playground.plots import count_plot
from playground.registry import MODEL_QUEUE, ModelRegistry

INTRO = """\
**Limits.** A diffusion model draws by removing noise in the direction of patterns it has learned; it never reads
the prompt as a plan and checks the result. That is why it struggles with exact text, precise counts, small
details, spatial relations, the same thing across images and prompts that combine several ideas. Pick a limit and
a prompt, run it over many seeds, and read how often it bites.
"""

NO_JUDGE = ("**No judge for this model.** Only the bundled model draws the synthetic world that the judge can read "
            "back, so for this model you get the grid alone: look for the limit yourself.")


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Limits tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    first_group = presets.GROUPS["counts"]
    first_preset = first_group.presets[0]
    _key, explain0, target0, _visible = preset_info(first_preset.key)
    with gr.Tab("Limits", id="limits", elem_id="tab_limits"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                group = gr.Radio([(g.title, g.key) for g in presets.GROUPS.values()], value=first_group.key,
                                 label="Limit", elem_id="limit_group")
                preset = gr.Radio([(p.prompt, p.key) for p in first_group.presets], value=first_preset.key,
                                  label="Prompt", elem_id="limit_preset")
                group.change(group_choices, inputs=group, outputs=preset, api_name=False, show_progress="hidden")
                # The selected preset's key: what the run buttons (and API callers) send; any preset of any group.
                key = gr.Textbox(first_preset.key, visible=False, elem_id="limit_preset_key")
                with gr.Row():
                    n_seeds = seed_count_slider("limit_seeds", DEFAULT_SEEDS, f"Seeds (up to {MAX_SEEDS})")
                    first_seed = seed_box("limit_first_seed", value=0, label="First seed")
                with gr.Row():
                    sampler = sampler_dropdown(pipe.config.default_sampler, "limit_sampler")
                    steps = steps_slider("limit_steps")
                    guidance = guidance_slider(pipe.config.default_guidance_scale, "limit_guidance")
                run = gr.Button("Run over the seeds", variant="primary", elem_id="run_preset")
            with gr.Column(scale=3):
                with gr.Row():
                    target = gr.Image(target0, label="The world's own picture of this caption", height=160,
                                      width=160, interactive=False, format="png", elem_id="limit_target",
                                      elem_classes=["pixelated"])
                explain = gr.Markdown(explain0, elem_id="limit_explain")
        scores = gr.Markdown(elem_id="limit_scores")
        grid = gr.Gallery(label="One picture per seed (✓/✗: what the judge saw)", columns=8, height=420,
                          format="png", interactive=False,
                          object_fit="contain", elem_id="limit_grid", elem_classes=["pixelated"])
        run.click(partial(run_preset, registry),
                  inputs=[model, key, n_seeds, first_seed, steps, sampler, guidance],
                  outputs=[grid, scores], api_name="run_preset", concurrency_id=MODEL_QUEUE)
        with gr.Group(visible=True, elem_id="count_group") as sweep_group:
            gr.Markdown("**Count sweep.** The same counting prompt for every count from 1 to 9, each over the seeds "
                        "below, with the share that came out exactly right.")
            with gr.Row():
                sweep_seeds = seed_count_slider("count_seeds", 8, "Seeds per count")
                sweep_run = gr.Button("Count accuracy 1 to 9", elem_id="count_sweep")
            sweep_plot = gr.Plot(label="Count accuracy", elem_id="count_plot")
            sweep_table = gr.Markdown(elem_id="count_table")
            sweep_examples = gr.Gallery(label="The first seed's picture for each count", columns=9, height=170,
                                        format="png", interactive=False,
                                        object_fit="contain", elem_id="count_examples", fit_columns=False,
                                        elem_classes=["pixelated"])
        sweep_run.click(partial(count_sweep, registry),
                        inputs=[model, key, sweep_seeds, first_seed, steps, sampler, guidance],
                        outputs=[sweep_plot, sweep_table, sweep_examples], api_name="count_sweep",
                        concurrency_id=MODEL_QUEUE)
        preset.change(preset_info, inputs=preset, outputs=[key, explain, target, sweep_group], api_name=False,
                      show_progress="hidden")


# --------------------------------------------------------------------------- handlers

def group_choices(group_key):
    """The preset radio for a limit group: its prompts, the first one selected."""
    with user_errors():
        group = presets.get_group(group_key)
    return gr.update(choices=[(p.prompt, p.key) for p in group.presets], value=group.presets[0].key)


def preset_info(preset_key):
    """(key, explanation markdown, the world's picture of the caption, count-sweep row visibility) for a preset."""
    with user_errors():
        preset = presets.get_preset(preset_key)
    return (preset.key, presets.explain(preset), view(presets.target_picture(preset)),
            gr.update(visible=preset.group == "counts"))


def run_summary(run: SeedRun, judged: bool) -> str:
    head = f"**{run.n} seeds** ({run.seeds[0]}..{run.seeds[-1]}) of `{run.prompt}`."
    if not judged:
        body = NO_JUDGE
    else:
        body = "**Scores from the world's judge:**\n\n" + "\n".join(f"- **{line}**" for line in run.score_lines())
    return "\n\n".join([head, body, run.spread_markdown()])


def run_preset(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance,
               progress=gr.Progress()):
    """Run a preset over N seeds; yields (grid, summary) as batches finish."""
    with user_errors():
        name, pipe = registry.pick(model)
        judged = has_judge(name)
        preset = presets.get_preset(preset_key)
        n = check_seed_count(n_seeds)
        run = None
        progress((0, n), desc="seeds")
        for run in iter_preset(pipe, preset, n, first_seed, steps, sampler, guidance, judge=judged):
            progress((run.n, n), desc="seeds")
            yield gallery(run.items()), f"Running: {run.n} of {n} seeds done…"
    warn(run.warnings)
    yield gallery(run.items()), run_summary(run, judged)


def count_sweep(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance,
                progress=gr.Progress()):
    """Counts 1..9 over N seeds each, in the selected counting preset's shape and colours.

    Returns (plot or None, markdown, one example picture per count).
    """
    preset = presets.PRESETS.get(preset_key) if isinstance(preset_key, str) else None
    if preset is not None and preset.scene.kind == "count":
        o = preset.scene.objects[0]
        shape, colour, background = o.shape, o.colour, preset.scene.background
    else:
        shape, colour, background = "circle", "red", "blue"
    with user_errors():
        name, pipe = registry.pick(model)
        judged = has_judge(name)
        n = check_seed_count(n_seeds)
        sweep = None
        for c, sweep in counts.iter_count_sweep(pipe, shape, colour, background, n, first_seed, steps, sampler,
                                                guidance, judge=judged):
            progress((c, len(counts.COUNTS)), desc=f"count {c}")
    examples = gallery((im, f"asked for {c} · seed {sweep.seeds[0]}") for c, im in sweep.examples.items())
    if not judged:
        return None, NO_JUDGE + " Below: the first seed's picture for each count.", examples
    note = (f"**Count accuracy**, {colour} {shape}s on {background}, {sweep.n_per_count} seeds per count "
            f"({sweep.seeds[0]}..{sweep.seeds[-1]}).\n\n" + sweep.markdown())
    return count_plot(sweep), note, examples
