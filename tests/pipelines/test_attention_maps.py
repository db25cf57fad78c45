"""Cross-attention maps (pipelines/attention_maps.py): recorded beside the UNet's own attention, so the pictures
stay the same; each cell's weights over the tokens sum to 1; words cut into pieces are one map; and on the bundled
v2 model a thing's word is read on the thing."""
import numpy as np
import pytest
import torch

from pipelines.attention_maps import KEY, AttentionStore, install, word_maps


def _run(pipe, store=None, **kw):
    args = dict(sampler="Euler", num_inference_steps=3, seed=4, output_type="pt")
    args.update(kw)
    return pipe("a red circle", cross_attention_kwargs=None if store is None else {KEY: store}, **args).images


def test_recording_changes_no_pixel_and_each_cell_s_weights_sum_to_one(latent_pipe):
    before = _run(latent_pipe, num_images_per_prompt=2)
    install(latent_pipe.unet)
    install(latent_pipe.unet)  # again: nothing changes
    assert torch.equal(_run(latent_pipe, num_images_per_prompt=2), before)  # installed, no store
    store = AttentionStore(rows=2)
    assert torch.equal(_run(latent_pipe, store, num_images_per_prompt=2), before)
    layers = sum(n.endswith("attn2.processor") for n in latent_pipe.unet.attn_processors)
    assert layers > 0 and store.layers == layers * 3  # every cross-attention layer at each of the 3 steps
    maps = store.maps()
    assert maps.shape == (2, latent_pipe.tokenizer.model_max_length, 16, 16)
    assert torch.allclose(maps.sum(1), torch.ones(2, 16, 16), atol=1e-4)
    assert not torch.equal(maps[0], maps[1])  # each picture its own


def test_a_wide_picture_s_maps_are_as_wide(latent_pipe):
    install(latent_pipe.unet)
    store = AttentionStore(rows=1, aspect=0.5)
    _run(latent_pipe, store, height=16, width=32)
    maps = store.maps()
    assert maps.shape == (1, latent_pipe.tokenizer.model_max_length, 16, 32)
    assert torch.allclose(maps.sum(1), torch.ones(1, 16, 32), atol=1e-4)


def test_a_word_cut_into_pieces_is_one_map_and_the_shares_add_up(latent_pipe):
    tok = latent_pipe.tokenizer
    prompt = "a zebronk circle"
    pieces = tok(prompt, add_special_tokens=False).input_ids
    assert len(pieces) > 3  # "zebronk" is cut
    maps = torch.rand(tok.model_max_length, 4, 4)
    maps = maps / maps.sum(0)
    words, rest = word_maps(tok, prompt, maps)
    assert [w.word for w in words] == ["a", "zebronk", "circle"]
    assert torch.allclose(words[1].cells, maps[2:len(pieces)].sum(0))
    assert torch.allclose(words[2].cells, maps[len(pieces)])
    assert sum(w.share for w in words) + rest == pytest.approx(1.0)


@pytest.mark.slow
def test_on_v2_a_thing_s_word_is_read_on_the_thing_and_the_backdrop_s_is_not(v2_pipe):
    """The lift (the word's mean weight on the judge's pixels of the thing over its mean on the whole picture) of
    two prompts over two seeds each: the thing's word above 1.2 in every picture, the backdrop's below the
    thing's; of a count, the number word's below the thing's word's; of a hand with five fingers, "five" below 1
    on the hand and "fingers" above; of three things of three kinds and colours, each colour word's map overlapping
    its own thing's word's more than the others'; a character's name on the character (what the Limits tab's maps
    text says)."""
    from playground.lab.word_maps import (CHARACTER_PROMPTS, COUNTS, HANDS, PROMPTS, SIGNS, TRIOS, measure,
                                          measure_counts, measure_fingers, measure_named, measure_trio_binding)

    result = measure(v2_pipe, seeds=2, prompts=PROMPTS[:2])
    assert result.judged == result.made == 4
    thing, backdrop = np.array(result.roles["the thing"]), np.array(result.roles["the backdrop"])
    assert (thing > 1.2).all() and (backdrop < thing).all(), (thing, backdrop)
    # a count: the number word is read less on the things than the thing's word is
    counted = measure_counts(v2_pipe, seeds=2, counts=COUNTS[2:3])
    assert counted.judged == 2
    number, things = np.array(counted.roles["the number word"]), np.array(counted.roles["the thing's word"])
    assert (number < things).all(), (number, things)
    hands = measure_fingers(v2_pipe, seeds=2, hands=HANDS[:1])
    assert hands.judged == 2
    five, fingers = np.array(hands.roles['"five"']), np.array(hands.roles['"fingers"'])
    assert (five < 1).all() and (fingers > 1).all(), (five, fingers)
    _signs, named = measure_named(v2_pipe, seeds=2, signs=SIGNS[:1], characters=CHARACTER_PROMPTS[:1])
    assert named.judged == 2 and all(x > 1.3 for x in named.roles["the name"]), named.roles
    trio = measure_trio_binding(v2_pipe, seeds=2, trios=TRIOS[:1])
    own, other = trio.own[True] + trio.own[False], trio.other[True] + trio.other[False]
    assert len(own) == 2 and all(a > b + 0.2 for a, b in zip(own, other)), (own, other)


def test_on_v2_an_emphasised_word_is_read_more(v2_pipe):
    """AUTOMATIC1111's emphasis (pipelines/emphasis.py) raises the weighted word's share of the attention, and its
    map carries the weight (the Generate tab labels the tile with it)."""
    from playground.lab.word_maps import measure_emphasis

    rows = measure_emphasis(v2_pipe, seeds=2, cases=[("five yellow squares on a purple background", "five", "count")],
                            weights=(1.0, 1.6))
    assert rows[1].share > 1.5 * rows[0].share, rows
    install(v2_pipe.unet)
    store = AttentionStore(rows=1)
    v2_pipe("(five:1.6) yellow squares", sampler="DDIM", num_inference_steps=2, seed=0,
            cross_attention_kwargs={KEY: store})
    words, _rest = word_maps(v2_pipe.tokenizer, "(five:1.6) yellow squares", store.maps()[0])
    assert [(w.word, w.emphasis) for w in words] == [("five", 1.6), ("yellow", 1.0), ("squares", 1.0)]
