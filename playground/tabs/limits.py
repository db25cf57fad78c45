"""The Limits tab: failure-case presets run over many seeds and scored by the world's judge, and the count sweep.

The presets, runs, judge and count sweep are ``playground.lab``; here they become gallery items and markdown.
The presets are those of the selected model's world (``judging.world_of``): the shapes world's for shapes-32, the
64 x 64 world's for v2 (with the figures measured on that model, from its folder), the shapes world's, unjudged,
for a model that draws no world of ours; switching the model switches them.
Both runs stream their pictures as they are made, say how far they are in their text (no overlay over the
pictures), and stop cleanly: each run's first update puts a fresh RunControl in the tab's state, the Stop buttons
set it, and the run ends after the batch in hand with what it made scored ("Stopped at seed 8 of 16.").
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

from playground.bounds import MAX_SEEDS
from playground.components import guidance_slider, sampler_dropdown, seed_box, seed_count_slider, steps_slider
from playground.feedback import user_errors, warn
from playground.lab import counts, picture_maps, presets
from playground.lab.judging import SHAPES, V2, WORLD_NAMES, ticks_short, world_of
from playground.lab.runs import (DEFAULT_SEEDS, SeedRun, check_first_seed, check_seed_count, iter_preset_batches,
                                 model_figures, new_run, through_autoencoder)
from playground.pictures import gallery, view, word_maps_sheet
from playground.plots import count_plot
from playground.registry import MODEL_QUEUE, ModelRegistry
from playground.streaming import RunControl, request_stop, stopped_text

INTRO = """\
**Limits.** A diffusion model draws by removing noise in the direction of patterns it has learned; it never reads
the prompt as a plan and checks the result. That is why it struggles with exact text, precise counts, small
details, spatial relations, the same thing across images and prompts that combine several ideas. Pick a limit and
a prompt, run it over many seeds, and read how often it bites.
"""

MAPS_INTRO = """\
**Where each word was read in one picture of the run.** The UNet reads the prompt through cross-attention: each cell
of the picture's latent grid takes a weighted mix of the words' vectors. Averaged over the layers and the steps, the
weights a word got from each cell make its map (bright: read most; each map scaled to its own brightest cell). The
picture is drawn again alone with its seed, to the same pixels. **Click a picture in the grid** to see its maps.
"""
# what the maps showed, measured on v2 (python -m playground.lab.word_maps; docs/word-maps.md), by the limit's attribute
MAPS_MEASURED = {
    "count": ("In 16 v2 pictures of counts (\"seven orange triangles\"), the number word was read 0.96× as much on "
              "the things as over the whole picture (above 1 in none), the thing's word 1.17×: the count is one more "
              "word, not a tally of the things."),
    "fingers": ("In 24 v2 pictures of a hand with five fingers, \"five\" was read 0.91× as much on the hand as over "
                "the whole picture (above 1 in none), \"fingers\" 1.24× and \"hand\" 1.41×; the judge counted five "
                "fingers in none of them. \"two\" was read on the hand (1.11×, 8 of 8 pictures)."),
    "text": ("In 32 v2 pictures of a sign saying a word, the word was read on the sign's board 1.17× as much as over "
             "the whole picture (above 1 in 27), \"sign\" 1.57×; the judge read the word right in none of them: the "
             "model reads the word where the sign is and draws marks like letters there, not those letters."),
    "character": ("In 32 v2 pictures of a named character (Pip, Bo, Kit), the name was read on the character's shirt "
                  "1.85× as much as over the whole picture (above 1 in all 32); the judge found the character's own "
                  "look in 7: the name steers where a person is drawn, not the fixed look that makes them that "
                  "character."),
    "binding": ("In 48 v2 pictures of three things of three kinds and colours, each colour word's map overlapped its "
                "own thing's word's map (correlation 0.38) and not another's (−0.20) in every picture, the 42 the "
                "judge saw wrong too: the words were read together, in one place; what went wrong is what was drawn "
                "there."),
}
MAPS_LISTENED = "A map shows where the model *listened* to a word, not a plan it checked."


def maps_intro(attribute: str | None = None) -> str:
    """The maps' explanation, with what they showed for this kind of limit where it was measured."""
    return f"{MAPS_INTRO}\n{MAPS_LISTENED} {MAPS_MEASURED.get(attribute, '')}".rstrip() + "\n"


MAPS_PENDING = "Drawing the maps of one picture of the run when it ends…"
MAPS_RUN_FIRST = "Run over the seeds first: then the first picture the judge saw wrong shows here, or any you click."

NO_JUDGE = ("**No judge for this model.** Only our own models (shapes-32, v2) draw the synthetic worlds that a judge "
            "can read back, so for this model you get the grid alone: look for the limit yourself.")


def other_world(preset_world: str, model_world: str) -> str:
    return (f"**No judge for this model on this preset.** The preset is in {WORLD_NAMES[preset_world]} and this "
            f"model draws {WORLD_NAMES[model_world]}: pick one of its own presets.")


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Limits tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    limits = presets.limits_for(world_of(registry.default, pipe))
    first_group = limits.groups[limits.first_group]
    first_preset = first_group.presets[0]
    _key, explain0, target0, decoded0, sweep0 = preset_info(registry, registry.default, first_preset.key)
    with gr.Tab("Limits", id="limits", elem_id="tab_limits"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                group = gr.Radio([(g.title, g.key) for g in limits.groups.values()], value=first_group.key,
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
                with gr.Row():
                    run = gr.Button("Run over the seeds", variant="primary", elem_id="run_preset", scale=3)
                    stop = gr.Button("Stop", variant="stop", elem_id="limit_stop", scale=1)
                # How far a run is while it streams, then its scores (no progress overlay over the pictures).
                scores = gr.Markdown(elem_id="limit_scores")
            with gr.Column(scale=3):
                with gr.Row():
                    target = gr.Image(target0, label="The world's own picture of this caption", height=160,
                                      width=160, interactive=False, format="png", elem_id="limit_target",
                                      elem_classes=["pixelated"])
                    # the same picture through this model's autoencoder: what its decoder can draw (its ceiling)
                    decoded = gr.Image(label="The same, through this model's autoencoder", height=160, width=160,
                                       interactive=False, format="png", elem_id="limit_decoded",
                                       elem_classes=["pixelated"], value=decoded0.get("value"),
                                       visible=decoded0.get("visible", False))
                explain = gr.Markdown(explain0, elem_id="limit_explain")
        # The RunControl of this person's latest run (either button's): what the Stop buttons stop.
        control = gr.State(None)
        grid = gr.Gallery(label="One picture per seed (✓/✗: what the judge saw; every verdict is in the scores)",
                          columns=8, height="auto", format="png", interactive=False,
                          object_fit="contain", elem_id="limit_grid", elem_classes=["pixelated", "verdicts"])
        # The last run (its pictures, verdicts and settings): what the word maps draw again.
        last_run = gr.State(None)
        with gr.Row():
            maps_sheet = gr.Image(label="One picture, then each word's map over it", elem_id="limit_word_maps",
                                  format="png", interactive=False, show_label=False, scale=3)
            with gr.Column(scale=2):
                maps_text = gr.Markdown(maps_intro() + "\n" + MAPS_RUN_FIRST, elem_id="limit_word_maps_text")
        run.click(partial(run_preset, registry),
                  inputs=[model, key, n_seeds, first_seed, steps, sampler, guidance],
                  outputs=[grid, scores, last_run, maps_sheet, maps_text, control], api_name="run_preset",
                  concurrency_id=MODEL_QUEUE, show_progress="hidden",
                  ).success(partial(first_failure_maps, registry), inputs=last_run, outputs=[maps_sheet, maps_text],
                            api_name="limit_word_maps", concurrency_id=MODEL_QUEUE, show_progress="hidden")

        def picked(last, evt: gr.SelectData):  # not a partial: gradio finds the click's data by this type hint
            return picked_maps(registry, last, evt)

        grid.select(picked, inputs=last_run, outputs=[maps_sheet, maps_text], api_name=False,
                    concurrency_id=MODEL_QUEUE, show_progress="hidden")
        stop.click(request_stop, inputs=control, queue=False, api_name=False)
        # shown for the counting presets only, as preset_info says (v2's first preset counts fingers: not shown)
        with gr.Group(visible=sweep0.get("visible", True), elem_id="count_group") as sweep_group:
            gr.Markdown("**Count sweep.** The same counting prompt for every count from 1 to 9, each over the seeds "
                        "below, with the share that came out exactly right.")
            with gr.Row(equal_height=True):
                sweep_seeds = seed_count_slider("count_seeds", 8, "Seeds per count")
                sweep_run = gr.Button("Count accuracy 1 to 9", elem_id="count_sweep", scale=0, min_width=220)
                sweep_stop = gr.Button("Stop", variant="stop", elem_id="count_stop", scale=0, min_width=100)
            sweep_plot = gr.Plot(label="Count accuracy", elem_id="count_plot")
            sweep_table = gr.Markdown(elem_id="count_table")
            sweep_examples = gr.Gallery(label="The first seed's picture for each count", columns=9, height=250,
                                        format="png", interactive=False,
                                        object_fit="contain", elem_id="count_examples", fit_columns=False,
                                        elem_classes=["pixelated", "verdicts"])
        sweep_run.click(partial(count_sweep, registry),
                        inputs=[model, key, sweep_seeds, first_seed, steps, sampler, guidance],
                        outputs=[sweep_plot, sweep_table, sweep_examples, control], api_name="count_sweep",
                        concurrency_id=MODEL_QUEUE, show_progress="hidden")
        sweep_stop.click(request_stop, inputs=control, queue=False, api_name=False)
        preset.change(partial(preset_info, registry), inputs=[model, preset],
                      outputs=[key, explain, target, decoded, sweep_group], api_name="limit_preset_info",
                      show_progress="hidden")
        # Another model, perhaps another world: its presets (and their figures on it).
        model.change(partial(world_presets, registry), inputs=model,
                     outputs=[group, preset, key, explain, target, decoded, sweep_group], api_name="limit_presets",
                     show_progress="hidden")


# --------------------------------------------------------------------------- handlers

def group_choices(group_key):
    """The preset radio for a limit group: its prompts, the first one selected."""
    with user_errors():
        group = presets.get_group(group_key)
    return gr.update(choices=[(p.prompt, p.key) for p in group.presets], value=group.presets[0].key)


def judge_note(preset: presets.Preset, model_world) -> str:
    """What stands between the judge and this model's pictures of the preset, or "" (it draws the preset's world)."""
    if model_world is None:
        return NO_JUDGE
    return "" if model_world == preset.world else other_world(preset.world, model_world)


def preset_info(registry: ModelRegistry, model, preset_key):
    """(key, explanation markdown, the world's picture of the caption, that picture through the model's autoencoder,
    count-sweep row visibility) for a preset, with the figures measured on the selected model where it has them
    (the v2 presets). The autoencoder's picture is shown for the v2 presets on a model of their world: the
    failures there are small details, which a decoder could lose."""
    with user_errors():
        name, pipe = registry.pick(model)
        preset = presets.get_preset(preset_key)
    model_world = world_of(name, pipe)
    figure = model_figures(pipe, preset.world).get(preset.key) if model_world == preset.world else None
    note = judge_note(preset, model_world)
    text = presets.explain(preset, figure, judged=not note)
    target = presets.target_picture(preset)
    decoded = through_autoencoder(pipe, target) if model_world == preset.world == V2 else None
    return (preset.key, note + "\n\n" + text if note else text, view(target),
            gr.update(value=None if decoded is None else view(decoded), visible=decoded is not None),
            gr.update(visible=preset.group in COUNT_GROUPS))


def world_presets(registry: ModelRegistry, model):
    """The tab for another model: its world's limit groups and presets (the first of each selected), the first
    preset's key, explanation and picture, and the count sweep's visibility."""
    with user_errors():
        name, pipe = registry.pick(model)
    limits = presets.limits_for(world_of(name, pipe))
    group = limits.groups[limits.first_group]
    first = group.presets[0]
    return (gr.update(choices=[(g.title, g.key) for g in limits.groups.values()], value=group.key),
            gr.update(choices=[(p.prompt, p.key) for p in group.presets], value=first.key),
            *preset_info(registry, name, first.key))


def run_summary(run: SeedRun, judged: bool, stopped: str = "", no_judge: str = NO_JUDGE, not_judged: str = "") -> str:
    """The scores of a finished (or stopped) run: per attribute how often right, the seeds where it went wrong;
    ``no_judge``, unjudged, says why; ``not_judged``: the limit the judge cannot read even so."""
    head = f"**{run.n} seeds** ({run.seeds[0]}..{run.seeds[-1]}) of `{run.prompt}`."
    if stopped:
        head = f"**{stopped}** " + head
    if not judged:
        body = no_judge
    else:
        lines = []
        for line, attribute in zip(run.score_lines(), run.attributes):
            wrong = run.wrong_seeds(attribute)
            lines.append(f"- **{line}**" + (f" (wrong: seed{'s' if len(wrong) > 1 else ''} "
                                            f"{', '.join(map(str, wrong))})" if wrong else ""))
        body = "**Scores from the world's judge:**\n\n" + "\n".join(lines)
        if not_judged:
            body += f"\n\n**Not judged:** {not_judged}. Look for it yourself in the grid."
    return "\n\n".join([head, body, run.spread_markdown()])


def running_text(done: int, total: int, unit: str, what: str) -> str:
    return f"Running {what}: {done} of {total} {unit}s done… (Stop keeps what is made and scores it.)"


def run_preset(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance):
    """Run a preset over N seeds; yields (grid, summary, the finished run for its word maps, word-map sheet and text,
    run control) as batches finish, until done or stopped."""
    with user_errors():
        name, pipe = registry.pick(model)
        preset = presets.get_preset(preset_key)
        n = check_seed_count(n_seeds)
        check_first_seed(first_seed, n)
    note = judge_note(preset, world_of(name, pipe))
    judged = not note
    control = RunControl()
    what = f"`{preset.prompt}`"
    yield ([], running_text(0, n, "seed", what), None, None, maps_intro(preset.attributes[0]) + "\n" + MAPS_PENDING,
           control)
    run = new_run(preset.prompt, judged, preset.attributes)
    batches = iter_preset_batches(pipe, preset, n, first_seed, steps, sampler, guidance, judge=judged)
    with user_errors():
        try:
            for batch in batches:
                run.add(batch)
                if control.stopped:
                    break
                if run.n < n:
                    yield (gallery(run.items()), running_text(run.n, n, "seed", what), gr.skip(), gr.skip(),
                           gr.skip(), control)
        finally:
            batches.close()
    warn(run.warnings)
    stopped = stopped_text(run.n, n, "seed") if run.n < n else ""
    last_run = LimitRun(name, run, steps, sampler, guidance)
    yield (gallery(run.items()), run_summary(run, judged, stopped, note, preset.not_judged), last_run, gr.skip(),
           gr.skip(), control)


@dataclass(frozen=True)
class LimitRun:
    """A finished run over seeds and what it ran with: what its word maps draw again."""

    model: str
    run: SeedRun
    steps: int
    sampler: str
    guidance: float

    def first_failure(self) -> int:
        """The index of the first picture the judge saw the limit's own attribute wrong in (0: none, or unjudged)."""
        wrong = self.run.wrong_seeds(self.run.attributes[0]) if self.run.attributes else []
        return self.run.seeds.index(wrong[0]) if wrong else 0


def first_failure_maps(registry: ModelRegistry, last_run):
    """The word maps of the run's first picture the judge saw wrong (else its first)."""
    if not isinstance(last_run, LimitRun) or not last_run.run.n:
        return None, maps_intro() + "\n" + MAPS_RUN_FIRST
    return run_maps(registry, last_run, last_run.first_failure(), first=True)


def picked_maps(registry: ModelRegistry, last_run, evt: gr.SelectData):
    """The word maps of the grid's picture that was clicked."""
    if not isinstance(last_run, LimitRun) or not isinstance(evt.index, int) or not 0 <= evt.index < last_run.run.n:
        return gr.skip(), gr.skip()
    return run_maps(registry, last_run, evt.index)


def run_maps(registry: ModelRegistry, last_run: LimitRun, i: int, first: bool = False):
    """(sheet, text): picture ``i`` of the run drawn again with its word maps, and its verdict; or why none."""
    run = last_run.run
    intro = maps_intro(run.attributes[0] if run.attributes else None)
    with user_errors():
        _name, pipe = registry.pick(last_run.model)
        why = picture_maps.why_no_maps(pipe, run.prompt, pipe.check_inputs(
            run.prompt, "", last_run.sampler, last_run.steps, last_run.guidance, run.seeds[i], 1, None,
            None).guidance_scale)
        if why:
            return None, f"{intro}\n**No maps for this run.** {why}"
        maps = picture_maps.picture_maps(pipe, run.prompt, run.seeds[i], last_run.steps, last_run.sampler,
                                         last_run.guidance)
    if not maps.layers:
        return None, f"{intro}\n**No maps for this model:** {picture_maps.NO_CROSS_ATTENTION}"
    verdict = f" ({ticks_short(run.judged[i], run.attributes)})" if run.judged is not None else ""
    which = (": the run's first picture the judge saw wrong" if first and run.judged is not None and
             not run.judged[i].get(run.attributes[0]) else "")
    same = "to the same pixels as in the grid" if maps.image.tobytes() == run.images[i].tobytes() else (
        "not bit for bit the grid's picture: this machine computed the batch and the picture alone differently")
    return word_maps_sheet(maps.image, maps.words), (
        f"{intro}\n**Seed {maps.seed}**{verdict}{which}, drawn again alone {same}; the weights averaged over the "
        f"UNet's {maps.averaged()}. Each word's share of all the attention: {maps.shares()}; the start and end "
        f"markers and the padding took the other {maps.rest:.0%}.")


COUNT_GROUPS = ("counts", "v2-counts")  # the limit groups whose presets show the count sweep
SWEEP_DEFAULTS = {SHAPES: ("circle", "red", "blue"), V2: ("mug", "blue", "wooden floor")}  # (kind, colour, backdrop)


def sweep_target(preset_key, world_name=SHAPES) -> tuple[str, str, str]:
    """(kind, colour, backdrop) of the selected counting preset of the model's world; else the world's default
    (red circles on blue; blue mugs on a wooden floor in v2: yellow on sand reads as sand)."""
    chosen = presets.limits_for(world_name).presets.get(preset_key) if isinstance(preset_key, str) else None
    if chosen is None or chosen.scene.kind not in ("count", "group"):
        return SWEEP_DEFAULTS[world_name]
    thing = chosen.scene.objects[0]
    if world_name == V2:
        return thing.kind, thing.colour, chosen.scene.backdrop
    return thing.shape, thing.colour, chosen.scene.background


def sweep_note(sweep: counts.CountSweep, stopped: str = "") -> str:
    note = (f"**Count accuracy**, {sweep.colour} {sweep.shape}s on {sweep.background}, {sweep.n_per_count} seeds "
            f"per count ({sweep.seeds[0]}..{sweep.seeds[-1]}).\n\n" + sweep.markdown())
    return f"**{stopped}** " + note if stopped else note


def count_sweep(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance):
    """Counts 1..9 over N seeds each, in the selected counting preset's shape and colours.

    Yields (plot or None, markdown, one example picture per count, run control) as each count finishes, until done
    or stopped.
    """
    with user_errors():
        name, pipe = registry.pick(model)
        drawn = world_of(name, pipe)
        judged = drawn is not None  # the sweep counts in the model's world; another model's, unjudged, in shapes
        world_name = drawn or SHAPES
        shape, colour, background = sweep_target(preset_key, world_name)
        sweep = counts.new_sweep(shape, colour, background, n_seeds, first_seed, world_name)
    control = RunControl()
    total = len(counts.COUNTS)
    what = f"the count sweep ({colour} {shape}s)"
    yield None, running_text(0, total, "count", what), [], control
    results = counts.iter_count_results(pipe, shape, colour, background, sweep.n_per_count, sweep.seeds[0], steps,
                                        sampler, guidance, judge=judged, world_name=world_name)
    with user_errors():
        try:
            for result in results:
                sweep.add(result)
                if control.stopped:
                    break
                if len(sweep.examples) < total:
                    text = running_text(len(sweep.examples), total, "count", what)
                    if judged:
                        yield count_plot(sweep), text + "\n\n" + sweep.markdown(), sweep_examples(sweep), control
                    else:
                        yield None, text, sweep_examples(sweep), control
        finally:
            results.close()
    done = len(sweep.examples)
    stopped = stopped_text(done, total, "count") if done < total else ""
    if not judged:
        note = NO_JUDGE + " Below: the first seed's picture for each count."
        yield None, f"**{stopped}** " + note if stopped else note, sweep_examples(sweep), control
        return
    yield count_plot(sweep), sweep_note(sweep, stopped), sweep_examples(sweep), control


def sweep_examples(sweep: counts.CountSweep):
    """The first seed's picture per count: 'asked for 5 · ✗ got 6' (judged: what the judge counted)."""
    items = []
    for c, im in sweep.examples.items():
        caption = f"asked for {c}"
        if c in sweep.detected:
            found = sweep.detected[c][0]
            caption += f" · {'✓' if found == c else '✗'} got {found}"
        items.append((im, caption))
    return gallery(items)
