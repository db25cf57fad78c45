"""Training on a tiny config: the loss falls, and --resume continues exactly the same run."""
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from training import train


def run(tmp, *args):
    return train.main(["--tiny", "--batch", "8", "--out", str(tmp), "--threads", "1", "--checkpoint-minutes", "100", *args])


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    losses = run(out, "--phase", "vae", "--steps", "120", "--lr-vae", "1e-3")
    return out, losses


def test_autoencoder_loss_falls(vae_run):
    _, losses = vae_run
    assert len(losses) == 120
    assert np.mean(losses[-15:]) < 0.85 * np.mean(losses[:15])


def test_unet_loss_falls(vae_run, tmp_path):
    out, _ = vae_run
    losses = run(out, "--phase", "unet", "--steps", "60", "--lr", "3e-3")
    assert len(losses) == 60
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10])


def test_resume_continues_the_same_run(vae_run, tmp_path):
    out, _ = vae_run
    import shutil

    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(out / "vae", d / "vae")
    straight = run(a, "--phase", "unet", "--steps", "12")
    first = run(b, "--phase", "unet", "--steps", "12", "--stop-after", "5")
    assert len(first) == 5
    second = run(b, "--phase", "unet", "--steps", "12", "--resume")
    assert len(second) == 7
    assert np.allclose(straight, first + second, rtol=1e-5, atol=1e-6)
    wa = load_file(a / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    wb = load_file(b / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
