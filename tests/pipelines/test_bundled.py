"""The committed 32x32 model: it loads through load_pipeline("shapes-32"), draws what it is asked far better than
chance, and every sampler turns noise into a recognisable picture at 20 steps."""
from collections import defaultdict

import numpy as np
import pytest
import torch

import world
from pipelines import SAMPLERS, load_pipeline
from training.evaluate import category_scenes

pytestmark = pytest.mark.slow  # the real model, every sampler


@pytest.fixture(scope="module")
def bundled():
    return load_pipeline("shapes-32")  # the 32x32 model, whichever bundled model is the default


@pytest.fixture(scope="module")
def random_init(bundled):
    """The same architecture with fresh random weights: what "untrained" scores."""
    from pipelines import PlaygroundPipeline

    torch.manual_seed(0)
    unet = type(bundled.unet).from_config(bundled.unet.config)
    text = type(bundled.text_encoder)(bundled.text_encoder.config)
    return PlaygroundPipeline(tokenizer=bundled.tokenizer, text_encoder=text.eval(), unet=unet.eval(),
                              scheduler=bundled.scheduler, vae=bundled.vae,
                              latent_rgb_factors=bundled.config.latent_rgb_factors)


def judged(pipe, scenes, seeds=2, sampler="DPM++ 2M"):
    scores = defaultdict(list)
    for i, scene in enumerate(scenes):
        out = pipe(world.caption(scene), sampler=sampler, num_inference_steps=20, seed=100 + i,
                   num_images_per_prompt=seeds)
        for im in out.images:
            for k, v in world.judge(im, scene).items():
                scores[k].append(v)
    return {k: float(np.mean(v)) for k, v in scores.items()}


def test_bundled_model_is_a_trained_latent_model(bundled):
    assert bundled.is_latent and bundled.default_size == (32, 32)
    assert "trained from scratch" in bundled.config.model_description
    out = bundled("three red circles on a blue background", sampler="DPM++ 2M", num_inference_steps=20,
                  guidance_scale=4.0, seed=7, num_images_per_prompt=1, return_trajectory=True)
    again = bundled("three red circles on a blue background", sampler="DPM++ 2M", num_inference_steps=20,
                    guidance_scale=4.0, seed=7)
    assert out.images[0].size == (32, 32) and out.images[0].tobytes() == again.images[0].tobytes()
    assert len(out.trajectory) == 20


def test_bundled_beats_random_init_by_a_wide_margin(bundled, random_init):
    scenes = category_scenes("single: colour", 12, seed=5)
    trained, untrained = judged(bundled, scenes), judged(random_init, scenes)
    assert trained["background"] >= 0.8 and trained["colour"] >= 0.7, trained
    assert trained["background"] >= untrained["background"] + 0.5, (trained, untrained)
    assert trained["colour"] >= untrained["colour"] + 0.4, (trained, untrained)


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_every_sampler_draws_a_recognisable_picture(bundled, sampler):
    """At 20 steps: finite pixels, not saturated noise, and the asked-for background colour most of the time."""
    scenes = category_scenes("single: background", 4, seed=11)
    hits = []
    for i, scene in enumerate(scenes):
        out = bundled(world.caption(scene), sampler=sampler, num_inference_steps=20, seed=i)
        img = np.asarray(out.images[0]).astype(np.float32)
        assert not out.warnings, out.warnings
        # saturated noise has neighbouring pixels that jump all over; a picture is mostly flat regions
        assert np.abs(np.diff(img, axis=1)).mean() < 40, sampler
        hits.append(world.judge(out.images[0], scene)["background"])
    assert sum(hits) >= 3, (sampler, hits)


def test_evaluate_on_a_subset_draws_what_the_full_run_draws(bundled):
    """Choosing settings on validation seeds: a category subset scores the same pictures as a full run, another
    seed draws other prompts, and a misspelt category is refused by name."""
    from training.evaluate import CATEGORIES, evaluate

    full = evaluate(bundled, prompts=2, seeds=2, steps=3, autoencoder=False)
    subset = evaluate(bundled, prompts=2, seeds=2, steps=3, categories=["position", "count 3"])
    assert set(subset) == {"position", "count 3", "_meta"} and set(full) == set(CATEGORIES) | {"_meta"}
    for cat in ("position", "count 3"):
        assert subset[cat]["model"] == full[cat]["model"]
        assert subset[cat]["autoencoder"] is not None and full[cat]["autoencoder"] is None
    assert subset["_meta"]["seed"] == 1000 and subset["_meta"]["images"] == 8
    assert [world.caption(s) for s in category_scenes("position", 4, 1000 + 3)] != \
        [world.caption(s) for s in category_scenes("position", 4, 2000 + 3)]
    with pytest.raises(ValueError, match="colour binding"):
        evaluate(bundled, prompts=1, seeds=1, steps=3, categories=["colour-binding"])


def test_clip_skip_reads_an_earlier_layer_of_the_text_encoder(bundled):
    def pixels(**options):
        out = bundled("three red circles on a blue background", sampler="DDIM", num_inference_steps=6, seed=3,
                      **options)
        return np.asarray(out.images[0])

    assert not np.array_equal(pixels(), pixels(clip_skip=1))
