"""AUTOMATIC1111's emphasis, (word:1.5): read as AUTOMATIC1111 reads it, and nothing changes for a plain prompt."""
import pytest
import torch

from pipelines import PlaygroundInputError, emphasis

FAST = dict(sampler="DDIM", num_inference_steps=2, seed=3)


@pytest.mark.parametrize("text, runs", [
    ("a red car", [("a red car", 1.0)]),
    ("a (red:1.5) car", [("a ", 1.0), ("red", 1.5), (" car", 1.0)]),
    ("a (red) car", [("a ", 1.0), ("red", 1.1), (" car", 1.0)]),
    ("a ((red)) car", [("a ", 1.0), ("red", pytest.approx(1.21)), (" car", 1.0)]),
    ("a [red] car", [("a ", 1.0), ("red", pytest.approx(1 / 1.1)), (" car", 1.0)]),
    ("a (red car:0.5) on grass", [("a ", 1.0), ("red car", 0.5), (" on grass", 1.0)]),
    ("a ((red:1.5)) car", [("a ", 1.0), ("red", pytest.approx(1.65)), (" car", 1.0)]),
    (r"a \(red\) car", [("a (red) car", 1.0)]),  # escaped: the brackets are text
    ("a (red car", [("a ", 1.0), ("red car", 1.1)]),  # never closed: the rest of the prompt
    ("a red) car: big", [("a red) car: big", 1.0)]),  # closes nothing: text
    ("(a:1.2) (b:1.2)", [("a", 1.2), (" ", 1.0), ("b", 1.2)]),
    ("(blue:1e9)", [("blue:1e9", 1.1)]),  # no weight A1111 reads: text in round brackets
    ("(blue:1.2.3) x", [("blue:1.2.3) x", 1.1)]),  # no number: text, and the bracket never closes
    ("(red:.)", [("red:.)", 1.1)]),
    ("", [("", 1.0)]),
])
def test_a_prompt_is_cut_into_runs_of_one_weight_as_automatic1111_cuts_it(text, runs):
    assert emphasis.parse(text) == runs


def test_a_plain_prompt_is_read_exactly_as_before_and_weight_1_changes_nothing(latent_pipe):
    plain = latent_pipe.encode_prompt_pair("three red circles on a blue background", "")
    ids = latent_pipe.tokenizer(["three red circles on a blue background"], padding="max_length", truncation=True,
                                max_length=latent_pipe.tokenizer.model_max_length, return_tensors="pt").input_ids
    with torch.inference_mode():
        direct = latent_pipe.text_encoder(ids).last_hidden_state
    assert torch.equal(plain.cond, direct)  # diffusers' reading, untouched
    same = latent_pipe.encode_prompt_pair("three (red:1) circles on a blue background", "")
    assert torch.equal(same.cond, plain.cond) and torch.equal(same.cond_pooled, plain.cond_pooled)
    a = latent_pipe("three red circles on a blue background", **FAST).images[0]
    b = latent_pipe("three (red:1) circles on a blue background", **FAST).images[0]
    assert a.tobytes() == b.tobytes()


def test_a_weighted_word_s_vectors_are_multiplied_and_the_prompt_keeps_its_mean(latent_pipe):
    plain = latent_pipe.encode_prompt_pair("three red circles", "").cond[0]
    weighted = latent_pipe.encode_prompt_pair("three (red:1.5) circles", "").cond[0]
    tokens, weights, _ = latent_pipe.weighted_tokens("three (red:1.5) circles")
    at = 1 + weights.index(1.5)  # after the start marker
    ratio = weighted[at] / plain[at]
    other = weighted[1] / plain[1]  # "three": weight 1, only the mean's scale
    assert torch.allclose(ratio, 1.5 * other, rtol=1e-4)
    assert torch.allclose(weighted.mean(), plain.mean(), atol=1e-6)
    assert torch.allclose(other, other[0].expand_as(other), rtol=1e-4)  # one scale for the whole prompt
    assert latent_pipe("three (red:1.5) circles", **FAST).images[0].tobytes() != \
        latent_pipe("three red circles", **FAST).images[0].tobytes()


def test_the_negative_prompt_reads_emphasis_too(latent_pipe):
    a = latent_pipe.encode_prompt_pair("a circle", "red")
    b = latent_pipe.encode_prompt_pair("a circle", "(red:1.4)")
    assert torch.equal(a.cond, b.cond) and not torch.equal(a.uncond, b.uncond)


def test_weights_out_of_range_are_refused_in_words(latent_pipe):
    with pytest.raises(PlaygroundInputError, match=r"Emphasis: 'red' would be weighted 25; weights from 0 to 10"):
        latent_pipe("a (red:25) circle", **FAST)
    with pytest.raises(PlaygroundInputError, match=r"would be weighted -1"):
        latent_pipe.encode_prompt_pair("a (red:-1) circle", "")


def test_whatever_is_typed_is_read_or_refused_in_words(latent_pipe):
    """2,000 strings of brackets, colons, digits and words (one fixed draw): each is read, or refused with a
    PlaygroundInputError; nothing else is raised."""
    import random

    rng = random.Random(0)
    weighted = 0
    for _ in range(2000):
        text = "".join(rng.choice("()[]:\\.0123456789 -+red") for _ in range(rng.randint(0, 14)))
        try:
            ids, weights = emphasis.weighted_ids(latent_pipe.tokenizer, text)
            assert len(ids) == len(weights) and all(0 <= w <= emphasis.MAX_WEIGHT for w in weights), text
            weighted += any(w != 1 for w in weights)
        except PlaygroundInputError:
            pass
    assert weighted > 200  # the draw does weight words
