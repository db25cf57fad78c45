"""Errors the playground shows to people as they are.

Messages are short, say what was given and what is allowed, and avoid
library jargon: the UI prints them verbatim.
"""


class PlaygroundInputError(ValueError):
    """A setting or prompt that the pipeline cannot use (steps out of range, unknown sampler, ...)."""


class ModelLoadError(RuntimeError):
    """A model folder or Hub id that could not be loaded (missing parts, pickled weights, no network, ...)."""
