"""The diffusers conventions a diffusers user types first: BaseOutput, return_dict, generator, callback_on_step_end,
interrupt, the progress bar, and Denoise-from-t through the same loop as a call."""

import numpy as np
import pytest
import torch

from pipelines import PlaygroundInputError, PlaygroundOutput, StepRecord, make_scheduler

PROMPT = "three red circles on a blue background"


def _pixels(out) -> np.ndarray:
    return np.stack([np.asarray(im) for im in out.images])


def test_output_is_a_base_output_and_return_dict_false_gives_a_tuple(pixel_pipe):
    out = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=3, seed=4)
    assert isinstance(out, PlaygroundOutput)
    assert out[0] is out.images and out["images"] is out.images
    images, = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=3, seed=4, return_dict=False)
    assert np.array_equal(np.asarray(images[0]), np.asarray(out.images[0]))


def test_generator_gives_the_pictures_of_its_seed(any_pipe):
    by_seed = any_pipe(PROMPT, sampler="Euler a", num_inference_steps=3, seed=9, num_images_per_prompt=2)
    gens = [torch.Generator().manual_seed(9), torch.Generator().manual_seed(10)]
    by_gen = any_pipe(PROMPT, sampler="Euler a", num_inference_steps=3, generator=gens, num_images_per_prompt=2)
    assert np.array_equal(_pixels(by_seed), _pixels(by_gen))
    with pytest.raises(PlaygroundInputError, match="either seed or generator"):
        any_pipe(PROMPT, num_inference_steps=2, seed=1, generator=gens[0])
    with pytest.raises(PlaygroundInputError, match="3 generators for 2 images"):
        any_pipe(PROMPT, num_inference_steps=2, generator=gens + gens[:1], num_images_per_prompt=2)


def test_callback_reads_each_step_and_can_change_the_latents(pixel_pipe):
    seen = []

    def watch(pipe, step, timestep, values):
        seen.append((step, float(timestep), values["latents"].clone(), values["record"]))
        return {}

    out = pixel_pipe(PROMPT, sampler="Heun", num_inference_steps=4, seed=2, return_trajectory=True,
                     callback_on_step_end=watch, callback_on_step_end_tensor_inputs=["latents", "record"])
    assert [s for s, *_ in seen] == [0, 1, 2, 3]  # one call per user-visible step, also for two-call samplers
    assert [r.step for *_, r in seen] == [0, 1, 2, 3] and all(isinstance(r, StepRecord) for *_, r in seen)
    assert [r.timestep for r in out.trajectory] == [r.timestep for *_, r in seen]

    def blank(pipe, step, timestep, values):  # the sample replaced by zeros after the last step: a grey picture
        return {"latents": torch.zeros_like(values["latents"])} if step == 3 else {}

    grey = pixel_pipe(PROMPT, sampler="Heun", num_inference_steps=4, seed=2, callback_on_step_end=blank)
    assert np.all(np.asarray(grey.images[0]) == 128)
    with pytest.raises(PlaygroundInputError, match="not among"):
        pixel_pipe(PROMPT, num_inference_steps=2, callback_on_step_end=watch,
                   callback_on_step_end_tensor_inputs=["noise"])


def test_interrupt_stops_after_the_step_and_only_that_call(pixel_pipe):
    def stop_at_two(pipe, step, timestep, values):
        if step == 1:
            pipe._interrupt = True
        return {}

    out = pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=10, seed=3, return_trajectory=True,
                     callback_on_step_end=stop_at_two)
    assert len(out.trajectory) == 2 and out.nfe == 2
    assert not pixel_pipe.interrupt  # the next call starts afresh
    assert pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=10, seed=3).nfe == 10


def test_progress_bar_shows_and_can_be_disabled(pixel_pipe, capsys):
    pixel_pipe.set_progress_bar_config(disable=False)
    pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=3)
    assert "3/3" in capsys.readouterr().err
    pixel_pipe.set_progress_bar_config(disable=True)
    pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=3)
    assert "3/3" not in capsys.readouterr().err
    pixel_pipe.set_progress_bar_config(disable=False)


def test_generate_steps_stops_the_call_when_the_reader_leaves(pixel_pipe):
    stream = pixel_pipe.generate_steps(PROMPT, sampler="Euler", num_inference_steps=50, seed=1)
    first = next(stream)
    assert isinstance(first, StepRecord) and first.step == 0
    stream.close()  # the worker sees the stop at its next step and the call ends early


@pytest.mark.parametrize("sampler", ["Euler", "DPM++ 2M", "Heun", "DDIM", "PNDM", "LMS"])
def test_denoise_from_t_uses_the_call_loop(any_pipe, sampler):
    picture = any_pipe(PROMPT, sampler="DDIM", num_inference_steps=4, seed=5).images[0]
    t_start, start = any_pipe.denoising_start(picture, 600, sampler, 8, seed=6)
    out = any_pipe(PROMPT, sampler=sampler, num_inference_steps=8, seed=6, image=picture, start_timestep=600,
                   return_trajectory=True)
    assert out.start_timestep == t_start and t_start <= 600
    assert torch.equal(out.start_latents, start)
    assert 1 <= len(out.trajectory) < 8  # only the tail of the schedule runs
    assert out.trajectory[0].timestep == t_start
    again = any_pipe(PROMPT, sampler=sampler, num_inference_steps=8, seed=6, image=picture, start_timestep=600)
    assert np.array_equal(_pixels(out), _pixels(again))


def test_denoise_from_below_the_last_step_runs_nothing(ztsnr_pipe):
    pixel_pipe = ztsnr_pipe  # trailing spacing: its last step is far above t = 0
    picture = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=2, seed=5).images[0]
    schedule = make_scheduler("DDIM", pixel_pipe.scheduler.config)
    schedule.set_timesteps(2)
    below = int(schedule.timesteps.min()) - 1  # under the schedule's last step
    assert below >= 0
    out = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=2, seed=6, image=picture, start_timestep=below)
    assert out.nfe == 0 and out.start_timestep is None
    noised = pixel_pipe.decode(pixel_pipe.add_noise(pixel_pipe.encode_images(picture), below, 6))
    assert np.array_equal(np.asarray(out.images[0]), np.asarray(noised[0]))  # the picture noised to t, nothing run
    with pytest.raises(PlaygroundInputError, match="needs both image and start_timestep"):
        pixel_pipe(PROMPT, num_inference_steps=2, start_timestep=10)
    with pytest.raises(PlaygroundInputError, match="t must be a whole number from 0 to"):
        pixel_pipe(PROMPT, num_inference_steps=2, image=picture, start_timestep=5000)


# ---------------------------------------------------------------------- what a diffusers user types first

def test_a_list_of_prompts_batches_like_one_by_one(any_pipe):
    prompts = ["a red circle", "two blue squares"]
    batch = any_pipe(prompts, sampler="Euler a", num_inference_steps=3, seed=20, num_images_per_prompt=2)
    alone = [any_pipe(p, sampler="Euler a", num_inference_steps=3, seed=20 + 2 * i, num_images_per_prompt=2)
             for i, p in enumerate(prompts)]
    assert np.array_equal(_pixels(batch), np.concatenate([_pixels(o) for o in alone]))
    assert batch.seeds == [20, 21, 22, 23]
    negatives = any_pipe(prompts, negative_prompt=["green", "white"], sampler="DDIM", num_inference_steps=2)
    assert len(negatives.images) == 2
    assert any_pipe("a red circle", negative_prompt=None, sampler="DDIM", num_inference_steps=2).images
    with pytest.raises(PlaygroundInputError, match="2 negative prompts for 3 prompts"):
        any_pipe(["a", "b", "c"], negative_prompt=["x", "y"], num_inference_steps=2)
    with pytest.raises(PlaygroundInputError, match="At most 8 images a call"):
        any_pipe(["a", "b", "c"], num_images_per_prompt=3, num_inference_steps=2)


def test_embeddings_in_give_the_pictures_of_the_prompt(any_pipe):
    embeds = any_pipe.encode_prompt_pair("a red circle", "blue")
    by_prompt = any_pipe("a red circle", "blue", sampler="DDIM", num_inference_steps=3, seed=8)
    pooled = {}
    if any_pipe.unet.config.class_embed_type == "projection":
        with pytest.raises(PlaygroundInputError, match="pass pooled_prompt_embeds with prompt_embeds"):
            any_pipe(prompt_embeds=embeds.cond, negative_prompt_embeds=embeds.uncond, num_inference_steps=2)
        pooled = dict(pooled_prompt_embeds=embeds.cond_pooled, negative_pooled_prompt_embeds=embeds.uncond_pooled)
    by_embeds = any_pipe(prompt_embeds=embeds.cond, negative_prompt_embeds=embeds.uncond, sampler="DDIM",
                         num_inference_steps=3, seed=8, **pooled)
    assert np.array_equal(_pixels(by_prompt), _pixels(by_embeds))
    with pytest.raises(PlaygroundInputError, match="either prompt or prompt_embeds"):
        any_pipe("a red circle", prompt_embeds=embeds.cond, num_inference_steps=2)
    # diffusers' own encode_prompt signature, its four tensors handed back to the call (SDXL's names)
    cond, uncond, pooled_cond, pooled_uncond = any_pipe.encode_prompt("a red circle", "cpu", 2, True,
                                                                      negative_prompt="blue")
    assert cond.shape[0] == uncond.shape[0] == pooled_cond.shape[0] == 2  # one row per image
    assert torch.equal(cond[1], embeds.cond[0]) and torch.equal(pooled_uncond[0], embeds.uncond_pooled[0])
    assert any_pipe.encode_prompt("a red circle", do_classifier_free_guidance=False)[1] is None
    two = any_pipe(prompt_embeds=cond[:1], negative_prompt_embeds=uncond[:1], pooled_prompt_embeds=pooled_cond[:1],
                   negative_pooled_prompt_embeds=pooled_uncond[:1], sampler="DDIM", num_inference_steps=3, seed=8)
    assert np.array_equal(_pixels(by_prompt), _pixels(two))


def test_a_scheduler_set_on_the_pipeline_is_used(pixel_pipe):
    from diffusers import EulerDiscreteScheduler, HeunDiscreteScheduler

    from pipelines import PlaygroundPipeline

    pipe = PlaygroundPipeline.from_pipe(pixel_pipe)  # its own scheduler slot; the modules are shared
    euler = pipe(PROMPT, sampler="Euler", num_inference_steps=4, seed=5)
    spacing = make_scheduler("Euler", pipe.scheduler.config).config.timestep_spacing  # the model's own
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing=spacing)
    swapped = pipe(PROMPT, num_inference_steps=4, seed=5)
    assert swapped.sampler == "Euler" and np.array_equal(_pixels(swapped), _pixels(euler))
    with pytest.raises(PlaygroundInputError, match=r"sampler='DDIM' asked for, but the pipeline's scheduler was set"):
        pipe(PROMPT, sampler="DDIM", num_inference_steps=4)
    other = "linspace" if spacing != "linspace" else "trailing"  # a spacing no sampler of the table uses here
    pipe.scheduler = HeunDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing=other)
    custom = pipe(PROMPT, num_inference_steps=3, seed=5)
    assert custom.sampler == "custom" and custom.nfe == 5  # run as set: Heun's 2 calls a step, 1 for the last


def test_own_latents_timesteps_and_eta(pixel_pipe):
    drawn = pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=4, seed=6)
    noise = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(6))
    given = pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=4, latents=noise)
    assert np.array_equal(_pixels(drawn), _pixels(given))
    schedule = make_scheduler("Euler", pixel_pipe.scheduler.config)
    schedule.set_timesteps(4)
    own = pixel_pipe(PROMPT, sampler="Euler", timesteps=schedule.timesteps.tolist(), seed=6)
    assert np.array_equal(_pixels(drawn), _pixels(own))
    with pytest.raises(PlaygroundInputError, match="does not take a schedule of timesteps"):
        pixel_pipe(PROMPT, sampler="DDIM", timesteps=[900, 500, 100])
    ddim = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=4, seed=6)
    noisy = pixel_pipe(PROMPT, sampler="DDIM", num_inference_steps=4, seed=6, eta=1.0)
    assert not np.array_equal(_pixels(ddim), _pixels(noisy))
    with pytest.raises(PlaygroundInputError, match="eta is DDIM's"):
        pixel_pipe(PROMPT, sampler="Euler", num_inference_steps=2, eta=0.5)


def test_cpu_offload_freeu_and_fused_attention(tmp_path):
    import tiny_models

    pipe = tiny_models.build_latent_pipeline(tmp_path)  # a pipeline of its own: these change its modules
    plain = pipe(PROMPT, sampler="Euler", num_inference_steps=3, seed=1)
    pipe.enable_model_cpu_offload(device="cpu")  # the hooks move each model to the execution device in turn
    assert pipe._execution_device.type == "cpu"
    assert np.array_equal(_pixels(plain), _pixels(pipe(PROMPT, sampler="Euler", num_inference_steps=3, seed=1)))
    pipe.remove_all_hooks()
    pipe.enable_freeu(s1=0.9, s2=0.2, b1=1.2, b2=1.4)
    assert not np.array_equal(_pixels(plain), _pixels(pipe(PROMPT, sampler="Euler", num_inference_steps=3, seed=1)))
    pipe.disable_freeu()
    pipe.fuse_qkv_projections()
    assert np.array_equal(_pixels(plain), _pixels(pipe(PROMPT, sampler="Euler", num_inference_steps=3, seed=1)))


@pytest.mark.slow
def test_diffusers_alone_loads_the_bundled_model(tmp_path):
    """DiffusionPipeline.from_pretrained(folder, custom_pipeline="pipelines", trust_remote_code=True), run in a
    fresh Python from another folder, gives the same picture as the project's own loader."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pipelines.loading import BUNDLED_DIR

    root = Path(__file__).resolve().parents[2]
    script = (
        "import numpy as np\n"
        "from diffusers import DiffusionPipeline\n"
        f"pipe = DiffusionPipeline.from_pretrained({str(BUNDLED_DIR)!r}, custom_pipeline={str(root / 'pipelines')!r},"
        " trust_remote_code=True)\n"
        "out = pipe('three red circles on a blue background', sampler='DPM++ 2M', num_inference_steps=6, seed=7)\n"
        "np.save('picture.npy', np.asarray(out.images[0]))\n"
        "print(type(pipe).__name__, type(pipe).__module__)\n"
    )
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "PlaygroundPipeline diffusers_modules.local" in done.stdout
    from pipelines import load_pipeline

    ours = load_pipeline(BUNDLED_DIR)(
        "three red circles on a blue background", sampler="DPM++ 2M", num_inference_steps=6, seed=7)
    assert np.array_equal(np.load(tmp_path / "picture.npy"), np.asarray(ours.images[0]))


def test_guidance_between_0_and_1_blends_where_diffusers_switches_it_off(pixel_pipe):
    """diffusers' pipelines treat guidance <= 1 as "no guidance" (the prompt branch alone); here 0 is the
    unconditional picture, 1 the conditional one, and 0.5 lies between them."""
    def picture(g):
        return _pixels(pixel_pipe(PROMPT, "a green square", sampler="DDIM", num_inference_steps=3, seed=2,
                                  guidance_scale=g)).astype(float)

    uncond, half, cond = picture(0.0), picture(0.5), picture(1.0)
    assert not np.array_equal(half, cond) and not np.array_equal(half, uncond)
    assert np.abs(half - uncond).mean() < np.abs(cond - uncond).mean()


def test_clip_skip_guidance_rescale_and_attention_kwargs(any_pipe):
    def pixels(**options):
        return _pixels(any_pipe(PROMPT, sampler="DDIM", num_inference_steps=3, seed=4, **options))

    plain = pixels()
    assert np.array_equal(plain, pixels(clip_skip=0)) and np.array_equal(plain, pixels(cross_attention_kwargs={}))
    assert not np.array_equal(plain, pixels(guidance_rescale=0.7))
    layers = any_pipe.text_encoder.config.num_hidden_layers  # 1 in the tiny models: clip_skip=1 is tested on the
    #                                                          bundled model (tests/pipelines/test_bundled.py)
    with pytest.raises(PlaygroundInputError, match=f"clip_skip must be a whole number from 0 to {layers - 1}"):
        any_pipe(PROMPT, num_inference_steps=2, clip_skip=layers)
    with pytest.raises(PlaygroundInputError, match="guidance_rescale must be a number from 0 to 1"):
        any_pipe(PROMPT, num_inference_steps=2, guidance_rescale=2)


def test_embeddings_of_several_prompts_line_up_with_their_negative_prompts(any_pipe):
    prompts, negatives = ["a red circle", "two blue squares"], ["green", "white"]
    by_text = any_pipe(prompts, negatives, sampler="DDIM", num_inference_steps=2, seed=3, num_images_per_prompt=2)
    pairs = [any_pipe.encode_prompt_pair(p, n) for p, n in zip(prompts, negatives)]
    pooled = {}
    if any_pipe.unet.config.class_embed_type == "projection":
        pooled = dict(pooled_prompt_embeds=torch.cat([e.cond_pooled for e in pairs]))
    by_embeds = any_pipe(prompt_embeds=torch.cat([e.cond for e in pairs]), negative_prompt=negatives, sampler="DDIM",
                         num_inference_steps=2, seed=3, num_images_per_prompt=2, **pooled)
    assert np.array_equal(_pixels(by_text), _pixels(by_embeds))  # image i: prompt i // 2 with its own negative
