"""Shared test setup: offline Hub, one CPU thread, session-wide tiny pipelines."""

import os
import sys
from pathlib import Path

# Before anything imports huggingface_hub: never touch the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `import pipelines`

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

import tiny_models  # noqa: E402


def pytest_configure(config):
    # torchsde warns about float rounding at its interval ends; harmless (see pipeline_playground.py).
    config.addinivalue_line("filterwarnings", "ignore:Should have:UserWarning:torchsde")


@pytest.fixture(scope="session")
def pixel_pipe(tmp_path_factory):
    """A tiny pixel-space pipeline (8x8 images, v-prediction, pooled-text class embedding)."""
    return tiny_models.build_pixel_pipeline(tmp_path_factory.mktemp("pixel"))


@pytest.fixture(scope="session")
def latent_pipe(tmp_path_factory):
    """A tiny SD-shaped latent pipeline (16x16 images, 8x8x4 latents, epsilon)."""
    return tiny_models.build_latent_pipeline(tmp_path_factory.mktemp("latent"))


@pytest.fixture(params=["pixel", "latent"])
def any_pipe(request):
    """Each test using this runs once per pipeline kind."""
    return request.getfixturevalue(f"{request.param}_pipe")
