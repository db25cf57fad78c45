"""training/recipes/v2_gpu.sh, the v2 model's next UNet phase for a GPU machine, run here on the CPU for a few
steps: the files that come back from the machine, and the model folder made from them here (``unpack``)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from training.stages import next_tune, stage_match, stage_number

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "assets" / "v2"
LAST = max((k for k in json.loads((MODEL / "training.json").read_text()) if stage_match(k, "tune")),
           key=stage_number)  # the model's last stage: the GPU phase trains the next
NEXT = next_tune(LAST)
pytestmark = pytest.mark.slow


def _bash(*args, **env):
    done = subprocess.run(["bash", "training/recipes/v2_gpu.sh", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable, **env}, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def came_back(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    _bash(OUT=str(out), RUN=str(tmp_path_factory.mktemp("gpu-run")), DEVICE="cpu", MINUTES="0.1", BATCH="2",
          PROBE_STEPS="26", WORKERS="1", LR="0.05", WHEELS="none")
    return out


def test_what_comes_back_is_the_new_text_encoder_and_unet_with_their_log(came_back):
    assert sorted(p.name for p in came_back.iterdir()) == [
        "args.json", "log.csv", "session.txt", "text_encoder.safetensors", "text_encoder_config.json",
        "unet.safetensors", "unet_config.json"]
    session = (came_back / "session.txt").read_text()
    for step in ("import", "probe", NEXT, "export"):
        assert f"step {step}: exit 0" in session, session
    # the probe's 26 steps (log rows at 0 and 25) time the rest: as many as fit 0.1 minutes, 8% to spare
    pace, steps = re.search(rf"probe: ([0-9.]+) s a step of 2 with 1 workers; {NEXT}: (\d+) steps", session).groups()
    assert float(pace) > 0 and int(steps) == 26 + max(int(6 * 0.92 / float(pace)), 1)
    args = json.loads((came_back / "args.json").read_text())
    assert (args["init"], args["batch"], args["device"], args["lr"]) == (LAST, 2, "cpu", 0.05)
    assert (came_back / "log.csv").read_text().startswith("step,loss,lr,img_per_s,minutes")

    new, old = load_file(came_back / "unet.safetensors"), load_file(MODEL / "unet" / "diffusion_pytorch_model.safetensors")
    assert new.keys() == old.keys() and all(t.dtype == torch.float16 for t in new.values())  # exported as shipped
    assert any(not torch.equal(new[k], old[k]) for k in new)  # trained
    config = {k: v for k, v in json.loads((came_back / "unet_config.json").read_text()).items() if k != "_name_or_path"}
    assert config == {k: v for k, v in json.loads((MODEL / "unet" / "config.json").read_text()).items()
                      if k != "_name_or_path"}


def test_unpack_makes_a_model_folder_that_loads_and_draws(came_back, tmp_path):
    from pipelines import load_pipeline

    run, model = tmp_path / "run", tmp_path / "model"
    printed = _bash("unpack", str(came_back), str(run), str(model))
    assert f"{LAST} continued as {NEXT}" in printed and "training.model_card_v2" in printed
    assert (run / NEXT / "log.csv").exists() and (run / "imported.json").exists()
    assert (model / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == \
        (came_back / "unet.safetensors").read_bytes()
    for same in ("vae/diffusion_pytorch_model.safetensors", "preview_vae/diffusion_pytorch_model.safetensors",
                 "tokenizer/tokenizer.json", "model_index.json"):  # the preview decoder goes with its vae
        assert (model / same).read_bytes() == (MODEL / same).read_bytes(), same
    assert not (model / "README.md").exists()  # the card is measured again, not copied

    pipe = load_pipeline(str(model))
    out = pipe("a red bicycle leaning against a brick wall", num_inference_steps=2, seed=0, output_type="np")
    assert out.images[0].shape == (64, 64, 3) and np.isfinite(out.images[0]).all()
