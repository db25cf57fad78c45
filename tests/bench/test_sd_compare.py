"""`python -m bench.sd_compare --size tiny --device cpu`: the GPU session's playground-vs-diffusers script, end to end
on a tiny SD-1.5-shaped model, writing its json and markdown (issue 34)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]

# Measured on CPU in fp32 (AMD EPYC, torch 2.13, diffusers 0.42.1): the two pipelines' images differ by at most 1
# of 255 in a pixel (89 dB PSNR), their latents by 2e-5 - the same picture up to float rounding.
MAX_PIXEL_DIFF = 2
MIN_PSNR_DB = 70.0
MAX_LATENT_DIFF = 1e-3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sd_compare")
    model = tmp_path_factory.mktemp("sd_model") / "model"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "bench.sd_compare", "--out", str(out), "--size", "tiny",
                           "--device", "cpu", "--dtype", "fp32", "--repeats", "1", "--model-dir", str(model)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "sd_compare.json").read_text())
    return result, (out / "sd_compare.md").read_text(), model, out


def test_every_row_is_timed(run):
    from bench.sd_compare import ROWS

    result, _, _, _ = run
    assert not result["errors"]
    assert set(result["rows"]) == set(ROWS)
    for key, row in result["rows"].items():
        assert row["ms"] > 0 and all(ms > 0 for ms in row["samples_ms"]), key
    for key in ("playground_latent", "playground_pil"):
        assert result["rows"][key]["vs_diffusers"] > 0
    for key in ROWS:
        if key != "grid":
            assert result["rows"][key]["vs_floor"] > 0, key
    assert result["rows"]["floor"]["vs_floor"] == 1.0
    assert (result["device"], result["dtype"], result["size"]) == ("cpu", "float32", "tiny")
    assert result["steps"] == 25 and result["guidance"] == 7.5 and result["sampler"] == "DPM++ 2M"
    assert result["grid"]["steps"] == 20 and len(result["grid"]["samplers"]) == 8


def test_both_pipelines_draw_the_same_picture(run):
    result, _, _, _ = run
    assert result["model"]["scheduler_configs_differ"] == {}
    pixels = result["pixels"]
    for key in ("from_seed", "from_shared_noise"):
        d = pixels[key]
        assert d["max_abs"] <= MAX_PIXEL_DIFF, (key, d)
        assert d["identical"] or d["psnr_db"] >= MIN_PSNR_DB, (key, d)
    assert pixels["latents_from_seed_max_abs"] <= MAX_LATENT_DIFF
    assert pixels["latents_finite"] == {"diffusers": True, "playground": True}


def test_the_model_is_an_sd_folder_outside_the_output(run):
    result, _, model, out = run
    index = json.loads((model / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline" and index["scheduler"][1] == "PNDMScheduler"
    unet = json.loads((model / "unet" / "config.json").read_text())
    assert unet["down_block_types"] == ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"]
    assert (json.loads((model / "tokenizer" / "tokenizer_config.json").read_text())["model_max_length"] == 77)
    assert sorted(p.name for p in out.iterdir()) == ["sd_compare.json", "sd_compare.md"]
    assert result["height"] == result["width"] == 64


def test_markdown_lists_every_row(run):
    from bench.sd_compare import ROWS

    result, md, _, _ = run
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    for key, label in ROWS.items():
        assert label in rows, label
        assert f"{result['rows'][key]['ms']:.1f}" in rows[label]
    assert "diffusers 0.42" in md or f"diffusers {result['versions']['diffusers']}" in md
    assert "Skipped on CPU" in md and "from the same seed" in md


def test_profile_counts_what_it_sees():
    """The profiler step (run on CUDA only by the script) reads torch.profiler's events without failing on CPU."""
    from bench.sd_compare import profile_call

    layer = torch.nn.Linear(8, 8)
    prof = profile_call(lambda: layer(torch.randn(4, 8)), torch.device("cpu"))
    assert prof["wall_ms"] > 0 and prof["cpu_ms"] > 0
    assert prof["kernel_launches"] == 0 and prof["device_ms"] == 0
