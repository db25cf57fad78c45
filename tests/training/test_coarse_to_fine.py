"""training.coarse_to_fine: when each kind of structure settles along the x̂0 row. The settling rule on hand-made
readings, the prompts drawn as the evaluations draw them, and the JSON a tiny run on the real bundled model writes."""
import json
import sys

import pytest

from pipelines.loading import BUNDLED_DIR
from training import coarse_to_fine as c2f
from training import evaluate, evaluate_v2


def test_a_reading_settles_at_the_first_step_from_which_it_stays_the_final_one():
    assert c2f.settled_from([False, True, True, True], True) == 2
    assert c2f.settled_from([True, True, True], True) == 1
    assert c2f.settled_from([False, False, False], True) is None  # even the last x̂0 reads otherwise
    assert c2f.settled_from([None, None, True], True) == 3  # no reading is not the final reading


def test_a_reading_that_flips_back_is_not_settled_before_it_stops_flipping():
    # right at step 1, wrong at steps 2-3, right again from step 4: settled at 4, not 1
    assert c2f.settled_from([True, False, False, True, True], True) == 4
    # right until the last step, which flips: never settled
    assert c2f.settled_from([True, True, True, False], True) is None


def test_shares_per_step_half_step_and_the_order_earliest_first():
    assert c2f.settled_shares([1, 2, None, 4], 4) == [0.25, 0.5, 0.5, 0.75]
    assert c2f.half_step([0.25, 0.5, 0.5, 0.75]) == 2
    assert c2f.half_step([0.1, 0.4]) is None
    samples = {"count": [(3, True), (4, True)], "background": [(1, True), (2, True), (None, True)],
               "text": [(1, False), (1, False)], "shape": [(1, True), (4, False)]}
    out = c2f.summarise(samples, 4)
    assert list(out) == ["shape", "background", "count"]  # shape: its one right picture settled at step 1
    assert out["background"] == {"settled": [0.3333, 0.6667, 0.6667, 0.6667], "half": 2, "n": 3,
                                 "right_at_end": 1.0}
    assert out["shape"]["n"] == 1 and out["shape"]["right_at_end"] == 0.5  # only the right one is counted
    assert "text" not in out and c2f.unmeasured(samples) == {"text": 2}  # never right: not measured


def test_the_line_in_words_names_first_and_last_from_the_numbers():
    result = {"steps": 4, "images": 6, "prompts": 3, "seeds": 2, "sampler": "DPM++ 2M", "never_right": {"text": 2},
              "categories": c2f.summarise({"count": [(3, True), (4, True)], "background": [(1, True), (2, True)]}, 4)}
    line = c2f.summary(result)
    assert line.startswith("Settles first: **background** (half by step 1 of 4); last: **count** (half by step 3")
    assert "Not measured: **text**" in line and "6 images" in line
    result["categories"] = dict(reversed(list(result["categories"].items())))  # the order comes from the numbers
    assert c2f.summary(result) == line


def test_a_category_of_a_few_pictures_is_not_named_first_or_last():
    """One picture's shape settling at step 4 is no curve: the line ranks the categories with enough pictures."""
    many = [(1, True)] * 5 + [(2, True)] * 5
    result = {"steps": 4, "images": 30, "prompts": 3, "seeds": 10, "sampler": "DPM++ 2M",
              "categories": c2f.summarise({"backdrop": many, "colour": [(3, True)] * 10, "shape": [(4, True)]}, 4)}
    line = c2f.summary(result)
    assert line.startswith("Settles first: **backdrop** (half by step 1 of 4); last: **colour** (half by step 3")
    assert line.endswith("Too few pictures to rank: **shape** (1).")


@pytest.mark.parametrize("world_name, categories", [("shapes", evaluate.CATEGORIES), ("v2", evaluate_v2.CATEGORIES)])
def test_prompts_are_the_evaluations_held_out_prompts_in_turn(world_name, categories):
    n = len(c2f.PROMPT_CATEGORIES[world_name])
    plan = c2f.prompt_plan(world_name, n + 2)
    assert [cat for cat, *_ in plan] == c2f.PROMPT_CATEGORIES[world_name] + c2f.PROMPT_CATEGORIES[world_name][:2]
    assert set(c2f.PROMPT_CATEGORIES[world_name]) <= set(categories)
    assert all(isinstance(caption, str) and caption for _, _, caption, _ in plan)
    assert plan == c2f.prompt_plan(world_name, n + 2)  # deterministic
    assert plan[:3] == c2f.prompt_plan(world_name, 3)  # a shorter run draws the same first prompts
    assert len({noise for *_, noise in plan}) == len(plan)
    if world_name == "shapes":  # the card's evaluation draws the same scene with the same noise
        cat, scene, _, noise = plan[0]
        ci = evaluate.CATEGORIES.index(cat)
        assert scene == evaluate.category_scenes(cat, 1, 1000 + ci)[0] and noise == 1000 * 1000 + ci * 100
    else:
        cat, scene, _, noise = plan[0]
        ci = evaluate_v2.CATEGORIES.index(cat)
        assert scene == evaluate_v2.category_scenes(cat, 1, 1000)[0] and noise == evaluate_v2.noise_seed(1000, ci, 0, 4)


def test_no_two_images_of_a_v2_category_share_their_noise():
    """Image i of a call uses seed + i: the evaluation's prompts take seeds that many apart (the lesson asks one
    prompt 24 times, and consecutive seeds made its 96 images 27 pictures)."""
    seeds = {evaluate_v2.noise_seed(1000, ci, si, 4) + i for ci in range(len(evaluate_v2.CATEGORIES))
             for si in range(24) for i in range(4)}
    assert len(seeds) == len(evaluate_v2.CATEGORIES) * 24 * 4
    assert max(seeds) <= 2**32 - 1


def test_reading_a_folder_without_the_file_or_with_a_broken_one_is_none(tmp_path):
    assert c2f.read(None) is None and c2f.read(tmp_path) is None
    (tmp_path / c2f.FILENAME).write_text("{not json")
    assert c2f.read(tmp_path) is None


@pytest.mark.skipif(not (BUNDLED_DIR / "model_index.json").exists(), reason="no bundled model in this checkout")
def test_a_tiny_run_on_the_bundled_model_writes_the_json(tmp_path, monkeypatch, capsys):
    out = tmp_path / c2f.FILENAME
    monkeypatch.setattr(sys, "argv", ["coarse_to_fine", "--model", str(BUNDLED_DIR), "--prompts", "2", "--seeds", "1",
                                      "--steps", "4", "--out", str(out)])
    c2f.main()
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["definition"] == c2f.DEFINITION and data["world"] == "shapes" and data["steps"] == 4
    assert data["images"] == 2 and data["prompts"] == 2 and data["seeds"] == 1 and data["sampler"] == "DPM++ 2M"
    assert data["guidance"] == 4.0  # the card's
    assert "background" in data["categories"]  # both prompts state their backdrop
    for c in data["categories"].values():
        assert len(c["settled"]) == 4 and c["settled"] == sorted(c["settled"]) and 0 <= c["settled"][0]
        assert c["settled"][-1] <= 1 and 1 <= c["n"] <= 2
        assert c["half"] is None or 1 <= c["half"] <= 4
    assert c2f.read(tmp_path) == data
    assert "| background |" in printed and "Settles first" in printed and f"wrote {out}" in printed


def test_the_v2_world_is_read_by_its_judge_on_a_64px_model(tmp_path):
    from test_evaluate_v2 import _tiny_64px_pipeline

    pipe = _tiny_64px_pipeline(tmp_path)
    assert c2f.world_of(pipe) == "v2"
    result = c2f.measure(pipe, prompts=2, seeds=1, steps=3)
    assert result["world"] == "v2" and result["images"] == 2
    keys = set(result["categories"]) | set(result["never_right"])
    assert "backdrop" in keys  # the first prompts (backdrop texture) state their backdrop
    assert all(len(c["settled"]) == 3 for c in result["categories"].values())
