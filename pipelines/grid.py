"""A Compare grid in one go: several (sampler, steps) cells whose model calls share UNet batches.

Every cell is its own `SamplerRun` (its own fresh scheduler and its own generator
seeded with the grid's seed), so every cell starts from the same noise and ends
exactly where the same call made alone ends:

    outs = pipe.generate_grid("three red circles", "", [("Euler", 20), ("Heun", 20)], 4.0, seed=7)
    outs[1].images[0]  # byte-identical to pipe("three red circles", "", "Heun", 20, 4.0, 7).images[0]

The cells advance in evaluation rounds: in each round every unfinished cell
makes its next model call, and those calls (prompt and negative-prompt
branches included) go through the UNet together, with one timestep per
sample. A cell with more calls (Heun and DPM2 evaluate twice per step, PNDM
once extra on its first step) simply keeps going in later rounds after the
others have dropped out.

Why the model output of one sample must not depend on what else is in the batch:
otherwise a cell in the grid would differ from the same cell made alone. The pipeline
makes the UNet batch-invariant on CPU (pipelines/batch_invariance.py): its small
embedding layers compute row by row, and its convolutions, which oneDNN runs with
another kernel from a batch of 16 samples on (measured with torch 2.13 with one
thread, on an AVX-512 Intel CPU and on an AVX2 AMD EPYC), split larger batches into
chunks of at most 14. So a round of an 8-sampler grid (16 samples with guidance) is
one UNet call. GRID_MAX_BATCH caps the samples per call, for memory: larger grids are
split into equal chunks. tests/test_grid.py checks the identity on every sampler and
`python -m bench` on the real model.

The same effect rules out batching at guidance 0 or 1: only one branch runs
then, so a cell alone calls the UNet with a batch of ONE sample, and on CPU a
batch of one takes another convolution path (no oneDNN) than any larger batch.
Those grids fall back to one UNet call per cell (still one scheduler per cell,
so nothing else changes); with guidance, a cell alone is a batch of two (cond
and uncond) and batches of 2 or more agree bit for bit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import torch

from .denoising import SamplerRun
from .errors import PlaygroundInputError
from .limits import MAX_GRID_CELLS
from .outputs import PlaygroundOutput, StepRecord

if TYPE_CHECKING:  # the pipeline imports this module; this one needs its name for annotations only
    from .pipeline_playground import PlaygroundPipeline

GRID_MAX_BATCH = 16  # samples per UNet call: an 8-cell grid with guidance in one call per round


def generate_grid(
    pipe: "PlaygroundPipeline",
    prompt: str,
    negative_prompt: str = "",
    cells: Sequence[tuple[str, int]] = (),
    guidance_scale: float | None = None,
    seed: int = 0,
    return_trajectory: bool = False,
    *,
    height: int | None = None,
    width: int | None = None,
    output_type: str = "pil",
    max_batch: int = GRID_MAX_BATCH,
    on_round: Callable[[int, int], None] | None = None,
) -> list[PlaygroundOutput]:
    """Generate one image per cell, batching the cells' model calls; returns one PlaygroundOutput per cell.

    Args:
        prompt, negative_prompt, guidance_scale, seed, height, width, output_type: as for
            `PlaygroundPipeline.__call__`, shared by all cells (one image per cell, seeded `seed`).
        cells: (sampler name, steps) pairs, 1 to MAX_GRID_CELLS (24) of them; the same pair may appear twice.
        return_trajectory: keep each cell's StepRecords (one per user-visible step, as
            `generate_steps` makes them).
        max_batch: at most this many samples per UNet call (cond and uncond count separately);
            max_batch=2 runs every cell in its own calls, like one by one. At guidance 0 or 1
            every cell always gets its own calls (see the module docstring).
        on_round: called as on_round(done, total) after each evaluation round, for progress bars.

    Each output's `nfe` counts that cell's own model calls. Its `seconds` is the cell's share of the
    grid's wall time, in proportion to its model calls; the shares add up to the wall time of the
    whole grid (sum them for the batch time). To show a grid while it runs, or stop it, drive a
    `GridRun` instead.
    """
    grid = GridRun(pipe, prompt, negative_prompt, cells, guidance_scale, seed, return_trajectory, height=height,
                   width=width, output_type=output_type, max_batch=max_batch)
    for done in grid.rounds():
        if on_round is not None:
            on_round(done.round, done.total)
    return grid.outputs()


@dataclass(frozen=True)
class GridRound:
    """Where a grid stands after an evaluation round: `round` of `total`, and each cell's newest StepRecord
    (None before its first step, or without return_trajectory) and whether the cell has finished."""

    round: int
    total: int
    latest: tuple[StepRecord | None, ...]
    finished: tuple[bool, ...]


class GridRun:
    """generate_grid's work, one evaluation round at a time, for callers that show a grid while it runs or stop it:

        grid = GridRun(pipe, "three red circles", "", [("Euler", 20), ("Heun", 10)], 4.0, seed=7,
                       return_trajectory=True)
        for done in grid.rounds():   # a GridRound after each round; leave the loop to stop
            ...
        outs = grid.outputs()        # as generate_grid's; a stopped grid's unfinished cells decode what they hold

    Takes generate_grid's arguments (not on_round).
    """

    def __init__(self, pipe: "PlaygroundPipeline", prompt: str, negative_prompt: str = "",
                 cells: Sequence[tuple[str, int]] = (), guidance_scale: float | None = None, seed: int = 0,
                 return_trajectory: bool = False, *, height: int | None = None, width: int | None = None,
                 output_type: str = "pil", max_batch: int = GRID_MAX_BATCH):
        start = time.perf_counter()
        self.pipe, self.output_type, self.return_trajectory = pipe, output_type, return_trajectory

        # 1. Check inputs (every cell as if it were called alone)
        self.cells = _check_cells(cells)
        max_batch = _check_max_batch(max_batch)
        settings = [pipe.check_inputs(prompt, negative_prompt, name, steps, guidance_scale, seed, 1, height, width,
                                      output_type) for name, steps in self.cells]
        first = settings[0]

        # 2. Encode prompt (once for all cells)
        self.embeds = pipe.encode_prompt_pair(first.prompt, first.negative_prompt)
        self.warnings = list(first.warnings) + list(self.embeds.warnings)
        self.guidance_scale = first.guidance_scale

        # 3.-4. One run per cell: its own scheduler, timesteps and generator, hence the same starting noise
        self.runs = [SamplerRun(pipe, s, record_steps=return_trajectory) for s in settings]
        single_branch = first.guidance_scale in (0, 1)
        self.cells_per_call = 1 if single_branch else max_batch // 2  # single branch: see the module docstring
        self.total_rounds = max(len(run.timesteps) for run in self.runs)
        self.rounds_done = 0
        self._busy = time.perf_counter() - start  # the grid's own time: checks, encoding, rounds, decoding

    @property
    def finished(self) -> bool:
        return self.rounds_done >= self.total_rounds

    def step_round(self) -> GridRound:
        """5. One evaluation round: the next model call of every unfinished cell, in UNet batches."""
        start = time.perf_counter()
        active = [run for run in self.runs if not run.finished]
        with torch.inference_mode():
            for group in _equal_chunks(active, self.cells_per_call):
                _batched_call(self.pipe, group, self.embeds, self.guidance_scale)
        self.rounds_done += 1
        self._busy += time.perf_counter() - start
        return GridRound(self.rounds_done, self.total_rounds,
                         tuple(run.trajectory[-1] if run.trajectory else None for run in self.runs),
                         tuple(run.finished for run in self.runs))

    def rounds(self) -> Iterator[GridRound]:
        """The remaining rounds, one GridRound after each."""
        while not self.finished:
            yield self.step_round()

    def outputs(self) -> list[PlaygroundOutput]:
        """6. Decode each cell (as a call alone does) and share out the grid's own time (what its caller did
        between rounds, such as drawing pictures, does not count)."""
        start = time.perf_counter()
        outputs = [run.output(self.warnings, self.output_type, self.return_trajectory) for run in self.runs]
        seconds = self._busy + time.perf_counter() - start
        total_nfe = sum(out.nfe for out in outputs)
        for out in outputs:
            out.seconds = seconds * out.nfe / total_nfe if total_nfe else 0.0
        return outputs


def cells_match_alone(pipe: "PlaygroundPipeline") -> bool:
    """Whether the grid's batched cells are byte-identical to the cells made alone on the pipeline's device: on
    CPU, yes (the batch-invariant UNet, above). On a GPU the kernels (cuBLAS, cuDNN) pick other algorithms for
    other batch sizes and nothing here pins them, so a batched cell can differ in the last bits of its numbers;
    `difference_from_alone` measures by how much."""
    return pipe.device.type == "cpu"


def difference_from_alone(pipe: "PlaygroundPipeline", prompt: str, negative_prompt: str, cell: tuple[str, int],
                          guidance_scale: float | None, seed: int, batched_image) -> dict:
    """Make one grid cell alone and compare its picture with the same cell's batched picture (PIL or array, 0-255):
    {"sampler", "steps", "identical", "max_abs" (0-255), "changed" (share of pixel values that differ), "psnr_db"
    (inf when identical)}."""
    import numpy as np

    sampler, steps = cell
    alone = np.asarray(pipe(prompt, negative_prompt, sampler, steps, guidance_scale, seed).images[0], np.int16)
    batched = np.asarray(batched_image, np.int16)
    diff = np.abs(alone - batched)
    mse = float((diff.astype(np.float64) ** 2).mean())
    return {"sampler": sampler, "steps": steps, "identical": bool(mse == 0), "max_abs": int(diff.max()),
            "changed": float((diff > 0).mean()), "psnr_db": math.inf if mse == 0 else 10 * math.log10(255**2 / mse)}


def _batched_call(pipe: "PlaygroundPipeline", group: list[SamplerRun], embeds, guidance_scale: float) -> None:
    """One UNet call for the next model call of every run in the group, then each run's scheduler step."""
    inputs = [run.model_input() for run in group]
    x = torch.cat([model_input for model_input, _ in inputs])
    # The UNet turns a timestep into float32 before embedding it, whatever its dtype; doing the same
    # here lets integer (DDPM, DDIM) and float (Euler) timesteps share one tensor, bit for bit.
    t = torch.stack([torch.as_tensor(t, device=x.device).reshape(()).float() for _, t in inputs])
    guided, cond, uncond = pipe.guided_prediction(x, t, embeds, guidance_scale)
    start = 0
    for run, (model_input, _) in zip(group, inputs):
        part = slice(start, start + model_input.shape[0])
        run.step(guided[part], None if cond is None else cond[part], None if uncond is None else uncond[part])
        start = part.stop


def _equal_chunks(items: list, most: int) -> list[list]:
    """items split in order into as few chunks of at most `most` as possible, their sizes differing by at most 1."""
    if not items:
        return []
    n = math.ceil(len(items) / most)
    size, extra = divmod(len(items), n)
    chunks, start = [], 0
    for i in range(n):
        stop = start + size + (i < extra)
        chunks.append(items[start:stop])
        start = stop
    return chunks


def _check_cells(cells) -> list[tuple[str, int]]:
    message = (f"Cells must be a list of 1 to {MAX_GRID_CELLS} (sampler, steps) pairs, "
               f"e.g. [('Euler', 20), ('Heun', 10)] (got {str(cells)[:80]!r}).")
    if isinstance(cells, (str, bytes)) or not isinstance(cells, Sequence) or not 1 <= len(cells) <= MAX_GRID_CELLS:
        raise PlaygroundInputError(message)
    checked = []
    for cell in cells:
        if isinstance(cell, (str, bytes)) or not isinstance(cell, Sequence) or len(cell) != 2:
            raise PlaygroundInputError(message)
        checked.append((cell[0], cell[1]))
    return checked


def _check_max_batch(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise PlaygroundInputError(f"max_batch must be a whole number of at least 2, the cond and uncond "
                                   f"samples of one cell (got {value!r}).")
    return value
