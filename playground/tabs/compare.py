"""The Compare samplers tab: every chosen sampler at every step count, same prompt, seed and starting noise, as
an AUTOMATIC1111-style grid that fills in while it runs, with a shared scrubber under it, a Stop button, and a
convergence plot against a many-step reference.
"""
from __future__ import annotations

from functools import partial

import gradio as gr

from pipelines import SAMPLERS, GridRun, PlaygroundOutput, cells_match_alone, difference_from_alone
from pipelines.limits import MAX_GRID_CELLS, MAX_SEED
from playground import parsing, streaming
from playground.components import Slider, guidance_slider, seed_box
from playground.feedback import user_errors, warn_read_as_typed
from playground.lab.metrics import rmse
from playground.pictures import for_gallery
from playground.plots import convergence_plot
from playground.lab.judging import SHAPES, V2
from playground.registry import MODEL_QUEUE, ModelRegistry
from playground.world_prompts import default_prompt, prompt_for_model
from playground.sampler_grid import Cell, CompareResult, cell_view, cost_caption, frames_of, result_image

INTRO = """\
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
picture, not a sharper one. Samplers that land on the same points are drawn side by side and named together in
the legend. For comparison, the DPM-Solver authors report images "almost converged" at 20 steps and "converged"
at 50 on real models (LuChengTHU/dpm-solver README).
"""

REFERENCE_SAMPLER, REFERENCE_STEPS = "DPM++ 2M", 100
SHOW_X0, SHOW_XT = "x̂0 (model's guess)", "x_t (noisy sample)"
# the default prompt per world: one thing whose shape settles at a different step under each sampler
DEFAULT_PROMPTS = {SHAPES: "a yellow triangle on the left, white background", V2: "a yellow house with a red roof on grass"}
UPDATE_EVERY = 0.25  # seconds between two pictures of a running grid: the model never waits for them


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Compare samplers tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    with gr.Tab("Compare samplers", id="compare", elem_id="tab_compare"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2, min_width=360):
                prompt = gr.Textbox(label="Prompt", value=default_prompt(registry, None, DEFAULT_PROMPTS),
                                    elem_id="c_prompt")
                model.change(partial(prompt_for_model, registry, DEFAULT_PROMPTS), inputs=[model, prompt],
                             outputs=prompt, api_name=False, show_progress="hidden")
                negative = gr.Textbox(label="Negative prompt", value="", elem_id="c_negative")
                samplers = gr.Dropdown(list(SAMPLERS), value=["Euler", "Euler a", "Heun", "DPM++ 2M"],
                                       multiselect=True, label="Samplers", elem_id="c_samplers")
                step_counts = gr.Textbox(label="Step counts (comma-separated, up to 6)", value="5, 10, 20",
                                         elem_id="c_steps")
                with gr.Row():
                    guidance = guidance_slider(pipe.config.default_guidance_scale, "c_guidance")
                    seed = seed_box("c_seed", maximum=MAX_SEED)
                with gr.Row():
                    run = gr.Button("Compare", variant="primary", elem_id="compare", scale=3)
                    stop = gr.Button("Stop", variant="stop", elem_id="c_stop", scale=1)
                note = gr.Markdown(elem_id="c_note")
            with gr.Column(scale=3):
                # no label: Gradio draws it over the picture's top left corner, where the first column's title is
                grid_picture = gr.Image(label="Sampler × steps", show_label=False, elem_id="grid_image",
                                        interactive=False, format="png", height=640)
                with gr.Row():
                    scrubber = Slider(0, 100, value=100, step=1, elem_id="c_scrub", scale=3,
                                      label="Scrub all cells together (% of each schedule)")
                    which = gr.Radio([("x̂0 guess", SHOW_X0), ("x_t noisy", SHOW_XT)], value=SHOW_X0,
                                     label="Show", elem_id="c_which", scale=2)
        with gr.Row():
            plot = gr.Plot(label="Convergence", elem_id="c_plot", scale=3)
            gr.Markdown(PLOT_EXPLAINER)
        with gr.Accordion("The same cells one by one, larger (rows: samplers; columns: step counts)", open=False):
            grid = gr.Gallery(show_label=False, columns=3, height=420, elem_id="grid", interactive=False,
                              object_fit="contain")
        result = gr.State(None)
        control = gr.State(None)  # the running comparison's RunControl, for Stop

        step_counts.change(grid_columns, inputs=step_counts, outputs=grid, api_name=False, show_progress="hidden")
        run.click(partial(compare, registry), inputs=[model, prompt, negative, samplers, step_counts, guidance, seed],
                  outputs=[grid_picture, grid, plot, result, note, scrubber, control], api_name="compare",
                  concurrency_id=MODEL_QUEUE, show_progress="hidden")
        stop.click(streaming.request_stop, inputs=control, queue=False, api_name=False)
        scrubber.input(scrub_grid, inputs=[result, scrubber, which], outputs=[grid_picture, grid],
                       api_name="scrub_grid", show_progress="hidden")
        which.change(scrub_grid, inputs=[result, scrubber, which], outputs=[grid_picture, grid], api_name=False,
                     show_progress="hidden")


# --------------------------------------------------------------------------- handlers

def parse_step_counts(text) -> list[int]:
    """The step counts box: '5, 10, 20' -> [5, 10, 20]; gr.Error with a plain message for anything else."""
    with user_errors():
        return parsing.parse_step_counts(text)


def check_request(samplers, step_counts, seed) -> tuple[list[str], list[int], int]:
    """(samplers, step counts, seed) of a comparison; gr.Error with a plain message for anything else."""
    with user_errors():
        seed = parsing.parse_seed(seed)
    samplers = list(dict.fromkeys(s for s in (samplers or []) if s))
    if not samplers:
        raise gr.Error("Pick at least one sampler to compare.", print_exception=False)
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown:
        raise gr.Error(f"Unknown sampler {str(unknown[0])[:40]!r}. Choose from: {', '.join(SAMPLERS)}.",
                       print_exception=False)
    counts = parse_step_counts(step_counts)
    n_cells = len(samplers) * len(counts)
    if n_cells > MAX_GRID_CELLS:
        raise gr.Error(f"That is {n_cells} cells ({len(samplers)} samplers × {len(counts)} step counts); "
                       f"at most {MAX_GRID_CELLS} at once. Pick fewer samplers or step counts.",
                       print_exception=False)
    return samplers, counts, seed


def _update(picture=gr.skip(), gallery=gr.skip(), plot=gr.skip(), result=gr.skip(), note=gr.skip(),
            scrub=gr.skip(), control=gr.skip()):
    """One update of compare's outputs, in their order; what is not named stays as it is."""
    return picture, gallery, plot, result, note, scrub, control


def compare(registry: ModelRegistry, model: str, prompt: str, negative: str, samplers, step_counts, guidance, seed):
    """Run every sampler at every step count on the same prompt and seed, all cells together, round by round.

    Yields updates of (grid picture, gallery, plot, state, note, scrubber, run control): first a fresh RunControl
    (the Stop button stops it), then the grid as it fills in (its first picture still under "Starting…", then
    "Round k of n"), then its results, then the plot. A
    stopped run ends with what it made: "Stopped at round k of n.", the grid and the scrubber on the partial run.
    """
    pipe = registry.get(model)
    samplers, counts, seed = check_request(samplers, step_counts, seed)
    warn_read_as_typed(prompt)
    control = streaming.RunControl()
    size = f"{plural(len(samplers), 'sampler')} × {plural(len(counts), 'step count')}"
    starting = f"Starting {size}…"
    yield _update(gallery=[], plot=None, note=starting, scrub=100, control=control)

    live = CompareResult(samplers, counts, [Cell(name, n, SAMPLERS[name].stochastic)
                                            for name in samplers for n in counts])
    with user_errors():
        # All cells at once: their model calls share UNet batches, round by round (pipelines/grid.py); each cell
        # is byte-identical to the same settings run alone. The rounds run ahead on a thread of their own.
        grid = GridRun(pipe, prompt, negative or "", [(c.sampler, c.steps) for c in live.cells], guidance, seed,
                       return_trajectory=True)
        last = None
        for made in streaming.ahead(grid.rounds(), control, every=UPDATE_EVERY):
            if made:
                # The note says "Round ..." from the second picture on: the browser fetches a new picture after its
                # update has come, so the first one (with nothing under it yet) would leave the box empty under a
                # note that already counts rounds; later ones replace a picture that is there.
                note = starting if last is None else (
                    f"Round {made[-1].round} of {made[-1].total} · {size}, their model calls batched together. "
                    "Each cell shows its newest x̂0 (the model's guess).")
                last = made[-1]
                advance_live(pipe, live, last)
                yield _update(picture=result_image(live), note=note)
        outs = grid.outputs()
    result = finished_result(pipe, live, outs, last)
    if not grid.finished:
        yield final_update(result, None, streaming.stopped_text(grid.rounds_done, grid.total_rounds, "round") +
                           " Finished cells show their result, the others their newest step; the scrubber "
                           "moves over the steps made. The plot needs a finished run.")
        return

    yield final_update(result, gr.skip(), f"Grid done in {result.batch_ms:.0f} ms; making the reference picture "
                                          f"for the plot ({REFERENCE_SAMPLER}, {REFERENCE_STEPS} steps)…")
    reference = make_reference(pipe, prompt, negative, guidance, seed, control)
    if not isinstance(reference, PlaygroundOutput):
        yield final_update(result, None, streaming.stopped_text(reference, REFERENCE_STEPS, "reference step") +
                           " The grid is complete; the plot needs the reference.")
        return
    for cell in result.cells:
        cell.rmse = rmse(cell.final, reference.images[0])
    evals = sum(cell.nfe for cell in result.cells)
    note = (f"Reference: {REFERENCE_SAMPLER} at {REFERENCE_STEPS} steps, same prompt and seed. "
            f"Distance = root-mean-square difference of the pixels (0-255).\n\n"
            f"**Time:** the {len(result.cells)} cells ran together in **{result.batch_ms:.0f} ms** ({evals} model "
            f"evaluations, batched across cells); each cell's \"batch share\" is that time split in proportion to "
            f"its evaluations.")
    if not cells_match_alone(pipe):
        note += "\n\n" + alone_note(pipe, prompt, negative, guidance, seed, result)
    yield final_update(result, convergence_plot(result.cells, REFERENCE_STEPS), note)


def alone_note(pipe, prompt, negative, guidance, seed, result: CompareResult) -> str:
    """Where batched cells are not byte-identical to cells made alone (a GPU): the first cell made alone again and
    how far its picture is from the batched one, measured on this run."""
    cell = result.cells[0]
    with user_errors():
        d = difference_from_alone(pipe, prompt, negative or "", (cell.sampler, cell.steps), guidance, seed,
                                  cell.final)
    where = f"**On {pipe.device.type.upper()}** the cells ran batched together, and its kernels"
    why = ("pick other algorithms for other batch sizes, so a cell can differ from the same settings made alone in "
           "the last bits of its numbers (on a CPU the playground makes them byte-identical).")
    if d["identical"]:
        return f"{where} {why} Checked on this run: {cell.sampler} at {cell.steps} steps made alone is byte-identical."
    return (f"{where} {why} Checked on this run: {cell.sampler} at {cell.steps} steps made alone differs in "
            f"{d['changed']:.1%} of its pixel values, by at most {d['max_abs']}/255 ({d['psnr_db']:.0f} dB PSNR).")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def advance_live(pipe, live: CompareResult, done) -> None:
    """Each cell of `live` that moved on at its newest step (a GridRound's), for the streamed grid."""
    moved = [(cell, record) for cell, record in zip(live.cells, done.latest)
             if record is not None and (not cell.frames or cell.frames[-1].step != record.step)]
    for (cell, record), frame in zip(moved, frames_of(pipe, [record for _, record in moved])):
        cell.frames, cell.nfe = [frame], record.nfe


def finished_result(pipe, live: CompareResult, outs, last) -> CompareResult:
    """The comparison's state from the grid's outputs: every cell's steps; finished cells get their result."""
    finished = last.finished if last is not None else (False,) * len(outs)
    result = CompareResult(live.samplers, live.counts, batch_ms=sum(out.seconds for out in outs) * 1000)
    for cell, out, done in zip(live.cells, outs, finished):
        result.cells.append(Cell(cell.sampler, cell.steps, cell.stochastic, frames_of(pipe, out.trajectory),
                                 out.nfe, out.seconds * 1000, out.images[0] if done else None))
    return result


def make_reference(pipe, prompt, negative, guidance, seed, control):
    """The many-step reference's output, or (stopped) the number of steps it had made. It runs ahead on a thread of
    its own, as the grid does."""
    made = 0
    with user_errors():
        steps = pipe.generate_steps(prompt, negative or "", REFERENCE_SAMPLER, REFERENCE_STEPS, guidance, seed)
        for items in streaming.ahead(steps, control, every=UPDATE_EVERY):
            for item in items:
                if isinstance(item, PlaygroundOutput):
                    return item
                made += 1
    return made


def final_update(result: CompareResult, plot, note: str):
    """The last update of a run: results (or, stopped, the newest steps), gallery, plot, state, the scrubber at 100."""
    return _update(result_image(result), grid_gallery(result), plot, result, note, 100)


def grid_gallery(result: CompareResult, fraction: float | None = None, which: str = "x0"):
    """The grid, row by row (sampler) and column by column (steps), each cell captioned with its cost and step."""
    items = []
    for cell in result.cells:
        picture, caption = cell_view(cell, fraction, which)
        if picture is not None:
            items.append((for_gallery(picture), f"{cell.sampler} · {cell.steps} steps · {cost_caption(cell)} · "
                                                f"{caption}"))
    return items


def scrub_grid(result: CompareResult | None, percent, which: str):
    """The shared scrubber: every cell at the same fraction of its own schedule (as far as a stopped run got)."""
    if not isinstance(result, CompareResult) or not result.cells:
        return None, []
    fraction = min(1.0, max(0.0, float(percent or 0) / 100.0))
    which = "x_t" if str(which).startswith("x_t") else "x0"
    return result_image(result, fraction, which), grid_gallery(result, fraction, which)


def grid_columns(step_counts):
    """One grid column per step count, so rows line up with samplers."""
    try:
        return gr.update(columns=len(parse_step_counts(step_counts)))
    except gr.Error:
        return gr.skip()
