"""Shared test setup: offline Hub, one CPU thread, session-wide tiny pipelines."""

import os
import socket
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace

# Before anything imports huggingface_hub: never touch the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# Before anything imports gradio (it reads these at import): no analytics, a temp dir of the test run's own.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))
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


@pytest.fixture(scope="session")
def shapes_pipe(latent_pipe):
    """The tiny latent pipeline standing in for the shapes-32 model under any name (as "bundled" in the served tiny
    app, whatever model "bundled" means): its description names the shapes world, so its pictures are judged there."""
    from pipelines import PlaygroundPipeline

    pipe = PlaygroundPipeline(**latent_pipe.components, model_description="Shapes world: the tiny latent test model")
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="session")
def ztsnr_pipe(pixel_pipe):
    """The tiny pixel pipeline on a zero-terminal-SNR schedule (the 16x16 bundled model's kind): its first
    sigma is 4096, pure noise."""
    return tiny_models.on_zero_terminal_snr(pixel_pipe)


@pytest.fixture(scope="session")
def v2_pipe():
    """The bundled v2 model (assets/v2) as the app loads it; the tests using it skip where a checkout lacks it."""
    from pipelines import load_pipeline
    from pipelines.loading import BUNDLED

    if not (BUNDLED["v2"] / "model_index.json").exists():
        pytest.skip("the bundled v2 model is not in this checkout")
    pipe = load_pipeline("v2")
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture
def v2_registry(v2_pipe, latent_pipe, pixel_pipe):
    """The real v2 model first (the page's default), the tiny latent model as shapes-32 and the tiny pixel one
    (no world)."""
    from playground.registry import ModelRegistry

    return ModelRegistry(OrderedDict([("v2", v2_pipe), ("shapes-32", latent_pipe), ("pixel", pixel_pipe)]))


@pytest.fixture(params=["pixel", "latent"])
def any_pipe(request):
    """Each test using this runs once per pipeline kind."""
    return request.getfixturevalue(f"{request.param}_pipe")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _registry(kind: str, request):
    from pipelines.loading import BUNDLED_DIR, bundled_models
    from playground.registry import ModelRegistry

    latent = request.getfixturevalue("latent_pipe")
    if kind == "tiny":
        return ModelRegistry(OrderedDict(bundled=request.getfixturevalue("shapes_pipe"),
                                         pixel=request.getfixturevalue("pixel_pipe")))
    if kind == "bundled":  # the models people get, as `python app.py` loads them (the default first); the tiny
        if (BUNDLED_DIR / "model_index.json").exists():  # latent one where a checkout lacks their weights
            return ModelRegistry.load(bundled_models())
        return ModelRegistry(OrderedDict(tiny=latent))
    raise ValueError(f"no app of kind {kind!r}")


@pytest.fixture(scope="session")
def serve_app(request):
    """The one way tests serve the app: as `python app.py` serves it (its queue size, launch options and CSS,
    2 runs at once), on 127.0.0.1. ``serve_app("tiny")`` serves the tiny latent model as "bundled" (so the
    Limits tab judges its pictures) and the tiny pixel model as "pixel"; ``serve_app("bundled")`` the real
    bundled model, for the browser tests and screenshots. Each is started once a session, on first use, and
    returns an object with url, demo and registry."""
    import app
    from playground.app_ui import CSS, build_demo

    servers: dict[str, SimpleNamespace] = {}

    def serve(kind: str = "tiny") -> SimpleNamespace:
        if kind not in servers:
            registry = _registry(kind, request)
            demo = build_demo(registry).queue(default_concurrency_limit=2, max_size=app.QUEUE_SIZE)
            port = free_port()
            demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS,
                        **app.LAUNCH_OPTIONS)
            servers[kind] = SimpleNamespace(url=f"http://127.0.0.1:{port}/", demo=demo, registry=registry)
        return servers[kind]

    yield serve
    for server in servers.values():
        server.demo.close()


@pytest.fixture(scope="session")
def served_app(serve_app):
    """The app on the tiny models (see serve_app)."""
    return serve_app("tiny")
