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
