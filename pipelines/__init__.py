"""Model side of the diffusion playground: the pipeline, its samplers and loading.

    from pipelines import load_pipeline, SAMPLERS
    pipe = load_pipeline()  # the bundled model in assets/bundled/
    out = pipe("three red circles on a blue background", sampler="DPM++ 2M", seed=7, return_trajectory=True)

Nothing here imports gradio.
"""

from .errors import ModelLoadError, PlaygroundInputError
from .loading import load_pipeline
from .pipeline_playground import PlaygroundOutput, PlaygroundPipeline, StepRecord
from .samplers import SAMPLERS, SamplerSpec, get_sampler, make_scheduler

__all__ = [
    "SAMPLERS",
    "ModelLoadError",
    "PlaygroundInputError",
    "PlaygroundOutput",
    "PlaygroundPipeline",
    "SamplerSpec",
    "StepRecord",
    "get_sampler",
    "load_pipeline",
    "make_scheduler",
]
