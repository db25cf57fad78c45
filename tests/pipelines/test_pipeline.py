"""PlaygroundPipeline behaviour: inputs, guidance, prompt cache, trajectory, saving, previews."""

import json
import threading

import numpy as np
import PIL.Image
import pytest
import torch
from diffusers import DDPMScheduler

from pipelines import PlaygroundInputError, PlaygroundOutput, PlaygroundPipeline, StepRecord
from pipelines.preview import latents_to_rgb, to_pil, trajectory_images, upscale_nearest
from tiny_models import tiny_vae

PROMPT = "three red circles on a blue background"
FAST = dict(sampler="DDIM", num_inference_steps=2)


# ---------------------------------------------------------------------- check_inputs

BAD_INPUTS = [
    (dict(num_inference_steps=0), "Steps must be a whole number from 1 to 150 (got 0)."),
    (dict(num_inference_steps=151), "Steps must be a whole number from 1 to 150 (got 151)."),
    (dict(num_inference_steps=2.5), "Steps must be a whole number from 1 to 150 (got 2.5)."),
    (dict(num_inference_steps="20"), "Steps must be a whole number from 1 to 150 (got '20')."),
    (dict(num_inference_steps=True), "Steps must be a whole number from 1 to 150 (got True)."),
    (dict(guidance_scale=-1), "Guidance scale must be a number from 0 to 30 (got -1)."),
    (dict(guidance_scale=30.5), "Guidance scale must be a number from 0 to 30 (got 30.5)."),
    (dict(guidance_scale=float("nan")), "Guidance scale must be a number from 0 to 30 (got nan)."),
    (dict(guidance_scale=float("inf")), "Guidance scale must be a number from 0 to 30 (got inf)."),
    (dict(guidance_scale="4"), "Guidance scale must be a number from 0 to 30 (got '4')."),
    (dict(guidance_scale=False), "Guidance scale must be a number from 0 to 30 (got False)."),
    (dict(seed=-1), "Seed must be a whole number from 0 to 4294967295 (got -1)."),
    (dict(seed=2**32), "Seed must be a whole number from 0 to 4294967295 (got 4294967296)."),
    (dict(seed=1.5), "Seed must be a whole number from 0 to 4294967295 (got 1.5)."),
    (dict(seed=float("nan")), "Seed must be a whole number from 0 to 4294967295 (got nan)."),
    (dict(seed="7"), "Seed must be a whole number from 0 to 4294967295 (got '7')."),
    (dict(seed=True), "Seed must be a whole number from 0 to 4294967295 (got True)."),
    (dict(num_images_per_prompt=0), "Images per prompt must be a whole number from 1 to 8 (got 0)."),
    (dict(num_images_per_prompt=9), "Images per prompt must be a whole number from 1 to 8 (got 9)."),
    (dict(height=7), "Height must be a multiple of 2 from 2 to 1024 pixels (got 7)."),
    (dict(height=0), "Height must be a multiple of 2 from 2 to 1024 pixels (got 0)."),
    (dict(width=1026), "Width must be a multiple of 2 from 2 to 1024 pixels (got 1026)."),
    (dict(width="8"), "Width must be a multiple of 2 from 2 to 1024 pixels (got '8')."),
    (dict(prompt=None), "Prompt must be text (got NoneType)."),
    (dict(negative_prompt=3), "Negative prompt must be text (got int)."),
    (dict(sampler="Euler b"), "Unknown sampler 'Euler b'. Choose one of: Euler, Euler a, Heun,"),
    (dict(output_type="jpeg"), "Output type must be one of pil, np, pt, latent (got 'jpeg')."),
]


@pytest.mark.parametrize("change, message", BAD_INPUTS, ids=[m[:40] for _, m in BAD_INPUTS])
def test_bad_input_is_refused_with_plain_message(pixel_pipe, change, message):
    kwargs = dict(prompt=PROMPT, **FAST)
    kwargs.update(change)
    with pytest.raises(PlaygroundInputError) as info:
        pixel_pipe(**kwargs)
    assert str(info.value).startswith(message)


def test_latent_size_multiple_is_vae_times_unet(latent_pipe):
    assert latent_pipe.size_multiple == 4 and latent_pipe.max_side == 1024
    with pytest.raises(PlaygroundInputError, match=r"Height must be a multiple of 4 from 4 to 1024 pixels \(got 10\)"):
        latent_pipe(PROMPT, height=10, **FAST)


def test_sampler_that_cannot_run_the_model_is_refused(pixel_pipe):
    parts = {k: v for k, v in pixel_pipe.components.items() if k != "scheduler"}
    pipe = PlaygroundPipeline(**parts, scheduler=DDPMScheduler(prediction_type="sample"))
    with pytest.raises(PlaygroundInputError, match="The DPM2 sampler cannot run this model"):
        pipe(PROMPT, sampler="DPM2", num_inference_steps=2)
    assert len(pipe(PROMPT, sampler="Euler", num_inference_steps=2, return_trajectory=True).trajectory) == 2


def test_whole_number_floats_and_defaults_are_accepted(pixel_pipe):
    out = pixel_pipe(PROMPT, num_inference_steps=2.0, seed=7.0, num_images_per_prompt=1.0)
    assert out.seeds == [7] and out.num_inference_steps == 2
    assert out.sampler == pixel_pipe.config.default_sampler == "DPM++ 2M"
    assert out.guidance_scale == pixel_pipe.config.default_guidance_scale == 4.0
    assert isinstance(out, PlaygroundOutput) and out.trajectory is None and out.seconds > 0


def test_control_characters_are_dropped_with_a_warning(pixel_pipe):
    out = pixel_pipe("red\x00 circles\x07", **FAST)
    assert "Prompt: removed 2 control characters." in out.warnings
    clean = pixel_pipe("red circles", **FAST)
    assert out.images[0].tobytes() == clean.images[0].tobytes()


def test_non_square_size(latent_pipe):
    out = latent_pipe(PROMPT, height=8, width=16, return_trajectory=True, **FAST)
    assert out.images[0].size == (16, 8)
    assert out.trajectory[0].x_t.shape == (1, 4, 4, 8)


# ---------------------------------------------------------------------- guidance


def _unet_batches(pipe, **kwargs):
    sizes = []
    handle = pipe.unet.register_forward_hook(lambda module, args, output: sizes.append(args[0].shape[0]))
    try:
        out = pipe(PROMPT, num_images_per_prompt=2, output_type="pt", **FAST, **kwargs)
    finally:
        handle.remove()
    return out, sizes


def test_guidance_batches_and_model_calls(any_pipe):
    guided, sizes4 = _unet_batches(any_pipe, guidance_scale=4.0)
    cond_only, sizes1 = _unet_batches(any_pipe, guidance_scale=1.0)
    uncond_only, sizes0 = _unet_batches(any_pipe, guidance_scale=0.0)
    assert sizes4 == [4, 4] and sizes1 == [2, 2] and sizes0 == [2, 2]
    assert guided.nfe == cond_only.nfe == uncond_only.nfe == 2
    assert not torch.equal(guided.images, cond_only.images)
    assert not torch.equal(cond_only.images, uncond_only.images)


def test_single_branch_equals_the_guidance_formula(any_pipe):
    embeds = any_pipe.encode_prompt_pair(PROMPT, "blue")
    channels, size = any_pipe.unet.config.in_channels, any_pipe.unet.config.sample_size
    x = torch.randn(2, channels, size, size, generator=torch.Generator().manual_seed(0))
    t = torch.tensor(500)
    with torch.inference_mode():
        both, cond, uncond = any_pipe.guided_prediction(x, t, embeds, 1.0, force_both=True)
        only_cond, c1, u1 = any_pipe.guided_prediction(x, t, embeds, 1.0)
        only_uncond, c0, u0 = any_pipe.guided_prediction(x, t, embeds, 0.0)
        four, _, _ = any_pipe.guided_prediction(x, t, embeds, 4.0)
    assert u1 is None and c0 is None
    torch.testing.assert_close(only_cond, both, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(only_uncond, uncond, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(four, uncond + 4.0 * (cond - uncond), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------- prompts


def test_prompt_embeddings_are_cached(pixel_pipe):
    calls = []
    handle = pixel_pipe.text_encoder.register_forward_hook(lambda *args: calls.append(1))
    try:
        pixel_pipe("a green square", **FAST)
        assert len(calls) == 1
        pixel_pipe("a green square", seed=3, **FAST)
        assert len(calls) == 1
        pixel_pipe("a green square", negative_prompt="red", **FAST)
        assert len(calls) == 2
    finally:
        handle.remove()


def test_prompt_cache_is_bounded(pixel_pipe):
    for i in range(70):
        pixel_pipe.encode_prompt_pair(f"circle {i}")
    assert len(pixel_pipe._prompt_cache) == 64


def test_long_prompt_is_truncated_with_a_warning(pixel_pipe):
    prompt = " ".join(["red"] * 20)
    out = pixel_pipe(prompt, **FAST)
    assert "Prompt too long: 20 tokens, the model reads 14; ignored: 'red red red red red red'" in out.warnings
    tokens, truncated = pixel_pipe.tokenize(prompt)
    assert truncated and len(tokens) == 20 and tokens[0] == "red"
    assert pixel_pipe.tokenize("three red circles") == (["three", "red", "circles"], False)
    long_negative = pixel_pipe(PROMPT, negative_prompt=prompt, **FAST)
    assert any(w.startswith("Negative prompt too long: 20 tokens") for w in long_negative.warnings)


# ---------------------------------------------------------------------- trajectory


def test_generate_steps_streams_records_then_output(any_pipe):
    items = list(any_pipe.generate_steps(PROMPT, sampler="Heun", num_inference_steps=3))
    assert [type(i) for i in items] == [StepRecord] * 3 + [PlaygroundOutput]
    assert items[-1].trajectory is None
    stream = any_pipe.generate_steps(PROMPT, sampler="Heun", num_inference_steps=3)
    first = next(stream)
    stream.close()  # cancelling between steps is allowed
    assert first.step == 0


def test_trajectory_extras(any_pipe):
    out = any_pipe(PROMPT, return_trajectory=True, trajectory_extras=True, guidance_scale=3.0, **FAST)
    record = out.trajectory[0]
    assert record.noise_pred.shape == record.x0.shape == record.guidance.shape
    plain = any_pipe(PROMPT, return_trajectory=True, guidance_scale=1.0, trajectory_extras=True, **FAST)
    assert plain.trajectory[0].guidance is None and plain.trajectory[0].noise_pred is not None
    assert any_pipe(PROMPT, return_trajectory=True, **FAST).trajectory[0].noise_pred is None


@pytest.mark.parametrize("kind, sampler", [("pixel", "Euler"), ("latent", "DDIM"), ("latent", "DPM++ 2M"),
                                           ("pixel", "DDIM")])
def test_x0_of_a_one_step_run_is_the_result(request, kind, sampler):
    """With one step these samplers jump straight to their x0 guess, so the record's x0 must equal the result."""
    pipe = request.getfixturevalue(f"{kind}_pipe")
    out = pipe(PROMPT, sampler=sampler, num_inference_steps=1, return_trajectory=True, output_type="latent")
    x0 = out.trajectory[0].x0
    if sampler == "DDIM" and pipe.scheduler.config.clip_sample:
        x0 = x0.clamp(-1, 1)  # DDIM clips its x0 guess when the config says so
    torch.testing.assert_close(x0, out.images, atol=1e-4, rtol=1e-4)


def test_sigma_space_samples_are_vp_normalised(pixel_pipe):
    out = pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=4, return_trajectory=True)
    first = out.trajectory[0]
    assert first.sigma > 1 and first.sigma_next > 0
    assert 0.5 < first.x_t.std().item() < 2.0  # mostly noise, but not sigma-sized
    assert out.trajectory[-1].sigma_next == 0.0
    assert pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=2, return_trajectory=True).trajectory[0].sigma is None


# ---------------------------------------------------------------------- threads, saving


def test_concurrent_calls_match_sequential_ones(pixel_pipe):
    jobs = [dict(sampler="Euler a", seed=1), dict(sampler="DPM++ 2M", seed=2), dict(sampler="Heun", seed=3)]
    sequential = [pixel_pipe(PROMPT, num_inference_steps=3, **job).images[0].tobytes() for job in jobs]
    results = [None] * len(jobs)

    def run(i):
        results[i] = pixel_pipe(PROMPT, num_inference_steps=3, **jobs[i]).images[0].tobytes()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == sequential
    assert "use_karras_sigmas" not in pixel_pipe.scheduler.config  # the shared scheduler is untouched


def test_save_and_load_round_trip(any_pipe, tmp_path):
    factors = [[0.3, 0.2, 0.2], [0.2, 0.3, 0.2], [-0.2, 0.2, 0.3], [-0.2, -0.3, -0.5], [0.0, 0.1, 0.0]]
    custom = PlaygroundPipeline(
        **{k: v for k, v in any_pipe.components.items() if v is not None},
        default_guidance_scale=6.5, default_sampler="Euler a", model_description="round trip",
        latent_rgb_factors=factors if any_pipe.is_latent else None,
    )
    custom.save_pretrained(tmp_path)
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["default_sampler"] == "Euler a" and index["_class_name"] == "PlaygroundPipeline"
    assert not list(tmp_path.rglob("*.bin"))
    loaded = PlaygroundPipeline.from_pretrained(tmp_path, use_safetensors=True)
    assert loaded.config.default_guidance_scale == 6.5 and loaded.config.model_description == "round trip"
    assert loaded.is_latent == any_pipe.is_latent
    if any_pipe.is_latent:
        assert loaded.config.latent_rgb_factors == factors
    a = custom(PROMPT, sampler="DPM++ SDE Karras", num_inference_steps=3, seed=4)
    b = loaded(PROMPT, sampler="DPM++ SDE Karras", num_inference_steps=3, seed=4)
    assert a.images[0].tobytes() == b.images[0].tobytes()


# ---------------------------------------------------------------------- encode / decode


def test_encode_and_decode(any_pipe):
    out = any_pipe(PROMPT, output_type="latent", **FAST)
    images = any_pipe.decode(out.images)
    encoded = any_pipe.encode_images(images)
    assert encoded.shape == out.images.shape
    again = any_pipe.decode(encoded)
    assert again[0].size == images[0].size
    if not any_pipe.is_latent:
        assert again[0].tobytes() == images[0].tobytes()
    assert any_pipe.decode(out.images, output_type="np").shape == (1, *images[0].size[::-1], 3)


def test_per_channel_latent_normalisation(latent_pipe):
    torch.manual_seed(0)
    vae = tiny_vae()
    vae.register_to_config(latents_mean=[0.1, -0.2, 0.3, 0.0], latents_std=[2.0, 1.0, 0.5, 1.0], scaling_factor=0.5)
    parts = {k: v for k, v in latent_pipe.components.items() if k != "vae"}
    pipe = PlaygroundPipeline(**parts, vae=vae)
    image = PIL.Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8))
    latents = pipe.encode_images(image)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    with torch.inference_mode():
        raw = vae.encode(pixels).latent_dist.mode()
    mean = torch.tensor([0.1, -0.2, 0.3, 0.0]).view(1, 4, 1, 1)
    std = torch.tensor([2.0, 1.0, 0.5, 1.0]).view(1, 4, 1, 1)
    torch.testing.assert_close(latents, (raw - mean) * 0.5 / std)
    decoded = pipe.decode(latents, output_type="pt")
    with torch.inference_mode():
        direct = (vae.decode(raw).sample / 2 + 0.5).clamp(0, 1)
    torch.testing.assert_close(decoded, direct, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------- previews


def test_previews(any_pipe):
    out = any_pipe(PROMPT, num_images_per_prompt=2, return_trajectory=True, **FAST)
    size = out.images[0].size
    for method in ("auto", "approx", "vae"):
        pictures = to_pil(any_pipe, out.trajectory[-1].x0, method)
        assert len(pictures) == 2 and all(p.size == size for p in pictures)
    strip = trajectory_images(any_pipe, out.trajectory, which="x_t")
    assert len(strip) == 2 and all(isinstance(p, PIL.Image.Image) for p in strip)
    grid = trajectory_images(any_pipe, out.trajectory, which="x0", index=None)
    assert len(grid) == 2 and len(grid[0]) == 2
    if not any_pipe.is_latent:
        assert to_pil(any_pipe, out.trajectory[-1].x_t)[0].tobytes() == out.images[0].tobytes()


def test_latent_rgb_factors():
    latents = torch.ones(1, 4, 2, 2)
    sd = latents_to_rgb(latents)  # the published SD factors
    torch.testing.assert_close(sd[0, :, 0, 0], torch.tensor([0.143, 0.411, 0.172]))
    own = latents_to_rgb(latents, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0.5, 0.5, 0.5]])
    torch.testing.assert_close(own[0, :, 0, 0], torch.tensor([1.5, 1.5, 1.5]))
    other = latents_to_rgb(torch.randn(1, 6, 4, 4))
    assert other.shape == (1, 3, 4, 4) and other.abs().max() <= 1
    with pytest.raises(ValueError, match="4 rows of 3"):
        latents_to_rgb(latents, [[1, 0, 0]])


def test_upscale_nearest():
    small = PIL.Image.new("RGB", (8, 6), "red")
    big = upscale_nearest(small, min_side=256)
    assert big.size == (344, 258) and big.getpixel((100, 100)) == (255, 0, 0)
    assert upscale_nearest(PIL.Image.new("RGB", (300, 300))).size == (300, 300)
