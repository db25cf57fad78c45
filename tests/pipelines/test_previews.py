"""The cheap pictures of what the sampler holds (pipelines.preview): the v2 model's tiny decoder, distilled from its
autoencoder (training/preview_vae.py), against the linear map of the latents it replaced (which drew a brick wall
as a checkerboard of orange and blue squares, even at the last step)."""
import numpy as np
import pytest
import torch
from diffusers import AutoencoderTiny
from PIL import Image

from pipelines.preview import preview_words, to_pil
from training.preview_vae import distil
from world import v2


def _pixels(pictures) -> np.ndarray:
    return np.stack([np.asarray(p.convert("RGB"), np.float32) for p in pictures])


def test_the_v2_model_previews_its_latents_through_its_tiny_decoder_near_its_own_decode(v2_pipe):
    images, _, _ = v2.sample_batch(5, 12)
    latents = v2_pipe.encode_images([Image.fromarray(im) for im in images])
    exact = _pixels(v2_pipe.decode(latents))
    tiny, linear = _pixels(to_pil(v2_pipe, latents)), _pixels(to_pil(v2_pipe, latents, "approx"))
    assert isinstance(v2_pipe.preview_vae, AutoencoderTiny) and tiny.shape == exact.shape == (12, 64, 64, 3)
    tiny_off, linear_off = np.abs(tiny - exact).mean(), np.abs(linear - exact).mean()
    assert tiny_off < 20 and tiny_off < 0.5 * linear_off, (tiny_off, linear_off)
    assert _pixels(to_pil(v2_pipe, latents, "tiny")).tobytes() == tiny.tobytes()  # "auto" is the tiny decoder
    assert preview_words(v2_pipe) == "a tiny decoder distilled from the VAE"


def test_the_last_step_s_x_t_previews_as_the_picture_the_run_makes(v2_pipe):
    out = v2_pipe("a red bicycle leaning against a brick wall", seed=7, num_inference_steps=20,
                  return_trajectory=True)
    result = _pixels(out.images)
    tiny = _pixels(to_pil(v2_pipe, out.trajectory[-1].x_t[:1]))
    linear = _pixels(to_pil(v2_pipe, out.trajectory[-1].x_t[:1], "approx"))
    tiny_off, linear_off = np.abs(tiny - result).mean(), np.abs(linear - result).mean()  # 22 and 41 of 255
    assert tiny_off < 30 and tiny_off < 0.6 * linear_off, (tiny_off, linear_off)


def test_a_model_without_a_preview_decoder_previews_through_its_linear_map(latent_pipe, pixel_pipe):
    assert latent_pipe.preview_vae is None
    latents = torch.randn(1, latent_pipe.unet.config.in_channels, 8, 8, generator=torch.Generator().manual_seed(0))
    assert to_pil(latent_pipe, latents)[0].tobytes() == to_pil(latent_pipe, latents, "approx")[0].tobytes()
    with pytest.raises(ValueError, match="no preview_vae"):
        to_pil(latent_pipe, latents, "tiny")
    assert preview_words(latent_pipe) == "a linear map of the latent channels"
    assert preview_words(pixel_pipe) == "the pixels themselves"


def test_the_distillation_is_the_same_from_the_same_seed(v2_pipe):
    first, summary = distil(v2_pipe, pictures=16, steps=2, batch=4, log=lambda _: None)
    second, _ = distil(v2_pipe, pictures=16, steps=2, batch=4, log=lambda _: None)
    assert summary["steps"] == 2 and summary["pictures"] == 16
    a, b = first.state_dict(), second.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_preview_decoder_loads_without_a_config_warning(tmp_path, caplog):
    """AutoencoderTiny registers block_out_channels itself but takes no such argument: a config that keeps it makes
    every load (the app's start included) warn "were passed to AutoencoderTiny, but are not expected"."""
    import json

    from pipelines.loading import BUNDLED
    from training.preview_vae import save

    shipped = BUNDLED["v2"] / "preview_vae"
    if not shipped.exists():
        pytest.skip("the bundled v2 model is not in this checkout")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_index.json").write_text("{}")
    save(AutoencoderTiny.from_pretrained(shipped), model, {"steps": 0})
    for folder in (shipped, model / "preview_vae"):
        assert "block_out_channels" not in json.loads((folder / "config.json").read_text())
        caplog.clear()
        with caplog.at_level("WARNING"):
            tiny = AutoencoderTiny.from_pretrained(folder)
        assert not [r for r in caplog.records if "not expected" in r.getMessage()], folder
        assert list(tiny.config.block_out_channels) == [32, 32, 32]  # registered on load all the same
