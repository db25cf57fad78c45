"""The pipeline as diffusers loads it by itself, from this folder:

    from diffusers import DiffusionPipeline
    pipe = DiffusionPipeline.from_pretrained("assets/bundled", custom_pipeline="pipelines", trust_remote_code=True)

diffusers copies this file and the files it imports relatively (one level deep, not theirs), so every module of the
pipeline is named here.
"""
# noqa: F401 on each: imported to be copied (see above)
from .batch_invariance import make_batch_invariant  # noqa: F401
from .denoising import SamplerRun  # noqa: F401
from .emphasis import weighted_ids  # noqa: F401
from .errors import PlaygroundInputError  # noqa: F401
from .grid import generate_grid  # noqa: F401
from .limits import MAX_STEPS  # noqa: F401
from .outputs import PlaygroundOutput  # noqa: F401
from .samplers import SAMPLERS  # noqa: F401
from .pipeline_playground import PlaygroundPipeline

__all__ = ["PlaygroundPipeline"]
