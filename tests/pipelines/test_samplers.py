"""Every sampler on both tiny pipelines: shapes, trajectory, model calls, seeds."""

import math

import pytest
import torch
from diffusers import DPMSolverMultistepScheduler, EulerDiscreteScheduler

from pipelines import SAMPLERS, PlaygroundInputError, SamplerSpec, get_sampler, make_scheduler
from pipelines import samplers
from pipelines.samplers import KARRAS_SIGMA_MAX, top_sigma

REQUIRED = [
    "Euler", "Euler a", "Heun", "DPM2", "DPM2 a", "LMS", "LMS Karras", "DPM++ 2M", "DPM++ 2M Karras",
    "DPM++ SDE Karras", "DPM++ 2M SDE", "DDIM", "DDPM", "PNDM", "UniPC", "DEIS",
]
STEPS = 3
PROMPT = "three red circles on a blue background"


def expected_nfe(name: str, steps: int) -> int:
    """Model calls: Heun-like samplers need two per step but one for the last; PLMS one extra at the start."""
    spec = SAMPLERS[name]
    if spec.evals_per_step == 2:
        return 2 * steps - 1
    if name == "PNDM":
        return steps + 1
    return steps


def test_required_samplers_are_offered():
    assert set(REQUIRED) <= set(SAMPLERS)
    for name, spec in SAMPLERS.items():
        assert isinstance(spec, SamplerSpec) and spec.name == name
        assert spec.evals_per_step in (1, 2) and isinstance(spec.stochastic, bool) and spec.note


def test_a1111_mapping():
    assert SAMPLERS["DPM++ 2M Karras"].cls is DPMSolverMultistepScheduler
    assert SAMPLERS["DPM++ 2M Karras"].overrides["use_karras_sigmas"] is True
    assert SAMPLERS["DPM++ 2M SDE"].overrides["algorithm_type"] == "sde-dpmsolver++"
    assert SAMPLERS["DPM++ SDE Karras"].cls.__name__ == "DPMSolverSDEScheduler"
    assert SAMPLERS["Euler a"].cls.__name__ == "EulerAncestralDiscreteScheduler"
    assert {n for n, s in SAMPLERS.items() if s.evals_per_step == 2} >= {"Heun", "DPM2", "DPM2 a", "DPM++ SDE Karras"}
    assert SAMPLERS["Euler a"].stochastic and not SAMPLERS["DDIM"].stochastic


def test_unknown_sampler_lists_valid_names():
    with pytest.raises(PlaygroundInputError) as info:
        get_sampler("Euler b")
    message = str(info.value)
    assert "Unknown sampler 'Euler b'" in message and "DPM++ 2M Karras" in message and "UniPC" in message


def test_make_scheduler_is_fresh_and_keeps_the_training_schedule(pixel_pipe):
    base = pixel_pipe.scheduler.config
    a, b = make_scheduler("Euler", base), make_scheduler("Euler", base)
    assert isinstance(a, EulerDiscreteScheduler) and a is not b
    assert a.config.prediction_type == "v_prediction"
    karras = make_scheduler("DPM++ 2M Karras", base)
    assert karras.config.use_karras_sigmas
    # A model saved with a Karras scheduler still gets plain spacing for a plain name.
    assert not make_scheduler("DPM++ 2M", karras.config).config.use_karras_sigmas
    assert "use_karras_sigmas" not in pixel_pipe.scheduler.config


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sampler_runs_with_one_record_per_step(any_pipe, name):
    out = any_pipe(PROMPT, sampler=name, num_inference_steps=STEPS, seed=1, num_images_per_prompt=2,
                   return_trajectory=True, guidance_scale=3.0)
    height, width = any_pipe.default_size
    assert len(out.images) == 2 and all(im.size == (width, height) for im in out.images)
    assert out.nfe == expected_nfe(name, STEPS)
    assert out.sampler == name and out.num_inference_steps == STEPS and out.seeds == [1, 2]
    assert len(out.trajectory) == STEPS
    f = any_pipe.vae_scale_factor
    shape = (2, any_pipe.unet.config.in_channels, height // f, width // f)
    for i, record in enumerate(out.trajectory):
        assert record.step == i and isinstance(record.timestep, float)
        assert record.x_t.shape == shape and record.x0.shape == shape
        assert record.x_t.dtype == torch.float32 and record.x_t.device.type == "cpu"
        assert torch.isfinite(record.x_t).all() and torch.isfinite(record.x0).all()
        if i < STEPS - 1:
            assert not torch.allclose(record.x0, record.x_t)
    assert out.trajectory[-1].nfe == out.nfe


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_batch_image_equals_same_seed_alone(any_pipe, name):
    """Image i of a batch seeded s is byte-identical to seed s + i made alone, also for stochastic samplers."""
    settings = dict(sampler=name, num_inference_steps=STEPS, guidance_scale=4.0, return_trajectory=True)
    batch = any_pipe(PROMPT, seed=10, num_images_per_prompt=3, **settings)
    alone = [any_pipe(PROMPT, seed=10 + i, **settings) for i in range(3)]
    for i, single in enumerate(alone):
        assert single.images[0].tobytes() == batch.images[i].tobytes()
        for a, b in zip(single.trajectory, batch.trajectory):
            assert torch.equal(a.x_t[0], b.x_t[i]) and torch.equal(a.x0[0], b.x0[i])
    again = any_pipe(PROMPT, seed=10, **settings)
    assert again.images[0].tobytes() == alone[0].images[0].tobytes()
    assert alone[0].images[0].tobytes() != alone[1].images[0].tobytes()


def test_one_step_works_for_every_sampler(pixel_pipe):
    for name in SAMPLERS:
        out = pixel_pipe(PROMPT, sampler=name, num_inference_steps=1, return_trajectory=True)
        assert len(out.trajectory) == 1, name


def test_slope_averaging_samplers_are_heun_and_dpm2():
    assert {n for n, s in SAMPLERS.items() if s.slope_average} == {"Heun", "DPM2", "DPM2 Karras", "DPM2 a",
                                                                   "DPM2 a Karras"}


@pytest.mark.parametrize("name", ["Heun", "DPM2", "DPM2 a"])
def test_from_pure_noise_heun_and_dpm2_take_step_0_in_first_order(ztsnr_pipe, name):
    """On a zero-terminal-SNR schedule (first sigma 4096) step 0 is one Euler call, then the diffusers scheduler
    runs from its step 1: 2n - 2 model calls, and the numbers of that loop written out by hand."""
    steps, seed, guidance = 4, 3, 3.0
    out = ztsnr_pipe(PROMPT, sampler=name, num_inference_steps=steps, seed=seed, guidance_scale=guidance,
                     return_trajectory=True, output_type="latent")
    scheduler = make_scheduler(name, ztsnr_pipe.scheduler.config)
    scheduler.set_timesteps(steps)
    s0, s1 = float(scheduler.sigmas[0]), float(scheduler.sigmas[1])
    assert s0 == pytest.approx(4096, rel=1e-3) and s1 < 100
    assert out.nfe == 2 * steps - 2 and len(out.trajectory) == steps
    assert [r.nfe for r in out.trajectory] == [1, 3, 5, 6]
    assert out.trajectory[0].sigma == s0 and out.trajectory[0].sigma_next == s1

    embeds = ztsnr_pipe.encode_prompt_pair(PROMPT)
    generators = [torch.Generator("cpu").manual_seed(seed)]
    x = ztsnr_pipe.prepare_latents(generators, 8, 8, float(scheduler.init_noise_sigma))
    extra = {"generator": generators} if SAMPLERS[name].stochastic else {}
    noise = x.clone()

    def run(timesteps, x):
        for t in timesteps:
            model_out = ztsnr_pipe.guided_prediction(scheduler.scale_model_input(x, t), t, embeds, guidance)[0]
            x = scheduler.step(model_out, t, x, **extra).prev_sample
        return x

    with torch.inference_mode():
        a = 1 / math.sqrt(1 + s0**2)  # v-prediction: x0 = sqrt(alpha_bar) * input - sqrt(1 - alpha_bar) * v
        v = ztsnr_pipe.guided_prediction(x * a, scheduler.timesteps[0], embeds, guidance)[0]
        x0 = a * (x * a) - (s0 * a) * v
        x = x + (x - x0) / s0 * (s1 - s0)
        scheduler.set_begin_index(2)
        by_hand = run(scheduler.timesteps[2:], x)
        scheduler = make_scheduler(name, ztsnr_pipe.scheduler.config)  # the sampler's own two calls at step 0
        scheduler.set_timesteps(steps)
        scheduler.set_begin_index(0)
        generators[0].manual_seed(seed)
        ztsnr_pipe.prepare_latents(generators, 8, 8, 1.0)  # the generator where it was
        own = run(scheduler.timesteps, noise)
    # x is near 4096 at step 0: float32 keeps it to about 1e-4
    assert torch.allclose(out.images, by_hand, atol=1e-3)
    assert (out.images - own).abs().max() > 0.1


def test_karras_spacing_starts_at_most_from_sigma_160(pixel_pipe, ztsnr_pipe):
    """From a zero-terminal-SNR schedule's sigma 4096 the Karras spacing would spend half its steps on pure noise."""
    karras = [n for n, s in SAMPLERS.items() if s.overrides.get("use_karras_sigmas")]
    assert len(karras) == 6
    for name in karras:
        own = make_scheduler(name, pixel_pipe.scheduler.config)
        capped = make_scheduler(name, ztsnr_pipe.scheduler.config)
        own.set_timesteps(20)
        capped.set_timesteps(20)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(samplers, "KARRAS_SIGMA_MAX", math.inf)
            diffusers_own = make_scheduler(name, pixel_pipe.scheduler.config)
        diffusers_own.set_timesteps(20)
        assert top_sigma(own) < KARRAS_SIGMA_MAX  # 157: diffusers' own spacing, never raised to the cap
        assert torch.equal(own.sigmas, diffusers_own.sigmas), name
        if name in ("LMS Karras", "DPM++ SDE Karras"):  # diffusers 0.42 spaces these from the schedule's own top
            assert float(capped.sigmas[0]) == pytest.approx(4096, rel=1e-3), name
        else:
            assert float(capped.sigmas[0]) == pytest.approx(KARRAS_SIGMA_MAX) == 160, name
    dpm2 = make_scheduler("DPM2 a", ztsnr_pipe.scheduler.config)
    dpm2.set_timesteps(20)
    assert float(dpm2.sigmas[0]) == pytest.approx(4096, rel=1e-3)  # other spacings keep the schedule's top
