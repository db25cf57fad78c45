"""load_pipeline: folders, the bundled model, Hub ids, and every way loading is refused."""

import json
import shutil

import pytest
import torch
from diffusers import PNDMScheduler, StableDiffusionPipeline

from pipelines import ModelLoadError, PlaygroundPipeline, load_pipeline, loading
from tiny_models import build_latent_parts

PROMPT = "three red circles"


@pytest.fixture(scope="module")
def saved_pixel(pixel_pipe, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved_pixel")
    pixel_pipe.save_pretrained(folder)
    return folder


@pytest.fixture
def pixel_copy(saved_pixel, tmp_path):
    """A throw-away copy of the saved pixel model, for breaking."""
    return shutil.copytree(saved_pixel, tmp_path / "model")


def load_error(source) -> str:
    with pytest.raises(ModelLoadError) as info:
        load_pipeline(source)
    return str(info.value)


def test_folder_loads_ready_for_inference(pixel_pipe, saved_pixel):
    pipe = load_pipeline(saved_pixel)
    assert isinstance(pipe, PlaygroundPipeline)
    for module in (pipe.unet, pipe.text_encoder):
        assert not module.training and not any(p.requires_grad for p in module.parameters())
    a = pipe(PROMPT, sampler="Euler a", num_inference_steps=2, seed=9)
    b = pixel_pipe(PROMPT, sampler="Euler a", num_inference_steps=2, seed=9)
    assert a.images[0].tobytes() == b.images[0].tobytes()


@pytest.fixture
def no_bundled(monkeypatch, tmp_path):
    """A checkout whose bundled models' folders are empty."""
    for name in loading.BUNDLED:
        monkeypatch.setitem(loading.BUNDLED, name, tmp_path / "assets" / name)


def test_bundled_model_missing(no_bundled):
    message = load_error("bundled")
    assert f"The {loading.DEFAULT_BUNDLED} model" in message and "--model DIR" in message


def test_shapes_32_missing_says_how_it_is_made(no_bundled):
    message = load_error("shapes-32")
    assert "shapes-32 model is missing" in message and "python -m training.train" in message


def test_v2_missing_says_it_is_not_here_yet(monkeypatch, tmp_path):
    """A checkout without v2 (its folder gone): asking for it says so in words, and names the model that is here."""
    monkeypatch.setitem(loading.BUNDLED, "v2", tmp_path / "v2")
    message = load_error("v2")
    assert message.startswith("The v2 model is not in this checkout yet: it is still being trained")
    assert str(loading.BUNDLED["v2"]) in message and "`--model shapes-32`" in message


def test_bundled_names_resolve_to_their_folders(monkeypatch, saved_pixel):
    monkeypatch.setitem(loading.BUNDLED, "v2", saved_pixel)
    assert loading.resolve_model_folder("v2") == saved_pixel
    assert loading.resolve_model_folder("shapes-32") == loading.BUNDLED_DIR
    assert loading.resolve_model_folder("bundled") == loading.BUNDLED[loading.DEFAULT_BUNDLED]
    monkeypatch.setattr(loading, "DEFAULT_BUNDLED", "v2")  # switching the default is this one name
    assert loading.resolve_model_folder("bundled") == saved_pixel
    assert isinstance(load_pipeline(), PlaygroundPipeline)
    assert loading.bundled_name("bundled") == "v2" and loading.bundled_name("shapes-32") == "shapes-32"
    assert loading.bundled_name("assets/bundled") is None and loading.bundled_name("org/name") is None


def test_bundled_models_lists_those_here_the_default_first(monkeypatch, saved_pixel, no_bundled):
    assert loading.bundled_models() == [loading.DEFAULT_BUNDLED]  # none here: the default, so loading says why
    monkeypatch.setitem(loading.BUNDLED, "v2", saved_pixel)
    assert loading.bundled_models() == ["v2"]  # only one here: just that one
    monkeypatch.setitem(loading.BUNDLED, "shapes-32", saved_pixel)
    assert loading.bundled_models() == ["v2", "shapes-32"]  # v2 is the default (issue 33)
    monkeypatch.setattr(loading, "DEFAULT_BUNDLED", "shapes-32")
    assert loading.bundled_models() == ["shapes-32", "v2"]


def test_shapes_32_by_name_is_the_bundled_model():
    """The real 32x32 model by name draws the same pixels as "bundled" does while it is the default (as its folder
    does after)."""
    if not (loading.BUNDLED_DIR / "model_index.json").is_file():
        pytest.skip("this checkout lacks the bundled weights")
    same = "bundled" if loading.DEFAULT_BUNDLED == "shapes-32" else loading.BUNDLED_DIR
    by_name, other = load_pipeline("shapes-32"), load_pipeline(same)
    assert by_name.default_size == (32, 32)
    a = by_name("three red circles on a blue background", sampler="Euler", num_inference_steps=2, seed=3)
    b = other("three red circles on a blue background", sampler="Euler", num_inference_steps=2, seed=3)
    assert a.images[0].tobytes() == b.images[0].tobytes()


def test_bundled_path_is_next_to_the_package():
    assert loading.BUNDLED_DIR.parts[-2:] == ("assets", "bundled")
    assert (loading.BUNDLED_DIR.parents[1] / "pipelines" / "loading.py").is_file()


def test_missing_folder(tmp_path):
    assert "No model folder at" in load_error(tmp_path / "nowhere")


def test_folder_without_model_index(tmp_path):
    assert "model_index.json is missing" in load_error(tmp_path)


@pytest.mark.parametrize("part", ["unet", "tokenizer", "text_encoder", "scheduler"])
def test_missing_part_is_named(pixel_copy, part):
    shutil.rmtree(pixel_copy / part)
    assert f"the '{part}' folder is missing" in load_error(pixel_copy)


def test_missing_vae_is_named(latent_pipe, tmp_path):
    latent_pipe.save_pretrained(tmp_path)
    shutil.rmtree(tmp_path / "vae")
    assert "the 'vae' folder is missing" in load_error(tmp_path)


def test_pickled_weights_are_refused(pixel_copy):
    weights = next((pixel_copy / "unet").glob("*.safetensors"))
    weights.rename(pixel_copy / "unet" / "diffusion_pytorch_model.bin")
    message = load_error(pixel_copy)
    assert "only pickled weights" in message and "safe_serialization=True" in message


@pytest.mark.parametrize("suffix", [".ckpt", ".pt", ".pth", ".bin"])
def test_pickled_checkpoint_file_is_refused(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"not really a pickle")
    message = load_error(path)
    assert "pickled checkpoint and will not be loaded" in message and ".safetensors" in message


def test_offline_hub_id_says_how_to_get_it():
    message = load_error("some-org/some-model")
    assert "Could not fetch 'some-org/some-model' from the Hugging Face Hub" in message
    assert "--model DIR" in message


def test_sdxl_style_unet_is_refused(pixel_copy):
    config_file = pixel_copy / "unet" / "config.json"
    config = json.loads(config_file.read_text())
    config["addition_embed_type"] = "text_time"
    config_file.write_text(json.dumps(config))
    assert "SDXL-style" in load_error(pixel_copy)


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    """A tiny Stable Diffusion 1.x-shaped diffusers folder (PNDM scheduler, no safety checker)."""
    folder = tmp_path_factory.mktemp("sd")
    parts = build_latent_parts(tmp_path_factory.mktemp("sd_tok"))
    parts["scheduler"] = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       skip_prk_steps=True, steps_offset=1)
    sd = StableDiffusionPipeline(**parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    sd.save_pretrained(folder, safe_serialization=True)
    return folder


def test_stable_diffusion_folder_loads(sd_folder):
    index = json.loads((sd_folder / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline" and index["safety_checker"] == [None, None]
    pipe = load_pipeline(sd_folder)
    assert pipe.is_latent and pipe.unet.config.class_embed_type is None
    out = pipe(PROMPT, sampler="DPM++ 2M Karras", num_inference_steps=2, return_trajectory=True)
    assert out.images[0].size == (16, 16) and len(out.trajectory) == 2


def test_stable_diffusion_folder_with_listed_extras_loads(sd_folder, tmp_path):
    """A Hub SD folder lists a safety checker and feature extractor; their files are not needed."""
    folder = shutil.copytree(sd_folder, tmp_path / "sd")
    index = json.loads((folder / "model_index.json").read_text())
    index["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    index["feature_extractor"] = ["transformers", "CLIPImageProcessor"]
    index["requires_safety_checker"] = True
    (folder / "model_index.json").write_text(json.dumps(index))
    pipe = load_pipeline(folder, torch_dtype=torch.float32)
    assert not hasattr(pipe, "safety_checker") or pipe.safety_checker is None
    assert pipe(PROMPT, sampler="PNDM", num_inference_steps=2).images[0].size == (16, 16)
