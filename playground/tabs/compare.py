"""The Compare samplers tab: every chosen sampler at every step count, same prompt, seed and starting noise, as
an AUTOMATIC1111-style grid with a shared scrubber, and a convergence plot against a many-step reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import gradio as gr
from PIL import Image, ImageDraw

from pipelines import SAMPLERS
from pipelines.limits import MAX_GRID_CELLS, MAX_SEED
from pipelines.preview import to_pil
from playground import parsing
from playground.components import Slider, guidance_slider, seed_box
from playground.feedback import user_errors
from playground.lab.metrics import rmse
from playground.pictures import for_gallery
from playground.plots import convergence_plot
from playground.registry import MODEL_QUEUE, ModelRegistry

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
picture, not a sharper one. For comparison, the DPM-Solver authors report images "almost converged" at 20 steps
and "converged" at 50 on real models (LuChengTHU/dpm-solver README).
"""

REFERENCE_SAMPLER, REFERENCE_STEPS = "DPM++ 2M", 100


def build(registry: ModelRegistry, model: gr.Dropdown) -> None:
    """The Compare samplers tab, wired, inside the current Blocks; ``model`` is the page's model dropdown."""
    pipe = registry.get(None)
    with gr.Tab("Compare samplers", id="compare", elem_id="tab_compare"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(label="Prompt", value="a yellow triangle on the left, white background",
                                    elem_id="c_prompt")
                negative = gr.Textbox(label="Negative prompt", value="", elem_id="c_negative")
                samplers = gr.Dropdown(list(SAMPLERS), value=["Euler", "Euler a", "Heun", "DPM++ 2M"],
                                       multiselect=True, label="Samplers", elem_id="c_samplers")
                step_counts = gr.Textbox(label="Step counts (comma-separated, up to 6)", value="5, 10, 20",
                                         elem_id="c_steps")
                with gr.Row():
                    guidance = guidance_slider(pipe.config.default_guidance_scale, "c_guidance")
                    seed = seed_box("c_seed", maximum=MAX_SEED)
                run = gr.Button("Compare", variant="primary", elem_id="compare")
                note = gr.Markdown(elem_id="c_note")
            with gr.Column(scale=3):
                plot = gr.Plot(label="Convergence", elem_id="c_plot")
                gr.Markdown(PLOT_EXPLAINER)
        grid_picture = gr.Image(label="Sampler × steps", elem_id="grid_image", interactive=False, format="png",
                                show_label=True)
        grid = gr.Gallery(label="The same cells one by one (rows: samplers; columns: step counts)", columns=3,
                          height=320, elem_id="grid", interactive=False, object_fit="contain")
        step_counts.change(grid_columns, inputs=step_counts, outputs=grid, api_name=False, show_progress="hidden")
        with gr.Row():
            scrubber = Slider(0, 100, value=100, step=1, label="Scrub all cells together (% of each schedule)",
                              elem_id="c_scrub")
            which = gr.Radio(["x̂0 (model's guess)", "x_t (noisy sample)"], value="x̂0 (model's guess)",
                             label="Show", elem_id="c_which")
        result = gr.State(None)

        run.click(partial(compare, registry), inputs=[model, prompt, negative, samplers, step_counts, guidance, seed],
                  outputs=[grid_picture, grid, plot, result, note], api_name="compare", concurrency_id=MODEL_QUEUE)
        scrubber.input(scrub_grid, inputs=[result, scrubber, which], outputs=[grid_picture, grid],
                       api_name="scrub_grid", show_progress="hidden")
        which.change(scrub_grid, inputs=[result, scrubber, which], outputs=[grid_picture, grid], api_name=False,
                     show_progress="hidden")


# --------------------------------------------------------------------------- handlers

def parse_step_counts(text) -> list[int]:
    """The step counts box: '5, 10, 20' -> [5, 10, 20]; gr.Error with a plain message for anything else."""
    with user_errors():
        return parsing.parse_step_counts(text)


@dataclass
class CompareResult:
    """Per-user state of the last comparison: every cell's step pictures, for the shared scrubber."""

    cells: list = field(default_factory=list)  # dicts: sampler, steps, nfe, ms, x_t, x0 (lists of PIL), final, rmse
    samplers: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    batch_ms: float = 0.0  # wall time of the whole grid; each cell's "ms" is its share of it


def cell_caption(cell: dict) -> str:
    """The cell's cost: its model evaluations and its share of the grid's batch time (see compare)."""
    return f"{cell['sampler']} · {cell['steps']} steps · {cell['nfe']} evals · batch share {cell['ms']:.0f} ms"


def compare(registry: ModelRegistry, model: str, prompt: str, negative: str, samplers, step_counts, guidance, seed,
            progress=gr.Progress()):
    """Run every sampler at every step count on the same prompt and seed. Yields (grid, plot, state, note)."""
    pipe = registry.get(model)
    with user_errors():
        seed = parsing.parse_seed(seed)
    samplers = [s for s in (samplers or []) if s]
    if not samplers:
        raise gr.Error("Pick at least one sampler to compare.", print_exception=False)
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown:
        raise gr.Error(f"Unknown sampler {unknown[0][:40]!r}. Choose from: {', '.join(SAMPLERS)}.",
                       print_exception=False)
    counts = parse_step_counts(step_counts)
    n_cells = len(samplers) * len(counts)
    if n_cells > MAX_GRID_CELLS:
        raise gr.Error(f"That is {n_cells} cells ({len(samplers)} samplers × {len(counts)} step counts); "
                       f"at most {MAX_GRID_CELLS} at once. Pick fewer samplers or step counts.",
                       print_exception=False)
    result = CompareResult(samplers=samplers, counts=counts)
    cells = [(name, n) for name in samplers for n in counts]
    with user_errors():
        progress(0, desc="reference image")
        reference = pipe(prompt, negative or "", REFERENCE_SAMPLER, REFERENCE_STEPS, guidance, seed).images[0]
        yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
               f"Reference ready; running {n_cells} cells together ({len(samplers)} samplers × {len(counts)} step "
               f"counts)…")
        # All cells at once: their model calls share UNet batches, round by round (pipelines/grid.py);
        # each cell is byte-identical to the same settings run alone.
        outs = pipe.generate_grid(prompt, negative or "", cells, guidance, seed, return_trajectory=True,
                                  on_round=lambda done, total: progress((done, total), desc="model evaluation rounds"))
    for (name, n), out in zip(cells, outs):
        result.cells.append({"sampler": name, "steps": n, "nfe": out.nfe, "ms": out.seconds * 1000,
                             "stochastic": SAMPLERS[name].stochastic, "final": out.images[0],
                             "x_t": [to_pil(pipe, r.x_t[:1])[0] for r in out.trajectory],
                             "x0": [to_pil(pipe, r.x0[:1])[0] for r in out.trajectory],
                             "rmse": rmse(out.images[0], reference)})
    result.batch_ms = sum(out.seconds for out in outs) * 1000
    evals = sum(out.nfe for out in outs)
    note = (f"Reference: {REFERENCE_SAMPLER} at {REFERENCE_STEPS} steps, same prompt and seed. "
            f"Distance = root-mean-square difference of the pixels (0-255).\n\n"
            f"**Time:** the {n_cells} cells ran together in **{result.batch_ms:.0f} ms** ({evals} model evaluations, "
            f"batched across cells); each cell's \"batch share\" is that time split in proportion to its evaluations.")
    yield (grid_image(result), grid_gallery(result), convergence_plot(result.cells, REFERENCE_STEPS), result,
           note)


def frame_at(cell: dict, fraction: float, which: str) -> tuple[Image.Image, int, int]:
    """(picture, index, number of steps): the cell's x_t or x̂0 at a fraction of its own schedule."""
    frames = cell["x_t" if which == "x_t" else "x0"]
    i = min(len(frames) - 1, max(0, int(fraction * (len(frames) - 1) + 0.5)))
    return frames[i], i, len(frames)


def grid_gallery(result: CompareResult, fraction: float | None = None, which: str = "x0"):
    """The grid, row by row (sampler) and column by column (steps). With a fraction, each cell shows its
    trajectory at that point of its own schedule; otherwise its final image."""
    items = []
    for cell in result.cells:
        if fraction is None:
            image, tag = cell["final"], ""
        else:
            image, i, n = frame_at(cell, fraction, which)
            tag = f" · step {i + 1}/{n}"
        items.append((for_gallery(image), cell_caption(cell) + tag))
    return items


def scrub_grid(result: CompareResult | None, percent, which: str):
    """The shared scrubber: every cell at the same fraction of its own schedule."""
    if not result or not result.cells:
        return None, []
    fraction = min(1.0, max(0.0, float(percent or 0) / 100.0))
    which = "x_t" if str(which).startswith("x_t") else "x0"
    return grid_image(result, fraction, which), grid_gallery(result, fraction, which)


def grid_columns(step_counts):
    """One grid column per step count, so rows line up with samplers."""
    try:
        return gr.update(columns=len(parse_step_counts(step_counts)))
    except gr.Error:
        return gr.skip()


def grid_image(result: CompareResult | None, fraction: float | None = None, which: str = "x0", cell_px: int = 128):
    """AUTOMATIC1111-style X/Y grid as one picture: a row per sampler, a column per step count, labelled."""
    if not result or not result.cells:
        return None
    samplers = result.samplers or list(dict.fromkeys(c["sampler"] for c in result.cells))
    counts = result.counts or sorted(dict.fromkeys(c["steps"] for c in result.cells))
    cells = {(c["sampler"], c["steps"]): c for c in result.cells}
    left, top, below = 150, 28, 18
    W = left + len(counts) * (cell_px + 8)
    H = top + len(samplers) * (cell_px + below + 8)
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for j, n in enumerate(counts):
        draw.text((left + j * (cell_px + 8) + 4, 8), f"{n} steps", fill=(0, 0, 0))
    for i, name in enumerate(samplers):
        y = top + i * (cell_px + below + 8)
        draw.text((6, y + cell_px // 2 - 6), name + (" *" if SAMPLERS[name].stochastic else ""), fill=(0, 0, 0))
        for j, n in enumerate(counts):
            cell = cells.get((name, n))
            if cell is None:  # not run yet (the grid streams in)
                continue
            image = cell["final"] if fraction is None else frame_at(cell, fraction, which)[0]
            x = left + j * (cell_px + 8)
            canvas.paste(image.convert("RGB").resize((cell_px, cell_px), Image.NEAREST), (x, y))
            draw.text((x + 2, y + cell_px + 3), f"{cell['nfe']} evals · ~{cell['ms']:.0f} ms", fill=(60, 60, 60))
    if any(SAMPLERS[s].stochastic for s in samplers):
        draw.text((6, H - 14), "* adds fresh noise every step", fill=(120, 120, 120))
    return canvas
