"""Model side of the diffusion playground: the pipeline, its samplers and loading.

    from pipelines import load_pipeline, SAMPLERS
    pipe = load_pipeline()  # the default bundled model; load_pipeline("shapes-32"): the 32x32 one, by name
    out = pipe("three red circles on a blue background", sampler="DPM++ 2M", seed=7, return_trajectory=True)
    outs = pipe.generate_grid("three red circles", "", [("Euler", 20), ("Heun", 10)], 4.0, seed=7)  # batched cells

pipelines.attention_maps records where each word of the prompt was read (cross-attention maps), beside the UNet's
own attention.

Nothing here imports gradio.
"""

from . import limits
from .denoising import SamplerRun
from .errors import ModelLoadError, PlaygroundInputError
from .grid import GRID_MAX_BATCH, GridRound, GridRun, cells_match_alone, difference_from_alone, generate_grid
from .loading import load_pipeline
from .outputs import PlaygroundOutput, StepRecord
from .pipeline_playground import PlaygroundPipeline
from .samplers import SAMPLERS, SamplerSpec, get_sampler, make_scheduler

__all__ = [
    "GRID_MAX_BATCH",
    "GridRound",
    "GridRun",
    "SAMPLERS",
    "ModelLoadError",
    "PlaygroundInputError",
    "PlaygroundOutput",
    "PlaygroundPipeline",
    "SamplerRun",
    "SamplerSpec",
    "StepRecord",
    "cells_match_alone",
    "difference_from_alone",
    "generate_grid",
    "get_sampler",
    "limits",
    "load_pipeline",
    "make_scheduler",
]
