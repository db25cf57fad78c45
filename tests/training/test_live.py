"""Training you can watch (training.live, training.worker): the settings' bounds in words, the same loss for the same
seed, a run that reports, stops and saves a model that loads back and draws what the run's last samples showed."""
import numpy as np
import pytest

import world
from pipelines import load_pipeline
from training.live import (SAMPLE_SEEDS, SLICES, Finished, LiveTraining, Progress, Samples, TrainSettings,
                           train_live)
from training.worker import Failed, TrainingJob


@pytest.mark.parametrize("change, words", [
    (dict(slice="dogs"), "Unknown slice of the world 'dogs'; choose one of: colours, counts, shapes."),
    (dict(size="huge"), "Unknown model size 'huge'"),
    (dict(space="fourier"), "Unknown space 'fourier'"),
    (dict(seconds=5), "The time budget must be 10 to 300 seconds, not 5."),
    (dict(seconds=301), "The time budget must be 10 to 300 seconds, not 301."),
    (dict(seconds="soon"), "The time budget must be a number of seconds, not 'soon'."),
    (dict(seed=-1), "The seed must be a whole number from 0 to 2147483647, not -1."),
    (dict(seed=1.5), "not 1.5"),
    (dict(seed=True), "not True"),
])
def test_settings_out_of_bounds_are_refused_in_words(change, words):
    with pytest.raises(ValueError) as caught:
        TrainSettings(**change).checked()
    assert words in str(caught.value)


def test_the_defaults_are_the_issue_s_preset():
    s = TrainSettings().checked()
    assert (s.slice, s.size, s.space, s.seconds) == ("colours", "tiny", "latent", 60.0)
    assert [p for p, _ in SLICES["colours"].prompts] == ["a red circle", "a green circle", "a blue circle"]


@pytest.mark.parametrize("space", ["latent", "pixel"])
def test_same_settings_same_losses_and_another_seed_others(space):
    def losses(seed):
        run = LiveTraining(TrainSettings(space=space, seed=seed))
        return [run.step().loss for _ in range(3)]

    first = losses(0)
    assert losses(0) == first
    assert losses(1) != first


def test_a_step_reports_its_batch_as_pictures():
    run = LiveTraining(TrainSettings(slice="counts"))
    report = run.step()
    assert report.step == 1 and len(report.timesteps) == len(report.errors) == 32
    pictures = run.batch_pictures(report)
    assert list(pictures) == ["x0", "noise", "noisy", "target", "pred", "x0_hat"]
    assert all(len(v) == 4 and v[0].shape == (32, 32, 3) and v[0].dtype == np.uint8 for v in pictures.values())
    # the clean pictures, through the autoencoder, are the slice's: red circles on white
    assert world.judge(pictures["x0"][0], world.make_count(None, 1, "circle", "red", "white", False))["colour"]


def test_a_stopped_run_saves_a_model_that_draws_what_its_last_samples_showed(tmp_path):
    messages, steps = [], iter(range(100))
    done = train_live(TrainSettings(slice="shapes"), tmp_path / "model", messages.append,
                      should_stop=lambda: next(steps) >= 4)
    assert isinstance(done, Finished) and done.stopped and done.step >= 3 and messages[-1] is done
    samples = [m for m in messages if isinstance(m, Samples)]
    assert samples[0].step == 0 and samples[-1].step == done.step  # the untrained model, and the model saved
    assert any(isinstance(m, Progress) for m in messages)
    pipe = load_pipeline(tmp_path / "model")
    for (prompt, _), row in zip(SLICES["shapes"].prompts, samples[-1].images):
        out = pipe(prompt, seed=SAMPLE_SEEDS[0], num_images_per_prompt=len(SAMPLE_SEEDS), num_inference_steps=20,
                   output_type="np")
        again = [(np.clip(im, 0, 1) * 255).round().astype(np.uint8) for im in out.images]
        assert all(np.array_equal(a, b) for a, b in zip(again, row))


@pytest.mark.slow
def test_the_worker_process_stops_when_asked_and_saves(tmp_path):
    job = TrainingJob(TrainSettings(seconds=60), tmp_path / "model", threads=1)
    seen = []
    for message in job.messages():
        if isinstance(message, Progress) and not job.stopping:
            job.stop()
        if message is not None:
            seen.append(message)
    assert not isinstance(seen[-1], Failed), seen[-1]
    assert isinstance(seen[-1], Finished) and seen[-1].stopped and seen[-1].seconds < 30
    assert not job.process.is_alive()
    assert load_pipeline(tmp_path / "model").default_size == (32, 32)
