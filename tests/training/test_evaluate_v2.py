"""training.evaluate_v2: the v2 model card's categories (issue 33) built from world.v2, held out, deterministic,
captioned with what they test; the judge's ceiling on their true pictures; evaluate() end to end on a tiny
random 64-px pipeline."""
import numpy as np
import pytest
import torch

from training import evaluate_v2 as ev
from world import v2

# What each category's canonical caption must say (a word of it), given its scene.
BACKDROP_WORDS = {"sky": "sky", "grass": "grass", "sand": "beach", "water": "water", "brick wall": "brick wall",
                  "wooden wall": "wooden wall", "wooden floor": "wooden floor"}
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
NOUNS = {"bicycle": "bicycle", "mug": "mug", "hand": "hand", "person": "person", "sign": "sign"}


def _mentions(category: str, scene: v2.Scene) -> list[str]:
    o = scene.objects[0]
    if category == "single: background":
        return [scene.backdrop]
    if category == "position":
        return [{"centre": "centre"}.get(scene.position, scene.position)]
    if category.startswith("count") or category == "counts ≥ 5":
        return [NUMBERS[scene.count]]
    if category in ("two objects", "colour binding", "relations"):
        return [o.colour, o.kind, scene.objects[1].colour, scene.objects[1].kind]
    if category in ("written words", "sign word"):
        return [f'"{scene.word}"']
    if category == "object class":
        return [NOUNS.get(o.kind, o.kind)]
    if category == "object colour":
        return [o.colour]
    if category == "backdrop texture":
        return [BACKDROP_WORDS[scene.backdrop]]
    if category == "light side":
        return [{"above": "from above"}.get(scene.light, f"from the {scene.light}")]
    if category == "time of day":
        return [f"at {scene.time}"]
    if category in ("directions", "in front of", "leaning against", "on top of"):
        return [scene.relation]
    if category == "five fingers":
        return ["five fingers"]
    if category == "trio binding":
        return [t.colour for t in scene.objects]
    if category == "same character":
        return [o.name]
    if category == "lesson":
        return ["red bicycle", "leaning against", "brick wall"]
    return [o.colour, o.kind]  # single: colour, single: shape


def test_every_category_builds_n_scenes_deterministically_and_held_out():
    for cat in ev.CATEGORIES:
        a, b = ev.category_scenes(cat, 6, 1000), ev.category_scenes(cat, 6, 1000)
        assert len(a) == 6 and a == b, cat
        assert ev.category_scenes(cat, 6, 1001) != a or cat == ev.LESSON, cat
    # held out: prompts drawn from a seed sequence, not from the integer seeds training batches use
    assert ev.category_scenes("object class", 4, 7) != [v2.sample_scene(np.random.default_rng(7)) for _ in range(4)]
    with pytest.raises(ValueError):
        ev.category_scenes("no such category", 2, 0)


def test_captions_are_non_empty_and_say_what_the_category_tests():
    for cat in ev.CATEGORIES:
        for scene in ev.category_scenes(cat, 12, 1000):
            text = v2.caption(scene)
            assert text, cat
            for word in _mentions(cat, scene):
                assert word in text, (cat, word, text)


def test_categories_cover_what_they_name():
    kinds = {s.objects[0].kind for s in ev.category_scenes("object class", 24, 1000)}
    assert kinds == set(v2.KINDS)
    assert {s.backdrop for s in ev.category_scenes("backdrop texture", 24, 1000)} == set(v2.SCENIC)
    assert {s.light for s in ev.category_scenes("light side", 24, 1000)} == set(v2.LIGHT_SIDES)
    assert {s.time for s in ev.category_scenes("time of day", 24, 1000)} == {"sunset", "night"}
    assert {s.relation for s in ev.category_scenes("directions", 24, 1000)} == {"left of", "right of", "above",
                                                                               "below"}
    assert {s.count for s in ev.category_scenes("counts ≥ 5", 24, 1000)} == {5, 6, 7, 8, 9}
    assert all(s.objects[0].fingers == 5 for s in ev.category_scenes("five fingers", 8, 1000))
    assert {s.objects[0].name for s in ev.category_scenes("same character", 24, 1000)} == set(v2.CHARACTERS)
    assert all(s.kind == "trio" and s.count == 3 for s in ev.category_scenes("trio binding", 8, 1000))


def test_lesson_category_holds_exactly_the_lesson_prompt():
    lesson = v2.caption(v2.lesson_scene())
    assert lesson == "a red bicycle leaning against a brick wall"
    assert {v2.caption(s) for s in ev.category_scenes(ev.LESSON, 24, 1000)} == {lesson}


def test_layouts_keep_the_prompt():
    for cat in ev.CATEGORIES:
        for si, scene in enumerate(ev.category_scenes(cat, 3, 1000)):
            alts = ev.layouts(scene, 3, si)
            assert len(alts) == 3 and alts[0] == scene, cat
            assert {v2.caption(s) for s in alts} == {v2.caption(scene)}, cat


def test_score_keys_and_not_judged_yet():
    for cat in ev.CATEGORIES:
        key = ev.score_key(cat)
        assert (key is None) == (cat in ev.NOT_JUDGED), cat
    assert ev.score_key("object class") == "object" and ev.score_key("same character") == "character"
    assert ev.score_key(ev.LESSON) == ev.ALL


# The judge on true pictures, 8 prompts each (seed 1000), where it reads below 0.9: its measured rate today, as a
# floor (docs/world-v2.md, "What is left": relations read from rough footprints, fingers, the lit side, a
# character's thin hair rim; a sign's word on a scenic backdrop). A change that makes the judge read these worse
# fails here; one that calibrates them should raise the floor.
CEILING_FLOORS = {"light side": 0.875, "directions": 0.875, "on top of": 0.875, "sign word": 0.875,
                  "same character": 0.875, "five fingers": 0.75, "in front of": 0.625, "leaning against": 0.625}


def test_ceiling_on_true_pictures():
    torch.set_num_threads(1)
    res = ev.ceiling(None, prompts=8, seed=1000)
    print("\nceiling, true pictures, 8 prompts:", {c: r["ceiling"] for c, r in res.items()})
    assert set(res) == set(ev.CATEGORIES)
    low = {}
    for cat, r in res.items():
        if cat in ev.NOT_JUDGED:
            assert r["ceiling"] is None and r["note"].startswith("not judged yet"), cat
            continue
        assert r["n"] == 8 and r["ceiling"] is not None, cat
        if r["ceiling"] < CEILING_FLOORS.get(cat, 0.9) - 1e-9:
            low[cat] = r["ceiling"]
    assert not low, low


def _tiny_64px_pipeline(tmp_path):
    from diffusers import DDPMScheduler, UNet2DConditionModel

    from pipelines import PlaygroundPipeline
    from tiny_models import TEXT_HIDDEN, tiny_text_encoder, tiny_tokenizer

    torch.manual_seed(0)
    tokenizer = tiny_tokenizer(tmp_path / "tokenizer_src")
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=3, out_channels=3, block_out_channels=(8, 16), layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_HIDDEN, attention_head_dim=4, norm_num_groups=4, class_embed_type="projection",
        projection_class_embeddings_input_dim=TEXT_HIDDEN).eval()
    return PlaygroundPipeline(tokenizer=tokenizer, text_encoder=tiny_text_encoder(len(tokenizer)), unet=unet,
                              scheduler=DDPMScheduler(num_train_timesteps=1000, prediction_type="v_prediction"),
                              model_description="tiny 64-px pixel test model")


def test_evaluate_end_to_end_on_a_tiny_64px_pipeline(tmp_path):
    torch.set_num_threads(1)
    pipe = _tiny_64px_pipeline(tmp_path)
    assert pipe.default_size == (64, 64)
    res = ev.evaluate(pipe, prompts=1, seeds=1, steps=2)
    meta = res.pop("_meta")
    assert meta["images"] == len(ev.CATEGORIES) and meta["steps"] == 2 and meta["sampler"] == "DPM++ 2M"
    assert set(res) == set(ev.CATEGORIES)
    for cat, r in res.items():
        if cat in ev.NOT_JUDGED:
            assert r["model"] is None and "not judged yet" in r["note"], cat
        else:
            assert 0.0 <= r["model"] <= 1.0 and r["n"] == 1, cat
            assert r["autoencoder"] is None  # a pixel-space pipeline has none
    table = ev.table({**res, "_meta": meta})
    assert "| lesson |" in table and "| trio binding | binding |" in table


def test_evaluate_scores_the_autoencoders_reconstructions(tmp_path):
    from tiny_models import build_latent_pipeline

    torch.set_num_threads(1)
    pipe = build_latent_pipeline(tmp_path)  # 16-px pictures: the judge reads them resized to 64
    res = ev.evaluate(pipe, ["lesson", "trio binding"], prompts=1, seeds=2, steps=2)
    for cat in ("lesson", "trio binding"):
        assert 0.0 <= res[cat]["autoencoder"] <= 1.0 and 0.0 <= res[cat]["model"] <= 1.0 and res[cat]["n"] == 2, cat
        assert res[cat]["all seeds"] in (0.0, 1.0), cat


def test_main_ceiling_only(monkeypatch, capsys, tmp_path):
    import json
    import sys

    out = tmp_path / "ceiling.json"
    monkeypatch.setattr(sys, "argv", ["evaluate_v2", "--ceiling-only", "--prompts", "2", "--seeds", "1", "--threads", "1",
                                      "--categories", "lesson,trio binding", "--json", str(out)])
    ev.main()
    printed = capsys.readouterr().out
    assert "| lesson | all |" in printed and "| trio binding | binding |" in printed
    assert json.loads(out.read_text())["lesson"]["n"] == 2
    monkeypatch.setattr(sys, "argv", ["evaluate_v2", "--categories", "no such category"])
    with pytest.raises(SystemExit):
        ev.main()
