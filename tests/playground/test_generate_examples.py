"""The Generate tab's examples follow the chosen model's world: the 64 x 64 world's (the lesson's prompt first) for
a v2 model, the shapes world's for shapes-32 and for models of no world of ours; each world's examples are in the
words its model was trained on."""
from collections import OrderedDict

import pytest

import world.v2
from playground.prompt_edit import schedule
from playground.registry import ModelRegistry
from playground.tabs.generate import EXAMPLES, EXAMPLES_V2, WORLD_EXAMPLES, examples_shown, examples_world
from training.tokenizer import build_tokenizer


def test_each_model_shows_its_own_world_s_examples(latent_pipe, pixel_pipe):
    registry = ModelRegistry(OrderedDict([("v2", pixel_pipe), ("shapes-32", latent_pipe), ("my-sd", latent_pipe)]))
    assert list(WORLD_EXAMPLES) == ["shapes", "v2"]
    assert examples_world(registry, None) == "v2"  # the default model, first in the menu
    assert [u["visible"] for u in examples_shown(registry, "v2")] == [False, True]
    assert [u["visible"] for u in examples_shown(registry, "shapes-32")] == [True, False]
    assert [u["visible"] for u in examples_shown(registry, "my-sd")] == [True, False]  # no world: today's


def test_the_v2_examples_start_with_the_lesson_s_prompt():
    assert EXAMPLES_V2[0][1] == world.v2.caption(world.v2.lesson_scene()) == "a red bicycle leaning against a brick wall"
    assert len({e[1] for e in EXAMPLES_V2}) == len(EXAMPLES_V2)


@pytest.mark.parametrize("source, rows", [(world.v2, EXAMPLES_V2)])
def test_every_word_of_the_examples_is_one_the_model_reads_whole(tmp_path, source, rows):
    """The tokenizer a v2 run builds from its world's captions reads each example's words as whole tokens (the
    token line under the prompt would name any word the model never saw); the limits' words too: the model knows
    them, and still fails."""
    tokenizer = build_tokenizer(tmp_path, source=source)
    for label, typed, _, steps, *_ in rows:
        for _, prompt in schedule(typed, steps):  # with prompt editing, each prompt the run reads
            words = prompt.lower().replace(",", " ,").replace('"', ' " ').split()
            pieces = tokenizer.tokenize(prompt)
            assert len(pieces) == len(words), (label, prompt, pieces)
