"""Nothing reachable that should not be (issue 7).

- The browser picks models by registered name only; it can never name a file path or a Hub id.
- Only safetensors weights load; pickled ones are refused: tests/test_loading.py
  (test_pickled_weights_are_refused, test_pickled_checkpoint_file_is_refused), referenced, not repeated.
- Uploads are read as images only, with size limits; Gradio refuses uploads over app.MAX_UPLOAD_BYTES;
  files the app hands out live in Gradio's temp dir, and the server serves no other file.
- `python app.py` listens on 127.0.0.1 unless told otherwise.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

import app
from api_calls import RawCallError, raw_call
from pipelines import PlaygroundInputError
from playground import files
from playground import registry as model_registry
from playground.lab import forward_process
from playground.registry import ModelRegistry
from playground.tabs import forward as forward_tab
from playground.tabs import generate

REPO = Path(__file__).resolve().parents[2]
TEMP = Path(os.environ["GRADIO_TEMP_DIR"]).resolve()
GEN = ("a red circle", "", "Euler", 2, 4.0, 1, 1, False)


@pytest.fixture(scope="module")
def client(served_app, tmp_path_factory):
    # Downloads go to a folder of their own: not GRADIO_TEMP_DIR, where the server in this process reads.
    return Client(served_app.url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


# --------------------------------------------------------------------------- models by name only

@pytest.mark.parametrize("model", ["../../etc/passwd", "/etc/passwd", "org/name", "runwayml/stable-diffusion-v1-5",
                                   "bundled/../../x", ""])
def test_generate_refuses_a_model_that_is_not_registered(client, model):
    with pytest.raises(Exception, match=rf"Value: {re.escape(model)} is not in the list of choices: "
                                        r"\['bundled', 'pixel'\]"):
        client.predict(model, *GEN, api_name="/generate")


@pytest.mark.parametrize("api_name, args", [
    ("/model_card", ()),
    ("/run_preset", ("count-3-red-circles", 1, 0, 1, "Euler", 4.0)),
    ("/forward", (forward_process.example_names()[0], None, 10, 0)),
])
def test_every_tab_refuses_a_path_for_a_model(client, api_name, args):
    with pytest.raises(Exception, match=r"org/name is not in the list of choices"):
        client.predict("org/name", *args, api_name=api_name)


def test_the_registry_never_loads_what_it_is_asked_for(monkeypatch, served_app):
    """Behind Gradio's check: a name that is not registered is refused without touching disk or the Hub."""
    def no_loading(*a, **k):
        raise AssertionError("the registry tried to load a model at request time")

    monkeypatch.setattr(model_registry, "load_pipeline", no_loading)
    registry = served_app.registry
    for name in ["../../etc/passwd", "org/name", "assets/bundled", str(REPO / "assets" / "bundled")]:
        with pytest.raises(PlaygroundInputError, match="Unknown model"):
            registry.get(name)
        with pytest.raises(gr.Error, match="Unknown model"):
            next(generate.generate(registry, name, *GEN))
        with pytest.raises(gr.Error, match="Unknown model"):
            forward_tab.forward(registry, name, forward_process.example_names()[0], None, 10, 0)


def test_pickled_weights_are_covered_by_the_loading_tests():
    import importlib.util

    spec = importlib.util.spec_from_file_location("test_loading", REPO / "tests" / "pipelines" / "test_loading.py")
    test_loading = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_loading)

    assert callable(test_loading.test_pickled_weights_are_refused)
    assert callable(test_loading.test_pickled_checkpoint_file_is_refused)


# --------------------------------------------------------------------------- files

def _server_paths(value) -> list[str]:
    """Every server-side file path in an output (with download_files=False, files come back as FileData)."""
    if isinstance(value, dict):
        found = [value["path"]] if isinstance(value.get("path"), str) else []
        return found + [p for v in value.values() for p in _server_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _server_paths(v)]
    return []


def _inside(path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder)


def test_files_the_app_hands_out_live_in_gradios_temp_dir(served_app, tmp_path):
    started = time.time()
    c = Client(served_app.url, verbose=False, download_files=False)
    upload = tmp_path / "upload.png"
    Image.new("RGB", (40, 30), (0, 200, 0)).save(upload)
    outputs = [
        c.predict("bundled", *GEN, api_name="/generate"),
        c.predict(1, api_name="/scrub"),
        c.predict(api_name="/export_gif"),
        c.predict("bundled", forward_process.example_names()[0], handle_file(str(upload)), 100, 0, api_name="/forward"),
    ]
    paths = _server_paths(outputs)
    assert len(paths) >= 8
    outside = [p for p in paths if not _inside(p, TEMP)]
    assert not outside, f"files outside GRADIO_TEMP_DIR ({TEMP}): {outside}"
    assert _inside(files.out_dir(), TEMP)
    # ...and nothing was written into the repository.
    skip = {".git", ".venv", "runs", "__pycache__"}
    new = [p for p in REPO.rglob("*") if p.is_file() and not skip & set(p.relative_to(REPO).parts)
           and p.suffix in (".png", ".gif", ".webp", ".jpg") and p.stat().st_mtime >= started]
    assert not new, new


@pytest.mark.parametrize("path", ["/etc/passwd", str(REPO / "app.py"), str(REPO / "README.md"), "../../../etc/passwd"])
def test_the_server_serves_no_other_file(served_app, path):
    r = httpx.get(f"{served_app.url}gradio_api/file={path}", timeout=30)
    assert r.status_code in (403, 404), (r.status_code, r.text[:200])
    assert "root:" not in r.text


@pytest.mark.parametrize("api_name, args", [("/restore_png", []), ("/forward", ["bundled", None, 10, 0])])
def test_an_api_caller_cannot_hand_in_a_server_path_as_an_upload(served_app, api_name, args):
    file_data = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}, "orig_name": "passwd.png"}
    args = args[:2] + [file_data] + args[2:] if args else [file_data]
    with pytest.raises(RawCallError, match="Cannot move /etc/passwd to the gradio cache dir because it was not "
                                           "uploaded by a user"):
        raw_call(served_app.url, api_name, args)


def test_uploads_over_the_size_limit_are_refused_by_gradio(served_app, client, tmp_path):
    assert served_app.demo.max_file_size == app.MAX_UPLOAD_BYTES == files.MAX_UPLOAD_BYTES
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (app.MAX_UPLOAD_BYTES + 1))
    # gradio_client reads the limit from the served config and refuses before sending...
    with pytest.raises(ValueError, match=rf"exceeds the maximum file size of {app.MAX_UPLOAD_BYTES} bytes"):
        client.predict(handle_file(str(big)), api_name="/restore_png")
    # ...and the server refuses a hand-made upload without keeping it.
    before = {p for p in TEMP.rglob("*") if p.is_file()}
    with big.open("rb") as f:
        r = httpx.post(f"{served_app.url}gradio_api/upload", files={"files": ("big.png", f, "image/png")}, timeout=60)
    assert r.status_code == 413, (r.status_code, r.text[:300])
    kept = [p for p in TEMP.rglob("*") if p.is_file() and p not in before and p.stat().st_size > app.MAX_UPLOAD_BYTES]
    assert not kept, kept
    assert client.predict("bundled", *GEN, api_name="/generate")[0]  # still serving


# --------------------------------------------------------------------------- where it listens

def test_app_listens_on_this_machine_only_by_default():
    assert app.parse_args([]).host == "127.0.0.1"
    assert app.parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"
    assert app.parse_args([]).concurrency == 2


def test_main_passes_host_queue_and_upload_limit_to_gradio(monkeypatch, served_app):
    """`python app.py --concurrency 3` (launch stubbed): 127.0.0.1, no share link, 3 runs at once, upload cap."""
    seen = {}
    monkeypatch.setattr(ModelRegistry, "load",
                        classmethod(lambda cls, sources, device="cpu", dtype="fp32": served_app.registry))
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(demo=self, **kw))
    app.main(["--concurrency", "3"])
    assert seen["server_name"] == "127.0.0.1"
    assert not seen.get("share")
    assert seen["max_file_size"] == app.MAX_UPLOAD_BYTES
    assert seen["state_session_capacity"] == app.SESSIONS  # bounds the memory per-user state can take
    assert seen["demo"]._queue.default_concurrency_limit == 3
    assert seen["demo"]._queue.max_size == app.QUEUE_SIZE
